"""The hot pages and endpoints send a fixed number of SQL statements, whatever the amount of data:
each is requested in a small world and again after three times as much was added, and the count
must be the same and equal to the pinned number, so a query per row (or one more per page) shows up
here as a failing test rather than as a slower benchmark. The first request of a session writes
its last-seen time, so each page is requested once before it is counted."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from types import SimpleNamespace

from fastapi import FastAPI

from eportfolio.chat.tables import Conversation
from eportfolio.kit.uow import unit_of_work
from tests.support.caseload import seed_caseload
from tests.support.client import Browser
from tests.support.factories import (
    ConversationFactory,
    MarkerFactory,
    MembershipFactory,
    MessageFactory,
    ModuleAssignmentFactory,
    PersonFactory,
    PortfolioFactory,
    PortfolioItemFactory,
    flush_in_order,
)
from tests.support.queries import counted
from tests.support.world import World

Grow = Callable[[int], Awaitable[None]]


async def _statements(app: FastAPI, browser: Browser, url: str) -> list[str]:
    await browser.get(url)  # warm: the session's first use writes its last-seen time
    with counted(app) as statements:
        answer = await browser.get(url)
    assert answer.status_code == 200, answer.text
    return statements


async def _same_for_more(app: FastAPI, browser: Browser, url: str, grow: Grow, small: int) -> tuple[int, int]:
    """Statements of ``url`` after ``grow(small)``, and after growing to three times as much."""
    await grow(small)
    few = await _statements(app, browser, url)
    await grow(2 * small)
    many = await _statements(app, browser, url)
    return len(few), len(many)


def _programme_a(world: World) -> SimpleNamespace:
    return SimpleNamespace(id=world.programme_a, organisation_id=world.organisation_id)


async def _her_things(app: FastAPI, world: World) -> tuple[uuid.UUID, uuid.UUID]:
    """Her portfolio and her coaching conversation, empty."""
    async with unit_of_work(app.state.sessionmaker) as uow:
        programme = _programme_a(world)
        portfolio = PortfolioFactory.add(uow.session, programme=programme, participant_id=world.participant_a)
        conversation = ConversationFactory.add(
            uow.session, programme=programme, participant_id=world.participant_a, coach_id=world.coach_a
        )
        await flush_in_order(uow.session)
        return portfolio.id, conversation.id


def _her_growth(app: FastAPI, world: World, portfolio_id: uuid.UUID, conversation_id: uuid.UUID) -> Grow:
    """Adds ``n`` items to her portfolio, ``n`` messages to her conversation, ``n`` assignments."""
    seqs = [0]

    async def grow(n: int) -> None:
        programme = _programme_a(world)
        async with unit_of_work(app.state.sessionmaker) as uow:
            session = uow.session
            PortfolioItemFactory.add_batch(
                session, n, programme=programme, portfolio_id=portfolio_id, author_id=world.participant_a
            )
            for _ in range(n):
                seqs[0] += 1
                author = world.participant_a if seqs[0] % 2 else world.coach_a
                MessageFactory.add(
                    session, programme=programme, conversation_id=conversation_id, seq=seqs[0], author_id=author
                )
            ModuleAssignmentFactory.add_batch(
                session, n, programme=programme, participant_id=world.participant_a, assigned_by=world.coach_a
            )
            await flush_in_order(session)
            conversation = await session.get(Conversation, conversation_id)
            assert conversation is not None
            conversation.last_seq = seqs[0]

    return grow


def _coach_growth(app: FastAPI, world: World) -> Grow:
    """Adds ``n`` participants of Coach A, each with a little of everything (tests/support/caseload.py)."""

    async def grow(n: int) -> None:
        await seed_caseload(
            app.state.sessionmaker, count=n, name=f"Extra {uuid.uuid4().hex[:4]}",
            organisation_id=world.organisation_id, programme_id=world.programme_a,
            coach_id=world.coach_a, signer_id=world.staff_a,
        )

    return grow


async def test_her_home(app: FastAPI, world: World, browser: Browser) -> None:
    portfolio, conversation = await _her_things(app, world)
    await browser.log_in_as(world.participant_a)
    few, many = await _same_for_more(app, browser, "/", _her_growth(app, world, portfolio, conversation), 4)
    assert few == many
    assert few == HOME


async def test_her_portfolio_items(app: FastAPI, world: World, browser: Browser) -> None:
    portfolio, conversation = await _her_things(app, world)
    await browser.log_in_as(world.participant_a)
    url = f"/api/v1/portfolio/{portfolio}/items"
    few, many = await _same_for_more(app, browser, url, _her_growth(app, world, portfolio, conversation), 5)
    assert few == many
    assert few == PORTFOLIO_ITEMS


async def test_the_coaches_portfolio_list(app: FastAPI, world: World, browser: Browser) -> None:
    await browser.log_in_as(world.coach_a)
    few, many = await _same_for_more(app, browser, "/portfolio", _coach_growth(app, world), 3)
    assert few == many
    assert few == COACH_PORTFOLIOS


async def test_the_coaches_chat_list(app: FastAPI, world: World, browser: Browser) -> None:
    await browser.log_in_as(world.coach_a)
    few, many = await _same_for_more(app, browser, "/chat", _coach_growth(app, world), 3)
    assert few == many
    assert few == COACH_CHAT_LIST


async def test_her_conversation_history(app: FastAPI, world: World, browser: Browser) -> None:
    portfolio, conversation = await _her_things(app, world)
    async with unit_of_work(app.state.sessionmaker) as uow:
        MarkerFactory.add(uow.session, programme=_programme_a(world), conversation_id=conversation,
                          person_id=world.participant_a)
    await browser.log_in_as(world.participant_a)
    url = f"/api/v1/chat/conversations/{conversation}/messages"
    few, many = await _same_for_more(app, browser, url, _her_growth(app, world, portfolio, conversation), 10)
    assert few == many
    assert few == HISTORY


async def test_the_coaches_caseload(app: FastAPI, world: World, browser: Browser) -> None:
    await browser.log_in_as(world.coach_a)
    few, many = await _same_for_more(app, browser, "/caseload", _coach_growth(app, world), 3)
    assert few == many
    assert few == CASELOAD


async def test_the_coaches_review_queue(app: FastAPI, world: World, browser: Browser) -> None:
    await browser.log_in_as(world.coach_a)
    few, many = await _same_for_more(app, browser, "/review", _coach_growth(app, world), 4)
    assert few == many
    assert few == REVIEW_QUEUE


async def test_the_staff_people_list(app: FastAPI, world: World, browser: Browser) -> None:
    async def grow(n: int) -> None:
        async with unit_of_work(app.state.sessionmaker) as uow:
            session = uow.session
            for person in PersonFactory.add_batch(session, n, organisation_id=world.organisation_id):
                MembershipFactory.add(session, programme=_programme_a(world), person_id=person.id)
            await flush_in_order(session)

    await browser.log_in_as(world.staff_a)
    few, many = await _same_for_more(app, browser, f"/manage/programmes/{world.programme_a}/people", grow, 10)
    assert few == many
    assert few == PEOPLE_LIST


# Statements per page, the same on SQLite and PostgreSQL: session with person, roles, the menu's counts, the
# page's own reads, and the access log's insert.
HOME = 27  # with her next appointment: its programme and the appointment
PORTFOLIO_ITEMS = 11
HISTORY = 8
CASELOAD = 7
REVIEW_QUEUE = 13
PEOPLE_LIST = 9
COACH_PORTFOLIOS = 11
COACH_CHAT_LIST = 20
