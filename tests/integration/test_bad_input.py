"""Bad input is refused with a plain 4xx and nothing stored, never a 500: a control character (NUL
and the like, which PostgreSQL cannot store in text) in any free text, and a date far outside the
years anything is planned in (which would overflow the date arithmetic). A statement's values
never reach a log line."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from eportfolio.appointments.tables import Appointment
from eportfolio.intake.tables import Referrer
from eportfolio.kit.clock import utcnow
from eportfolio.kit.db import make_engine
from eportfolio.kit.uow import unit_of_work
from eportfolio.trajectory.tables import TrajectoryOutcome
from eportfolio.workshops.tables import Training, TrainingSession
from tests.support.appointments import appointment_world, local_day
from tests.support.client import Browser
from tests.support.intake import apply, open_page, sign_team, stored_applications
from tests.support.trajectory import sign_coach_a
from tests.support.workshops import series as training_series
from tests.support.workshops import trainings_url
from tests.support.world import World
from tests.support.world_keys import world_keys

CONTROL = ["\x00", "\x07", "\x1b", "\x7f"]


async def _count(app: FastAPI, table: type) -> int:
    async with unit_of_work(app.state.sessionmaker) as uow:
        return int((await uow.session.execute(select(func.count()).select_from(table))).scalar_one())


def _refused(answer: Any, field: str | None = None) -> None:
    assert answer.status_code == 422, answer.text
    body = answer.json()["error"]
    assert body["message"]
    if field is not None:
        fields = [problem["field"] for problem in body.get("problems", [])] + [body.get("field")]
        assert field in fields, body


# Control characters ---------------------------------------------------------------------------


@pytest.mark.parametrize("char", CONTROL)
@pytest.mark.parametrize("field", ["name", "contact"])
async def test_a_control_character_in_her_application_is_refused(
    app: FastAPI, browser: Browser, world: World, field: str, char: str
) -> None:
    keys = await world_keys(app, world)
    await open_page(app, world)
    await browser.log_in_as(world.staff_a)
    await sign_team(browser, keys, [world.staff_a])
    browser.log_out()
    before = await stored_applications(app)
    value = {"name": "Noor", "contact": "06 1234 5678"}[field]
    answer = await apply(browser, world.programme_a, **{field: value[:2] + char + value[2:]})
    _refused(answer, field)
    assert await stored_applications(app) == before


async def test_a_control_character_in_a_partners_name_is_refused(app: FastAPI, browser: Browser, world: World) -> None:
    await browser.log_in_as(world.staff_a)
    browser.http.cookies.set("ep_lang", "en")
    page = await browser.post_form(
        f"/manage/programmes/{world.programme_a}/intake/referrers", {"partner_name": "Verlos\x00kundigen"}
    )
    assert page.status_code == 422
    assert "control character" in page.text
    assert await _count(app, Referrer) == 0


def _own(**change: object) -> dict[str, object]:
    return {"title": "Huisarts", "date": local_day(3).isoformat(), "start": "09:00", "end": "09:20", **change}


@pytest.mark.parametrize("char", CONTROL)
@pytest.mark.parametrize("field", ["title", "place"])
async def test_a_control_character_in_her_own_appointment_is_refused(
    app: FastAPI, world: World, browser: Browser, field: str, char: str
) -> None:
    await appointment_world(app.state.sessionmaker, world)
    await browser.log_in_as(world.participant_a)
    answer = await browser.api(
        "POST", f"/api/v1/appointments/programmes/{world.programme_a}/own", json=_own(**{field: f"Huis{char}arts"})
    )
    _refused(answer, field)
    browser.http.cookies.set("ep_lang", "en")
    page = await browser.post_form(
        f"/appointments/programmes/{world.programme_a}/new",
        {k: str(v) for k, v in _own(**{field: f"a{char}b"}).items()},
    )
    assert page.status_code == 422
    assert "control character" in page.text
    assert await _count(app, Appointment) == 0


async def test_a_control_character_in_a_series_place_is_refused(app: FastAPI, world: World, browser: Browser) -> None:
    await appointment_world(app.state.sessionmaker, world)
    await browser.log_in_as(world.coach_a)
    url = f"/api/v1/appointments/programmes/{world.programme_a}/participants/{world.participant_a}/series"
    body = {"first_date": local_day(2).isoformat(), "start": "10:00", "end": "11:00", "weeks": 2, "place": "De\x00Ster"}
    _refused(await browser.api("POST", url, json=body), "place")
    assert await _count(app, Appointment) == 0


def _outcomes(world: World) -> str:
    return f"/api/v1/trajectory/programmes/{world.programme_a}/participants/{world.participant_a}/outcomes"


@pytest.mark.parametrize("char", CONTROL)
async def test_a_control_character_in_an_outcomes_reason_is_refused(
    app: FastAPI, world: World, browser: Browser, char: str
) -> None:
    await sign_coach_a(app.state.sessionmaker, world)
    await browser.log_in_as(world.coach_a)
    today = utcnow().date().isoformat()
    body = {"kind": "left_programme", "occurred_on": today, "reason": f"Ver{char}huisd"}
    _refused(await browser.api("POST", _outcomes(world), body), "reason")
    assert await _count(app, TrajectoryOutcome) == 0
    # A text of several lines keeps its line breaks and tabs.
    body["reason"] = "Verhuisd\nnaar Assen\tin maart"
    made = await browser.api("POST", _outcomes(world), body)
    assert made.status_code == 201, made.text
    assert made.json()["reason"] == "Verhuisd\nnaar Assen\tin maart"


@pytest.mark.parametrize("char", CONTROL)
@pytest.mark.parametrize("field", ["title", "place"])
async def test_a_control_character_in_a_training_is_refused(
    app: FastAPI, world: World, browser: Browser, field: str, char: str
) -> None:
    await browser.log_in_as(world.staff_a)
    answer = await browser.api("POST", trainings_url(world), json=training_series(world, **{field: f"Ab{char}cd"}))
    _refused(answer, field)
    assert await _count(app, Training) == 0


async def test_a_name_is_one_line(app: FastAPI, world: World, browser: Browser) -> None:
    await browser.log_in_as(world.staff_a)
    answer = await browser.api("POST", trainings_url(world), json=training_series(world, title="Het begint\nbij mij"))
    _refused(answer, "title")
    assert await _count(app, Training) == 0


# Dates far away -------------------------------------------------------------------------------


@pytest.mark.parametrize("day", ["0001-01-01", "1999-12-31", "2101-01-01", "9999-12-31"])
async def test_her_own_appointment_far_in_the_past_or_future_is_refused(
    app: FastAPI, world: World, browser: Browser, day: str
) -> None:
    await appointment_world(app.state.sessionmaker, world)
    await browser.log_in_as(world.participant_a)
    browser.http.cookies.set("ep_lang", "en")
    answer = await browser.api("POST", f"/api/v1/appointments/programmes/{world.programme_a}/own", json=_own(date=day))
    _refused(answer, "date")
    assert "2000 and 2100" in answer.json()["error"]["message"]
    page = await browser.post_form(
        f"/appointments/programmes/{world.programme_a}/new", {k: str(v) for k, v in _own(date=day).items()}
    )
    assert page.status_code == 422
    assert "2000 and 2100" in page.text
    assert await _count(app, Appointment) == 0


@pytest.mark.parametrize(("first", "weeks"), [("9999-12-20", 3), ("2100-12-20", 3), ("0001-01-01", 1)])
async def test_a_series_running_past_2100_is_refused(
    app: FastAPI, world: World, browser: Browser, first: str, weeks: int
) -> None:
    await appointment_world(app.state.sessionmaker, world)
    await browser.log_in_as(world.coach_a)
    url = f"/api/v1/appointments/programmes/{world.programme_a}/participants/{world.participant_a}/series"
    body = {"first_date": first, "start": "10:00", "end": "11:00", "weeks": weeks, "place": "De Ster"}
    answer = await browser.api("POST", url, json=body)
    assert answer.status_code == 422, answer.text
    assert await _count(app, Appointment) == 0


async def test_a_series_ending_on_the_last_day_is_taken(app: FastAPI, world: World, browser: Browser) -> None:
    await appointment_world(app.state.sessionmaker, world)
    await browser.log_in_as(world.coach_a)
    url = f"/api/v1/appointments/programmes/{world.programme_a}/participants/{world.participant_a}/series"
    first = date(2100, 12, 31) - timedelta(weeks=2)
    body = {"first_date": first.isoformat(), "start": "10:00", "end": "11:00", "weeks": 3, "place": "De Ster"}
    answer = await browser.api("POST", url, json=body)
    assert answer.status_code == 201, answer.text
    assert await _count(app, Appointment) == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"first_date": "9999-12-20", "count": 3}, "first_date"),
        ({"first_date": "2100-12-20", "count": 3}, "count"),
        ({"first_date": "2100-12-01", "count": 2, "every_days": 31}, "count"),
    ],
)
async def test_a_training_running_past_2100_is_refused(
    app: FastAPI, world: World, browser: Browser, change: dict[str, object], field: str
) -> None:
    await browser.log_in_as(world.staff_a)
    answer = await browser.api("POST", trainings_url(world), json=training_series(world, **change))
    _refused(answer, field)
    assert await _count(app, Training) == 0
    assert await _count(app, TrainingSession) == 0


async def test_a_session_is_not_moved_past_2100(app: FastAPI, world: World, browser: Browser) -> None:
    await browser.log_in_as(world.staff_a)
    made = await browser.api("POST", trainings_url(world), json=training_series(world, count=1))
    assert made.status_code == 201, made.text
    session_id = made.json()["sessions"][0]["id"]
    answer = await browser.api(
        "PATCH",
        f"/api/v1/workshops/programmes/{world.programme_a}/sessions/{session_id}",
        json={"day": "9999-12-31", "start_time": "09:30", "duration_minutes": 150},
    )
    _refused(answer, "day")


# The database's log --------------------------------------------------------------------------


async def test_statement_values_never_reach_an_error_or_a_log(database_url: str, tmp_path: Path) -> None:
    engine = make_engine(database_url)
    try:
        assert engine.sync_engine.hide_parameters is True
        async with engine.connect() as connection:
            with pytest.raises(DBAPIError) as raised:
                await connection.execute(
                    text("SELECT * FROM no_such_table WHERE x = :secret"), {"secret": "06 1234 5678"}
                )
        assert "06 1234 5678" not in str(raised.value)
    finally:
        await engine.dispose()


@pytest.mark.parametrize(("first", "count"), [("9999-12-20", "3"), ("2100-12-20", "3"), ("0001-01-01", "1")])
async def test_the_training_form_refuses_a_series_outside_the_years_and_keeps_what_was_typed(
    app: FastAPI, world: World, browser: Browser, first: str, count: str
) -> None:
    await browser.log_in_as(world.staff_a)
    browser.http.cookies.set("ep_lang", "en")
    form = {
        "title": "Opvoeden in twee talen",
        "group_id": str(world.group_a),
        "trainer_id": str(world.coach_a),
        "place": "Buurtcentrum De Brug",
        "first_date": first,
        "start_time": "09:30",
        "duration_minutes": "150",
        "count": count,
        "every_days": "7",
        "open_for_enrolment": "true",
    }
    page = await browser.post_form(f"/manage/programmes/{world.programme_a}/trainings/new", form)
    assert page.status_code == 422
    assert "2100" in page.text
    assert "Opvoeden in twee talen" in page.text
    assert await _count(app, Training) == 0
