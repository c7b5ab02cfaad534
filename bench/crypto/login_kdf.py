"""Time one login KDF (Argon2id, 64 MiB, t=3, p=1) in Python, in Node and in Chromium's worker.

    .venv/bin/python bench/crypto/login_kdf.py [runs]

Chromium runs the KDF Web Worker under the project's CSP, served by the project's security
middleware on 127.0.0.1; Node runs the same `kdf.js` directly. Prints the median and all runs.
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from eportfolio.crypto import KdfParams, derive_login_secrets
from eportfolio.kit.security import SecurityMiddleware

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
sys.path.insert(0, str(ROOT))  # the launch flags are the test suite's, kept in one place

from tests.support.browser import CHROMIUM_ARGS  # noqa: E402 - after the path above, which the test-suite imports need


def python_runs(runs: int) -> list[int]:
    params = KdfParams.new()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        derive_login_secrets("mama.noor", "zon op het water", params)
        times.append(round((time.perf_counter() - started) * 1000))
    return times


def node_runs(runs: int) -> list[int] | None:
    node = shutil.which("node")
    if node is None:
        return None
    script = ROOT / "bench" / "crypto" / "login-kdf.mjs"
    out = subprocess.run([node, str(script), str(runs)], capture_output=True, text=True, check=True)
    times: list[int] = json.loads(out.stdout)["runs_ms"]
    return times


def chromium_runs(runs: int) -> list[int] | None:
    if not Path(CHROMIUM).exists():
        return None
    mimetypes.add_type("text/javascript", ".mjs")
    app = Starlette(
        routes=[
            Mount("/static", StaticFiles(directory=ROOT / "frontend" / "static")),
            Mount("/bench", StaticFiles(directory=ROOT / "bench" / "crypto")),
        ]
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            SecurityMiddleware(app, secure_cookies=False, hsts=False),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        return asyncio.run(_drive_chromium(f"http://127.0.0.1:{port}/bench/page.html?runs={runs}"))
    finally:
        server.should_exit = True
        thread.join(timeout=10)


async def _drive_chromium(url: str) -> list[int]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            await page.goto(url)
            await page.locator("#result[data-state=done]").wait_for(timeout=120_000)
            times: list[int] = json.loads(await page.locator("#result").text_content() or "")["runs_ms"]
            return times
        finally:
            await browser.close()


def report(name: str, times: list[int] | None) -> None:
    if times is None:
        print(f"{name:10} not available")
        return
    print(f"{name:10} median {statistics.median(times):6.0f} ms   runs {times}")


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    print("one login KDF: Argon2id 64 MiB, t=3, p=1, 64-byte output")
    report("python", python_runs(runs))
    report("node", node_runs(runs))
    report("chromium", chromium_runs(runs))


if __name__ == "__main__":
    main()
