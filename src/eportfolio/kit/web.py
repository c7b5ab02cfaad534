"""The web kit: templates in her language, CSRF checks, routers, and the domain-error handler."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import structlog
from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from eportfolio.config import PROJECT_ROOT
from eportfolio.kit import dates, i18n
from eportfolio.kit.auth import Caller, OptionalCallerDep
from eportfolio.kit.errors import N_, CsrfFailed, DomainError
from eportfolio.kit.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    SAFE_METHODS,
    redact_path,
    secret_in_query,
    tokens_match,
)
from eportfolio.kit.uow import UnitOfWork, UowDep

log = structlog.get_logger(__name__)

TEMPLATES_DIR = PROJECT_ROOT / "frontend" / "templates"
STATIC_DIR = PROJECT_ROOT / "frontend" / "static"


# Language ------------------------------------------------------------------------------------

LANGUAGE_COOKIE = "ep_lang"


def request_language(request: Request) -> str:
    caller = getattr(request.state, "caller", None)
    return i18n.pick_language(request.cookies.get(LANGUAGE_COOKIE), getattr(caller, "language", None))


def translate(request: Request, message: str, **params: object) -> str:
    return i18n.gettext(request_language(request), message, **params)


# Templates -----------------------------------------------------------------------------------


@pass_context
def _gettext(context: Context, message: str, **variables: Any) -> str:
    text = i18n.translations(context["lang"]).gettext(message)
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - our own catalogue text; parameters are escaped by Markup's %
    return text % variables if variables else text


@pass_context
def _ngettext(context: Context, singular: str, plural: str, num: int, **variables: Any) -> str:
    text = i18n.translations(context["lang"]).ngettext(singular, plural, num)
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - our own catalogue text; parameters are escaped by Markup's %
    return text % {"num": num, **variables}


@pass_context
def _language_name(context: Context, code: str) -> str:
    return i18n.language_name(code, context["lang"])


@pass_context
def _plural_forms(context: Context, singular: str, plural: str) -> str:
    """For a data attribute: the JSON the script's ``plural()`` (shared/dom.js) reads."""
    return json.dumps(i18n.plural_forms(context["lang"], singular, plural), ensure_ascii=False)


@pass_context
def _level_label(context: Context, level: object) -> str:
    return i18n.level_label(str(getattr(level, "value", level)), context["lang"])


@lru_cache(maxsize=512)
def _file_digest(relative: str) -> bytes:
    return hashlib.sha384((STATIC_DIR / relative).read_bytes()).digest()


def static_url(relative: str) -> str:
    """A cache-busting URL: the file may be cached for a year because its name changes with it."""
    version = _file_digest(relative).hex()[:12]
    return f"/static/{relative}?v={version}"


def sri(relative: str) -> str:
    """The Subresource Integrity value of a file we serve (vendored scripts must carry it)."""
    return "sha384-" + base64.b64encode(_file_digest(relative)).decode()


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        enable_async=False,
    )
    env.globals.update(gettext=_gettext, _=_gettext, ngettext=_ngettext, static_url=static_url, sri=sri)
    env.globals.update(language_name=_language_name, level_label=_level_label, plural_forms=_plural_forms)
    # Every date and time a person sees: her language, the programme's time zone, never UTC.
    env.filters.update(when=dates.when_filter, day=dates.day_filter, device=dates.device_filter)
    env.newstyle_gettext = True  # type: ignore[attr-defined]  # set by jinja2.ext.i18n when installed; Environment's stubs lack it
    return env


templates = make_environment()


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    lang = request_language(request)
    page = {
        "request": request,
        "lang": lang,
        "dir": i18n.direction(lang),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "caller": getattr(request.state, "caller", None),
        "ui_languages": [(code, i18n.own_language_name(code)) for code in i18n.ui_languages()],
        "current_path": request.url.path,
        # The menu of her roles with its counts (``load_navigation``); None on pages without a caller.
        "navigation": getattr(request.state, "navigation", None),
    }
    page.update(context or {})
    html = templates.get_template(name).render(page)
    return HTMLResponse(html, status_code=status_code, headers=headers)


def redirect(url: str) -> RedirectResponse:
    """Redirect after POST (303, so the browser follows with GET)."""
    return RedirectResponse(url, status_code=303)


# CSRF ----------------------------------------------------------------------------------------


def _origin_allowed(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        referer = request.headers.get("referer")
        if referer is None:
            return True  # non-browser clients; the token below still has to match
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    allowed: set[str] = request.app.state.settings.allowed_origins
    own = f"{request.url.scheme}://{request.url.netloc}"
    return origin.rstrip("/") in allowed or origin.rstrip("/") == own


async def csrf_protect(request: Request) -> None:
    """Every state-changing request carries the token from the cookie, as a field or a header."""
    if request.method in SAFE_METHODS:
        return
    if not _origin_allowed(request):
        raise CsrfFailed()
    expected = getattr(request.state, "csrf_token", None)
    if request.cookies.get("ep_csrf") != expected:
        raise CsrfFailed()
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            given = value if isinstance(value, str) else None
    if not tokens_match(expected, given):
        raise CsrfFailed()


# Navigation ----------------------------------------------------------------------------------

# What ``app.py`` wires into ``app.state.navigation``: builds the menu of a signed-in person with
# its counts (the kit depends on no feature, so a feature supplies it, like ``resolve_caller``).
NavigationBuilder = Callable[[UnitOfWork, Caller, str], Awaitable[Any]]


async def load_navigation(request: Request, uow: UowDep, caller: OptionalCallerDep) -> None:
    """The menu with its counts, once per page and in one place, for every page that renders:
    a fixed, small number of statements however much she has (the builder pins them). A form
    post builds it too: a refused form (or a page shown after a post) is shown again with her
    menu, never as if she were logged out; a post that redirects pays those few statements."""
    if caller is None or request.method not in ("GET", "HEAD", "POST"):
        return
    builder: NavigationBuilder | None = getattr(request.app.state, "navigation", None)
    if builder is not None:
        request.state.navigation = await builder(uow, caller, request.url.path)


def page_router() -> APIRouter:
    return APIRouter(dependencies=[Depends(csrf_protect), Depends(load_navigation)], include_in_schema=False)


def api_router(prefix: str, tag: str) -> APIRouter:
    return APIRouter(prefix=f"/api/v1{prefix}", tags=[tag], dependencies=[Depends(csrf_protect)])


# Errors --------------------------------------------------------------------------------------


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def error_response(request: Request, status: int, code: str, message: str, **extra: Any) -> Response:
    headers = {}
    if extra.get("retry_after"):
        headers["Retry-After"] = str(extra["retry_after"])
    if wants_json(request):
        body: dict[str, Any] = {"code": code, "message": message}
        body.update({k: v for k, v in extra.items() if v is not None})
        return JSONResponse({"error": body}, status_code=status, headers=headers)
    return render(
        request,
        "errors/error.html",
        {"status": status, "code": code, "message": message},
        status_code=status,
        headers=headers,
    )


SECRET_IN_ADDRESS = N_(
    "A password or code was in the web address. That is not safe, so nothing was done with it. "
    "Open the page again and type it in the form."
)


class SecretInAddressMiddleware:
    """Refuses (400) a request whose web address carries a password or code
    (``kit.security.SECRET_FIELDS``): an old bookmark, a page from before forms posted, a link
    someone made. The value is not used, and the access log leaves it out."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and secret_in_query(scope["path"], scope.get("query_string", b"")):
            request = Request(scope)
            message = translate(request, SECRET_IN_ADDRESS)
            await error_response(request, 400, "secret_in_address", message)(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def handle_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    message = translate(request, exc.message, **exc.params)
    return error_response(request, exc.status_code, exc.code, message, field=exc.field, retry_after=exc.retry_after)


def _describe_validation(request: Request, exc: RequestValidationError) -> list[dict[str, Any]]:
    from eportfolio.kit.forms import describe  # forms builds on this module

    problems = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
        problems.append({"field": ".".join(location), "message": describe(request, error)})
    return problems


async def handle_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = _describe_validation(request, exc)
    message = translate(request, "Some of what you entered is not right. Please check it.")
    if wants_json(request):
        return JSONResponse({"error": {"code": "invalid", "message": message, "problems": problems}}, status_code=422)
    return render(
        request,
        "errors/error.html",
        {"status": 422, "code": "invalid", "message": message, "problems": problems},
        status_code=422,
    )


async def handle_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    messages = {
        404: N_("We could not find this. It may have been removed, or the link is wrong."),
        405: N_("This address does not accept this kind of request."),
    }
    message = translate(request, messages.get(exc.status_code, "This request could not be handled."))
    return error_response(request, exc.status_code, "http_error", message)


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled_error", path=redact_path(request.url.path))
    message = translate(request, "Something went wrong on our side. What you saved before is safe. Please try again.")
    return error_response(request, 500, "server_error", message)
