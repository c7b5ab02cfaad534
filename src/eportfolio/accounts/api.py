"""JSON routes of the accounts feature: /api/v1/auth (no session needed; sign-up accepts an
invitation through the invitations feature) and /api/v1/account (hers)."""

from __future__ import annotations

import uuid

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from eportfolio.accounts import service
from eportfolio.accounts.hashing import hasher_for
from eportfolio.accounts.limits import code_tries
from eportfolio.accounts.sessions import (
    KNOWN_DEVICE_COOKIE,
    clear_session_cookie,
    set_known_device_cookie,
    set_session_cookie,
)
from eportfolio.domain.accounts import (
    AccountRead,
    InvitationPreview,
    LanguageUpdate,
    LoginRequest,
    PasswordChangeRequest,
    PreloginRead,
    PreloginRequest,
    RecoveryBundleRead,
    RecoveryCodeChange,
    RecoveryCompleteRequest,
    RecoveryStartRequest,
    SessionRead,
    SessionStarted,
    SignUpRequest,
)
from eportfolio.invitations import service as invitations
from eportfolio.kit.auth import CallerDep, OptionalCallerDep
from eportfolio.kit.errors import N_
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import api_router, error_response, translate

auth_router = api_router("/auth", "auth")
account_router = api_router("/account", "account")

WRONG_LOGIN = N_("The login name or password is not right. Please try again.")
WRONG_RECOVERY = N_("The login name or recovery code is not right. Please check them and try again.")


def client_of(request: Request) -> service.Client:
    return service.Client(
        settings=request.app.state.settings,
        hasher=hasher_for(request.app.state),
        address=request.client.host if request.client else "unknown",
        user_agent=request.headers.get("user-agent", "")[:200],
        known_devices=request.cookies.get(KNOWN_DEVICE_COOKIE, "")[:400],
    )


def _refused(request: Request, message: str) -> Response:
    # Returned, not raised: the unit of work commits the failure count for the back-off.
    return error_response(request, 401, "wrong_credentials", translate(request, message))


def _started(request: Request, started: service.Started, status_code: int = 200) -> Response:
    response = JSONResponse(started.read.model_dump(mode="json"), status_code=status_code)
    set_session_cookie(response, request.app.state.settings, started.token)
    if started.device_cookie:
        set_known_device_cookie(response, request.app.state.settings, started.device_cookie)
    return response


# Pre-login, login, sign-up, recovery -------------------------------------------------------


@auth_router.post("/prelogin")
async def prelogin(request: Request, uow: UowDep, data: PreloginRequest) -> PreloginRead:
    return await service.prelogin(uow, client_of(request), data.login)


@auth_router.post("/login", response_model=SessionStarted, responses={401: {}, 429: {}})
async def login(request: Request, uow: UowDep, caller: OptionalCallerDep, data: LoginRequest) -> Response:
    outcome = await service.login(
        uow, client_of(request), data.login, data.auth_proof, ending=caller.session_id if caller else None
    )
    if isinstance(outcome, service.LoginFailed):
        return _refused(request, WRONG_LOGIN)
    return _started(request, outcome)


@auth_router.post("/logout", status_code=204)
async def logout(request: Request, uow: UowDep, caller: OptionalCallerDep) -> Response:
    await service.logout(uow, caller)
    response = Response(status_code=204)
    clear_session_cookie(response, request.app.state.settings)
    return response


@auth_router.get("/invitations/{code}", responses={429: {}})
async def preview_invitation(request: Request, uow: UowDep, code: str) -> InvitationPreview:
    async with code_tries(request, code, field="invitation_code"):
        return await invitations.preview_invitation(uow, code)


@auth_router.post("/signup", status_code=201, response_model=SessionStarted, responses={429: {}})
async def sign_up(request: Request, uow: UowDep, data: SignUpRequest) -> Response:
    async with code_tries(request, data.invitation_code, field="invitation_code"):
        started = await invitations.accept_invitation(uow, client_of(request), data)
    return _started(request, started, status_code=201)


@auth_router.post("/recovery/start", response_model=RecoveryBundleRead, responses={401: {}, 429: {}})
async def start_recovery(request: Request, uow: UowDep, data: RecoveryStartRequest) -> Response:
    outcome = await service.start_recovery(uow, client_of(request), data.login, data.recovery_proof)
    if isinstance(outcome, service.LoginFailed):
        return _refused(request, WRONG_RECOVERY)
    return JSONResponse(outcome.model_dump(mode="json"))


@auth_router.post("/recovery/complete", response_model=SessionStarted, responses={401: {}, 429: {}})
async def complete_recovery(
    request: Request, uow: UowDep, caller: OptionalCallerDep, data: RecoveryCompleteRequest
) -> Response:
    outcome = await service.complete_recovery(
        uow, client_of(request), data, ending=caller.session_id if caller else None
    )
    if isinstance(outcome, service.LoginFailed):
        return _refused(request, WRONG_RECOVERY)
    return _started(request, outcome)


# Her account -------------------------------------------------------------------------------


@account_router.get("")
async def my_account(uow: UowDep, caller: CallerDep) -> AccountRead:
    return await service.my_account(uow, caller)


@account_router.post("/password", status_code=204, responses={401: {}, 429: {}})
async def change_password(request: Request, uow: UowDep, caller: CallerDep, data: PasswordChangeRequest) -> Response:
    outcome = await service.change_password(uow, client_of(request), caller, data)
    if isinstance(outcome, service.LoginFailed):
        return _refused(request, N_("Your current password is not right. Please try again."))
    return Response(status_code=204)


@account_router.post("/recovery-code", status_code=204, responses={401: {}, 429: {}})
async def new_recovery_code(request: Request, uow: UowDep, caller: CallerDep, data: RecoveryCodeChange) -> Response:
    outcome = await service.new_recovery_code(uow, client_of(request), caller, data)
    if isinstance(outcome, service.LoginFailed):
        return _refused(request, N_("Your current password is not right. Please try again."))
    return Response(status_code=204)


@account_router.get("/sessions")
async def my_sessions(uow: UowDep, caller: CallerDep) -> list[SessionRead]:
    return await service.my_sessions(uow, caller)


@account_router.delete("/sessions/{session_id}", status_code=204)
async def end_my_session(uow: UowDep, caller: CallerDep, session_id: uuid.UUID) -> None:
    await service.end_my_session(uow, caller, session_id)


@account_router.put("/language", status_code=204)
async def set_my_language(uow: UowDep, caller: CallerDep, data: LanguageUpdate) -> None:
    await service.set_my_language(uow, caller, data.language)


routers = (auth_router, account_router)
