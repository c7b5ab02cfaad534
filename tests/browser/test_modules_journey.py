"""From authoring to feedback in real Chromium: staff publish at desktop width, a coach gives the
assignment, the participant answers at phone width in Dutch and English, one question per screen,
with an encrypted draft that survives a reload; she hands in, her coach opens the answer and
writes feedback, and she reads it. A marker she types reaches the server only as ciphertext.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, literal_column, select, table

from eportfolio.kit.db import make_engine
from tests.support.browser import DESKTOP, PHONE
from tests.support.live import LiveServer, session_cookie_for
from tests.support.modules_journey import Api
from tests.support.portfolio_journey import cast, phone_page, png, stored_blobs
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
    await staff.fill("form[action$='/lessons'] #f-lesson-title", "Wat wil jij?")
    await staff.click("form[action$='/lessons'] button[type=submit]")
    await staff.wait_for_url("**/lessons/*")
    await staff.fill("#f-body", "Denk aan **drie** dingen die je goed kunt.")
    await staff.click("form.form button[type=submit]")
    await staff.wait_for_url("**/modules/*")
    await staff.fill("form[action$='/templates'] #f-template-title", "Mijn werkwensen")
    await staff.click("form[action$='/templates'] button[type=submit]")
    await staff.wait_for_url("**/templates/*")
    new_question = "form[action$='/questions']"
    for kind, prompt in (("open_text", "Welk werk past bij jou?"), ("scale", "Hoe zeker ben je van je keuze?")):
        await staff.select_option(f"{new_question} #f-new-kind", kind)
        await staff.fill(f"{new_question} #f-new-prompt", prompt)
        await staff.click(f"{new_question} button[type=submit]")
        await staff.wait_for_load_state()
        assert prompt in await staff.inner_text("main")
    await staff.click("a:has-text('Kiezen voor werk')")
    await staff.click("form[action$='/publish'] button")
    await staff.wait_for_load_state()
    assert "Gepubliceerd" in await staff.inner_text("main")


async def _give(chromium: Any, server: LiveServer, database_url: str, world: World) -> None:
    """Her coach gives her the published template, on his phone."""
    giver = await _page(chromium, server, database_url, world.coach_a, PHONE)
    await giver.goto(f"{server.url}/programmes/{world.programme_a}/assign")
    await _fits_the_phone(giver, "assign")
    options = await giver.eval_on_selector_all("#f-choice option", "els => els.map(e => e.value)")
    await giver.select_option("#f-choice", next(value for value in options if ":" in value))
    await giver.select_option("#f-participant_id", str(world.participant_a))
    await giver.fill("#f-due_on", "2099-06-30")
    await giver.click("form[action$='/assign'] button[type=submit]")
    await giver.wait_for_load_state()
    assert "1 opdracht gegeven" in await giver.inner_text("main")
    await giver.context.close()


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
    await cast(server, database_url, world)
    errors: list[str] = []
    bodies: list[str] = []

    staff = await _page(chromium, server, database_url, world.staff_a, DESKTOP)
    await _publish(staff, server, a)
    preview = await _page(chromium, server, database_url, world.staff_a, PHONE)
    await preview.goto(staff.url + "/preview")
    assert "drie" in await preview.inner_text(".phone-frame strong")
    await _fits_the_phone(preview, "preview")

    await _give(chromium, server, database_url, world)

    # She logs in on her phone (her keys are unlocked there) and answers in Dutch.
    her = await phone_page(chromium, server, "mother.a", errors)
    her.on("request", lambda r: bodies.append(r.post_data or ""))
    await her.click("a[href='/my/assignments']")
    assert "Mijn werkwensen" in await her.inner_text("main")
    assert "Doe het voor 30 juni 2099" in await her.inner_text("main")
    await _fits_the_phone(her, "due-list")
    await her.click("a.assignment-link")
    # The module's lesson comes first; "Gelezen, verder" takes her to the questions.
    assert "Les 1 van 1" in await her.inner_text("main")
    assert "drie" in await her.inner_text("#lesson .lesson-body strong")
    await _fits_the_phone(her, "lesson")
    await her.click("button:has-text('Gelezen, verder')")
    await her.wait_for_url("**?q=0")
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

    # Without a connection she keeps her answer on the phone and stays on the question.
    await her.context.set_offline(True)
    await her.fill("fieldset.question textarea", f"Iets in de zorg. {CANARY} Met ouderen.")
    await her.click("a[data-move]")
    await her.wait_for_selector("#answer-status:has-text('Geen verbinding')")
    assert "Vraag 1 van 2" in await her.inner_text("main")
    await her.context.set_offline(False)
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
    await her.wait_for_url("**/my/assignments?handed_in=1")
    assert "Handed in" in await her.inner_text("main")

    # Her coach reads the answer on his phone and writes feedback, sealed there.
    coach = await phone_page(chromium, server, "coach.a", errors)
    coach.on("request", lambda r: bodies.append(r.post_data or ""))
    await coach.goto(f"{server.url}/review")
    assert "Mother A" in await coach.inner_text("main")
    await _fits_the_phone(coach, "review")
    await coach.click("main a:has-text('Mother A')")
    await coach.wait_for_selector(READY, timeout=30_000)
    answers = coach.locator("fieldset.question textarea")
    assert f"{CANARY} Met ouderen." in await answers.input_value()
    assert not await answers.is_enabled(), "her coach reads, he does not change her answer"
    assert await coach.is_checked("fieldset.question input[value='4']")
    await coach.fill("#f-feedback", "Goed gekozen! Bel de zorgschool maandag.")
    await coach.click("#feedback-form button[type=submit]")
    await coach.wait_for_selector("#feedback li [data-text]:has-text('Bel de zorgschool')", timeout=30_000)
    await _fits_the_phone(coach, "feedback")

    # He changes his feedback: a new revision of the same row, sealed again.
    await coach.click("#feedback [data-feedback-change]")
    edit = coach.locator("#feedback [data-feedback-edit] textarea")
    assert "Bel de zorgschool maandag" in await edit.input_value(), "he starts from what he wrote"
    await edit.fill("Goed gekozen! Bel de zorgschool dinsdag.")
    await coach.click("#feedback [data-feedback-edit] button[type=submit]")
    await coach.wait_for_selector("#feedback li [data-text]:has-text('dinsdag')", timeout=30_000)
    assert await coach.locator("#feedback li").count() == 1, "changed, not added"

    # She sees the feedback as he changed it.
    await her.click("a.assignment-link")
    await her.wait_for_selector(READY, timeout=30_000)
    assert "Bel de zorgschool dinsdag" in await her.inner_text("#feedback")
    assert await her.locator("[data-feedback-change]").count() == 0, "she cannot change her coach's feedback"
    await _fits_the_phone(her, "feedback-read")

    # Her coach marks it as done: nothing waits in the queue.
    await coach.click("form[action$='/complete'] button")
    await coach.wait_for_url("**/review")
    queue = await coach.inner_text("main")
    assert "Nothing to review" in queue or "Niets na te kijken" in queue

    # The one failure she is meant to meet: the request that found no connection.
    assert [e for e in errors if "ERR_INTERNET_DISCONNECTED" not in e] == [], errors
    assert any("envelope" in body for body in bodies), "the answers went out, sealed"
    assert not [body for body in bodies if CANARY in body], "the marker left the phone as plaintext"
    assert CANARY not in await _everything_stored(database_url)
    assert "Bel de zorgschool" not in await _everything_stored(database_url)
    assert CANARY not in server.log()


async def _photo_assignment(server: LiveServer, database_url: str, world: World) -> None:
    """Staff publish a module whose one question asks for a photo; her coach gives it to her."""
    a = world.programme_a
    staff = Api(server, await session_cookie_for(database_url, server, world.staff_a))
    coach = Api(server, await session_cookie_for(database_url, server, world.coach_a))
    try:
        module = await staff.call("POST", f"/api/v1/programmes/{a}/modules", {"title": "Mijn netwerk"})
        url = f"/api/v1/programmes/{a}/modules/{module['id']}"
        template = await staff.call("POST", f"{url}/templates", {"title": "Een foto van mijn plek"})
        await staff.call(
            "POST",
            f"{url}/templates/{template['key']}/questions",
            {"kind": "upload", "upload_kind": "photo", "prompt": "Maak een foto van waar je leert."},
        )
        await staff.call("POST", f"{url}/publish")
        await coach.call(
            "POST",
            f"/api/v1/programmes/{a}/assignments",
            {"module_id": module["id"], "participant_id": str(world.participant_a)},
        )
    finally:
        await staff.http.aclose()
        await coach.http.aclose()


async def test_a_photo_answer_and_a_personal_assignment_stay_encrypted(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    a = world.programme_a
    await cast(server, database_url, world)
    await _photo_assignment(server, database_url, world)
    errors: list[str] = []
    bodies: list[str] = []

    # She answers with a photo: re-encoded and encrypted on her phone, sent in parts.
    her = await phone_page(chromium, server, "mother.a", errors)
    her.on("request", lambda r: bodies.append(r.post_data or ""))
    await her.goto(f"{server.url}/my/assignments")
    await her.click("a.assignment-link")
    await her.wait_for_selector(READY, timeout=30_000)
    await her.set_input_files(
        "fieldset.question input[type=file]", files=[{"name": "me.png", "mimeType": "image/png", "buffer": png()}]
    )
    await her.wait_for_selector("fieldset.question [data-files] li >> text=me.jpg", timeout=30_000)
    await her.wait_for_selector("#answer-status.alert--success")
    await _fits_the_phone(her, "photo-answer")
    await her.click("#hand-in button[type=submit]")
    await her.wait_for_url("**/my/assignments?handed_in=1")

    # Her coach writes her a personal assignment, sealed on his phone.
    coach = await phone_page(chromium, server, "coach.a", errors)
    coach.on("request", lambda r: bodies.append(r.post_data or ""))
    await coach.goto(f"{server.url}/programmes/{a}/assign")
    await coach.wait_for_selector("#personal[data-ready=true]", timeout=30_000)
    await _fits_the_phone(coach, "personal-assignment")
    await coach.select_option("#f-personal_participant", str(world.participant_a))
    await coach.fill("#f-personal_title", "Gesprek met je oma")
    await coach.fill("#f-personal_text", f"Vraag oma wat zij vroeger wilde worden. {CANARY}")
    await coach.click("#personal-form button[type=submit]")
    await coach.wait_for_url("**/assign?given=1", timeout=30_000)

    await her.goto(f"{server.url}/my/assignments")
    await her.click("a.assignment-link >> text=Van je coach")
    await her.wait_for_selector(READY, timeout=30_000)
    assert (await her.inner_text("[data-personal-title]")).strip() == "Gesprek met je oma"
    assert CANARY in await her.inner_text("[data-personal-text]")
    await her.fill("fieldset.question textarea", "Zij wilde verpleegster worden.")
    await her.click("#hand-in button[type=submit]")
    await her.wait_for_url("**/my/assignments?handed_in=1")

    # He opens both from his queue: the photo comes back whole, without its hidden location.
    await coach.goto(f"{server.url}/review")
    await coach.click("main li:nth-child(1) a")
    await coach.wait_for_selector(READY, timeout=30_000)
    async with coach.expect_download() as downloading:
        await coach.click("fieldset.question [data-files] button")
    photo = await asyncio.to_thread(Path(await (await downloading.value).path()).read_bytes)
    assert photo.startswith(b"\xff\xd8"), "a JPEG, re-encoded on her phone"
    assert b"Kerkstraat" not in photo
    await coach.goto(f"{server.url}/review")
    await coach.click("main li:nth-child(2) a")
    await coach.wait_for_selector(READY, timeout=30_000)
    assert "Zij wilde verpleegster worden." in await coach.input_value("fieldset.question textarea")
    assert CANARY in await coach.inner_text("[data-personal-text]")

    assert errors == [], errors
    assert not [body for body in bodies if CANARY in body], "the marker left a phone as plaintext"
    stored = await _everything_stored(database_url)
    assert CANARY not in stored
    assert "verpleegster" not in stored
    blobs = await asyncio.to_thread(stored_blobs, server.log_path.parent / "blobs")
    assert blobs, "the photo's stream is stored"
    assert b"Kerkstraat" not in blobs


async def test_an_answer_saved_on_two_phones_is_never_overwritten_silently(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    await cast(server, database_url, world)
    errors: list[str] = []
    staff = await _page(chromium, server, database_url, world.staff_a, DESKTOP)
    await _publish(staff, server, world.programme_a)
    await _give(chromium, server, database_url, world)

    async def open_question(page: Any) -> None:
        await page.click("a[href='/my/assignments']")
        await page.click("a.assignment-link")
        if await page.locator("#lesson").count():  # the lesson first, until she has read it
            await page.click("button:has-text('Gelezen, verder')")
        await page.wait_for_selector(READY, timeout=30_000)

    # She starts on one phone; what she types is kept there, not yet saved.
    phone_a = await phone_page(chromium, server, "mother.a", errors)
    await open_question(phone_a)
    await phone_a.fill("fieldset.question textarea", "Geschreven op telefoon A")
    await phone_a.wait_for_function("() => document.getElementById('draft-status').textContent.length > 0")

    # On her other phone she writes and saves another answer.
    phone_b = await phone_page(chromium, server, "mother.a", errors)
    await open_question(phone_b)
    await phone_b.fill("fieldset.question textarea", "Geschreven op telefoon B")
    await phone_b.click("#save-answer")
    await phone_b.wait_for_selector("#answer-status.alert--success")

    # Back on the first phone: the saved answer shows, and what she wrote there is offered beside it.
    await phone_a.reload()
    await phone_a.wait_for_selector(READY, timeout=30_000)
    assert await phone_a.input_value("fieldset.question textarea") == "Geschreven op telefoon B"
    merge = phone_a.locator("#answer-merge")
    await merge.wait_for(state="visible")
    assert "Geschreven op telefoon A" in await merge.inner_text()
    await _fits_the_phone(phone_a, "answer-merge")
    await phone_a.click("#answer-merge [data-keep-mine]")
    await merge.wait_for(state="hidden")
    assert await phone_a.input_value("fieldset.question textarea") == "Geschreven op telefoon A"
    await phone_a.click("#save-answer")
    await phone_a.wait_for_selector("#answer-status.alert--success")

    # Her choice is what both phones now show; nothing is left to merge.
    await phone_b.reload()
    await phone_b.wait_for_selector(READY, timeout=30_000)
    assert await phone_b.input_value("fieldset.question textarea") == "Geschreven op telefoon A"
    assert await phone_b.locator("#answer-merge").is_hidden()
    assert errors == [], errors
