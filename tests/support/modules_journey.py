"""The modules journeys' HTTP helper: someone's session for the steps a test is not about (authoring, assigning)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.live import LiveServer


class Api:
    """Someone's session over HTTP, for the steps this test is not about (authoring, assigning)."""

    def __init__(self, server: LiveServer, cookie: dict[str, Any]) -> None:
        self.http = httpx.AsyncClient(base_url=server.url, cookies={cookie["name"]: cookie["value"]}, timeout=30)

    async def call(self, method: str, url: str, body: Any = None) -> Any:
        if "ep_csrf" not in self.http.cookies:
            await self.http.get("/healthz")
        answer = await self.http.request(method, url, json=body, headers={"x-csrf-token": self.http.cookies["ep_csrf"]})
        assert answer.status_code < 300, answer.text
        return answer.json()
