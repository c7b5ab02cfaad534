"""Signing up with real, full-strength keys over HTTP, as her browser does, for the browser
journeys: an invitation code made straight in the database, then the sign-up through the API."""

from __future__ import annotations

from typing import Any

import httpx

from eportfolio import crypto
from eportfolio.crypto import b64u_encode
from eportfolio.domain.people import Role
from eportfolio.invitations.service import _new_invitation
from eportfolio.kit.db import make_engine, make_sessionmaker
from eportfolio.kit.uow import unit_of_work
from tests.support.keyring_client import organisation_pin_record
from tests.support.live import LiveServer
from tests.support.world import World

PASSWORD = "a sentence only she knows"


async def invitation(database_url: str, world: World, person: Any, role: Role, programme: Any) -> str:
    """A fresh invitation code for this person and role."""
    engine = make_engine(database_url)
    try:
        async with unit_of_work(make_sessionmaker(engine)) as uow:
            code, row = _new_invitation(world.organisation_id, programme, person, role, None)
            uow.session.add(row)
    finally:
        await engine.dispose()
    return code


class Keyring:
    """Someone signing up over HTTP with the default (full-strength) KDF, as her browser would."""

    def __init__(self, server: LiveServer) -> None:
        self.http = httpx.AsyncClient(base_url=server.url, timeout=30)
        self.recovery_code = ""

    async def call(self, method: str, url: str, body: Any = None) -> httpx.Response:
        if "ep_csrf" not in self.http.cookies:
            await self.http.get("/healthz")
        return await self.http.request(method, url, json=body, headers={"x-csrf-token": self.http.cookies["ep_csrf"]})

    async def sign_up(self, code: str, login: str, *, org_key: bool = False) -> tuple[crypto.Identity, Any]:
        invited = (await self.call("GET", f"/api/v1/auth/invitations/{code}")).json()
        made = crypto.Identity.create(login, PASSWORD, user_id=invited["person_id"])
        body: dict[str, Any] = {
            "invitation_code": code,
            "login": login,
            "key_bundle": b64u_encode(made.bundle),
            "public_identity": b64u_encode(made.public_identity),
            "auth_proof": b64u_encode(made.auth_proof),
            "recovery_proof": b64u_encode(made.recovery_auth_proof),
        }
        signing = None
        if org_key:
            signing = crypto.SigningKey.generate()
            body["organisation_key"] = {
                "ed25519_public": b64u_encode(signing.public),
                "sealed_copy": b64u_encode(signing.seal_for(made.identity.person)),
            }
        answer = await self.call("POST", "/api/v1/auth/signup", body)
        assert answer.status_code == 201, answer.text
        organisation_public = signing.public if signing else invited["organisation_key"]
        if organisation_public is not None:
            pinned = organisation_pin_record(made.identity, invited["organisation_id"], organisation_public)
            saved = await self.call("PUT", "/api/v1/pinned-keys", pinned)
            assert saved.status_code == 200, saved.text
        self.recovery_code = made.recovery_code.text  # what she keeps on paper
        return made.identity, signing
