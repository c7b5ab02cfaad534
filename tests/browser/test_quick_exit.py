"""Quick exit in real Chromium: Escape twice wipes the session's keys and leaves at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eportfolio.kit.db import make_engine, make_sessionmaker
from tests.support.browser import PHONE
from tests.support.live import live_server, session_cookie_for
from tests.support.world import World, build_world

pytestmark = pytest.mark.browser


async def _world(database_url: str) -> World:
    engine = make_engine(database_url)
    try:
        return await build_world(make_sessionmaker(engine))
    finally:
        await engine.dispose()


async def test_escape_twice_leaves_and_ends_the_session(chromium: Any, database_url: str, tmp_path: Path) -> None:
    world = await _world(database_url)
    # The neutral site is outside; here a page of our own stands in for it.
    with live_server(database_url, tmp_path, extra_env={"EPORTFOLIO_QUICK_EXIT_URL": "/healthz"}) as server:
        context = await chromium.new_context(**PHONE)
        await context.add_cookies([await session_cookie_for(database_url, server, world.participant_a)])
        page = await context.new_page()
        await page.goto(f"{server.url}/")
        # Stand-in for the keys a login keeps in this browser's session store.
        await page.evaluate(
            """() => new Promise((resolve, reject) => {
                const opening = indexedDB.open('eportfolio-keys', 1);
                opening.onupgradeneeded = () => opening.result.createObjectStore('session');
                opening.onsuccess = () => { opening.result.close(); resolve(); };
                opening.onerror = () => reject(opening.error);
            })"""
        )
        assert "eportfolio-keys" in await page.evaluate("indexedDB.databases().then((d) => d.map((x) => x.name))")
        await page.keyboard.press("Escape")
        await page.keyboard.press("Escape")
        await page.wait_for_url(f"{server.url}/healthz")
        databases = await page.evaluate("indexedDB.databases().then((d) => d.map((x) => x.name))")
        assert "eportfolio-keys" not in databases
        await page.goto(f"{server.url}/")
        assert await page.locator("nav.nav").count() == 0, "she is logged out: no menu of hers"
        assert await page.locator("a.quick-exit").count() == 1, "the quick exit stays, also logged out"
        await context.close()
