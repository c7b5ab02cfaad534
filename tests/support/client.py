"""An HTTP client that behaves like a browser towards the app: cookies, CSRF token, log in as someone."""

from __future__ import annotations

import uuid
from types import TracebackType
from typing import Any

import httpx
from fastapi import FastAPI

from eportfolio.accounts.sessions import SESSION_COOKIE, start_session
from eportfolio.kit.uow import unit_of_work


class Browser:
    def __init__(self, app: FastAPI, base_url: str = "http://testserver") -> None:
        self.app = app
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url=base_url
        )

    async def __aenter__(self) -> Browser:
        return self

    async def __aexit__(self, *exc: object | TracebackType | None) -> None:
        await self.http.aclose()

    async def csrf(self) -> str:
        token = self.http.cookies.get("ep_csrf")
        if token is None:
            await self.http.get("/healthz")
            token = self.http.cookies.get("ep_csrf")
        assert token is not None
        return token

    async def log_in_as(self, person_id: uuid.UUID) -> uuid.UUID:
        """Start a session for this person the way a successful login does, and hold its cookie."""
        async with unit_of_work(self.app.state.sessionmaker) as uow:
            row, token = await start_session(uow, self.app.state.settings, person_id)
        self.http.cookies.set(SESSION_COOKIE, token)
        return row.id

    def log_out(self) -> None:
        self.http.cookies.delete(SESSION_COOKIE)

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.http.get(url, **kwargs)

    async def post_form(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        form = {"csrf_token": await self.csrf(), **(data or {})}
        return await self.http.post(url, data=form, **kwargs)

    async def api(self, method: str, url: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        headers = {"x-csrf-token": await self.csrf(), **kwargs.pop("headers", {})}
        return await self.http.request(method, url, json=json, headers=headers, **kwargs)


async def settle_and_dispose(app: FastAPI) -> None:
    """End a test's app: wait for the pushes its last sends started (a notice for whoever had no
    socket, written in a task beside the request), then close the engine. A push still holding a
    connection when the engine closes and the test's event loop ends leaves that connection to the
    garbage collector, which reports it as unclosed during some later test."""
    await app.state.chat.pushes_settled()
    await app.state.engine.dispose()
