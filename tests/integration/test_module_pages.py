"""The module pages: staff author and publish without JavaScript, coaches give and review,
a participant sees what is due; nothing personal is ever rendered as plaintext by the server."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from tests.support.client import Browser
from tests.support.modules import assign_to_participant_a, envelope, portfolios_at_epoch, published_module
from tests.support.world import World
from tests.support.world_keys import world_keys


@pytest.fixture(autouse=True)
async def _portfolios(app: FastAPI, world: World) -> None:
    """Answers and feedback are wrapped under her portfolio's current key: give her one. Coach A
    coaches her through an assignment Staff A signed (an unsigned one would give him nothing)."""
    await portfolios_at_epoch(app, world)
    await world_keys(app, world)


def _location(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text[:500]
    return response.headers["location"]


async def test_staff_build_and_publish_a_module_with_forms_only(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.staff_a)
    base = f"/manage/programmes/{world.programme_a}/modules"
    assert (await browser.get(base)).status_code == 200
    module_url = _location(
        await browser.post_form(base, {"title": "Budgettraining", "theme": "geld", "language_level": "A2"})
    )
    lesson_url = _location(await browser.post_form(module_url + "/lessons", {"title": "Inkomsten en uitgaven"}))
    _location(
        await browser.post_form(
            lesson_url,
            {
                "title": "Inkomsten en uitgaven",
                "body": "Schrijf **alles** op.<script>alert(1)</script>",
                "video_url": "https://video.example/budget",
            },
        )
    )
    template_url = _location(await browser.post_form(module_url + "/templates", {"title": "Mijn weekbudget"}))
    _location(
        await browser.post_form(
            template_url + "/questions",
            {
                "kind": "choice",
                "prompt": "Waar geef je het meest aan uit?",
                "options": "Eten\nHuur\nTelefoon",
                "scale_min": "1",
                "scale_max": "5",
                "required": "required",
            },
        )
    )
    _location(
        await browser.post_form(
            template_url + "/questions",
            {
                "kind": "session_reflection",
                "prompt": "Wat nam je mee uit de bijeenkomst?",
                "options": "",
                "scale_min": "1",
                "scale_max": "5",
            },
        )
    )
    page = await browser.get(module_url)
    assert "Budgettraining" in page.text
    assert "2 questions" in page.text or "2 vragen" in page.text
    _location(await browser.post_form(module_url + "/publish"))

    preview = await browser.get(module_url + "/preview")
    assert preview.status_code == 200
    assert 'class="phone-frame"' in preview.text
    assert "<strong>alles</strong>" in preview.text
    assert "<script>alert" not in preview.text
    assert "Waar geef je het meest aan uit?" in preview.text
    assert "Telefoon" in preview.text
    assert "<script" not in preview.text.split("</main>")[0].split('<main id="main"')[1]


async def test_a_wrong_question_keeps_what_was_typed_and_says_what_to_fix(browser: Browser, world: World) -> None:
    module = await published_module(browser, world)
    await browser.log_in_as(world.staff_a)
    url = f"/manage/programmes/{world.programme_a}/modules/{module['module_id']}/templates/{module['template_key']}"
    response = await browser.post_form(
        url + "/questions",
        {"kind": "choice", "prompt": "Welke dag past?", "options": "Maandag", "scale_min": "1", "scale_max": "5"},
    )
    assert response.status_code == 422
    assert 'value="Welke dag past?"' in response.text
    assert "two options" in response.text or "twee keuzes" in response.text


async def test_editing_after_publishing_says_a_new_version_is_being_made(browser: Browser, world: World) -> None:
    module = await published_module(browser, world)
    await browser.log_in_as(world.staff_a)
    url = f"/manage/programmes/{world.programme_a}/modules/{module['module_id']}"
    _location(await browser.post_form(url, {"title": "Kiezen voor werk 2", "theme": "werk", "language_level": "B1"}))
    page = await browser.get(url)
    assert "Participants keep the version they were given" in page.text or "houden de versie" in page.text
    assert page.text.count("Version ") + page.text.count("Versie ") >= 2


async def test_translations_form_and_copy_form(browser: Browser, world: World) -> None:
    module = await published_module(browser, world)
    await browser.log_in_as(world.admin)
    url = f"/manage/programmes/{world.programme_a}/modules/{module['module_id']}"
    form = await browser.get(url + "/translations/en")
    assert form.status_code == 200
    assert 'name="module.title"' in form.text
    _location(await browser.post_form(url + "/translations/en", {"module.title": "Choosing work"}))
    assert (await browser.get(url + "/translations/ar")).status_code == 404
    preview = await browser.get(url + "/preview?lang=en")
    assert "Choosing work" in preview.text
    copy_url = _location(await browser.post_form(url + "/copy", {"target_programme_id": str(world.programme_b)}))
    assert str(world.programme_b) in copy_url
    assert "Kiezen voor werk" in (await browser.get(copy_url)).text


async def test_a_coach_gives_an_assignment_with_the_form(browser: Browser, world: World) -> None:
    module = await published_module(browser, world)
    await browser.log_in_as(world.coach_a)
    page = await browser.get(f"/programmes/{world.programme_a}/assign")
    assert page.status_code == 200
    assert "Mother A" in page.text
    assert "Mother A2" not in page.text, "only her own caseload is offered"
    response = await browser.post_form(
        f"/programmes/{world.programme_a}/assign",
        {
            "choice": f"{module['module_id']}:{module['template_key']}",
            "participant_id": str(world.participant_a),
            "group_id": "",
            "due_on": "2099-05-01",
        },
    )
    given = await browser.get(_location(response))
    assert "1 assignment given" in given.text or "1 opdracht gegeven" in given.text
    response = await browser.post_form(
        f"/programmes/{world.programme_a}/assign",
        {"choice": module["module_id"], "participant_id": "", "group_id": "", "due_on": ""},
    )
    assert response.status_code == 422


async def test_participant_due_list_assignment_shell_and_review(browser: Browser, world: World) -> None:
    module = await published_module(browser, world)
    assignment_id = await assign_to_participant_a(browser, world, module)
    await browser.log_in_as(world.participant_a)
    listing = await browser.get("/my/assignments")
    assert listing.status_code == 200
    assert "Mijn werkwensen" in listing.text
    shell = await browser.get(f"/programmes/{world.programme_a}/assignments/{assignment_id}?q=0")
    assert shell.status_code == 200
    assert "assignment-whose" not in shell.text, "she is not told her own name"
    assert "Welk werk past bij jou?" in shell.text
    assert "Hoe zeker ben je?" not in shell.text, "one question per screen"
    second = await browser.get(f"/programmes/{world.programme_a}/assignments/{assignment_id}?q=1")
    assert "Hoe zeker ben je?" in second.text
    secret = envelope(0)
    api = f"/api/v1/programmes/{world.programme_a}/assignments/{assignment_id}"
    for key in module["questions"]:
        await browser.api("PUT", f"{api}/answers/{key}", json=secret)
    submit = f"/programmes/{world.programme_a}/assignments/{assignment_id}/submit"
    handed_in = _location(await browser.post_form(submit))
    assert "Ingeleverd. Je coach kijkt ernaar" in (await browser.get(handed_in)).text, "she is told it arrived"
    assert "Ingeleverd. Je coach kijkt ernaar" not in (await browser.get("/my/assignments")).text
    browser.log_out()

    await browser.log_in_as(world.coach_a)
    queue = await browser.get("/review")
    assert "Mother A" in queue.text
    page = await browser.get(f"/programmes/{world.programme_a}/assignments/{assignment_id}")
    assert page.status_code == 200
    assert secret["envelope"] not in page.text, "ciphertext is fetched by the browser, not rendered"
    assert "<strong>Van Mother A</strong>" in page.text, "her coach sees whose work it is"
    _location(await browser.post_form(f"/programmes/{world.programme_a}/assignments/{assignment_id}/complete"))
    assert "Mother A" not in (await browser.get("/review")).text


async def test_notifications_page_marks_read_and_follows_the_link(browser: Browser, world: World) -> None:
    module = await published_module(browser, world)
    assignment_id = await assign_to_participant_a(browser, world, module)
    await browser.log_in_as(world.participant_a)
    page = await browser.get("/notifications")
    assert "Mijn werkwensen" in page.text
    notice_id = re.search(r'action="/notifications/([0-9a-f-]+)/read"', page.text)
    assert notice_id is not None
    target = _location(await browser.post_form(f"/notifications/{notice_id.group(1)}/read"))
    assert target == f"/programmes/{world.programme_a}/assignments/{assignment_id}"


async def test_completion_page_shows_numbers_only(browser: Browser, world: World) -> None:
    module = await published_module(browser, world)
    await assign_to_participant_a(browser, world, module)
    await browser.log_in_as(world.staff_a)
    page = await browser.get(f"/manage/programmes/{world.programme_a}/completion")
    assert page.status_code == 200
    assert "Kiezen voor werk" in page.text
    assert "Mother A" not in page.text


async def test_pages_refuse_the_wrong_people(browser: Browser, world: World) -> None:
    module = await published_module(browser, world)
    assignment_id = await assign_to_participant_a(browser, world, module)
    await browser.log_in_as(world.participant_a)
    assert (await browser.get(f"/manage/programmes/{world.programme_a}/modules")).status_code == 403
    assert (await browser.get(f"/programmes/{world.programme_a}/assign")).status_code == 403
    browser.log_out()
    await browser.log_in_as(world.staff_a)
    page = await browser.get(f"/programmes/{world.programme_a}/assignments/{assignment_id}")
    assert page.status_code == 403
    browser.log_out()
    await browser.log_in_as(world.staff_b)
    assert (await browser.get(f"/manage/programmes/{world.programme_a}/modules")).status_code == 404


def _posted_fields(page: str) -> list[str]:
    """The names of every field inside a form that can post: what the page could send without its script."""
    names: list[str] = []
    for form in re.findall(r"<form\b(.*?)</form>", page, flags=re.S):
        if "hidden" in form.split(">", 1)[0] or 'method="post"' not in form.split(">", 1)[0]:
            continue
        names += re.findall(r'<(?:input|textarea|select)\b[^>]*\bname="([^"]+)"', form)
    return names


async def test_no_answer_field_sits_in_a_form_that_posts(browser: Browser, world: World) -> None:
    module = await published_module(browser, world)
    assignment_id = await assign_to_participant_a(browser, world, module)
    url = f"/programmes/{world.programme_a}/assignments/{assignment_id}"
    await browser.log_in_as(world.participant_a)
    for q in (0, 1):
        page = (await browser.get(f"{url}?q={q}")).text
        assert "<textarea" in page or 'type="radio"' in page
        assert set(_posted_fields(page)) <= {"csrf_token", "next", "language"}, "only hand-in and language forms post"
    browser.log_out()
    await browser.log_in_as(world.coach_a)
    page = (await browser.get(url)).text
    assert "Welk werk past bij jou?" in page
    assert "Hoe zeker ben je?" in page, "her coach sees every question on one page"
    assign = (await browser.get(f"/programmes/{world.programme_a}/assign")).text
    assert 'id="personal-form" class="form" hidden' in assign, "a personal assignment is written only with the script"
    assert not {"personal_title", "personal_text"} & set(_posted_fields(assign))
