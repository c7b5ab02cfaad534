"""Browser tests: real Chromium against a real server on 127.0.0.1, with a fresh database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from eportfolio.kit.db import make_engine, make_sessionmaker
from tests.support.browser import launch_chromium
from tests.support.live import LiveServer, live_server
from tests.support.world import World, build_world


@pytest.fixture
def world_and_server(database_url: str, tmp_path: Path) -> Iterator[tuple[World, LiveServer]]:
    async def prepare() -> World:
        engine = make_engine(database_url)
        try:
            return await build_world(make_sessionmaker(engine))
        finally:
            await engine.dispose()

    world = asyncio.run(prepare())
    with live_server(database_url, tmp_path) as server:
        yield world, server


@pytest.fixture
async def chromium() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        try:
            yield browser
        finally:
            await browser.close()
