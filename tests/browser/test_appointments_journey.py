"""Appointments on a 360 px phone in real Chromium, by clicking only: her coach goes from his home
to his participants, to her appointments, and plans weekly meetings; she goes from her home to her
calendar, sees them, adds her own and downloads the iCalendar file, which holds what she sees."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import icalendar
import pytest

from eportfolio.kit.db import make_engine, make_sessionmaker
from tests.support.appointments import appointment_world, local, local_day
from tests.support.browser import PHONE
from tests.support.live import LiveServer, session_cookie_for
from tests.support.world import World

pytestmark = pytest.mark.browser


class Phone:
    def __init__(self, page: Any, server: LiveServer, shots: Path, who: str) -> None:
        self.page, self.server, self.shots, self.who = page, server, shots, who
        self.errors: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    async def click(self, selector: str, path: str) -> None:
        await self.page.locator(selector).first.click()
        await self.page.wait_for_url(f"{self.server.url}{path}", timeout=30_000)
        await self.page.wait_for_load_state()

    async def screen(self, name: str) -> None:
        """No wider than the phone; a screenshot of the whole page to look at."""
        width = await self.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{self.who} {name}: {width}px wide on a 360px phone"
        await self.page.screenshot(path=str(self.shots / f"{self.who}-{name}.png"), full_page=True)


async def _ics(waiting: Any) -> icalendar.Calendar:
    """The downloaded file, parsed back with icalendar."""
    path = Path(await (await waiting.value).path())
    return icalendar.Calendar.from_ical(await asyncio.to_thread(path.read_bytes))


async def _phone(chromium: Any, server: LiveServer, database_url: str, person: Any, shots: Path, who: str) -> Phone:
    context = await chromium.new_context(**PHONE, accept_downloads=True)
    await context.add_cookies([await session_cookie_for(database_url, server, person)])
    return Phone(await context.new_page(), server, shots, who)


async def test_coach_plans_weekly_meetings_and_she_sees_adds_and_downloads_them(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str, tmp_path: Path
) -> None:
    world, server = world_and_server
    engine = make_engine(database_url)
    try:
        await appointment_world(make_sessionmaker(engine), world)
    finally:
        await engine.dispose()
    a, mother = world.programme_a, world.participant_a
    first = local_day(1)

    coach = await _phone(chromium, server, database_url, world.coach_a, tmp_path, "coach")
    await coach.page.goto(f"{server.url}/")
    await coach.screen("home")
    await coach.click("nav.nav a[data-nav=caseload]", "/caseload")
    await coach.screen("caseload")
    await coach.click(
        f"li.caseload-row[data-participant-id='{mother}'] a[data-open=appointments]",
        f"/appointments/programmes/{a}/participants/{mother}",
    )
    assert await coach.page.locator("[data-empty=participant]").count() == 1
    await coach.screen("her-empty-calendar")
    await coach.click("a[data-action=plan]", f"/appointments/programmes/{a}/participants/{mother}/series")
    assert "geheimen" not in (await coach.page.locator("[data-privacy]").inner_text())
    # First a mistake: the end before the start. The form keeps what he typed.
    await coach.page.fill("#f-first_date", first.isoformat())
    await coach.page.fill("#f-start", "10:00")
    await coach.page.fill("#f-end", "09:30")
    await coach.page.fill("#f-weeks", "4")
    await coach.page.fill("#f-place", "Buurthuis De Ster")
    await coach.page.click("form.appt-form button[type=submit]")
    await coach.page.wait_for_selector("#e-end")
    assert await coach.page.input_value("#f-place") == "Buurthuis De Ster"
    await coach.screen("series-refused")
    await coach.page.fill("#f-end", "11:00")
    await coach.page.click("form.appt-form button[type=submit]")
    await coach.page.wait_for_url(f"{server.url}/appointments/programmes/{a}/participants/{mother}?planned=4")
    assert await coach.page.locator("a.appt[data-kind=coach]").count() == 4
    await coach.screen("her-calendar")
    await coach.click("nav.nav a[data-nav=home]", "/")
    await coach.click("a[data-today-action=calendar]", "/appointments")
    assert await coach.page.locator("a.appt[data-kind=coach]").count() == 4, "his own meetings across participants"
    await coach.screen("his-calendar")
    assert not coach.errors, coach.errors

    her = await _phone(chromium, server, database_url, mother, tmp_path, "mother")
    await her.page.goto(f"{server.url}/")
    assert await her.page.locator("[data-today-item=appointment]").count() == 1, "her next appointment at home"
    await her.screen("home")
    await her.click("a[data-today-action=calendar]", "/appointments")
    assert await her.page.locator("a.appt[data-kind=coach]").count() == 4
    assert "Afspraak met je coach" in await her.page.locator("a.appt").first.inner_text()
    await her.screen("calendar")
    # Her calendar is in her menu too (under More).
    await her.click("a.menu-link", "/menu")
    await her.click("a.menu-list__item[data-nav=appointments]", "/appointments")
    await her.click("a[data-action=add]", f"/appointments/programmes/{a}/new")
    privacy = await her.page.locator("[data-privacy]").inner_text()
    assert privacy == "Je coach kan deze afspraak ook zien. Schrijf hier geen geheimen."
    await her.page.fill("#f-title", "Huisarts")
    await her.page.fill("#f-date", local_day(2).isoformat())
    await her.page.fill("#f-start", "08:40")
    await her.page.fill("#f-end", "09:00")
    await her.page.fill("#f-place", "Gezondheidscentrum")
    await her.screen("own-form")
    await her.page.click("form.appt-form button[type=submit]")
    await her.page.wait_for_url(f"{server.url}/appointments?added=*")
    own = her.page.locator("a.appt[data-kind=own]")
    assert await own.count() == 1
    assert "Huisarts" in await own.inner_text()
    assert "08:40" in await own.inner_text()
    await her.screen("calendar-with-own")
    async with her.page.expect_download() as waiting:
        await her.page.locator("a[data-action=download-all]").click()
    calendar = await _ics(waiting)
    events = calendar.walk("VEVENT")
    assert len(events) == 5
    summaries = sorted(str(e["summary"]) for e in events)
    assert summaries == ["Afspraak"] * 4 + ["Huisarts"]
    starts = sorted(e.decoded("dtstart") for e in events if str(e["summary"]) == "Afspraak")
    assert starts[0] == local(first, "10:00")
    assert all(s.utcoffset() is not None and s.utcoffset().total_seconds() == 0 for s in starts)
    # One appointment on its own, from its page.
    await her.click("a.appt[data-kind=own]", "/appointments/*")
    await her.screen("appointment")
    async with her.page.expect_download() as waiting:
        await her.page.locator("a[data-action=download-one]").click()
    one = await _ics(waiting)
    (event,) = one.walk("VEVENT")
    assert str(event["summary"]) == "Huisarts"
    assert event.decoded("dtstart") == local(local_day(2), "08:40")
    assert not her.errors, her.errors
