"""Smoke test of the management pages in real Chromium at phone width (360 px), without JavaScript."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import PHONE
from tests.support.live import LiveServer, session_cookie_for
from tests.support.world import World

pytestmark = pytest.mark.browser


async def test_staff_manage_a_programme_on_a_phone_without_javascript(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str, tmp_path: Path
) -> None:
    world, server = world_and_server
    context = await chromium.new_context(**PHONE, java_script_enabled=False)
    await context.add_cookies([await session_cookie_for(database_url, server, world.staff_a)])
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    home = await page.goto(f"{server.url}/")
    assert home is not None
    assert home.status == 200
    assert "Staff A" in await page.inner_text("h1")
    await page.click(f"a[href='/manage/programmes/{world.programme_a}']")
    assert "Programme A" in await page.inner_text("h1")
    await page.goto(f"{server.url}/manage/programmes/{world.programme_a}/people")
    await page.fill("#f-display_name", "Fatima")
    await page.select_option("#f-role", "participant")
    await page.click("form[action$='/people'] button[type=submit]")
    await page.wait_for_url("**/people/*")
    assert "Fatima" in await page.inner_text("h1")

    await page.goto(f"{server.url}/manage/programmes/{world.programme_a}/groups")
    await page.fill("#f-name", "Presenteer jezelf")
    await page.fill("#f-capacity", "8")
    await page.click("form[action$='/groups'] button[type=submit]")
    await page.wait_for_url("**/groups/*")
    await page.select_option("#f-person_id", label="Fatima")
    await page.click("form[action$='/members'] button[type=submit]")
    await page.wait_for_load_state()
    assert "Fatima" in await page.inner_text("main")

    # Nothing is wider than the phone: no sideways scrolling at 360 px.
    for path in ("", "/people", "/groups", "/assignments", "/settings"):
        await page.goto(f"{server.url}/manage/programmes/{world.programme_a}{path}")
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path or '/'} is {width}px wide"
        # Checkboxes are reached through their (large) label; everything else must be large itself.
        for box in await page.locator(
            "button, .button, input:not([type=checkbox]):not([type=hidden]), select, label.check"
        ).all():
            if await box.is_visible():
                size = await box.bounding_box()
                assert size is not None
                assert size["height"] >= 44, f"touch target too small on {path}"
    await page.screenshot(path=str(tmp_path / "management-phone.png"), full_page=True)
    assert not errors, errors
    await context.close()
