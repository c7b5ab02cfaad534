"""Programme recovery, through the Python keyring exactly as the browsers do it: staff make the
programme recovery key, an officer passes it on, she consents, and after she lost password and
recovery code an officer who checked her in person re-seals her user key to her new phone. Nothing
she wrote is lost, her other sessions end, she is told, and every step is refused when it is off."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from eportfolio import crypto
from eportfolio.crypto import b64u_decode, b64u_encode
from eportfolio.kit.audit import AccessLogEntry
from eportfolio.kit.uow import unit_of_work
from tests.support.client import Browser
from tests.support.keyring_client import KeyringClient
from tests.support.keyring_client import test_params as low_kdf_params
from tests.support.portfolio import Hand, make_cast
from tests.support.recovery import Recovery, make_recovery, new_officer, rotation_body, signed_recovery_key
from tests.support.world import World

NEW_PASSWORD = "my new phone and my new password"


@pytest.fixture
async def recovery(app: FastAPI, world: World) -> AsyncIterator[Recovery]:
    async with AsyncExitStack() as stack:
        cast = await make_cast(app, world, stack)
        yield await make_recovery(app, cast)


async def _consent(recovery: Recovery, her: Hand) -> dict[str, Any]:
    """Her browser checks the signed recovery key against the programme key, then seals her user key."""
    served = await her.ok("GET", recovery.url("key"))
    record = crypto.verify_record(
        b64u_decode(served["signed_record"]), recovery.cast.programme_key.public,
        crypto.RecordKind.PROGRAMME_RECOVERY_KEY,
    )
    assert isinstance(record.body, crypto.ProgrammeRecoveryKeyRecord)
    assert record.programme_id == str(recovery.programme)
    sealed = her.identity.seal_for_programme_recovery(record.body.x25519_public)
    answer: dict[str, Any] = await her.ok("PUT", recovery.url("consent"), {"sealed_user_key": b64u_encode(sealed)})
    return answer


async def _new_device(app: FastAPI, stack: AsyncExitStack, login: str) -> tuple[Browser, bytes, dict[str, Any]]:
    browser = await stack.enter_async_context(Browser(app))
    browser.http.cookies.set("ep_lang", "en")
    private, public = crypto.new_device_key()
    answer = await browser.api(
        "POST", "/api/v1/recovery/device", {"login": login, "device_public": b64u_encode(public)}
    )
    assert answer.status_code == 201, answer.text
    shown = answer.json()
    # The phone shows the fingerprint it computed itself; the server's copy must agree.
    own = crypto.fingerprint(crypto.FingerprintKind.RECOVERY_DEVICE_KEY, shown["person_id"], public)
    assert shown["fingerprint"] == crypto.fingerprint_text(own)
    assert shown["fingerprint_qr"] == crypto.fingerprint_qr(own)
    return browser, private, shown


async def _officer_reseals(recovery: Recovery, officer: Hand, shown_fingerprint: str, *, checked: bool = True) -> int:
    """The officer's browser: compare the fingerprint on her phone, open the recovery key, re-seal."""
    waiting = await officer.ok("GET", recovery.url("requests"))
    assert len(waiting) == 1
    request = waiting[0]
    device_public = b64u_decode(request["device_public"])
    computed = crypto.fingerprint(crypto.FingerprintKind.RECOVERY_DEVICE_KEY, request["person_id"], device_public)
    assert crypto.fingerprint_text(computed) == shown_fingerprint, "the officer compares with her phone"
    key_read = await officer.ok("GET", recovery.url("key"))
    key = crypto.ProgrammeRecoveryKey.open(
        b64u_decode(key_read["sealed_copy"]), officer.identity, b64u_decode(key_read["x25519_public"])
    )
    sealed = key.reseal_to_device(
        b64u_decode(request["sealed_user_key"]), user_id=request["person_id"],
        user_key_id=b64u_decode(request["user_key_id"]), device_public=device_public,
    )
    answer = await officer.api("POST", recovery.url(f"requests/{request['request_id']}/reseal"), {
        "sealed_user_key": b64u_encode(sealed), "identity_checked": checked,
    })
    return answer.status_code


async def test_an_officer_recovers_her_account_on_a_new_phone_and_nothing_is_lost(
    recovery: Recovery, app: FastAPI
) -> None:
    cast = recovery.cast
    her, coach = cast.her, cast.coach
    people = cast.people(her, coach)
    await her.start_epoch(cast.portfolio_id, people)
    private, _ = await her.write(cast.portfolio_id, "diary", {"body": "only mine"}, audience="only_me")
    await her.write(cast.portfolio_id, "diary", {"body": "for my coach"})
    consent = await _consent(recovery, her)
    assert consent["consented"] is True

    async with AsyncExitStack() as stack:
        device, device_private, shown = await _new_device(app, stack, "mother.a")
        assert shown["person_id"] == her.person_id
        assert (await device.api("POST", "/api/v1/recovery/device/state", {"token": shown["token"]})).json() == {
            "ready": False, "login": None, "person_id": None, "key_bundle": None, "sealed_user_key": None,
        }
        assert await _officer_reseals(recovery, recovery.officer, shown["fingerprint"], checked=False) == 422
        assert await _officer_reseals(recovery, recovery.officer, shown["fingerprint"]) == 204

        state = (await device.api("POST", "/api/v1/recovery/device/state", {"token": shown["token"]})).json()
        assert state["ready"] is True
        identity = crypto.Identity.recover_on_device(
            b64u_decode(state["key_bundle"]), b64u_decode(state["sealed_user_key"]), device_private,
            user_id=state["person_id"], login=state["login"],
        )
        assert identity.user_key == her.identity.user_key
        change = identity.change_password(NEW_PASSWORD, params=low_kdf_params(), allow_test_params=True)
        done = await device.api("POST", "/api/v1/recovery/device/complete", {
            "token": shown["token"], "key_bundle": b64u_encode(change.bundle),
            "auth_proof": b64u_encode(change.auth_proof),
        })
        assert done.status_code == 200, done.text
        again = await device.api("POST", "/api/v1/recovery/device/complete", {
            "token": shown["token"], "key_bundle": b64u_encode(change.bundle),
            "auth_proof": b64u_encode(change.auth_proof),
        })
        assert again.status_code == 410, "a finished recovery cannot be replayed"

        notices = await device.api("GET", "/api/v1/recovery/notices")
        assert [n["kind"] for n in notices.json()] == ["programme"]
        assert (await her.api("GET", "/api/v1/recovery/notices")).status_code == 401, "her old session ended"

        # Everything she wrote opens with the recovered keys, "only me" included.
        reader = Hand(her.member, device, identity, her.programme_id)
        rows = await reader.ok("GET", f"/api/v1/portfolio/{cast.portfolio_id}/items")
        texts = sorted([(await reader.read_json(item, people))["body"] for item in rows])
        assert texts == ["for my coach", "only mine"]
        assert private["id"] in {r["id"] for r in rows}

    async with Browser(app) as fresh:
        client = KeyringClient(fresh)
        assert (await client.login_response("mother.a", NEW_PASSWORD))[0].status_code == 200
        assert (await client.login_response("mother.a", "a long and private passphrase"))[0].status_code == 401

    async with unit_of_work(app.state.sessionmaker) as uow:
        logged = (await uow.session.execute(
            select(AccessLogEntry).where(
                AccessLogEntry.record_kind == "recovery_request", AccessLogEntry.action == "update"
            )
        )).scalars().all()
    assert [(r.actor_person_id, r.subject_person_id) for r in logged] == [
        (uuid.UUID(recovery.officer.person_id), uuid.UUID(her.person_id))
    ]


async def test_an_officer_passes_the_recovery_key_to_another_officer(recovery: Recovery) -> None:
    officer = recovery.officer
    second = await new_officer(recovery.cast, "Officer Two", "officer.two")
    served = await officer.ok("GET", recovery.url("officers"))
    listed = {o["person_id"]: o for o in served}
    assert listed[officer.person_id]["holds_key"] is True
    assert listed[second.person_id]["holds_key"] is False
    new_person = crypto.Person.from_public_identity(b64u_decode(listed[second.person_id]["public_identity"]))
    key_read = await officer.ok("GET", recovery.url("key"))
    key = crypto.ProgrammeRecoveryKey.open(
        b64u_decode(key_read["sealed_copy"]), officer.identity, b64u_decode(key_read["x25519_public"])
    )
    body = {"holder_id": second.person_id, "sealed_copy": b64u_encode(key.seal_for(new_person))}
    refused = await second.api("POST", recovery.url("key/copies"), body)
    assert refused.status_code == 403, "only a holder passes the key on"
    await officer.ok("POST", recovery.url("key/copies"), body, status=204)
    assert (await officer.api("POST", recovery.url("key/copies"), body)).status_code == 409

    theirs = await second.ok("GET", recovery.url("key"))
    opened = crypto.ProgrammeRecoveryKey.open(
        b64u_decode(theirs["sealed_copy"]), second.identity, b64u_decode(theirs["x25519_public"])
    )
    assert opened.public == key.public


async def test_the_recovery_key_is_refused_when_its_record_or_copies_do_not_fit(app: FastAPI, world: World) -> None:
    async with AsyncExitStack() as stack:
        cast = await make_cast(app, world, stack)
        recovery = await make_recovery(app, cast)
        again = await cast.staff.api("POST", recovery.url("key"), {
            "signed_record": signed_recovery_key(cast, os.urandom(32)),
            "copies": [{
                "holder_id": recovery.officer.person_id,
                "sealed_copy": b64u_encode(b"\x01\x03\x05" + os.urandom(80)),
            }],
        })
        assert again.status_code == 409, "a programme has one recovery key"
        assert (await cast.her.api("POST", recovery.url("key"), {
            "signed_record": "AA", "copies": [{"holder_id": cast.her.person_id, "sealed_copy": "AA"}],
        })).status_code == 403


async def test_without_consent_or_after_withdrawing_it_no_officer_can_recover_her(
    recovery: Recovery, app: FastAPI
) -> None:
    her = recovery.cast.her
    assert (await her.ok("GET", recovery.url("consent")))["consented"] is False
    wrong_purpose = b64u_encode(b"\x01\x03\x03" + os.urandom(80))
    refused = await her.api("PUT", recovery.url("consent"), {"sealed_user_key": wrong_purpose})
    assert refused.status_code == 422
    await _consent(recovery, her)
    body, rotation = await rotation_body(her, recovery.programme, recovery_code=her.member.recovery_code)
    await her.ok("POST", recovery.url("consent/withdraw"), body)
    her.identity = rotation.identity
    assert (await her.ok("GET", recovery.url("consent")))["consented"] is False
    assert (await her.api("POST", recovery.url("consent/withdraw"), body)).status_code == 404
    assert (await her.api("DELETE", recovery.url("consent"))).status_code == 405, "only with a new user key"

    async with AsyncExitStack() as stack:
        _device, _private, shown = await _new_device(app, stack, "mother.a")
        assert await recovery.officer.ok("GET", recovery.url("requests")) == [], "her request is not shown"
        staff = await recovery.cast.staff.api("GET", recovery.url("requests"))
        assert staff.status_code == 403, "staff are not recovery officers"
        # Someone typing a login nobody has gets an answer of the same shape, the same each time.
        _d, _p, unknown = await _new_device(app, stack, "nobody.here")
        _d2, _p2, unknown_again = await _new_device(app, stack, "nobody.here")
        assert unknown["person_id"] == unknown_again["person_id"] != shown["person_id"]
        state = await _d.api("POST", "/api/v1/recovery/device/state", {"token": unknown["token"]})
        assert state.json()["ready"] is False
        bad = await _d.api("POST", "/api/v1/recovery/device", {"login": "mother.a", "device_public": "AAAA"})
        assert bad.status_code == 422
