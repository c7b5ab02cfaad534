"""Pages of the accounts feature: the start page per role and the language choice."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from eportfolio.kit import i18n
from eportfolio.kit.auth import OptionalCallerDep
from eportfolio.kit.forms import read_form
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import LANGUAGE_COOKIE, page_router, redirect, render
from eportfolio.programmes import service as programmes

router = page_router()


@router.get("/")
async def home(request: Request, uow: UowDep, caller: OptionalCallerDep) -> Response:
    if caller is None:
        return render(request, "accounts/welcome.html")
    programme_list = await programmes.list_programmes(uow, caller)
    roles = {p.id: sorted(await programmes.roles_in(uow, caller, p.id)) for p in programme_list}
    return render(request, "accounts/home.html", {"programmes": programme_list, "roles": roles})


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
