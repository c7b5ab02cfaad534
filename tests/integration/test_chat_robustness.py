"""The chat keeps up with what happens outside it: a socket closes when its session ends or times
out, even while nobody writes; a coach leaving makes the conversation's key due for a change."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import update
from websockets.exceptions import ConnectionClosed

from eportfolio.accounts.sessions import end_session, start_session
from eportfolio.accounts.tables import Session
from eportfolio.chat.ws import close_ended_sessions
from eportfolio.kit.clock import utcnow
from eportfolio.kit.uow import unit_of_work
from tests.integration.test_chat_protocol import Chat, open_coaching
from tests.support.chat import ChatClient, serve, session_token
from tests.support.client import Browser
from tests.support.world import World
from tests.support.world_keys import world_keys


@pytest.fixture
async def chat(app: FastAPI, world: World, browser: Browser) -> AsyncIterator[Chat]:
    conversation = await open_coaching(browser, world)
    async with serve(app) as url:
        mother, coach = await session_token(app, world.participant_a), await session_token(app, world.coach_a)
        yield Chat(url, app, world, conversation, mother, coach)


async def _session(chat: Chat) -> tuple[str, object]:
    async with unit_of_work(chat.app.state.sessionmaker) as uow:
        row, token = await start_session(uow, chat.app.state.settings, chat.world.participant_a)
    return token, row.id


async def _drain(client: ChatClient) -> None:
    while True:
        await client.recv(5)


async def _closed_with(client: ChatClient) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        await _drain(client)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def test_an_idle_socket_closes_when_her_session_is_ended_elsewhere(chat: Chat) -> None:
    token, session_id = await _session(chat)
    async with (
        ChatClient.connect(chat.url, token, resume={}) as ended,
        ChatClient.connect(chat.url, chat.coach, resume={}) as other,
    ):
        async with unit_of_work(chat.app.state.sessionmaker) as uow:
            await end_session(uow, session_id, "logout")  # type: ignore[arg-type]
        assert await close_ended_sessions(chat.app) == 1
        assert await _closed_with(ended) == 4401
        # Everyone else keeps their socket.
        await other.send({"type": "ping"})
        assert (await other.until("pong"))["type"] == "pong"


async def test_a_frame_after_her_session_ended_closes_the_socket_and_a_live_session_is_kept_in_use(
    chat: Chat,
) -> None:
    runtime = chat.app.state.chat
    runtime.limits = dataclasses.replace(runtime.limits, session_check_seconds=0.0)  # checked on every frame
    token, session_id = await _session(chat)
    async with ChatClient.connect(chat.url, token, resume={}) as mother:
        async with unit_of_work(chat.app.state.sessionmaker) as uow:
            await uow.session.execute(
                update(Session).where(Session.id == session_id).values(last_seen_at=utcnow() - timedelta(minutes=10))
            )
        await mother.send({"type": "ping"})
        assert (await mother.until("pong"))["type"] == "pong"
        async with unit_of_work(chat.app.state.sessionmaker) as uow:
            seen = (await uow.session.get(Session, session_id)).last_seen_at  # type: ignore[union-attr]
        assert utcnow() - seen < timedelta(minutes=1), "a frame counts as her using the session"
        async with unit_of_work(chat.app.state.sessionmaker) as uow:
            await end_session(uow, session_id, "logout")  # type: ignore[arg-type]
        await mother.send({"type": "ping"})
        assert await _closed_with(mother) == 4401


async def test_an_idle_socket_closes_when_her_session_times_out(chat: Chat) -> None:
    token, session_id = await _session(chat)
    async with ChatClient.connect(chat.url, token, resume={}) as idle:
        # Still live: the sweep leaves it open (and does not count as her using the session).
        assert await close_ended_sessions(chat.app) == 0
        idle_minutes = chat.app.state.settings.session_idle_minutes
        async with unit_of_work(chat.app.state.sessionmaker) as uow:
            await uow.session.execute(
                update(Session)
                .where(Session.id == session_id)
                .values(last_seen_at=utcnow() - timedelta(minutes=idle_minutes + 1))
            )
        assert await close_ended_sessions(chat.app) == 1
        assert await _closed_with(idle) == 4401


async def test_when_her_coach_assignment_ends_the_key_is_due_for_a_change(chat: Chat, browser: Browser) -> None:
    world = chat.world
    async with ChatClient.connect(chat.url, chat.mother, resume={}) as mother:
        await browser.log_in_as(world.staff_a)
        ended = await browser.api(
            "POST", f"/api/v1/programmes/{world.programme_a}/coach-assignments/{world.assignment_a}/end"
        )
        assert ended.status_code == 200, ended.text
        frame = await mother.until("epoch")
        assert frame == {"type": "epoch", "conversation_id": chat.conversation, "epoch": 1, "rotation_due": True}

    await browser.log_in_as(world.participant_a)
    url = f"/api/v1/chat/conversations/{chat.conversation}"
    conversation = (await browser.get(url)).json()
    assert conversation["rotation_due"] is True
    assert [m["role"] for m in conversation["members"]] == ["participant"], "the coach who left is not a member"

    # Her browser makes the new epoch for the members she has now; the flag is gone.
    keys = await world_keys(chat.app, world)
    new_epoch = await keys.post_epoch(browser, chat.conversation, 2, world.participant_a, [world.participant_a])
    assert new_epoch.status_code == 201, new_epoch.text
    assert (await browser.get(url)).json()["rotation_due"] is False


async def test_an_assignment_ending_without_a_conversation_changes_nothing(chat: Chat) -> None:
    """Her coach leaves before she ever chatted: nothing to rotate, and the end still succeeds."""
    from eportfolio.chat import service

    async with unit_of_work(chat.app.state.sessionmaker) as uow:
        flagged = await service.reader_left(uow, chat.world.programme_b, chat.world.participant_b)
    assert flagged is False
