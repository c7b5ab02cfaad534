"""The browser code in real Chromium, under the project's CSP, served by its security middleware.

One page (no inline script) opens and reproduces both golden vector sets, runs Wycheproof, derives
a login key in the KDF Web Worker at the real minimum parameters, and keeps keys in the IndexedDB
session store as non-extractable CryptoKeys until `wipe()`. A second page without X25519 must go
to the "update your browser" page.
"""

from __future__ import annotations

import json
import mimetypes
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from eportfolio.kit.security import CONTENT_SECURITY_POLICY, SecurityMiddleware
from tests.support.browser import launch_chromium

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "frontend" / "static"
TESTS = Path(__file__).resolve().parent

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    mimetypes.add_type("text/javascript", ".mjs")
    app = Starlette(
        routes=[
            Mount("/static", StaticFiles(directory=STATIC)),
            Mount("/crypto-tests", StaticFiles(directory=TESTS)),
        ]
    )
    port = _free_port()
    config = uvicorn.Config(
        SecurityMiddleware(app, secure_cookies=False, hsts=False),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        running.should_exit = True
        thread.join(timeout=10)


async def _run_page(server: str) -> tuple[dict[str, Any], list[str], str]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            page = await browser.new_page()
            console: list[str] = []
            page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
            page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
            response = await page.goto(f"{server}/crypto-tests/browser/index.html")
            assert response is not None
            csp = await response.header_value("content-security-policy") or ""
            output = page.locator("#result")
            await output.and_(page.locator("[data-state]")).wait_for(timeout=120_000)
            state = await output.get_attribute("data-state")
            text = await output.text_content() or ""
            assert state == "done", text + "\n" + "\n".join(console)
            result: dict[str, Any] = json.loads(text)
            return result, console, csp
        finally:
            await browser.close()


@pytest.fixture(scope="module")
def chromium_run(server: str) -> tuple[dict[str, Any], list[str], str]:
    import asyncio

    return asyncio.run(_run_page(server))


def test_the_page_runs_under_the_projects_csp(chromium_run: tuple[dict[str, Any], list[str], str]) -> None:
    result, console, csp = chromium_run
    assert csp == CONTENT_SECURITY_POLICY
    assert result["violations"] == []
    assert not [line for line in console if line.startswith(("error", "pageerror"))]
    assert result["support"] == []


def test_chromium_opens_and_reproduces_both_vector_sets(
    chromium_run: tuple[dict[str, Any], list[str], str],
) -> None:
    result = chromium_run[0]
    for origin in ("python", "js"):
        assert len(result["opened"][origin]) == 17
        assert result["reproduced"][origin] == {"files": 17, "mismatched": []}


def test_chromium_agrees_with_wycheproof_and_the_pinned_acceptable_cases(
    chromium_run: tuple[dict[str, Any], list[str], str],
) -> None:
    assert chromium_run[0]["wycheproofWrong"] == []


def test_the_login_kdf_runs_in_its_worker_at_the_real_minimum(
    chromium_run: tuple[dict[str, Any], list[str], str],
) -> None:
    kdf = chromium_run[0]["kdf"]
    assert kdf["minimumMet"] is True
    assert kdf["matchesPython"] is True
    assert kdf["stages"] == ["loading", "deriving", "done"]
    assert kdf["refusedLow"] is True
    assert max(kdf["times"]) < 10_000, kdf["times"]


def test_the_key_store_keeps_non_extractable_keys_until_wiped(
    chromium_run: tuple[dict[str, Any], list[str], str],
) -> None:
    store = chromium_run[0]["keyStore"]
    assert store["extractable"] == [False, False, False]
    assert store["text"] == "mijn dagboek"
    assert store["signatureOk"] is True
    assert store["exportRefused"] is True
    assert store["wiped"] is True


async def test_a_browser_without_x25519_is_sent_to_the_update_page(server: str) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            page = await browser.new_page()
            await page.goto(f"{server}/crypto-tests/browser/unsupported.html")
            await page.wait_for_url("**/unsupported-browser", timeout=20_000)
        finally:
            await browser.close()
