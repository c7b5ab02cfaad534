"""The in-app notification list as the chat's fallback: a member with no socket anywhere gets one
neutral unread entry per conversation (push or no push), linking to it; opening the conversation
reads it; nobody else sees it."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from sqlalchemy import select, update

from eportfolio.chat.tables import Conversation
from eportfolio.duty import service
from eportfolio.kit.clock import utcnow
from eportfolio.kit.uow import unit_of_work
from eportfolio.notifications.tables import Notification
from tests.support.chat import ChatClient, serve, session_token
from tests.support.chat_http import post_roster, send
from tests.support.client import Browser
from tests.support.conversations import open_coaching
from tests.support.world import World
from tests.support.world_keys import world_keys


async def chat_notices(app: FastAPI, person_id: uuid.UUID) -> list[Notification]:
    async with app.state.sessionmaker() as session:
        result = await session.execute(
            select(Notification).where(Notification.person_id == person_id, Notification.kind == "chat_message")
        )
        return list(result.scalars())


async def sends(app: FastAPI, url: str, person_id: uuid.UUID, conversation: str, count: int = 1) -> None:
    async with ChatClient.connect(url, await session_token(app, person_id), resume={}) as client:
        for _ in range(count):
            ack = await client.message(conversation)
            assert ack["type"] == "ack", ack
    await app.state.chat.pushes_settled()


async def notices_api(browser: Browser) -> list[dict[str, Any]]:
    response = await browser.api("GET", "/api/v1/notifications")
    assert response.status_code == 200, response.text
    return [n for n in response.json() if n["kind"] == "chat_message"]


async def test_an_offline_coach_gets_one_unread_entry_per_conversation_without_push(
    app: FastAPI, world: World, browser: Browser
) -> None:
    conversation = await open_coaching(browser, world)
    async with serve(app) as url:
        await sends(app, url, world.participant_a, conversation, count=3)
        await sends(app, url, world.participant_a, conversation)
    notices = await chat_notices(app, world.coach_a)
    assert len(notices) == 1, "repeated messages collapse into one entry"
    assert notices[0].read_at is None
    assert notices[0].link == f"/chat/{conversation}"
    assert notices[0].subject_id == uuid.UUID(conversation)
    assert notices[0].params == {}, "no content, no names"
    assert await chat_notices(app, world.participant_a) == [], "never for her own message"

    await browser.log_in_as(world.coach_a)
    page = await browser.get("/notifications")
    assert "Je hebt een nieuw bericht in de chat." in page.text
    listed = await notices_api(browser)
    assert [n["link"] for n in listed] == [f"/chat/{conversation}"]


async def test_a_coach_with_a_socket_open_gets_no_entry(app: FastAPI, world: World, browser: Browser) -> None:
    conversation = await open_coaching(browser, world)
    coach = await session_token(app, world.coach_a)
    async with serve(app) as url, ChatClient.connect(url, coach, resume={}):
        await sends(app, url, world.participant_a, conversation)
    assert await chat_notices(app, world.coach_a) == []


async def test_opening_the_conversation_reads_it_and_a_new_message_brings_it_back(
    app: FastAPI, world: World, browser: Browser
) -> None:
    conversation = await open_coaching(browser, world)
    async with serve(app) as url:
        await sends(app, url, world.participant_a, conversation)
        await browser.log_in_as(world.coach_a)
        home = (await browser.get("/")).text
        assert 'data-unread="1"' in home, "the count of unread notices on her home page"
        assert "1 nieuw" in home
        assert (await browser.get(f"/chat/{conversation}")).status_code == 200
        assert "data-unread" not in (await browser.get("/")).text
        [notice] = await chat_notices(app, world.coach_a)
        assert notice.read_at is not None, "she opened the conversation"
        assert [n["read_at"] is not None for n in await notices_api(browser)] == [True]

        await sends(app, url, world.participant_a, conversation)
        [again] = await chat_notices(app, world.coach_a)
        assert again.id == notice.id, "the same entry"
        assert again.read_at is None, "unread again"

        # Reading up to the newest message over HTTP reads it too (a client without the page).
        latest = (await browser.get(f"/api/v1/chat/conversations/{conversation}")).json()["last_seq"]
        marked = await browser.api("PUT", f"/api/v1/chat/conversations/{conversation}/read", json={"seq": latest})
        assert marked.status_code == 200, marked.text
        [read] = await chat_notices(app, world.coach_a)
        assert read.read_at is not None


async def test_nobody_else_sees_or_reads_her_entry(app: FastAPI, world: World, browser: Browser) -> None:
    conversation = await open_coaching(browser, world)
    async with serve(app) as url:
        await sends(app, url, world.participant_a, conversation)
    [notice] = await chat_notices(app, world.coach_a)

    await browser.log_in_as(world.participant_a2)
    assert await notices_api(browser) == []
    page = await browser.get("/notifications")
    assert str(notice.id) not in page.text
    refused = await browser.post_form(f"/notifications/{notice.id}/read")
    assert refused.status_code == 404
    # Opening someone else's conversation is refused and reads nothing.
    assert (await browser.get(f"/chat/{conversation}")).status_code in (403, 404)
    [still] = await chat_notices(app, world.coach_a)
    assert still.read_at is None

    await browser.log_in_as(world.coach_a)
    page = await browser.get("/notifications")
    assert re.search(rf'action="/notifications/{notice.id}/read"', page.text)


async def waiting_notices(app: FastAPI, person_id: uuid.UUID) -> list[Notification]:
    async with app.state.sessionmaker() as session:
        result = await session.execute(
            select(Notification).where(Notification.person_id == person_id, Notification.kind == "chat_waiting")
        )
        return list(result.scalars())


async def escalate(app: FastAPI, minutes: int) -> int:
    async with unit_of_work(app.state.sessionmaker, app.state.event_bus) as uow:
        raised = await service.escalate_due(uow, utcnow() + timedelta(minutes=minutes))
    await app.state.chat.pushes_settled()
    return raised


async def test_an_escalation_tells_the_person_on_duty_and_the_supervisor_without_a_key_finds_the_inbox(
    app: FastAPI, world: World, browser: Browser
) -> None:
    local_now = utcnow().astimezone(ZoneInfo("Europe/Amsterdam")).replace(tzinfo=None)
    await post_roster(browser, world, local_now - timedelta(hours=1), hours=12)
    conversation = await open_coaching(browser, world)
    await send(browser, conversation)
    assert await escalate(app, 31) == 1
    assert await waiting_notices(app, world.supervisor_a) == [], "the first level goes to the coach on duty"
    [to_coach] = await waiting_notices(app, world.coach_a)
    assert to_coach.subject_id == uuid.UUID(conversation)
    assert await escalate(app, 121) == 1
    [notice] = await waiting_notices(app, world.supervisor_a)
    assert notice.link == f"/chat#waiting-{conversation}", "no key for her yet: the inbox shows who waits"
    assert notice.subject_id == uuid.UUID(conversation)
    assert notice.params == {}, "no content, no names"
    assert await chat_notices(app, world.supervisor_a) == [], "not a 'new message' notice: it says someone waits"

    await browser.log_in_as(world.supervisor_a)
    page = await browser.get("/notifications")
    assert "Iemand wacht op antwoord in de chat. Jij hebt dienst." in page.text
    async with unit_of_work(app.state.sessionmaker) as uow:
        await uow.session.execute(
            update(Conversation)
            .where(Conversation.id == uuid.UUID(conversation))
            .values(waiting_since=utcnow() - timedelta(minutes=125, seconds=5))
        )
    inbox = await browser.get("/chat")
    assert f'id="waiting-{conversation}"' in inbox.text
    assert "wacht 2 uur en 5 minuten" in inbox.text, "how long, in plain words"


async def test_an_escalation_links_straight_into_a_conversation_her_browser_was_granted(
    app: FastAPI, world: World, browser: Browser
) -> None:
    """The supervisor on duty holds a grant (the participant's browser gave it because the signed
    roster names her): the notice opens the conversation, even while she has the chat open."""
    local_now = utcnow().astimezone(ZoneInfo("Europe/Amsterdam")).replace(tzinfo=None, microsecond=0)
    await post_roster(browser, world, local_now - timedelta(hours=1), hours=12)
    conversation = await open_coaching(browser, world)
    keys = await world_keys(browser.app, world)
    granted = await browser.api(
        "POST",
        f"/api/v1/chat/conversations/{conversation}/grants",
        json={"epoch": 1, "grants": [keys.grant(conversation, 1, world.participant_a, world.supervisor_a)]},
    )
    assert granted.status_code == 201, granted.text
    await send(browser, conversation)
    supervisor = await session_token(app, world.supervisor_a)
    async with serve(app) as url, ChatClient.connect(url, supervisor, resume={}) as online:
        assert await escalate(app, 31) == 1
        assert await escalate(app, 121) == 1
        frame = await online.until("escalation")
        assert frame["entry"]["conversation_id"] == conversation
        assert frame["entry"]["can_read"] is True
    [notice] = await waiting_notices(app, world.supervisor_a)
    assert notice.link == f"/chat/{conversation}"
    assert notice.read_at is None

    await browser.log_in_as(world.supervisor_a)
    assert (await browser.get(f"/chat/{conversation}")).status_code == 200
    [read] = await waiting_notices(app, world.supervisor_a)
    assert read.read_at is not None, "opening the conversation reads the notice"
