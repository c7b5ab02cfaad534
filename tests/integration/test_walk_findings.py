"""Words a newcomer stumbled on walking the demo: the coach reads her portfolio in words about her,
nobody "waits 0 minutes", "signed" is not said twice, a peer coach is called one, and a
participant's roster page does not talk about shifts she never has."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import update

from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.tables import Membership
from tests.support.client import Browser
from tests.support.duty import local_now, roster, waiting_for_coach_a
from tests.support.modules import published_module
from tests.support.world import World
from tests.support.world_keys import world_keys

NL = {"accept-language": "nl"}


async def test_her_coach_reads_her_portfolio_in_words_about_her(app: FastAPI, browser: Browser, world: World) -> None:
    await world_keys(app, world)  # coach A's assignment signed by staff A
    await browser.log_in_as(world.participant_a)
    opened = await browser.api("POST", f"/api/v1/portfolio/programmes/{world.programme_a}/mine")
    assert opened.status_code == 200, opened.text
    own = (await browser.get(f"/portfolio/programmes/{world.programme_a}", headers=NL)).text
    assert "Zoeken in je portfolio" in own
    assert "Wie kan lezen wat je met je coaches deelt: %(names)s" in own

    await browser.log_in_as(world.coach_a)
    page = await browser.get(f"/portfolio/{opened.json()['id']}", headers=NL)
    assert page.status_code == 200
    assert "Zoeken in haar portfolio" in page.text
    assert "Wie kan lezen wat ze met haar coaches deelt: %(names)s" in page.text
    assert "Haar portfolio wordt geopend…" in page.text
    for hers in (
        "Zoeken in je portfolio",
        "wat je met je coaches deelt",
        "Je portfolio wordt geopend",
        "je portfolio nu niet",
    ):
        assert hers not in page.text, hers


async def test_a_message_that_just_came_in_waits_not_0_minutes(app: FastAPI, browser: Browser, world: World) -> None:
    await waiting_for_coach_a(app, browser, world, minutes=0)
    await browser.log_in_as(world.coach_a)
    page = (await browser.get("/chat", headers=NL)).text
    waited = page.split('class="chat-inbox__waited">')[1].split("</span>")[0]
    assert waited == "wacht net"


async def test_a_signed_assignment_says_signed_once_and_a_peer_coach_is_called_one(
    app: FastAPI, browser: Browser, world: World
) -> None:
    await world_keys(app, world)
    async with unit_of_work(app.state.sessionmaker) as uow:
        await uow.session.execute(
            update(Membership)
            .where(Membership.person_id == world.coach_a, Membership.programme_id == world.programme_a)
            .values(peer_coach=True)
        )
    await browser.log_in_as(world.staff_a)
    page = (await browser.get(f"/manage/programmes/{world.programme_a}/assignments", headers=NL)).text
    card = page.split(f'data-assignment-id="{world.assignment_a}"')[1].split("</li>")[0]
    assert 'data-status="signed"' in card
    assert "ondertekend door Staff A" in card
    assert card.count("ondertekend") == 1, card
    assert "Persoonlijke coach, ervaringscoach" in card

    await browser.log_in_as(world.coach_a)
    home = (await browser.get("/", headers=NL)).text
    assert "Ervaringscoach" in home
    assert "· Coach<" not in home


async def test_her_roster_page_does_not_talk_about_her_shifts(browser: Browser, world: World) -> None:
    now = local_now()
    await roster(browser, world, [(world.coach_a, "coach", now - timedelta(hours=1), now + timedelta(hours=3))])
    await browser.log_in_as(world.participant_a)
    page = (await browser.get("/roster", headers=NL)).text
    assert "Coach A" in page, "she sees who is on duty"
    for words in ("Jouw volgende diensten", "Je hebt de komende twee weken geen dienst", "je eigen diensten"):
        assert words not in page, f"a participant has no shifts: {words}"
    await browser.log_in_as(world.coach_a)
    page = (await browser.get("/roster", headers=NL)).text
    assert "Jouw volgende diensten" in page


async def test_the_modules_pages_keep_the_programme_tabs(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.staff_a)
    for page_name in ("modules", "completion"):
        page = (await browser.get(f"/manage/programmes/{world.programme_a}/{page_name}", headers=NL)).text
        tabs = page.split('class="sub-nav"')[1].split("</nav>")[0]
        for tab in ("people", "groups", "assignments", "roster", "settings"):
            assert f'href="/manage/programmes/{world.programme_a}/{tab}"' in tabs, f"{page_name}: no {tab} tab"
        assert f'href="/manage/programmes/{world.programme_a}/modules" aria-current="page">Modules<' in tabs
        below = page.split('class="link-row modules-nav"')[1].split("</nav>")[0]
        assert f'href="/manage/programmes/{world.programme_a}/{page_name}" aria-current="page"' in below


async def test_give_an_assignment_from_her_assignments_chooses_her(
    app: FastAPI, browser: Browser, world: World
) -> None:
    await world_keys(app, world)
    await published_module(browser, world)
    await browser.log_in_as(world.coach_a)
    hers = f"/caseload/programmes/{world.programme_a}/participants/{world.participant_a}/assignments"
    page = await browser.get(hers, headers=NL)
    assert page.status_code == 200
    link = f"/programmes/{world.programme_a}/assign?participant_id={world.participant_a}"
    assert f'href="{link}"' in page.text
    form = (await browser.get(link, headers=NL)).text
    for select in ("participant_id", "personal_participant"):  # a module's assignment, or her own words
        chosen = form.split(f'name="{select}"')[1].split("</select>")[0]
        assert f'<option value="{world.participant_a}" selected>' in chosen, select
