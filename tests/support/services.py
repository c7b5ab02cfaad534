"""Where the real services for the suite are, and how to skip (or, in CI, fail) when one is absent."""

from __future__ import annotations

import os
import shutil

import pytest

POSTGRES_URL = os.environ.get("EPORTFOLIO_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("EPORTFOLIO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CHROMIUM = "/usr/bin/chromium"
REQUIRED = os.environ.get("EPORTFOLIO_REQUIRE_SERVICES") == "1"


def absent(what: str, reason: str) -> None:
    """Skip with a clear reason, except where CI said the service must be there."""
    message = f"{what} is not available: {reason}"
    if REQUIRED:
        pytest.fail(message + " (EPORTFOLIO_REQUIRE_SERVICES=1)")
    pytest.skip(message)


def chromium_path() -> str:
    if not os.path.exists(CHROMIUM) and shutil.which("chromium") is None:
        absent("Chromium", "install Debian's chromium package (apt-get install -y chromium)")
    return CHROMIUM if os.path.exists(CHROMIUM) else str(shutil.which("chromium"))


def pg_admin_dsn() -> str:
    return POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://")


def with_database(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


async def pg_execute(*statements: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(pg_admin_dsn(), timeout=5)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()
