"""From authoring to feedback in real Chromium: staff publish at desktop width, a coach gives the
assignment, the participant answers at phone width in Dutch and English, one question per screen,
with an encrypted draft that survives a reload; she hands in, her coach opens the answer and
writes feedback, and she reads it. A marker she types reaches the server only as ciphertext.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, literal_column, select, table

from eportfolio.kit.db import make_engine
from tests.browser.conftest import session_cookie_for
from tests.browser.test_portfolio_journey import _cast, _phone
from tests.support.browser import DESKTOP, PHONE
from tests.support.live import LiveServer
from tests.support.world import World

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("EPORTFOLIO_SCREENSHOTS")  # a folder to keep screenshots in, when set
CANARY = "CANARY-7f3a-kiezen"
READY = "#assignment[data-ready=true]"


async def _page(chromium: Any, server: LiveServer, database_url: str, person: Any, size: dict[str, Any]) -> Any:
    context = await chromium.new_context(**size, java_script_enabled=False)
    await context.add_cookies([await session_cookie_for(database_url, server, person)])
    return await context.new_page()


async def _fits_the_phone(page: Any, name: str) -> None:
    if SHOTS:
        await page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{name}: the page is {width}px wide on a 360px phone"


async def _publish(staff: Any, server: LiveServer, programme: Any) -> None:
    await staff.goto(f"{server.url}/manage/programmes/{programme}")
    await staff.click(f"a[href='/manage/programmes/{programme}/modules']")
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
    for kind, prompt in (("open_text", "Welk werk past bij jou?"), ("scale", "Hoe zeker ben je van je keuze?")):
        await staff.select_option(f"{new_question} #f-kind", kind)
        await staff.fill(f"{new_question} #f-prompt", prompt)
        await staff.click(f"{new_question} button[type=submit]")
        await staff.wait_for_load_state()
        assert prompt in await staff.inner_text("main")
    await staff.click("a:has-text('Kiezen voor werk')")
    await staff.click("form[action$='/publish'] button")
    await staff.wait_for_load_state()
    assert "Gepubliceerd" in await staff.inner_text("main")


async def _everything_stored(database_url: str) -> str:
    """Every row of every table, as text: where a marker typed in the browser must not appear."""
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
            parts = []
            for name in names:
                rows = await connection.execute(select(literal_column("*")).select_from(table(name)))
                parts.extend(repr(tuple(row)) for row in rows)
    finally:
        await engine.dispose()
    return "\n".join(parts)


async def _drafts_on_the_phone(page: Any) -> str:
    return str(
        await page.evaluate(
            """() => new Promise((resolve) => {
                const open = indexedDB.open('eportfolio-drafts');
                open.onsuccess = () => {
                    const all = open.result.transaction('drafts').objectStore('drafts').getAll();
                    all.onsuccess = () => resolve(JSON.stringify(all.result.map((d) => Array.from(d.envelope))));
                };
            })"""
        )
    )


async def test_authoring_to_feedback_journey(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    a = world.programme_a
    await _cast(server, database_url, world)
    errors: list[str] = []
    bodies: list[str] = []

    staff = await _page(chromium, server, database_url, world.staff_a, DESKTOP)
    await _publish(staff, server, a)
    preview = await _page(chromium, server, database_url, world.staff_a, PHONE)
    await preview.goto(staff.url + "/preview")
    assert "drie" in await preview.inner_text(".phone-frame strong")
    await _fits_the_phone(preview, "preview")

    giver = await _page(chromium, server, database_url, world.coach_a, PHONE)
    await giver.goto(f"{server.url}/programmes/{a}/assign")
    await _fits_the_phone(giver, "assign")
    options = await giver.eval_on_selector_all("#f-choice option", "els => els.map(e => e.value)")
    await giver.select_option("#f-choice", next(value for value in options if ":" in value))
    await giver.select_option("#f-participant_id", str(world.participant_a))
    await giver.fill("#f-due_on", "2099-06-30")
    await giver.click("form[action$='/assign'] button[type=submit]")
    await giver.wait_for_load_state()
    assert "1 opdracht gegeven" in await giver.inner_text("main")

    # She logs in on her phone (her keys are unlocked there) and answers in Dutch.
    her = await _phone(chromium, server, "mother.a", errors)
    her.on("request", lambda r: bodies.append(r.post_data or ""))
    await her.click("a[href='/my/assignments']")
    assert "Mijn werkwensen" in await her.inner_text("main")
    assert "Doe het voor 2099-06-30" in await her.inner_text("main")
    await _fits_the_phone(her, "due-list")
    await her.click("a.assignment-link")
    await her.wait_for_selector(READY, timeout=30_000)
    assert "Vraag 1 van 2" in await her.inner_text("main")
    assert await her.locator(".question-screen fieldset.question").count() == 1, "one question per screen"
    await her.fill("fieldset.question textarea", f"Iets in de zorg. {CANARY}")
    await her.wait_for_function("() => document.getElementById('draft-status').textContent.length > 0")
    assert CANARY not in await _drafts_on_the_phone(her), "the draft on her phone is encrypted"
    await _fits_the_phone(her, "question-nl")

    # The connection drops and the page is reloaded: her draft comes back from the phone.
    await her.reload()
    await her.wait_for_selector(READY, timeout=30_000)
    assert CANARY in await her.input_value("fieldset.question textarea")
    assert await her.locator("fieldset.question textarea").is_enabled()
    await her.click("a[data-move]:has-text('Volgende')")
    await her.wait_for_url("**?q=1")
    await her.wait_for_selector(READY, timeout=30_000)
    assert "Vraag 2 van 2" in await her.inner_text("main")

    # In English now; the saved answer opens again on her phone.
    await her.click("form.language-switch button[value='en']")
    await her.wait_for_load_state()
    await her.wait_for_selector(READY, timeout=30_000)
    if "Question 1 of 2" in await her.inner_text("main"):
        assert CANARY in await her.input_value("fieldset.question textarea")
        await her.click("a[data-move]:has-text('Next')")
        await her.wait_for_url("**?q=1")
        await her.wait_for_selector(READY, timeout=30_000)
    assert "Question 2 of 2" in await her.inner_text("main")
    await her.check("fieldset.question input[value='4']")
    await _fits_the_phone(her, "question-en")
    await her.click("#hand-in button[type=submit]")
    await her.wait_for_url("**/my/assignments")
    assert "Handed in" in await her.inner_text("main")

    # Her coach reads the answer on his phone and writes feedback, sealed there.
    coach = await _phone(chromium, server, "coach.a", errors)
    coach.on("request", lambda r: bodies.append(r.post_data or ""))
    await coach.goto(f"{server.url}/review")
    assert "Mother A" in await coach.inner_text("main")
    await _fits_the_phone(coach, "review")
    await coach.click("main a:has-text('Mother A')")
    await coach.wait_for_selector(READY, timeout=30_000)
    answers = coach.locator("fieldset.question textarea")
    assert CANARY in await answers.input_value()
    assert not await answers.is_enabled(), "her coach reads, he does not change her answer"
    assert await coach.is_checked("fieldset.question input[value='4']")
    await coach.fill("#f-feedback", "Goed gekozen! Bel de zorgschool maandag.")
    await coach.click("#feedback-form button[type=submit]")
    await coach.wait_for_selector("#feedback li [data-text]:has-text('Bel de zorgschool')", timeout=30_000)
    await _fits_the_phone(coach, "feedback")

    # She sees the feedback.
    await her.click("a.assignment-link")
    await her.wait_for_selector(READY, timeout=30_000)
    assert "Bel de zorgschool maandag" in await her.inner_text("#feedback")
    await _fits_the_phone(her, "feedback-read")

    # Her coach marks it as done: nothing waits in the queue.
    await coach.click("form[action$='/complete'] button")
    await coach.wait_for_url("**/review")
    queue = await coach.inner_text("main")
    assert "Nothing to review" in queue or "Niets na te kijken" in queue

    assert errors == [], errors
    assert any("envelope" in body for body in bodies), "the answers went out, sealed"
    assert not [body for body in bodies if CANARY in body], "the marker left the phone as plaintext"
    assert CANARY not in await _everything_stored(database_url)
    assert "Bel de zorgschool" not in await _everything_stored(database_url)
    assert CANARY not in server.log()
