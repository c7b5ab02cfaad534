"""Withdrawing programme-recovery consent, through the Python keyring exactly as her browser does
it (docs/crypto-spec.md 5.4): the programme's copy goes, she gets a new user key under the same
password and recovery code, and everything that was under the old key is re-wrapped in the same
request. A copy someone kept opens nothing of hers afterwards; she reads everything, "only me"
included, after logging in with her password and after recovering with her code; every bad
request is refused with a clear 4xx and nothing is stored half."""

from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from eportfolio import crypto
from eportfolio.accounts.tables import Account
from eportfolio.crypto import b64u_decode, b64u_encode
from eportfolio.crypto.boxes import SealedPurpose, SecretPurpose, open_sealed, open_secret
from eportfolio.crypto.errors import refusing
from eportfolio.kit.audit import AccessLogEntry
from eportfolio.kit.uow import unit_of_work
from eportfolio.recovery.tables import RecoveryConsent
from tests.support.client import Browser
from tests.support.keyring_client import KeyringClient
from tests.support.portfolio import Hand, make_cast
from tests.support.recovery import Recovery, make_recovery, rotation_body
from tests.support.world import World

NEW_PASSWORD = "a new password after recovering"
WITHDRAW = "consent/withdraw"


@pytest.fixture
async def recovery(app: FastAPI, world: World) -> AsyncIterator[Recovery]:
    async with AsyncExitStack() as stack:
        cast = await make_cast(app, world, stack)
        yield await make_recovery(app, cast)


async def _consent(recovery: Recovery, her: Hand) -> None:
    sealed = her.identity.seal_for_programme_recovery(recovery.recovery_key.public)
    await her.ok("PUT", recovery.url("consent"), {"sealed_user_key": b64u_encode(sealed)})


async def _her_things(recovery: Recovery) -> dict[str, str]:
    """She writes for herself, for one chosen coach and for her coaches, and pins her coach's key."""
    cast = recovery.cast
    her, coach = cast.her, cast.coach
    await her.start_epoch(cast.portfolio_id, cast.people(her, coach))
    written = {}
    for body, audience, chosen in (
        ("only mine", "only_me", []),
        ("for my coach only", "chosen", [coach.person_id]),
        ("for my coaches", "my_coaches", []),
    ):
        item, _ = await her.write(cast.portfolio_id, "diary", {"body": body}, audience=audience, chosen=chosen)
        written[item["id"]] = body
    coach_person = await her.person(coach.person_id)
    pinned = crypto.seal_pinned_keys(
        her.identity,
        2,  # revision 1 is the one her sign-up saved
        [
            crypto.PinnedKey(
                crypto.FingerprintKind.PERSON,
                coach_person.user_id,
                coach_person.x25519_public + coach_person.ed25519_public,
                True,
            )
        ],
    )
    await her.ok("PUT", "/api/v1/pinned-keys", {"revision": 2, "record": b64u_encode(pinned)})
    return written


async def _kept_copy(app: FastAPI, recovery: Recovery, her: Hand) -> bytes:
    """What someone who kept the programme's copy can open: her old user key (through an officer)."""
    async with unit_of_work(app.state.sessionmaker) as uow:
        row = (
            await uow.session.execute(
                select(RecoveryConsent).where(RecoveryConsent.person_id == uuid.UUID(her.person_id))
            )
        ).scalar_one()
        sealed, user_key_id = row.sealed_user_key, row.user_key_id
    device_private, device_public = crypto.new_device_key()
    resealed = recovery.recovery_key.reseal_to_device(
        sealed, user_id=her.person_id, user_key_id=user_key_id, device_public=device_public
    )
    context = user_key_id + len(her.person_id).to_bytes(2, "big") + her.person_id.encode()
    return open_sealed(resealed, device_private, SealedPurpose.RECOVERY_DEVICE, context)


async def _bundle(app: FastAPI, person_id: str) -> bytes:
    async with unit_of_work(app.state.sessionmaker) as uow:
        account = await uow.session.get(Account, uuid.UUID(person_id))
        assert account is not None
        return account.key_bundle


async def _reads_everything(reader: Hand, recovery: Recovery, written: dict[str, str]) -> None:
    cast = recovery.cast
    rows = await reader.ok("GET", f"/api/v1/portfolio/{cast.portfolio_id}/items")
    people = cast.people(cast.her, cast.coach)
    texts = {row["id"]: (await reader.read_json(row, people))["body"] for row in rows}
    assert texts == written


async def test_after_withdrawing_the_kept_copy_opens_nothing_and_she_reads_everything_with_password_and_code(
    recovery: Recovery, app: FastAPI
) -> None:
    cast = recovery.cast
    her = cast.her
    written = await _her_things(recovery)
    await _consent(recovery, her)
    old_key = await _kept_copy(app, recovery, her)
    assert old_key == her.identity.user_key, "the copy an officer can open is her user key"

    async with AsyncExitStack() as stack:
        elsewhere = await stack.enter_async_context(Browser(app))
        assert (await KeyringClient(elsewhere).login_response("mother.a", her.member.password))[0].status_code == 200

        plan = await her.ok("GET", "/api/v1/recovery/rotation")
        assert {i["item_id"] for i in plan["items"]} == {i for i, t in written.items() if t != "for my coaches"}
        assert plan["pinned_keys"]["revision"] == 2
        assert [c["programme_id"] for c in plan["consents"]] == [str(recovery.programme)]
        body, rotation = await rotation_body(her, recovery.programme, recovery_code=her.member.recovery_code)
        assert rotation.recovery_code is None, "she typed her code, so she keeps it"
        answer = await her.ok("POST", recovery.url(WITHDRAW), body)
        assert answer["consented"] is False
        assert (await elsewhere.api("GET", "/api/v1/recovery/notices")).status_code == 401, "her other session ended"

    # What a kept copy of the old key opens now: nothing she has.
    stored = crypto.KeyBundle.from_bytes(await _bundle(app, her.person_id))
    assert stored.user_key_id == rotation.new_user_key_id != crypto.key_id(old_key)
    with pytest.raises(crypto.CryptoError):
        refusing(open_secret)(
            stored.private_keys_box, old_key, SecretPurpose.PRIVATE_KEYS, stored.x25519_public + stored.ed25519_public
        )
    stale = Hand(her.member, her.browser, her.identity, her.programme_id)  # a tab still on the old key
    her.identity = rotation.identity
    body, _ = await stale.item_body(cast.portfolio_id, str(uuid.uuid4()), "diary", {"body": "x"}, audience="only_me")
    refused = await stale.api("POST", f"/api/v1/portfolio/{cast.portfolio_id}/items", body)
    assert refused.status_code == 422, "nothing new goes under the old key"
    assert refused.json()["error"]["field"] == "keys.user_wrap"
    plan = await her.ok("GET", "/api/v1/recovery/rotation")
    assert b64u_decode(plan["user_key_id"]) == rotation.new_user_key_id
    assert plan["consents"] == []
    for item in plan["items"]:
        with pytest.raises(crypto.CryptoError):
            crypto.unwrap_item_key(b64u_decode(item["user_wrap"]), old_key, b64u_decode(item["key_id"]))
    with pytest.raises(crypto.CryptoError):
        crypto.open_pinned_keys(
            _OldKey(her.identity.person, old_key),
            b64u_decode(plan["pinned_keys"]["record"]),  # type: ignore[arg-type]  # parsed JSON is typed object; this field is a base64url str
        )
    assert plan["pinned_keys"]["revision"] == 3
    revision, pinned = crypto.open_pinned_keys(her.identity, b64u_decode(plan["pinned_keys"]["record"]))
    assert revision == 3
    assert [p.subject_id for p in pinned] == [cast.coach.person_id]
    assert await recovery.officer.ok("GET", recovery.url("requests")) == []

    # Her password opens the new key; she reads everything, "only me" too.
    async with Browser(app) as fresh:
        fresh.http.cookies.set("ep_lang", "en")
        identity = await KeyringClient(fresh).login("mother.a", her.member.password)
        assert identity.user_key == rotation.identity.user_key
        await _reads_everything(Hand(her.member, fresh, identity, her.programme_id), recovery, written)

    # So does her recovery code (she keeps it: the same code, the new key under it).
    async with Browser(app) as phone:
        phone.http.cookies.set("ep_lang", "en")
        done, identity = await KeyringClient(phone).recover("mother.a", her.member.recovery_code, NEW_PASSWORD)
        assert done.status_code == 200, done.text
        assert identity.user_key == rotation.identity.user_key
        await _reads_everything(Hand(her.member, phone, identity, her.programme_id), recovery, written)

    async with unit_of_work(app.state.sessionmaker) as uow:
        logged = {
            (e.record_kind, e.action)
            for e in (
                await uow.session.execute(
                    select(AccessLogEntry).where(AccessLogEntry.subject_person_id == uuid.UUID(her.person_id))
                )
            ).scalars()
        }
    assert {("recovery_consent", "delete"), ("key_bundle", "update"), ("key_bundle", "read")} <= logged


class _OldKey:
    """Someone holding her old user key and her public keys (what a kept copy gives)."""

    def __init__(self, person: crypto.Person, user_key: bytes) -> None:
        self.person, self.user_key = person, user_key


async def test_without_her_recovery_code_she_gets_a_new_one_and_the_old_one_stops_working(
    recovery: Recovery, app: FastAPI
) -> None:
    her = recovery.cast.her
    written = await _her_things(recovery)
    await _consent(recovery, her)
    body, rotation = await rotation_body(her, recovery.programme, recovery_code=None)
    assert rotation.recovery_code is not None
    await her.ok("POST", recovery.url(WITHDRAW), body)
    async with Browser(app) as phone:
        phone.http.cookies.set("ep_lang", "en")
        old, _ = await KeyringClient(phone).recover("mother.a", her.member.recovery_code, NEW_PASSWORD)
        assert old.status_code == 401, "the old code no longer works"
        done, identity = await KeyringClient(phone).recover("mother.a", rotation.recovery_code.text, NEW_PASSWORD)
        assert done.status_code == 200, done.text
        await _reads_everything(Hand(her.member, phone, identity, her.programme_id), recovery, written)


def _flip(value: str, at: int = -1) -> str:
    data = bytearray(b64u_decode(value))
    data[at] ^= 0x01
    return b64u_encode(bytes(data))


async def test_bad_withdrawals_are_refused_with_a_clear_answer_and_nothing_is_stored_half(
    recovery: Recovery, app: FastAPI
) -> None:
    cast = recovery.cast
    her, coach = cast.her, cast.coach
    written = await _her_things(recovery)
    shared = next(i for i, t in written.items() if t == "for my coaches")
    assert (await her.api("POST", recovery.url(WITHDRAW), {})).status_code == 422
    body, rotation = await rotation_body(her, recovery.programme, recovery_code=her.member.recovery_code)
    assert (await her.api("POST", recovery.url(WITHDRAW), body)).status_code == 404, "no consent to withdraw yet"
    await _consent(recovery, her)
    before = await _bundle(app, her.person_id)
    other_code = crypto.RecoveryCode.generate()

    def changed(**fields: Any) -> dict[str, Any]:
        made = copy.deepcopy(body)
        made.update(fields)
        return made

    items = body["items"]
    pinned = body["pinned_keys"]
    old_wrap = (await her.ok("GET", "/api/v1/recovery/rotation"))["items"][0]["user_wrap"]
    cases: list[tuple[str, dict[str, Any], int, str | None]] = [
        ("stale user key id", changed(old_user_key_id=b64u_encode(b"\x00" * 16)), 409, "old_user_key_id"),
        ("tampered bundle", changed(key_bundle=_flip(body["key_bundle"])), 422, "key_bundle"),
        ("her old bundle again", changed(key_bundle=b64u_encode(before)), 422, "key_bundle"),
        ("not her recovery code", changed(recovery_proof=b64u_encode(other_code.auth_proof())), 422, "recovery_code"),
        ("a missing item", changed(items=items[1:]), 409, "items"),
        ("an item twice", changed(items=[*items, items[0]]), 422, "items"),
        ("an item not under her key", changed(items=[*items, {**items[0], "item_id": shared}]), 422, "items"),
        ("someone else's item", changed(items=[*items, {**items[0], "item_id": str(uuid.uuid4())}]), 422, "items"),
        ("a wrap under the old key", changed(items=[{**items[0], "user_wrap": old_wrap}, *items[1:]]), 422, "items"),
        ("a stale pinned revision", changed(pinned_keys={**pinned, "revision": 1}), 409, "pinned_keys"),
        (
            "pinned keys not signed by her",
            changed(pinned_keys={**pinned, "record": _flip(pinned["record"])}),
            422,
            "pinned_keys",
        ),
        ("pinned keys left out", changed(pinned_keys=None), 409, "pinned_keys"),
        (
            "a consent she does not have",
            changed(
                kept_consents=[
                    {
                        "programme_id": str(cast.world.programme_b),
                        "sealed_user_key": b64u_encode(b"\x01\x03\x02" + bytes(80)),
                    }
                ]
            ),
            422,
            "kept_consents",
        ),
    ]
    for name, bad, status, field in cases:
        answer = await her.api("POST", recovery.url(WITHDRAW), bad)
        assert answer.status_code == status, (name, answer.text)
        error = answer.json()["error"]
        assert error["message"], name
        if field is not None and status != 409:
            assert field in str(error), (name, error)
    wrong = changed(
        current_auth_proof=b64u_encode(
            crypto.derive_login_secrets(
                "mother.a",
                "not her password",
                crypto.KdfParams.from_bytes(
                    b64u_decode((await her.ok("POST", "/api/v1/auth/prelogin", {"login": "mother.a"}))["kdf_params"])
                ),
                allow_test_params=True,
            ).auth_proof()
        )
    )
    assert (await her.api("POST", recovery.url(WITHDRAW), wrong)).status_code == 401
    assert (await coach.api("POST", recovery.url(WITHDRAW), body)).status_code == 403

    # Nothing of the refused requests was stored: the same bundle, the consent, the old wraps.
    assert await _bundle(app, her.person_id) == before
    assert (await her.ok("GET", recovery.url("consent")))["consented"] is True
    assert (await her.ok("GET", "/api/v1/recovery/rotation"))["items"][0]["user_wrap"] == old_wrap
    await _reads_everything(her, recovery, written)

    # The good request still goes through; sent again, it is stale.
    await her.ok("POST", recovery.url(WITHDRAW), body)
    her.identity = rotation.identity
    await _reads_everything(her, recovery, written)
    assert (await her.api("POST", recovery.url(WITHDRAW), body)).status_code == 404


async def test_a_consent_she_keeps_in_another_programme_is_sealed_again_to_her_new_key(
    recovery: Recovery, app: FastAPI
) -> None:
    """She is in two programmes and said yes in both; withdrawing in one keeps the other working."""
    from eportfolio.programmes.tables import Membership
    from eportfolio.recovery.tables import ProgrammeRecoveryKey

    cast = recovery.cast
    her, world = cast.her, cast.world
    other = world.programme_b
    other_programme_key = crypto.SigningKey.generate()
    other_recovery = crypto.ProgrammeRecoveryKey.generate()
    record = other_programme_key.sign_record(
        crypto.ProgrammeRecoveryKeyRecord(other_recovery.public),
        organisation_id=str(world.organisation_id),
        programme_id=str(other),
        serial=1,
        issued_at=1_780_000_000,
        signed_by=cast.staff.person_id,
    )
    async with unit_of_work(app.state.sessionmaker) as uow:
        uow.session.add(
            Membership(
                organisation_id=world.organisation_id,
                programme_id=other,
                person_id=uuid.UUID(her.person_id),
                role="participant",
            )
        )
        uow.session.add(
            ProgrammeRecoveryKey(
                programme_id=other,
                organisation_id=world.organisation_id,
                x25519_public=other_recovery.public,
                signed_record=record,
                created_by=uuid.UUID(cast.staff.person_id),
            )
        )
    written = await _her_things(recovery)
    await _consent(recovery, her)
    sealed = her.identity.seal_for_programme_recovery(other_recovery.public)
    await her.ok("PUT", f"/api/v1/recovery/programmes/{other}/consent", {"sealed_user_key": b64u_encode(sealed)})

    body, rotation = await rotation_body(
        her,
        recovery.programme,
        recovery_code=her.member.recovery_code,
        programme_publics={str(other): other_programme_key.public},
    )
    assert [k["programme_id"] for k in body["kept_consents"]] == [str(other)]
    left_out = await her.api("POST", recovery.url(WITHDRAW), {**body, "kept_consents": []})
    assert left_out.status_code == 409, "her other consent would be left with her old key"
    await her.ok("POST", recovery.url(WITHDRAW), body)
    assert (await her.ok("GET", recovery.url("consent")))["consented"] is False
    assert (await her.ok("GET", f"/api/v1/recovery/programmes/{other}/consent"))["consented"] is True

    # The other programme's officer can still help her: the copy there holds her new key.
    async with unit_of_work(app.state.sessionmaker) as uow:
        row = await uow.session.get(RecoveryConsent, (uuid.UUID(her.person_id), other))
        assert row is not None
        copy_there, key_id_there = row.sealed_user_key, row.user_key_id
    assert key_id_there == rotation.new_user_key_id
    device_private, device_public = crypto.new_device_key()
    resealed = other_recovery.reseal_to_device(
        copy_there, user_id=her.person_id, user_key_id=key_id_there, device_public=device_public
    )
    recovered = crypto.Identity.recover_on_device(
        await _bundle(app, her.person_id), resealed, device_private, user_id=her.person_id, login="mother.a"
    )
    assert recovered.user_key == rotation.identity.user_key
    await _reads_everything(Hand(her.member, her.browser, recovered, her.programme_id), recovery, written)
