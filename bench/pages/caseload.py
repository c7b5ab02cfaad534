"""Server time of a coach's caseload page (/caseload) with 50 participants, and its query count.

    .venv/bin/python bench/pages/caseload.py [--backend sqlite|postgres] [--runs 3] [--requests 300]

Each run makes a fresh, migrated database (SQLite file in a temporary folder, or a PostgreSQL
database ``ep_bench_…`` at ``BENCH_POSTGRES_DSN``, dropped afterwards), seeds one coach with 50
participants, each with a coaching conversation and her messages, answers handed in, a late
assignment and goal plans (``tests/support/caseload.py``: rows written directly, set-up, not what
is measured), and builds a fresh app. The page is then requested in-process through the ASGI
interface (no network, no browser), each request timed from send to the complete answer:

- **cold**: the first request of the fresh app (templates compiled, SQL statements compiled and
  cached by SQLAlchemy, connection pool empty);
- **warm**: the next ``--requests`` requests, one at a time; p50 and p99 of the wall time, and
  the process's CPU time per request (the app, SQLite's thread and the in-process client), which
  says more than wall time on a shared machine.

It prints every run, the medians over the runs, the number of SQL statements of one request, and
the load average before and after (the machine may be shared). Bounded: ``--runs`` at most 10,
``--requests`` at most 2000.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import time
from pathlib import Path
from typing import Any

from harness import database, fresh_app, loadavg, percentile
from sqlalchemy import event
from tests.support.caseload import seed_caseload
from tests.support.client import Browser
from tests.support.world import build_world

PARTICIPANTS = 50  # the world's own participant of the coach and 49 seeded


async def one_run(database_url: str, blob_dir: Path, requests: int) -> dict[str, Any]:
    async with fresh_app(database_url, blob_dir) as app:
        world = await build_world(app.state.sessionmaker)
        await seed_caseload(
            app.state.sessionmaker, organisation_id=world.organisation_id, programme_id=world.programme_a,
            coach_id=world.coach_a, signer_id=world.staff_a, count=PARTICIPANTS - 1,
        )
        async with Browser(app) as browser:
            await browser.log_in_as(world.coach_a)
            started = time.perf_counter()
            page = await browser.get("/caseload")
            cold = (time.perf_counter() - started) * 1000
            assert page.status_code == 200, page.text[:500]
            rows = page.text.count('class="card caseload-row')
            assert rows == PARTICIPANTS, rows
            statements: list[str] = []

            def count(*_: object) -> None:
                statements.append("x")

            engine = app.state.engine.sync_engine
            event.listen(engine, "before_cursor_execute", count)
            await browser.get("/caseload")
            event.remove(engine, "before_cursor_execute", count)
            warm = []
            cpu_started = time.process_time()
            for _ in range(requests):
                started = time.perf_counter()
                answer = await browser.get("/caseload")
                warm.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200
            cpu = (time.process_time() - cpu_started) * 1000 / requests
        return {
            "cold_ms": cold,
            "p50_ms": percentile(warm, 0.50),
            "p99_ms": percentile(warm, 0.99),
            "cpu_ms": cpu,
            "statements": len(statements),
            "rows": rows,
        }


async def run(backend: str, runs: int, requests: int) -> None:
    print(f"caseload page, {PARTICIPANTS} participants, {backend}, {runs} runs x {requests} warm requests")
    print(f"load average before: {loadavg()}")
    results = []
    for number in range(runs):
        async with database(backend) as (url, blobs):
            result = await one_run(url, blobs, requests)
        results.append(result)
        print(
            f"run {number + 1}: cold {result['cold_ms']:.1f} ms, warm p50 {result['p50_ms']:.1f} ms, "
            f"p99 {result['p99_ms']:.1f} ms, CPU {result['cpu_ms']:.1f} ms per request, "
            f"{result['statements']} SQL statements, {result['rows']} rows"
        )
    print(
        "median of runs: cold {:.1f} ms, warm p50 {:.1f} ms, warm p99 {:.1f} ms, CPU {:.1f} ms, "
        "{} SQL statements".format(
            statistics.median(r["cold_ms"] for r in results),
            statistics.median(r["p50_ms"] for r in results),
            statistics.median(r["p99_ms"] for r in results),
            statistics.median(r["cpu_ms"] for r in results),
            statistics.median(r["statements"] for r in results),
        )
    )
    print(f"load average after: {loadavg()}")


def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request would be timed too
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    runs, requests = max(1, min(args.runs, 10)), max(10, min(args.requests, 2000))
    asyncio.run(run(args.backend, runs, requests))


if __name__ == "__main__":
    main()
