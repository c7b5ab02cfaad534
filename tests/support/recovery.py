"""Recovery test helpers: the programme key on the server, recovery officers, and the recovery key
made the way a staff browser makes it (Python keyring, same bytes as the browser)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from eportfolio import crypto
from eportfolio.crypto import b64u_decode, b64u_encode
from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.tables import Membership, Person
from eportfolio.trust.tables import SigningKeyCopy
from tests.support.keyring_client import join
from tests.support.portfolio import PASSWORD, Cast, Hand

ISSUED_AT = 1_780_000_000


@dataclass
class Recovery:
    cast: Cast
    officer: Hand
    recovery_key: crypto.ProgrammeRecoveryKey

    @property
    def programme(self) -> uuid.UUID:
        return self.cast.world.programme_a

    def url(self, tail: str) -> str:
        return f"/api/v1/recovery/programmes/{self.programme}/{tail}"


async def certify_programme_key(app: FastAPI, cast: Cast) -> None:
    """Staff hold a copy of the cast's programme key (make_cast registered it, certified)."""
    world = cast.world
    async with unit_of_work(app.state.sessionmaker) as uow:
        uow.session.add(SigningKeyCopy(
            organisation_id=world.organisation_id, kind="programme", subject_id=world.programme_a,
            holder_id=world.staff_a, sealed_box=cast.programme_key.seal_for(cast.staff.identity.person),
            created_by=world.admin,
        ))


async def new_officer(cast: Cast, name: str, login: str) -> Hand:
    app, world = cast.app, cast.world
    async with unit_of_work(app.state.sessionmaker) as uow:
        person = Person(organisation_id=world.organisation_id, display_name=name, language="nl")
        uow.session.add(person)
        await uow.flush()
        uow.session.add(Membership(
            organisation_id=world.organisation_id, programme_id=world.programme_a, person_id=person.id,
            role="recovery_officer",
        ))
        person_id = person.id
    member = await join(app, person_id, "recovery_officer", login, PASSWORD, world.programme_a)
    return await cast.hand(member)


def signed_recovery_key(cast: Cast, public: bytes, *, serial: int = 1) -> str:
    record = cast.programme_key.sign_record(
        crypto.ProgrammeRecoveryKeyRecord(public),
        organisation_id=str(cast.world.organisation_id), programme_id=str(cast.world.programme_a),
        serial=serial, issued_at=ISSUED_AT, signed_by=cast.staff.person_id,
    )
    return b64u_encode(record)


async def make_recovery(app: FastAPI, cast: Cast) -> Recovery:
    """The programme key on the server, a recovery officer, and the recovery key made by staff."""
    await certify_programme_key(app, cast)
    officer = await new_officer(cast, "Officer One", "officer.one")
    key = crypto.ProgrammeRecoveryKey.generate()
    recovery = Recovery(cast, officer, key)
    await cast.staff.ok("POST", recovery.url("key"), {
        "signed_record": signed_recovery_key(cast, key.public),
        "copies": [{"holder_id": officer.person_id, "sealed_copy": b64u_encode(key.seal_for(officer.identity.person))}],
    }, status=201)
    return recovery


async def rotation_body(
    her: Hand,
    programme_id: uuid.UUID | str,
    *,
    recovery_code: str | None,
    password: str | None = None,
    programme_publics: dict[str, bytes] | None = None,
) -> tuple[dict[str, Any], crypto.UserKeyRotation]:
    """What her browser sends to withdraw consent (docs/crypto-spec.md 5.4): a new user key made with
    her password typed again and her recovery code (None: a new code), everything re-wrapped.

    ``programme_publics`` are the programme keys her browser checks each kept consent's recovery key
    record with (programme id -> Ed25519 public)."""
    plan = await her.ok("GET", "/api/v1/recovery/rotation")
    assert b64u_decode(plan["user_key_id"]) == her.identity.user_key_id, "the bundle her session holds"
    prelogin = await her.ok("POST", "/api/v1/auth/prelogin", {"login": her.member.login})
    params = crypto.KdfParams.from_bytes(b64u_decode(prelogin["kdf_params"]))
    secrets = crypto.derive_login_secrets(
        her.member.login, password or her.member.password, params, allow_test_params=True
    )
    rotation = her.identity.rotate_user_key(secrets, recovery_code=recovery_code)
    items = [
        {
            "item_id": item["item_id"],
            "user_wrap": b64u_encode(
                rotation.rewrap_item_key(b64u_decode(item["user_wrap"]), b64u_decode(item["key_id"]))
            ),
        }
        for item in plan["items"]
    ]
    pinned = None
    if plan["pinned_keys"] is not None:
        revision, record = rotation.reseal_pinned_keys(
            b64u_decode(plan["pinned_keys"]["record"]), min_revision=plan["pinned_keys"]["revision"]
        )
        pinned = {"revision": revision, "record": b64u_encode(record)}
    kept = []
    for consent in plan["consents"]:
        if consent["programme_id"] == str(programme_id):
            continue
        public = (programme_publics or {})[consent["programme_id"]]
        record = crypto.verify_record(
            b64u_decode(consent["signed_record"]), public, crypto.RecordKind.PROGRAMME_RECOVERY_KEY
        )
        assert isinstance(record.body, crypto.ProgrammeRecoveryKeyRecord)
        sealed = rotation.seal_for_programme_recovery(record.body.x25519_public)
        kept.append({"programme_id": consent["programme_id"], "sealed_user_key": b64u_encode(sealed)})
    return {
        "old_user_key_id": plan["user_key_id"],
        "current_auth_proof": b64u_encode(secrets.auth_proof()),
        "key_bundle": b64u_encode(rotation.bundle),
        "recovery_proof": b64u_encode(rotation.recovery_auth_proof),
        "new_recovery_code": rotation.recovery_code is not None,
        "items": items,
        "pinned_keys": pinned,
        "kept_consents": kept,
    }, rotation
