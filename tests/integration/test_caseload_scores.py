"""A measurement waiting for her coach's score: once her self-score is in and his is not, his
"Today" names her with a link to that measurement, and his caseload row counts it as something that
waits (and sorts her up), on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi import FastAPI

from tests.support.caseload import seed_caseload
from tests.support.client import Browser
from tests.support.modules import envelope, portfolios_at_epoch
from tests.support.world import World
from tests.support.world_keys import world_keys

BRIDGE = {"instrument_key": "bridge-to-self-sufficiency", "instrument_version": 1}


@pytest.fixture(autouse=True)
async def _portfolios(app: FastAPI, world: World) -> None:
    await portfolios_at_epoch(app, world)
    await world_keys(app, world)


def _api(world: World) -> str:
    return f"/api/v1/measurements/programmes/{world.programme_a}"


async def _measurement(browser: Browser, world: World) -> str:
    await browser.log_in_as(world.participant_a)
    url = f"{_api(world)}/participants/{world.participant_a}/measurements"
    response = await browser.api("POST", url, json=BRIDGE)
    assert response.status_code == 201, response.text
    browser.log_out()
    return str(response.json()["id"])


async def _score(browser: Browser, world: World, person: uuid.UUID, measurement_id: str) -> None:
    await browser.log_in_as(person)
    response = await browser.api("POST", f"{_api(world)}/measurements/{measurement_id}/sides", json=envelope(0))
    assert response.status_code == 201, response.text
    browser.log_out()


def _row(page: str, participant: uuid.UUID) -> str:
    return page[page.index(f'data-participant-id="{participant}"') :].split('<li class="card caseload-row')[0]


async def test_her_self_score_waits_for_his_score_on_his_today_and_caseload(
    app: FastAPI, world: World, browser: Browser
) -> None:
    # Other participants of his, some with things waiting, so that the sort has something to do.
    await seed_caseload(
        app.state.sessionmaker,
        organisation_id=world.organisation_id,
        programme_id=world.programme_a,
        coach_id=world.coach_a,
        signer_id=world.staff_a,
        count=3,
    )
    measurement_id = await _measurement(browser, world)
    link = f'href="/growth/programmes/{world.programme_a}/measurements/{measurement_id}"'

    # Opened but not scored by her: nothing waits for him yet.
    await browser.log_in_as(world.coach_a)
    home = (await browser.get("/")).text
    assert "wacht op jouw score" not in home
    before = (await browser.get("/caseload")).text
    assert 'data-fact="score"' not in before
    browser.log_out()

    await _score(browser, world, world.participant_a, measurement_id)
    await browser.log_in_as(world.coach_a)
    home = (await browser.get("/")).text
    today = home[home.index('data-today="coach"') :]
    words = r' data-today-item="score">Mother A wacht op jouw score</a>'
    item = r'<a class="today-item[^"]*" ' + re.escape(link) + words
    assert re.search(item, today), today[:2000]
    caseload = (await browser.get("/caseload")).text
    row = _row(caseload, world.participant_a)
    start = caseload.index(f'data-participant-id="{world.participant_a}"')
    assert "caseload-row--attention" in caseload[caseload.rindex("<li", 0, start) : start]
    assert "1 meting wacht op jouw score" in row
    assert link in row
    # The measurement opens for him to score.
    opened = await browser.get(f"/growth/programmes/{world.programme_a}/measurements/{measurement_id}")
    assert opened.status_code == 200
    # Something waiting for him sorts her up, like any other waiting item.
    order_before = re.findall(r'data-participant-id="([^"]+)"', before)
    order_after = re.findall(r'data-participant-id="([^"]+)"', caseload)
    her = str(world.participant_a)
    assert order_before[-1] == her, order_before
    assert order_after.index(her) < order_before.index(her), order_after
    browser.log_out()

    # Once his score is in, it no longer waits.
    await _score(browser, world, world.coach_a, measurement_id)
    await browser.log_in_as(world.coach_a)
    assert "wacht op jouw score" not in (await browser.get("/")).text
    assert 'data-fact="score"' not in (await browser.get("/caseload")).text
