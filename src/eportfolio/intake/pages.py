"""Pages of the intake feature: the programme's public application page and her status page, a
partner's referral form, and the staff page "Applications" (page on or off, the signed intake
team, referral links, the queue) with one application to read, accept or decline.

Her letter is sealed in her browser (js/intake/apply.js) and opened in a staff member's browser
(js/intake/letter.js); the intake team is signed in a staff browser (js/intake/team.js).
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from eportfolio import crypto
from eportfolio.domain.people import MANAGING_ROLES
from eportfolio.intake import service
from eportfolio.kit.auth import CallerDep
from eportfolio.kit.errors import N_, DomainError
from eportfolio.kit.forms import parse, read_form
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import page_router, redirect, render, translate
from eportfolio.programmes import service as programmes
from eportfolio.trust import service as trust

router = page_router()

STATUS_LABELS = {
    "pending": N_("In progress"),
    "accepted": N_("Accepted"),
    "declined": N_("Not accepted"),
}


def _base(request: Request) -> str:
    return str(request.app.state.settings.base_url).rstrip("/")


# Staff ---------------------------------------------------------------------------------------


async def _manage_context(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, **extra: Any
) -> dict[str, Any]:
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    admin = await service.admin(uow, caller, programme_id)
    signing = await trust.assignment_signing(uow, caller, programme_id)
    queue = await service.queue(uow, caller, programme_id)
    return {
        "programme": programmes.programme_read(access.programme),
        "organisation_id": access.scope.organisation_id,
        "admin": admin,
        "signing": signing,
        "queue": queue,
        "referrers": await service.referrers(uow, caller, programme_id),
        "status_labels": STATUS_LABELS,
        "public_link": f"{_base(request)}/apply/{programme_id}",
        "errors": {},
        "values": {},
        **extra,
    }


@router.get("/manage/programmes/{programme_id}/intake")
async def manage(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    context = await _manage_context(request, uow, caller, programme_id)
    await service.queue_seen(uow, caller, programme_id)
    return render(request, "intake/manage.html", context)


@router.post("/manage/programmes/{programme_id}/intake/page")
async def switch_page(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    values = await read_form(request)
    await service.set_open(uow, caller, programme_id, open_=values.get("open") == "on")
    return redirect(f"/manage/programmes/{programme_id}/intake")


@router.post("/manage/programmes/{programme_id}/intake/referrers")
async def create_referrer(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    """Not redirect-after-POST: the link exists only in this answer (we keep a hash)."""
    values = await read_form(request)
    data, errors = parse(request, service.ReferrerCreate, values)
    created = None
    if data is not None:
        token = await service.create_referrer(uow, caller, programme_id, data)
        created = {"partner_name": data.partner_name, "link": f"{_base(request)}/refer/{token}"}
    context = await _manage_context(request, uow, caller, programme_id, errors=errors, values=values, created=created)
    return render(request, "intake/manage.html", context, status_code=200 if created else 422)


@router.post("/manage/programmes/{programme_id}/intake/referrers/{referrer_id}/withdraw")
async def withdraw_referrer(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, referrer_id: uuid.UUID
) -> Response:
    await service.withdraw_referrer(uow, caller, programme_id, referrer_id)
    return redirect(f"/manage/programmes/{programme_id}/intake")


async def _application_page(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    application_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    invitation_link: str | None = None,
    status_code: int = 200,
) -> Response:
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    opened = await service.open_application(uow, caller, programme_id, application_id)
    return render(
        request,
        "intake/application.html",
        {
            "programme": programmes.programme_read(access.programme),
            "application": opened,
            "status_labels": STATUS_LABELS,
            "errors": errors or {},
            "invitation_link": invitation_link,
        },
        status_code=status_code,
    )


@router.get("/manage/programmes/{programme_id}/intake/{application_id}")
async def application(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, application_id: uuid.UUID
) -> Response:
    return await _application_page(request, uow, caller, programme_id, application_id)


@router.post("/manage/programmes/{programme_id}/intake/{application_id}/accept")
async def accept(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, application_id: uuid.UUID
) -> Response:
    try:
        code = await service.accept(uow, caller, programme_id, application_id)
    except DomainError as exc:
        if exc.status_code not in (409, 422):
            raise
        await uow.session.rollback()
        errors = {"__all__": translate(request, exc.message, **exc.params)}
        return await _application_page(
            request, uow, caller, programme_id, application_id, errors=errors, status_code=exc.status_code
        )
    link = f"{_base(request)}/join?code={code}"
    return await _application_page(request, uow, caller, programme_id, application_id, invitation_link=link)


@router.post("/manage/programmes/{programme_id}/intake/{application_id}/decline")
async def decline(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, application_id: uuid.UUID
) -> Response:
    data, errors = parse(request, service.Decline, await read_form(request))
    if data is not None:
        try:
            await service.decline(uow, caller, programme_id, application_id, data)
        except DomainError as exc:
            if exc.status_code not in (409, 422):
                raise
            await uow.session.rollback()
            errors = {exc.field or "__all__": translate(request, exc.message, **exc.params)}
        else:
            return redirect(f"/manage/programmes/{programme_id}/intake/{application_id}")
    return await _application_page(request, uow, caller, programme_id, application_id, errors=errors, status_code=422)


# Public --------------------------------------------------------------------------------------


@router.get("/apply/status/{token}")
async def status(request: Request, uow: UowDep, token: str) -> Response:
    found = await service.status(uow, token)
    link = f"/join?code={found.invitation_code}" if found.invitation_code else None
    return render(
        request,
        "intake/status.html",
        {"found": found, "status_labels": STATUS_LABELS, "invitation_link": link},
        headers={"Cache-Control": "no-store"},
    )


def _form_context(request: Request, intake: service.PublicIntake, **extra: Any) -> dict[str, Any]:
    return {
        "intake": intake,
        "max_letter": crypto.MAX_LETTER_BYTES,
        **extra,
    }


@router.get("/apply/{programme_id}")
async def apply(request: Request, uow: UowDep, programme_id: uuid.UUID) -> Response:
    intake = await service.public_intake(uow, programme_id)
    return render(
        request,
        "intake/apply.html",
        _form_context(
            request,
            intake,
            referral=None,
            team_url=f"/api/v1/intake/programmes/{programme_id}/team",
            send_url=f"/api/v1/intake/programmes/{programme_id}/applications",
            consent_text=translate(request, service.CONSENT_OWN),
        ),
    )


@router.get("/refer/{token}")
async def refer(request: Request, uow: UowDep, token: str) -> Response:
    referrer, intake = await service.referral_intake(uow, token)
    return render(
        request,
        "intake/apply.html",
        _form_context(
            request,
            intake,
            referral=referrer.partner_name,
            team_url=f"/api/v1/intake/referrals/{token}/team",
            send_url=f"/api/v1/intake/referrals/{token}/applications",
            consent_text=translate(request, service.CONSENT_REFERRAL),
        ),
        headers={"Cache-Control": "no-store"},
    )
