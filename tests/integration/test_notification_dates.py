"""Every date in a notice reads as the rest of the interface does: "8 december" in her language
and the programme's time zone, never "2026-12-08"."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from fastapi import FastAPI

from eportfolio.kit import i18n
from eportfolio.kit.clock import utcnow
from eportfolio.kit.uow import unit_of_work
from eportfolio.notifications.tables import Notification
from tests.support.client import Browser
from tests.support.factories import ModuleAssignmentFactory, flush_in_order
from tests.support.world import World

ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
LOCALES = {"nl": "nl_NL", "en": "en_GB"}


def _day(value: date, language: str) -> str:
    return str(format_skeleton("MMMMd", value, locale=LOCALES[language]))


def _weekday_and_time(value: datetime, language: str) -> str:
    local = value.astimezone(AMSTERDAM)
    day = format_skeleton("EEEEMMMMd", local, locale=LOCALES[language])
    time = format_skeleton("Hm", local, locale=LOCALES[language])
    return i18n.gettext(language, "%(date)s, %(time)s", date=str(day), time=str(time))


async def _her_notices(app: FastAPI, world: World) -> tuple[datetime, datetime]:
    """An assignment due in two days (its reminder is made when she opens the list), and an
    appointment and a group session reminder as their features make them."""
    today = utcnow().astimezone(AMSTERDAM).date()
    # 23:30 UTC is already the next day in Amsterdam: the day shown must be the programme's.
    session_at = datetime.combine(today + timedelta(days=1), datetime.min.time(), UTC).replace(hour=23, minute=30)
    appointment_at = datetime.combine(today + timedelta(days=1), datetime.min.time(), UTC).replace(hour=8, minute=30)
    programme = SimpleNamespace(id=world.programme_a, organisation_id=world.organisation_id)
    async with unit_of_work(app.state.sessionmaker) as uow:
        ModuleAssignmentFactory.add(
            uow.session, programme=programme, participant_id=world.participant_a, assigned_by=world.coach_a,
            due_on=today + timedelta(days=2), assigned_at=utcnow(),
        )
        common = {"organisation_id": world.organisation_id, "programme_id": world.programme_a,
                  "person_id": world.participant_a, "link": "/", "created_at": utcnow()}
        local = appointment_at.astimezone(AMSTERDAM)
        uow.session.add(Notification(kind="appointment_day", subject_id=world.group_a,
                                     params={"time": local.strftime("%H:%M"), "starts_at": local.isoformat()},
                                     dedupe_key="appointment-test", **common))
        uow.session.add(Notification(kind="workshop_reminder", subject_id=world.group_a,
                                     params={"when": _weekday_and_time(session_at, "nl"),
                                             "place": "Buurthuis", "starts_at": session_at.isoformat()},
                                     dedupe_key="workshop-test", **common))
        await flush_in_order(uow.session)
    return session_at, appointment_at


async def test_notices_show_days_in_her_language_and_the_programme_time_zone(
    app: FastAPI, world: World, browser: Browser
) -> None:
    session_at, appointment_at = await _her_notices(app, world)
    await browser.log_in_as(world.participant_a)
    today = utcnow().astimezone(AMSTERDAM).date()

    page = (await browser.get("/notifications")).text
    assert not ISO_DAY.search(page), "no ISO dates"
    assert f"Een opdracht moet af zijn op {_day(today + timedelta(days=2), 'nl')}." in page
    assert str(session_at.astimezone(AMSTERDAM).day) in _weekday_and_time(session_at, "nl")
    assert _weekday_and_time(session_at, "nl") in page
    assert appointment_at.astimezone(AMSTERDAM).strftime("%H:%M") in page

    # The same notices in English: the words of the dates follow the page, not the day it was made.
    browser.http.cookies.set("ep_lang", "en")
    page = (await browser.get("/notifications")).text
    assert not ISO_DAY.search(page), "no ISO dates"
    assert f"An assignment is due on {_day(today + timedelta(days=2), 'en')}." in page
    english_when = _weekday_and_time(session_at, "en")
    assert english_when in page
    assert english_when != _weekday_and_time(session_at, "nl")
