"""From authoring to review in real Chromium: staff publish at desktop width, a coach gives the
assignment and reviews at phone width, the participant finds it at phone width in Dutch and English.

Answering itself needs the browser's encryption code, which is not built yet; the answers are
saved through the API as opaque envelopes, exactly as that code will send them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.conftest import session_cookie_for
from tests.support.browser import DESKTOP, PHONE
from tests.support.live import LiveServer
from tests.support.modules import envelope
from tests.support.world import World

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("EPORTFOLIO_SCREENSHOTS")  # a folder to keep screenshots in, when set


async def _page(chromium: Any, server: LiveServer, database_url: str, person: Any, size: dict[str, Any]) -> Any:
    context = await chromium.new_context(**size, java_script_enabled=False)
    await context.add_cookies([await session_cookie_for(database_url, server, person)])
    return await context.new_page()


async def _fits_the_phone(page: Any, name: str) -> None:
    if SHOTS:
        await page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{name}: the page is {width}px wide on a 360px phone"


async def test_authoring_to_review_journey(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    a = world.programme_a

    staff = await _page(chromium, server, database_url, world.staff_a, DESKTOP)
    await staff.goto(f"{server.url}/manage/programmes/{a}")
    await staff.click(f"a[href='/manage/programmes/{a}/modules']")
    await staff.fill("#f-title", "Kiezen voor werk")
    await staff.click("form[action$='/modules'] button[type=submit]")
    await staff.wait_for_url("**/modules/*")
    await staff.fill("form[action$='/lessons'] #f-title", "Wat wil jij?")
    await staff.click("form[action$='/lessons'] button[type=submit]")
    await staff.wait_for_url("**/lessons/*")
    await staff.fill("#f-body", "Denk aan **drie** dingen die je goed kunt.")
    await staff.click("form.form button[type=submit]")
    await staff.wait_for_url("**/modules/*")
    await staff.fill("form[action$='/templates'] #f-title", "Mijn werkwensen")
    await staff.click("form[action$='/templates'] button[type=submit]")
    await staff.wait_for_url("**/templates/*")
    new_question = "form[action$='/questions']"
    await staff.select_option(f"{new_question} #f-kind", "scale")
    await staff.fill(f"{new_question} #f-prompt", "Hoe zeker ben je van je keuze?")
    await staff.click(f"{new_question} button[type=submit]")
    await staff.wait_for_load_state()
    assert "Hoe zeker ben je van je keuze?" in await staff.inner_text("main")
    await staff.click("a:has-text('Kiezen voor werk')")
    await staff.click("form[action$='/publish'] button")
    await staff.wait_for_load_state()
    assert "Gepubliceerd" in await staff.inner_text("main")

    preview = await _page(chromium, server, database_url, world.staff_a, PHONE)
    await preview.goto(staff.url + "/preview")
    assert "drie" in await preview.inner_text(".phone-frame strong")
    await _fits_the_phone(preview, "preview")

    coach = await _page(chromium, server, database_url, world.coach_a, PHONE)
    await coach.goto(f"{server.url}/programmes/{a}/assign")
    await _fits_the_phone(coach, "assign")
    options = await coach.eval_on_selector_all("#f-choice option", "els => els.map(e => e.value)")
    await coach.select_option("#f-choice", next(value for value in options if ":" in value))
    await coach.select_option("#f-participant_id", str(world.participant_a))
    await coach.fill("#f-due_on", "2099-06-30")
    await coach.click("form[action$='/assign'] button[type=submit]")
    await coach.wait_for_load_state()
    assert "1 opdracht gegeven" in await coach.inner_text("main")

    mother = await _page(chromium, server, database_url, world.participant_a, PHONE)
    await mother.goto(f"{server.url}/my/assignments")
    assert "Mijn werkwensen" in await mother.inner_text("main")
    assert "Doe het voor 2099-06-30" in await mother.inner_text("main")
    await _fits_the_phone(mother, "due-list")
    await mother.click("a.assignment-link")
    assert "Vraag 1 van 1" in await mother.inner_text("main")
    assert "Hoe zeker ben je van je keuze?" in await mother.inner_text("main")
    await _fits_the_phone(mother, "question-nl")
    await mother.click("form.language-switch button[value='en']")
    await mother.wait_for_load_state()
    assert "Question 1 of 1" in await mother.inner_text("main")
    await _fits_the_phone(mother, "question-en")
    assignment_url = mother.url

    # Her browser would encrypt and save each answer; here the envelopes go through the API.
    cookies = {c["name"]: c["value"] for c in await mother.context.cookies()}
    api = assignment_url.replace(server.url, server.url + "/api/v1")
    async with httpx.AsyncClient(cookies=cookies) as http:
        headers = {"x-csrf-token": cookies["ep_csrf"], "origin": server.url}
        detail = (await http.get(api, headers=headers)).json()
        for question in detail["template"]["questions"]:
            saved = await http.put(f"{api}/answers/{question['key']}", json=envelope(0), headers=headers)
            assert saved.status_code == 200, saved.text
    await mother.goto(assignment_url)
    await mother.click("form[action$='/submit'] button")
    await mother.wait_for_url("**/my/assignments")
    assert "Handed in" in await mother.inner_text("main")

    await coach.goto(f"{server.url}/review")
    assert "Mother A" in await coach.inner_text("main")
    await _fits_the_phone(coach, "review")
    await coach.click("main a:has-text('Mother A')")
    await coach.click("form[action$='/complete'] button")
    await coach.wait_for_url("**/review")
    assert "Niets na te kijken" in await coach.inner_text("main")
