"""Fixtures shared by the whole suite: a fresh migrated database per test on SQLite and PostgreSQL,
the app on it, and an HTTP client that behaves like a browser (cookies, CSRF token)."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from eportfolio.app import create_app
from eportfolio.config import Settings
from eportfolio.kit.migrations import upgrade
from tests.support.client import Browser, settle_and_dispose
from tests.support.services import POSTGRES_URL, absent, pg_execute, with_database
from tests.support.world import World, build_world

BACKENDS = ("sqlite", "postgres")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    try:
        asyncio.run(pg_execute("SELECT 1"))
    except Exception as exc:
        absent("PostgreSQL", f"{type(exc).__name__} connecting to {POSTGRES_URL}")
    name = f"ep_template_{uuid.uuid4().hex[:10]}"
    asyncio.run(pg_execute(f'CREATE DATABASE "{name}"'))
    upgrade(with_database(POSTGRES_URL, name))
    yield name
    asyncio.run(pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database for this test only."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "test.db"
        shutil.copyfile(template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    template_name: str = request.getfixturevalue("postgres_template")
    name = f"ep_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(pg_execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"'))
    yield with_database(POSTGRES_URL, name)
    asyncio.run(pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        env="test",
        database_url=database_url,
        secret_key="test-secret-" + "x" * 40,
        base_url="http://testserver",
        blob_dir=tmp_path / "blobs",
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    yield application
    await settle_and_dispose(application)


@pytest.fixture
async def world(app: FastAPI) -> World:
    return await build_world(app.state.sessionmaker)


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[Browser]:
    async with Browser(app) as client:
        yield client
