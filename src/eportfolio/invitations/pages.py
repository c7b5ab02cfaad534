"""Pages of the invitations feature: staff invite people of a programme, administrators invite
the next administrator; both print the code with its QR code. No JavaScript needed."""

from __future__ import annotations

import uuid

from fastapi import Request
from fastapi.responses import Response

from eportfolio.accounts import service as accounts
from eportfolio.domain.accounts import AdminInvitationCreate, InvitationCreate
from eportfolio.domain.people import MANAGING_ROLES
from eportfolio.invitations import service
from eportfolio.invitations.codes import join_link
from eportfolio.kit.auth import CallerDep
from eportfolio.kit.errors import N_, DomainError, InvalidInput
from eportfolio.kit.forms import parse, read_form
from eportfolio.kit.qr import qr_svg
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import page_router, redirect, render, translate
from eportfolio.programmes import service as programmes
from eportfolio.programmes.pages import ROLE_LABELS

router = page_router()


# Invitations (staff; no JavaScript needed) ---------------------------------------------------


async def _invitations_context(
    uow: UowDep, caller: CallerDep, access: programmes.Access, error: str | None
) -> dict[str, object]:
    programme_id = access.scope.programme_id
    people = await programmes.list_people(uow, caller, programme_id)
    with_account = await accounts.accounts_in_organisation(uow, caller.organisation_id, [p.id for p, _ in people])
    return {
        "programme": programmes.programme_read(access.programme),
        "invitable": [
            {"person": person, "roles": [m.role for m in memberships if m.active]}
            for person, memberships in people
            if person.id not in with_account
        ],
        "names": {person.id: person.display_name for person, _ in people},
        "invitations": await service.list_invitations(uow, caller, programme_id),
        "role_labels": ROLE_LABELS,
        "error": error,
    }


@router.get("/manage/programmes/{programme_id}/invitations")
async def invitations_page(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    return render(request, "invitations/invitations.html", await _invitations_context(uow, caller, access, None))


@router.post("/manage/programmes/{programme_id}/invitations")
async def create_invitation(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    """Deliberately not redirect-after-POST: the code exists only in this answer (we keep a hash)."""
    data, errors = parse(request, InvitationCreate, await read_form(request))
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    error = next(iter(errors.values()), None)
    if data is not None:
        try:
            created = await service.create_invitation(uow, caller, programme_id, data)
        except DomainError as exc:
            if exc.status_code not in (409, 422):
                raise
            error = translate(request, exc.message, **exc.params)
        else:
            link = join_link(request.app.state.settings.base_url, created.code)
            person, _ = await programmes.get_person(uow, caller, programme_id, data.person_id)
            return render(
                request,
                "invitations/invitation_print.html",
                {
                    "programme": programmes.programme_read(access.programme),
                    "created": created,
                    "person": person,
                    "role_label": translate(request, ROLE_LABELS[data.role]),
                    "link": link,
                    "qr": qr_svg(link),
                },
                headers={"Cache-Control": "no-store"},
            )
    return render(
        request, "invitations/invitations.html", await _invitations_context(uow, caller, access, error), status_code=422
    )


@router.post("/manage/programmes/{programme_id}/invitations/{invitation_id}/withdraw")
async def withdraw_invitation(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, invitation_id: uuid.UUID
) -> Response:
    await service.withdraw_invitation(uow, caller, programme_id, invitation_id)
    return redirect(f"/manage/programmes/{programme_id}/invitations")


# Organisation administrators (an admin invites the next; no JavaScript needed) -------------------


async def _admins_page(
    request: Request, uow: UowDep, caller: CallerDep, *, display_name: str = "", errors: dict[str, str] | None = None,
    error: str | None = None, status_code: int = 200,
) -> Response:
    return render(
        request,
        "invitations/admins.html",
        {
            "choices": await service.admin_invitation_choices(uow, caller),
            "display_name": display_name,
            "errors": errors or {},
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/manage/organisation/admins")
async def admins_page(request: Request, uow: UowDep, caller: CallerDep) -> Response:
    await programmes.require_org_admin(uow, caller)
    return await _admins_page(request, uow, caller)


@router.post("/manage/organisation/admins")
async def invite_admin(request: Request, uow: UowDep, caller: CallerDep) -> Response:
    """Deliberately not redirect-after-POST: the code exists only in this answer (we keep a hash)."""
    await programmes.require_org_admin(uow, caller)
    values = {k: v for k, v in (await read_form(request)).items() if v != ""}
    data, errors = parse(request, AdminInvitationCreate, values)
    display_name = str(values.get("display_name", ""))
    if data is not None:
        try:
            created = await service.invite_org_admin(uow, caller, data)
        except DomainError as exc:
            if exc.status_code not in (404, 409, 422):
                raise
            message = translate(request, exc.message, **exc.params)
            if exc.field == "display_name":
                errors = {"display_name": message}
            else:
                return await _admins_page(request, uow, caller, display_name=display_name, error=message,
                                          status_code=exc.status_code)
        else:
            link = join_link(request.app.state.settings.base_url, created.code)
            person = await accounts.person(uow, created.invitation.person_id)
            organisation = await programmes.get_organisation(uow, caller)
            return render(
                request,
                "invitations/invitation_print.html",
                {
                    "programme": None,
                    "organisation_name": organisation.name,
                    "created": created,
                    "person": person,
                    "link": link,
                    "qr": qr_svg(link),
                },
                headers={"Cache-Control": "no-store"},
            )
    return await _admins_page(request, uow, caller, display_name=display_name, errors=errors, status_code=422)


@router.post("/manage/organisation/admins/promote")
async def promote_admin(request: Request, uow: UowDep, caller: CallerDep) -> Response:
    """Make a staff member with an account administrator; then a key holder passes on the key."""
    await programmes.require_org_admin(uow, caller)
    values = await read_form(request)
    try:
        person_id = uuid.UUID(str(values.get("person_id", "")))
    except ValueError:
        person_id = None
    try:
        if person_id is None:
            raise InvalidInput(N_("Choose a person."), field="person_id")
        await service.promote_org_admin(uow, caller, person_id)
    except DomainError as exc:
        if exc.status_code not in (404, 409, 422):
            raise
        return await _admins_page(
            request, uow, caller, error=translate(request, exc.message, **exc.params), status_code=exc.status_code
        )
    return redirect("/manage/organisation/key")


@router.post("/manage/organisation/admins/invitations/{invitation_id}/withdraw")
async def withdraw_admin_invitation(uow: UowDep, caller: CallerDep, invitation_id: uuid.UUID) -> Response:
    await service.withdraw_admin_invitation(uow, caller, invitation_id)
    return redirect("/manage/organisation/admins")
