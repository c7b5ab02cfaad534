"""Lessons before questions in real Chromium on a 360 px phone: she reads the module's lessons one
per screen (a lesson is marked read when she has scrolled to its end, or taps "Gelezen, verder"),
sees how far she is, then reaches the questions; her list of assignments shows her progress too.
Long words, wide images, tables and links in a lesson never make the page wider than the phone.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.support.browser import PHONE
from tests.support.live import LiveServer, session_cookie_for
from tests.support.modules_journey import Api
from tests.support.world import World

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("EPORTFOLIO_SCREENSHOTS")

LONG_LESSON = "\n\n".join(
    [
        "## Waar gaat je geld heen?",
        "Schrijf **een week lang** op wat je uitgeeft. Ook kleine dingen, zoals koffie of een buskaartje.",
        "![Een kassabon](/static/icon.svg)",
        "Een heel lang woord past ook: huishoudboekjesbijhoudingsformulierinvulinstructies.",
        "Lees meer op https://www.nibud.nl/onderwerpen/rondkomen/budgetteren-zo-doe-je-dat-stap-voor-stap/",
        "| Uitgave | Per week | Per maand |\n|---|---|---|\n| Boodschappen | 60 euro | 260 euro |\n"
        "| Telefoon | 5 euro | 20 euro |",
        *[f"{n}. Stap {n}: kijk naar je bankafschrift en schrijf elke uitgave op een regel." for n in range(1, 9)],
        "Klaar? Dan weet je waar je geld heen gaat.",
    ]
)


async def _module(server: LiveServer, database_url: str, world: World) -> None:
    """Staff publish "Rondkomen": three lessons, then one assignment, and give it to her."""
    a = world.programme_a
    staff = Api(server, await session_cookie_for(database_url, server, world.staff_a))
    try:
        module = await staff.call("POST", f"/api/v1/programmes/{a}/modules", {"title": "Rondkomen"})
        url = f"/api/v1/programmes/{a}/modules/{module['id']}"
        for title, body in (
            ("Inkomsten en uitgaven", LONG_LESSON),
            ("Sparen voor later", "Zet elke week **5 euro** apart. Dat is 260 euro in een jaar."),
            ("Hulp vragen", "Kom je niet rond? Praat met je coach. Je bent niet de enige."),
        ):
            await staff.call("POST", f"{url}/lessons", {"title": title, "body": body})
        template = await staff.call("POST", f"{url}/templates", {"title": "Mijn maandbudget"})
        await staff.call(
            "POST",
            f"{url}/templates/{template['key']}/questions",
            {"kind": "open_text", "prompt": "Wat geef je elke maand uit aan boodschappen?"},
        )
        await staff.call("POST", f"{url}/publish")
        await staff.call(
            "POST",
            f"/api/v1/programmes/{a}/assignments",
            {"module_id": module["id"], "participant_id": str(world.participant_a), "due_on": "2099-06-30"},
        )
    finally:
        await staff.http.aclose()


async def _fits(page: Any, name: str) -> None:
    if SHOTS:
        await page.screenshot(path=str(Path(SHOTS) / f"lessons-{name}.png"), full_page=True)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{name}: the page is {width}px wide on a 360px phone"


async def test_she_reads_the_lessons_then_answers_on_her_phone(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    await _module(server, database_url, world)
    context = await chromium.new_context(**PHONE)
    await context.add_cookies([await session_cookie_for(database_url, server, world.participant_a)])
    her = await context.new_page()
    errors: list[str] = []
    her.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    her.on("pageerror", lambda e: errors.append(str(e)))

    await her.goto(f"{server.url}/my/assignments")
    card = her.locator(".assignment-card")
    await expect(card).to_contain_text("0 van 3 lessen gelezen · 0 van 1 vragen beantwoord")
    await expect(card).to_contain_text("Doe het voor 30 juni 2099")
    await _fits(her, "list-before")

    # The first lesson, long: it is not read until she has scrolled to its end.
    await her.click("a.assignment-link")
    lesson = her.locator("#lesson")
    await expect(her.locator("main")).to_contain_text("Les 1 van 3")
    await expect(lesson.locator(".lesson-body strong").first).to_have_text("een week lang")
    await expect(lesson.locator(".lesson-body img")).to_be_visible()
    await _fits(her, "lesson-1")
    await her.wait_for_timeout(300)
    await expect(lesson).to_have_attribute("data-read", "false")
    image = await lesson.locator(".lesson-body img").bounding_box()
    assert image is not None
    assert image["x"] + image["width"] <= 360
    button = her.locator("button:has-text('Gelezen, verder')")
    box = await button.bounding_box()
    assert box is not None
    assert box["height"] >= 44, "a thumb can hit it"

    await her.locator("[data-lesson-end]").scroll_into_view_if_needed()
    await expect(lesson).to_have_attribute("data-read", "true")
    await expect(her.locator("[data-lessons-read]")).to_have_text("1 van 3 lessen gelezen")
    await expect(her.locator("[data-progress]")).to_have_attribute("value", "1")

    # "Gelezen, verder" moves on; a short lesson counts as read as soon as it is open.
    await button.click()
    await her.wait_for_url("**?les=1")
    await expect(her.locator("main")).to_contain_text("Les 2 van 3")
    await expect(her.locator("#lesson")).to_have_attribute("data-read", "true")
    await her.click("button:has-text('Gelezen, verder')")
    await her.wait_for_url("**?les=2")
    await expect(her.locator("#lesson")).to_have_attribute("data-read", "true")
    await her.click("summary:has-text('Alle stappen')")
    await expect(her.locator(".step--done")).to_have_count(3)
    await _fits(her, "lesson-3-steps")
    await her.click("button:has-text('Gelezen, verder')")

    # All read: the questions, with her progress above them.
    await her.wait_for_url("**?q=0")
    await expect(her.locator("main")).to_contain_text("Wat geef je elke maand uit aan boodschappen?")
    await expect(her.locator(".module-progress")).to_contain_text("3 van 3 lessen gelezen")
    await _fits(her, "question")

    await her.goto(f"{server.url}/my/assignments")
    await expect(her.locator(".assignment-card")).to_contain_text("3 van 3 lessen gelezen")
    await expect(her.locator(".assignment-card progress")).to_have_attribute("value", "3")
    await _fits(her, "list-after")
    assert errors == [], errors
    await context.close()
