"""JSON routes of the duty feature, under /api/v1/chat as before it had its own package: the duty
roster (signed in a staff member's browser) and the coach team's shared inbox."""

from __future__ import annotations

import uuid

from eportfolio.domain.chat import InboxEntry, RosterCreate, RosterRead
from eportfolio.duty import service
from eportfolio.kit.auth import CallerDep
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import api_router

router = api_router("/chat", "duty")


@router.post("/programmes/{programme_id}/rosters", status_code=201)
async def create_roster(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, data: RosterCreate) -> RosterRead:
    return await service.create_roster(uow, caller, programme_id, data)


@router.get("/programmes/{programme_id}/rosters/current")
async def current_roster(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> RosterRead | None:
    return await service.current_roster(uow, caller, programme_id)


@router.get("/programmes/{programme_id}/inbox")
async def inbox(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> list[InboxEntry]:
    return await service.inbox(uow, caller, programme_id)
