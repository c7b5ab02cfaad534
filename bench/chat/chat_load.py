"""Chat load benchmark: simulated 1:1 pairs against `eportfolio serve` on 127.0.0.1.

Seeds a fresh database (PostgreSQL or SQLite) with one programme of participant/coach pairs, each
pair with its coaching conversation at key epoch 1 and a session per person; starts
`eportfolio serve --workers 1` in a subprocess; connects every person with the Python WebSocket
client; then sends real chat envelopes (made with ``eportfolio.crypto.encrypt_message`` before the
clock starts) at a fixed rate between random pairs, in both directions.

Latency is measured from just before the sender's ``send`` to the moment the other member of the
pair has parsed the ``message`` frame (one process, one monotonic clock). Every run is bounded in
count and time and talks to 127.0.0.1 only. See README.md for how to run it and the figures.

    .venv/bin/python bench/chat/chat_load.py latency --backend postgres --clients 1000 --rate 200
    .venv/bin/python bench/chat/chat_load.py ramp --backend postgres --clients 1000 --rates 200,400,800
    .venv/bin/python bench/chat/chat_load.py idle --backend postgres --clients 5000
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import hashlib
import json
import os
import random
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from eportfolio import crypto

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN = os.environ.get("BENCH_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
SESSION_COOKIE = "ep_session"
MAX_RUN_SECONDS = 600  # a hard ceiling for any one measurement


# Database -----------------------------------------------------------------------------------------


def _pg_url(name: str) -> str:
    return "postgresql+asyncpg://" + PG_ADMIN.split("://", 1)[1].rsplit("/", 1)[0] + "/" + name


async def _pg(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_ADMIN, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextlib.contextmanager
def fresh_database(backend: str, workdir: Path, revision: str) -> Iterator[str]:
    from eportfolio.kit.migrations import upgrade

    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        upgrade(url, revision)
        yield url
        return
    name = f"ep_bench_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
    try:
        upgrade(_pg_url(name), revision)
        yield _pg_url(name)
    finally:
        asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@dataclass
class Pair:
    conversation_id: str
    participant_token: str
    coach_token: str
    participant: crypto.Identity
    coach: crypto.Identity
    key: bytes = field(default_factory=lambda: os.urandom(32))


def _identity(n: int, person_id: uuid.UUID) -> crypto.Identity:
    made = crypto.Identity.create(
        f"bench{n}",
        "benchmark password",
        user_id=str(person_id),
        params=crypto.KdfParams.new(8, 1, 1),
        allow_test_params=True,
    )
    return made.identity


async def _seed(url: str, pairs: int) -> list[Pair]:
    """One organisation, one programme, ``pairs`` participants each with her own coach."""
    from sqlalchemy import insert

    from eportfolio.accounts.tables import Session
    from eportfolio.chat.tables import Conversation, Epoch, Grant
    from eportfolio.kit.db import make_engine
    from eportfolio.programmes.tables import CoachAssignment, Membership, Organisation, Person, Programme

    engine = make_engine(url)
    now = datetime.now(UTC)
    org_id, programme_id = uuid.uuid4(), uuid.uuid4()
    people: list[dict[str, Any]] = []
    memberships: list[dict[str, Any]] = []
    assignments: list[dict[str, Any]] = []
    conversations: list[dict[str, Any]] = []
    epochs: list[dict[str, Any]] = []
    grants: list[dict[str, Any]] = []
    sessions: list[dict[str, Any]] = []
    made: list[Pair] = []
    blob = crypto.b64u_encode(os.urandom(200))
    # Who signed the coach assignments: a coach reads only through an assignment that another
    # staff member signed (the record stands in for the one the server checked when it was stored).
    staff = uuid.uuid4()
    people.append(
        {"id": staff, "organisation_id": org_id, "display_name": "Staff", "language": "nl", "created_at": now}
    )

    def session_for(person_id: uuid.UUID) -> str:
        token = uuid.uuid4().hex + uuid.uuid4().hex
        sessions.append(
            {
                "id": uuid.uuid4(),
                "token_hash": hashlib.sha256(token.encode()).digest(),
                "person_id": person_id,
                "created_at": now,
                "last_seen_at": now,
                "expires_at": now + timedelta(hours=12),
                "user_agent": "bench",
            }
        )
        return token

    for n in range(pairs):
        mother, coach, conversation = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        for person, role, name in ((mother, "participant", "Mother"), (coach, "coach", "Coach")):
            people.append(
                {
                    "id": person,
                    "organisation_id": org_id,
                    "display_name": f"{name} {n}",
                    "language": "nl",
                    "created_at": now,
                }
            )
            memberships.append(
                {
                    "id": uuid.uuid4(),
                    "organisation_id": org_id,
                    "programme_id": programme_id,
                    "person_id": person,
                    "role": role,
                }
            )
        assignments.append(
            {
                "id": uuid.uuid4(),
                "organisation_id": org_id,
                "programme_id": programme_id,
                "participant_id": mother,
                "coach_id": coach,
                "kind": "individual",
                "starts_on": date(2020, 1, 1),
                "signed_record": blob,
                "signed_by": staff,
            }
        )
        conversations.append(
            {
                "id": conversation,
                "organisation_id": org_id,
                "programme_id": programme_id,
                "kind": "coaching",
                "subject_key": f"coaching:{mother}",
                "participant_id": mother,
                "last_seq": 0,
                "epoch": 1,
                "epoch_started_at": now,
                "escalation_level": 0,
                "created_at": now,
            }
        )
        epochs.append(
            {
                "conversation_id": conversation,
                "epoch": 1,
                "programme_id": programme_id,
                "record": blob,
                "created_by": mother,
                "created_at": now,
            }
        )
        for person in (mother, coach):
            grants.append(
                {
                    "id": uuid.uuid4(),
                    "programme_id": programme_id,
                    "conversation_id": conversation,
                    "epoch": 1,
                    "recipient_id": person,
                    "granter_id": mother,
                    "grant": blob,
                    "created_at": now,
                }
            )
        made.append(
            Pair(
                str(conversation),
                session_for(mother),
                session_for(coach),
                _identity(2 * n, mother),
                _identity(2 * n + 1, coach),
            )
        )
    try:
        async with engine.begin() as connection:
            await connection.execute(insert(Organisation), [{"id": org_id, "name": "Bench organisation"}])
            await connection.execute(
                insert(Programme),
                [
                    {
                        "id": programme_id,
                        "organisation_id": org_id,
                        "name": "Bench",
                        "slug": "bench",
                        "municipality": "Emmen",
                        "time_zone": "Europe/Amsterdam",
                        "languages": ["nl"],
                        "settings": {},
                    }
                ],
            )
            for table, rows in (
                (Person, people),
                (Membership, memberships),
                (CoachAssignment, assignments),
                (Conversation, conversations),
                (Epoch, epochs),
                (Grant, grants),
                (Session, sessions),
            ):
                for start in range(0, len(rows), 2000):
                    await connection.execute(insert(table), rows[start : start + 2000])
    finally:
        await engine.dispose()
    return made


# The server ---------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def server(
    url: str, workdir: Path, pool_size: int, workers: int = 1, redis_url: str | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = _free_port()
    env = {
        **os.environ,
        "EPORTFOLIO_ENV": "test",
        "EPORTFOLIO_DATABASE_URL": url,
        "EPORTFOLIO_BASE_URL": f"http://127.0.0.1:{port}",
        "EPORTFOLIO_SECRET_KEY": "bench-secret-" + "b" * 40,
        "EPORTFOLIO_BLOB_DIR": str(workdir / "blobs"),
        "EPORTFOLIO_LOG_LEVEL": "WARNING",
        "EPORTFOLIO_DB_POOL_SIZE": str(pool_size),
    }
    if redis_url:
        env["EPORTFOLIO_REDIS_URL"] = redis_url
    log = (workdir / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "eportfolio.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError("server exited:\n" + (workdir / "server.log").read_text())
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                if len(_tree(process.pid)) > workers or workers == 1:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start in 120 s")
            time.sleep(0.1)
        yield process, port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _tree(pid: int) -> list[int]:
    """The server and its worker processes (``--workers`` above 1 starts them as children)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{current}/task").iterdir():
                queue += [int(child) for child in (task / "children").read_text().split()]
    return found


def rss_kib(pid: int) -> int:
    """Resident memory of the server and its workers, summed."""
    total = 0
    for process in _tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{process}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def cpu_seconds(pid: int) -> float:
    """CPU time of the server and its workers, summed."""
    total = 0
    for process in _tree(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


# Clients ------------------------------------------------------------------------------------------


class Client:
    """One person's socket: reads every frame, records when messages from the other side arrive."""

    def __init__(self, socket_: ClientConnection, run: Run) -> None:
        self.socket = socket_
        self.run = run
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        loads, run = json.loads, self.run
        with contextlib.suppress(Exception):
            async for text in self.socket:
                frame = loads(text)
                kind = frame["type"]
                if kind == "message":
                    sent = run.pending.pop(frame["message"]["client_id"], None)
                    if sent is not None and sent[1] is not self:
                        run.latencies.append(time.monotonic() - sent[0])
                    elif sent is not None:
                        run.pending[frame["message"]["client_id"]] = sent  # her own echo came first
                elif kind == "ack":
                    started = run.ack_pending.pop(frame["client_id"], None)
                    if started is not None:
                        run.ack_latencies.append(time.monotonic() - started)
                elif kind == "error":
                    run.errors.append(frame.get("code", "?"))
                    run.pending.pop(frame.get("ref") or "", None)
                elif kind == "caught_up":
                    run.caught_up.add(id(self))
        if not run.stopping:
            run.closed += 1


@dataclass
class Run:
    pending: dict[str, tuple[float, Client]] = field(default_factory=dict)
    ack_pending: dict[str, float] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    ack_latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    caught_up: set[int] = field(default_factory=set)
    closed: int = 0
    stopping: bool = False

    def reset(self) -> None:
        self.pending.clear()
        self.ack_pending.clear()
        self.latencies.clear()
        self.ack_latencies.clear()
        self.errors.clear()


async def connect_all(port: int, tokens: list[str], run: Run, parallel: int = 50) -> list[Client]:
    url, origin = f"ws://127.0.0.1:{port}/ws", f"http://127.0.0.1:{port}"
    clients: list[Client | None] = [None] * len(tokens)
    gate = asyncio.Semaphore(parallel)

    async def one(i: int, token: str) -> None:
        async with gate:
            socket_ = await connect(
                url,
                origin=origin,  # type: ignore[arg-type]  # websockets types origin as its Origin NewType of str
                additional_headers={"Cookie": f"{SESSION_COOKIE}={token}"},
                compression=None,
                open_timeout=60,
                ping_interval=None,
                max_queue=None,
            )
            welcome = json.loads(await socket_.recv())
            assert welcome["type"] == "welcome", welcome
            client = Client(socket_, run)
            clients[i] = client
            await socket_.send('{"type":"resume","since":{}}')

    await asyncio.gather(*(one(i, t) for i, t in enumerate(tokens)))
    deadline = time.monotonic() + 60
    while len(run.caught_up) < len(tokens) and time.monotonic() < deadline:  # noqa: ASYNC110 - polls a plain set, bounded
        await asyncio.sleep(0.05)
    return [c for c in clients if c is not None]


async def close_all(clients: list[Client], run: Run) -> None:
    run.stopping = True

    async def one(client: Client) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.socket.close(), 5)
        client.reader.cancel()

    await asyncio.gather(*(one(c) for c in clients))


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


@dataclass
class Step:
    rate: float
    sent: int
    received: int
    seconds: float
    p50: float
    p99: float
    max: float
    ack_p50: float
    ack_p99: float
    errors: str
    server_cpu: float
    client_cpu: float
    closed: int
    # Server CPU time per message sent (less noisy on a shared machine than latency).
    cpu_ms_per_message: float

    def line(self) -> str:
        return (
            f"rate {self.rate:>6.0f}/s  achieved {self.sent / self.seconds:>7.1f}/s  received {self.received}/"
            f"{self.sent}  p50 {self.p50:7.1f} ms  p99 {self.p99:7.1f} ms  max {self.max:7.1f} ms  "
            f"ack p50 {self.ack_p50:6.1f} p99 {self.ack_p99:7.1f}  errors {self.errors}  "
            f"cpu server {self.server_cpu:4.0%} ({self.cpu_ms_per_message:.2f} ms/message) "
            f"client {self.client_cpu:4.0%}  closed {self.closed}  [{machine()}]"
        )


async def load_step(
    clients: list[Client],
    pairs: list[Pair],
    run: Run,
    rate: float,
    seconds: float,
    pid: int,
    seed: int,
    everyone: bool = False,
) -> Step:
    """Send ``rate * seconds`` messages at a fixed rate (open loop) and wait for them to arrive.
    ``everyone``: instead, one message from every client, in random order."""
    rng = random.Random(seed)
    senders = [(i, side) for i in range(len(pairs)) for side in (True, False)]
    rng.shuffle(senders)
    count = len(senders) if everyone else int(rate * seconds)
    plan: list[tuple[Client, str, str]] = []
    for n in range(count):
        index, from_mother = senders[n] if everyone else (rng.randrange(len(pairs)), rng.random() < 0.5)
        pair = pairs[index]
        author = pair.participant if from_mother else pair.coach
        sender = clients[2 * index] if from_mother else clients[2 * index + 1]
        client_id = uuid.uuid4().hex
        # Realistic chat texts: mostly short, a few long (plaintext 20 to 600 bytes, median ~120).
        size = min(600, max(20, int(rng.lognormvariate(4.8, 0.7))))
        envelope = crypto.encrypt_message(
            author, pair.key, conversation_id=pair.conversation_id, message_id=client_id, plaintext=os.urandom(size)
        )
        frame = json.dumps(
            {
                "type": "send",
                "conversation_id": pair.conversation_id,
                "client_id": client_id,
                "epoch": 1,
                "body": crypto.b64u_encode(envelope),
            },
            separators=(",", ":"),
        )
        plan.append((sender, client_id, frame))
    run.reset()
    closed_before = run.closed
    cpu_before, client_before = cpu_seconds(pid), time.process_time()
    started = time.monotonic()
    interval = 1 / rate
    for i, (sender, client_id, frame) in enumerate(plan):
        due = started + i * interval
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        now = time.monotonic()
        run.pending[client_id] = (now, sender)
        run.ack_pending[client_id] = now
        with contextlib.suppress(Exception):
            await sender.socket.send(frame)
    sent_for = time.monotonic() - started
    deadline = time.monotonic() + 30
    while run.pending and time.monotonic() < deadline:  # noqa: ASYNC110 - polls a plain dict, bounded
        await asyncio.sleep(0.05)
    elapsed = time.monotonic() - started
    cpu_used = cpu_seconds(pid) - cpu_before
    cpu = cpu_used / elapsed
    client_cpu = (time.process_time() - client_before) / elapsed
    return Step(
        rate=rate,
        sent=count,
        received=len(run.latencies),
        seconds=sent_for,
        p50=_pct(run.latencies, 50),
        p99=_pct(run.latencies, 99),
        max=max(run.latencies, default=float("nan")) * 1000,
        ack_p50=_pct(run.ack_latencies, 50),
        ack_p99=_pct(run.ack_latencies, 99),
        errors=" ".join(f"{code}:{n}" for code, n in collections.Counter(run.errors).items()) or "0",
        server_cpu=cpu,
        client_cpu=client_cpu,
        closed=run.closed - closed_before,
        cpu_ms_per_message=cpu_used / max(1, count) * 1000,
    )


@contextlib.contextmanager
def profiled(output: str | None, pid: int, seconds: float) -> Iterator[None]:
    """Sample the server with py-spy (``--profile out.txt``) while a step runs."""
    if not output:
        yield
        return
    spy = subprocess.Popen(
        [
            os.environ.get("PY_SPY", "py-spy"),
            "record",
            "-p",
            str(pid),
            "-d",
            str(int(seconds)),
            "-f",
            "raw",
            "-o",
            output,
            "--nonblocking",
            "--subprocesses",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        spy.wait(int(seconds) + 30)


# Modes --------------------------------------------------------------------------------------------


def raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, needed))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if want < needed:
        raise SystemExit(f"need {needed} file descriptors, the hard limit is {hard}")


def machine() -> str:
    load = os.getloadavg()
    return f"{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"


async def _load_mode(args: argparse.Namespace, port: int, pid: int, pairs: list[Pair], rates: list[float]) -> None:
    run = Run()
    tokens = [t for p in pairs for t in (p.participant_token, p.coach_token)]
    clients = await connect_all(port, tokens, run)
    print(f"connected {len(clients)} clients, {len(run.caught_up)} caught up; server RSS {rss_kib(pid) / 1024:.0f} MiB")
    cpu_before = cpu_seconds(pid)
    await asyncio.sleep(10)
    print(f"idle server cpu with {len(clients)} connections: {(cpu_seconds(pid) - cpu_before) / 10:.0%}", flush=True)
    with profiled(args.profile_idle, pid, 10):
        await asyncio.sleep(10)
    try:
        if args.warm_all:
            # Every membership checked (and cached) before the clock starts: a server that has run
            # for a while. Without it the first step includes every client's first send.
            warm = await load_step(clients, pairs, run, 200, 0, pid, seed=0, everyone=True)
            print(f"warm-up, one message from every client: {warm.line()}", flush=True)
        await load_step(clients, pairs, run, min(rates[0], 50), 2, pid, seed=0)  # warm up
        for n, rate in enumerate(rates):
            with profiled(args.profile, pid, args.seconds):
                step = await load_step(clients, pairs, run, rate, args.seconds, pid, seed=n + 1)
            print(step.line(), flush=True)
            if args.mode == "ramp" and (step.p99 >= 250 or step.received < step.sent):
                break
    finally:
        await close_all(clients, run)


async def _idle_mode(args: argparse.Namespace, port: int, pid: int, pairs: list[Pair]) -> None:
    run = Run()
    tokens = [t for p in pairs for t in (p.participant_token, p.coach_token)]
    # Warm up: a few connections and messages, so imports and caches are not counted as per-connection.
    warm = await connect_all(port, tokens[:20], run)
    await load_step(warm, pairs[:10], run, 20, 2, pid, seed=0)
    await close_all(warm, run)
    run = Run()
    await asyncio.sleep(2)
    before = rss_kib(pid)
    started = time.monotonic()
    clients = await connect_all(port, tokens, run, parallel=100)
    connect_seconds = time.monotonic() - started
    await asyncio.sleep(5)
    after = rss_kib(pid)
    print(
        f"idle: {len(clients)} connected ({len(run.caught_up)} caught up) in {connect_seconds:.1f} s; server RSS "
        f"{before / 1024:.1f} MiB -> {after / 1024:.1f} MiB; {(after - before) / max(1, len(clients)):.1f} KiB "
        f"per idle connection",
        flush=True,
    )
    await close_all(clients, run)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=("latency", "ramp", "idle"))
    parser.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--clients", type=int, default=1000, help="connected clients (two per pair)")
    parser.add_argument("--rate", type=float, default=200, help="messages per second (latency mode)")
    parser.add_argument("--rates", default="200,400,800,1200,1600,2000,2500", help="ramp mode")
    parser.add_argument("--seconds", type=float, default=20, help="seconds of sending per step")
    parser.add_argument("--pool-size", type=int, default=10, help="the server's database pool (per worker)")
    parser.add_argument("--workers", type=int, default=1, help="server processes; above 1 needs --redis")
    parser.add_argument("--redis", help="EPORTFOLIO_REDIS_URL for the server (fan-out between workers)")
    parser.add_argument("--profile", help="write py-spy samples (raw, folded stacks) of each step to this file")
    parser.add_argument("--profile-idle", help="write py-spy samples of 10 s with every client idle")
    parser.add_argument("--revision", default="head", help="migrate the fresh database to this revision")
    parser.add_argument(
        "--warm-all", action="store_true", help="one message from every client before the measured steps"
    )
    args = parser.parse_args()
    if args.seconds * (len(args.rates.split(",")) + 1) > MAX_RUN_SECONDS:
        raise SystemExit(f"a run is bounded to {MAX_RUN_SECONDS} s of sending")
    if args.workers > 1 and not args.redis:
        raise SystemExit("--workers above 1 needs --redis (the in-memory broker reaches one process only)")
    raise_fd_limit(2 * args.clients + 200)
    print(f"{args.mode} on {args.backend}: {args.clients} clients, {args.workers} worker(s); {machine()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="ep-bench-") as tmp:
        workdir = Path(tmp)
        with fresh_database(args.backend, workdir, args.revision) as url:
            started = time.monotonic()
            pairs = asyncio.run(_seed(url, args.clients // 2))
            print(f"seeded {len(pairs)} pairs in {time.monotonic() - started:.1f} s", flush=True)
            with server(url, workdir, args.pool_size, args.workers, args.redis) as (process, port):
                if args.mode == "idle":
                    asyncio.run(_idle_mode(args, port, process.pid, pairs))
                else:
                    rates = [args.rate] if args.mode == "latency" else [float(r) for r in args.rates.split(",")]
                    asyncio.run(_load_mode(args, port, process.pid, pairs, rates))
            print(f"done; {machine()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
