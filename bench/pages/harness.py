"""What every page benchmark shares: a fresh, migrated database per run, a fresh app, a signed-in
in-process client, the statement count of one request, and the two measurements (one client; 50
concurrent requests).

Everything runs in one process through the ASGI interface (httpx's ``ASGITransport``: no network,
no uvicorn, no browser). What is timed is the app's own work for a request plus the in-process
client's, which a real deployment does not pay; it is an upper bound of the server time.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the seeding is the test suite's, kept in one place

import httpx  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from sqlalchemy import event  # noqa: E402

from eportfolio.app import create_app  # noqa: E402
from eportfolio.config import Settings  # noqa: E402
from eportfolio.kit.migrations import upgrade  # noqa: E402

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
CONCURRENCY = 50


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def _postgres(dsn: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@asynccontextmanager
async def database(backend: str) -> AsyncIterator[tuple[str, Path]]:
    """A fresh, migrated database (SQLite file in a temporary folder, or a PostgreSQL database
    ``ep_bench_…`` at ``BENCH_POSTGRES_DSN``, dropped afterwards) and a folder for blobs."""
    dsn = os.environ.get("BENCH_POSTGRES_DSN", DEFAULT_POSTGRES)
    with tempfile.TemporaryDirectory(prefix="ep-bench-") as folder:
        if backend == "sqlite":
            url = f"sqlite+aiosqlite:///{folder}/bench.db"
            await asyncio.to_thread(upgrade, url)
            yield url, Path(folder) / "blobs"
            return
        name = f"ep_bench_{uuid.uuid4().hex[:10]}"
        await _postgres(dsn, f'CREATE DATABASE "{name}"')
        try:
            base = dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
            url = f"{base}/{name}"
            await asyncio.to_thread(upgrade, url)
            yield url, Path(folder) / "blobs"
        finally:
            await _postgres(dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@asynccontextmanager
async def fresh_app(database_url: str, blob_dir: Path) -> AsyncIterator[FastAPI]:
    settings = Settings(
        env="test", database_url=database_url, secret_key="bench-secret-" + "x" * 40,
        base_url="http://testserver", blob_dir=blob_dir, log_level=os.environ.get("BENCH_LOG_LEVEL", "CRITICAL"),
    )
    app = create_app(settings)
    try:
        yield app
    finally:
        await app.state.engine.dispose()


def client(app: FastAPI, cookies: httpx.Cookies | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url="http://testserver",
        cookies=cookies,
    )


async def statements_of(app: FastAPI, http: httpx.AsyncClient, url: str) -> int:
    """How many SQL statements one (warm) request runs."""
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        answer = await http.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert answer.status_code == 200, (url, answer.status_code, answer.text[:300])
    return len(seen)


async def one_client(http: httpx.AsyncClient, url: str, requests: int) -> dict[str, float]:
    """``requests`` requests one after the other: p50/p99 wall time, and the process's CPU time
    per request (steadier than wall time on a shared machine)."""
    times = []
    cpu_started = time.process_time()
    for _ in range(requests):
        started = time.perf_counter()
        answer = await http.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (url, answer.status_code)
    cpu = (time.process_time() - cpu_started) * 1000 / requests
    return {"p50_ms": percentile(times, 0.50), "p99_ms": percentile(times, 0.99), "cpu_ms": cpu}


async def concurrent(
    http: httpx.AsyncClient, url: str, requests: int, concurrency: int = CONCURRENCY
) -> dict[str, float]:
    """``requests`` requests with ``concurrency`` of them in flight at all times (closed loop):
    good pages (200) per second over the whole batch, p99 of each request's time, and how many
    answers were not a 200 (counted, not hidden: a failed page is no page)."""
    times: list[float] = []
    failed = 0
    remaining = requests

    async def worker() -> None:
        nonlocal remaining, failed
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            answer = await http.get(url)
            times.append((time.perf_counter() - started) * 1000)
            failed += answer.status_code != 200

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {
        "per_s": (len(times) - failed) / elapsed,
        "c_p50_ms": percentile(times, 0.50),
        "c_p99_ms": percentile(times, 0.99),
        "failed": float(failed),
    }


@dataclass
class Page:
    """One page to measure: its address, who asks for it, and a check on its answer."""

    name: str
    url: str
    cookies: httpx.Cookies
    check: Callable[[httpx.Response], None] = lambda _answer: None
    results: list[dict[str, float]] = field(default_factory=list)


async def measure(app: FastAPI, page: Page, *, requests: int, concurrent_requests: int) -> dict[str, float]:
    async with client(app, page.cookies) as http:
        first = await http.get(page.url)  # cold: templates and statements compiled, pool filled
        assert first.status_code == 200, (page.url, first.status_code, first.text[:300])
        page.check(first)
        for _ in range(5):
            await http.get(page.url)
        statements = await statements_of(app, http, page.url)
        result = {"statements": float(statements)}
        result.update(await one_client(http, page.url, requests))
        result.update(await concurrent(http, page.url, concurrent_requests))
    page.results.append(result)
    return result


def median_of(results: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in results)


def report(pages: list[Page]) -> None:
    print()
    print(
        "| page | SQL statements | p50 (1 client) | p99 (1 client) | CPU per request "
        "| pages/s (50 concurrent) | p99 (50 concurrent) | failed |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for page in pages:
        if not page.results:
            continue
        print(
            f"| {page.name} | {median_of(page.results, 'statements'):.0f} "
            f"| {median_of(page.results, 'p50_ms'):.1f} ms | {median_of(page.results, 'p99_ms'):.1f} ms "
            f"| {median_of(page.results, 'cpu_ms'):.1f} ms | {median_of(page.results, 'per_s'):.0f} "
            f"| {median_of(page.results, 'c_p99_ms'):.0f} ms | {sum(r['failed'] for r in page.results):.0f} |"
        )


Seeder = Callable[[FastAPI], Awaitable[list[Page]]]


async def run_all(backend: str, runs: int, requests: int, concurrent_requests: int, seed: Seeder,
                  only: set[str] | None = None) -> list[Page]:
    """``runs`` fresh databases and apps; every page measured in each; medians printed."""
    pages_by_name: dict[str, Page] = {}
    print(f"{backend}: {runs} runs, {requests} requests one by one, {concurrent_requests} at {CONCURRENCY} concurrent")
    print(f"load average before: {loadavg()}")
    for number in range(runs):
        async with database(backend) as (url, blobs), fresh_app(url, blobs) as app:
            for page in await seed(app):
                if only and not any(page.name.startswith(prefix) for prefix in only):
                    continue
                kept = pages_by_name.setdefault(page.name, page)
                kept.url, kept.cookies = page.url, page.cookies
                try:
                    result = await measure(app, kept, requests=requests, concurrent_requests=concurrent_requests)
                except AssertionError as refused:  # a page that does not answer 200 one by one
                    print(f"run {number + 1} {page.name}: FAILED {str(refused)[:300]}", flush=True)
                    continue
                print(
                    f"run {number + 1} {page.name}: {result['statements']:.0f} statements, "
                    f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, CPU {result['cpu_ms']:.1f} ms; "
                    f"{result['per_s']:.0f}/s at {CONCURRENCY}, p99 {result['c_p99_ms']:.0f} ms, "
                    f"{result['failed']:.0f} failed  (load {loadavg()[:14]})",
                    flush=True,
                )
    pages = list(pages_by_name.values())
    report(pages)
    print(f"load average after: {loadavg()}")
    return pages
