"""Access-log scenarios of the chat: each personal-data service of ``eportfolio.chat.service``, and
the duty feature's shared inbox (``eportfolio.duty.service``), which lists who waits in a chat."""

from __future__ import annotations

import uuid

from eportfolio.chat import service as chat
from eportfolio.domain.chat import ConversationKind, ConversationOpen, EpochCreate, MessageCreate
from eportfolio.duty import service as duty
from eportfolio.kit.auth import Caller
from eportfolio.kit.uow import UnitOfWork
from tests.support.access_scenarios import scenario
from tests.support.chat import body, client_id
from tests.support.world import World
from tests.support.world_keys import keys_in

S = "eportfolio.chat.service."
D = "eportfolio.duty.service."


def _her(w: World) -> Caller:
    return Caller(person_id=w.participant_a, organisation_id=w.organisation_id, session_id=None)


async def _conversation(uow: UnitOfWork, w: World) -> uuid.UUID:
    """Her conversation with Coach A (his assignment signed by Staff A), at key epoch 1."""
    await keys_in(uow, w)
    her = _her(w)
    opened = await chat.open_conversation(
        uow,
        her,
        ConversationOpen(programme_id=w.programme_a, kind=ConversationKind.coaching, participant_id=w.participant_a),
    )
    if opened.epoch == 0:
        keys = await keys_in(uow, w)
        key, body = keys.new_epoch(str(opened.id), 1, w.participant_a, [w.participant_a, w.coach_a])
        await chat.create_epoch(uow, her, opened.id, EpochCreate.model_validate(body))
        keys.keep(str(opened.id), 1, key)
    return opened.id


async def _waiting(uow: UnitOfWork, caller: Caller, w: World) -> object:
    conversation = await _conversation(uow, w)
    return await chat.send_message(
        uow, _her(w), conversation, MessageCreate(client_id=client_id(), body=body(), epoch=1)
    )


@scenario(S + "send_message", lambda w: w.participant_a)
async def _send_message(uow: UnitOfWork, caller: Caller, w: World) -> object:
    conversation = await _conversation(uow, w)
    return await chat.send_message(
        uow, caller, conversation, MessageCreate(client_id=client_id(), body=body(), epoch=1)
    )


@scenario(S + "send_messages", lambda w: w.participant_a)
async def _send_messages(uow: UnitOfWork, caller: Caller, w: World) -> object:
    conversation = await _conversation(uow, w)
    data = MessageCreate(client_id=client_id(), body=body(), epoch=1)
    return await chat.send_messages(uow, [chat.PendingSend(caller, conversation, data)])


@scenario(S + "list_messages", lambda w: w.coach_a, setup=_waiting)
async def _list_messages(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await chat.list_messages(uow, caller, await _conversation(uow, w))


@scenario(D + "inbox", lambda w: w.coach_a, setup=_waiting)
async def _inbox(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await duty.inbox(uow, caller, w.programme_a)


# Files in the chat register their scenarios from their own module.
from tests.support import chat_attachment_scenarios  # noqa: E402, F401 - imported for its registration, after the registry exists
