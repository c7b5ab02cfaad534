"""Organisation and programme keys as an admin's browser makes them, and the records staff sign with
them, for tests of what builds on them (in process or against a live server)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from typing import Any

import httpx
from sqlalchemy import Update, update

from eportfolio import crypto
from eportfolio.crypto import b64u_encode
from eportfolio.domain.people import Role
from eportfolio.kit.db import make_engine, make_sessionmaker
from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.tables import CoachAssignment
from tests.support.client import Browser
from tests.support.keyring_client import Member
from tests.support.live import LiveServer
from tests.support.signup import Keyring, invitation, signed_up_member
from tests.support.world import World

ISSUED_AT = 1_780_000_000

Call = Callable[[str, str, Any], Awaitable[httpx.Response]]
"""A signed-in browser's JSON call (method, url, body): `Keyring.call` on a live server, `Browser.api` in process."""


async def register_programme_key(
    call: Call,
    world: World,
    organisation_key: crypto.SigningKey,
    admin: crypto.Person,
    *,
    holders: Mapping[uuid.UUID, crypto.Person] | None = None,
    issued_at: int = ISSUED_AT,
) -> crypto.SigningKey:
    """Programme A's key, made the way the organisation admin's browser makes it.

    A new key pair; its certificate (serial 1, signed by the world's admin with `organisation_key`);
    both registered with a copy sealed for the admin (`POST /api/v1/trust/programmes/{id}`, 201);
    then a copy sealed for each of `holders` (person id -> her public keys), as the admin passes
    the key on to staff (`POST .../copies`, 204). `call` is the admin's signed-in client. Returns
    the programme key, for the test to sign records with."""
    programme_key = crypto.SigningKey.generate()
    certificate = organisation_key.sign_record(
        crypto.ProgrammeKeyCertificate(programme_key.public),
        organisation_id=str(world.organisation_id), programme_id=str(world.programme_a),
        serial=1, issued_at=issued_at, signed_by=str(world.admin),
    )
    made = await call("POST", f"/api/v1/trust/programmes/{world.programme_a}", {
        "ed25519_public": b64u_encode(programme_key.public),
        "certificate": b64u_encode(certificate),
        "sealed_copy": b64u_encode(programme_key.seal_for(admin)),
    })
    assert made.status_code == 201, made.text
    for holder_id, holder in (holders or {}).items():
        await pass_programme_key(call, world, programme_key, holder_id, holder)
    return programme_key


async def pass_programme_key(
    call: Call, world: World, programme_key: crypto.SigningKey, holder_id: uuid.UUID | str, holder: crypto.Person
) -> None:
    """A holder of programme A's key gives `holder` her own sealed copy (`POST .../copies`, 204)."""
    added = await call("POST", f"/api/v1/trust/programmes/{world.programme_a}/copies", {
        "holder_id": str(holder_id), "sealed_copy": b64u_encode(programme_key.seal_for(holder)),
    })
    assert added.status_code == 204, added.text


async def sign_programme_key(
    admin: Member, browser: Browser, world: World, *, holders: Mapping[uuid.UUID, crypto.Person] | None = None
) -> crypto.SigningKey:
    """`register_programme_key` for an admin who joined in process and is logged in on `browser`."""
    assert admin.organisation_key is not None
    return await register_programme_key(
        browser.api, world, admin.organisation_key, admin.identity.person, holders=holders
    )


async def admin_with_programme_key(
    admin: Keyring, database_url: str, world: World, *, issued_at: int = ISSUED_AT
) -> tuple[crypto.SigningKey, crypto.SigningKey]:
    """On a live server: the world's admin signs up as "admin", making the organisation key, and
    registers programme A's key (`register_programme_key`). Returns (organisation key, programme key)."""
    identity, organisation_key = await admin.sign_up(
        await invitation(database_url, world, world.admin, Role.org_admin, None), "admin", org_key=True
    )
    assert organisation_key is not None
    programme_key = await register_programme_key(
        admin.call, world, organisation_key, identity.person, issued_at=issued_at
    )
    return organisation_key, programme_key


def coach_assignment_record(
    world: World,
    signing_key: crypto.SigningKey,
    coach_id: uuid.UUID | str,
    coach_fingerprint: bytes,
    *,
    serial: int = 1,
    issued_at: int = ISSUED_AT,
) -> str:
    """An individual assignment of a coach to Mother A (from 1 January 2026, open-ended), signed
    as the world's admin with `signing_key` (the programme key, or another key for a record her
    browser cannot verify), encoded as the server stores it."""
    record = signing_key.sign_record(
        crypto.CoachAssignment(
            str(world.participant_a), str(coach_id), coach_fingerprint, crypto.CoachRole.INDIVIDUAL,
            1_767_225_600, 0,
        ),
        organisation_id=str(world.organisation_id), programme_id=str(world.programme_a),
        serial=serial, issued_at=issued_at, signed_by=str(world.admin),
    )
    return b64u_encode(record)


def coach_a_signed(world: World, programme_key: crypto.SigningKey, coach_fingerprint: bytes) -> Update:
    """The statement that gives the world's assignment of Coach A to Mother A the record the admin
    signed with the programme key (`coach_assignment_record`), as staff would have stored it."""
    return (
        update(CoachAssignment)
        .where(CoachAssignment.id == world.assignment_a)
        .values(
            signed_record=coach_assignment_record(world, programme_key, world.coach_a, coach_fingerprint),
            signed_by=world.admin,
        )
    )


async def another_coach_of_hers(
    server: LiveServer,
    database_url: str,
    world: World,
    signing_key: crypto.SigningKey,
    name: str,
    login: str,
    *,
    serial: int,
    issued_at: int = ISSUED_AT,
    language: str,
) -> uuid.UUID:
    """A further individual coach of programme A, signed up on the live server with real keys, and
    his assignment to Mother A with a record `signing_key` signed (`coach_assignment_record`),
    written straight to the database. Returns his id."""
    coach_id, identity = await signed_up_member(
        server, database_url, world, name, Role.coach, login, language=language, coach_kind="individual"
    )
    record = coach_assignment_record(world, signing_key, coach_id, identity.fingerprint, serial=serial,
                                     issued_at=issued_at)
    engine = make_engine(database_url)
    try:
        async with unit_of_work(make_sessionmaker(engine)) as uow:
            uow.session.add(CoachAssignment(
                organisation_id=world.organisation_id, programme_id=world.programme_a,
                participant_id=world.participant_a, coach_id=coach_id, kind="individual",
                starts_on=date(2026, 1, 1), signed_record=record, signed_by=world.admin,
            ))
    finally:
        await engine.dispose()
    return coach_id
