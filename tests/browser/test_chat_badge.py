"""The menu's Chat badge in real Chromium at 360 px: when she reads the conversation, the badge
goes at once, not at the next page load."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.browser import DESKTOP, PHONE
from tests.support.chat_journey import cast, connected, logged_in, opens_coaching, sees, send_text, shows_state
from tests.support.live import LiveServer
from tests.support.world import World

pytestmark = pytest.mark.browser


async def test_the_chat_badge_goes_when_she_reads_the_conversation(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    await cast(server, database_url, world)
    errors: list[str] = []
    her = await logged_in(chromium, server, "mother.a", PHONE, errors)
    conversation_url = await opens_coaching(her, server)
    await send_text(her, "Are you there?")
    await shows_state(her, "Are you there?", "sent")  # on the server before she leaves the page
    await her.goto(f"{server.url}/portfolio")

    coach = await logged_in(chromium, server, "coach.a", DESKTOP, errors)
    await coach.goto(conversation_url)
    await connected(coach)
    await sees(coach, "Are you there?")
    await send_text(coach, "Yes, I am here.")
    await coach.wait_for_selector("li.chat-msg--mine .chat-msg__state[data-state=sent]", timeout=15_000)

    await her.goto(f"{server.url}/chat")
    badge = her.locator("[data-nav=chat] .nav__badge")
    assert int(await badge.get_attribute("data-count") or 0) >= 1, "his answer waits for her"
    await her.goto(conversation_url)
    await connected(her)
    await sees(her, "Yes, I am here.")
    await badge.wait_for(state="detached", timeout=15_000)
    # And the server agrees: read. Her read marker is written a moment after the page shows it
    # (through the socket's group commit), so a busy server may need a moment.
    for _ in range(30):
        await her.goto(f"{server.url}/portfolio")
        if await badge.count() == 0:
            break
        await her.wait_for_timeout(500)
    assert await badge.count() == 0, "and the server agrees: read"
    assert errors == [], errors
