"""What anyone may try without logging in is rate limited, per address and per target: looking at
invitation and reset codes (and using them), and asking to recover an account on a new phone.
Over a limit the answer is 429 with a sentence she can act on, and waiting always helps."""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import update

from eportfolio.accounts.tables import LoginThrottle
from eportfolio.config import Settings
from eportfolio.invitations.codes import new_code
from eportfolio.kit.clock import utcnow
from eportfolio.kit.uow import unit_of_work
from tests.support.client import Browser
from tests.support.keyring_client import KeyringClient, invitation_for, join
from tests.support.world import World

TOO_MANY = "Too many tries. Wait a few minutes and try again."


def _limits(app: FastAPI, **values: int) -> None:
    app.state.settings = app.state.settings.model_copy(update=values)


async def _window_passes(app: FastAPI) -> None:
    async with unit_of_work(app.state.sessionmaker) as uow:
        await uow.session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key.startswith("tries:"))
            .values(blocked_until=utcnow() - timedelta(seconds=1))
        )


def _refused(response: object) -> None:
    assert response.status_code == 429, response.text  # type: ignore[attr-defined]  # any response object: httpx's and the test client's alike
    assert int(response.headers["Retry-After"]) >= 1  # type: ignore[attr-defined]  # any response object: httpx's and the test client's alike
    assert response.json()["error"] == {  # type: ignore[attr-defined]  # any response object: httpx's and the test client's alike
        "code": "too_many_requests", "message": TOO_MANY, "retry_after": int(response.headers["Retry-After"]),  # type: ignore[attr-defined]  # any response object: httpx's and the test client's alike
    }


@pytest.fixture
async def english(app: FastAPI) -> AsyncIterator[Browser]:
    async with Browser(app) as browser:
        browser.http.cookies.set("ep_lang", "en")
        yield browser


def test_the_limits_have_settings_with_sane_defaults() -> None:
    settings = Settings()
    assert settings.limit_window_minutes == 15
    assert 5 <= settings.code_failures_per_address <= 50
    assert 5 <= settings.code_tries_per_code <= 50
    assert 3 <= settings.device_requests_per_address <= 50
    assert 1 <= settings.device_requests_per_login <= 10


# Invitation codes ------------------------------------------------------------------------------


async def test_wrong_invitation_codes_from_one_address_are_limited_and_waiting_helps(
    app: FastAPI, world: World, english: Browser
) -> None:
    _limits(app, code_failures_per_address=3)
    right = await invitation_for(app, world.participant_a, "participant", world.programme_a)
    for _ in range(3):
        assert (await english.get(f"/api/v1/auth/invitations/{new_code()}")).status_code == 404
    _refused(await english.get(f"/api/v1/auth/invitations/{new_code()}"))
    _refused(await english.get(f"/api/v1/auth/invitations/{right}"))
    page = await english.get(f"/join?code={right}")
    assert page.status_code == 429
    assert TOO_MANY in page.text
    assert right in page.text, "the page keeps what she typed"

    await _window_passes(app)
    assert (await english.get(f"/api/v1/auth/invitations/{right}")).status_code == 200


async def test_right_invitation_codes_never_use_up_the_address_limit(
    app: FastAPI, world: World, english: Browser
) -> None:
    """A group joining together on one Wi-Fi is not slowed down by its own codes."""
    _limits(app, code_failures_per_address=2)
    people = (world.participant_a, world.participant_a2, world.coach_a)
    codes = [await invitation_for(app, person, "participant", world.programme_a) for person in people]
    for code in codes * 2:
        assert (await english.get(f"/api/v1/auth/invitations/{code}")).status_code == 200
        assert (await english.get(f"/join?code={code}")).status_code == 200


async def test_one_invitation_code_can_be_looked_at_only_so_often(
    app: FastAPI, world: World, english: Browser
) -> None:
    _limits(app, code_tries_per_code=3)
    code = await invitation_for(app, world.participant_a, "participant", world.programme_a)
    other = await invitation_for(app, world.participant_a2, "participant", world.programme_a)
    for _ in range(3):
        assert (await english.get(f"/api/v1/auth/invitations/{code}")).status_code == 200
    _refused(await english.get(f"/api/v1/auth/invitations/{code.lower().replace('-', ' ')}"))
    assert (await english.get(f"/api/v1/auth/invitations/{other}")).status_code == 200, "other codes still work"


async def test_signing_up_with_wrong_codes_counts_like_looking_at_them(
    app: FastAPI, world: World, english: Browser
) -> None:
    _limits(app, code_failures_per_address=2)
    client = KeyringClient(english)
    body, _, _ = client.sign_up_body(new_code(), "mother.a", "a long walk on the beach", str(world.participant_a))
    for _ in range(2):
        body["invitation_code"] = new_code()
        assert (await english.api("POST", "/api/v1/auth/signup", body)).status_code == 404
    body["invitation_code"] = new_code()
    _refused(await english.api("POST", "/api/v1/auth/signup", body))
    _refused(await english.get(f"/api/v1/auth/invitations/{new_code()}"))


# Reset codes -----------------------------------------------------------------------------------


async def _reset_code(app: FastAPI, world: World) -> str:
    await join(app, world.participant_a, "participant", "mother.a", "a long walk on the beach", world.programme_a)
    async with Browser(app) as staff:
        await staff.log_in_as(world.staff_a)
        made = await staff.api(
            "POST", f"/api/v1/recovery/programmes/{world.programme_a}/people/{world.participant_a}/reset"
        )
    assert made.status_code == 201, made.text
    return str(made.json()["code"])


def _made_up_reset_code() -> str:
    raw = base64.b32encode(os.urandom(10)).decode()[:16]
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


async def test_wrong_reset_codes_from_one_address_are_limited(app: FastAPI, world: World, english: Browser) -> None:
    _limits(app, code_failures_per_address=3)
    code = await _reset_code(app, world)
    for _ in range(3):
        wrong = await english.api("POST", "/api/v1/recovery/reset/preview", {"token": _made_up_reset_code()})
        assert wrong.status_code == 404
    _refused(await english.api("POST", "/api/v1/recovery/reset/preview", {"token": _made_up_reset_code()}))
    _refused(await english.api("POST", "/api/v1/recovery/reset/preview", {"token": code}))
    await _window_passes(app)
    preview = await english.api("POST", "/api/v1/recovery/reset/preview", {"token": code})
    assert preview.status_code == 200
    assert preview.json()["login"] == "mother.a"


async def test_one_reset_code_can_be_looked_at_only_so_often(app: FastAPI, world: World, english: Browser) -> None:
    _limits(app, code_tries_per_code=2)
    code = await _reset_code(app, world)
    for _ in range(2):
        assert (await english.api("POST", "/api/v1/recovery/reset/preview", {"token": code})).status_code == 200
    _refused(await english.api("POST", "/api/v1/recovery/reset/preview", {"token": code}))


# A new phone -----------------------------------------------------------------------------------


def _device_request(login: str) -> dict[str, str]:
    return {"login": login, "device_public": base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()}


async def test_requests_from_a_new_phone_are_limited_per_login_name(
    app: FastAPI, world: World, english: Browser
) -> None:
    _limits(app, device_requests_per_login=2)
    await join(app, world.participant_a, "participant", "mother.a", "a long walk on the beach", world.programme_a)
    for login in ("mother.a", "nobody.here"):  # the same for a login that does not exist
        for _ in range(2):
            assert (await english.api("POST", "/api/v1/recovery/device", _device_request(login))).status_code == 201
        _refused(await english.api("POST", "/api/v1/recovery/device", _device_request(login)))
    assert (await english.api("POST", "/api/v1/recovery/device", _device_request("someone.else"))).status_code == 201
    await _window_passes(app)
    assert (await english.api("POST", "/api/v1/recovery/device", _device_request("mother.a"))).status_code == 201


async def test_requests_from_a_new_phone_are_limited_per_address(app: FastAPI, english: Browser) -> None:
    _limits(app, device_requests_per_address=3)
    for number in range(3):
        started = await english.api("POST", "/api/v1/recovery/device", _device_request(f"someone.{number}"))
        assert started.status_code == 201
    refused = await english.api("POST", "/api/v1/recovery/device", _device_request("someone.else"))
    _refused(refused)
    assert "token" not in refused.text


async def test_the_waiting_phone_asking_for_its_state_is_not_limited(app: FastAPI, english: Browser) -> None:
    _limits(app, device_requests_per_address=1, device_requests_per_login=1)
    started = await english.api("POST", "/api/v1/recovery/device", _device_request("someone"))
    assert started.status_code == 201
    for _ in range(10):
        state = await english.api("POST", "/api/v1/recovery/device/state", {"token": started.json()["token"]})
        assert state.status_code == 200
