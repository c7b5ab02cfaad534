"""Coach-assisted recovery through the Python keyring: with neither password, recovery code nor
consent, staff give her a one-time reset code; after the plain warning her phone makes new keys;
her coach checks the new fingerprint and grants the portfolio keys again (the portfolio's re-grant).
Her former public identity is kept, so what she signed before still verifies; only her "only me"
items are lost."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest
from fastapi import FastAPI

from eportfolio import crypto
from eportfolio.crypto import b64u_decode, b64u_encode
from tests.support.client import Browser
from tests.support.keyring_client import test_params as low_kdf_params
from tests.support.portfolio import PASSWORD, Cast, Hand, make_cast
from tests.support.world import World

NEW_PASSWORD = "starting again with new keys"


@pytest.fixture
async def cast(app: FastAPI, world: World) -> AsyncIterator[Cast]:
    async with AsyncExitStack() as stack:
        yield await make_cast(app, world, stack)


def _reset_body(code: str, person_id: str, *, understood: bool = True) -> tuple[dict[str, object], crypto.SignUp]:
    made = crypto.Identity.create(
        "mother.a", NEW_PASSWORD, user_id=person_id, params=low_kdf_params(), allow_test_params=True
    )
    return {
        "code": code, "understood_only_me_lost": understood,
        "key_bundle": b64u_encode(made.bundle), "public_identity": b64u_encode(made.public_identity),
        "auth_proof": b64u_encode(made.auth_proof), "recovery_proof": b64u_encode(made.recovery_auth_proof),
    }, made


async def test_after_a_reset_her_coach_gives_her_access_again_and_only_only_me_items_are_lost(
    cast: Cast, app: FastAPI
) -> None:
    her, coach, staff, portfolio = cast.her, cast.coach, cast.staff, cast.portfolio_id
    people = cast.people(her, coach)
    programme = cast.world.programme_a
    await her.start_epoch(portfolio, people)
    private, _ = await her.write(portfolio, "diary", {"body": "only mine"}, audience="only_me")
    await her.write(portfolio, "diary", {"body": "shared before"})
    old_person = her.identity.person
    about_her = f"/api/v1/recovery/programmes/{programme}/people/{her.person_id}"

    reset = await staff.ok("POST", f"/api/v1/recovery/programmes/{programme}/people/{her.person_id}/reset", status=201)
    refused = await coach.api("POST", f"/api/v1/recovery/programmes/{programme}/people/{her.person_id}/reset")
    assert refused.status_code == 403, "a coach cannot reset her account"

    async with Browser(app) as phone:
        phone.http.cookies.set("ep_lang", "en")
        preview = await phone.api("POST", "/api/v1/recovery/reset/preview", {"token": reset["code"].lower()})
        assert preview.json()["login"] == "mother.a"
        body, made = _reset_body(reset["code"], her.person_id, understood=False)
        assert (await phone.api("POST", "/api/v1/recovery/reset/complete", body)).status_code == 422
        body["understood_only_me_lost"] = True
        done = await phone.api("POST", "/api/v1/recovery/reset/complete", body)
        assert done.status_code == 200, done.text
        assert (await phone.api("POST", "/api/v1/recovery/reset/complete", body)).status_code == 404, "used once"
        assert (await her.api("GET", "/api/v1/recovery/notices")).status_code == 401, "her old sessions ended"
        assert [n["kind"] for n in (await phone.api("GET", "/api/v1/recovery/notices")).json()] == ["coach_assisted"]
        new_her = Hand(her.member, phone, made.identity, her.programme_id)

        # Her coach's browser still reads with the keys it had, checks her former identity (kept by
        # the server, with who reset her account) and her new fingerprint in person, then grants.
        former = await coach.ok("GET", f"{about_her}/former-identities")
        assert [f["fingerprint"] for f in former] == [old_person.fingerprint_text]
        assert former[0]["replaced_by"] == str(cast.world.staff_a)
        assert former[0]["vouched_by"] is None
        assert crypto.Person.from_public_identity(b64u_decode(former[0]["public_identity"])) == old_person
        coach.known[her.person_id] = old_person
        keys = await coach.epoch_keys(portfolio, people)
        coach.known.pop(her.person_id)
        assert (await coach.person(her.person_id)).fingerprint == made.identity.fingerprint
        for epoch, key in keys.items():
            grant = await coach.grant(portfolio, epoch, key, her.person_id)
            body = {"epoch": epoch, "grants": [grant]}
            await coach.ok("POST", f"/api/v1/portfolio/{portfolio}/grants", body, status=201)
        new_person = made.identity.person
        vouch = crypto.make_vouch(coach.identity, subject=new_person, former=old_person, vouched_at=1_780_000_000)
        await coach.ok("POST", f"{about_her}/vouch", {"vouch": b64u_encode(vouch)}, status=204)
        vouched = await coach.ok("GET", f"{about_her}/former-identities")
        assert vouched[0]["vouched_by"] == coach.person_id
        # Any other browser can check the vouch against her coach's key, and it names her keys.
        checked = crypto.verify_vouch(b64u_decode(vouched[0]["vouch"]), [coach.identity.person.ed25519_public])
        assert (checked.former_fingerprint, checked.new_fingerprint) == (old_person.fingerprint, new_person.fingerprint)

        # Her new phone: what she shared opens (signed by her former key), "only me" does not.
        new_her.known[her.person_id] = old_person
        new_her.known[coach.person_id] = await coach.person(coach.person_id)
        readable, lost = [], []
        for item in await new_her.ok("GET", f"/api/v1/portfolio/{portfolio}/items"):
            try:
                readable.append((await new_her.read_json(item, [coach.person_id]))["body"])
            except (crypto.CryptoError, AssertionError):
                lost.append(item["id"])
        assert readable == ["shared before"]
        assert lost == [private["id"]]


async def test_a_reset_refuses_keys_that_are_not_hers_and_unknown_codes(cast: Cast, app: FastAPI) -> None:
    her, staff = cast.her, cast.staff
    programme = cast.world.programme_a
    assert (await staff.api("POST", f"/api/v1/recovery/programmes/{programme}/people/{cast.coach.person_id}/reset")
            ).status_code == 422, "only participants are reset this way"
    reset = await staff.ok("POST", f"/api/v1/recovery/programmes/{programme}/people/{her.person_id}/reset", status=201)
    async with Browser(app) as phone:
        unknown = await phone.api("POST", "/api/v1/recovery/reset/preview", {"token": "0000-0000-0000-0000"})
        assert unknown.status_code == 404
        body, _ = _reset_body(reset["code"], str(uuid.uuid4()))
        assert (await phone.api("POST", "/api/v1/recovery/reset/complete", body)).status_code == 422
        # Nothing was changed: her password still works.
        from tests.support.keyring_client import KeyringClient

        assert (await KeyringClient(phone).login_response("mother.a", PASSWORD))[0].status_code == 200


async def test_a_vouch_is_kept_only_when_her_coach_signed_it_for_her_old_and_new_keys(cast: Cast, app: FastAPI) -> None:
    her, coach, staff = cast.her, cast.coach, cast.staff
    programme = cast.world.programme_a
    about_her = f"/api/v1/recovery/programmes/{programme}/people/{her.person_id}"
    old_person = her.identity.person

    def identity(login: str, person_id: str) -> crypto.Identity:
        return crypto.Identity.create(
            login, PASSWORD, user_id=person_id, params=low_kdf_params(), allow_test_params=True
        ).identity

    def vouch(by: crypto.Identity, subject: crypto.Person, former: crypto.Person) -> dict[str, str]:
        return {"vouch": b64u_encode(crypto.make_vouch(by, subject=subject, former=former, vouched_at=1_780_000_000))}

    other = identity("mother.a", her.person_id).person
    before = await coach.api("POST", f"{about_her}/vouch", vouch(coach.identity, other, old_person))
    assert before.status_code == 404, "no reset, nothing to confirm"
    reset = await staff.ok("POST", f"{about_her}/reset", status=201)
    async with Browser(app) as phone:
        body, made = _reset_body(reset["code"], her.person_id)
        assert (await phone.api("POST", "/api/v1/recovery/reset/complete", body)).status_code == 200
    new_person = made.identity.person
    good = vouch(coach.identity, new_person, old_person)
    flipped = bytearray(b64u_decode(good["vouch"]))
    flipped[-1] ^= 1
    refusals: list[dict[str, str]] = [
        {},
        {"vouch": "not base64!"},
        {"vouch": b64u_encode(bytes(flipped))},
        vouch(identity("coach.a", coach.person_id), new_person, old_person),  # not his registered key
        vouch(coach.identity, other, old_person),  # another new key than the one she has
        vouch(coach.identity, new_person, other),  # another former key than the one she had
    ]
    for payload in refusals:
        refused = await coach.api("POST", f"{about_her}/vouch", payload)
        assert refused.status_code == 422, (payload, refused.text)
        assert refused.json()["error"]["message"], refused.text
    second = await cast.new_coach("Coach Two", "coach.two")
    not_hers = await second.api("POST", f"{about_her}/vouch", vouch(second.identity, new_person, old_person))
    assert not_hers.status_code == 403, "only her own coaches vouch"
    assert (await staff.api("POST", f"{about_her}/vouch", good)).status_code == 403, "staff do not vouch"
    assert (await coach.ok("GET", f"{about_her}/former-identities"))[0]["vouch"] is None, "nothing was kept"

    await coach.ok("POST", f"{about_her}/vouch", good, status=204)
    kept = await coach.ok("GET", f"{about_her}/former-identities")
    assert (kept[0]["vouch"], kept[0]["vouched_by"]) == (good["vouch"], coach.person_id)
