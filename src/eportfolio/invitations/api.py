"""JSON routes of the invitations feature: invitations under /api/v1/programmes and administrator
invitations under /api/v1/organisation. (Looking up a code and signing up with it are under
/api/v1/auth, in the accounts feature.)"""

from __future__ import annotations

import uuid

from eportfolio.domain.accounts import (
    AdminInvitationChoices,
    AdminInvitationCreate,
    InvitationCreate,
    InvitationCreated,
    InvitationRead,
)
from eportfolio.invitations import service
from eportfolio.kit.auth import CallerDep
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import api_router

invitation_router = api_router("/programmes", "invitations")
organisation_router = api_router("/organisation", "organisation")


# Invitations -------------------------------------------------------------------------------


@invitation_router.post("/{programme_id}/invitations", status_code=201)
async def create_invitation(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, data: InvitationCreate
) -> InvitationCreated:
    return await service.create_invitation(uow, caller, programme_id, data)


@invitation_router.get("/{programme_id}/invitations")
async def list_invitations(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> list[InvitationRead]:
    return await service.list_invitations(uow, caller, programme_id)


@invitation_router.delete("/{programme_id}/invitations/{invitation_id}", status_code=204)
async def withdraw_invitation(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, invitation_id: uuid.UUID
) -> None:
    await service.withdraw_invitation(uow, caller, programme_id, invitation_id)


# Organisation administrators (admins invite admins) ----------------------------------------


@organisation_router.get("/admins")
async def admin_invitation_choices(uow: UowDep, caller: CallerDep) -> AdminInvitationChoices:
    return await service.admin_invitation_choices(uow, caller)


@organisation_router.post("/admin-invitations", status_code=201)
async def invite_org_admin(uow: UowDep, caller: CallerDep, data: AdminInvitationCreate) -> InvitationCreated:
    return await service.invite_org_admin(uow, caller, data)


@organisation_router.delete("/admin-invitations/{invitation_id}", status_code=204)
async def withdraw_admin_invitation(uow: UowDep, caller: CallerDep, invitation_id: uuid.UUID) -> None:
    await service.withdraw_admin_invitation(uow, caller, invitation_id)


@organisation_router.put("/admins/{person_id}", status_code=204)
async def promote_org_admin(uow: UowDep, caller: CallerDep, person_id: uuid.UUID) -> None:
    """Make a staff member who has an account an administrator (no invitation needed)."""
    await service.promote_org_admin(uow, caller, person_id)


routers = (invitation_router, organisation_router)
