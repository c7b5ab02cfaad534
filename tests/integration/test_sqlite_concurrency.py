"""On SQLite, many pages at once all succeed. Each page writes (its access-log rows, at its end)
and SQLite has one writer: a request that waits for the write lock longer than the busy timeout
fails with "database is locked". The units of work of one process take their turn instead, so
none waits on SQLite's lock at all; the busy timeout is made short here to show that none does."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import FastAPI

from eportfolio.kit import db
from tests.support.client import Browser
from tests.support.world import World

CONCURRENT = 50


@pytest.fixture(autouse=True)
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 20)


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_pages_at_once_on_sqlite_all_succeed(app: FastAPI, world: World) -> None:
    async with Browser(app) as staff, Browser(app) as mother:
        await staff.log_in_as(world.staff_a)
        await mother.log_in_as(world.participant_a)
        people = f"/manage/programmes/{world.programme_a}/people"
        for client, url in ((staff, people), (mother, "/")):
            assert (await client.get(url)).status_code == 200  # the session's first use writes too
        answers = await asyncio.gather(
            *(staff.get(people) if i % 2 else mother.get("/") for i in range(CONCURRENT))
        )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] * CONCURRENT, statuses
