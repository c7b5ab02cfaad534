"""The e-portfolio protocol, with every person acting through the Python keyring exactly as her
browser does: she chooses who reads each item, coaches read only what is shared and only while
assigned, new coaches read history through chained epochs, and concurrent edits never overwrite."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest
from fastapi import FastAPI

from eportfolio import crypto
from tests.support.portfolio import Cast, make_cast
from tests.support.world import World


@pytest.fixture
async def cast(app: FastAPI, world: World) -> AsyncIterator[Cast]:
    async with AsyncExitStack() as stack:
        yield await make_cast(app, world, stack)


async def test_she_chooses_the_audience_and_her_coach_reads_only_what_is_shared(cast: Cast) -> None:
    her, coach, portfolio = cast.her, cast.coach, cast.portfolio_id
    people = cast.people(her, coach)
    await her.start_epoch(portfolio, people)

    diary, _ = await her.write(portfolio, "diary", {"title": "Only mine", "body": "a bad day"}, audience="only_me")
    reflection, _ = await her.write(portfolio, "diary", {"title": "Shared", "body": "what I learned"})
    letter, _ = await her.write(
        portfolio, "motivation_letter", {"title": "For the course"}, audience="chosen", chosen=[coach.person_id]
    )
    plan, _ = await her.write(
        portfolio, "goal_plan", {"area": "housing", "steps": []}, extra={"status": "open", "progress": 0}
    )

    mine = await her.ok("GET", f"/api/v1/portfolio/{portfolio}/items")
    assert {i["id"] for i in mine} == {diary["id"], reflection["id"], letter["id"], plan["id"]}
    for item in mine:
        assert (await her.read(item, people))[0]

    served = await coach.ok("GET", f"/api/v1/portfolio/{portfolio}/items")
    assert {i["id"] for i in served} == {reflection["id"], letter["id"], plan["id"]}, "her diary is not served"
    texts = {i["id"]: await coach.read_json(i, people) for i in served}
    assert texts[reflection["id"]]["body"] == "what I learned"
    assert texts[letter["id"]]["title"] == "For the course"
    assert all(copy["kind"] != "user" for i in served for copy in i["keys"]), "her own copies stay hers"
    assert (await coach.api("GET", f"/api/v1/portfolio/items/{diary['id']}")).status_code == 404

    # The coach comments on what is shared; she reads the comment.
    shared = next(i for i in served if i["id"] == reflection["id"])
    _, key = await coach.read(shared, people)
    await coach.ok(
        "POST", f"/api/v1/portfolio/items/{shared['id']}/comments", coach.comment_body(shared, key, "Well done!"),
        status=201,
    )
    comments = await her.ok("GET", f"/api/v1/portfolio/items/{shared['id']}/comments")
    assert [await her.read_comment(c, key) for c in comments] == ["Well done!"]

    # A coach cannot post items into her portfolio; staff and other participants read nothing.
    body, _ = await coach.item_body(portfolio, "00000000-0000-4000-8000-000000000001", "diary", {"t": 1})
    assert (await coach.api("POST", f"/api/v1/portfolio/{portfolio}/items", body)).status_code == 403
    assert (await cast.staff.api("GET", f"/api/v1/portfolio/{portfolio}/items")).status_code == 403
    assert (await cast.staff.api("GET", f"/api/v1/portfolio/items/{reflection['id']}")).status_code == 403


async def test_a_new_coach_waits_for_access_then_reads_history_through_the_chained_epochs(cast: Cast) -> None:
    her, coach, portfolio = cast.her, cast.coach, cast.portfolio_id
    await her.start_epoch(portfolio, cast.people(her, coach))
    first, _ = await her.write(portfolio, "life_story", {"body": "where I grew up"})
    await her.start_epoch(portfolio, cast.people(her, coach))
    second, _ = await her.write(portfolio, "diary", {"body": "this week"})

    second_coach = await cast.new_coach("Coach B", "coach.b")
    await cast.assign(second_coach, 2)
    seen = await second_coach.ok("GET", f"/api/v1/portfolio/{portfolio}")
    waiting = {m["person_id"]: m["has_current_grant"] for m in seen["members"]}
    assert waiting == {her.person_id: True, coach.person_id: True, second_coach.person_id: False}

    # Her coach's browser checks the signed assignment and the new coach's key, then grants.
    record = crypto.verify_record(
        crypto.b64u_decode(cast.signed_assignment(second_coach, 2)), cast.programme_key.public,
        crypto.RecordKind.COACH_ASSIGNMENT,
    )
    assert record.body.coach_fingerprint == (await coach.person(second_coach.person_id)).fingerprint  # type: ignore[union-attr]  # the record is a portfolio item's, which has a body
    keys = await coach.epoch_keys(portfolio, cast.people(her, coach))
    grant = await coach.grant(portfolio, 2, keys[2], second_coach.person_id)
    await coach.ok("POST", f"/api/v1/portfolio/{portfolio}/grants", {"epoch": 2, "grants": [grant]}, status=201)

    people = cast.people(her, coach, second_coach)
    served = {i["id"]: i for i in await second_coach.ok("GET", f"/api/v1/portfolio/{portfolio}/items")}
    assert (await second_coach.read_json(served[first["id"]], people))["body"] == "where I grew up"
    assert (await second_coach.read_json(served[second["id"]], people))["body"] == "this week"
    assert set(await second_coach.epoch_keys(portfolio, people)) == {1, 2}


async def test_a_removed_coach_is_refused_at_once_and_the_next_epoch_is_compare_and_set(cast: Cast) -> None:
    her, coach, portfolio = cast.her, cast.coach, cast.portfolio_id
    second_coach = await cast.new_coach("Coach B", "coach.b")
    await cast.assign(second_coach, 2)
    await her.start_epoch(portfolio, cast.people(her, coach, second_coach))
    await her.write(portfolio, "diary", {"body": "before"})

    assert (await her.ok("GET", f"/api/v1/portfolio/{portfolio}"))["rotation_due"] is False
    await cast.end_assignment(str(cast.world.assignment_a))
    assert (await her.ok("GET", f"/api/v1/portfolio/{portfolio}"))["rotation_due"] is True
    for url in (f"/api/v1/portfolio/{portfolio}/items", f"/api/v1/portfolio/{portfolio}/grants/mine",
                f"/api/v1/portfolio/{portfolio}/epochs", f"/api/v1/portfolio/{portfolio}"):
        assert (await coach.api("GET", url)).status_code == 403, url

    # The next member browsers both start epoch 2 for the members now; exactly one wins.
    people = cast.people(her, second_coach)
    keys = await her.epoch_keys(portfolio, cast.people(her, coach, second_coach))
    _, hers = await her.new_epoch_body(portfolio, 2, keys[1], people)
    _, theirs = await second_coach.new_epoch_body(portfolio, 2, keys[1], people)
    answers = await asyncio.gather(
        her.api("POST", f"/api/v1/portfolio/{portfolio}/epochs", hers),
        second_coach.api("POST", f"/api/v1/portfolio/{portfolio}/epochs", theirs),
    )
    assert sorted(a.status_code for a in answers) == [201, 409]
    lost = next(a for a in answers if a.status_code == 409)
    assert lost.json()["error"]["current_epoch"] == 2

    # The removed coach cannot be put back by a grant.
    keys = await her.epoch_keys(portfolio, cast.people(her, coach, second_coach))
    grant = await her.grant(portfolio, 2, keys[2], coach.person_id)
    refused = await her.api("POST", f"/api/v1/portfolio/{portfolio}/grants", {"epoch": 2, "grants": [grant]})
    assert refused.status_code == 422
    after, _ = await her.write(portfolio, "diary", {"body": "after"})
    assert (await second_coach.read_json(after, people))["body"] == "after"
    assert (await coach.api("GET", f"/api/v1/portfolio/items/{after['id']}")).status_code == 403
    assert (await her.ok("GET", f"/api/v1/portfolio/{portfolio}"))["rotation_due"] is False


async def test_two_coaches_edit_one_goal_plan_at_once_and_neither_edit_is_lost(cast: Cast) -> None:
    her, coach, portfolio = cast.her, cast.coach, cast.portfolio_id
    second_coach = await cast.new_coach("Coach B", "coach.b")
    await cast.assign(second_coach, 2)
    people = cast.people(her, coach, second_coach)
    await her.start_epoch(portfolio, people)
    plan, _ = await her.write(portfolio, "goal_plan", {"area": "work", "steps": []}, extra={"status": "open"})
    url = f"/api/v1/portfolio/items/{plan['id']}"

    a = await coach.ok("GET", url)
    b = await second_coach.ok("GET", url)
    content_a, key_a = await coach.read(a, people)
    content_b, key_b = await second_coach.read(b, people)
    steps_a = json.loads(content_a)
    steps_a["steps"].append({"text": "Write a CV", "by": "coach.a", "suggested": True})
    steps_b = json.loads(content_b)
    steps_b["steps"].append({"text": "Visit the job fair", "by": "coach.b", "suggested": True})

    await coach.ok("PUT", url, coach.revise(a, key_a, steps_a, base=1))
    stale = await second_coach.api("PUT", url, second_coach.revise(b, key_b, steps_b, base=1))
    assert stale.status_code == 409
    assert stale.json()["error"]["current_revision"] == 2

    # The merge screen: fetch the newer version, keep both suggestions, save on top of it.
    newer = await second_coach.ok("GET", url)
    merged = await second_coach.read_json(newer, people)
    merged["steps"].append({"text": "Visit the job fair", "by": "coach.b", "suggested": True})
    await second_coach.ok("PUT", url, second_coach.revise(newer, key_b, merged, base=2))

    # She accepts one suggestion and declines the other.
    latest = await her.ok("GET", url)
    final = await her.read_json(latest, people)
    assert [s["text"] for s in final["steps"]] == ["Write a CV", "Visit the job fair"]
    final["steps"][0]["suggested"], final["steps"][1]["declined"] = False, True
    body = her.revise(latest, key_a, final, base=3) | {"status": "in_progress", "progress": 50}
    saved = await her.ok("PUT", url, body)
    assert (saved["revision"], saved["status"], saved["progress"]) == (4, "in_progress", 50)
    assert (await coach.read_json(saved, people))["steps"][1]["declined"] is True
