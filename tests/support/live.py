"""A real server on 127.0.0.1 in a subprocess, for browser tests and multi-process tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from eportfolio.accounts.sessions import SESSION_COOKIE, start_session
from eportfolio.config import Settings
from eportfolio.kit.db import make_engine, make_sessionmaker
from eportfolio.kit.uow import unit_of_work


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def live_server(
    database_url: str,
    log_dir: Path,
    *,
    workers: int = 1,
    extra_env: dict[str, str] | None = None,
    follow_address: bool = False,
) -> Iterator[LiveServer]:
    """``follow_address``: leave EPORTFOLIO_BASE_URL unset, so the server takes the address it
    serves on (as `make run PORT=…` does)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **{k: v for k, v in os.environ.items() if k != "EPORTFOLIO_BASE_URL"},
        "EPORTFOLIO_ENV": "test",
        "EPORTFOLIO_DATABASE_URL": database_url,
        "EPORTFOLIO_SECRET_KEY": "live-test-secret-" + "y" * 32,
        "EPORTFOLIO_BLOB_DIR": str(log_dir / "blobs"),
        **({} if follow_address else {"EPORTFOLIO_BASE_URL": url}),
        **(extra_env or {}),
    }
    log_path = log_dir / f"server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "eportfolio.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(url, port, process, log_path)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{server.log()}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not start in 30 s:\n{server.log()}")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def session_cookie_for(database_url: str, server: LiveServer, person_id: uuid.UUID) -> dict[str, Any]:
    """A session cookie as a login would set it (the login flow itself is tested elsewhere)."""
    engine = make_engine(database_url)
    try:
        async with unit_of_work(make_sessionmaker(engine)) as uow:
            _, token = await start_session(uow, Settings(env="test", database_url=database_url), person_id)
    finally:
        await engine.dispose()
    return {"name": SESSION_COOKIE, "value": token, "url": server.url}


async def in_database(database_url: str, *statements: Any) -> None:
    """Run statements on the live server's database in one committed transaction, behind its back
    (as set-up, or as a server that lies would have written them)."""
    engine = make_engine(database_url)
    try:
        async with unit_of_work(make_sessionmaker(engine)) as uow:
            for statement in statements:
                await uow.session.execute(statement)
    finally:
        await engine.dispose()
