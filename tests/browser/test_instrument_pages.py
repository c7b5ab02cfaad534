"""Staff add a measurement instrument in real Chromium at 360 px: the list from the programme's
menu, a pasted definition with mistakes refused with each problem named and the text kept, then
fixed and added; nothing on the pages sticks out at the side."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import OVERFLOW, PHONE
from tests.support.live import LiveServer, session_cookie_for
from tests.support.measurements import own_instrument
from tests.support.world import World

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("backend", ["sqlite"])]


def _fits(found: dict[str, Any], where: str) -> None:
    assert found["scrollWidth"] <= found["width"], f"{where}: the page scrolls sideways {found}"


async def test_staff_add_an_instrument_on_a_phone(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str, tmp_path: Path
) -> None:
    world, server = world_and_server
    shots = Path(os.environ.get("EPORTFOLIO_SCREENSHOTS") or tmp_path)
    context = await chromium.new_context(**PHONE)
    await context.add_cookies([await session_cookie_for(database_url, server, world.staff_a)])
    page = await context.new_page()
    await page.goto(f"{server.url}/manage/programmes/{world.programme_a}")
    await page.click(".sub-nav a:has-text('Meetinstrumenten')")
    await page.wait_for_selector("#instruments")
    _fits(await page.evaluate(OVERFLOW), "list")
    await page.screenshot(path=str(shots / "staff-instruments.png"), full_page=True)

    await page.click("a:has-text('Zelfredzaamheidsmatrix')")
    await page.wait_for_selector(".instrument-scale")
    await page.click("summary:has-text('Financiën')")
    await page.screenshot(path=str(shots / "staff-instrument.png"), full_page=True)
    _fits(await page.evaluate(OVERFLOW), "one instrument")

    await page.click("a:has-text('Alle instrumenten')")
    await page.click("a:has-text('Instrument toevoegen')")
    wrong = own_instrument()
    del wrong["description"]["en"]
    await page.fill("#f-definition", json.dumps(wrong, indent=2))
    await page.click("button:has-text('Controleren en toevoegen')")
    problems = page.locator("#instrument-problems")
    await problems.wait_for()
    assert "De definitie heeft 1 probleem. Er is niets toegevoegd." in await problems.inner_text()
    assert "description" in await problems.inner_text()
    assert json.loads(await page.input_value("#f-definition")) == wrong, "what she pasted is kept"
    _fits(await page.evaluate(OVERFLOW), "refused")
    await page.screenshot(path=str(shots / "staff-instrument-refused.png"), full_page=True)

    await page.fill("#f-definition", json.dumps(own_instrument(), indent=2))
    await page.click("button:has-text('Controleren en toevoegen')")
    await page.wait_for_selector("#instrument-added")
    assert "Weekcheck" in await page.locator("h1").inner_text()
    await page.click("a:has-text('Alle instrumenten')")
    assert "Weekcheck" in await page.locator("#instruments").inner_text()
    await context.close()
