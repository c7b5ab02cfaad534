"""Duty roster helpers for tests: local times in the test world's zone, a roster staff sign and
post, and a message waiting for coach A while he is on duty."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from eportfolio.kit.clock import utcnow
from eportfolio.kit.uow import unit_of_work
from tests.support.chat_http import send
from tests.support.client import Browser
from tests.support.conversations import open_coaching
from tests.support.world import World
from tests.support.world_keys import world_keys

ZONE = ZoneInfo("Europe/Amsterdam")


def local_now() -> datetime:
    return utcnow().astimezone(ZONE).replace(tzinfo=None, microsecond=0)


async def roster(browser: Browser, world: World, shifts: list[tuple[uuid.UUID, str, datetime, datetime]]) -> None:
    """Staff A signs and posts these shifts (local times), valid from an hour ago (or from the first
    shift, when the caller's clock read for it was a second earlier than this one's)."""
    keys = await world_keys(browser.app, world)
    await browser.log_in_as(world.staff_a)
    response = await browser.api(
        "POST",
        f"/api/v1/chat/programmes/{world.programme_a}/rosters",
        json=keys.roster(
            shifts,
            serial=1,
            valid_from=min(local_now() - timedelta(hours=1), *(s[2] for s in shifts)),
            valid_until=max(s[3] for s in shifts),
        ),
    )
    assert response.status_code == 201, response.text


async def waiting_for_coach_a(app: FastAPI, browser: Browser, world: World, minutes: int) -> str:
    """Coach A on duty now; she wrote ``minutes`` ago and nobody answered."""
    from eportfolio.chat.tables import Conversation

    now = local_now()
    await roster(browser, world, [(world.coach_a, "coach", now - timedelta(hours=1), now + timedelta(hours=4))])
    conversation = await open_coaching(browser, world)
    await send(browser, conversation)
    async with unit_of_work(app.state.sessionmaker) as uow:
        row = await uow.session.get(Conversation, uuid.UUID(conversation))
        assert row is not None
        row.waiting_since = utcnow() - timedelta(minutes=minutes)
    return conversation
