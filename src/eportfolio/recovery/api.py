"""JSON routes of the recovery feature under /api/v1/recovery."""

from __future__ import annotations

import uuid

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from eportfolio.accounts.api import client_of
from eportfolio.accounts.limits import code_tries, device_request_try
from eportfolio.accounts.service import LoginFailed, Started
from eportfolio.accounts.sessions import set_known_device_cookie, set_session_cookie
from eportfolio.domain.accounts import SessionStarted
from eportfolio.domain.recovery import (
    AccountResetComplete,
    AccountResetCreated,
    AccountResetPreview,
    ConsentCreate,
    ConsentRead,
    ConsentWithdrawal,
    DeviceRecoveryComplete,
    DeviceRequestCreate,
    DeviceRequestStarted,
    DeviceRequestState,
    DeviceTokenRequest,
    FormerIdentityRead,
    NoticeRead,
    OfficerCopy,
    OfficerRead,
    PendingRecoveryRead,
    RecoveryKeyCreate,
    RecoveryKeyRead,
    ResealRequest,
    RotationRead,
    VouchCreate,
)
from eportfolio.kit.auth import CallerDep
from eportfolio.kit.errors import N_
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import api_router, error_response, translate
from eportfolio.recovery import service

router = api_router("/recovery", "recovery")


def _started(request: Request, started: Started) -> Response:
    response = JSONResponse(started.read.model_dump(mode="json"), status_code=200)
    set_session_cookie(response, request.app.state.settings, started.token)
    if started.device_cookie:
        set_known_device_cookie(response, request.app.state.settings, started.device_cookie)
    return response


# The programme recovery key ----------------------------------------------------------------


@router.get("/programmes/{programme_id}/key")
async def recovery_key(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> RecoveryKeyRead:
    return await service.recovery_key(uow, caller, programme_id)


@router.post("/programmes/{programme_id}/key", status_code=201)
async def create_recovery_key(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, data: RecoveryKeyCreate
) -> RecoveryKeyRead:
    return await service.create_recovery_key(uow, caller, programme_id, data)


@router.get("/programmes/{programme_id}/officers")
async def list_officers(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> list[OfficerRead]:
    return await service.list_officers(uow, caller, programme_id)


@router.post("/programmes/{programme_id}/key/copies", status_code=204)
async def add_officer_copy(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, data: OfficerCopy) -> None:
    await service.add_officer_copy(uow, caller, programme_id, data)


# Her consent -------------------------------------------------------------------------------


@router.get("/programmes/{programme_id}/consent")
async def my_consent(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> ConsentRead:
    return await service.my_consent(uow, caller, programme_id)


@router.put("/programmes/{programme_id}/consent")
async def give_consent(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, data: ConsentCreate) -> ConsentRead:
    return await service.give_consent(uow, caller, programme_id, data)


@router.get("/rotation")
async def rotation_plan(uow: UowDep, caller: CallerDep) -> RotationRead:
    return await service.rotation_plan(uow, caller)


@router.post(
    "/programmes/{programme_id}/consent/withdraw", response_model=ConsentRead, responses={401: {}, 409: {}, 429: {}}
)
async def withdraw_consent(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, data: ConsentWithdrawal
) -> ConsentRead | Response:
    outcome = await service.withdraw_consent(uow, client_of(request), caller, programme_id, data)
    if isinstance(outcome, LoginFailed):
        # Returned, not raised: the unit of work commits the failure count for the back-off.
        message = translate(request, N_("Your password is not right. Please try again."))
        return error_response(request, 401, "wrong_credentials", message)
    return outcome


# A new device (no session: she cannot log in) ----------------------------------------------


@router.post("/device", status_code=201, responses={429: {}})
async def start_device_request(request: Request, uow: UowDep, data: DeviceRequestCreate) -> DeviceRequestStarted:
    await device_request_try(request, data.login)
    return await service.start_device_request(uow, request.app.state.settings, data)


@router.post("/device/state")
async def device_request_state(uow: UowDep, data: DeviceTokenRequest) -> DeviceRequestState:
    return await service.device_request_state(uow, data.token)


@router.post("/device/complete", response_model=SessionStarted)
async def complete_device_recovery(request: Request, uow: UowDep, data: DeviceRecoveryComplete) -> Response:
    return _started(request, await service.complete_device_recovery(uow, client_of(request), data))


# Recovery officers -------------------------------------------------------------------------


@router.get("/programmes/{programme_id}/requests")
async def pending_recoveries(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> list[PendingRecoveryRead]:
    return await service.pending_recoveries(uow, caller, programme_id)


@router.post("/programmes/{programme_id}/requests/{request_id}/reseal", status_code=204)
async def reseal_to_device(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, request_id: uuid.UUID, data: ResealRequest
) -> None:
    await service.reseal_to_device(uow, caller, programme_id, request_id, data)


# Coach-assisted recovery -------------------------------------------------------------------


@router.post("/programmes/{programme_id}/people/{person_id}/reset", status_code=201)
async def create_account_reset(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, person_id: uuid.UUID
) -> AccountResetCreated:
    return await service.create_account_reset(uow, caller, programme_id, person_id)


@router.post("/reset/preview", responses={429: {}})
async def preview_account_reset(request: Request, uow: UowDep, data: DeviceTokenRequest) -> AccountResetPreview:
    async with code_tries(request, data.token, field="code"):
        return await service.preview_account_reset(uow, data.token)


@router.post("/reset/complete", response_model=SessionStarted, responses={429: {}})
async def complete_account_reset(request: Request, uow: UowDep, data: AccountResetComplete) -> Response:
    async with code_tries(request, data.code, field="code"):
        started = await service.complete_account_reset(uow, client_of(request), data)
    return _started(request, started)


@router.get("/programmes/{programme_id}/people/{person_id}/former-identities")
async def former_identities(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, person_id: uuid.UUID
) -> list[FormerIdentityRead]:
    return await service.former_identities(uow, caller, programme_id, person_id)


@router.post("/programmes/{programme_id}/people/{person_id}/vouch", status_code=204)
async def vouch(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, person_id: uuid.UUID, data: VouchCreate
) -> None:
    await service.vouch(uow, caller, programme_id, person_id, data)


# Notices -----------------------------------------------------------------------------------


@router.get("/notices")
async def my_notices(uow: UowDep, caller: CallerDep) -> list[NoticeRead]:
    return await service.my_notices(uow, caller)


@router.post("/notices/seen", status_code=204)
async def dismiss_notices(uow: UowDep, caller: CallerDep) -> None:
    await service.dismiss_notices(uow, caller)
