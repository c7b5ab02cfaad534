"""Keys she keeps (docs/crypto-spec.md 6.3): her browser grants a key she already holds to herself,
signed with her own key, in place of the grant another reader signed, so that reader's leaving
cannot take the key from her. The server stores such a grant only when it is hers: signed by her
registered key, made out to her key now, for this resource, an epoch that exists and that epoch's
key; anything else is refused and nothing is stored."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest
from fastapi import FastAPI

from eportfolio import crypto
from eportfolio.crypto import b64u_decode, b64u_encode
from tests.support.client import Browser
from tests.support.conversations import open_coaching
from tests.support.portfolio import RESOURCE, Cast, Hand, make_cast
from tests.support.world import World
from tests.support.world_keys import world_keys


@pytest.fixture
async def cast(app: FastAPI, world: World) -> AsyncIterator[Cast]:
    async with AsyncExitStack() as stack:
        yield await make_cast(app, world, stack)


def _own(hand: Hand, portfolio: str, epoch: int, key: bytes, *, signer: crypto.Identity | None = None,
         recipient: crypto.Person | None = None, signed_epoch: int | None = None) -> dict[str, object]:
    made = crypto.make_grant(
        signer or hand.identity, resource_type=RESOURCE, resource_id=portfolio,
        epoch=signed_epoch or epoch, key=key, recipient=recipient or hand.identity.person,
    )
    return {"epoch": epoch, "grant": b64u_encode(made)}


async def test_she_keeps_a_key_her_coach_gave_her_and_nothing_else_is_taken(cast: Cast) -> None:
    her, coach, portfolio = cast.her, cast.coach, cast.portfolio_id
    people = cast.people(her, coach)
    first = await her.start_epoch(portfolio, people)
    await her.person(coach.person_id)
    await coach.person(her.person_id)
    second = await coach.start_epoch(portfolio, people)  # his grant to her for epoch 2
    url = f"/api/v1/portfolio/{portfolio}/grants/own"

    async def refused(body: dict[str, object], status: int = 422) -> None:
        answer = await her.api("POST", url, body)
        assert answer.status_code == status, answer.text
        assert answer.json()["error"]["message"]

    # Not hers: signed by him, made out to him, for another epoch, another key, an epoch to come,
    # the same epoch twice.
    await refused({"grants": [_own(her, portfolio, 2, second, signer=coach.identity)]})
    await refused({"grants": [_own(her, portfolio, 2, second, recipient=coach.identity.person)]})
    await refused({"grants": [_own(her, portfolio, 2, second, signed_epoch=1)]})
    await refused({"grants": [_own(her, portfolio, 2, os.urandom(32))]})
    await refused({"grants": [_own(her, portfolio, 3, second)]}, status=409)
    await refused({"grants": [_own(her, portfolio, 2, second), _own(her, portfolio, 2, second)]})
    # Someone who is no member of her portfolio stores nothing in it.
    staff_grant = crypto.make_grant(cast.staff.identity, resource_type=RESOURCE, resource_id=portfolio, epoch=2,
                                    key=second, recipient=cast.staff.identity.person)
    answer = await cast.staff.api("POST", url, {"grants": [{"epoch": 2, "grant": b64u_encode(staff_grant)}]})
    assert answer.status_code == 403, answer.text
    mine = {g["epoch"]: g for g in await her.ok("GET", f"/api/v1/portfolio/{portfolio}/grants/mine")}
    assert mine[2]["granter_id"] == coach.person_id, "nothing refused was stored"

    # Hers: epoch 2 (his grant is replaced) and epoch 1 (hers already: kept as it is).
    kept = await her.ok("POST", url, {"grants": [_own(her, portfolio, 1, first), _own(her, portfolio, 2, second)]},
                        status=201)
    assert [g["epoch"] for g in kept] == [2]
    mine = {g["epoch"]: g for g in await her.ok("GET", f"/api/v1/portfolio/{portfolio}/grants/mine")}
    assert {e: g["granter_id"] for e, g in mine.items()} == {1: her.person_id, 2: her.person_id}
    grant, key = crypto.open_grant(b64u_decode(mine[2]["grant"]), her.identity, [her.identity.person.ed25519_public])
    assert (grant.epoch, key) == (2, second)

    # A grant he sends later does not take the place of hers; she still holds the current key.
    again = await coach.grant(portfolio, 2, second, her.person_id)
    await coach.ok("POST", f"/api/v1/portfolio/{portfolio}/grants", {"epoch": 2, "grants": [again]}, status=201)
    mine = {g["epoch"]: g for g in await her.ok("GET", f"/api/v1/portfolio/{portfolio}/grants/mine")}
    assert mine[2]["granter_id"] == her.person_id
    served = await her.ok("GET", f"/api/v1/portfolio/{portfolio}")
    assert {m["person_id"]: m["has_current_grant"] for m in served["members"]}[her.person_id] is True


async def test_in_her_conversation_she_keeps_an_older_key_too(browser: Browser, world: World) -> None:
    conversation = await open_coaching(browser, world)  # as her, epoch 1 made by her browser
    keys = await world_keys(browser.app, world)
    her, coach = world.participant_a, world.coach_a
    url = f"/api/v1/chat/conversations/{conversation}"
    assert (await keys.post_epoch(browser, conversation, 2, her, [her, coach])).status_code == 201
    first = keys.conversation_keys[(conversation, 1)]

    def own(epoch: int, key: bytes, signer: uuid.UUID = her, to: uuid.UUID = her) -> dict[str, object]:
        made = crypto.make_grant(keys.identity(signer), resource_type="conversation", resource_id=conversation,
                                 epoch=epoch, key=key, recipient=keys.person(to))
        return {"epoch": epoch, "grant": b64u_encode(made)}

    for body in ({"grants": [own(1, first, signer=coach)]}, {"grants": [own(1, first, to=coach)]},
                 {"grants": [own(1, os.urandom(32))]}):
        answer = await browser.api("POST", f"{url}/grants/own", json=body)
        assert answer.status_code == 422, answer.text
    answer = await browser.api("POST", f"{url}/grants/own", json={"grants": [own(3, first)]})
    assert answer.status_code == 409, answer.text

    before = (await browser.api("GET", f"{url}/messages")).json()
    answer = await browser.api("POST", f"{url}/grants/own", json={"grants": [own(1, first)]})
    assert answer.status_code == 201, answer.text
    mine = {g["epoch"]: g for g in (await browser.api("GET", f"{url}/grants/mine")).json()}
    mine_now = [keys.person(her).ed25519_public]
    _grant, kept = crypto.open_grant(b64u_decode(mine[1]["grant"]), keys.identity(her), mine_now)
    assert kept == first
    after = (await browser.api("GET", f"{url}/messages")).json()
    assert after == before, "keeping her own key is no news for anyone: no notice"
    readers = {m["person_id"]: m["can_read"] for m in (await browser.api("GET", url)).json()["members"]}
    assert readers == {str(her): True, str(coach): True}
