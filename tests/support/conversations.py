"""A coaching conversation to test in: opened by her, with a first key epoch granted to her and her coach."""

from __future__ import annotations

import dataclasses
import uuid

from fastapi import FastAPI

from tests.support.chat import session_token
from tests.support.client import Browser
from tests.support.world import World
from tests.support.world_keys import world_keys


@dataclasses.dataclass
class Chat:
    url: str
    app: FastAPI
    world: World
    conversation: str
    mother: str  # session tokens
    coach: str

    async def token(self, person_id: uuid.UUID) -> str:
        return await session_token(self.app, person_id)


async def open_coaching(browser: Browser, world: World) -> str:
    """Her conversation with her coach (whose assignment Staff A signed), with a first key epoch
    her browser made and granted to both (tests/support/world_keys.py)."""
    keys = await world_keys(browser.app, world)
    await browser.log_in_as(world.participant_a)
    opened = await browser.api(
        "POST",
        "/api/v1/chat/conversations",
        json={"programme_id": str(world.programme_a), "kind": "coaching", "participant_id": str(world.participant_a)},
    )
    assert opened.status_code == 200, opened.text
    conversation = str(opened.json()["id"])
    epoch = await keys.post_epoch(browser, conversation, 1, world.participant_a, [world.participant_a, world.coach_a])
    assert epoch.status_code == 201, epoch.text
    return conversation
