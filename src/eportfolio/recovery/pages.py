"""Pages of the recovery feature: the programme recovery key (staff and officers), her consent,
recovery on a new phone, the officer's list of waiting phones, and coach-assisted resets.

Everything that touches a key runs in the browser (the pages say so when JavaScript is off),
withdrawing consent too, since it gives her a new user key; making a reset code is a plain form.
"""

from __future__ import annotations

import io
import uuid

import segno
from fastapi import Request
from fastapi.responses import Response

from eportfolio.domain.people import MANAGING_ROLES, Role
from eportfolio.kit.auth import CallerDep
from eportfolio.kit.errors import NotFound
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import page_router, render
from eportfolio.programmes import service as programmes
from eportfolio.recovery import service

router = page_router()

QR_PREFIX = "EPFP1:"


@router.get("/recovery/fingerprint.svg")
async def fingerprint_qr(payload: str = "") -> Response:
    """A fingerprint's QR code, drawn by segno, for a phone that shows its own fingerprint."""
    body = payload.removeprefix(QR_PREFIX)
    if not payload.startswith(QR_PREFIX) or len(body) != 24 or not body.isalnum():
        raise NotFound()
    # A standalone image needs the SVG namespace (svg_inline leaves it out: it is for inline use).
    out = io.BytesIO()
    segno.make(payload, error="m").save(out, kind="svg", scale=5, dark="#000", light="#fff", xmldecl=False, svgns=True)
    return Response(out.getvalue(), media_type="image/svg+xml")


@router.get("/recovery/programmes/{programme_id}/key")
async def key_page(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    access = await programmes.authorize(uow, caller, programme_id, {*MANAGING_ROLES, Role.recovery_officer})
    try:
        key = await service.recovery_key(uow, caller, programme_id)
    except NotFound:
        key = None
    officers = await service.list_officers(uow, caller, programme_id)
    return render(request, "recovery/key.html", {
        "programme": programmes.programme_read(access.programme),
        "key": key,
        "officers": officers,
        "can_make": access.role in MANAGING_ROLES and key is None,
        "holds_key": key is not None and key.sealed_copy is not None,
    })


@router.get("/recovery/programmes/{programme_id}/consent")
async def consent_page(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    access = await programmes.authorize(uow, caller, programme_id, {Role.participant})
    consent = await service.my_consent(uow, caller, programme_id)
    return render(request, "recovery/consent.html", {
        "programme": programmes.programme_read(access.programme), "consent": consent,
    })


@router.get("/recovery/device")
async def device_page(request: Request) -> Response:
    return render(request, "recovery/device.html")


@router.get("/recovery/programmes/{programme_id}/requests")
async def requests_page(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    access = await programmes.authorize(uow, caller, programme_id, {Role.recovery_officer})
    return render(request, "recovery/requests.html", {
        "programme": programmes.programme_read(access.programme),
        "waiting": await service.pending_recoveries(uow, caller, programme_id),
    })


@router.get("/recovery/programmes/{programme_id}/people/{person_id}/reset")
async def reset_page(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, person_id: uuid.UUID
) -> Response:
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    person, _ = await programmes.get_person(uow, caller, programme_id, person_id)
    return render(request, "recovery/reset_staff.html", {
        "programme": programmes.programme_read(access.programme), "person": person, "created": None,
    })


@router.post("/recovery/programmes/{programme_id}/people/{person_id}/reset")
async def create_reset(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, person_id: uuid.UUID
) -> Response:
    # The code is shown once, on this answer, to hand over in person (not kept anywhere readable).
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    person, _ = await programmes.get_person(uow, caller, programme_id, person_id)
    created = await service.create_account_reset(uow, caller, programme_id, person_id)
    return render(request, "recovery/reset_staff.html", {
        "programme": programmes.programme_read(access.programme), "person": person, "created": created,
    })


@router.get("/recovery/lost")
async def lost_page(request: Request) -> Response:
    """What she can do when her password and her recovery code are both gone (no login needed)."""
    return render(request, "recovery/lost.html")


@router.get("/recovery/reset")
async def reset_own_page(request: Request) -> Response:
    return render(request, "recovery/reset.html")
