"""The send path is the chat's hot path: its number of SQL statements is pinned here, so a change
that adds a query per message shows up as a failing test rather than as a slower benchmark."""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from sqlalchemy import select

from eportfolio.chat import service
from eportfolio.domain.chat import MessageCreate, SendResult
from eportfolio.kit.audit import AccessLogEntry
from eportfolio.kit.auth import Caller
from eportfolio.kit.uow import unit_of_work
from tests.support.chat import body, client_id
from tests.support.client import Browser
from tests.support.conversations import open_coaching
from tests.support.queries import counted
from tests.support.world import World
from tests.support.world_keys import world_keys


async def _send(app: FastAPI, caller: Caller, conversation: uuid.UUID) -> None:
    async with unit_of_work(app.state.sessionmaker, app.state.event_bus) as uow:
        await service.send_message(
            uow, caller, conversation, MessageCreate(client_id=client_id(), body=body(), epoch=1)
        )


async def test_a_message_costs_a_fixed_number_of_statements(app: FastAPI, world: World, browser: Browser) -> None:
    conversation = uuid.UUID(await open_coaching(browser, world))
    mother = Caller(person_id=world.participant_a, organisation_id=world.organisation_id, session_id=None)
    coach = Caller(person_id=world.coach_a, organisation_id=world.organisation_id, session_id=None)
    await _send(app, mother, conversation)  # her first message starts the wait
    await app.state.chat.pushes_settled()  # her coach's offline notice is written after commit, beside it
    with counted(app) as statements:
        await _send(app, coach, conversation)
    # Her conversation, the programme and her roles (authorisation), the members (one query), a
    # resend check, the seq with the wait, the message, her marker, the access log (the same store as
    # the socket's sends: on PostgreSQL the last four are one statement).
    assert statements == ["SELECT"] * 5 + _on_the_socket(app), statements


async def _send_on_socket(app: FastAPI, cache: service.AccessCache, *sends: tuple[Caller, uuid.UUID]) -> None:
    pending = [
        service.PendingSend(c, conv, MessageCreate(client_id=client_id(), body=body(), epoch=1)) for c, conv in sends
    ]
    async with unit_of_work(app.state.sessionmaker, app.state.event_bus) as uow:
        results = await service.send_messages(uow, pending, cache=cache)
    assert all(isinstance(r, SendResult) and not r.duplicate for r in results), results


async def test_on_the_socket_a_message_with_her_membership_cached_costs_a_fixed_number_of_statements(
    app: FastAPI, world: World, browser: Browser
) -> None:
    conversation = uuid.UUID(await open_coaching(browser, world))
    mother = Caller(person_id=world.participant_a, organisation_id=world.organisation_id, session_id=None)
    coach = Caller(person_id=world.coach_a, organisation_id=world.organisation_id, session_id=None)
    cache = service.AccessCache()
    await _send_on_socket(app, cache, (mother, conversation))
    await _send_on_socket(app, cache, (coach, conversation))  # his membership is checked and cached
    await app.state.chat.pushes_settled()
    with counted(app) as statements:
        await _send_on_socket(app, cache, (coach, conversation))
    # A resend check, the seq with the wait (and the epoch the cache is checked against), the
    # message, his marker, the access log: on PostgreSQL the last four are one statement.
    assert statements == _on_the_socket(app), statements


def _on_the_socket(app: FastAPI) -> list[str]:
    if app.state.settings.is_sqlite:
        return ["SELECT", "UPDATE", "INSERT", "INSERT", "INSERT"]
    return ["SELECT", "WITH"]


async def test_sends_to_several_conversations_commit_together_in_the_same_statements(
    app: FastAPI, world: World, browser: Browser
) -> None:
    conversation = uuid.UUID(await open_coaching(browser, world))
    # A second conversation: the supervision conversation of her coach, at key epoch 1.
    await browser.log_in_as(world.coach_a)
    opened = await browser.api(
        "POST",
        "/api/v1/chat/conversations",
        json={"programme_id": str(world.programme_a), "kind": "supervision", "coach_id": str(world.coach_a)},
    )
    assert opened.status_code == 200, opened.text
    supervision = uuid.UUID(opened.json()["id"])
    keys = await world_keys(app, world)
    epoch = await keys.post_epoch(browser, str(supervision), 1, world.coach_a, [world.coach_a, world.supervisor_a])
    assert epoch.status_code == 201, epoch.text
    mother = Caller(person_id=world.participant_a, organisation_id=world.organisation_id, session_id=None)
    supervisor = Caller(person_id=world.supervisor_a, organisation_id=world.organisation_id, session_id=None)
    cache = service.AccessCache()
    await _send_on_socket(app, cache, (mother, conversation), (supervisor, supervision))
    await app.state.chat.pushes_settled()
    with counted(app) as statements:
        await _send_on_socket(app, cache, (mother, conversation), (supervisor, supervision))
    assert statements == _on_the_socket(app), statements
    async with unit_of_work(app.state.sessionmaker) as uow:
        for conv in (conversation, supervision):
            page = await service.list_messages(uow, supervisor if conv == supervision else mother, conv)
            assert [m.seq for m in page.messages] == [1, 2], "gapless per conversation"
        logged = await uow.session.scalars(
            select(AccessLogEntry.actor_person_id).where(
                AccessLogEntry.record_kind == "chat_message", AccessLogEntry.action == "create"
            )
        )
        assert sorted(map(str, logged)) == sorted(map(str, [world.participant_a, world.supervisor_a] * 2)), (
            "every message sent in a batch is in the access log"
        )
