"""Security headers with a strict CSP, the CSRF token cookie, and a request body limit.

No inline script or style anywhere: the policy below refuses them. WebAssembly is allowed
(``'wasm-unsafe-eval'``) because the password KDF runs as vendored WASM in a Web Worker.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import unquote_plus

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; worker-src 'self'; "
    "manifest-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)

CSRF_COOKIE = "ep_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# Names under which a password, a recovery code or a reset code was sent by a form before (and
# obvious variants). None of them belongs in a web address, which ends up in access logs and in
# the phone's history: such a request is refused with 400, and the value is never logged.
SECRET_FIELDS = frozenset({
    "password", "password2", "current", "current_password", "old_password", "new_password",
    "new_password2", "password_confirm", "passwd", "passphrase", "recovery_code", "new_recovery_code",
    "reset_code", "code", "auth_proof", "current_auth_proof", "recovery_proof",
})
# Where ``code`` is no secret she typed but the invitation code of a printed link (``/join?code=``).
_CODE_IN_ADDRESS = frozenset({"/join"})
# Where a web address may hold a code or anything else of her login: the logs leave out every
# query string there, and the invitation code in ``/api/v1/auth/invitations/<code>``.
_AUTH_PREFIXES = (
    "/login", "/logout", "/join", "/recover", "/recovery", "/account", "/needs-javascript",
    "/api/v1/auth", "/api/v1/account", "/api/v1/recovery", "/manage/organisation/admins",
    "/api/v1/organisation/admin-invitations",
)
_INVITATION_PREVIEW = "/api/v1/auth/invitations/"
# Where the path segment after the prefix is a secret link: the invitation code of a preview, her
# application's status link (it shows her invitation once accepted) and a partner's referral link.
_TOKEN_PREFIXES = (
    _INVITATION_PREVIEW, "/apply/status/", "/refer/", "/api/v1/intake/referrals/",
)
REDACTED = "[redacted]"


def _field_name(raw: str) -> str:
    return unquote_plus(raw).strip().lower().removesuffix("[]")


def secret_in_query(path: str, query: bytes | str) -> bool:
    """Whether the query string carries a password or code under one of ``SECRET_FIELDS``."""
    text = query.decode("latin-1") if isinstance(query, bytes) else query
    for part in text.split("&"):
        name = _field_name(part.partition("=")[0])
        if name in SECRET_FIELDS and not (name == "code" and path in _CODE_IN_ADDRESS):
            return True
    return False


def is_auth_path(path: str) -> bool:
    return path.startswith(_AUTH_PREFIXES) or "/invitations" in path


def redact_path(path: str) -> str:
    """A path without the code or token of a secret link (the segment after one of ``_TOKEN_PREFIXES``)."""
    for prefix in _TOKEN_PREFIXES:
        if path.startswith(prefix) and len(path) > len(prefix):
            _, slash, rest = path[len(prefix):].partition("/")
            return f"{prefix}{REDACTED}{slash}{rest}"
    return path


def redact_target(target: str) -> str:
    """A request target (path and query string) as it may be logged: no query string on the
    authentication routes, no value of a secret field anywhere, no code or token in a path."""
    path, mark, query = target.partition("?")
    path = redact_path(path)
    if not mark:
        return path
    if is_auth_path(path):
        return f"{path}?{REDACTED}" if query else path
    parts = []
    for part in query.split("&"):
        name, equals, _ = part.partition("=")
        parts.append(f"{name}={REDACTED}" if equals and _field_name(name) in SECRET_FIELDS else part)
    return f"{path}?{'&'.join(parts)}"


def tokens_match(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def _cookie_value(scope: Scope, name: str) -> str | None:
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for key, value in headers:
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return v
    return None


class SecurityMiddleware:
    """Adds the security headers and makes sure every browser holds a CSRF token cookie."""

    def __init__(self, app: ASGIApp, *, secure_cookies: bool, hsts: bool) -> None:
        self.app = app
        self.secure_cookies = secure_cookies
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _cookie_value(scope, CSRF_COOKIE)
        new_token = None
        if not token or len(token) != 43:
            token = new_token = secrets.token_urlsafe(32)
        scope.setdefault("state", {})["csrf_token"] = token
        is_static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
                headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
                headers.setdefault("Permissions-Policy", "camera=(self), microphone=(self), geolocation=(), payment=()")
                if self.hsts:
                    headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
                if not is_static:
                    # Pages can show personal data: never keep them in a shared or disk cache.
                    headers.setdefault("Cache-Control", "no-store")
                if new_token is not None and not is_static:
                    secure = "; Secure" if self.secure_cookies else ""
                    headers.append(
                        "Set-Cookie",
                        f"{CSRF_COOKIE}={new_token}; Path=/; HttpOnly; SameSite=Lax{secure}",
                    )
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimitMiddleware:
    """Refuses request bodies over the limit with 413, before the app reads them into memory.

    A declared Content-Length over the limit is refused before anything is read. A body without
    one (chunked) is counted while the app reads it; once it passes the limit, reading stops and
    whatever the app makes of the cut-off body (FastAPI answers a body it cannot read with 400)
    is replaced by the 413.
    """

    def __init__(self, app: ASGIApp, *, default_limit: int, limits: dict[str, int] | None = None) -> None:
        self.app = app
        self.default_limit = default_limit
        self.limits = limits or {}

    def _limit_for(self, path: str) -> int:
        for prefix, limit in self.limits.items():
            if path.startswith(prefix):
                return limit
        return self.default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit_for(scope["path"])
        for key, value in scope.get("headers", []):
            if key == b"content-length" and value.isdigit() and int(value) > limit:
                await _too_large(scope, send, limit)
                return
        received = 0
        refused = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            if refused:
                raise BodyTooLarge()
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    raise BodyTooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused and not started:
                return  # the app's answer to the cut-off body; the 413 goes instead
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except BodyTooLarge:
            if not refused:
                raise
        if refused and not started:
            await _too_large(scope, send, limit)


class BodyTooLarge(Exception):
    pass


async def _too_large(scope: Scope, send: Send, limit: int) -> None:
    """The usual error shape (JSON under /api/, else the error page), in her language."""
    from starlette.requests import Request

    from eportfolio.kit.errors import PayloadTooLarge
    from eportfolio.kit.web import error_response, translate  # kit.web builds on this module

    request = Request(scope)
    error = PayloadTooLarge()
    response = error_response(request, error.status_code, error.code, translate(request, error.message), limit=limit)
    await response(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}
