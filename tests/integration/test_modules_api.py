"""Workshop modules and e-coach assignments over the JSON API, on SQLite and PostgreSQL.

Staff author and publish; coaches give assignments and review; a participant answers with
encrypted envelopes the server only stores. Versions keep given assignments stable.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI

from eportfolio.kit.clock import utcnow
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


def assignment_url(world: World, assignment_id: str) -> str:
    return f"/api/v1/programmes/{world.programme_a}/assignments/{assignment_id}"


async def answer_all(browser: Browser, world: World, assignment_id: str, module: dict[str, Any]) -> None:
    for key in module["questions"]:
        response = await browser.api("PUT", f"{assignment_url(world, assignment_id)}/answers/{key}", json=envelope(0))
        assert response.status_code == 200, response.text


# Authoring -----------------------------------------------------------------------------------


async def test_staff_author_and_publish_a_module(browser: Browser, world: World) -> None:
    module = await published_module(browser, world)
    await browser.log_in_as(world.staff_a)
    body = (await browser.api("GET", module_url(world, module["module_id"]))).json()
    assert body["status"] == "published"
    assert body["published_number"] == 1
    assert body["has_draft"] is False
    template = body["working"]["templates"][0]
    assert [q["kind"] for q in template["questions"]] == ["open_text", "scale"]


async def test_a_question_that_does_not_fit_its_kind_is_explained(browser: Browser, world: World) -> None:
    module = await published_module(browser, world)
    await browser.log_in_as(world.staff_a)
    url = f"{module_url(world, module['module_id'])}/templates/{module['template_key']}/questions"
    response = await browser.api("POST", url, json={"kind": "choice", "prompt": "Kies", "options": ["alleen"]})
    assert response.status_code == 422
    assert "twee keuzes" in response.text, "the domain rule, in her language (Dutch by default)"
    response = await browser.api("POST", url, json={"kind": "upload", "prompt": "Foto van je cv"})
    assert response.status_code == 422
    response = await browser.api(
        "POST", url, json={"kind": "upload", "prompt": "Spreek een bericht in", "upload_kind": "voice"}
    )
    assert response.status_code == 201


async def test_publishing_needs_questions_in_every_assignment(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.staff_a)
    module_id = (await browser.api("POST", module_url(world), json={"title": "Leeg"})).json()["id"]
    response = await browser.api("POST", module_url(world, module_id) + "/publish")
    assert response.status_code == 422
    await browser.api("POST", module_url(world, module_id) + "/templates", json={"title": "Zonder vragen"})
    response = await browser.api("POST", module_url(world, module_id) + "/publish")
    assert response.status_code == 422
    assert "Zonder vragen" in response.json()["error"]["message"]


async def test_lesson_markdown_is_sanitised_for_participants(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.staff_a)
    module_id = (await browser.api("POST", module_url(world), json={"title": "Budget"})).json()["id"]
    await browser.api(
        "POST",
        module_url(world, module_id) + "/lessons",
        json={
            "title": "Les 1",
            "body": "Hallo <script>alert(1)</script> [x](javascript:alert(1))",
            "video_url": "https://video.example/les1",
        },
    )
    preview = (await browser.api("GET", module_url(world, module_id) + "/preview")).json()
    html = preview["lessons"][0]["html"]
    assert "<script" not in html
    assert 'href="javascript' not in html
    assert preview["lessons"][0]["video_url"] == "https://video.example/les1"
    response = await browser.api(
        "POST", module_url(world, module_id) + "/lessons", json={"title": "Les 2", "video_url": "javascript:x"}
    )
    assert response.status_code == 422


# Versions ------------------------------------------------------------------------------------


async def test_editing_a_published_module_makes_a_new_version_and_given_assignments_keep_theirs(
    browser: Browser, world: World
) -> None:
    module = await published_module(browser, world)
    assignment_id = await assign_to_participant_a(browser, world, module)

    await browser.log_in_as(world.staff_a)
    url = module_url(world, module["module_id"])
    response = await browser.api(
        "PATCH", f"{url}/templates/{module['template_key']}", json={"title": "Mijn werkwensen (nieuw)"}
    )
    assert response.status_code == 200
    removed = module["questions"][1]
    response = await browser.api("DELETE", f"{url}/templates/{module['template_key']}/questions/{removed}")
    assert response.status_code == 204
    versions = (await browser.api("GET", url + "/versions")).json()
    assert [(v["number"], v["state"]) for v in versions] == [(1, "published"), (2, "draft")]
    assert versions[0]["templates"][0]["title"] == "Mijn werkwensen", "the published version is untouched"
    assert (await browser.api("POST", url + "/publish")).status_code == 200
    versions = (await browser.api("GET", url + "/versions")).json()
    assert [v["state"] for v in versions] == ["superseded", "published"]
    browser.log_out()

    await browser.log_in_as(world.participant_a)
    detail = (await browser.api("GET", assignment_url(world, assignment_id))).json()
    assert detail["template"]["title"] == "Mijn werkwensen"
    assert [q["key"] for q in detail["template"]["questions"]] == module["questions"]
    response = await browser.api("PUT", f"{assignment_url(world, assignment_id)}/answers/{removed}", json=envelope())
    assert response.status_code == 200, "her question still exists in the version she was given"
    browser.log_out()

    second = await assign_to_participant_a(browser, world, module)
    await browser.log_in_as(world.participant_a)
    detail = (await browser.api("GET", assignment_url(world, second))).json()
    assert detail["template"]["title"] == "Mijn werkwensen (nieuw)"
    assert len(detail["template"]["questions"]) == 1


async def test_archived_modules_cannot_be_given_or_changed(browser: Browser, world: World) -> None:
    module = await published_module(browser, world)
    await browser.log_in_as(world.staff_a)
    url = module_url(world, module["module_id"])
    assert (await browser.api("POST", url + "/archive")).status_code == 200
    response = await browser.api("PATCH", url, json={"title": "Nieuw"})
    assert response.status_code == 409
    assert "gearchiveerd" in response.json()["error"]["message"], "in her language: Dutch"
    browser.log_out()
    await browser.log_in_as(world.coach_a)
    response = await browser.api(
        "POST",
        f"/api/v1/programmes/{world.programme_a}/assignments",
        json={"module_id": module["module_id"], "participant_id": str(world.participant_a)},
    )
    assert response.status_code == 409
    browser.log_out()
    await browser.log_in_as(world.staff_a)
    assert (await browser.api("POST", url + "/restore")).json()["status"] == "published"


async def test_coaches_see_published_modules_only(browser: Browser, world: World) -> None:
    await published_module(browser, world)
    await browser.log_in_as(world.staff_a)
    await browser.api("POST", module_url(world), json={"title": "Nog bezig"})
    browser.log_out()
    await browser.log_in_as(world.coach_a)
    titles = [m["working"]["title"] for m in (await browser.api("GET", module_url(world))).json()]
    assert titles == ["Kiezen voor werk"]


# Copy and translations -------------------------------------------------------------------------


async def test_copy_to_another_programme_of_the_organisation(browser: Browser, world: World) -> None:
    module = await published_module(browser, world)
    await browser.log_in_as(world.staff_a)
    url = module_url(world, module["module_id"])
    await browser.api("PUT", url + "/translations", json={"language": "en", "texts": {"module.title": "Choosing work"}})
    response = await browser.api("POST", url + "/copy", json={"target_programme_id": str(world.programme_b)})
    assert response.status_code == 404, "staff of A cannot write into B"
    browser.log_out()

    await browser.log_in_as(world.admin)
    response = await browser.api("POST", url + "/copy", json={"target_programme_id": str(world.programme_b)})
    assert response.status_code == 201, response.text
    copy = response.json()
    assert copy["programme_id"] == str(world.programme_b)
    assert copy["status"] == "draft"
    assert copy["copied_from_id"] == module["module_id"]
    assert copy["working"]["templates"][0]["title"] == "Mijn werkwensen"
    assert copy["working"]["translations"] == {}, "programme B offers Dutch only"


async def test_she_sees_her_language_where_it_exists_and_dutch_otherwise(browser: Browser, world: World) -> None:
    module = await published_module(browser, world)
    await browser.log_in_as(world.staff_a)
    url = module_url(world, module["module_id"])
    first, second = module["questions"]
    response = await browser.api(
        "PUT",
        url + "/translations",
        json={
            "language": "en",
            "texts": {f"{module['template_key']}.title": "My work wishes", f"{first}.prompt": "Which work suits you?"},
        },
    )
    assert response.status_code == 200, response.text
    response = await browser.api("PUT", url + "/translations", json={"language": "ar", "texts": {"module.title": "x"}})
    assert response.status_code == 422, "Arabic is not one of programme A's languages"
    response = await browser.api("PUT", url + "/translations", json={"language": "en", "texts": {"nothing.title": "x"}})
    assert response.status_code == 422
    assert (await browser.api("POST", url + "/publish")).status_code == 200
    browser.log_out()
    assignment_id = await assign_to_participant_a(browser, world, module)

    await browser.log_in_as(world.participant_a)
    english = (await browser.api("GET", assignment_url(world, assignment_id) + "?lang=en")).json()["template"]
    assert english["title"] == "My work wishes"
    assert [q["prompt"] for q in english["questions"]] == ["Which work suits you?", "Hoe zeker ben je?"]
    dutch = (await browser.api("GET", assignment_url(world, assignment_id) + "?lang=nl")).json()["template"]
    assert dutch["title"] == "Mijn werkwensen"
    arabic = (await browser.api("GET", assignment_url(world, assignment_id) + "?lang=ar")).json()["template"]
    assert arabic["title"] == "Mijn werkwensen", "a language the programme does not offer falls back to Dutch"
    assert second


# Assigning and the status flow ------------------------------------------------------------------


async def test_a_group_assignment_gives_each_member_her_own_instance(browser: Browser, world: World) -> None:
    module = await published_module(browser, world)
    await browser.log_in_as(world.staff_a)
    for person in (world.participant_a, world.participant_a2):
        response = await browser.api(
            "PUT", f"/api/v1/programmes/{world.programme_a}/groups/{world.group_a}/members/{person}"
        )
        assert response.status_code == 204
    browser.log_out()
    await browser.log_in_as(world.coach_a)
    response = await browser.api(
        "POST",
        f"/api/v1/programmes/{world.programme_a}/assignments",
        json={"module_id": module["module_id"], "group_id": str(world.group_a), "due_on": "2099-03-01"},
    )
    assert response.status_code == 201, response.text
    given = response.json()
    assert sorted(a["participant_id"] for a in given) == sorted([str(world.participant_a), str(world.participant_a2)])
    assert len({a["id"] for a in given}) == 2
    assert all(a["status"] == "assigned" and a["group_id"] == str(world.group_a) for a in given)
    browser.log_out()
    await browser.log_in_as(world.participant_a2)
    mine = (await browser.api("GET", f"/api/v1/programmes/{world.programme_a}/my-assignments")).json()
    assert [a["title"] for a in mine] == ["Mijn werkwensen"]


async def test_from_assigned_to_completed_with_dates(browser: Browser, world: World) -> None:
    module = await published_module(browser, world)
    assignment_id = await assign_to_participant_a(browser, world, module)
    url = assignment_url(world, assignment_id)

    await browser.log_in_as(world.participant_a)
    first, second = module["questions"]
    saved = (await browser.api("PUT", f"{url}/answers/{first}", json=envelope(0))).json()
    assert saved["envelope"]["revision"] == 1
    detail = (await browser.api("GET", url)).json()
    assert detail["assignment"]["status"] == "in_progress"
    assert detail["assignment"]["started_at"] is not None
    response = await browser.api("POST", f"{url}/submit")
    assert response.status_code == 422
    assert "Nog open: 1" in response.json()["error"]["message"]
    await browser.api("PUT", f"{url}/answers/{second}", json=envelope(0))
    submitted = (await browser.api("POST", f"{url}/submit")).json()
    assert submitted["status"] == "submitted"
    assert submitted["submitted_at"] is not None
    response = await browser.api("PUT", f"{url}/answers/{first}", json=envelope(1))
    assert response.status_code == 409, "handed in: wait for feedback"
    browser.log_out()

    await browser.log_in_as(world.coach_a)
    queue = (await browser.api("GET", "/api/v1/review-queue")).json()
    assert [item["assignment"]["id"] for item in queue] == [assignment_id]
    assert queue[0]["participant_name"] == "Mother A"
    coach_notices = (await browser.api("GET", "/api/v1/notifications")).json()
    assert [n["kind"] for n in coach_notices] == ["submitted"]
    feedback = await browser.api("POST", f"{url}/feedback", json=envelope(0))
    assert feedback.status_code == 201, feedback.text
    browser.log_out()

    await browser.log_in_as(world.participant_a)
    detail = (await browser.api("GET", url)).json()
    assert detail["assignment"]["status"] == "feedback_given"
    assert len(detail["feedback"]) == 1
    kinds = [n["kind"] for n in (await browser.api("GET", "/api/v1/notifications")).json()]
    assert kinds == ["feedback_given", "assignment_given"]
    browser.log_out()

    await browser.log_in_as(world.coach_a)
    assert (await browser.api("GET", "/api/v1/review-queue")).json() == [], "feedback given: off the queue"
    done = (await browser.api("POST", f"{url}/complete")).json()
    assert done["status"] == "completed"
    assert done["completed_at"] is not None
    browser.log_out()

    await browser.log_in_as(world.participant_a)
    response = await browser.api("PUT", f"{url}/answers/{first}", json=envelope(1))
    assert response.status_code == 409
    assert "klaar" in response.json()["error"]["message"]


async def test_the_review_queue_is_oldest_first(browser: Browser, world: World) -> None:
    module = await published_module(browser, world)
    ids = [await assign_to_participant_a(browser, world, module) for _ in range(3)]
    await browser.log_in_as(world.participant_a)
    for assignment_id in (ids[2], ids[0], ids[1]):
        await answer_all(browser, world, assignment_id, module)
        assert (await browser.api("POST", f"{assignment_url(world, assignment_id)}/submit")).status_code == 200
    browser.log_out()
    await browser.log_in_as(world.coach_a)
    queue = (await browser.api("GET", "/api/v1/review-queue")).json()
    assert [item["assignment"]["id"] for item in queue] == [ids[2], ids[0], ids[1]]


async def test_revisions_are_compare_and_set(browser: Browser, world: World) -> None:
    module = await published_module(browser, world)
    url = assignment_url(world, await assign_to_participant_a(browser, world, module))
    key = module["questions"][0]
    await browser.log_in_as(world.participant_a)
    assert (await browser.api("PUT", f"{url}/answers/{key}", json=envelope(0))).status_code == 200
    assert (await browser.api("PUT", f"{url}/answers/{key}", json=envelope(1))).json()["envelope"]["revision"] == 2
    stale = await browser.api("PUT", f"{url}/answers/{key}", json=envelope(1))
    assert stale.status_code == 409
    assert "opnieuw" in stale.json()["error"]["message"]
    again_new = await browser.api("PUT", f"{url}/answers/{key}", json=envelope(0))
    assert again_new.status_code == 409
    answers = (await browser.api("GET", url)).json()["answers"]
    assert [a["envelope"]["revision"] for a in answers] == [2], "nothing saved was lost or doubled"


async def test_bad_answers_are_refused_clearly(browser: Browser, world: World) -> None:
    module = await published_module(browser, world)
    url = assignment_url(world, await assign_to_participant_a(browser, world, module))
    key = module["questions"][0]
    await browser.log_in_as(world.participant_a)
    response = await browser.api("PUT", f"{url}/answers/nosuchquestion", json=envelope(0))
    assert response.status_code == 404
    assert "hoort niet bij deze opdracht" in response.json()["error"]["message"]
    bad = {**envelope(0), "envelope": "plain text, not base64url!"}
    assert (await browser.api("PUT", f"{url}/answers/{key}", json=bad)).status_code == 422
    bad_key = {**envelope(0), "key_id": "short"}
    assert (await browser.api("PUT", f"{url}/answers/{key}", json=bad_key)).status_code == 422
    huge = {**envelope(0), "envelope": "A" * (96 * 1024 + 1)}
    assert (await browser.api("PUT", f"{url}/answers/{key}", json=huge)).status_code in (413, 422)
    assert (await browser.api("GET", url)).json()["answers"] == []


async def test_the_server_stores_answers_exactly_as_sent(browser: Browser, world: World) -> None:
    module = await published_module(browser, world)
    url = assignment_url(world, await assign_to_participant_a(browser, world, module))
    row_id = uuid.uuid4()
    sent = envelope(0, row_id=row_id)
    await browser.log_in_as(world.participant_a)
    await browser.api("PUT", f"{url}/answers/{module['questions'][0]}", json=sent)
    browser.log_out()
    await browser.log_in_as(world.coach_a)
    stored = (await browser.api("GET", url)).json()["answers"][0]
    assert stored["id"] == str(row_id), "the row keeps the id her browser bound into the envelope"
    assert stored["envelope"] == {
        "envelope": sent["envelope"],
        "key_id": sent["key_id"],
        "item_key_wrap": sent["item_key_wrap"],
        "revision": 1,
    }


async def test_an_envelope_must_name_its_own_key_and_carry_it_for_her_coaches(browser: Browser, world: World) -> None:
    module = await published_module(browser, world)
    url = assignment_url(world, await assign_to_participant_a(browser, world, module))
    key = module["questions"][0]
    await browser.log_in_as(world.participant_a)
    other_key = {**envelope(0), "key_id": envelope(0)["key_id"]}
    response = await browser.api("PUT", f"{url}/answers/{key}", json=other_key)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "envelope"
    not_an_envelope = {**envelope(0), "envelope": envelope(0)["item_key_wrap"]}
    assert (await browser.api("PUT", f"{url}/answers/{key}", json=not_an_envelope)).status_code == 422
    no_wrap = {**envelope(0), "item_key_wrap": None}
    response = await browser.api("PUT", f"{url}/answers/{key}", json=no_wrap)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "item_key_wrap"
    bad_wrap = {**envelope(0), "item_key_wrap": "d3JhcA"}
    assert (await browser.api("PUT", f"{url}/answers/{key}", json=bad_wrap)).status_code == 422
    assert (await browser.api("GET", url)).json()["answers"] == []


async def test_an_answer_keeps_the_id_its_envelope_is_bound_to(browser: Browser, world: World) -> None:
    module = await published_module(browser, world)
    url = assignment_url(world, await assign_to_participant_a(browser, world, module))
    first, second = module["questions"]
    row_id = uuid.uuid4()
    await browser.log_in_as(world.participant_a)
    assert (await browser.api("PUT", f"{url}/answers/{first}", json=envelope(0, row_id=row_id))).status_code == 200
    reused = await browser.api("PUT", f"{url}/answers/{second}", json=envelope(0, row_id=row_id))
    assert reused.status_code == 409, "one id, one row"
    moved = await browser.api("PUT", f"{url}/answers/{first}", json=envelope(1, row_id=uuid.uuid4()))
    assert moved.status_code == 409, "a new revision stays the same row"
    again = await browser.api("PUT", f"{url}/answers/{first}", json=envelope(1, row_id=row_id))
    assert again.json()["id"] == str(row_id)
    assert again.json()["envelope"]["revision"] == 2


async def test_a_coach_writes_a_personal_encrypted_assignment(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.coach_a)
    content = envelope(0)
    response = await browser.api(
        "POST",
        f"/api/v1/programmes/{world.programme_a}/personal-assignments",
        json={"participant_id": str(world.participant_a), "content": content},
    )
    assert response.status_code == 201, response.text
    assignment = response.json()
    assert assignment["kind"] == "personal"
    assert assignment["content"]["envelope"] == content["envelope"]
    response = await browser.api(
        "POST",
        f"/api/v1/programmes/{world.programme_a}/personal-assignments",
        json={"participant_id": str(world.participant_a2), "content": envelope(0)},
    )
    assert response.status_code == 403, "not in her caseload"
    browser.log_out()
    await browser.log_in_as(world.participant_a)
    url = assignment_url(world, assignment["id"])
    assert (await browser.api("PUT", f"{url}/answers/answer", json=envelope(0))).status_code == 200
    assert (await browser.api("POST", f"{url}/submit")).json()["status"] == "submitted"


# Reminders and notifications -------------------------------------------------------------------


async def test_a_due_date_reminder_comes_once(browser: Browser, world: World) -> None:
    module = await published_module(browser, world)
    tomorrow = (utcnow() + timedelta(days=1)).date().isoformat()
    await browser.log_in_as(world.coach_a)
    response = await browser.api(
        "POST",
        f"/api/v1/programmes/{world.programme_a}/assignments",
        json={"module_id": module["module_id"], "participant_id": str(world.participant_a), "due_on": tomorrow},
    )
    assert response.status_code == 201
    browser.log_out()
    await browser.log_in_as(world.participant_a)
    for _ in range(2):
        kinds = [n["kind"] for n in (await browser.api("GET", "/api/v1/notifications")).json()]
        assert sorted(kinds) == ["assignment_given", "due_soon"]
    notice = (await browser.api("GET", "/api/v1/notifications")).json()[0]
    read = (await browser.api("POST", f"/api/v1/notifications/{notice['id']}/read")).json()
    assert read["read_at"] is not None
    browser.log_out()
    await browser.log_in_as(world.participant_a2)
    response = await browser.api("POST", f"/api/v1/notifications/{notice['id']}/read")
    assert response.status_code == 404, "another person's notice does not exist for her"


async def test_a_past_due_date_is_refused(browser: Browser, world: World) -> None:
    module = await published_module(browser, world)
    await browser.log_in_as(world.coach_a)
    response = await browser.api(
        "POST",
        f"/api/v1/programmes/{world.programme_a}/assignments",
        json={"module_id": module["module_id"], "participant_id": str(world.participant_a), "due_on": "2000-01-01"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "due_on"


# Completion for staff --------------------------------------------------------------------------


async def test_staff_see_completion_counts_and_never_an_answer(browser: Browser, world: World) -> None:
    module = await published_module(browser, world)
    ids = [await assign_to_participant_a(browser, world, module) for _ in range(2)]
    await browser.log_in_as(world.participant_a)
    secret = envelope(0)
    await browser.api("PUT", f"{assignment_url(world, ids[0])}/answers/{module['questions'][0]}", json=secret)
    browser.log_out()
    await browser.log_in_as(world.staff_a)
    response = await browser.api("GET", f"/api/v1/programmes/{world.programme_a}/module-completion")
    assert response.status_code == 200
    rows = response.json()
    assert len(rows) == 1
    assert rows[0]["module_title"] == "Kiezen voor werk"
    assert rows[0]["total"] == 2
    assert rows[0]["counts"]["in_progress"] == 1
    assert rows[0]["counts"]["assigned"] == 1
    assert secret["envelope"] not in response.text


async def test_refusals_are_in_her_language(browser: Browser, world: World) -> None:
    module = await published_module(browser, world)
    url = assignment_url(world, await assign_to_participant_a(browser, world, module))
    await browser.log_in_as(world.participant_a)
    browser.http.cookies.set("ep_lang", "en")
    english = await browser.api("POST", f"{url}/submit")
    assert english.status_code == 422
    assert english.json()["error"]["message"] == "Please answer every question before you hand this in. Still open: 2."


async def test_completion_is_counted_per_group(browser: Browser, world: World) -> None:
    module = await published_module(browser, world)
    await browser.log_in_as(world.staff_a)
    for person in (world.participant_a, world.participant_a2):
        await browser.api("PUT", f"/api/v1/programmes/{world.programme_a}/groups/{world.group_a}/members/{person}")
    response = await browser.api(
        "POST",
        f"/api/v1/programmes/{world.programme_a}/assignments",
        json={"module_id": module["module_id"], "group_id": str(world.group_a)},
    )
    assert response.status_code == 201, "staff may give a module to a whole group"
    browser.log_out()
    await assign_to_participant_a(browser, world, module)
    await browser.log_in_as(world.staff_a)
    rows = (await browser.api("GET", f"/api/v1/programmes/{world.programme_a}/module-completion")).json()
    by_group = {row["group_name"]: row["total"] for row in rows}
    assert by_group == {"": 1, "Group A": 2}


async def test_an_answer_or_feedback_under_an_old_portfolio_key_is_refused_until_sealed_again(
    app: FastAPI, browser: Browser, world: World
) -> None:
    module = await published_module(browser, world)
    assignment_id = await assign_to_participant_a(browser, world, module)
    url = assignment_url(world, assignment_id)
    first, second = module["questions"]
    old_key = bytes(16)

    await browser.log_in_as(world.participant_a)
    stale = await browser.api("PUT", f"{url}/answers/{first}", json=envelope(0, epoch_key_id=old_key))
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "stale_epoch", "her browser fetches the new key and seals again"
    detail = (await browser.api("GET", url)).json()
    assert detail["answers"] == [], "nothing stored half"
    assert detail["assignment"]["status"] == "assigned"
    for key in (first, second):
        assert (await browser.api("PUT", f"{url}/answers/{key}", json=envelope(0))).status_code == 200
    assert (await browser.api("POST", f"{url}/submit")).status_code == 200
    browser.log_out()

    await browser.log_in_as(world.coach_a)
    refused = await browser.api("POST", f"{url}/feedback", json=envelope(0, epoch_key_id=old_key))
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "stale_epoch"
    given = await browser.api("POST", f"{url}/feedback", json=envelope(0))
    assert given.status_code == 201
    feedback_id = given.json()["id"]
    changed = await browser.api(
        "PUT", f"{url}/feedback/{feedback_id}", json=envelope(1, row_id=uuid.UUID(feedback_id), epoch_key_id=old_key)
    )
    assert changed.status_code == 409
    assert changed.json()["error"]["code"] == "stale_epoch"

    personal = await browser.api(
        "POST",
        f"/api/v1/programmes/{world.programme_a}/personal-assignments",
        json={"participant_id": str(world.participant_a), "content": envelope(0, epoch_key_id=old_key)},
    )
    assert personal.status_code == 409
    assert personal.json()["error"]["code"] == "stale_epoch"
