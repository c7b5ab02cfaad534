"""Programme management over the JSON API: what staff and admins may do, and what they may not."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import FastAPI

from eportfolio import crypto
from eportfolio.kit.events import Event
from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.tables import CoachAssignment, Membership, Person
from tests.support.client import Browser
from tests.support.world import World
from tests.support.world_keys import world_keys


async def test_admin_creates_a_programme_with_its_tenant_settings(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.admin)
    response = await browser.api(
        "POST",
        "/api/v1/programmes",
        json={
            "name": "Droommoeders",
            "slug": "droommoeders",
            "municipality": "Maastricht",
            "funder": "Gemeente Maastricht",
            "time_zone": "Europe/Amsterdam",
            "languages": ["en", "ar"],
            "trajectory_months": 24,
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["languages"] == ["nl", "en", "ar"], "Dutch is always first"
    assert body["settings"]["first_escalation_minutes"] == 30
    listed = await browser.api("GET", "/api/v1/programmes")
    assert "Droommoeders" in [p["name"] for p in listed.json()]


async def test_staff_cannot_create_programmes(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.staff_a)
    response = await browser.api("POST", "/api/v1/programmes", json={"name": "X", "slug": "xx", "municipality": "Y"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert response.json()["error"]["message"], "a sentence she can act on"


async def test_duplicate_slug_is_a_clear_conflict(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.admin)
    payload = {"name": "Again", "slug": "programme-a", "municipality": "Emmen"}
    response = await browser.api("POST", "/api/v1/programmes", json=payload)
    assert response.status_code == 409
    assert response.json()["error"]["field"] == "slug"


async def test_staff_of_a_sees_nothing_of_b(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.staff_a)
    programmes = (await browser.api("GET", "/api/v1/programmes")).json()
    assert [p["name"] for p in programmes] == ["Programme A"]
    b = world.programme_b
    for url in (
        f"/api/v1/programmes/{b}",
        f"/api/v1/programmes/{b}/groups",
        f"/api/v1/programmes/{b}/people",
        f"/api/v1/programmes/{b}/coach-assignments",
        f"/api/v1/programmes/{b}/people/{world.participant_b}",
    ):
        response = await browser.api("GET", url)
        assert response.status_code == 404, url
    response = await browser.api("POST", f"/api/v1/programmes/{b}/groups", json={"name": "Sneaky", "capacity": 5})
    assert response.status_code == 404
    # A person of programme B cannot be pulled into A by id either.
    response = await browser.api(
        "POST",
        f"/api/v1/programmes/{world.programme_a}/memberships",
        json={"person_id": str(world.participant_b), "role": "participant"},
    )
    assert response.status_code == 201  # same organisation: staff may enrol her in A ...
    people_a = (await browser.api("GET", f"/api/v1/programmes/{world.programme_a}/people")).json()
    roles_b = [m for row in people_a for m in row["memberships"] if m["programme_id"] == str(b)]
    assert roles_b == [], "... but her roles in B stay invisible to A's staff"


async def test_another_organisation_is_invisible(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.outsider_org_admin)
    assert (await browser.api("GET", "/api/v1/programmes")).json() == []
    response = await browser.api("GET", f"/api/v1/programmes/{world.programme_a}")
    assert response.status_code == 404
    response = await browser.api(
        "POST",
        f"/api/v1/programmes/{world.programme_a}/memberships",
        json={"person_id": str(world.outsider_org_admin), "role": "coach"},
    )
    assert response.status_code == 404


async def test_duplicate_membership_is_refused_and_nothing_is_half_written(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.staff_a)
    url = f"/api/v1/programmes/{world.programme_a}/memberships"
    response = await browser.api("POST", url, json={"person_id": str(world.coach_a), "role": "coach"})
    assert response.status_code == 409
    assert response.json()["error"]["field"] == "role"
    person = (await browser.api("GET", f"/api/v1/programmes/{world.programme_a}/people/{world.coach_a}")).json()
    assert [m["role"] for m in person["memberships"]] == ["coach"]


async def test_staff_cannot_make_staff_but_admin_can(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.staff_a)
    url = f"/api/v1/programmes/{world.programme_a}/memberships"
    response = await browser.api("POST", url, json={"person_id": str(world.coach_a), "role": "staff"})
    assert response.status_code == 403
    browser.log_out()
    await browser.log_in_as(world.admin)
    response = await browser.api("POST", url, json={"person_id": str(world.coach_a), "role": "staff"})
    assert response.status_code == 201


async def test_coach_assignment_lifecycle(browser: Browser, world: World) -> None:
    keys = await world_keys(browser.app, world)
    await browser.log_in_as(world.staff_a)
    base = f"/api/v1/programmes/{world.programme_a}/coach-assignments"
    facts = {
        "participant_id": str(world.participant_a2),
        "coach_id": str(world.coach_a),
        "kind": "budget",
        "starts_on": "2026-02-01",
    }
    unsigned = await browser.api("POST", base, json=facts)
    assert unsigned.status_code == 422, "an unsigned assignment gives nothing, so the API makes none"
    assert unsigned.json()["error"]["field"] == "signed_record"

    def signed() -> dict[str, str]:
        record = keys.assignment_record(
            world.participant_a2, world.coach_a, signed_by=world.staff_a, starts_on=date(2026, 2, 1),
            role=crypto.CoachRole.BUDGET,
        )
        return {**facts, "signed_record": record}

    response = await browser.api("POST", base, json=signed())
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["signed_record"] is not None
    assert created["signed_by"] == str(world.staff_a)
    again = await browser.api("POST", base, json=signed())
    assert again.status_code == 409
    ended = await browser.api("POST", f"{base}/{created['id']}/end")
    assert ended.status_code == 200
    assert ended.json()["ended_at"] is not None
    assert (await browser.api("POST", f"{base}/{created['id']}/end")).status_code == 409


async def test_assignment_needs_a_participant_and_a_coach_of_this_programme(browser: Browser, world: World) -> None:
    keys = await world_keys(browser.app, world)
    await browser.log_in_as(world.staff_a)
    base = f"/api/v1/programmes/{world.programme_a}/coach-assignments"
    record = keys.assignment_record(
        world.participant_b, world.coach_a, signed_by=world.staff_a, starts_on=date(2026, 2, 1)
    )
    response = await browser.api(
        "POST",
        base,
        json={
            "participant_id": str(world.participant_b), "coach_id": str(world.coach_a), "starts_on": "2026-02-01",
            "signed_record": record,
        },
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "participant_id"
    response = await browser.api(
        "POST",
        base,
        json={
            "participant_id": str(world.participant_a),
            "coach_id": str(world.coach_a),
            "starts_on": "2026-02-01",
            "ends_on": "2026-01-01",
        },
    )
    assert response.status_code == 422


async def test_coach_sees_only_her_own_caseload(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.coach_a)
    rows = (await browser.api("GET", f"/api/v1/programmes/{world.programme_a}/coach-assignments")).json()
    assert {r["participant_id"] for r in rows} == {str(world.participant_a)}
    assert (await browser.api("GET", f"/api/v1/programmes/{world.programme_a}/people")).status_code == 403


async def test_a_coach_sees_the_other_coaches_of_her_own_participants_only(
    app: FastAPI, browser: Browser, world: World
) -> None:
    await world_keys(app, world)  # Coach A coaches Mother A: his assignment is signed by Staff A
    async with unit_of_work(app.state.sessionmaker) as uow:
        two = Person(organisation_id=world.organisation_id, display_name="Coach Two", language="nl")
        uow.session.add(two)
        await uow.flush()
        uow.session.add(Membership(organisation_id=world.organisation_id, programme_id=world.programme_a,
                                   person_id=two.id, role="coach", coach_kind="individual"))
        for participant in (world.participant_a, world.participant_a2):
            uow.session.add(CoachAssignment(organisation_id=world.organisation_id, programme_id=world.programme_a,
                                            participant_id=participant, coach_id=two.id, kind="individual",
                                            starts_on=date(2026, 1, 1)))
        two_id = str(two.id)
    await browser.log_in_as(world.coach_a)
    base = f"/api/v1/programmes/{world.programme_a}/coach-assignments"
    hers = (await browser.api("GET", f"{base}?participant_id={world.participant_a}")).json()
    assert {r["coach_id"] for r in hers} == {str(world.coach_a), two_id}, "her other coach's record too"
    other = (await browser.api("GET", f"{base}?participant_id={world.participant_a2}")).json()
    assert other == [], "nothing about a mother he does not coach"
    mine = (await browser.api("GET", base)).json()
    assert {r["coach_id"] for r in mine} == {str(world.coach_a)}
    await browser.log_in_as(uuid.UUID(two_id))
    unsigned = (await browser.api("GET", f"{base}?participant_id={world.participant_a}")).json()
    assert {r["coach_id"] for r in unsigned} == {two_id}, "his unsigned assignment shows him nobody else's"


async def test_group_capacity_is_enforced(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.staff_a)
    base = f"/api/v1/programmes/{world.programme_a}/groups/{world.group_a}/members"
    assert (await browser.api("PUT", f"{base}/{world.participant_a}")).status_code == 204
    assert (await browser.api("PUT", f"{base}/{world.participant_a}")).status_code == 409
    assert (await browser.api("PUT", f"{base}/{world.participant_a2}")).status_code == 204
    response = await browser.api("PUT", f"{base}/{world.supervisor_a}")
    assert response.status_code == 422, "only participants join groups"
    shrink = await browser.api(
        "PATCH", f"/api/v1/programmes/{world.programme_a}/groups/{world.group_a}", json={"capacity": 1}
    )
    assert shrink.status_code == 422
    members = (await browser.api("GET", base)).json()
    assert len(members) == 2


async def test_bad_input_gets_clear_4xx_never_500(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.admin)
    cases = [
        ("POST", "/api/v1/programmes", {"name": "x" * 500, "slug": "ok-slug", "municipality": "Y"}, 422),
        ("POST", "/api/v1/programmes", {"name": "X", "slug": "Not A Slug", "municipality": "Y"}, 422),
        ("POST", "/api/v1/programmes", {"name": "X", "slug": "ok", "municipality": "Y", "time_zone": "Mars/Base"}, 422),
        ("POST", "/api/v1/programmes", {"name": "X", "slug": "ok", "municipality": "Y", "surprise": 1}, 422),
        ("POST", "/api/v1/programmes", ["not", "an", "object"], 422),
        ("GET", f"/api/v1/programmes/{uuid.uuid4()}", None, 404),
        ("GET", "/api/v1/programmes/not-a-uuid", None, 422),
        (
            "PATCH",
            f"/api/v1/programmes/{world.programme_a}",
            {"settings": {"first_escalation_minutes": 60, "second_escalation_minutes": 30}},
            422,
        ),
    ]
    for method, url, payload, status in cases:
        response = await browser.api(method, url, json=payload)
        assert response.status_code == status, (url, payload, response.text)
        assert response.json()["error"]["message"]
    raw = await browser.http.post(
        "/api/v1/programmes",
        content=b"{not json",
        headers={"x-csrf-token": await browser.csrf(), "content-type": "application/json"},
    )
    assert raw.status_code == 422


async def test_oversized_body_is_refused_with_413(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.admin)
    response = await browser.api("POST", "/api/v1/programmes", json={"name": "x" * 2_000_000})
    assert response.status_code == 413


async def test_forged_csrf_token_is_refused(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.admin)
    await browser.csrf()
    payload = {"name": "Forged", "slug": "forged", "municipality": "Y"}
    missing = await browser.http.post("/api/v1/programmes", json=payload)
    assert missing.status_code == 403
    forged = await browser.http.post("/api/v1/programmes", json=payload, headers={"x-csrf-token": "A" * 43})
    assert forged.status_code == 403
    other_site = await browser.http.post(
        "/api/v1/programmes",
        json=payload,
        headers={"x-csrf-token": await browser.csrf(), "origin": "https://evil.example"},
    )
    assert other_site.status_code == 403
    listed = (await browser.api("GET", "/api/v1/programmes")).json()
    assert "Forged" not in [p["name"] for p in listed]


async def test_anonymous_requests_are_told_to_log_in(browser: Browser, world: World) -> None:
    response = await browser.api("GET", "/api/v1/programmes")
    assert response.status_code == 401
    page = await browser.get("/manage")
    assert page.status_code == 401
    assert "<html" in page.text


async def test_validation_problems_are_explained_in_her_language(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.admin)
    response = await browser.api("POST", "/api/v1/programmes", json={"name": "x" * 500, "slug": "ok-slug"})
    problems = {p["field"]: p["message"] for p in response.json()["error"]["problems"]}
    assert problems["name"] == "Dit is te lang (niet meer dan 120 tekens).", problems
    assert problems["municipality"] == "Vul dit in.", problems


async def test_role_and_group_changes_are_announced_after_commit(browser: Browser, world: World) -> None:
    # Chat caches who may read a conversation; these events tell every process to forget it.
    seen: list[str] = []

    async def remember(event: Event) -> None:
        seen.append(event.name)

    browser.app.state.event_bus.subscribe("programmes.", remember)
    await browser.log_in_as(world.staff_a)
    person = (await browser.api("GET", f"/api/v1/programmes/{world.programme_a}/people/{world.coach_a}")).json()
    membership_id = person["memberships"][0]["id"]
    response = await browser.api(
        "PATCH", f"/api/v1/programmes/{world.programme_a}/memberships/{membership_id}", json={"active": False}
    )
    assert response.status_code == 200
    group = f"/api/v1/programmes/{world.programme_a}/groups/{world.group_a}/members/{world.participant_a}"
    assert (await browser.api("PUT", group)).status_code == 204
    assert (await browser.api("DELETE", group)).status_code == 204
    assert "programmes.membership_updated" in seen
    assert "programmes.group_member_added" in seen
    assert "programmes.group_member_removed" in seen
