"""The server keeps a group's member list only as staff signed it with the programme key
(docs/crypto-spec.md 8, kind 0x05): a change of members carrying a record that does not check out
(unsigned, another key, another group or programme, another signer, a member by another key, an
older serial, or not the group as it is after the change) is refused as a whole; a good one is
stored and served with the group conversation, whose members are the group's participants and
trainers. Markers say which key epochs each reader holds."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from eportfolio import crypto
from eportfolio.crypto import b64u_encode
from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.tables import Group, GroupMember
from tests.support.chat import body, client_id
from tests.support.client import Browser
from tests.support.world import World
from tests.support.world_keys import ISSUED_AT, WorldKeys, world_keys

DAY = 1_767_225_600  # 2026-01-01 00:00 UTC: a record valid from then on


def _record(
    keys: WorldKeys,
    members: list[tuple[uuid.UUID, str]],
    *,
    serial: int,
    key: crypto.SigningKey | None = None,
    group_id: uuid.UUID | None = None,
    programme_id: uuid.UUID | None = None,
    signed_by: uuid.UUID | None = None,
    prints: dict[uuid.UUID, bytes] | None = None,
) -> str:
    """The group's member list as js/programmes/group-members.js signs it in Staff A's browser."""
    world = keys.world
    roles = {"participant": crypto.GroupRole.PARTICIPANT, "trainer": crypto.GroupRole.TRAINER}
    body = crypto.GroupMembership(
        str(group_id or world.group_a),
        DAY,
        0,
        tuple(
            crypto.GroupEntry(str(person), (prints or {}).get(person, keys.person(person).fingerprint), roles[role])
            for person, role in members
        ),
    )
    record = (key or keys.programme_key).sign_record(
        body,
        organisation_id=str(world.organisation_id),
        programme_id=str(programme_id or world.programme_a),
        serial=serial,
        issued_at=ISSUED_AT,
        signed_by=str(signed_by or world.staff_a),
    )
    return b64u_encode(record)


def _members_path(world: World, person: uuid.UUID) -> str:
    return f"/api/v1/programmes/{world.programme_a}/groups/{world.group_a}/members/{person}"


async def _stored(app: FastAPI, world: World) -> tuple[set[tuple[uuid.UUID, str]], int, str | None]:
    async with unit_of_work(app.state.sessionmaker) as uow:
        rows = await uow.session.execute(
            select(GroupMember.person_id, GroupMember.role).where(GroupMember.group_id == world.group_a)
        )
        group = await uow.session.get(Group, world.group_a)
        assert group is not None
        return set(rows.tuples()), group.membership_serial, group.membership_record


async def test_a_change_with_a_record_that_does_not_hold_is_refused_as_a_whole(
    app: FastAPI, browser: Browser, world: World
) -> None:
    keys = await world_keys(app, world)
    await browser.log_in_as(world.staff_a)
    ann, bea, coach = world.participant_a, world.participant_a2, world.coach_a
    good: list[tuple[uuid.UUID, str]] = [(coach, "trainer")]

    async def put(person: uuid.UUID, role: str, record: str) -> Any:
        return await browser.api("PUT", _members_path(world, person), {"role": role, "signed_record": record})

    # The trainer, with a good record (serial 1).
    answer = await put(coach, "trainer", _record(keys, good, serial=1))
    assert answer.status_code == 204, answer.text
    assert await _stored(app, world) == ({(coach, "trainer")}, 1, _record(keys, good, serial=1))

    stranger = crypto.SigningKey.generate()
    with_ann = [*good, (ann, "participant")]
    refused = {
        "not a record": "AAAAAAAA",
        "signed by another key": _record(keys, with_ann, serial=2, key=stranger),
        "of another group": _record(keys, with_ann, serial=2, group_id=uuid.uuid4()),
        "of another programme": _record(keys, with_ann, serial=2, programme_id=world.programme_b),
        "signed in another's name": _record(keys, with_ann, serial=2, signed_by=world.admin),
        "naming Ann by another key": _record(keys, with_ann, serial=2, prints={ann: keys.person(bea).fingerprint}),
        "leaving Ann out": _record(keys, good, serial=2),
        "naming Bea too": _record(keys, [*with_ann, (bea, "participant")], serial=2),
        "naming Ann as trainer": _record(keys, [*good, (ann, "trainer")], serial=2),
        "with an old serial": _record(keys, with_ann, serial=1),
    }
    for why, record in refused.items():
        answer = await put(ann, "participant", record)
        assert answer.status_code in (409, 422), (why, answer.text)
        assert answer.json()["error"]["field"] == "signed_record", why
        assert await _stored(app, world) == ({(coach, "trainer")}, 1, _record(keys, good, serial=1)), why

    answer = await put(ann, "participant", _record(keys, with_ann, serial=2))
    assert answer.status_code == 204, answer.text
    assert (await _stored(app, world))[:2] == ({(coach, "trainer"), (ann, "participant")}, 2)

    # A participant cannot be a trainer, nor a trainer be someone without a staff or coach role.
    answer = await put(bea, "trainer", _record(keys, [*with_ann, (bea, "trainer")], serial=3))
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "trainer_id"

    # Signing the group as it is now, later ("sign now"): the same checks.
    path = f"/api/v1/programmes/{world.programme_a}/groups/{world.group_a}/membership-record"
    answer = await browser.api("PUT", path, {"signed_record": _record(keys, with_ann, serial=2)})
    assert answer.status_code == 409, "not above the serial stored"
    answer = await browser.api("PUT", path, {"signed_record": _record(keys, with_ann, serial=5)})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "signed"
    assert answer.json()["serial"] == 5


async def test_the_group_conversation_has_its_participants_and_trainer_and_serves_the_record(
    app: FastAPI, browser: Browser, world: World
) -> None:
    keys = await world_keys(app, world)
    await browser.log_in_as(world.staff_a)
    ann, coach = world.participant_a, world.coach_a
    members = [(coach, "trainer"), (ann, "participant")]
    for serial, (person, role) in enumerate(members, start=1):
        record = _record(keys, members[:serial], serial=serial)
        answer = await browser.api("PUT", _members_path(world, person), {"role": role, "signed_record": record})
        assert answer.status_code == 204, answer.text

    # Staff who are not its trainer are not in the group's conversation.
    opened = await browser.api(
        "POST", "/api/v1/chat/conversations",
        {"programme_id": str(world.programme_a), "kind": "group", "group_id": str(world.group_a)},
    )
    assert opened.status_code == 403

    await browser.log_in_as(coach)
    opened = await browser.api(
        "POST", "/api/v1/chat/conversations",
        {"programme_id": str(world.programme_a), "kind": "group", "group_id": str(world.group_a)},
    )
    assert opened.status_code == 200, opened.text
    detail = opened.json()
    # Its id is the one members' browsers derive from the programme and the group (crypto-spec 8).
    assert detail["id"] == crypto.conversation_id("group", str(world.programme_a), str(world.group_a))
    assert {m["person_id"]: m["role"] for m in detail["members"]} == {str(coach): "trainer", str(ann): "participant"}
    assert detail["membership_record"] == _record(keys, members, serial=2)

    # Ann leaves (signed): she is no longer a member; the record served is the new one.
    await browser.log_in_as(world.staff_a)
    answer = await browser.api("DELETE", _members_path(world, ann))
    assert answer.status_code == 204
    path = f"/api/v1/programmes/{world.programme_a}/groups/{world.group_a}/membership-record"
    state = (await browser.get(path)).json()
    assert state["status"] == "outdated", "removed without a signature: the list says so"
    answer = await browser.api("PUT", path, {"signed_record": _record(keys, members[:1], serial=3)})
    assert answer.status_code == 200, answer.text
    await browser.log_in_as(coach)
    detail = (await browser.get(f"/api/v1/chat/conversations/{detail['id']}")).json()
    assert [m["person_id"] for m in detail["members"]] == [str(coach)]
    assert detail["membership_record"] == _record(keys, members[:1], serial=3)


async def test_without_javascript_staff_change_the_group_and_the_page_says_the_list_is_not_signed(
    app: FastAPI, browser: Browser, world: World
) -> None:
    keys = await world_keys(app, world)
    await browser.log_in_as(world.staff_a)
    page = f"/manage/programmes/{world.programme_a}/groups/{world.group_a}"
    added = await browser.post_form(f"{page}/members", {"role": "trainer", "trainer_id": str(world.coach_a)})
    assert added.status_code == 303
    shown = (await browser.get(page)).text
    assert 'data-status="unsigned"' in shown
    assert "Nog niet ondertekend" in shown
    assert "Coach A" in shown

    # A participant offered as trainer: the page says why, and nothing changed.
    refused = await browser.post_form(f"{page}/members", {"role": "trainer", "trainer_id": str(world.participant_a)})
    assert refused.status_code == 422
    assert "Een trainer moet medewerker of coach van dit programma zijn." in refused.text

    # A record that does not hold: refused with its reason, and the participant is not added.
    bad = _record(keys, [(world.coach_a, "trainer")], serial=1)
    refused = await browser.post_form(
        f"{page}/members", {"role": "participant", "person_id": str(world.participant_a), "signed_record": bad}
    )
    assert refused.status_code == 422
    assert "past niet bij de groep" in refused.text
    assert (await _stored(app, world))[0] == {(world.coach_a, "trainer")}

    # Signed as it is now ("sign now"): the page says so.
    good = _record(keys, [(world.coach_a, "trainer")], serial=1)
    signed = await browser.post_form(f"{page}/sign", {"signed_record": good})
    assert signed.status_code == 303, signed.text
    shown = (await browser.get(page)).text
    assert 'data-status="signed"' in shown
    assert "Ondertekend" in shown
    unsigned = await browser.post_form(f"{page}/sign", {})
    assert unsigned.status_code == 422
    assert "JavaScript" in unsigned.text


async def test_a_marker_says_which_key_epochs_its_reader_holds(app: FastAPI, browser: Browser, world: World) -> None:
    """Her phone shows "read" only when someone holding the message's key read it: each marker
    carries the epochs its reader holds a grant for, for the key she has now."""
    keys = await world_keys(app, world)
    async with unit_of_work(app.state.sessionmaker) as uow:
        for person, role in (
            (world.coach_a, "trainer"),
            (world.participant_a, "participant"),
            (world.participant_a2, "participant"),
        ):
            uow.session.add(
                GroupMember(
                    group_id=world.group_a, person_id=person, organisation_id=world.organisation_id,
                    programme_id=world.programme_a, role=role,
                )
            )
    await browser.log_in_as(world.coach_a)
    opened = await browser.api(
        "POST", "/api/v1/chat/conversations",
        {"programme_id": str(world.programme_a), "kind": "group", "group_id": str(world.group_a)},
    )
    conversation = opened.json()["id"]
    made = await keys.post_epoch(browser, conversation, 1, world.coach_a, [world.coach_a, world.participant_a])
    assert made.status_code == 201, made.text
    sent = await browser.api(
        "POST", f"/api/v1/chat/conversations/{conversation}/messages",
        json={"client_id": client_id(), "body": body(), "epoch": 1},
    )
    assert sent.status_code == 201, sent.text
    for reader, holds in ((world.participant_a2, []), (world.participant_a, [1])):
        await browser.log_in_as(reader)
        marker = await browser.api("PUT", f"/api/v1/chat/conversations/{conversation}/read", json={"seq": 1})
        assert marker.status_code == 200, marker.text
        assert (marker.json()["read_seq"], marker.json()["epochs"]) == (1, holds)
    listed = (await browser.get(f"/api/v1/chat/conversations/{conversation}/markers")).json()
    assert {m["person_id"]: m["epochs"] for m in listed} == {
        str(world.coach_a): [1],  # the sender's own marker
        str(world.participant_a2): [],
        str(world.participant_a): [1],
    }
