"""Keys for the people of the test world, made straight in the database as their browsers would
have made them at sign-up, for tests about who reads what rather than about signing up:

- an account with a real key bundle and public identity for the Admin, Staff A, Coach A,
  Supervisor A and Mothers A and A2 (no password login: tests start sessions for them directly);
- the organisation key and programme A's key, certified by it, as the server keeps them, with a
  copy of the programme key for Staff A and the Admin (they may sign in their browsers);
- Coach A's assignment for Mother A signed in Staff A's browser with the programme key (so it
  counts: ``programmes.repository.counting_assignment``);
- conversation keys as the members' browsers make them (epoch records chained by key, grants to
  each reader under her registered key), and duty rosters signed with the programme key.

Tests that sign up for real (``keyring_client.join``) do not use this: one person has one account.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from eportfolio import crypto
from eportfolio.accounts.tables import Account
from eportfolio.crypto import b64u_encode
from eportfolio.kit.uow import UnitOfWork, unit_of_work
from eportfolio.programmes.tables import CoachAssignment
from eportfolio.trust.service import assignment_validity
from eportfolio.trust.tables import OrganisationKey, ProgrammeKey, SigningKeyCopy
from tests.support.client import Browser
from tests.support.world import World

ISSUED_AT = 1_780_000_000
CONVERSATION = "conversation"
ZONE = ZoneInfo("Europe/Amsterdam")  # programme A's time zone
DUTY = {"coach": crypto.Duty.COACH, "supervisor": crypto.Duty.SUPERVISOR}


@dataclass
class WorldKeys:
    world: World
    organisation_key: crypto.SigningKey
    programme_key: crypto.SigningKey
    identities: dict[uuid.UUID, crypto.Identity]
    # (conversation id, epoch) -> the key: what the members' browsers hold.
    conversation_keys: dict[tuple[str, int], bytes] = field(default_factory=dict)
    serial: int = 1  # the last coach assignment serial used

    async def sign_up(self, app: FastAPI, person_id: uuid.UUID, login: str) -> crypto.Identity:
        """Keys for someone added to the world in a test (as at her sign-up)."""
        async with unit_of_work(app.state.sessionmaker) as uow:
            self.identities[person_id] = _account(uow, person_id, login)
        return self.identities[person_id]

    def identity(self, person_id: uuid.UUID) -> crypto.Identity:
        return self.identities[person_id]

    def person(self, person_id: uuid.UUID) -> crypto.Person:
        return self.identities[person_id].person

    # Records signed with the programme key (in a staff browser) -------------------------------

    def assignment_record(
        self,
        participant_id: uuid.UUID,
        coach_id: uuid.UUID,
        *,
        signed_by: uuid.UUID,
        starts_on: date = date(2026, 1, 1),
        ends_on: date | None = None,
        role: crypto.CoachRole = crypto.CoachRole.INDIVIDUAL,
        serial: int | None = None,
    ) -> str:
        """A coach assignment record as ``js/programmes/assignments.js`` signs it."""
        valid_from, valid_until = assignment_validity(starts_on, ends_on)
        self.serial = serial if serial is not None else self.serial + 1
        body = crypto.CoachAssignment(
            str(participant_id), str(coach_id), self.person(coach_id).fingerprint, role, valid_from, valid_until
        )
        return b64u_encode(
            self.programme_key.sign_record(
                body, organisation_id=str(self.world.organisation_id), programme_id=str(self.world.programme_a),
                serial=self.serial, issued_at=ISSUED_AT, signed_by=str(signed_by),
            )
        )

    def roster(
        self,
        shifts: list[tuple[uuid.UUID, str, datetime, datetime]],
        *,
        serial: int,
        signed_by: uuid.UUID | None = None,
        key: crypto.SigningKey | None = None,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
        signed_shifts: list[tuple[uuid.UUID, str, datetime, datetime]] | None = None,
    ) -> dict[str, Any]:
        """The body of ``POST /api/v1/chat/programmes/{id}/rosters``: shifts in programme A's local
        time and the record a staff browser signs for them (valid from the first start to the last
        end unless told). ``key``, ``signed_shifts``: to sign something else than what is sent."""

        def seconds(local: datetime) -> int:
            return int(local.replace(tzinfo=ZONE).timestamp())

        signed = signed_shifts if signed_shifts is not None else shifts
        entries = tuple(
            crypto.RosterEntry(str(person), self.person(person).fingerprint, DUTY[duty], seconds(start), seconds(end))
            for person, duty, start, end in signed
        )
        body = crypto.DutyRoster(
            seconds(valid_from or min(s[2] for s in shifts)),
            seconds(valid_until or max(s[3] for s in shifts)),
            entries,
        )
        record = (key or self.programme_key).sign_record(
            body, organisation_id=str(self.world.organisation_id), programme_id=str(self.world.programme_a),
            serial=serial, issued_at=ISSUED_AT, signed_by=str(signed_by or self.world.staff_a),
        )
        return {
            "serial": serial,
            "signed_record": b64u_encode(record),
            "shifts": [
                {"person_id": str(p), "duty": d, "starts_at": s.isoformat(), "ends_at": e.isoformat()}
                for p, d, s, e in shifts
            ],
        }

    # Conversation keys (js/chat/keys.js) ------------------------------------------------------

    def grant(
        self, conversation_id: str, epoch: int, granter: uuid.UUID, recipient: uuid.UUID, *, key: bytes | None = None
    ) -> dict[str, str]:
        """A grant of the conversation's key of ``epoch``, signed by ``granter``."""
        made = crypto.make_grant(
            self.identity(granter), resource_type=CONVERSATION, resource_id=conversation_id, epoch=epoch,
            key=key if key is not None else self.conversation_keys[(conversation_id, epoch)],
            recipient=self.person(recipient),
        )
        return {"recipient_id": str(recipient), "grant": b64u_encode(made)}

    def new_epoch(
        self,
        conversation_id: str,
        epoch: int,
        creator: uuid.UUID,
        recipients: list[uuid.UUID],
        *,
        resource_id: str | None = None,
    ) -> tuple[bytes, dict[str, Any]]:
        """A new key and the body of its epoch: the record (chained to the previous key the members
        hold) and a grant to each recipient. ``resource_id``: to make a record for another resource.
        The key is the members' once the server took it (``keep``, ``post_epoch``)."""
        previous = self.conversation_keys.get((conversation_id, epoch - 1), os.urandom(32)) if epoch > 1 else None
        made = crypto.new_epoch(
            self.identity(creator), resource_type=CONVERSATION, resource_id=resource_id or conversation_id,
            epoch=epoch, previous_key=previous,
        )
        grants = [self.grant(conversation_id, epoch, creator, r, key=made.key) for r in recipients]
        return made.key, {"epoch": epoch, "record": b64u_encode(made.record), "grants": grants}

    def keep(self, conversation_id: str, epoch: int, key: bytes) -> None:
        self.conversation_keys[(conversation_id, epoch)] = key

    async def post_epoch(
        self, browser: Browser, conversation_id: str, epoch: int, creator: uuid.UUID, recipients: list[uuid.UUID]
    ) -> httpx.Response:
        """``new_epoch`` sent by the browser logged in; its key is kept when the server takes it."""
        key, body = self.new_epoch(conversation_id, epoch, creator, recipients)
        response = await browser.api("POST", f"/api/v1/chat/conversations/{conversation_id}/epochs", json=body)
        if response.status_code == 201:
            self.keep(conversation_id, epoch, key)
        return response


# One set of keys per world (each test has its own world, so its own organisation id).
_KEYS: dict[uuid.UUID, WorldKeys] = {}


def _account(uow: UnitOfWork, person_id: uuid.UUID, login: str) -> crypto.Identity:
    made = crypto.Identity.create(
        login, "a password nobody types", user_id=str(person_id), params=crypto.KdfParams.new(8, 1, 1),
        allow_test_params=True,
    )
    uow.session.add(
        Account(
            person_id=person_id, login=login, salt_seed=b"\x00" * 16, kdf_params={}, auth_hash="-",
            key_bundle=made.bundle, public_identity=made.public_identity,
        )
    )
    return made.identity


async def keys_in(uow: UnitOfWork, world: World, *, sign_assignment: bool = True) -> WorldKeys:
    """The world's keys, made in this unit of work the first time (see the module's doc)."""
    known = _KEYS.get(world.organisation_id)
    if known is not None and await uow.session.get(Account, world.coach_a) is not None:
        return known
    people = {
        world.admin: "world.admin",
        world.staff_a: "world.staff.a",
        world.coach_a: "world.coach.a",
        world.supervisor_a: "world.supervisor.a",
        world.participant_a: "world.mother.a",
        world.participant_a2: "world.mother.a2",
    }
    identities = {person_id: _account(uow, person_id, login) for person_id, login in people.items()}
    organisation_key, programme_key = crypto.SigningKey.generate(), crypto.SigningKey.generate()
    certificate = organisation_key.sign_record(
        crypto.ProgrammeKeyCertificate(programme_key.public),
        organisation_id=str(world.organisation_id), programme_id=str(world.programme_a),
        serial=1, issued_at=ISSUED_AT, signed_by=str(world.admin),
    )
    uow.session.add(
        OrganisationKey(
            organisation_id=world.organisation_id, ed25519_public=organisation_key.public, created_by=world.admin
        )
    )
    uow.session.add(
        ProgrammeKey(
            programme_id=world.programme_a, organisation_id=world.organisation_id,
            ed25519_public=programme_key.public, certificate=certificate, created_by=world.admin,
        )
    )
    await uow.flush()
    for holder in (world.staff_a, world.admin):
        uow.session.add(
            SigningKeyCopy(
                organisation_id=world.organisation_id, kind="programme", subject_id=world.programme_a,
                holder_id=holder, sealed_box=programme_key.seal_for(identities[holder].person),
                created_by=world.admin,
            )
        )
    keys = WorldKeys(world, organisation_key, programme_key, identities)
    await uow.flush()
    if sign_assignment:
        row = (
            await uow.session.execute(select(CoachAssignment).where(CoachAssignment.id == world.assignment_a))
        ).scalar_one()
        row.signed_record = keys.assignment_record(
            world.participant_a, world.coach_a, signed_by=world.staff_a, starts_on=row.starts_on, serial=1
        )
        row.signed_by = world.staff_a
        await uow.flush()
    _KEYS[world.organisation_id] = keys
    return keys


async def world_keys(app: FastAPI, world: World, *, sign_assignment: bool = True) -> WorldKeys:
    async with unit_of_work(app.state.sessionmaker) as uow:
        return await keys_in(uow, world, sign_assignment=sign_assignment)
