"""Signing up with real, full-strength keys over HTTP, as her browser does, for the browser
journeys: an invitation code made straight in the database, then the sign-up through the API; and
new members of programme A, made in the database and signed up the same way."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from eportfolio import crypto
from eportfolio.domain.people import Role
from eportfolio.invitations.service import _new_invitation
from eportfolio.kit.db import make_engine, make_sessionmaker
from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.tables import Membership, Person
from tests.support.keyring_client import organisation_pin_record, sign_up_body
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
        body, signing = sign_up_body(code, login, made, make_organisation_key=org_key)
        answer = await self.call("POST", "/api/v1/auth/signup", body)
        assert answer.status_code == 201, answer.text
        organisation_public = signing.public if signing else invited["organisation_key"]
        if organisation_public is not None:
            pinned = organisation_pin_record(made.identity, invited["organisation_id"], organisation_public)
            saved = await self.call("PUT", "/api/v1/pinned-keys", pinned)
            assert saved.status_code == 200, saved.text
        self.recovery_code = made.recovery_code.text  # what she keeps on paper
        return made.identity, signing


async def new_member(
    database_url: str, world: World, name: str, role: Role, *, language: str, coach_kind: str | None = None
) -> uuid.UUID:
    """A new person of the world's organisation with a membership of programme A in `role`, written
    straight to the database (no account yet). Returns her id."""
    engine = make_engine(database_url)
    try:
        async with unit_of_work(make_sessionmaker(engine)) as uow:
            person = Person(organisation_id=world.organisation_id, display_name=name, language=language)
            uow.session.add(person)
            await uow.flush()
            uow.session.add(Membership(
                organisation_id=world.organisation_id, programme_id=world.programme_a, person_id=person.id,
                role=role.value, coach_kind=coach_kind,
            ))
            return person.id
    finally:
        await engine.dispose()


async def signed_up_member(
    server: LiveServer,
    database_url: str,
    world: World,
    name: str,
    role: Role,
    login: str,
    *,
    language: str,
    coach_kind: str | None = None,
) -> tuple[uuid.UUID, crypto.Identity]:
    """`new_member`, then signed up on the live server as `login` with real keys, in a client of
    her own. Returns her id and her identity."""
    person_id = await new_member(database_url, world, name, role, language=language, coach_kind=coach_kind)
    keyring = Keyring(server)
    try:
        identity, _ = await keyring.sign_up(
            await invitation(database_url, world, person_id, role, world.programme_a), login
        )
    finally:
        await keyring.http.aclose()
    return person_id, identity
