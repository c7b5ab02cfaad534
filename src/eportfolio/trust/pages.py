"""Pages of the trust feature: who holds the programme key and the organisation key. Making a key
and passing it on happen in a holder's browser (the private half never reaches the server)."""

from __future__ import annotations

import uuid

from fastapi import Request
from fastapi.responses import Response

from eportfolio.accounts import service as accounts
from eportfolio.domain.people import MANAGING_ROLES, Role
from eportfolio.kit.auth import CallerDep
from eportfolio.kit.errors import NotFound
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import page_router, render
from eportfolio.programmes import service as programmes
from eportfolio.trust import service
from eportfolio.trust.repository import TrustRepository

router = page_router()


# Programme key (made and passed on in the browser) ------------------------------------------


@router.get("/manage/programmes/{programme_id}/keys")
async def keys_page(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    """Who holds the programme key, and buttons for a holder's browser to make it or pass it on."""
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    repo = TrustRepository(uow.session)
    organisation_id = access.scope.organisation_id
    org_key = await repo.organisation_key(organisation_id)
    org_holders = {c.holder_id for c in await repo.key_copies(organisation_id, organisation_id)}
    key = await repo.programme_key(organisation_id, programme_id)
    holders = {c.holder_id for c in await repo.key_copies(organisation_id, programme_id)} if key else set()
    people = await programmes.list_people(uow, caller, programme_id)
    staff = {
        p.id: p.display_name
        for p, memberships in people
        if any(m.role is Role.staff and m.active for m in memberships)
    }
    admins = await accounts.org_admin_ids(uow, organisation_id)
    for admin_id in admins:
        person = await accounts.person(uow, admin_id)
        if person is not None:
            staff.setdefault(admin_id, person.display_name)
    with_account = await accounts.accounts_in_organisation(uow, organisation_id, list(staff))
    return render(
        request,
        "trust/keys.html",
        {
            "programme": programmes.programme_read(access.programme),
            "organisation_id": organisation_id,
            "has_organisation_key": org_key is not None,
            "holds_organisation_key": caller.person_id in org_holders,
            "key": await service.programme_key(uow, caller, programme_id) if key else None,
            "holds_key": caller.person_id in holders,
            "holders": [(pid, name) for pid, name in staff.items() if pid in holders],
            "candidates": [(pid, name) for pid, name in staff.items() if pid not in holders and pid in with_account],
        },
    )


# Organisation key (passed on from admin to admin in the browser) -------------------------------


@router.get("/manage/organisation/key")
async def organisation_key_page(request: Request, uow: UowDep, caller: CallerDep) -> Response:
    """Who holds the organisation key; a holder's browser gives it to another administrator."""
    admins = await service.organisation_key_holders(uow, caller)
    try:
        key = await service.organisation_key(uow, caller)
    except NotFound:
        key = None
    return render(
        request,
        "trust/organisation_key.html",
        {
            "key": key,
            "holds_key": any(a.holds_key and a.person_id == caller.person_id for a in admins),
            "holders": [a for a in admins if a.holds_key],
            "candidates": [a for a in admins if a.has_account and not a.holds_key],
            "waiting": [a for a in admins if not a.has_account],
        },
    )
