"""Alembic is the only way the schema changes: one head, and every migration runs up and down."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

import eportfolio.tables  # noqa: F401  - registers every table on Base.metadata
from eportfolio.kit.db import Base
from eportfolio.kit.migrations import alembic_config, downgrade, heads, upgrade
from tests.support.services import POSTGRES_URL, absent, pg_execute, with_database


def test_exactly_one_head() -> None:
    assert len(heads()) == 1


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite://"))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}"
        return
    try:
        asyncio.run(pg_execute("SELECT 1"))
    except Exception as exc:
        absent("PostgreSQL", type(exc).__name__)
    name = f"ep_migr_{uuid.uuid4().hex[:10]}"
    asyncio.run(pg_execute(f'CREATE DATABASE "{name}"'))
    yield with_database(POSTGRES_URL, name)
    asyncio.run(pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    finally:
        await engine.dispose()
    return names - {"alembic_version"}


def test_every_migration_runs_up_and_down(empty_database: str) -> None:
    revisions = _revisions()
    for revision in revisions:
        upgrade(empty_database, revision)
    assert asyncio.run(_tables(empty_database)) == set(Base.metadata.tables)
    for revision in reversed(revisions[:-1]):
        downgrade(empty_database, revision)
    downgrade(empty_database, "base")
    assert asyncio.run(_tables(empty_database)) == set()
    upgrade(empty_database, "head")
    assert asyncio.run(_tables(empty_database)) == set(Base.metadata.tables)
