"""`make run PORT=8123`: without EPORTFOLIO_BASE_URL the site's address is the one it serves on.

A real `eportfolio serve` on a random port: the invitation link and its QR code point at that
port, the chat socket opened from a page on that port is accepted, and a page of another site is
still refused at the handshake.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from eportfolio.accounts.sessions import SESSION_COOKIE
from eportfolio.cli import follow_served_address
from eportfolio.config import Settings, get_settings, served_url
from eportfolio.kit.qr import qr_svg
from tests.support.chat import ChatClient, session_token
from tests.support.live import live_server
from tests.support.world import World


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_links_qr_and_chat_follow_the_port_the_server_runs_on(
    app: FastAPI, world: World, database_url: str, tmp_path: Path
) -> None:
    staff = await session_token(app, world.staff_a)
    mother = await session_token(app, world.participant_a)
    with live_server(database_url, tmp_path, follow_address=True) as server:
        assert server.port != 8000
        async with httpx.AsyncClient(base_url=server.url, cookies={SESSION_COOKIE: staff}) as client:
            page = await client.get(f"/manage/programmes/{world.programme_a}/invitations")
            assert page.status_code == 200
            csrf = client.cookies["ep_csrf"]
            printed = await client.post(
                f"/manage/programmes/{world.programme_a}/invitations",
                data={"csrf_token": csrf, "person_id": str(world.participant_a2), "role": "participant"},
                headers={"Origin": server.url},
            )
        assert printed.status_code == 200, printed.text[-2000:]
        links = set(re.findall(r"https?://[^\s\"<]+/join\?code=[0-9A-Z-]+", html.unescape(printed.text)))
        assert len(links) == 1, links
        link = links.pop()
        assert link.startswith(f"http://127.0.0.1:{server.port}/join?code="), link
        assert str(qr_svg(link)) in printed.text, "the QR code holds the link on this port"

        ws = f"ws://127.0.0.1:{server.port}/ws"
        async with ChatClient.connect(ws, mother, origin=server.url) as chat:
            assert chat.welcome["type"] == "welcome", chat.welcome
        # The same machine under its other name is the same site in development.
        async with ChatClient.connect(ws, mother, origin=f"http://localhost:{server.port}") as chat:
            assert chat.welcome["type"] == "welcome"
        for foreign in ("http://127.0.0.1:8000", "https://evil.example", f"http://evil.example:{server.port}"):
            with pytest.raises(InvalidStatus) as refused:
                async with connect(ws, origin=foreign, additional_headers={"Cookie": f"{SESSION_COOKIE}={mother}"}):  # type: ignore[arg-type]  # websockets types origin as its Origin NewType of str
                    pass
            assert refused.value.response.status_code == 403, foreign


def test_serve_follows_host_and_port_only_when_no_address_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EPORTFOLIO_BASE_URL", raising=False)
    monkeypatch.setenv("EPORTFOLIO_ENV", "development")
    get_settings.cache_clear()
    try:
        assert follow_served_address("127.0.0.1", 8123) == "http://127.0.0.1:8123"
        assert get_settings().base_url == "http://127.0.0.1:8123"
        assert "http://127.0.0.1:8123" in get_settings().allowed_origins
        assert "http://127.0.0.1:8000" not in get_settings().allowed_origins

        monkeypatch.setenv("EPORTFOLIO_BASE_URL", "https://portfolio.example.nl")
        get_settings.cache_clear()
        assert follow_served_address("0.0.0.0", 8123) is None, "a set address wins"  # noqa: S104 - the wildcard address is the input under test
        assert get_settings().base_url == "https://portfolio.example.nl"

        monkeypatch.delenv("EPORTFOLIO_BASE_URL")
        monkeypatch.setenv("EPORTFOLIO_ENV", "production")
        get_settings.cache_clear()
        assert follow_served_address("127.0.0.1", 8123) is None, "production never guesses its address"
        assert any("EPORTFOLIO_BASE_URL is not set" in p for p in get_settings().problems())
    finally:
        get_settings.cache_clear()


def test_served_url_and_loopback_names() -> None:
    assert served_url("0.0.0.0", 8123) == "http://127.0.0.1:8123"  # noqa: S104 - the wildcard address is the input under test
    assert served_url("::1", 9000) == "http://[::1]:9000"
    assert served_url("portfolio.local", 80) == "http://portfolio.local:80"
    development = Settings(env="development", base_url="http://127.0.0.1:8123")
    assert development.allowed_origins == {
        "http://127.0.0.1:8123",
        "http://localhost:8123",
        "http://[::1]:8123",
    }
    production = Settings(
        env="production", base_url="https://portfolio.example.nl", extra_origins=["https://a.example"]
    )
    assert production.allowed_origins == {"https://portfolio.example.nl", "https://a.example"}
