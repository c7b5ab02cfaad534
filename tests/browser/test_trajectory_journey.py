"""Her trajectory in real Chromium on a 360 px phone, by clicking only from the home page: her coach
goes from home to his caseload to her trajectory, sets the start of her intake and records an
outcome; she goes from home to her timeline and sees both; staff go from home to the programme's
overview and see the counts per phase. Screenshots go to the test's folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from eportfolio.kit.clock import utcnow
from eportfolio.programmes.tables import CoachAssignment
from tests.support.browser import PHONE
from tests.support.factories import SIGNED
from tests.support.live import LiveServer, in_database, session_cookie_for
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

    async def fits(self, name: str) -> None:
        width = await self.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{self.who} {name}: {width}px wide on a 360px phone"
        await self.page.screenshot(path=str(self.shots / f"{self.who}-{name}.png"), full_page=True)


async def _phone(chromium: Any, server: LiveServer, database_url: str, person: Any, who: str, shots: Path) -> Phone:
    context = await chromium.new_context(**PHONE)
    await context.add_cookies([await session_cookie_for(database_url, server, person)])
    phone = Phone(await context.new_page(), server, shots, who)
    await phone.page.goto(f"{server.url}/")
    return phone


async def test_coach_sets_a_date_and_an_outcome_she_sees_both_and_staff_see_the_counts(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str, tmp_path: Path
) -> None:
    world, server = world_and_server
    a = world.programme_a
    await in_database(
        database_url,
        update(CoachAssignment)
        .where(CoachAssignment.id == world.assignment_a)
        .values(signed_record=SIGNED, signed_by=world.staff_a),
    )
    today = utcnow().date().isoformat()

    coach = await _phone(chromium, server, database_url, world.coach_a, "coach", tmp_path)
    await coach.click("nav.nav a[data-nav=caseload]", "/caseload")
    await coach.fits("caseload")
    await coach.click(
        f"li[data-participant-id='{world.participant_a}'] a[data-open=trajectory]",
        f"/caseload/programmes/{a}/participants/{world.participant_a}/trajectory",
    )
    await coach.fits("trajectory")
    await coach.page.locator("li[data-phase=intake] summary").click()
    await coach.page.fill("#f-intake-started_on", today)
    await coach.click("form[data-phase-form=intake] button[type=submit]", "/caseload/**/trajectory*")
    intake = coach.page.locator("li[data-phase=intake]")
    assert await intake.locator(f"[data-started='{today}']").count() == 1
    assert await intake.locator("[data-now]").count() == 1
    await coach.page.select_option("#f-kind", "paid_work")
    await coach.page.fill("#f-occurred_on", today)
    await coach.click("form[data-outcome-form] button[type=submit]", "/caseload/**/trajectory*")
    assert await coach.page.locator("[data-outcome=paid_work]").count() == 1
    await coach.fits("trajectory-saved")

    her = await _phone(chromium, server, database_url, world.participant_a, "participant", tmp_path)
    await her.fits("home")
    await her.click("a[data-today-action=trajectory]", "/my/trajectory")
    assert "Intake en analyse" in await her.page.inner_text("[data-where]")
    assert await her.page.locator("li[data-phase=intake] [data-now]").count() == 1
    assert "Begonnen met betaald werk" in await her.page.inner_text("[data-outcomes]")
    assert "herkennen" in await her.page.inner_text("[data-privacy]")
    await her.fits("my-trajectory")
    # And from her menu: More, then the trajectory.
    await her.click("nav.nav a[data-nav=home]", "/")
    await her.click("a.menu-link", "/menu")
    await her.click("a[data-nav=trajectory]", "/my/trajectory")

    staff = await _phone(chromium, server, database_url, world.staff_a, "staff", tmp_path)
    await staff.click(f"a[href='/manage/programmes/{a}']", f"/manage/programmes/{a}")
    await staff.click(f"a[href='/manage/programmes/{a}/trajectory']", f"/manage/programmes/{a}/trajectory")
    assert await staff.page.inner_text("dd[data-count=intake]") == "1"
    assert await staff.page.inner_text("dd[data-count=application]") == "1", "Mother A2, from the defaults"
    await staff.fits("overview")

    for phone in (coach, her, staff):
        assert not phone.errors, phone.errors
