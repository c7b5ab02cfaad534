"""Unsigned means nothing: a coach is a reader of her data only through an assignment that counts
(a record signed with the programme key, not by the coach himself, current, active coach role).

The JSON API refuses an assignment without a signed record; an unsigned row from before (or one
the page keeps waiting for a key holder) gives its coach nothing in the chat, its files, module
answers and their key wraps, the portfolio or notifications; and staff who assign themselves wait
for a second signature by someone else before they read anything."""

from __future__ import annotations

import os
import uuid
from datetime import date

from fastapi import FastAPI
from sqlalchemy import select

from eportfolio import crypto
from eportfolio.crypto import b64u_encode
from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.tables import CoachAssignment, Membership, Person
from tests.support.chat import body, client_id
from tests.support.client import Browser
from tests.support.conversations import open_coaching
from tests.support.modules import envelope, portfolios_at_epoch, published_module
from tests.support.world import World
from tests.support.world_keys import WorldKeys, world_keys


def english(browser: Browser) -> Browser:
    browser.http.cookies.set("ep_lang", "en")
    return browser


async def _assignments(app: FastAPI, world: World) -> list[CoachAssignment]:
    async with unit_of_work(app.state.sessionmaker) as uow:
        result = await uow.session.execute(
            select(CoachAssignment).where(CoachAssignment.programme_id == world.programme_a)
        )
        return list(result.scalars())


async def _statuses(browser: Browser, world: World) -> dict[str, str]:
    answer = await browser.api("GET", f"/api/v1/trust/programmes/{world.programme_a}/coach-assignments")
    assert answer.status_code == 200, answer.text
    return {row["assignment_id"]: row["status"] for row in answer.json()}


async def _legacy_coach(app: FastAPI, world: World, keys: WorldKeys) -> uuid.UUID:
    """A coach with keys whose assignment for Mother A was stored without a record (as before)."""
    async with unit_of_work(app.state.sessionmaker) as uow:
        person = Person(organisation_id=world.organisation_id, display_name="Coach Legacy", language="nl")
        uow.session.add(person)
        await uow.flush()
        uow.session.add(Membership(organisation_id=world.organisation_id, programme_id=world.programme_a,
                                   person_id=person.id, role="coach", coach_kind="individual"))
        uow.session.add(CoachAssignment(organisation_id=world.organisation_id, programme_id=world.programme_a,
                                        participant_id=world.participant_a, coach_id=person.id, kind="individual",
                                        starts_on=date(2026, 1, 1)))
        legacy = person.id
    await keys.sign_up(app, legacy, "coach.legacy")
    return legacy


async def test_the_api_refuses_an_assignment_without_a_signed_record(browser: Browser, world: World) -> None:
    await world_keys(browser.app, world)
    await english(browser).log_in_as(world.staff_a)
    before = len(await _assignments(browser.app, world))
    refused = await browser.api("POST", f"/api/v1/programmes/{world.programme_a}/coach-assignments", {
        "participant_id": str(world.participant_a2), "coach_id": str(world.coach_a), "kind": "individual",
        "starts_on": "2026-03-01",
    })
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["field"] == "signed_record"
    assert "signed with the programme key" in error["message"]
    assert len(await _assignments(browser.app, world)) == before, "nothing was saved"


async def test_an_unsigned_assignment_from_before_gives_its_coach_nothing(
    app: FastAPI, browser: Browser, world: World
) -> None:
    keys = await world_keys(app, world)
    legacy = await _legacy_coach(app, world, keys)
    await portfolios_at_epoch(app, world)
    module = await published_module(browser, world)

    # Her conversation (with Coach A, whose assignment Staff A signed), a message and a file.
    conversation = await open_coaching(browser, world)
    url = f"/api/v1/chat/conversations/{conversation}"
    sent = await browser.api("POST", f"{url}/messages", {"client_id": client_id(), "body": body(), "epoch": 1})
    assert sent.status_code == 201, sent.text
    file_id = str(uuid.uuid4())
    key = os.urandom(32)
    _salt, parts = crypto.encrypt_attachment(key, [b"her letter"])
    announced = await browser.api("POST", f"{url}/attachments", {
        "id": file_id, "kind": "document", "key_id": b64u_encode(crypto.key_id(key)),
        "size": sum(len(p) for p in parts),
    })
    assert announced.status_code == 201, announced.text
    for index, part in enumerate(parts):
        put = await browser.api("PUT", f"{url}/attachments/{file_id}/parts/{index}", content=part,
                                headers={"content-type": "application/octet-stream"})
        assert put.status_code == 200, put.text

    # Her browser cannot give the key to the coach of the unsigned row: he is no reader.
    to_legacy = await browser.api("POST", f"{url}/grants", {"epoch": 1, "grants": [
        keys.grant(conversation, 1, world.participant_a, legacy)
    ]})
    assert to_legacy.status_code == 422, to_legacy.text
    assert to_legacy.json()["error"]["field"] == "recipient_id"
    with_legacy = await keys.post_epoch(
        browser, conversation, 2, world.participant_a, [world.participant_a, world.coach_a, legacy]
    )
    assert with_legacy.status_code == 422
    members = (await browser.api("GET", url)).json()["members"]
    assert legacy not in {uuid.UUID(m["person_id"]) for m in members}

    # A module assignment given by staff, answered and handed in.
    await browser.log_in_as(world.staff_a)
    given = await browser.api("POST", f"/api/v1/programmes/{world.programme_a}/assignments", {
        "module_id": module["module_id"], "template_key": module["template_key"],
        "participant_id": str(world.participant_a), "due_on": "2099-01-31",
    })
    assert given.status_code == 201, given.text
    assignment = f"/api/v1/programmes/{world.programme_a}/assignments/{given.json()[0]['id']}"
    await browser.log_in_as(world.participant_a)
    for question in module["questions"]:
        answered = await browser.api("PUT", f"{assignment}/answers/{question}", envelope(0))
        assert answered.status_code == 200, answered.text
    assert (await browser.api("POST", f"{assignment}/submit")).status_code == 200
    await app.state.chat.pushes_settled()

    await browser.log_in_as(legacy)
    assert (await browser.api("GET", "/api/v1/chat/conversations")).json() == [], "not in his list"
    assert (await browser.api("GET", url)).status_code == 403
    assert (await browser.api("GET", f"{url}/messages?after=0")).status_code == 403, "no history"
    assert (await browser.api("GET", f"{url}/epochs")).status_code == 403
    assert (await browser.api("GET", f"{url}/grants/mine")).status_code == 403
    assert (await browser.api("GET", f"{url}/attachments/{file_id}/download")).status_code == 403, "no files"
    own_epoch = await keys.post_epoch(browser, conversation, 2, legacy, [world.participant_a, legacy])
    assert own_epoch.status_code == 403, "he cannot start a key epoch her browser would take"
    assert (await browser.api("GET", assignment)).status_code == 404, "no answers, no key wraps"
    her_work = f"/api/v1/programmes/{world.programme_a}/participants/{world.participant_a}/assignments"
    assert (await browser.api("GET", her_work)).status_code == 404
    assert (await browser.api("GET", "/api/v1/review-queue")).json() == []
    assert (await browser.api("GET", "/api/v1/notifications")).json() == [], "told of nothing of hers"
    portfolios = await browser.api("GET", f"/api/v1/portfolio/programmes/{world.programme_a}/portfolios")
    assert portfolios.json() == []

    # Her coach with a signed assignment, in the same places, for comparison.
    await browser.log_in_as(world.coach_a)
    assert [c["id"] for c in (await browser.api("GET", "/api/v1/chat/conversations")).json()] == [conversation]
    assert (await browser.api("GET", f"{url}/attachments/{file_id}/download")).status_code == 200
    assert (await browser.api("GET", assignment)).status_code == 200
    assert "submitted" in [n["kind"] for n in (await browser.api("GET", "/api/v1/notifications")).json()]


async def test_staff_who_assign_themselves_wait_for_a_second_signature(
    app: FastAPI, browser: Browser, world: World
) -> None:
    keys = await world_keys(app, world)
    staff, her = world.staff_a, world.participant_a2
    await english(browser).log_in_as(staff)
    role = await browser.api("POST", f"/api/v1/programmes/{world.programme_a}/memberships",
                             {"person_id": str(staff), "role": "coach"})
    assert role.status_code == 201, role.text
    made = await browser.api("POST", f"/api/v1/programmes/{world.programme_a}/coach-assignments", {
        "participant_id": str(her), "coach_id": str(staff), "kind": "individual", "starts_on": "2026-01-01",
        "signed_record": keys.assignment_record(her, staff, signed_by=staff),
    })
    assert made.status_code == 201, made.text
    assignment_id = made.json()["id"]
    assert made.json()["signed_by"] == str(staff)
    assert (await _statuses(browser, world))[assignment_id] == "awaiting_second_signature"
    page = await browser.get(f"/manage/programmes/{world.programme_a}/assignments")
    assert "waiting for a second signature" in page.text
    assert f"/assignments/{assignment_id}/sign\"" not in page.text, "she is not offered to sign her own"

    async def reads_as_her_coach() -> bool:
        await browser.log_in_as(staff)
        work = await browser.api(
            "GET", f"/api/v1/programmes/{world.programme_a}/participants/{her}/assignments"
        )
        opened = await browser.api("POST", "/api/v1/chat/conversations", {
            "programme_id": str(world.programme_a), "kind": "coaching", "participant_id": str(her),
        })
        return work.status_code == 200 and opened.status_code == 200

    assert not await reads_as_her_coach(), "her own signature gives her nothing"
    # Signing it again herself changes nothing: it still waits.
    again = await browser.post_form(
        f"/manage/programmes/{world.programme_a}/assignments/{assignment_id}/sign",
        {"signed_record": keys.assignment_record(her, staff, signed_by=staff)},
    )
    assert again.status_code == 303, again.text
    assert (await _statuses(browser, world))[assignment_id] == "awaiting_second_signature"
    assert not await reads_as_her_coach()
    async with Browser(app) as phone:
        await english(phone).log_in_as(her)
        assert "waiting for a second signature" in (await phone.get("/")).text

    # Another staff member or an administrator signs a record for it: now it counts.
    await browser.log_in_as(world.admin)
    page = await browser.get(f"/manage/programmes/{world.programme_a}/assignments")
    assert f"/assignments/{assignment_id}/sign\"" in page.text, "the administrator is offered to sign it"
    countersigned = await browser.post_form(
        f"/manage/programmes/{world.programme_a}/assignments/{assignment_id}/sign",
        {"signed_record": keys.assignment_record(her, staff, signed_by=world.admin)},
    )
    assert countersigned.status_code == 303, countersigned.text
    assert (await _statuses(browser, world))[assignment_id] == "signed"
    row = next(a for a in await _assignments(app, world) if str(a.id) == assignment_id)
    assert row.signed_by == world.admin
    assert await reads_as_her_coach()
    async with Browser(app) as phone:
        await english(phone).log_in_as(her)
        home = (await phone.get("/")).text
        assert "signed by Admin" in home, "she sees who vouched for her coach"
        assert "waiting for a second signature" not in home

    # As its coach she cannot put her own signature in the administrator's place.
    await browser.log_in_as(staff)
    replaced = await browser.post_form(
        f"/manage/programmes/{world.programme_a}/assignments/{assignment_id}/sign",
        {"signed_record": keys.assignment_record(her, staff, signed_by=staff)},
    )
    assert replaced.status_code == 403
    assert "your signature cannot replace" in replaced.text
    assert (await _statuses(browser, world))[assignment_id] == "signed"


async def test_a_self_signed_row_from_before_gives_nothing_either(app: FastAPI, browser: Browser, world: World) -> None:
    """The record bytes say who signed: a row whose record its coach signed counts for nothing."""
    keys = await world_keys(app, world, sign_assignment=False)
    async with unit_of_work(app.state.sessionmaker) as uow:
        row = await uow.session.get(CoachAssignment, world.assignment_a)
        assert row is not None
        row.signed_record = keys.assignment_record(world.participant_a, world.coach_a, signed_by=world.coach_a)
        row.signed_by = world.coach_a
    await browser.log_in_as(world.coach_a)
    opened = await browser.api("POST", "/api/v1/chat/conversations", {
        "programme_id": str(world.programme_a), "kind": "coaching", "participant_id": str(world.participant_a),
    })
    assert opened.status_code == 403
    await browser.log_in_as(world.staff_a)
    assert (await _statuses(browser, world))[str(world.assignment_a)] == "awaiting_second_signature"
