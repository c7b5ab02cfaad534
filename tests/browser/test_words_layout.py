"""At 360 px in real Chromium: the chat's text box has room, nothing sticks out at the side of
the chat or the staff's figures, the readers line keeps its space, and counts use her plural."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import OVERFLOW, PHONE
from tests.support.client import Browser
from tests.support.live import LiveServer, session_cookie_for
from tests.support.modules import published_module
from tests.support.world import World

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("backend", ["sqlite"])]

async def _phone(chromium: Any, database_url: str, server: LiveServer, person: Any) -> Any:
    context = await chromium.new_context(**PHONE)
    await context.add_cookies([await session_cookie_for(database_url, server, person)])
    return context


def _assert_fits(found: dict[str, Any], where: str) -> None:
    assert found["scrollWidth"] <= found["width"], f"{where}: the page scrolls sideways {found}"
    assert found["out"] == [], f"{where}: cut off at the right {found['out']}"


async def test_chat_conversation_at_360_px(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str, browser: Browser, tmp_path: Path
) -> None:
    world, server = world_and_server
    await browser.log_in_as(world.participant_a)
    opened = await browser.post_form(f"/chat/programmes/{world.programme_a}/coaching")
    assert opened.status_code == 303
    conversation = opened.headers["location"]

    context = await _phone(chromium, database_url, server, world.participant_a)
    page = await context.new_page()
    await page.goto(server.url + conversation)
    await page.locator("#chat-text").wait_for(state="attached")
    _assert_fits(await page.evaluate(OVERFLOW), "chat")
    text_box = await page.locator("#chat-text").bounding_box()
    assert text_box is not None
    assert text_box["width"] >= 200, f"the text box is squeezed to {text_box['width']} px"
    for button in ("#chat-send", "#chat-attach"):
        box = await page.locator(button).bounding_box()
        assert box is not None
        assert box["height"] >= 44, f"{button} is too small to tap"
    # The readers line as the script fills it in: a space after the colon, as written.
    await page.locator("#chat-readers-names").evaluate("(names) => { names.textContent = 'Samira'; }")
    assert await page.locator("#chat-readers-summary").inner_text() == "Wie dit gesprek kan lezen: Samira"
    await page.screenshot(path=str(tmp_path / "chat-360.png"), full_page=True)
    await context.close()


async def test_staff_figures_at_360_px(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str, browser: Browser, tmp_path: Path
) -> None:
    world, server = world_and_server
    module = await published_module(browser, world)
    await browser.log_in_as(world.staff_a)  # staff give it; a coach would need a signed assignment
    given = await browser.api(
        "POST",
        f"/api/v1/programmes/{world.programme_a}/assignments",
        json={
            "module_id": module["module_id"],
            "template_key": module["template_key"],
            "participant_id": str(world.participant_a),
            "due_on": "2099-01-31",
        },
    )
    assert given.status_code == 201, given.text

    context = await _phone(chromium, database_url, server, world.staff_a)
    page = await context.new_page()
    await page.goto(f"{server.url}/manage/programmes/{world.programme_a}/completion")
    table = page.locator("table.figures")
    await table.wait_for()
    _assert_fits(await page.evaluate(OVERFLOW), "completion")
    # Nothing hidden in a box she would have to scroll sideways either.
    hidden = await page.locator(".table-scroll").evaluate("(box) => box.scrollWidth - box.clientWidth")
    assert hidden <= 0, f"{hidden} px of the table are out of sight"
    row = page.locator("table.figures tbody tr").first
    assert "Kiezen voor werk" in await row.inner_text()
    shown = await row.locator("td").evaluate_all(
        "(cells) => cells.map((cell) => `${getComputedStyle(cell, '::before').content} ${cell.textContent}`)"
    )
    assert shown[:2] == ['"Groep" Apart gegeven', '"Te doen" 1'], "each number says what it counts"
    await page.screenshot(path=str(tmp_path / "completion-360.png"), full_page=True)
    await context.close()


async def test_counts_in_scripts_use_her_plural(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    context = await _phone(chromium, database_url, server, world.participant_a)
    page = await context.new_page()
    await page.goto(f"{server.url}/portfolio/programmes/{world.programme_a}")
    await page.locator("#portfolio-messages").wait_for(state="attached")
    counted = await page.evaluate(
        """async () => {
          const { plural } = await import('/static/js/shared/dom.js');
          const words = document.getElementById('portfolio-messages').dataset;
          return [1, 2, 0].map((n) => plural(words.comments, n)).concat([plural(words.progress, 1, { done: 0 })]);
        }"""
    )
    assert counted == ["1 reactie", "2 reacties", "0 reacties", "0 van 1 stap gedaan"]
    await context.close()


async def test_a_long_login_name_fits_her_account_page_at_360_px(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    from sqlalchemy import update

    from eportfolio.accounts.tables import Account
    from eportfolio.kit.db import make_engine, make_sessionmaker
    from eportfolio.kit.uow import unit_of_work
    from eportfolio.programmes.tables import Person
    from tests.support.world_keys import keys_in

    world, server = world_and_server
    engine = make_engine(database_url)
    try:
        async with unit_of_work(make_sessionmaker(engine)) as uow:
            await keys_in(uow, world)
            await uow.session.flush()
            # The demo's peer coach: her login pushed the page 50 px past a phone's edge.
            long = {"login": "ervaringscoach.emmen"}
            await uow.session.execute(update(Account).where(Account.person_id == world.coach_a).values(**long))
            name = {"display_name": "Yasmina Ervaringscoach"}
            await uow.session.execute(update(Person).where(Person.id == world.coach_a).values(**name))
    finally:
        await engine.dispose()
    context = await _phone(chromium, database_url, server, world.coach_a)
    page = await context.new_page()
    await page.goto(f"{server.url}/account")
    await page.locator("dl.facts").wait_for()
    assert "ervaringscoach" in await page.locator("dl.facts").inner_text()
    _assert_fits(await page.evaluate(OVERFLOW), "account")
    await context.close()
