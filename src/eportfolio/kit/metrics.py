"""Prometheus metrics: requests and latency by route, the secret-hashing queue, and ``GET /metrics``.

Everything registers in prometheus_client's default registry, so a feature adds its own metrics
by defining them in its own module (the chat's sockets and messages live in the chat); the
endpoint shows them all.

Who may read them: the figures say how busy the service is and when, which is nobody's business
on the internet. With ``EPORTFOLIO_METRICS_TOKEN`` set, a scraper sends
``Authorization: Bearer <token>``; a wrong or missing token gets 403. Without a token the
endpoint answers only outside production and only to a client on this machine (loopback, no
proxy in between); everyone else gets 404, as if there were nothing there. In production behind
the Caddy proxy every request comes from the proxy, so there the token is the only way in.

Each server process counts its own requests: with ``--workers`` above one, a scrape sees the
worker that answered it.
"""

from __future__ import annotations

import hmac
import ipaddress
import time

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "<unmatched>"  # a path no route knows: one label for all, however many are tried

REQUESTS = Counter(
    "eportfolio_http_requests",
    "HTTP requests answered, by route template, method and status class (2xx, 4xx...).",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "eportfolio_http_request_duration_seconds",
    "Time from the request's arrival to the end of its response, by route template and method.",
    ["route", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
KDF_WAITING = Gauge("eportfolio_kdf_waiting", "Secret hashes (Argon2id) waiting for a free slot.")
KDF_RUNNING = Gauge("eportfolio_kdf_running", "Secret hashes (Argon2id) running in worker threads now.")
KDF_SECONDS = Histogram(
    "eportfolio_kdf_seconds",
    "Time a secret hash took, from asking for a slot to its result (queue wait included).",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)


def route_of(scope: Scope) -> str:
    """The route template that answered (``/chat/{conversation_id}``), never the raw path."""
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    if isinstance(path, str):
        return path
    root_path = scope.get("root_path", "")
    if root_path and scope.get("app_root_path", "") != root_path:
        return f"{root_path}/{{path}}"  # a mounted app (the static files) answered
    return UNMATCHED


class MetricsMiddleware:
    """Counts and times every HTTP request (pure ASGI: no copy of the body, no task per request)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception before the response started is answered with 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            route, method = route_of(scope), scope["method"]
            LATENCY.labels(route, method).observe(time.perf_counter() - started)
            REQUESTS.labels(route, method, f"{status // 100}xx").inc()


router = APIRouter(include_in_schema=False)


def _from_this_machine(request: Request) -> bool:
    if request.client is None or "x-forwarded-for" in request.headers or "forwarded" in request.headers:
        return False
    try:
        return ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:
        return False


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    settings = request.app.state.settings
    token: str | None = settings.metrics_token
    if token:
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return Response(status_code=403, headers={"WWW-Authenticate": "Bearer"})
    elif settings.env == "production" or not _from_this_machine(request):
        raise HTTPException(status_code=404)  # the same page as any address that does not exist
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
