"""Every element id on a module page is unique: a label points at one field, a screen reader reads
the right hint, and a script or test that looks a field up by id finds the one it means. The
module editor has several forms with the same field names on one page (a new lesson, a new
assignment and the module itself all have a title; every question has its own form)."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

import pytest
from fastapi import FastAPI

from tests.support.client import Browser
from tests.support.modules import assign_to_participant_a, portfolios_at_epoch, published_module
from tests.support.world import World
from tests.support.world_keys import world_keys


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.references: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value:
                self.ids.append(value)
            elif name in ("for", "aria-describedby", "aria-labelledby") and value:
                self.references.extend(value.split())


def _check(url: str, html: str) -> None:
    parser = _Ids()
    parser.feed(html)
    twice = sorted(name for name, count in Counter(parser.ids).items() if count > 1)
    assert not twice, f"{url}: ids used more than once: {twice}"
    dangling = sorted(set(parser.references) - set(parser.ids))
    assert not dangling, f"{url}: labels or descriptions point at ids that are not there: {dangling}"


@pytest.fixture(autouse=True)
async def _portfolios(app: FastAPI, world: World) -> None:
    await portfolios_at_epoch(app, world)
    await world_keys(app, world)


async def _get(browser: Browser, url: str, expected: int = 200) -> None:
    response = await browser.get(url)
    assert response.status_code == expected, (url, response.text[:300])
    _check(url, response.text)


async def test_every_module_page_has_unique_ids(browser: Browser, world: World) -> None:
    module = await published_module(browser, world)
    assignment_id = await assign_to_participant_a(browser, world, module)
    a = world.programme_a
    base = f"/manage/programmes/{a}/modules"
    module_url = f"{base}/{module['module_id']}"
    template_url = f"{module_url}/templates/{module['template_key']}"

    # The organisation admin sees every form: the copy form too (there is another programme).
    await browser.log_in_as(world.admin)
    shown = (await browser.api("GET", f"/api/v1/programmes/{a}/modules/{module['module_id']}")).json()
    lesson_key = shown["working"]["lessons"][0]["key"]
    for url in (
        base,
        module_url,
        f"{module_url}/lessons/{lesson_key}",
        template_url,
        f"{module_url}/translations/en",
        f"{module_url}/preview",
        f"/manage/programmes/{a}/completion",
        f"/programmes/{a}/assign",
    ):
        await _get(browser, url)

    # Pages shown again with what was typed and what to fix keep their ids unique as well.
    refused = await browser.post_form(f"{module_url}/lessons", {"title": ""})
    assert refused.status_code == 422
    _check("a new lesson without a title", refused.text)
    refused = await browser.post_form(
        f"{template_url}/questions/{module['questions'][0]}",
        {"kind": "choice", "prompt": "Welke dag?", "options": "Maandag", "scale_min": "1", "scale_max": "5"},
    )
    assert refused.status_code == 422
    _check("a changed question with one option", refused.text)
    refused = await browser.post_form(
        f"{template_url}/questions",
        {"kind": "upload", "prompt": "Een foto", "options": "", "scale_min": "1", "scale_max": "5"},
    )
    assert refused.status_code == 422
    _check("a new upload question without its kind", refused.text)
    browser.log_out()

    await browser.log_in_as(world.coach_a)
    for url in (f"/programmes/{a}/assign", "/review", f"/programmes/{a}/assignments/{assignment_id}"):
        await _get(browser, url)
    browser.log_out()

    await browser.log_in_as(world.participant_a)
    for url in (
        "/my/assignments",
        "/notifications",
        f"/programmes/{a}/assignments/{assignment_id}",
        f"/programmes/{a}/assignments/{assignment_id}?q=0",
        f"/programmes/{a}/assignments/{assignment_id}?q=1",
    ):
        await _get(browser, url)
