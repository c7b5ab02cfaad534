"""The send path is the chat's hot path: its number of SQL statements is pinned here, so a change
that adds a query per message shows up as a failing test rather than as a slower benchmark."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI
from sqlalchemy import event

from eportfolio.chat import service
from eportfolio.domain.chat import MessageCreate
from eportfolio.kit.auth import Caller
from eportfolio.kit.uow import unit_of_work
from tests.integration.test_chat_protocol import open_coaching
from tests.support.chat import body, client_id
from tests.support.client import Browser
from tests.support.world import World


@contextmanager
def counted(app: FastAPI) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement.split()[0].upper())

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


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
    with counted(app) as statements:
        await _send(app, coach, conversation)
    # Her conversation, the programme and her roles (authorisation), the members (one query), a
    # resend check, the seq with the wait, the message, her marker, the access log.
    assert statements == ["SELECT"] * 6 + ["UPDATE", "INSERT", "INSERT", "INSERT"], statements
