"""The portfolio pages are shells for the browser's encryption code: they render for her and her
current coaches, carry no content and no inline script, and refuse everyone else."""

from __future__ import annotations

import re

from sqlalchemy import update

from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.tables import CoachAssignment
from tests.support.client import Browser
from tests.support.world import World


async def _her_portfolio(browser: Browser, world: World) -> str:
    await browser.log_in_as(world.participant_a)
    opened = await browser.api("POST", f"/api/v1/portfolio/programmes/{world.programme_a}/mine")
    assert opened.status_code == 200, opened.text
    return str(opened.json()["id"])


async def test_she_and_her_current_coach_get_the_page_and_others_are_refused(browser: Browser, world: World) -> None:
    portfolio = await _her_portfolio(browser, world)
    page = await browser.get(f"/portfolio/programmes/{world.programme_a}")
    assert page.status_code == 200
    html = page.text
    assert 'id="portfolio-app"' in html
    assert "js/portfolio/page.js" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "no inline script"
    assert " style=" not in html, "no inline style"
    assert "Goal plan" in html or "Doelenplan" in html
    index = await browser.get("/portfolio")
    assert index.status_code == 200
    assert f"/portfolio/programmes/{world.programme_a}" in index.text

    # Her coach sees her in his list only once the assignment is signed by staff.
    await browser.log_in_as(world.coach_a)
    assert (await browser.get(f"/portfolio/{portfolio}")).status_code == 403
    async with unit_of_work(browser.app.state.sessionmaker) as uow:
        await uow.session.execute(
            update(CoachAssignment)
            .where(CoachAssignment.id == world.assignment_a)
            .values(signed_record="signed", signed_by=world.staff_a)
        )
    assert (await browser.get(f"/portfolio/{portfolio}")).status_code == 200
    assert f"/portfolio/{portfolio}" in (await browser.get("/portfolio")).text

    await browser.log_in_as(world.staff_a)
    assert (await browser.get(f"/portfolio/{portfolio}")).status_code == 403
    await browser.log_in_as(world.participant_a2)
    assert (await browser.get(f"/portfolio/{portfolio}")).status_code == 403
    assert (await browser.get(f"/portfolio/programmes/{world.programme_b}")).status_code == 404


async def test_the_upload_progress_words_carry_one_percent_sign(browser: Browser, world: World) -> None:
    """Her browser fills in the number; the page gives it "Bestand versturen: %(percent)s%", never
    the catalogue's escaped "%%" (which showed as "Bestand versturen: 25%%")."""
    await _her_portfolio(browser, world)
    page = await browser.get(f"/portfolio/programmes/{world.programme_a}", headers={"accept-language": "nl"})
    uploading = re.search(r'data-uploading="([^"]*)"', page.text)
    assert uploading is not None
    assert uploading.group(1) == "Bestand versturen: %(percent)s%"
    assert 'data-file-missing="Het bestand is niet aangekomen.' in page.text
