"""The chat across processes: `eportfolio serve --workers 2` with Redis delivers between clients on
different workers, and a server killed with SIGKILL mid-load loses nothing it acknowledged."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from eportfolio.kit.migrations import upgrade
from tests.support.chat import ChatClient, client_id, session_token
from tests.support.services import POSTGRES_URL, REDIS_URL, absent
from tests.support.world import World, build_world

pytestmark = [pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        absent("Redis", f"{type(exc).__name__} connecting to {REDIS_URL}")


class Server:
    """`eportfolio serve` as a real subprocess in its own process group (so SIGKILL takes all)."""

    def __init__(self, env: dict[str, str], port: int, workers: int) -> None:
        self.env, self.port, self.workers = env, port, workers
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    async def start(self) -> None:
        # Popen returns at once; the wait for the port below is asynchronous.
        self.process = subprocess.Popen(  # noqa: ASYNC220 - Popen returns at once; the wait for the port is asynchronous
            [sys.executable, "-m", "eportfolio.cli", "serve", "--port", str(self.port), "--workers", str(self.workers)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        # A busy machine can take well over 15 s to start two workers; wait up to a minute, and
        # stop the server when it never comes up so it does not linger into later tests.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                await asyncio.sleep(0.5 if self.workers > 1 else 0)  # let every worker start
                return
            except OSError:
                await asyncio.sleep(0.05)
        self.stop()
        raise AssertionError("the server did not start")

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [int(c) for c in children] or [self.process.pid]


def _serving_pid(server: Server, client_port: int) -> int | None:
    """Which worker holds the server side of the TCP connection from ``client_port``."""
    want_local, want_remote = f"{server.port:04X}", f"{client_port:04X}"
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(":" + want_local) and fields[2].endswith(":" + want_remote):
            inode = fields[9]
    if inode is None:
        return None
    for pid in server.worker_pids():
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    return None


async def _pg(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://"), timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database for this run only, on each backend."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"
        upgrade(url)
        yield url
        return
    try:
        asyncio.run(_pg("SELECT 1"))
    except Exception as exc:
        absent("PostgreSQL", f"{type(exc).__name__} connecting to {POSTGRES_URL}")
    name = f"ep_workers_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
    try:
        url = POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
        upgrade(url)
        yield url
    finally:
        asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@asynccontextmanager
async def prepared(database: str) -> AsyncIterator[tuple[World, str, str, str]]:
    """The test world, her conversation with a first epoch, and session tokens for her and her coach."""
    from fastapi import FastAPI

    from eportfolio.app import create_app
    from eportfolio.config import Settings
    from tests.support.client import Browser, settle_and_dispose
    from tests.support.conversations import open_coaching

    app: FastAPI = create_app(
        Settings(env="test", database_url=database, secret_key="t" * 40, base_url="http://testserver")
    )
    try:
        world = await build_world(app.state.sessionmaker)
        async with Browser(app) as browser:
            conversation = await open_coaching(browser, world)
        yield (
            world,
            conversation,
            await session_token(app, world.participant_a),
            await session_token(app, world.coach_a),
        )
    finally:
        await settle_and_dispose(app)


@pytest.fixture
def env(database: str) -> dict[str, str]:
    return {
        **os.environ,
        "EPORTFOLIO_ENV": "test",
        "EPORTFOLIO_DATABASE_URL": database,
        "EPORTFOLIO_SECRET_KEY": "t" * 40,
        "EPORTFOLIO_BASE_URL": "http://testserver",
        "EPORTFOLIO_REDIS_URL": REDIS_URL,
        "EPORTFOLIO_LOG_LEVEL": "WARNING",
    }


@pytest.mark.redis
async def test_two_workers_deliver_to_each_other_through_redis(database: str, env: dict[str, str]) -> None:
    _redis_or_skip()
    server = Server(env, _free_port(), workers=2)
    async with prepared(database) as (_, conversation, mother_token, coach_token):
        await server.start()
        try:
            async with ChatClient.connect(server.url, mother_token, resume={}) as mother:
                mother_pid = _serving_pid(server, mother.socket.local_address[1])
                assert mother_pid is not None
                # Connect the coach until one of her sockets lands on the other worker.
                for _ in range(40):
                    async with ChatClient.connect(server.url, coach_token, resume={}) as coach:
                        coach_pid = _serving_pid(server, coach.socket.local_address[1])
                        if coach_pid is None or coach_pid == mother_pid:
                            continue
                        ack = await mother.message(conversation)
                        received = await coach.until("message")
                        assert received["message"]["seq"] == ack["seq"]
                        answer = await coach.message(conversation)
                        seq = answer["seq"]
                        back = await mother.until("message", lambda f, seq=seq: f["message"]["seq"] == seq)
                        assert back["message"]["author_id"] != received["message"]["author_id"]
                        return
                pytest.fail("no connection reached the second worker in 40 tries")
        finally:
            server.stop()


async def test_after_sigkill_mid_load_every_acknowledged_message_arrives_exactly_once(
    database: str, env: dict[str, str]
) -> None:
    env = {k: v for k, v in env.items() if k != "EPORTFOLIO_REDIS_URL"}
    server = Server(env, _free_port(), workers=1)
    total = 120
    ids = [client_id() for _ in range(total)]
    acked: dict[str, int] = {}
    async with prepared(database) as (_, conversation, mother_token, coach_token):
        await server.start()
        killed = asyncio.Event()

        async def mother_sends() -> None:
            pending = list(ids)
            while pending:
                try:
                    async with ChatClient.connect(server.url, mother_token, resume={}) as mother:
                        while pending:
                            if len(acked) == total // 2 and not killed.is_set():
                                server.kill()
                                killed.set()
                            ack = await mother.message(conversation, cid=pending[0])
                            assert ack["type"] == "ack", ack
                            acked[pending.pop(0)] = ack["seq"]
                except (ConnectionClosed, OSError, TimeoutError):
                    await asyncio.sleep(0.2)  # the server is down: resend the same ids later

        async def restart() -> None:
            await killed.wait()
            await asyncio.sleep(0.5)
            await server.start()

        received: list[int] = []

        async def coach_listens() -> None:
            last = 0
            while len(received) < total:
                try:
                    async with ChatClient.connect(server.url, coach_token) as coach:
                        await coach.send({"type": "resume", "since": {conversation: last}})
                        while len(received) < total:
                            frame = await coach.recv(10)
                            if frame["type"] == "message":
                                received.append(frame["message"]["seq"])
                                last = frame["message"]["seq"]
                except (ConnectionClosed, OSError, TimeoutError):
                    await asyncio.sleep(0.2)

        try:
            await asyncio.wait_for(asyncio.gather(mother_sends(), restart(), coach_listens()), 120)
        finally:
            server.stop()
    assert killed.is_set()
    assert sorted(acked.values()) == list(range(1, total + 1)), "every message stored once, no gap"
    assert received == list(range(1, total + 1)), "every acknowledged message delivered once, in order"
    assert len(set(acked)) == total


async def test_a_coach_whose_assignment_ended_in_another_process_is_refused_at_once(
    database: str, env: dict[str, str]
) -> None:
    """The worker caches who may send to a conversation; the end of her coach's assignment, made by
    another process that shares no broker with it, still refuses his very next message."""
    from eportfolio.app import create_app
    from eportfolio.config import Settings
    from tests.support.client import Browser, settle_and_dispose

    env = {k: v for k, v in env.items() if k != "EPORTFOLIO_REDIS_URL"}
    server = Server(env, _free_port(), workers=1)
    async with prepared(database) as (world, conversation, mother_token, coach_token):
        await server.start()
        try:
            async with ChatClient.connect(server.url, coach_token, resume={}) as coach:
                first = await coach.message(conversation)
                assert first["type"] == "ack", first  # his membership is now cached by the worker

                other = create_app(
                    Settings(env="test", database_url=database, secret_key="t" * 40, base_url="http://testserver")
                )
                try:
                    async with Browser(other) as browser:
                        await browser.log_in_as(world.staff_a)
                        ended = await browser.api(
                            "POST", f"/api/v1/programmes/{world.programme_a}/coach-assignments/{world.assignment_a}/end"
                        )
                        assert ended.status_code == 200, ended.text
                finally:
                    await settle_and_dispose(other)

                refused = await coach.message(conversation)
                assert refused["type"] == "error", refused
                assert refused["code"] == "forbidden", refused
            async with ChatClient.connect(server.url, mother_token, resume={}) as mother:
                ack = await mother.message(conversation)
                assert ack["seq"] == first["seq"] + 1, "his refused message left no gap"
        finally:
            server.stop()
