"""Group trainings in real Chromium on 360 px phones, each step reached by clicking from the home
page: staff make a series of ten sessions, a mother enrols, the trainer takes attendance in the room
and the mother gives her opinion after the session. Screenshots go to EPORTFOLIO_SCREENSHOTS (or
the test's folder)."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from eportfolio.kit.clock import utcnow
from eportfolio.kit.db import make_engine, make_sessionmaker
from eportfolio.kit.uow import unit_of_work
from eportfolio.workshops.tables import Attendance, Evaluation, TrainingSession
from tests.support.browser import OVERFLOW, PHONE
from tests.support.live import LiveServer, in_database, session_cookie_for
from tests.support.workshops import local_today
from tests.support.world import World

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("backend", ["sqlite"])]


async def _phone(chromium: Any, server: LiveServer, database_url: str, person: uuid.UUID, errors: list[str]) -> Any:
    context = await chromium.new_context(**PHONE)
    await context.add_cookies([await session_cookie_for(database_url, server, person)])
    page = await context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(f"{server.url}/")
    return page


async def _look(page: Any, shots: Path, name: str) -> None:
    await page.screenshot(path=str(shots / f"workshops-{name}.png"), full_page=True)
    found = await page.evaluate(OVERFLOW)
    assert found["scrollWidth"] <= found["width"], f"{name}: the page scrolls sideways {found}"


async def _rows(database_url: str, table: Any) -> list[Any]:
    engine = make_engine(database_url)
    try:
        async with unit_of_work(make_sessionmaker(engine)) as uow:
            return list((await uow.session.execute(select(table))).scalars())
    finally:
        await engine.dispose()


async def test_staff_make_a_series_she_enrols_the_trainer_notes_attendance_and_she_gives_her_opinion(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str, tmp_path: Path
) -> None:
    world, server = world_and_server
    shots = Path(os.environ.get("EPORTFOLIO_SCREENSHOTS") or tmp_path)
    errors: list[str] = []
    first_day = local_today() + timedelta(days=1)

    # Staff: home -> "Trainingen" -> new training as a series of ten weekly sessions.
    staff = await _phone(chromium, server, database_url, world.staff_a, errors)
    await staff.click("a[data-home='manage-trainings']")
    await staff.wait_for_selector("#new-training")
    await staff.click("#new-training")
    await staff.fill("#f-title", "Het begint bij mij")
    await staff.select_option("#f-group_id", label="Group A")
    await staff.select_option("#f-trainer_id", label="Coach A")
    await staff.fill("#f-place", "Buurtcentrum De Brug")
    await staff.fill("#f-capacity", "8")
    await staff.fill("#f-first_date", (local_today() - timedelta(days=7)).isoformat())
    await staff.fill("#f-start_time", "09:30")
    await _look(staff, shots, "1-staff-new")
    await staff.click("#training-form button[type=submit]")
    await staff.wait_for_selector(".field--error")
    assert "verleden" in await staff.inner_text("#training-form"), "a series starting in the past is refused"
    assert await staff.input_value("#f-title") == "Het begint bij mij", "what she typed is kept"
    await staff.fill("#f-first_date", first_day.isoformat())
    await staff.click("#training-form button[type=submit]")
    await staff.wait_for_selector("#training-title")
    assert await staff.locator(".session-list > li").count() == 10
    await _look(staff, shots, "2-staff-training")

    # She: home -> "Trainingen" -> enrol.
    her = await _phone(chromium, server, database_url, world.participant_a, errors)
    await her.click("a[data-home='trainings']")
    await her.wait_for_selector("#open-trainings")
    await _look(her, shots, "3-her-open")
    await her.click("#open-trainings button[data-enrol]")
    await her.wait_for_selector("#workshop-notice")
    assert "ingeschreven" in await her.inner_text("#workshop-notice")
    await _look(her, shots, "4-her-enrolled")

    # The day of the first session: the trainer in the room, on his phone.
    sessions = sorted(await _rows(database_url, TrainingSession), key=lambda s: s.starts_at)
    first = sessions[0].id
    await in_database(
        database_url,
        update(TrainingSession).where(TrainingSession.id == first).values(starts_at=utcnow() - timedelta(minutes=10)),
    )
    trainer = await _phone(chromium, server, database_url, world.coach_a, errors)
    await trainer.click("a[data-home='trainings']")
    await trainer.wait_for_selector("#trainer-sessions")
    await _look(trainer, shots, "5-trainer-sessions")
    await trainer.click(f"a[data-attendance='{first}']")
    await trainer.wait_for_selector("#attendance-form")
    row = trainer.locator(f".attendance-row[data-person='{world.participant_a}']")
    target = row.locator(".presence-choice--present span")
    box = await target.bounding_box()
    assert box is not None
    assert box["height"] >= 44, "a big touch target"
    await target.tap()
    await _look(trainer, shots, "6-trainer-attendance")
    await trainer.click("#attendance-save")
    await trainer.wait_for_selector("#attendance-saved")
    assert (await _rows(database_url, Attendance))[0].status == "present"

    # She gives her opinion after the session: home -> "Trainingen" -> the question.
    await her.goto(f"{server.url}/")
    await her.click("a[data-home='trainings']")
    await her.click(f"a[data-evaluate='{first}']")
    await her.wait_for_selector("#evaluation-form")
    await her.locator(".grade-choice", has_text="9").first.tap()
    await her.fill("#f-comment", "Fijn om andere moeders te ontmoeten")
    await _look(her, shots, "7-her-evaluation")
    await her.click("#evaluation-form button[type=submit]")
    await her.wait_for_selector("#workshop-notice")
    assert "Bedankt" in await her.inner_text("#workshop-notice")
    (answer,) = await _rows(database_url, Evaluation)
    assert (answer.grade, answer.round) == (9, str(first))

    # The trainer sees it only as "too few answers", without her name.
    await trainer.goto(f"{server.url}/trainings")
    await trainer.click("#trainer-sessions a:has-text('Evaluaties')")
    await trainer.wait_for_selector("#evaluation-rounds")
    text = await trainer.inner_text("#evaluation-rounds")
    assert "Te weinig antwoorden" in text
    assert "Mother A" not in text
    assert "Fijn" not in text
    await _look(trainer, shots, "8-trainer-evaluations")
    assert not errors, errors
