"""Health endpoints, settings that refuse to start, and the `eportfolio` command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from eportfolio.app import ConfigurationError, create_app
from eportfolio.config import DEVELOPMENT_SECRET, Settings
from tests.support.client import Browser


async def test_healthz_and_readyz(browser: Browser) -> None:
    assert (await browser.get("/healthz")).json() == {"status": "ok"}
    ready = await browser.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}


async def test_readyz_reports_pending_migrations(tmp_path: Path) -> None:
    settings = Settings(env="test", database_url=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    app = create_app(settings)
    async with Browser(app) as browser:
        response = await browser.get("/readyz")
    await app.state.engine.dispose()
    assert response.status_code == 503
    assert response.json()["database"] == "migrations pending"


def test_production_refuses_the_default_secret() -> None:
    settings = Settings(env="production", secret_key=DEVELOPMENT_SECRET, base_url="https://e.example")
    with pytest.raises(ConfigurationError, match="EPORTFOLIO_SECRET_KEY"):
        create_app(settings)


def test_production_needs_https_and_a_long_secret() -> None:
    problems = Settings(env="production", secret_key="short", base_url="http://e.example").problems()
    assert len(problems) == 2
    assert any("32 characters" in p for p in problems)
    assert any("https://" in p for p in problems)


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "eportfolio.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
        check=False,
    )


def test_cli_migrate_demo_check_create_admin(tmp_path: Path) -> None:
    # A folder that does not exist yet, as var/ on a fresh clone.
    env = {
        "EPORTFOLIO_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'var' / 'cli.db'}",
        "EPORTFOLIO_ENV": "development",
    }
    check = _cli("check", env=env)
    assert check.returncode == 1
    assert "not at the newest migration" in check.stdout
    assert _cli("migrate", env=env).returncode == 0
    admin = _cli("create-admin", "--name", "Annet", env=env)
    assert admin.returncode == 0, admin.stderr
    assert "code: " in admin.stdout
    first = _cli("demo", env=env)
    assert first.returncode == 0, first.stderr
    assert "programme Smart Mama Emmen" in first.stdout
    assert "welkom-fatima" in first.stdout, "demo logins are printed"
    again = _cli("demo", env=env)
    assert again.returncode == 0
    assert again.stdout.strip().splitlines()[-1].startswith("0 created"), "re-running the demo changes nothing"
    assert "welkom-fatima" in again.stdout, "make run shows the demo logins on every run"
    assert "ervaringscoach.emmen" in again.stdout
    assert "peer coach" in again.stdout
    assert _cli("check", env=env).stdout.startswith("ok:")
    refused = _cli("create-admin", "--name", "Someone", env=env)
    assert refused.returncode == 1, "once an administrator has an account, only admins invite admins"
    assert refused.stderr.startswith("error: An organisation administrator exists already"), refused.stderr
    no_password = _cli("create-admin", "--password", "secret123", env=env)
    assert no_password.returncode == 2, "a password is never taken on the command line"


def test_demo_refuses_outside_development(tmp_path: Path) -> None:
    env = {"EPORTFOLIO_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'p.db'}", "EPORTFOLIO_ENV": "test"}
    result = _cli("demo", env=env)
    assert result.returncode == 2
    assert "refuses" in result.stderr


def test_check_names_each_misconfiguration_in_one_line(tmp_path: Path) -> None:
    env = {
        "EPORTFOLIO_ENV": "production",
        "EPORTFOLIO_SECRET_KEY": DEVELOPMENT_SECRET,
        "EPORTFOLIO_BASE_URL": "http://insecure.example",
        "EPORTFOLIO_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none",
    }
    result = _cli("check", env=env)
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if line.startswith("problem:")]
    assert len(lines) == 3, result.stdout
    assert any("EPORTFOLIO_SECRET_KEY" in line for line in lines)
    assert any("database unreachable" in line for line in lines)
    bad_url = _cli("check", env={"EPORTFOLIO_DATABASE_URL": "mysql://x"})
    assert bad_url.returncode == 1
    assert "EPORTFOLIO_DATABASE_URL" in bad_url.stdout
