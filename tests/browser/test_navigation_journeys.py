"""Every screen of each role reached by clicking only, in real Chromium.

Each person logs in on the login page (the one ``goto``), lands on ``/`` and from there clicks
through the menu and the links on the pages; a mother and her coach do it on a 360 px phone, where
no screen may be wider than the phone. With ``EPORTFOLIO_SCREENSHOTS=docs/guides/img`` the journeys
also take the screenshots of the guides in ``docs/guides/``.

"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from eportfolio.assignments.tables import ModuleAssignment
from eportfolio.domain.people import Role
from eportfolio.kit.clock import utcnow
from eportfolio.kit.db import make_engine, make_sessionmaker
from eportfolio.kit.uow import unit_of_work
from tests.support.browser import DESKTOP, PHONE
from tests.support.caseload import seed_caseload
from tests.support.live import LiveServer
from tests.support.portfolio_journey import cast
from tests.support.signup import PASSWORD, Keyring, invitation
from tests.support.world import World

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("EPORTFOLIO_SCREENSHOTS")  # a folder for the guides' screenshots, when set
KEY_WORK_MS = 60_000  # Argon2id at 64 MiB in the browser on a slow, shared machine
# A phone for the guides: 360 px wide, one device pixel per CSS pixel to keep the pictures small.
GUIDE_PHONE = {**PHONE, "device_scale_factor": 1}


class Journey:
    """One person's browser, clicking; each screen is checked (and photographed) on arrival."""

    def __init__(self, page: Any, server: LiveServer, role: str, *, phone: bool) -> None:
        self.page = page
        self.server = server
        self.role = role
        self.phone = phone
        self.errors: list[str] = []
        self.seen: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    async def log_in(self, login: str) -> None:
        await self.page.goto(f"{self.server.url}/login")
        await self.screen("login", shot="login" if self.role == "participant" else None)
        assert await self.page.locator("a[href='/recover']").count() == 1, "forgot password: the recovery code"
        await self.page.fill("#f-login", login)
        await self.page.fill("#f-password", PASSWORD)
        await self.page.click("#login-form button[type=submit]")
        await self.page.wait_for_url(f"{self.server.url}/", timeout=KEY_WORK_MS)

    async def click(self, selector: str, path: str) -> None:
        """Click and arrive at ``path`` (a glob after the server's address)."""
        await self.page.locator(selector).first.click()
        await self.page.wait_for_url(f"{self.server.url}{path}", timeout=30_000)
        await self.page.wait_for_load_state()

    async def menu(self, key: str, path: str) -> None:
        """A tap on the menu bar; the item is marked as the current page afterwards."""
        await self.click(f"nav.nav a[data-nav={key}]", path)
        await self.page.wait_for_selector(f"nav.nav a[data-nav={key}][aria-current=page]")

    async def more(self) -> None:
        await self.click("a.menu-link", "/menu")

    async def screen(self, name: str, *, shot: str | None = None) -> None:
        self.seen.append(name)
        if SHOTS and shot:
            await self.page.screenshot(path=str(Path(SHOTS) / f"{self.role}-{shot}.png"))
        if self.phone:
            width = await self.page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, f"{self.role} {name}: {width}px wide on a 360px phone"
            # The menu and the quick exit are reachable on every screen of a signed-in person.
            if name != "login":
                assert await self.page.locator("a.quick-exit").is_visible()
                assert await self.page.locator("nav.nav").is_visible()


async def _open(chromium: Any, server: LiveServer, role: str, *, phone: bool) -> Journey:
    context = await chromium.new_context(**(GUIDE_PHONE if phone else DESKTOP))
    return Journey(await context.new_page(), server, role, phone=phone)


async def _sign_up(server: LiveServer, database_url: str, world: World, person: Any, role: Role, login: str) -> None:
    keyring = Keyring(server)
    try:
        await keyring.sign_up(await invitation(database_url, world, person, role, world.programme_a), login)
    finally:
        await keyring.http.aclose()


async def _her_journey(chromium: Any, server: LiveServer, world: World) -> Journey:
    a = world.programme_a
    her = await _open(chromium, server, "participant", phone=True)
    await her.log_in("mother.a")
    await her.screen("home", shot="home")
    assert await her.page.locator("[data-today-item=feedback]").count() == 1
    assert await her.page.locator("[data-today-item=due]").count() == 1
    # One tap to write in her portfolio (her browser makes its key and shares it with her coach).
    await her.click("[data-today-action=write]", f"/portfolio/programmes/{a}")
    await her.page.wait_for_selector("#portfolio-app[data-ready=true]", timeout=30_000)
    await her.screen("portfolio", shot="portfolio")
    await her.menu("assignments", "/my/assignments")
    await her.screen("assignments", shot="assignments")
    await her.menu("chat", "/chat")
    await her.screen("chat list")
    await her.menu("home", "/")
    # One tap to chat with her coach: the conversation is started and opened.
    await her.click("[data-today-action=chat]", "/chat/*")
    await her.page.wait_for_selector("#chat-app[data-ready=true]", timeout=30_000)
    await her.page.wait_for_selector("nav.nav a[data-nav=chat][aria-current=page]")
    await her.screen("conversation", shot="chat")
    await her.menu("notifications", "/notifications")
    await her.screen("notifications", shot="notifications")
    await her.menu("portfolio", "/portfolio")
    await her.screen("portfolio list")
    await her.more()
    await her.screen("more", shot="more")
    await her.click("a.menu-list__item[data-nav=growth]", f"/growth/programmes/{a}/participants/*")
    await her.page.wait_for_selector("#growth[data-ready=true]", timeout=30_000)
    await her.screen("growth")
    for key, path, name in (
        ("trajectory", "/my/trajectory", "trajectory"),
        ("appointments", "/appointments", "calendar"),
        ("trainings", "/trainings", "trainings"),
    ):
        await her.more()
        await her.click(f"a.menu-list__item[data-nav={key}]", path)
        await her.screen(name)
    await her.more()
    await her.click("a[href='/account']", "/account")
    await her.screen("account")
    await her.menu("home", "/")
    await her.click(f"a[href='/recovery/programmes/{a}/consent']", f"/recovery/programmes/{a}/consent")
    await her.screen("help if you lose everything")
    assert not her.errors, her.errors
    return her


async def _his_journey(chromium: Any, server: LiveServer, world: World) -> Journey:
    a, mother = world.programme_a, world.participant_a
    him = await _open(chromium, server, "coach", phone=True)
    await him.log_in("coach.a")
    await him.screen("today", shot="today")
    assert await him.page.locator("nav.nav a[data-nav=roster]").count() == 1, "his roster is in his menu"
    await him.menu("caseload", "/caseload")
    await him.screen("caseload", shot="caseload")
    row = f"li.caseload-row[data-participant-id='{mother}']"
    await him.click(f"{row} a[data-open=portfolio]", "/portfolio/*")
    await him.page.wait_for_selector("#portfolio-app[data-ready=true]", timeout=30_000)
    await him.screen("her portfolio", shot="portfolio")
    await him.menu("caseload", "/caseload")
    await him.click(f"{row} a[data-open=assignments]", f"/caseload/programmes/{a}/participants/{mother}/assignments")
    await him.screen("her assignments")
    # From her assignments: the form has her chosen already.
    await him.click(f"a[href='/programmes/{a}/assign?participant_id={mother}']", f"/programmes/{a}/assign*")
    await him.screen("give an assignment")
    await him.menu("caseload", "/caseload")
    await him.click(f"{row} a[data-open=growth]", f"/growth/programmes/{a}/participants/{mother}")
    await him.page.wait_for_selector("#growth[data-ready=true]", timeout=30_000)
    await him.screen("her growth")
    for key, path, name in (
        ("trajectory", f"/caseload/programmes/{a}/participants/{mother}/trajectory", "her trajectory"),
        ("appointments", f"/appointments/programmes/{a}/participants/{mother}", "her appointments"),
    ):
        await him.menu("caseload", "/caseload")
        await him.click(f"{row} a[data-open={key}]", path)
        await him.screen(name)
    await him.menu("caseload", "/caseload")
    await him.click(f"{row} a[data-open=chat]", "/chat/*")
    await him.page.wait_for_selector("#chat-app[data-ready=true]", timeout=30_000)
    await him.screen("her chat", shot="chat")
    await him.menu("chat", "/chat")
    await him.screen("chat list")
    await him.menu("review", "/review")
    await him.screen("review", shot="review")
    await him.menu("roster", "/roster")
    await him.screen("roster")
    await him.more()
    await him.screen("more")
    await him.click("a.menu-list__item[data-nav=notifications]", "/notifications")
    await him.screen("notifications")
    for key, path, name in (
        ("appointments", "/appointments", "his calendar"),
        ("trainings", "/trainings", "trainings"),
    ):
        await him.more()
        await him.click(f"a.menu-list__item[data-nav={key}]", path)
        await him.screen(name)
    await him.more()
    await him.click("a[href='/account']", "/account")
    await him.screen("account")
    await him.menu("home", "/")
    assert not him.errors, him.errors
    return him


async def test_she_and_her_coach_reach_every_screen_by_clicking_on_a_phone(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    await cast(server, database_url, world)
    engine = make_engine(database_url)
    try:
        await seed_caseload(
            make_sessionmaker(engine), organisation_id=world.organisation_id, programme_id=world.programme_a,
            coach_id=world.coach_a, signer_id=world.staff_a, count=4,
            names=["Samira Bakker", "Fatma Yilmaz", "Lisa de Vries", "Naomi Martina"],
        )
        async with unit_of_work(make_sessionmaker(engine)) as uow:
            # Something for her today: feedback to read and an assignment due in three days.
            for status, due in (("feedback_given", None), ("assigned", utcnow().date() + timedelta(days=3))):
                uow.session.add(ModuleAssignment(
                    organisation_id=world.organisation_id, programme_id=world.programme_a,
                    participant_id=world.participant_a, assigned_by=world.coach_a, kind="personal", status=status,
                    due_on=due, feedback_at=utcnow() if due is None else None,
                ))
    finally:
        await engine.dispose()
    her = await _her_journey(chromium, server, world)
    assert her.seen == [
        "login", "home", "portfolio", "assignments", "chat list", "conversation", "notifications",
        "portfolio list", "more", "growth", "trajectory", "calendar", "trainings", "account",
        "help if you lose everything",
    ]
    him = await _his_journey(chromium, server, world)
    assert him.seen == [
        "login", "today", "caseload", "her portfolio", "her assignments", "give an assignment", "her growth",
        "her trajectory", "her appointments", "her chat", "chat list", "review", "roster", "more", "notifications",
        "his calendar", "trainings", "account",
    ]


async def test_staff_reach_what_they_manage_by_clicking(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    a = world.programme_a
    await _sign_up(server, database_url, world, world.staff_a, Role.staff, "staff.a")
    staff = await _open(chromium, server, "staff", phone=False)
    await staff.log_in("staff.a")
    await staff.screen("home", shot="home")
    await staff.menu("manage", f"/manage/programmes/{a}")
    await staff.screen("programme", shot="programme")
    # The programme's own menu, on the modules pages too (with the modules' own links under it).
    parts = ("groups", "trajectory", "assignments", "trainings", "instruments", "roster", "intake", "invitations")
    parts += ("keys", "settings")
    for part in (*parts, "modules", "", "people"):
        target = f"/manage/programmes/{a}/{part}".rstrip("/")
        await staff.click(f".sub-nav a[href='{target}']", target)
        await staff.page.wait_for_selector("nav.nav a[data-nav=manage][aria-current=page]")
        await staff.screen(part or "overview", shot=part if part in ("people", "assignments") else None)
    person = f"/manage/programmes/{a}/people/{world.participant_a}"
    await staff.click(f"a[href='{person}']", person)
    await staff.screen("her page", shot="person")
    reset = f"/recovery/programmes/{a}/people/{world.participant_a}/reset"
    await staff.click(f"a[href='{reset}']", reset)
    await staff.screen("coach-assisted reset")
    await staff.menu("chat", "/chat")
    await staff.screen("chat")
    await staff.menu("roster", "/roster")
    await staff.screen("who is on duty")
    await staff.menu("notifications", "/notifications")
    await staff.screen("notifications")
    await staff.more()
    await staff.click("a[href='/account']", "/account")
    await staff.screen("account")
    await staff.menu("home", "/")
    assert not staff.errors, staff.errors
    assert staff.seen == [
        "login", "home", "programme", "groups", "trajectory", "assignments", "trainings", "instruments", "roster",
        "intake", "invitations", "keys", "settings", "modules", "overview", "people", "her page",
        "coach-assisted reset", "chat",
        "who is on duty", "notifications", "account",
    ]


async def test_a_supervisor_reaches_his_inbox_and_reviews_by_clicking_on_a_phone(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    await _sign_up(server, database_url, world, world.supervisor_a, Role.supervisor, "supervisor.a")
    him = await _open(chromium, server, "supervisor", phone=True)
    await him.log_in("supervisor.a")
    await him.screen("home", shot="home")
    await him.menu("chat", "/chat")
    await him.screen("inbox", shot="inbox")
    await him.menu("review", "/review")
    await him.screen("review")
    await him.menu("roster", "/roster")
    await him.screen("roster")
    await him.menu("notifications", "/notifications")
    await him.screen("notifications")
    await him.more()
    await him.screen("more")
    await him.click("a[href='/account']", "/account")
    await him.screen("account")
    await him.menu("home", "/")
    assert not him.errors, him.errors
