"""Coach-assisted recovery, the portfolio's part: after her account is reset to new keys, her
coach checks the new fingerprint in person and grants her the portfolio key again; she reads
everything shared with her coaches through the chained epochs, and only her "only me" items are
lost. (The reset itself belongs to accounts; here it is done the way it will store the new keys.)"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest
from fastapi import FastAPI

from eportfolio import crypto
from eportfolio.accounts.tables import Account
from eportfolio.kit.uow import unit_of_work
from tests.support.portfolio import PASSWORD, Cast, make_cast
from tests.support.world import World


@pytest.fixture
async def cast(app: FastAPI, world: World) -> AsyncIterator[Cast]:
    async with AsyncExitStack() as stack:
        yield await make_cast(app, world, stack)


async def _reset_her_keys(app: FastAPI, cast: Cast) -> crypto.Identity:
    made = crypto.Identity.create(
        "mother.a", PASSWORD, user_id=cast.her.person_id, params=crypto.KdfParams.new(8, 1, 1),
        allow_test_params=True,
    )
    async with unit_of_work(app.state.sessionmaker) as uow:
        account = await uow.session.get(Account, uuid.UUID(cast.her.person_id))
        assert account is not None
        account.key_bundle = made.bundle
        account.public_identity = made.public_identity
    for hand in (cast.her, cast.coach):
        hand.known.pop(cast.her.person_id, None)
    return made.identity


async def test_her_coach_grants_her_new_keys_and_only_her_only_me_items_are_lost(cast: Cast, app: FastAPI) -> None:
    her, coach, portfolio = cast.her, cast.coach, cast.portfolio_id
    people = cast.people(her, coach)
    await her.start_epoch(portfolio, people)
    private, _ = await her.write(portfolio, "diary", {"body": "only mine"}, audience="only_me")
    await her.write(portfolio, "diary", {"body": "shared before"})
    await her.start_epoch(portfolio, people)
    await her.write(portfolio, "goal_plan", {"goals": []}, extra={"status": "open"})

    old_fingerprint, old_person = her.identity.fingerprint, her.identity.person
    keys = await coach.epoch_keys(portfolio, people)  # her coach's browser, which pinned her old key
    her.identity = await _reset_her_keys(app, cast)
    seen = await coach.ok("GET", f"/api/v1/portfolio/{portfolio}")
    assert {m["person_id"]: m["has_current_grant"] for m in seen["members"]}[her.person_id] is False

    # Her coach compares the fingerprint on her phone with the one the server serves, in person.
    served = await coach.person(her.person_id)
    assert served.fingerprint == her.identity.fingerprint != old_fingerprint
    stale = crypto.make_grant(
        coach.identity, resource_type="portfolio", resource_id=portfolio, epoch=2, key=keys[2],
        recipient=old_person,
    )
    refused = await coach.api("POST", f"/api/v1/portfolio/{portfolio}/grants", {
        "epoch": 2, "grants": [{"recipient_id": her.person_id, "grant": crypto.b64u_encode(stale)}],
    })
    assert refused.status_code == 422, "a grant to a key that is not hers now is refused"
    url = f"/api/v1/portfolio/{portfolio}/grants"
    for epoch in (2, 1):  # every epoch, so she need not walk back over records her old key signed
        grant = await coach.grant(portfolio, epoch, keys[epoch], her.person_id)
        added = await coach.ok("POST", url, {"epoch": epoch, "grants": [grant]}, status=201)
        assert len(added) == 1
    again = await coach.ok("POST", url, {"epoch": 2, "grants": [grant]}, status=201)
    assert again == [], "a grant to her current key is kept as it is"
    assert (await coach.api("POST", url, {"epoch": 3, "grants": [grant]})).status_code == 409

    assert (await her.ok("GET", f"/api/v1/portfolio/{portfolio}"))["members"][0]["has_current_grant"] is True
    # What she wrote before was signed by her old key; her coach vouches for it in the same visit
    # (keeping earlier public identities is for accounts, which does not store them yet).
    her.known[her.person_id] = old_person
    readable, lost = [], []
    for item in await her.ok("GET", f"/api/v1/portfolio/{portfolio}/items"):
        try:
            await her.read(item, people)
            readable.append(item["kind"])
        except crypto.CryptoError:
            lost.append(item["id"])
    assert sorted(readable) == ["diary", "goal_plan"]
    assert lost == [private["id"]]
