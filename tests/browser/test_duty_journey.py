"""The 24/7 chain in real Chromium. Staff make a duty roster by clicking (a week of time blocks with a
holiday exception), signed in their browser with the programme key. At night she writes; her phone
grants the conversation key to the coach on duty the signed roster names (not her own coach).
Nobody answers within the programme's limit (the sweep runs with a ``now`` past it); the coach on
duty is told in his notifications, opens the conversation from there, reads her and replies; she
sees the reply. Phones at 360 px; staff at a desk and at 360 px."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from eportfolio.domain.people import Role
from eportfolio.duty import service
from eportfolio.kit.clock import utcnow
from eportfolio.kit.db import make_engine, make_sessionmaker
from eportfolio.kit.uow import unit_of_work
from eportfolio.notifications.tables import Notification
from eportfolio.programmes.tables import Programme
from tests.support.browser import DESKTOP, PHONE
from tests.support.chat_journey import connected, logged_in, sees, send_text, shows_state
from tests.support.live import LiveServer, in_database
from tests.support.signup import Keyring, invitation, new_member
from tests.support.trust import admin_with_programme_key, coach_a_signed
from tests.support.world import World

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("EPORTFOLIO_SCREENSHOTS")
ZONE = ZoneInfo("Europe/Amsterdam")
OUT_OF_HOURS = "We read your message tomorrow morning."


async def _shot(page: Any, name: str) -> None:
    if SHOTS:
        # What the screen shows (the menu bar stays at the bottom), as in the guides.
        await page.screenshot(path=str(Path(SHOTS) / f"duty-{name}.png"))


async def _fits(page: Any, name: str) -> None:
    await _shot(page, name)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{name}: {width}px wide on a 360px phone"


async def _night_coach(database_url: str, world: World) -> uuid.UUID:
    """A second coach of the programme, not hers: he answers at night when the roster says so."""
    return await new_member(database_url, world, "Coach Night", Role.coach, language="nl", coach_kind="individual")


async def _cast(server: LiveServer, database_url: str, world: World) -> uuid.UUID:
    """Everyone signs up with real keys; the admin holds the programme key and signs her coach's
    assignment. No roster yet: that is made in the browser. Returns the night coach's id."""
    night = await _night_coach(database_url, world)
    keyrings = [Keyring(server) for _ in range(5)]
    try:
        a = world.programme_a
        _, programme_key = await admin_with_programme_key(keyrings[0], database_url, world)
        await keyrings[1].sign_up(
            await invitation(database_url, world, world.participant_a, Role.participant, a), "mother.a"
        )
        coach, _ = await keyrings[2].sign_up(
            await invitation(database_url, world, world.coach_a, Role.coach, a), "coach.a"
        )
        await keyrings[3].sign_up(
            await invitation(database_url, world, world.supervisor_a, Role.supervisor, a), "supervisor.a"
        )
        await keyrings[4].sign_up(await invitation(database_url, world, night, Role.coach, a), "coach.night")
        await in_database(
            database_url,
            coach_a_signed(world, programme_key, coach.fingerprint),
            update(Programme)
            .where(Programme.id == a)
            .values(
                settings={
                    "out_of_hours_reply": OUT_OF_HOURS,
                    "first_escalation_minutes": 20,
                    "second_escalation_minutes": 60,
                }
            ),
        )
        return night
    finally:
        for keyring in keyrings:
            await keyring.http.aclose()


async def _make_roster(chromium: Any, server: LiveServer, world: World, errors: list[str], holiday: str) -> None:
    """The admin makes the roster by clicking: her programme's page, the "Duty roster" tab, one
    block every day around the clock with the night coach and the supervisor as second line, and a
    holiday on which the supervisor covers alone. Mistakes first: a block that ends before it starts."""
    staff = await logged_in(chromium, server, "admin", DESKTOP, errors)
    await staff.goto(f"{server.url}/manage/programmes/{world.programme_a}")
    await staff.click(f"nav.sub-nav a[href='/manage/programmes/{world.programme_a}/roster']")
    await staff.wait_for_selector("#roster-form[data-ready=yes]")
    assert "niemand heeft dienst" in (await staff.inner_text("#roster-current"))

    blocks = staff.locator("#roster-blocks > li")
    assert await blocks.count() == 2, "a day block and a night block to start with"
    await blocks.nth(0).locator(".roster-remove").click()
    block = blocks.nth(0)
    await block.locator("select[name=coach]").select_option(label="Coach Night")
    await block.locator("select[name=supervisor]").select_option(label="Supervisor A")
    # A block that ends before it starts is refused with words that say what to do.
    await block.locator("input[name=start]").fill("00:00")
    await block.locator("input[name=end]").fill("00:00")
    await block.locator("input[name=next_day]").uncheck()
    await staff.click("#roster-save")
    error = staff.locator("#roster-error")
    await error.wait_for(state="visible")
    assert "tot de volgende dag" in await error.inner_text()
    await block.locator("input[name=next_day]").check()

    await staff.click("#roster-add-exception")
    exception = staff.locator("#roster-exceptions > li").nth(0)
    await exception.locator("input[name=date]").fill(holiday)
    await exception.locator("select[name=coach]").select_option(value="")
    await _shot(staff, "editor-desk")
    await staff.set_viewport_size({"width": 360, "height": 740})
    await _fits(staff, "editor-phone")
    await staff.click("#roster-save")
    # The serial is the staff browser's, never the page's: at least the seconds since 1970
    # (js/shared/serials.js), so no older roster the server keeps outranks this one.
    await staff.wait_for_function(
        "(floor) => Number(document.querySelector('#roster-current')?.dataset.serial) >= floor",
        arg=int(time.time()) - 60,
        timeout=60_000,
    )
    assert await staff.locator("#roster-saved").is_visible(), "she is told it worked, next to the roster now"
    today = staff.locator(".roster-day").nth(0)
    assert "Coach: Coach Night" in await today.inner_text()
    assert "Tweede lijn: Supervisor A" in await today.inner_text()
    on_holiday = staff.locator(f".roster-day[data-day='{holiday}']")
    assert "Coach: niemand" in await on_holiday.inner_text()
    assert "Tweede lijn: Supervisor A" in await on_holiday.inner_text()
    await _fits(staff, "week-phone")
    # The next roster starts from the week she just made.
    await staff.wait_for_selector("#roster-form[data-ready=yes]")
    assert await blocks.count() == 1
    assert (await blocks.nth(0).locator("select[name=coach] option:checked").inner_text()).strip() == "Coach Night"
    assert await staff.locator("#roster-exceptions > li input[name=date]").input_value() == holiday
    await staff.context.close()


async def _escalate(database_url: str, minutes: int) -> int:
    """The background sweep, run with a ``now`` this many minutes ahead."""
    engine = make_engine(database_url)
    try:
        async with unit_of_work(make_sessionmaker(engine)) as uow:
            return await service.escalate_due(uow, utcnow() + timedelta(minutes=minutes))
    finally:
        await engine.dispose()


async def _waiting_notices(database_url: str) -> list[tuple[uuid.UUID, str]]:
    engine = make_engine(database_url)
    try:
        async with unit_of_work(make_sessionmaker(engine)) as uow:
            rows = await uow.session.execute(
                select(Notification.person_id, Notification.link).where(Notification.kind == "chat_waiting")
            )
            return [(person, link) for person, link in rows.tuples()]
    finally:
        await engine.dispose()


async def test_she_writes_at_night_nobody_answers_and_the_coach_on_duty_is_told_and_replies(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    night = await _cast(server, database_url, world)
    errors: list[str] = []
    holiday = (datetime.now(ZONE).date() + timedelta(days=3)).isoformat()
    await _make_roster(chromium, server, world, errors, holiday)

    # She sees who can answer now, and writes.
    her = await logged_in(chromium, server, "mother.a", PHONE, errors)
    await her.goto(f"{server.url}/chat")
    duty_line = her.locator(f"[data-duty-line='{world.programme_a}']")
    assert "Nu bereikbaar: Coach Night" in await duty_line.inner_text()
    await _fits(her, "chat-list")
    await her.click("form[action$='/coaching'] button[type=submit]")
    await her.wait_for_url(f"{server.url}/chat/*")
    conversation = her.url.rsplit("/", 1)[1]
    await connected(her)
    readers = await her.inner_text("#chat-readers-summary")
    assert "Coach Night" in readers, "her phone granted the key to the coach on duty in the signed roster"
    assert "Supervisor A" in readers
    text = "I cannot sleep, the rent is due tomorrow"
    await send_text(her, text)
    await shows_state(her, text, "sent")
    await asyncio.sleep(1)
    assert await her.locator("li.chat-msg--out_of_hours").count() == 0, "someone is on duty: no out-of-hours reply"

    # Nobody answers. Before the limit nothing happens; past it the coach on duty is told.
    assert await _escalate(database_url, 10) == 0
    assert await _waiting_notices(database_url) == []
    assert await _escalate(database_url, 21) == 1
    assert await _waiting_notices(database_url) == [(night, f"/chat/{conversation}")]

    # He opens it from his notifications, reads her and replies.
    coach = await logged_in(chromium, server, "coach.night", PHONE, errors)
    await coach.click("a[href='/notifications']")
    notice = coach.locator("button.notification-link", has_text="Iemand wacht op antwoord")
    await _fits(coach, "notifications")
    await notice.click()
    await coach.wait_for_url(f"{server.url}/chat/{conversation}")
    await connected(coach)
    await sees(coach, text)
    await _fits(coach, "conversation")
    reply = "I am here. Let us look at the rent together."
    await send_text(coach, reply)
    await sees(her, reply)
    await shows_state(coach, reply, "read")
    await _fits(her, "reply")

    # His own shifts and who is on duty, one tap from the chat line.
    await coach.goto(f"{server.url}/chat")
    await coach.click(f"[data-duty-line='{world.programme_a}'] a")
    await coach.wait_for_url(f"{server.url}/roster")
    assert "Coach Night" in await coach.inner_text(".duty-now")
    assert await coach.locator(".duty-mine li").count() >= 1
    await _fits(coach, "roster")
    assert errors == [], server.log()[-4000:]
