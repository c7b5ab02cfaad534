"""Lessons before questions: her assignment page shows the module's lessons first, one per screen,
with her progress through the module kept on the server per assignment, shown to her and her
coaches only."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from eportfolio.assignments.tables import AssignmentLessonRead, ModuleAssignment
from eportfolio.kit.uow import unit_of_work
from tests.support.client import Browser
from tests.support.modules import envelope, module_url, portfolios_at_epoch
from tests.support.world import World
from tests.support.world_keys import world_keys

LESSON_ONE = (
    "# Waar gaat je geld heen?\n\nSchrijf **een week lang** op wat je uitgeeft.\n\n"
    "![Een kassabon](/static/img/receipt.png)\n\n[Meer over budgetteren](https://www.nibud.nl/budgetteren)\n\n"
    "<script>alert(1)</script>"
)


@pytest.fixture(autouse=True)
async def _portfolios(app: FastAPI, world: World) -> None:
    await portfolios_at_epoch(app, world)
    await world_keys(app, world)


async def _module_with_two_lessons(browser: Browser, world: World) -> dict[str, Any]:
    """As staff A: "Rondkomen" with two lessons and one assignment of two questions, published."""
    await browser.log_in_as(world.staff_a)
    response = await browser.api("POST", module_url(world), json={"title": "Rondkomen", "theme": "geld"})
    assert response.status_code == 201, response.text
    module_id = response.json()["id"]
    url = module_url(world, module_id)
    lessons = []
    for title, body in (
        ("Inkomsten en uitgaven", LESSON_ONE),
        ("Sparen voor later", "Zet elke week **5 euro** apart."),
    ):
        response = await browser.api("POST", url + "/lessons", json={"title": title, "body": body})
        assert response.status_code == 201, response.text
        lessons.append(response.json()["key"])
    response = await browser.api("POST", url + "/templates", json={"title": "Mijn maandbudget"})
    template_key = response.json()["key"]
    questions = []
    for question in (
        {"kind": "open_text", "prompt": "Wat geef je elke maand uit aan boodschappen?"},
        {"kind": "scale", "prompt": "Hoe goed kom je rond?", "scale_min": 1, "scale_max": 5},
    ):
        response = await browser.api("POST", f"{url}/templates/{template_key}/questions", json=question)
        assert response.status_code == 201, response.text
        questions.append(response.json()["key"])
    assert (await browser.api("POST", url + "/publish")).status_code == 200
    browser.log_out()
    return {"module_id": module_id, "template_key": template_key, "lessons": lessons, "questions": questions}


async def _give(browser: Browser, world: World, module: dict[str, Any], participant: uuid.UUID) -> str:
    await browser.log_in_as(world.coach_a if participant == world.participant_a else world.staff_a)
    response = await browser.api(
        "POST",
        f"/api/v1/programmes/{world.programme_a}/assignments",
        json={
            "module_id": module["module_id"],
            "template_key": module["template_key"],
            "participant_id": str(participant),
        },
    )
    assert response.status_code == 201, response.text
    browser.log_out()
    return str(response.json()[0]["id"])


def _location(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text[:500]
    return response.headers["location"]


def _main(page: str) -> str:
    return page.split('<main id="main"')[1].split("</main>")[0]


async def test_she_reads_the_lessons_first_then_answers(browser: Browser, world: World) -> None:
    module = await _module_with_two_lessons(browser, world)
    assignment_id = await _give(browser, world, module, world.participant_a)
    url = f"/programmes/{world.programme_a}/assignments/{assignment_id}"
    await browser.log_in_as(world.participant_a)

    first = await browser.get(url)
    assert first.status_code == 200
    main = _main(first.text)
    assert "Les 1 van 2" in main or "Lesson 1 of 2" in main
    assert "<h2>Waar gaat je geld heen?</h2>" in main, "a lesson heading never competes with the page title"
    assert "<strong>een week lang</strong>" in main
    assert '<img src="/static/img/receipt.png" alt="Een kassabon">' in main
    assert 'href="https://www.nibud.nl/budgetteren" rel="noopener noreferrer nofollow"' in main
    assert "<script>alert" not in main
    assert "Wat geef je elke maand uit aan boodschappen?" not in main, "the questions come after the lessons"
    assert "0 van 2 lessen gelezen" in main
    assert "0 van 2 vragen beantwoord" in main
    assert 'max="4" value="0"' in main, "the progress bar counts lessons and questions"

    second = _location(await browser.post_form(f"{url}/lessons/{module['lessons'][0]}/read"))
    assert second == f"{url}?les=1"
    page = _main((await browser.get(second)).text)
    assert "Les 2 van 2" in page
    assert "<strong>5 euro</strong>" in page
    assert "1 van 2 lessen gelezen" in page
    assert 'class="step step--done"' in page, "the lesson she read is marked in the list of steps"

    questions = _location(await browser.post_form(f"{url}/lessons/{module['lessons'][1]}/read"))
    assert questions == f"{url}?q=0"
    page = _main((await browser.get(url)).text)
    assert "Wat geef je elke maand uit aan boodschappen?" in page, "with every lesson read she lands on the questions"
    assert "2 van 2 lessen gelezen" in page
    assert f'href="?les={1}"' in page, "from the first question she can go back to the last lesson"

    api = f"/api/v1/programmes/{world.programme_a}/assignments/{assignment_id}"
    assert (await browser.api("PUT", f"{api}/answers/{module['questions'][0]}", json=envelope(0))).status_code == 200
    listing = _main((await browser.get("/my/assignments")).text)
    assert "2 van 2 lessen gelezen · 1 van 2 vragen beantwoord" in listing
    assert 'max="4" value="3"' in listing
    detail = (await browser.api("GET", api)).json()
    assert detail["assignment"]["progress"] == {
        "lessons_total": 2,
        "lessons_read": module["lessons"],
        "questions_total": 2,
        "questions_answered": 1,
    }
    assert [lesson["title"] for lesson in detail["lessons"]] == ["Inkomsten en uitgaven", "Sparen voor later"]


async def test_reading_is_kept_once_per_assignment_and_counts_as_starting(
    app: FastAPI, browser: Browser, world: World
) -> None:
    module = await _module_with_two_lessons(browser, world)
    assignment_id = await _give(browser, world, module, world.participant_a)
    other_id = await _give(browser, world, module, world.participant_a)
    api = f"/api/v1/programmes/{world.programme_a}/assignments/{assignment_id}"
    await browser.log_in_as(world.participant_a)
    for _ in range(2):
        response = await browser.api("PUT", f"{api}/lessons/{module['lessons'][1]}/read")
        assert response.status_code == 200, response.text
        assert response.json()["lessons_read"] == [module["lessons"][1]]
    async with unit_of_work(app.state.sessionmaker) as uow:
        rows = (await uow.session.execute(select(func.count()).select_from(AssignmentLessonRead))).scalar_one()
        status = (
            await uow.session.execute(
                select(ModuleAssignment.status).where(ModuleAssignment.id == uuid.UUID(assignment_id))
            )
        ).scalar_one()
    assert rows == 1, "reading a lesson twice keeps one row"
    assert status == "in_progress"
    other = (await browser.api("GET", f"/api/v1/programmes/{world.programme_a}/assignments/{other_id}")).json()
    assert other["assignment"]["progress"]["lessons_read"] == [], "progress is kept per assignment"
    assert other["assignment"]["status"] == "assigned"

    missing = await browser.api("PUT", f"{api}/lessons/nosuchlesson/read")
    assert missing.status_code == 404
    assert "les" in missing.json()["error"]["message"].lower()


async def test_only_she_marks_and_only_she_and_her_coaches_see_her_progress(browser: Browser, world: World) -> None:
    module = await _module_with_two_lessons(browser, world)
    assignment_id = await _give(browser, world, module, world.participant_a)
    api = f"/api/v1/programmes/{world.programme_a}/assignments/{assignment_id}"
    page_url = f"/programmes/{world.programme_a}/assignments/{assignment_id}"
    read_url = f"{api}/lessons/{module['lessons'][0]}/read"

    await browser.log_in_as(world.participant_a2)
    assert (await browser.api("PUT", read_url)).status_code == 404, "another participant cannot touch it"
    browser.log_out()
    await browser.log_in_as(world.coach_a)
    assert (await browser.api("PUT", read_url)).status_code == 403, "her coach does not read lessons for her"
    browser.log_out()
    await browser.log_in_as(world.participant_a)
    assert (await browser.api("PUT", read_url)).status_code == 200
    browser.log_out()

    await browser.log_in_as(world.coach_a)
    coach_page = _main((await browser.get(page_url)).text)
    assert "1 van 2 lessen gelezen" in coach_page, "her coach sees how far she is"
    assert "Wat geef je elke maand uit aan boodschappen?" in coach_page
    assert "Gelezen, verder" not in coach_page
    hers = await browser.api(
        "GET", f"/api/v1/programmes/{world.programme_a}/participants/{world.participant_a}/assignments"
    )
    assert hers.json()[0]["progress"]["lessons_read"] == [module["lessons"][0]]
    browser.log_out()

    await browser.log_in_as(world.staff_a)
    assert (await browser.get(page_url)).status_code == 403
    completion = (await browser.get(f"/manage/programmes/{world.programme_a}/completion")).text
    assert "lessen gelezen" not in completion
    assert "lessons read" not in completion


async def test_lesson_screens_work_without_javascript_and_post_no_answer(browser: Browser, world: World) -> None:
    module = await _module_with_two_lessons(browser, world)
    assignment_id = await _give(browser, world, module, world.participant_a)
    await browser.log_in_as(world.participant_a)
    page = (await browser.get(f"/programmes/{world.programme_a}/assignments/{assignment_id}?les=0")).text
    forms = re.findall(r'<form method="post" action="([^"]+)"', _main(page))
    assert forms == [f"/programmes/{world.programme_a}/assignments/{assignment_id}/lessons/{module['lessons'][0]}/read"]
    assert "js/modules/lesson.js" in page
    assert "js/modules/answer.js" not in page
    assert 'id="hand-in"' not in page, "handing in waits until the questions"
