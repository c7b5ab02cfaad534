"""Bad input to the portfolio gets a clear 4xx and stores nothing: tampered, truncated or swapped
structures, grants in someone else's name, stale revisions and epochs, foreign portfolios; and her
pinned-keys record only moves forward."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import pytest
from fastapi import FastAPI

from eportfolio import crypto
from eportfolio.crypto import b64u_decode, b64u_encode
from tests.support.portfolio import Cast, make_cast
from tests.support.world import World


@pytest.fixture
async def cast(app: FastAPI, world: World) -> AsyncIterator[Cast]:
    async with AsyncExitStack() as stack:
        made = await make_cast(app, world, stack)
        await made.her.start_epoch(made.portfolio_id, made.people(made.her, made.coach))
        yield made


def _flip(value: str, at: int) -> str:
    data = bytearray(b64u_decode(value))
    data[at] ^= 0x01
    return b64u_encode(bytes(data))


async def _refused(cast: Cast, body: dict[str, Any], status: int = 422) -> dict[str, Any]:
    answer = await cast.her.api("POST", f"/api/v1/portfolio/{cast.portfolio_id}/items", body)
    assert answer.status_code == status, answer.text
    error: dict[str, Any] = answer.json()["error"]
    assert error["message"]
    return error


async def test_tampered_truncated_and_mislabelled_items_are_refused_and_nothing_is_stored(cast: Cast) -> None:
    her, portfolio = cast.her, cast.portfolio_id
    good, _ = await her.item_body(portfolio, str(uuid.uuid4()), "diary", {"t": "x"})
    envelope = b64u_decode(good["envelope"])

    await _refused(cast, good | {"envelope": b64u_encode(envelope[:40])})  # truncated
    await _refused(cast, good | {"envelope": b64u_encode(b"\x02" + envelope[1:])})  # another scheme version
    await _refused(cast, good | {"envelope": _flip(good["envelope"], 5)})  # names another key id
    await _refused(cast, good | {"key_id": b64u_encode(bytes(16))})
    await _refused(cast, good | {"key_id": "short"})
    await _refused(cast, good | {"envelope": good["envelope"] + "="})  # padding is not base64url here
    await _refused(cast, good | {"envelope": "A" * (400 * 1024)})  # oversized
    await _refused(cast, good | {"kind": "poem"})
    await _refused(cast, good | {"keys": {"epoch": 1, "epoch_wrap": good["keys"]["epoch_wrap"][:-4]}})
    wrong_epoch_key = {"epoch": 1, "epoch_wrap": _flip(good["keys"]["epoch_wrap"], 4)}
    await _refused(cast, good | {"keys": wrong_epoch_key})  # wrapped under an unknown key
    stale = await _refused(cast, good | {"keys": {**good["keys"], "epoch": 7}}, status=409)
    assert stale["current_epoch"] == 1
    await _refused(cast, good | {"status": "done"})  # only a goal plan has a status
    await _refused(cast, good | {"audience": "only_me"})  # her own key copy is missing

    assert await her.ok("GET", f"/api/v1/portfolio/{portfolio}/items") == []
    await her.ok("POST", f"/api/v1/portfolio/{portfolio}/items", good, status=201)
    again = await her.api("POST", f"/api/v1/portfolio/{portfolio}/items", good)
    assert again.status_code == 409


async def test_grants_and_epochs_in_someone_elses_name_or_for_something_else_are_refused(cast: Cast) -> None:
    her, coach, portfolio = cast.her, cast.coach, cast.portfolio_id
    keys = await her.epoch_keys(portfolio, cast.people(her, coach))
    item_id = str(uuid.uuid4())
    chosen, _ = await her.item_body(
        portfolio, item_id, "document", {"t": 1}, audience="chosen", chosen=[coach.person_id]
    )

    # A grant for another item, one signed by the coach rather than her, one with a bad signature.
    other, _ = await her.item_body(portfolio, str(uuid.uuid4()), "document", {"t": 1}, audience="chosen",
                                   chosen=[coach.person_id])
    await _refused(cast, chosen | {"keys": {**chosen["keys"], "grants": other["keys"]["grants"]}})
    forged = crypto.make_grant(
        coach.identity, resource_type="portfolio-item", resource_id=item_id, epoch=0,
        key=os.urandom(32), recipient=await her.person(coach.person_id),
    )
    await _refused(cast, chosen | {"keys": {**chosen["keys"], "grants": [
        {"recipient_id": coach.person_id, "grant": b64u_encode(forged)}]}})
    bad_signature = _flip(chosen["keys"]["grants"][0]["grant"], -3)
    await _refused(cast, chosen | {"keys": {**chosen["keys"], "grants": [
        {"recipient_id": coach.person_id, "grant": bad_signature}]}})
    # Sharing with someone who is not her coach.
    await _refused(cast, chosen | {"keys": {**chosen["keys"], "grants": [
        {"recipient_id": str(cast.world.staff_a), "grant": chosen["keys"]["grants"][0]["grant"]}]}})

    # Epoch 2 with a record for another portfolio, or not chaining to epoch 1's key.
    made = crypto.new_epoch(her.identity, resource_type="portfolio", resource_id=str(uuid.uuid4()), epoch=2,
                            previous_key=keys[1])
    grant = await her.grant(portfolio, 2, made.key, her.person_id)
    url = f"/api/v1/portfolio/{portfolio}/epochs"
    answer = await her.api("POST", url, {"epoch": 2, "record": b64u_encode(made.record), "grants": [grant]})
    assert answer.status_code == 422
    unchained = crypto.new_epoch(her.identity, resource_type="portfolio", resource_id=portfolio, epoch=2,
                                 previous_key=bytes(32))
    grant = await her.grant(portfolio, 2, unchained.key, her.person_id)
    answer = await her.api("POST", url, {"epoch": 2, "record": b64u_encode(unchained.record), "grants": [grant]})
    assert answer.status_code == 422
    # A grant that the coach tries to store in her name.
    _key, body = await her.new_epoch_body(portfolio, 2, keys[1], cast.people(her, coach))
    assert (await coach.api("POST", url, body)).status_code == 422
    assert (await her.ok("GET", f"/api/v1/portfolio/{portfolio}"))["epoch"] == 1


async def test_items_are_refused_in_a_portfolio_that_is_not_hers(cast: Cast, app: FastAPI) -> None:
    from tests.support.keyring_client import join
    from tests.support.portfolio import PASSWORD

    other = await cast.hand(await join(app, cast.world.participant_a2, "participant", "mother.a2", PASSWORD,
                                       cast.world.programme_a))
    body, _ = await other.item_body(cast.portfolio_id, str(uuid.uuid4()), "diary", {"t": 1}, audience="only_me")
    assert (await other.api("POST", f"/api/v1/portfolio/{cast.portfolio_id}/items", body)).status_code == 403
    assert (await other.api("GET", f"/api/v1/portfolio/{cast.portfolio_id}/items")).status_code == 403
    assert (await other.api("GET", f"/api/v1/portfolio/{uuid.uuid4()}/items")).status_code == 404


async def test_her_pinned_keys_record_only_moves_forward(cast: Cast) -> None:
    her = cast.her
    # Her sign-up saved revision 1: the organisation key she compared with her invitation paper.
    signed_up = await her.ok("GET", "/api/v1/pinned-keys")
    assert signed_up["revision"] == 1
    entries = [crypto.PinnedKey(crypto.FingerprintKind.PERSON, cast.coach.person_id,
                                cast.coach.identity.person.x25519_public + cast.coach.identity.person.ed25519_public,
                                False)]
    second = b64u_encode(crypto.seal_pinned_keys(her.identity, 2, entries))
    third = b64u_encode(crypto.seal_pinned_keys(her.identity, 3, entries))
    await her.ok("PUT", "/api/v1/pinned-keys", {"revision": 2, "record": second})
    await her.ok("PUT", "/api/v1/pinned-keys", {"revision": 3, "record": third})
    assert (await her.api("PUT", "/api/v1/pinned-keys", {"revision": 2, "record": second})).status_code == 409
    assert (await her.api("PUT", "/api/v1/pinned-keys", {"revision": 4, "record": third})).status_code == 422
    truncated = b64u_encode(b64u_decode(third)[:-10])
    assert (await her.api("PUT", "/api/v1/pinned-keys", {"revision": 3, "record": truncated})).status_code == 422
    stored = await her.ok("GET", "/api/v1/pinned-keys")
    revision, opened = crypto.open_pinned_keys(her.identity, b64u_decode(stored["record"]), min_revision=3)
    assert revision == 3
    assert opened[0].subject_id == cast.coach.person_id
    # Each person has her own record: the coach sees his own, not hers.
    his = await cast.coach.ok("GET", "/api/v1/pinned-keys")
    crypto.open_pinned_keys(cast.coach.identity, b64u_decode(his["record"]))
