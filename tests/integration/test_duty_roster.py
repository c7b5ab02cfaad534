"""The 24/7 chain around the signed duty roster: the out-of-hours reply only when nobody is on duty,
an escalation that reaches whoever is on duty (the coach first, the supervisor as second line),
the pages that show who is on duty now and next, the staff page that makes the roster, the demo's
roster, and the development push keys made at first start."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from sqlalchemy import select

from eportfolio import crypto, demo
from eportfolio.config import Settings
from eportfolio.domain.chat import Duty
from eportfolio.duty import service
from eportfolio.duty.repository import DutyRepository
from eportfolio.kit.clock import utcnow
from eportfolio.kit.uow import unit_of_work
from eportfolio.notifications.tables import Notification
from eportfolio.notifications.vapid import with_development_keys
from eportfolio.programmes.repository import system_scope
from eportfolio.programmes.tables import Person, Programme
from eportfolio.trust.tables import ProgrammeKey
from tests.support.chat_http import send, set_settings
from tests.support.client import Browser, settle_and_dispose
from tests.support.conversations import open_coaching
from tests.support.duty import ZONE, local_now, roster, waiting_for_coach_a
from tests.support.world import World


async def system_notices(browser: Browser, world: World, conversation: str) -> list[str]:
    await browser.log_in_as(world.participant_a)
    page = (await browser.api("GET", f"/api/v1/chat/conversations/{conversation}/messages")).json()
    return [m["notice"] for m in page["messages"] if m["kind"] == "system"]


async def test_no_out_of_hours_reply_while_only_the_supervisor_is_on_duty(
    app: FastAPI, browser: Browser, world: World
) -> None:
    await set_settings(app, world, out_of_hours_reply="We answer tomorrow.")
    now = local_now()
    on_duty = [(world.supervisor_a, "supervisor", now - timedelta(hours=1), now + timedelta(hours=4))]
    await roster(browser, world, on_duty)
    conversation = await open_coaching(browser, world)
    await send(browser, conversation)
    assert await system_notices(browser, world, conversation) == [], "someone is on duty: no out-of-hours reply"


async def test_the_out_of_hours_reply_goes_when_the_next_shift_has_not_begun(
    app: FastAPI, browser: Browser, world: World
) -> None:
    await set_settings(app, world, out_of_hours_reply="We answer tomorrow.")
    now = local_now()
    await roster(browser, world, [(world.coach_a, "coach", now + timedelta(hours=2), now + timedelta(hours=10))])
    conversation = await open_coaching(browser, world)
    await send(browser, conversation)
    assert await system_notices(browser, world, conversation) == ["out_of_hours"]


async def test_with_no_coach_on_duty_the_first_escalation_reaches_the_supervisor_on_duty(
    app: FastAPI, browser: Browser, world: World
) -> None:
    now = local_now()
    on_duty = [(world.supervisor_a, "supervisor", now - timedelta(hours=1), now + timedelta(hours=4))]
    await roster(browser, world, on_duty)
    conversation = await open_coaching(browser, world)
    await send(browser, conversation)
    async with unit_of_work(app.state.sessionmaker, app.state.event_bus) as uow:
        assert await service.escalate_due(uow, utcnow() + timedelta(minutes=31)) == 1
    async with app.state.sessionmaker() as session:
        told = (
            await session.execute(select(Notification.person_id).where(Notification.kind == "chat_waiting"))
        ).scalars().all()
    assert told == [world.supervisor_a]


async def test_everyone_sees_who_is_on_duty_now_and_next_and_her_own_shifts(
    app: FastAPI, browser: Browser, world: World
) -> None:
    now = local_now()
    await roster(
        browser,
        world,
        [
            (world.coach_a, "coach", now - timedelta(hours=1), now + timedelta(hours=3)),
            (world.supervisor_a, "supervisor", now - timedelta(hours=1), now + timedelta(hours=3)),
            (world.coach_a, "coach", now + timedelta(days=1), now + timedelta(days=1, hours=8)),
        ],
    )
    await browser.log_in_as(world.coach_a)
    page = (await browser.get("/roster")).text
    now_part = page.split('duty-now"')[1].split("</ul>")[0]
    next_part = page.split('duty-next"')[1].split("</ul>")[0]
    mine_part = page.split('duty-mine"')[1].split("</ul>")[0]
    assert "Coach A" in now_part
    assert "Supervisor A" in now_part
    assert "Coach A" in next_part
    assert "Supervisor A" not in next_part
    assert mine_part.count("<li") == 2, "her shift now and tomorrow's"

    await browser.log_in_as(world.participant_a)
    chat = (await browser.get("/chat")).text
    assert "Nu bereikbaar: Coach A<" in chat, "the same coach next: said once"
    assert (await browser.get("/roster")).status_code == 200
    await browser.log_in_as(world.participant_b)
    other = (await browser.get("/roster")).text
    assert "Coach A" not in other, "another programme's roster is not hers to see"


async def test_staff_see_the_roster_as_a_week_and_the_editor_with_who_can_be_on_duty(
    browser: Browser, world: World
) -> None:
    now = local_now()
    start = now.replace(hour=8, minute=0, second=0)
    await roster(
        browser,
        world,
        [
            (world.coach_a, "coach", start, start + timedelta(hours=12)),
            (world.supervisor_a, "supervisor", start, start + timedelta(hours=12)),
        ],
    )
    page = await browser.get(f"/manage/programmes/{world.programme_a}/roster")
    assert page.status_code == 200
    week = page.text.split('class="roster-week"')[1].split("</ol>")[0]
    assert "08:00 – 20:00" in week
    assert "Coach: Coach A" in week
    assert "Tweede lijn: Supervisor A" in week
    assert f'href="/manage/programmes/{world.programme_a}/roster" aria-current="page"' in page.text
    assert 'data-next-serial="2"' in page.text
    # Who can be on duty: coaches for the coach's duty, supervisors as second line.
    coach_select = page.text.split('name="coach"')[1].split("</select>")[0]
    supervisor_select = page.text.split('name="supervisor"')[1].split("</select>")[0]
    assert f'value="{world.coach_a}"' in coach_select
    assert str(world.supervisor_a) not in coach_select
    assert f'value="{world.supervisor_a}"' in supervisor_select
    await browser.log_in_as(world.coach_a)
    assert (await browser.get(f"/manage/programmes/{world.programme_a}/roster")).status_code == 403


async def test_the_demo_has_coaches_on_duty_in_office_hours_with_a_supervisor_and_real_out_of_hours(
    app: FastAPI,
) -> None:
    await demo.load(app.state.sessionmaker)
    async with unit_of_work(app.state.sessionmaker) as uow:
        emmen = (
            await uow.session.execute(select(Programme).where(Programme.slug == "smart-mama-emmen"))
        ).scalar_one()
        repo = DutyRepository(uow.session)
        scope = system_scope(emmen.organisation_id, emmen.id)
        zone = ZoneInfo(emmen.time_zone)
        today = utcnow().astimezone(zone).date()
        on_duty: set[uuid.UUID] = set()
        for offset in range(1, 15):
            day = today + timedelta(days=offset)
            for hour in (10, 14):
                at = datetime.combine(day, datetime.min.time(), zone).replace(hour=hour)
                coaches = await repo.on_duty(scope, at, Duty.coach)
                if day.weekday() < 5:
                    assert coaches, f"a coach on duty on {day} at {hour}:00"
                    assert await repo.on_duty(scope, at, Duty.supervisor), f"a supervisor on {day} at {hour}:00"
                    on_duty.update(coaches)
                else:
                    assert not coaches, f"nobody on duty in the weekend ({day})"
            for hour in (7, 21):
                at = datetime.combine(day, datetime.min.time(), zone).replace(hour=hour)
                assert not await repo.on_duty(scope, at, Duty.coach), f"out of hours on {day} at {hour}:00"
        names = await uow.session.execute(
            select(Person.display_name).where(Person.id.in_(on_duty))
        )
        assert set(names.scalars()) == {"Chantal Coach", "Yasmina Ervaringscoach"}, "the peer coach has shifts"
        current = await repo.roster_at(scope, utcnow())
        assert current is not None
        key = await uow.session.execute(
            select(ProgrammeKey.ed25519_public).where(ProgrammeKey.programme_id == emmen.id)
        )
        record = crypto.verify_record(
            crypto.b64u_decode(current.signed_record), key.scalar_one(), crypto.RecordKind.DUTY_ROSTER
        )
        assert isinstance(record.body, crypto.DutyRoster)
    again = await demo.load(app.state.sessionmaker)
    assert not [c for c in again.created if c.startswith("duty roster")], "a roster in force is kept"


def test_development_push_keys_are_made_once_and_kept_outside_the_repository(tmp_path: Path) -> None:
    key_file = tmp_path / "var" / "vapid.json"
    development = Settings(env="development", vapid_key_file=key_file)
    first = with_development_keys(development)
    assert first.vapid_private_key
    assert first.vapid_public_key
    assert len(crypto.b64u_decode(first.vapid_public_key)) == 65, "an uncompressed P-256 point"
    assert key_file.stat().st_mode & 0o077 == 0, "readable by the server's user only"
    again = with_development_keys(Settings(env="development", vapid_key_file=key_file))
    assert (again.vapid_private_key, again.vapid_public_key) == (first.vapid_private_key, first.vapid_public_key)
    assert json.loads(key_file.read_text())["public_key"] == first.vapid_public_key
    # Production and tests use what they are given, nothing made.
    other = tmp_path / "other.json"
    assert with_development_keys(Settings(env="test", vapid_key_file=other)).vapid_private_key is None
    assert not other.exists()
    configured = Settings(env="development", vapid_private_key="given", vapid_public_key="pub", vapid_key_file=other)
    assert with_development_keys(configured).vapid_private_key == "given"
    assert not other.exists()


def test_the_chat_line_says_who_is_available_now_and_who_next_in_plain_words() -> None:
    from starlette.requests import Request

    from eportfolio.chat.pages import duty_line
    from eportfolio.domain.chat import DutyOverview, DutyShift

    request = Request({"type": "http", "headers": [], "state": {}})
    start = datetime(2026, 12, 7, 20, tzinfo=ZONE)

    def shift(name: str, duty: Duty, hours: int) -> DutyShift:
        begins = start + timedelta(hours=hours)
        return DutyShift(
            person_id=uuid.uuid4(), display_name=name, duty=duty, starts_at=begins, ends_at=begins + timedelta(hours=12)
        )

    def line(now: list[DutyShift], later: list[DutyShift], has_roster: bool = True) -> str | None:
        return duty_line(
            request, DutyOverview(programme_id=uuid.uuid4(), has_roster=has_roster, now=now, next=later, mine=[])
        )

    night, day = shift("Giselle", Duty.coach, 0), shift("Chantal", Duty.coach, 12)
    second = shift("Bianca", Duty.supervisor, 0)
    assert line([night, second], [day]) == "Nu bereikbaar: Giselle, daarna Chantal", "the coach on duty first"
    assert line([second], [day]) == "Nu bereikbaar: Bianca, daarna Chantal", "only the second line now"
    assert line([], [day]) == "Nu is niemand bereikbaar. Hierna: Chantal"
    assert line([night], [night]) == "Nu bereikbaar: Giselle"
    assert line([], [], has_roster=False) is None


async def test_the_server_itself_passes_on_an_unanswered_message_and_tells_who_is_on_duty(
    settings: Settings, database_url: str
) -> None:
    """No one calls ``escalate_due`` here: outside production the running app runs the periodic
    jobs itself (``eportfolio.jobs.in_process``; so ``make run`` does), at their interval."""
    from eportfolio.app import create_app
    from eportfolio.chat.tables import Conversation
    from tests.support.chat import serve
    from tests.support.world import build_world

    application = create_app(settings.model_copy(update={"escalation_sweep_seconds": 0.2}))
    try:
        world = await build_world(application.state.sessionmaker)
        async with Browser(application) as browser:
            now = local_now()
            await roster(browser, world, [(world.coach_a, "coach", now - timedelta(hours=1), now + timedelta(hours=4))])
            conversation = await open_coaching(browser, world)
            await send(browser, conversation)
        async with unit_of_work(application.state.sessionmaker) as uow:
            row = await uow.session.get(Conversation, uuid.UUID(conversation))
            assert row is not None
            row.waiting_since = utcnow() - timedelta(minutes=31)
        async with serve(application):
            for _ in range(100):
                async with application.state.sessionmaker() as session:
                    told = (
                        await session.execute(select(Notification.person_id).where(Notification.kind == "chat_waiting"))
                    ).scalars().all()
                if told:
                    break
                await asyncio.sleep(0.1)
        assert told == [world.coach_a]
    finally:
        await settle_and_dispose(application)


async def _escalate_command(database_url: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "eportfolio.cli", "escalate"],
        capture_output=True,
        text=True,
        env={**os.environ, "EPORTFOLIO_DATABASE_URL": database_url, "EPORTFOLIO_ENV": "test"},
        timeout=120,
        check=False,
    )


async def _told(app: FastAPI) -> list[uuid.UUID]:
    async with app.state.sessionmaker() as session:
        found = await session.execute(select(Notification.person_id).where(Notification.kind == "chat_waiting"))
        return list(found.scalars())


async def test_the_escalate_command_passes_on_an_unanswered_message_once(
    app: FastAPI, browser: Browser, world: World, database_url: str
) -> None:
    """In production a timer runs ``eportfolio escalate`` (deploy/systemd/eportfolio-escalate.timer)."""
    conversation = await waiting_for_coach_a(app, browser, world, minutes=31)
    first = await _escalate_command(database_url)
    assert (first.returncode, first.stdout.strip()) == (0, "conversations escalated: 1"), first.stderr
    again = await _escalate_command(database_url)
    assert again.stdout.strip() == "conversations escalated: 0", "an escalation comes once"
    assert await _told(app) == [world.coach_a]
    assert await system_notices(browser, world, conversation) == ["escalated"]


async def test_in_production_the_workers_leave_escalation_to_the_timer(
    settings: Settings, database_url: str
) -> None:
    """Every worker ran the sweep before; now one command does, so a worker escalates nothing."""
    from eportfolio.app import create_app
    from tests.support.chat import serve
    from tests.support.world import build_world

    assert Settings(env="production").runs_periodic_jobs is False
    assert Settings(env="development").runs_periodic_jobs is True
    assert Settings(env="production", periodic_jobs_in_app=True).runs_periodic_jobs is True
    application = create_app(
        settings.model_copy(update={"escalation_sweep_seconds": 0.1, "periodic_jobs_in_app": False})
    )
    try:
        world = await build_world(application.state.sessionmaker)
        async with Browser(application) as browser:
            await waiting_for_coach_a(application, browser, world, minutes=31)
        async with serve(application):
            await asyncio.sleep(1.0)
        assert await _told(application) == []
    finally:
        await settle_and_dispose(application)
