"""The chat checks key epochs, grants and the duty roster as the portfolio checks its epochs and
grants: signed with the sender's registered key, for this conversation, epoch and key, made out to
a reader under the key she has now; a roster only when the programme key signed it for exactly the
shifts sent, and it lets readers in only while it is in force by its own dates."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from eportfolio import crypto
from eportfolio.crypto import b64u_encode
from eportfolio.kit.clock import utcnow
from tests.support.client import Browser
from tests.support.conversations import open_coaching
from tests.support.world import World
from tests.support.world_keys import world_keys


def _local_now() -> datetime:
    return utcnow().astimezone(ZoneInfo("Europe/Amsterdam")).replace(tzinfo=None, microsecond=0)


async def test_an_epoch_or_grant_for_something_else_or_by_someone_else_is_refused(
    browser: Browser, world: World
) -> None:
    conversation = await open_coaching(browser, world)  # as her, at epoch 1
    keys = await world_keys(browser.app, world)
    url = f"/api/v1/chat/conversations/{conversation}"
    her, coach = world.participant_a, world.coach_a

    async def refused(body: dict[str, object], field: str) -> None:
        answer = await browser.api("POST", f"{url}/epochs", body)
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["field"] == field
        assert answer.json()["error"]["message"]

    _, elsewhere = keys.new_epoch(conversation, 2, her, [her, coach], resource_id=str(uuid.uuid4()))
    await refused(elsewhere, "record")
    _, later = keys.new_epoch(conversation, 3, her, [her, coach])
    await refused({**later, "epoch": 2}, "record")
    unchained = crypto.new_epoch(
        keys.identity(her), resource_type="conversation", resource_id=conversation, epoch=2,
        previous_key=os.urandom(32),
    )
    await refused({
        "epoch": 2, "record": b64u_encode(unchained.record),
        "grants": [keys.grant(conversation, 2, her, r, key=unchained.key) for r in (her, coach)],
    }, "record")
    _, his = keys.new_epoch(conversation, 2, coach, [her, coach])
    await refused(his, "record")  # his record, sent from her browser

    key, good = keys.new_epoch(conversation, 2, her, [her, coach])
    await refused({**good, "grants": [good["grants"][0], keys.grant(conversation, 1, her, coach)]}, "grant")
    addressed_to_her = {"recipient_id": str(coach), "grant": good["grants"][0]["grant"]}
    await refused({**good, "grants": [good["grants"][0], addressed_to_her]}, "grant")
    by_him = keys.grant(conversation, 2, coach, coach, key=key)
    await refused({**good, "grants": [good["grants"][0], by_him]}, "grant")
    assert [e["epoch"] for e in (await browser.api("GET", f"{url}/epochs")).json()] == [1], "nothing stored"

    made = await browser.api("POST", f"{url}/epochs", good)
    assert made.status_code == 201, made.text
    keys.keep(conversation, 2, key)

    # More readers of the current key (the supervisor on duty): the same checks.
    now = _local_now()
    await browser.log_in_as(world.staff_a)
    on_duty = [(world.supervisor_a, "supervisor", now - timedelta(hours=1), now + timedelta(hours=8))]
    posted = await browser.api(
        "POST", f"/api/v1/chat/programmes/{world.programme_a}/rosters", keys.roster(on_duty, serial=1)
    )
    assert posted.status_code == 201, posted.text
    await browser.log_in_as(her)
    grants_url = f"{url}/grants"
    for_elsewhere = crypto.make_grant(
        keys.identity(her), resource_type="conversation", resource_id=str(uuid.uuid4()), epoch=2, key=key,
        recipient=keys.person(world.supervisor_a),
    )
    answer = await browser.api("POST", grants_url, {"epoch": 2, "grants": [
        {"recipient_id": str(world.supervisor_a), "grant": b64u_encode(for_elsewhere)}
    ]})
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == "grant"
    of_the_old_key = keys.grant(conversation, 1, her, world.supervisor_a)
    answer = await browser.api("POST", grants_url, {"epoch": 2, "grants": [of_the_old_key]})
    assert (answer.status_code, answer.json()["error"]["field"]) == (422, "grant")
    to_another_mother = await browser.api("POST", grants_url, {"epoch": 2, "grants": [
        keys.grant(conversation, 2, her, world.participant_a2)
    ]})
    assert to_another_mother.status_code == 422
    assert to_another_mother.json()["error"]["field"] == "recipient_id"
    granted = await browser.api("POST", grants_url, {"epoch": 2, "grants": [
        keys.grant(conversation, 2, her, world.supervisor_a)
    ]})
    assert granted.status_code == 201, granted.text


async def test_someone_who_is_no_reader_makes_no_epoch_and_gives_no_key(browser: Browser, world: World) -> None:
    conversation = await open_coaching(browser, world)
    keys = await world_keys(browser.app, world)
    for outsider in (world.supervisor_a, world.participant_a2, world.staff_a):
        await browser.log_in_as(outsider)
        made = await keys.post_epoch(browser, conversation, 2, outsider, [world.participant_a, outsider])
        assert made.status_code in (403, 404), made.text
        granted = await browser.api("POST", f"/api/v1/chat/conversations/{conversation}/grants", {
            "epoch": 1, "grants": [keys.grant(conversation, 1, outsider, outsider)],
        })
        assert granted.status_code in (403, 404), granted.text


async def test_a_roster_is_kept_only_when_the_programme_key_signed_exactly_it(
    browser: Browser, world: World
) -> None:
    keys = await world_keys(browser.app, world)
    await browser.log_in_as(world.staff_a)
    url = f"/api/v1/chat/programmes/{world.programme_a}/rosters"
    start = _local_now() - timedelta(hours=1)
    end = start + timedelta(hours=8)
    shifts = [(world.coach_a, "coach", start, end), (world.supervisor_a, "supervisor", start, end)]

    async def refused(body: dict[str, object], field: str = "signed_record") -> None:
        answer = await browser.api("POST", url, body)
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["field"] == field
        assert answer.json()["error"]["message"]

    await refused({**keys.roster(shifts, serial=1), "signed_record": b64u_encode(os.urandom(200))})
    await refused(keys.roster(shifts, serial=1, key=crypto.SigningKey.generate()))
    await refused(keys.roster(shifts, serial=1, signed_by=world.admin))  # signed in another browser
    await refused({**keys.roster(shifts, serial=1), "serial": 2})
    await refused(keys.roster(shifts, serial=1, signed_shifts=shifts[:1]), "shifts")
    moved = [(world.coach_a, "coach", start, end + timedelta(hours=1)), shifts[1]]
    await refused(keys.roster(shifts, serial=1, signed_shifts=moved), "shifts")
    # A shift outside the roster's own signed dates (a "next" shift a year on): browsers do not
    # count it, so the server does not keep it.
    later = [*shifts, (world.coach_a, "coach", start + timedelta(days=365), end + timedelta(days=365))]
    await refused(keys.roster(later, serial=1, valid_from=start, valid_until=end), "shifts")
    # Someone named by a key that is not hers (the key the server holds for her now).
    real = keys.identities[world.supervisor_a]
    keys.identities[world.supervisor_a] = crypto.Identity.create(
        "someone", "another password", user_id=str(world.supervisor_a), params=crypto.KdfParams.new(8, 1, 1),
        allow_test_params=True,
    ).identity
    swapped = keys.roster(shifts, serial=1)
    keys.identities[world.supervisor_a] = real
    await refused(swapped)
    current = await browser.api("GET", f"{url}/current")
    assert current.status_code == 200
    assert current.json() is None, "nothing was kept"

    kept = await browser.api("POST", url, keys.roster(shifts, serial=1))
    assert kept.status_code == 201, kept.text
    assert (await browser.api("GET", f"{url}/current")).json()["serial"] == 1


async def test_only_the_roster_in_force_makes_readers_on_duty(browser: Browser, world: World) -> None:
    conversation = await open_coaching(browser, world)
    keys = await world_keys(browser.app, world)
    url = f"/api/v1/chat/conversations/{conversation}"
    rosters = f"/api/v1/chat/programmes/{world.programme_a}/rosters"
    supervisor = world.supervisor_a
    now = _local_now()

    async def grant_her() -> int:
        await browser.log_in_as(world.participant_a)
        answer = await browser.api("POST", f"{url}/grants", {
            "epoch": 1, "grants": [keys.grant(conversation, 1, world.participant_a, supervisor)],
        })
        return answer.status_code

    async def post(serial: int, shifts: list[tuple[uuid.UUID, str, datetime, datetime]]) -> None:
        await browser.log_in_as(world.staff_a)
        answer = await browser.api("POST", rosters, keys.roster(shifts, serial=serial))
        assert answer.status_code == 201, answer.text

    yesterday = (now - timedelta(days=1, hours=8), now - timedelta(days=1))
    await post(1, [(supervisor, "supervisor", *yesterday)])
    assert await grant_her() == 422, "a roster past its own dates makes nobody a reader"

    await post(2, [(supervisor, "supervisor", now - timedelta(hours=1), now + timedelta(hours=8))])
    assert await grant_her() == 201
    await browser.log_in_as(supervisor)
    read = await browser.api("GET", url)
    assert read.status_code == 200, read.text
    assert {m["person_id"]: m["role"] for m in read.json()["members"]}[str(supervisor)] == "on_duty"
    assert conversation in [c["id"] for c in (await browser.api("GET", "/api/v1/chat/conversations")).json()]

    # A newer roster in force without her: her grant no longer makes her a reader.
    await post(3, [(world.coach_a, "coach", now - timedelta(hours=1), now + timedelta(hours=8))])
    await browser.log_in_as(supervisor)
    assert (await browser.api("GET", url)).status_code == 403
    assert (await browser.api("GET", f"{url}/messages?after=0")).status_code == 403
    assert conversation not in [c["id"] for c in (await browser.api("GET", "/api/v1/chat/conversations")).json()]
