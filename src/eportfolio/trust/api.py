"""JSON routes of the trust feature under /api/v1/trust: organisation and programme keys, public
identities and the signature status of coach assignments."""

from __future__ import annotations

import uuid

from eportfolio.domain.accounts import (
    AssignmentTrustRead,
    KeyCopyCreate,
    ProgrammeKeyCreate,
    PublicIdentityRead,
    SigningKeyRead,
)
from eportfolio.kit.auth import CallerDep
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import api_router
from eportfolio.trust import service

router = api_router("/trust", "trust")


@router.get("/organisation")
async def organisation_key(uow: UowDep, caller: CallerDep) -> SigningKeyRead:
    return await service.organisation_key(uow, caller)


@router.post("/organisation/copies", status_code=204)
async def add_organisation_key_copy(uow: UowDep, caller: CallerDep, data: KeyCopyCreate) -> None:
    await service.add_organisation_key_copy(uow, caller, data)


@router.get("/organisation/people/{person_id}")
async def admin_public_identity(uow: UowDep, caller: CallerDep, person_id: uuid.UUID) -> PublicIdentityRead:
    return await service.admin_public_identity(uow, caller, person_id)


@router.get("/programmes/{programme_id}")
async def programme_key(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> SigningKeyRead:
    return await service.programme_key(uow, caller, programme_id)


@router.post("/programmes/{programme_id}", status_code=201)
async def create_programme_key(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, data: ProgrammeKeyCreate
) -> SigningKeyRead:
    return await service.create_programme_key(uow, caller, programme_id, data)


@router.post("/programmes/{programme_id}/copies", status_code=204)
async def add_programme_key_copy(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, data: KeyCopyCreate
) -> None:
    await service.add_programme_key_copy(uow, caller, programme_id, data)


@router.get("/programmes/{programme_id}/people/{person_id}")
async def public_identity(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, person_id: uuid.UUID
) -> PublicIdentityRead:
    return await service.public_identity(uow, caller, programme_id, person_id)


@router.get("/programmes/{programme_id}/coach-assignments")
async def assignment_trust(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> list[AssignmentTrustRead]:
    return await service.assignment_trust(uow, caller, programme_id)
