"""A coach's caseload: one row per participant with what waits, who needs him first, her portfolio,
chat and assignments one tap away, and a fixed number of statements however many she has."""

from __future__ import annotations

import re

from fastapi import FastAPI

from tests.support.caseload import seed_caseload
from tests.support.client import Browser
from tests.support.queries import counted
from tests.support.world import World

BOUND = 16  # session, roles, menu counts, programme, caseload, access log: far below one per person


async def _caseload_statements(app: FastAPI, browser: Browser) -> tuple[list[str], str]:
    await browser.get("/caseload")  # warm: the session's first use writes its last-seen time
    with counted(app) as statements:
        page = await browser.get("/caseload")
    assert page.status_code == 200, page.text
    return statements, page.text


async def test_the_caseload_costs_the_same_statements_for_2_and_for_20_participants(
    app: FastAPI, world: World, browser: Browser
) -> None:
    await browser.log_in_as(world.coach_a)
    common = {"organisation_id": world.organisation_id, "programme_id": world.programme_a,
              "coach_id": world.coach_a, "signer_id": world.staff_a}
    await seed_caseload(app.state.sessionmaker, count=2, name="Eerste", **common)
    few, page = await _caseload_statements(app, browser)
    assert page.count('class="card caseload-row') == 3, "the world's own participant and the two seeded"
    await seed_caseload(app.state.sessionmaker, count=18, name="Tweede", **common)
    many, page = await _caseload_statements(app, browser)
    assert page.count('class="card caseload-row') == 21
    assert len(many) == len(few), (few, many)
    assert len(few) <= BOUND, few


async def test_who_needs_him_first_is_on_top_with_what_waits_and_her_links(
    app: FastAPI, world: World, browser: Browser
) -> None:
    seeded = await seed_caseload(
        app.state.sessionmaker, organisation_id=world.organisation_id, programme_id=world.programme_a,
        coach_id=world.coach_a, signer_id=world.staff_a, count=6,
    )
    await browser.log_in_as(world.coach_a)
    page = (await browser.get("/caseload")).text
    rows = re.findall(r'data-participant-id="([^"]+)"', page)
    assert rows[0] == str(seeded.first), "her message waits longest for an answer"
    first = page[page.index(f'data-participant-id="{seeded.first}"'):]
    first = first[: first.index("</li>\n</ul>") if "</li>\n</ul>" in first else len(first)]
    row = first.split('<li class="card caseload-row')[0]
    assert "Wacht op antwoord" in row
    assert "2 ongelezen berichten" in row
    assert "1 antwoord om na te kijken" in row
    assert "Coach bevestigd" in row
    assert f"/caseload/programmes/{world.programme_a}/participants/{seeded.first}/assignments" in row
    assert 'href="/chat/' in row
    assert 'href="/portfolio/' in row
    # Participant 0: a goal plan due yesterday shared with her coaches, and the "only me" one not counted.
    zero = page[page.index(f'data-participant-id="{seeded.participants[0]}"'):]
    zero = zero.split('<li class="card caseload-row')[0]
    assert "1 doelstap te doen" in zero
    assert "1 opdracht te laat" in zero
    assert "Coach bevestigd" in zero
    def row_of(index: int) -> str:
        return page[page.index(f'data-participant-id="{seeded.participants[index]}"'):].split(
            '<li class="card caseload-row')[0]

    # Until the programme signed it (by someone else) her portfolio, chat and answers are closed to
    # him: nothing of them is counted or linked, and the row says why.
    five = row_of(5)
    assert "wacht op een tweede handtekening" in five, "participant 5's assignment was signed by the coach himself"
    assert "1 ongelezen bericht" in row_of(1)
    assert "ongelezen" not in five, "her 1 message is not his to count yet"
    assert "data-open=" not in five
    assert "zodra het programma je opdracht heeft ondertekend" in five
    four = row_of(4)
    assert "niet ondertekend" in four
    assert "na te kijken" not in four, "her answer handed in is not his to review yet"
    # A participant of another coach is not there; the world's own one is (not signed, nothing waits).
    assert "Mother A2" not in page
    assert "Mother A" in page


async def test_her_assignments_page_lists_what_was_given_to_her_only_for_her_coach(
    app: FastAPI, world: World, browser: Browser
) -> None:
    seeded = await seed_caseload(
        app.state.sessionmaker, organisation_id=world.organisation_id, programme_id=world.programme_a,
        coach_id=world.coach_a, signer_id=world.staff_a, count=1,
    )
    url = f"/caseload/programmes/{world.programme_a}/participants/{seeded.participants[0]}/assignments"
    await browser.log_in_as(world.coach_a)
    page = await browser.get(url)
    assert page.status_code == 200
    assert page.text.count(f"/programmes/{world.programme_a}/assignments/") == 2
    assert "Ingeleverd" in page.text
    await browser.log_in_as(world.supervisor_a)
    assert (await browser.get(url)).status_code in (403, 404)
    other = f"/caseload/programmes/{world.programme_a}/participants/{world.participant_a2}/assignments"
    await browser.log_in_as(world.coach_a)
    assert (await browser.get(other)).status_code == 404, "not in his caseload"
