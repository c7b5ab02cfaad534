"""Pages of the accounts feature: start page per role, joining, login, recovery, her account,
and invitations for staff.

Joining, login, password change and recovery need JavaScript, because the keys are made and
unlocked in the browser; the pages say so plainly when it is off. Invitations, the account page
and logout work without JavaScript.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import Response

from eportfolio.accounts import service
from eportfolio.accounts.limits import code_tries
from eportfolio.accounts.sessions import clear_session_cookie
from eportfolio.appointments import service as appointments
from eportfolio.assignments import service as assignments_service
from eportfolio.caseload import service as caseload
from eportfolio.caseload.pages import days_ago
from eportfolio.domain.chat import InboxEntry
from eportfolio.domain.modules import AssignmentStatus
from eportfolio.domain.people import Role
from eportfolio.duty import service as duty
from eportfolio.invitations import service as invitations
from eportfolio.kit import i18n
from eportfolio.kit.auth import CallerDep, OptionalCallerDep
from eportfolio.kit.errors import N_, DomainError, InvalidInput
from eportfolio.kit.forms import read_form
from eportfolio.kit.qr import qr_svg
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import LANGUAGE_COOKIE, page_router, redirect, render, request_language, translate
from eportfolio.notifications import service as notifications
from eportfolio.programmes import service as programmes
from eportfolio.programmes.pages import ROLE_LABELS
from eportfolio.trust import service as trust

router = page_router()
# Without the CSRF check: the one page here changes nothing and reads nothing of the request.
no_script_router = APIRouter(include_in_schema=False)



@router.get("/")
async def home(request: Request, uow: UowDep, caller: OptionalCallerDep) -> Response:
    if caller is None:
        return render(request, "accounts/welcome.html")
    programme_list = await programmes.list_programmes(uow, caller)
    roles = {p.id: sorted(await programmes.roles_in(uow, caller, p.id)) for p in programme_list}
    caseloads = {}
    today: dict[uuid.UUID, dict[str, object]] = {}
    for programme in programme_list:
        if Role.coach in roles[programme.id] or Role.participant in roles[programme.id]:
            caseloads[programme.id] = await _caseload(uow, caller, programme.id)
        if Role.participant in roles[programme.id]:
            today[programme.id] = await _her_today(request, uow, caller, programme.id)
    coaching_roles = any(Role.coach in r for r in roles.values())
    coaching = await caseload.caseload(uow, caller) if coaching_roles else []
    # Who waits in the shared inbox, for a coach (those waiting for him while he is on duty) and a
    # supervisor (the second line: how many wait, and the way to the inbox).
    waiting: dict[uuid.UUID, list[InboxEntry]] = {}
    on_duty: dict[uuid.UUID, bool] = {}
    for programme in programme_list:
        if Role.coach in roles[programme.id] or Role.supervisor in roles[programme.id]:
            waiting[programme.id] = await duty.inbox(uow, caller, programme.id)
            overview = await duty.duty_overview(uow, caller, programme.id)
            on_duty[programme.id] = any(s.person_id == caller.person_id for s in overview.now)
    return render(
        request,
        "accounts/home.html",
        {
            "programmes": programme_list,
            "roles": roles,
            "caseloads": caseloads,
            "today": today,
            "coaching": {c.programme_id: c for c in coaching},
            "waiting_in": waiting,
            "on_duty": on_duty,
            "days_ago": days_ago(coaching),
            "role_labels": ROLE_LABELS,
            # Only a coach can be a peer coach: a mother's home reads nothing for it.
            "peer_coach_in": await programmes.peer_coach_programmes(uow, caller) if coaching_roles else set(),
            "unread_notifications": await notifications.unread_count(uow, caller),
        },
    )


async def _her_today(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> dict[str, object]:
    """Her day: a new reply, new feedback, the assignment due soonest, her next goal step."""
    found = await caseload.participant_today(uow, caller, programme_id)
    given = await assignments_service.list_my_assignments(uow, caller, programme_id, request_language(request))
    open_ones = [a for a in given if a.status in (AssignmentStatus.assigned, AssignmentStatus.in_progress)]
    # Soonest due first; one without a due date after those with one.
    open_ones.sort(key=lambda a: (a.due_on is None, a.due_on or found.due_today, a.assigned_at))
    return {"found": found.today, "due": open_ones[0] if open_ones else None, "open_count": len(open_ones),
            "date": found.due_today, "appointment": await appointments.next_appointment(uow, caller, programme_id)}


async def _caseload(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> list[dict[str, object]]:
    """Her current coach assignments (as coach or as participant), with signature status."""
    statuses = {t.assignment_id: t.status.value for t in await trust.assignment_trust(uow, caller, programme_id)}
    assignments = [a for a in await programmes.list_assignments(uow, caller, programme_id) if a.ended_at is None]
    ids = list({a.participant_id for a in assignments} | {a.coach_id for a in assignments})
    names = await programmes.display_names(uow, caller, programme_id, ids) if ids else {}
    return [
        {
            "id": a.id,
            "coach_id": a.coach_id,
            "participant": names.get(a.participant_id, ""),
            "coach": names.get(a.coach_id, ""),
            "kind": a.kind.value,
            "status": statuses.get(a.id, "unsigned"),
            # Who signed it (for her: who in the programme vouched that he coaches her).
            "signer": a.signer_name or "",
            "mine_as_coach": a.coach_id == caller.person_id,
        }
        for a in assignments
    ]


@router.post("/language")
async def choose_language(request: Request) -> Response:
    values = await read_form(request)
    language = i18n.pick_language(str(values.get("language", "")))
    target = str(values.get("next") or "/")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    response = redirect(target)
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response


# Joining, login, recovery (JavaScript does the key work) ------------------------------------


@router.get("/join")
async def join(request: Request, uow: UowDep, code: str = "") -> Response:
    if not code:
        return render(request, "accounts/join_code.html", {"code": "", "error": None})
    try:
        async with code_tries(request, code, field="invitation_code"):
            invitation = await invitations.preview_invitation(uow, code)
    except DomainError as exc:
        error = translate(request, exc.message, **exc.params)
        return render(request, "accounts/join_code.html", {"code": code, "error": error}, status_code=exc.status_code)
    return render(
        request,
        "accounts/join.html",
        {"invitation": invitation, "code": code, "role_label": translate(request, ROLE_LABELS[invitation.role])},
    )


@no_script_router.api_route("/needs-javascript", methods=["GET", "POST"])
async def needs_javascript(request: Request, back: str = "/") -> Response:
    """Where the forms with a password or code post when their script has not run (JavaScript
    off, or not loaded yet on a slow phone). Their secret fields have no name, so the browser
    sends none of them; this never reads the body anyway, and shows nothing of it."""
    path = urlsplit(back).path
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        path = "/"
    return render(request, "accounts/needs_javascript.html", {"back": path}, status_code=400)


@router.get("/login")
async def login_page(request: Request) -> Response:
    return render(request, "accounts/login.html")


@router.get("/recover")
async def recover_page(request: Request) -> Response:
    return render(request, "accounts/recover.html")


@router.post("/logout")
async def logout(request: Request, uow: UowDep, caller: OptionalCallerDep) -> Response:
    await service.logout(uow, caller)
    response = redirect("/logged-out")
    clear_session_cookie(response, request.app.state.settings)
    return response


@router.get("/quick-exit")
async def quick_exit(request: Request, uow: UowDep, caller: OptionalCallerDep) -> Response:
    """Leave at once for a neutral site, ending the session (the script wipes the keys first).

    A GET on purpose: it must work from a plain link, without JavaScript, in one tap. The worst a
    forged link can do is log her out.
    """
    await service.logout(uow, caller)
    response = redirect(request.app.state.settings.quick_exit_url)
    clear_session_cookie(response, request.app.state.settings)
    return response


@router.get("/logged-out")
async def logged_out(request: Request) -> Response:
    return render(request, "accounts/logged_out.html")


# Her account -------------------------------------------------------------------------------


@router.get("/account")
async def account_page(request: Request, uow: UowDep, caller: CallerDep) -> Response:
    account = await service.my_account(uow, caller)
    # Her sessions in the time zone of her programme (the organisation's default without one).
    zones = [p.time_zone for p in await programmes.list_programmes(uow, caller) if not p.archived]
    # Who compares her key code with her: a participant does it with her coach; anyone else with
    # participants and colleagues (a coach read "your coach can compare this code").
    await programmes.load_roles(uow, caller)
    held = {role for roles in (caller.roles_by_programme or {}).values() for role in roles}
    only_participant = held <= {Role.participant.value} and not caller.is_org_admin
    return render(
        request,
        "accounts/account.html",
        {
            "only_participant": only_participant,
            "time_zone": zones[0] if zones else None,
            "account": account,
            "qr": qr_svg(account.fingerprint_qr),
            "sessions": await service.my_sessions(uow, caller),
            # Only languages the whole interface is translated into: another would show Dutch.
            "languages": i18n.ui_languages(),
            "language_names": {code: i18n.own_language_name(code) for code in i18n.ui_languages()},
        },
    )


@router.post("/account/sessions/{session_id}/end")
async def end_session(uow: UowDep, caller: CallerDep, session_id: uuid.UUID) -> Response:
    await service.end_my_session(uow, caller, session_id)
    return redirect("/account")


@router.post("/account/language")
async def account_language(request: Request, uow: UowDep, caller: CallerDep) -> Response:
    values = await read_form(request)
    language = str(values.get("language", ""))
    if language not in i18n.ui_languages():
        raise InvalidInput(N_("Please choose one of the languages in the list."))
    await service.set_my_language(uow, caller, language)
    response = redirect("/account")
    response.set_cookie(LANGUAGE_COOKIE, i18n.pick_language(language), max_age=365 * 24 * 3600,
                        samesite="lax", httponly=True)
    return response


@router.get("/account/password")
async def password_page(request: Request, caller: CallerDep) -> Response:
    return render(request, "accounts/password.html")
