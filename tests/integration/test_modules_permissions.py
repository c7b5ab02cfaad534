"""Who may do what with modules and assignments: answers are for her and her coaches only."""

from __future__ import annotations

import uuid

import pytest
from fastapi import FastAPI

from eportfolio import crypto
from tests.support.client import Browser
from tests.support.modules import assign_to_participant_a, envelope, module_url, portfolios_at_epoch, published_module
from tests.support.world import World
from tests.support.world_keys import world_keys


@pytest.fixture(autouse=True)
async def _portfolios(app: FastAPI, world: World) -> None:
    """Answers and feedback are wrapped under her portfolio's current key: give her one. Coach A
    coaches her through an assignment Staff A signed (an unsigned one would give him nothing)."""
    await portfolios_at_epoch(app, world)
    await world_keys(app, world)


async def _other_coach(browser: Browser, world: World) -> uuid.UUID:
    """A coach of programme A who does not coach participant A."""
    await browser.log_in_as(world.staff_a)
    response = await browser.api(
        "POST",
        f"/api/v1/programmes/{world.programme_a}/people",
        json={"display_name": "Coach Elsewhere", "role": "coach"},
    )
    assert response.status_code == 201, response.text
    browser.log_out()
    return uuid.UUID(response.json()["id"])


async def _handed_in(browser: Browser, world: World) -> tuple[dict[str, object], str]:
    module = await published_module(browser, world)
    assignment_id = await assign_to_participant_a(browser, world, module)
    await browser.log_in_as(world.participant_a)
    url = f"/api/v1/programmes/{world.programme_a}/assignments/{assignment_id}"
    for key in module["questions"]:
        await browser.api("PUT", f"{url}/answers/{key}", json=envelope(0))
    assert (await browser.api("POST", f"{url}/submit")).status_code == 200
    browser.log_out()
    return module, url


async def test_a_coach_outside_the_assignment_sees_and_changes_nothing(browser: Browser, world: World) -> None:
    module, url = await _handed_in(browser, world)
    other = await _other_coach(browser, world)
    await browser.log_in_as(other)
    assert (await browser.api("GET", url)).status_code == 404
    assert (await browser.api("POST", f"{url}/feedback", json=envelope(0))).status_code == 404
    assert (await browser.api("POST", f"{url}/complete")).status_code == 404
    assert (await browser.api("GET", "/api/v1/review-queue")).json() == []
    response = await browser.api(
        "GET", f"/api/v1/programmes/{world.programme_a}/participants/{world.participant_a}/assignments"
    )
    assert response.status_code == 404
    response = await browser.api(
        "POST",
        f"/api/v1/programmes/{world.programme_a}/assignments",
        json={"module_id": module["module_id"], "participant_id": str(world.participant_a)},
    )
    assert response.status_code == 403
    assert "deelnemers die jij coacht" in response.json()["error"]["message"]


async def test_a_supervisor_without_a_caseload_reads_no_answers(browser: Browser, world: World) -> None:
    _, url = await _handed_in(browser, world)
    await browser.log_in_as(world.supervisor_a)
    assert (await browser.api("GET", url)).status_code == 404


async def test_staff_never_read_answers_or_feedback(browser: Browser, world: World) -> None:
    _, url = await _handed_in(browser, world)
    for person in (world.staff_a, world.admin):
        await browser.log_in_as(person)
        response = await browser.api("GET", url)
        assert response.status_code == 403
        assert "Medewerkers zien hoe ver" in response.json()["error"]["message"]
        assert (await browser.api("POST", f"{url}/feedback", json=envelope(0))).status_code == 403
        assert (await browser.api("PUT", f"{url}/answers/x", json=envelope(0))).status_code == 403
        browser.log_out()


async def test_another_participant_cannot_reach_her_assignment(browser: Browser, world: World) -> None:
    module = await published_module(browser, world)
    assignment_id = await assign_to_participant_a(browser, world, module)
    url = f"/api/v1/programmes/{world.programme_a}/assignments/{assignment_id}"
    await browser.log_in_as(world.participant_a2)
    assert (await browser.api("GET", url)).status_code == 404
    response = await browser.api("PUT", f"{url}/answers/{module['questions'][0]}", json=envelope(0))
    assert response.status_code == 404
    assert (await browser.api("POST", f"{url}/submit")).status_code == 404
    mine = (await browser.api("GET", f"/api/v1/programmes/{world.programme_a}/my-assignments")).json()
    assert mine == []


async def test_a_participant_cannot_author_assign_or_review(browser: Browser, world: World) -> None:
    module = await published_module(browser, world)
    assignment_id = await assign_to_participant_a(browser, world, module)
    await browser.log_in_as(world.participant_a)
    assert (await browser.api("POST", module_url(world), json={"title": "Mine"})).status_code == 403
    assert (await browser.api("GET", module_url(world, module["module_id"]))).status_code == 403
    response = await browser.api(
        "POST",
        f"/api/v1/programmes/{world.programme_a}/assignments",
        json={"module_id": module["module_id"], "participant_id": str(world.participant_a2)},
    )
    assert response.status_code == 403
    url = f"/api/v1/programmes/{world.programme_a}/assignments/{assignment_id}"
    response = await browser.api("POST", f"{url}/feedback", json=envelope(0))
    assert response.status_code == 403
    assert "Alleen haar coach" in response.json()["error"]["message"]
    # Published programme content is readable to her (it is not about a person).
    view = await browser.api("GET", module_url(world, module["module_id"]) + "/view")
    assert view.status_code == 200
    assert view.json()["title"] == "Kiezen voor werk"


async def test_another_programme_is_invisible(browser: Browser, world: World) -> None:
    module = await published_module(browser, world)
    assignment_id = await assign_to_participant_a(browser, world, module)
    await browser.log_in_as(world.staff_b)
    for url in (
        module_url(world),
        module_url(world, module["module_id"]),
        module_url(world, module["module_id"]) + "/preview",
        f"/api/v1/programmes/{world.programme_a}/module-completion",
        f"/api/v1/programmes/{world.programme_a}/assignments/{assignment_id}",
    ):
        assert (await browser.api("GET", url)).status_code == 404, url
    # The module id does not leak through programme B either.
    response = await browser.api("GET", module_url(world, module["module_id"], programme=world.programme_b))
    assert response.status_code == 404
    browser.log_out()
    await browser.log_in_as(world.participant_b)
    url = f"/api/v1/programmes/{world.programme_b}/assignments/{assignment_id}"
    assert (await browser.api("GET", url)).status_code == 404


async def test_a_coach_cannot_change_another_coachs_feedback(browser: Browser, world: World) -> None:
    _, url = await _handed_in(browser, world)
    await browser.log_in_as(world.coach_a)
    feedback = (await browser.api("POST", f"{url}/feedback", json=envelope(0))).json()
    edited = await browser.api("PUT", f"{url}/feedback/{feedback['id']}", json=envelope(1))
    assert edited.status_code == 200
    assert edited.json()["envelope"]["revision"] == 2
    stale = await browser.api("PUT", f"{url}/feedback/{feedback['id']}", json=envelope(1))
    assert stale.status_code == 409
    browser.log_out()
    second = await _other_coach(browser, world)
    keys = await world_keys(browser.app, world)
    await keys.sign_up(browser.app, second, "coach.elsewhere")
    await browser.log_in_as(world.staff_a)
    made = await browser.api(
        "POST",
        f"/api/v1/programmes/{world.programme_a}/coach-assignments",
        json={
            "participant_id": str(world.participant_a),
            "coach_id": str(second),
            "kind": "budget",
            "starts_on": "2026-01-01",
            "signed_record": keys.assignment_record(
                world.participant_a, second, signed_by=world.staff_a, role=crypto.CoachRole.BUDGET
            ),
        },
    )
    assert made.status_code == 201, made.text
    browser.log_out()
    await browser.log_in_as(second)
    response = await browser.api("PUT", f"{url}/feedback/{feedback['id']}", json=envelope(2))
    assert response.status_code == 403
    assert (await browser.api("GET", url)).status_code == 200, "as her budget coach she may read it"


async def test_writing_needs_the_csrf_token(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.staff_a)
    response = await browser.http.post(module_url(world), json={"title": "No token"})
    assert response.status_code == 403
