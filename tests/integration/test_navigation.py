"""The menu of each role, the same on every page: what is in the bar, what is under "More", the
current page marked, counts that matter, and a fixed number of statements for them; her "today"
on the home page; the links a newcomer missed (forgot password, the coach-assisted reset)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from types import SimpleNamespace

from fastapi import FastAPI

from eportfolio.assignments.tables import ModuleAssignment
from eportfolio.chat.tables import Conversation
from eportfolio.kit.clock import utcnow
from eportfolio.kit.dates import format_day
from eportfolio.kit.uow import unit_of_work
from eportfolio.notifications.tables import Notification
from eportfolio.programmes.tables import CoachAssignment, Membership
from tests.support.client import Browser
from tests.support.factories import (
    ConversationFactory,
    MarkerFactory,
    ModuleAssignmentFactory,
    PortfolioFactory,
    PortfolioItemFactory,
    flush_in_order,
)
from tests.support.queries import counted
from tests.support.world import World


def bar(page: str) -> list[str]:
    block = page[page.index('<nav class="nav"'):]
    block = block[: block.index("</nav>")]
    return re.findall(r'<a class="nav__item" href="([^"]+)"', block)


def current(page: str) -> list[str]:
    return re.findall(r'href="([^"]+)" data-nav="[^"]+" aria-current="page"', page)


def badge(page: str, key: str) -> str | None:
    found = re.search(rf'data-nav="{key}"[^>]*>.*?</a>', page, re.S)
    assert found, key
    count = re.search(r'class="nav__badge" data-count="(\d+)"', found.group(0))
    return count.group(1) if count else None


async def test_each_role_has_its_own_bar_of_at_most_five(app: FastAPI, world: World, browser: Browser) -> None:
    a = world.programme_a
    expected = {
        world.participant_a: ["/", "/portfolio", "/my/assignments", "/chat", "/notifications"],
        world.coach_a: ["/", "/caseload", "/chat", "/review", "/roster"],
        world.supervisor_a: ["/", "/chat", "/review", "/roster", "/notifications"],
        world.staff_a: ["/", f"/manage/programmes/{a}", "/chat", "/roster", "/notifications"],
        world.admin: ["/", "/manage", "/roster", "/notifications"],  # no chat: none is hers
    }
    for person, hrefs in expected.items():
        await browser.log_in_as(person)
        page = (await browser.get("/")).text
        assert bar(page) == hrefs, (person, bar(page))
        assert current(page) == ["/"]
        assert 'href="/menu"' in page, "More on every page"
        assert 'href="/quick-exit"' in page, "the quick exit on every page"
    await browser.log_in_as(world.coach_a)
    page = (await browser.get("/")).text
    assert ">Vandaag<" in page
    assert ">Deelnemers<" in page
    assert ">Rooster<" in page
    menu = (await browser.get("/menu")).text
    assert 'href="/notifications"' in menu, "what did not fit the bar is under More"
    assert 'href="/account"' in menu
    assert 'action="/logout"' in menu
    assert current(menu) == ["/menu"]


async def test_the_current_item_is_marked_on_deeper_pages(app: FastAPI, world: World, browser: Browser) -> None:
    await browser.log_in_as(world.participant_a)
    assert current((await browser.get("/my/assignments")).text) == ["/my/assignments"]
    assert current((await browser.get("/notifications")).text) == ["/notifications"]
    assert current((await browser.get("/chat")).text) == ["/chat"]
    await browser.log_in_as(world.coach_a)
    assert current((await browser.get("/caseload")).text) == ["/caseload"]
    assert current((await browser.get("/review")).text) == ["/review"]
    await browser.log_in_as(world.staff_a)
    people = (await browser.get(f"/manage/programmes/{world.programme_a}/people")).text
    assert current(people) == [f"/manage/programmes/{world.programme_a}"]


async def _her_news(app: FastAPI, world: World, notices: int) -> None:
    async with unit_of_work(app.state.sessionmaker) as uow:
        for _ in range(notices):
            uow.session.add(Notification(
                organisation_id=world.organisation_id, programme_id=world.programme_a,
                person_id=world.participant_a, kind="due_soon", subject_id=uuid.uuid4(), link="/my/assignments",
                params={"due_on": "2026-12-24"},
            ))
            uow.session.add(ModuleAssignment(
                organisation_id=world.organisation_id, programme_id=world.programme_a,
                participant_id=world.participant_a, kind="personal", status="assigned",
            ))


async def test_her_counts_are_badges_and_cost_the_same_statements_however_many(
    app: FastAPI, world: World, browser: Browser
) -> None:
    await browser.log_in_as(world.participant_a)
    await browser.get("/menu")
    with counted(app) as quiet:
        page = (await browser.get("/menu")).text
    assert badge(page, "notifications") is None
    await _her_news(app, world, 1)
    page = (await browser.get("/menu")).text
    assert badge(page, "notifications") == "1"
    assert badge(page, "assignments") == "1"
    await _her_news(app, world, 11)
    with counted(app) as busy:
        page = (await browser.get("/menu")).text
    assert badge(page, "notifications") == "12"
    assert badge(page, "assignments") == "12"
    assert len(busy) == len(quiet) <= 6, busy  # session, her roles (2), the counts (1)


async def test_a_coach_sees_what_waits_for_review_and_unread_chat(app: FastAPI, world: World, browser: Browser) -> None:
    async with unit_of_work(app.state.sessionmaker) as uow:
        row = await uow.session.get(CoachAssignment, world.assignment_a)
        assert row is not None
        row.signed_record, row.signed_by = "c2lnbmVk", world.staff_a  # counts for the menu
        uow.session.add(ModuleAssignment(
            organisation_id=world.organisation_id, programme_id=world.programme_a, participant_id=world.participant_a,
            kind="personal", status="submitted", submitted_at=utcnow(),
        ))
        uow.session.add(Conversation(
            organisation_id=world.organisation_id, programme_id=world.programme_a, kind="coaching",
            subject_key=f"coaching:{world.participant_a}", participant_id=world.participant_a, last_seq=3, epoch=1,
        ))
    await browser.log_in_as(world.coach_a)
    page = (await browser.get("/")).text
    assert badge(page, "review") == "1"
    assert badge(page, "chat") == "3"
    assert "1 antwoord om na te kijken" in page, "his today"
    assert 'data-today-action="caseload">1 deelnemer</a>' in page, "one participant, not 'Alle 1 deelnemers'"
    await browser.log_in_as(world.supervisor_a)
    assert badge((await browser.get("/")).text, "chat") is None, "not his conversation"


async def test_her_home_is_today(app: FastAPI, world: World, browser: Browser) -> None:
    today = utcnow().date()
    programme = SimpleNamespace(id=world.programme_a, organisation_id=world.organisation_id)
    her = {"programme": programme, "participant_id": world.participant_a}
    async with unit_of_work(app.state.sessionmaker) as uow:
        session = uow.session
        conversation = ConversationFactory.add(session, **her, last_seq=4)
        MarkerFactory.add(session, programme=programme, conversation_id=conversation.id,
                          person_id=world.participant_a, delivered_seq=4, read_seq=2)
        feedback = ModuleAssignmentFactory.add(session, **her, status="feedback_given", feedback_at=utcnow())
        due = ModuleAssignmentFactory.add(session, **her, due_on=today + timedelta(days=3))
        ModuleAssignmentFactory.add(session, **her, due_on=today + timedelta(days=9))
        # Her portfolio before her browser made its first key (epoch 0).
        portfolio = PortfolioFactory.add(session, **her, epoch=0, epoch_key_id=None)
        for when, status in ((today + timedelta(days=2), "in_progress"), (today - timedelta(days=5), "done")):
            PortfolioItemFactory.add(
                session, programme=programme, portfolio_id=portfolio.id, kind="goal_plan", audience="only_me",
                author_id=world.participant_a, envelope="ZW52", occurred_on=when, status=status, progress=25,
            )
        await flush_in_order(session)
    await browser.log_in_as(world.participant_a)
    page = (await browser.get("/")).text
    assert f'href="/chat/{conversation.id}" data-today-item="reply"' in page
    assert "Je coach schreef terug: 2 nieuwe berichten" in page
    assert f'/assignments/{feedback.id}" data-today-item="feedback"' in page
    assert f'/assignments/{due.id}" data-today-item="due"' in page, "the soonest due"
    assert f"Doe vóór {format_day(today + timedelta(days=3), 'nl')}" in page, "a day in her words, not ISO"
    assert f"Je volgende doelstap: vóór {format_day(today + timedelta(days=2), 'nl')} · 25% klaar" in page
    assert f'href="/portfolio/programmes/{world.programme_a}" data-today-action="write"' in page
    assert f'href="/chat/{conversation.id}" data-today-action="chat"' in page
    assert "Je coaches" in page, "what was on her home page stays"
    assert "/consent" in page, "what was on her home page stays"
    # Without a conversation yet, one tap starts it (a plain form).
    await browser.log_in_as(world.participant_a2)
    page = (await browser.get("/")).text
    assert f'action="/chat/programmes/{world.programme_a}/coaching"' in page
    assert "Vandaag niets nieuws." in page


async def test_the_links_a_newcomer_missed(app: FastAPI, world: World, browser: Browser) -> None:
    login = (await browser.get("/login")).text
    assert 'href="/recover"' in login
    assert "Wachtwoord vergeten? Gebruik je herstelcode" in login
    assert '<nav class="nav"' not in login, "no menu before she logs in"
    await browser.log_in_as(world.staff_a)
    reset = f"/recovery/programmes/{world.programme_a}/people/{world.participant_a}/reset"
    her = (await browser.get(f"/manage/programmes/{world.programme_a}/people/{world.participant_a}")).text
    assert f'href="{reset}"' in her
    assert (await browser.get(reset)).status_code == 200
    coach = (await browser.get(f"/manage/programmes/{world.programme_a}/people/{world.coach_a}")).text
    assert "/reset" not in coach, "a reset is for participants"


async def test_several_roles_get_one_short_merged_menu(app: FastAPI, world: World, browser: Browser) -> None:
    """Staff who also coach: what they do most in the bar (at most five), the rest under More."""
    async with unit_of_work(app.state.sessionmaker) as uow:
        uow.session.add(Membership(
            organisation_id=world.organisation_id, programme_id=world.programme_a, person_id=world.staff_a,
            role="coach", coach_kind="individual",
        ))
    await browser.log_in_as(world.staff_a)
    page = (await browser.get("/")).text
    assert bar(page) == ["/", "/caseload", f"/manage/programmes/{world.programme_a}", "/chat", "/review"]
    menu = (await browser.get("/menu")).text
    more = menu[menu.index('<ul class="menu-list">'):]
    assert re.findall(r'class="menu-list__item" href="([^"]+)"', more)[:2] == ["/roster", "/notifications"]


async def test_a_refused_form_keeps_the_menu(app: FastAPI, world: World, browser: Browser) -> None:
    """A form shown again after a refusal is a page like any other: with her menu, not as if she
    were logged out."""
    await browser.log_in_as(world.staff_a)
    refused = await browser.post_form(f"/manage/programmes/{world.programme_a}/groups", {"name": ""})
    assert refused.status_code == 422
    assert bar(refused.text), "the menu bar is there"
    assert 'data-nav="manage"' in refused.text


async def test_her_menu_uses_the_words_of_her_home(app: FastAPI, world: World, browser: Browser) -> None:
    await browser.log_in_as(world.participant_a)
    home = (await browser.get("/")).text
    menu = (await browser.get("/menu")).text
    for href, words in (("/appointments", "Mijn agenda"), ("/my/trajectory", "Mijn traject")):
        assert words in home
        link = re.search(r'<a[^>]*href="' + re.escape(href) + r'"[^>]*>(.*?)</a>', menu, re.S)
        assert link is not None, href
        assert words in link.group(1), link.group(0)
    await browser.log_in_as(world.coach_a)
    menu = (await browser.get("/menu")).text
    link = re.search(r'<a[^>]*href="/appointments"[^>]*>(.*?)</a>', menu, re.S)
    assert link is not None
    assert "Agenda" in link.group(1)
    assert "Mijn agenda" not in link.group(1), "coaches keep Agenda"
