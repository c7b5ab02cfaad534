"""JSON routes of the chat under /api/v1/chat: the same operations as the WebSocket, for clients
that cannot hold a socket, plus key epochs and grants and push subscriptions. The duty roster and
the shared inbox are the duty feature's (``duty.api``), under the same prefix."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Request, Response

from eportfolio.chat import service
from eportfolio.domain.chat import (
    ConversationOpen,
    ConversationRead,
    EpochCreate,
    EpochRead,
    GrantCreate,
    GrantRead,
    MarkerRead,
    MarkerUpdate,
    MessageCreate,
    MessagePage,
    OwnGrantsCreate,
    PushSettingsRead,
    PushSettingsUpdate,
    PushSubscriptionCreate,
    PushSubscriptionDelete,
    SendResult,
)
from eportfolio.domain.common import DomainModel
from eportfolio.domain.people import CoachAssignmentRead
from eportfolio.kit.auth import CallerDep
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import api_router

router = api_router("/chat", "chat")


class GrantsCreate(DomainModel):
    epoch: int
    grants: list[GrantCreate]


@router.get("/conversations")
async def list_conversations(uow: UowDep, caller: CallerDep) -> list[ConversationRead]:
    return await service.list_conversations(uow, caller)


@router.post("/conversations")
async def open_conversation(uow: UowDep, caller: CallerDep, data: ConversationOpen) -> ConversationRead:
    return await service.open_conversation(uow, caller, data)


@router.get("/conversations/{conversation_id}")
async def get_conversation(uow: UowDep, caller: CallerDep, conversation_id: uuid.UUID) -> ConversationRead:
    return await service.get_conversation(uow, caller, conversation_id)


@router.get("/conversations/{conversation_id}/coach-assignments")
async def conversation_assignments(
    uow: UowDep, caller: CallerDep, conversation_id: uuid.UUID
) -> list[CoachAssignmentRead]:
    return await service.conversation_assignments(uow, caller, conversation_id)


@router.post("/conversations/{conversation_id}/messages")
async def send_message(
    uow: UowDep, caller: CallerDep, conversation_id: uuid.UUID, data: MessageCreate, response: Response
) -> SendResult:
    """201 when stored now; 200 with the same seq when this client id was stored before."""
    result = await service.send_message(uow, caller, conversation_id, data)
    response.status_code = 200 if result.duplicate else 201
    return result


@router.get("/conversations/{conversation_id}/messages")
async def list_messages(
    uow: UowDep,
    caller: CallerDep,
    conversation_id: uuid.UUID,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=service.PAGE_LIMIT)] = service.PAGE_LIMIT,
) -> MessagePage:
    return await service.list_messages(uow, caller, conversation_id, after=after, limit=limit)


@router.put("/conversations/{conversation_id}/read")
async def mark_read(uow: UowDep, caller: CallerDep, conversation_id: uuid.UUID, data: MarkerUpdate) -> MarkerRead:
    marker = await service.move_marker(uow, caller, conversation_id, data.seq, read=True)
    await service.conversation_seen(uow, caller, conversation_id)
    return marker


@router.put("/conversations/{conversation_id}/delivered")
async def mark_delivered(uow: UowDep, caller: CallerDep, conversation_id: uuid.UUID, data: MarkerUpdate) -> MarkerRead:
    return await service.move_marker(uow, caller, conversation_id, data.seq, read=False)


@router.get("/conversations/{conversation_id}/markers")
async def list_markers(uow: UowDep, caller: CallerDep, conversation_id: uuid.UUID) -> list[MarkerRead]:
    return await service.markers(uow, caller, conversation_id)


@router.get("/conversations/{conversation_id}/epochs")
async def list_epochs(uow: UowDep, caller: CallerDep, conversation_id: uuid.UUID) -> list[EpochRead]:
    return await service.list_epochs(uow, caller, conversation_id)


@router.post("/conversations/{conversation_id}/epochs", status_code=201)
async def create_epoch(uow: UowDep, caller: CallerDep, conversation_id: uuid.UUID, data: EpochCreate) -> EpochRead:
    return await service.create_epoch(uow, caller, conversation_id, data)


@router.post("/conversations/{conversation_id}/grants", status_code=201)
async def add_grants(uow: UowDep, caller: CallerDep, conversation_id: uuid.UUID, data: GrantsCreate) -> list[GrantRead]:
    return await service.add_grants(uow, caller, conversation_id, data.epoch, data.grants)


@router.post("/conversations/{conversation_id}/grants/own", status_code=201)
async def keep_own_grants(
    uow: UowDep, caller: CallerDep, conversation_id: uuid.UUID, data: OwnGrantsCreate
) -> list[GrantRead]:
    return await service.keep_own_grants(uow, caller, conversation_id, data.grants)


@router.get("/conversations/{conversation_id}/grants/mine")
async def my_grants(uow: UowDep, caller: CallerDep, conversation_id: uuid.UUID) -> list[GrantRead]:
    return await service.my_grants(uow, caller, conversation_id)


@router.get("/push")
async def push_settings(uow: UowDep, caller: CallerDep, request: Request) -> PushSettingsRead:
    """Her switch, this server's VAPID public key, and how many browsers she has subscribed."""
    return await service.push_settings(uow, caller, request.app.state.settings)


@router.put("/push")
async def set_push(uow: UowDep, caller: CallerDep, request: Request, data: PushSettingsUpdate) -> PushSettingsRead:
    return await service.set_push_enabled(uow, caller, request.app.state.settings, data)


@router.post("/push/subscriptions", status_code=201)
async def subscribe_push(
    uow: UowDep, caller: CallerDep, request: Request, data: PushSubscriptionCreate
) -> PushSettingsRead:
    return await service.subscribe_push(uow, caller, request.app.state.settings, data)


@router.post("/push/subscriptions/delete")
async def unsubscribe_push(
    uow: UowDep, caller: CallerDep, request: Request, data: PushSubscriptionDelete
) -> PushSettingsRead:
    """Forget this browser's subscription (POST: a DELETE with a body is not safe through proxies)."""
    return await service.unsubscribe_push(uow, caller, request.app.state.settings, data.endpoint)
