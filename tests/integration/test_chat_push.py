"""Web Push for the chat: only to members with no socket anywhere, only the neutral sentence in
her language (never content or names), switchable per person, against a fake push service on
127.0.0.1 that decrypts what it gets as a browser would."""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from py_vapid import Vapid01, b64urlencode

from eportfolio.app import create_app
from eportfolio.config import Settings
from tests.support.chat import ChatClient, serve, session_token
from tests.support.client import Browser, settle_and_dispose
from tests.support.conversations import open_coaching
from tests.support.world import World, build_world


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class PushService:
    """A push service on 127.0.0.1: records every push; ``/gone/...`` answers 410 like an expired one."""

    url: str
    received: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            headers = {k.lower(): v for k, v in self.headers.items()}
            service.received.append((self.path, headers, self.rfile.read(length)))
            self.send_response(410 if self.path.startswith("/gone/") else 201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    service.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Browserside:
    """A browser's push subscription: the keys its push messages are encrypted to."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self) -> dict[str, Any]:
        public = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": _b64u(public), "auth": _b64u(self.auth)},
        }

    def open(self, payload: bytes) -> dict[str, Any]:
        plain = http_ece.decrypt(payload, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm")
        result: dict[str, Any] = json.loads(plain)
        return result


@pytest.fixture
async def push_app(settings: Settings) -> AsyncIterator[FastAPI]:
    vapid = Vapid01()
    vapid.generate_keys()
    public = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    configured = settings.model_copy(
        update={
            "vapid_private_key": b64urlencode(vapid.private_key.private_numbers().private_value.to_bytes(32, "big")),
            "vapid_public_key": b64urlencode(public),
            "vapid_subject": "mailto:privacy@example.org",
        }
    )
    application = create_app(configured)
    yield application
    await settle_and_dispose(application)


@dataclass
class PushChat:
    app: FastAPI
    world: World
    url: str
    conversation: str
    browser: Browser

    async def subscribe(self, person: Any, endpoint: str) -> Browserside:
        side = Browserside(endpoint)
        await self.browser.log_in_as(person)
        response = await self.browser.api("POST", "/api/v1/chat/push/subscriptions", json=side.subscription())
        assert response.status_code == 201, response.text
        return side

    async def mother_sends(self) -> None:
        token = await session_token(self.app, self.world.participant_a)
        async with ChatClient.connect(self.url, token, resume={}) as mother:
            ack = await mother.message(self.conversation)
            assert ack["type"] == "ack", ack
        await self.app.state.chat.pushes_settled()


@pytest.fixture
async def push_chat(push_app: FastAPI) -> AsyncIterator[PushChat]:
    world = await build_world(push_app.state.sessionmaker)
    async with Browser(push_app) as browser:
        conversation = await open_coaching(browser, world)
        async with serve(push_app) as url:
            yield PushChat(push_app, world, url, conversation, browser)


async def test_an_offline_coach_gets_a_push_that_says_only_there_is_a_new_message(
    push_chat: PushChat, push_service: PushService
) -> None:
    coach = await push_chat.subscribe(push_chat.world.coach_a, f"{push_service.url}/push/coach-phone")
    await push_chat.mother_sends()

    assert [path for path, _, _ in push_service.received] == ["/push/coach-phone"]
    _, headers, payload = push_service.received[0]
    assert headers["authorization"].startswith("vapid t=")
    assert headers["content-encoding"] == "aes128gcm"
    # Her coach's language is Dutch; the push carries that one sentence and nothing else.
    assert coach.open(payload) == {"body": "Je hebt een nieuw bericht", "url": "/chat"}


async def test_no_push_to_someone_with_a_socket_open_nor_to_the_sender(
    push_chat: PushChat, push_service: PushService
) -> None:
    await push_chat.subscribe(push_chat.world.coach_a, f"{push_service.url}/push/coach-phone")
    await push_chat.subscribe(push_chat.world.participant_a, f"{push_service.url}/push/her-phone")
    coach_token = await session_token(push_chat.app, push_chat.world.coach_a)
    async with ChatClient.connect(push_chat.url, coach_token, resume={}) as coach:
        await push_chat.mother_sends()
        assert (await coach.until("message"))["type"] == "message"
    assert push_service.received == []


async def test_she_can_switch_push_off_and_on(push_chat: PushChat, push_service: PushService) -> None:
    await push_chat.subscribe(push_chat.world.coach_a, f"{push_service.url}/push/coach-phone")
    switched = await push_chat.browser.api("PUT", "/api/v1/chat/push", json={"enabled": False})
    assert switched.status_code == 200, switched.text
    assert switched.json() == {
        "enabled": False,
        "public_key": push_chat.app.state.settings.vapid_public_key,
        "subscriptions": 1,
    }
    await push_chat.mother_sends()
    assert push_service.received == []

    await push_chat.browser.log_in_as(push_chat.world.coach_a)
    assert (await push_chat.browser.api("PUT", "/api/v1/chat/push", json={"enabled": True})).status_code == 200
    await push_chat.mother_sends()
    assert len(push_service.received) == 1


async def test_a_subscription_the_push_service_says_is_gone_is_forgotten(
    push_chat: PushChat, push_service: PushService
) -> None:
    await push_chat.subscribe(push_chat.world.coach_a, f"{push_service.url}/gone/old-phone")
    await push_chat.mother_sends()
    assert len(push_service.received) == 1
    settings = await push_chat.browser.get("/api/v1/chat/push")
    assert settings.json()["subscriptions"] == 0
    await push_chat.mother_sends()
    assert len(push_service.received) == 1, "not tried again"


async def test_a_subscription_that_is_not_a_push_service_address_is_refused(push_chat: PushChat) -> None:
    await push_chat.browser.log_in_as(push_chat.world.coach_a)
    side = Browserside("http://push.example.net/x").subscription()
    refused = await push_chat.browser.api("POST", "/api/v1/chat/push/subscriptions", json=side)
    assert refused.status_code == 422
    assert "push service" in refused.text
    bad_keys = Browserside("https://push.example.net/x").subscription() | {
        "keys": {"p256dh": "not base64!", "auth": "x"}
    }
    assert (await push_chat.browser.api("POST", "/api/v1/chat/push/subscriptions", json=bad_keys)).status_code == 422


def test_outside_development_only_the_browsers_push_services_are_accepted() -> None:
    from eportfolio.chat.service import _known_push_service

    assert _known_push_service("https://fcm.googleapis.com/fcm/send/abc")
    assert _known_push_service("https://updates.push.services.mozilla.com/wpush/v2/abc")
    assert _known_push_service("https://web.push.apple.com/abc")
    assert not _known_push_service("https://fcm.googleapis.com.evil.example/abc")
    assert not _known_push_service("http://fcm.googleapis.com/abc")
    assert not _known_push_service("https://127.0.0.1:8443/admin")


async def test_an_escalation_pushes_to_the_supervisor_on_duty_that_someone_waits(
    push_chat: PushChat, push_service: PushService
) -> None:
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from eportfolio.duty import service
    from eportfolio.kit.clock import utcnow
    from eportfolio.kit.uow import unit_of_work
    from tests.support.chat_http import post_roster

    world = push_chat.world
    local_now = utcnow().astimezone(ZoneInfo("Europe/Amsterdam")).replace(tzinfo=None)
    await post_roster(push_chat.browser, world, local_now - timedelta(hours=1), hours=12)
    supervisor = await push_chat.subscribe(world.supervisor_a, f"{push_service.url}/push/supervisor-phone")
    await push_chat.mother_sends()
    push_service.received.clear()
    for minutes in (31, 121):
        async with unit_of_work(push_chat.app.state.sessionmaker, push_chat.app.state.event_bus) as uow:
            assert await service.escalate_due(uow, utcnow() + timedelta(minutes=minutes)) == 1
        await push_chat.app.state.chat.pushes_settled()
    assert [path for path, _, _ in push_service.received] == ["/push/supervisor-phone"], "second line, once"
    _, headers, payload = push_service.received[0]
    assert headers["authorization"].startswith("vapid t=")
    assert supervisor.open(payload) == {
        "body": "Iemand wacht op antwoord. Jij hebt dienst.",
        "url": "/notifications",
    }
