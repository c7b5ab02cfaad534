"""The demo as a newcomer walks it: Fatima has an assignment with lessons to do soon, so her home
shows something to do; the demo leaves no sessions behind that her account page would list as an
unknown device; and running it again changes nothing."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from sqlalchemy import func, select

from eportfolio import demo
from eportfolio.accounts.tables import Account, Session
from eportfolio.assignments.tables import ModuleAssignment
from eportfolio.kit.clock import utcnow
from eportfolio.kit.uow import unit_of_work
from eportfolio.modules.tables import ModuleVersion
from eportfolio.notifications.tables import Notification
from tests.support.client import Browser
from tests.support.keyring_client import KeyringClient


async def test_fatima_has_an_assignment_with_lessons_due_soon_on_her_home(app: FastAPI) -> None:
    await demo.load(app.state.sessionmaker)
    async with unit_of_work(app.state.sessionmaker) as uow:
        fatima = (await uow.session.execute(select(Account.person_id).where(Account.login == "fatima"))).scalar_one()
        given = (
            await uow.session.execute(select(ModuleAssignment).where(ModuleAssignment.participant_id == fatima))
        ).scalars().all()
        assert len(given) == 1
        assignment = given[0]
        version = await uow.session.get(ModuleVersion, assignment.module_version_id)
        assert version is not None
        assert version.lessons, "lessons to read before the questions"
        today = utcnow().astimezone(ZoneInfo("Europe/Amsterdam")).date()
        assert assignment.due_on is not None
        assert today < assignment.due_on <= today + timedelta(days=7)
        assert assignment.status == "assigned"
        notices = await uow.session.execute(
            select(Notification.kind).where(Notification.person_id == fatima)
        )
        assert list(notices.scalars()) == ["assignment_given"]

    async with Browser(app) as browser:
        await KeyringClient(browser).login("fatima", demo.demo_password("fatima"))
        browser.http.cookies.set("ep_lang", "nl")
        home = (await browser.get("/")).text
        assert 'data-today-item="due"' in home
        assert "Mijn maandbudget" in home
        assert "Vandaag niets nieuws." not in home

    again = await demo.load(app.state.sessionmaker)
    assert again.created == []
    async with unit_of_work(app.state.sessionmaker) as uow:
        count = await uow.session.execute(select(func.count()).select_from(ModuleAssignment))
        assert count.scalar_one() == 1


async def test_the_demo_leaves_no_sessions_of_its_own(app: FastAPI) -> None:
    await demo.load(app.state.sessionmaker)
    await demo.load(app.state.sessionmaker)
    async with unit_of_work(app.state.sessionmaker) as uow:
        live = await uow.session.execute(select(func.count()).select_from(Session).where(Session.ended_at.is_(None)))
        assert live.scalar_one() == 0, "no session a person never started stays open"

    async with Browser(app) as browser:
        await KeyringClient(browser).login("fatima", demo.demo_password("fatima"))
        browser.http.cookies.set("ep_lang", "nl")
        account = (await browser.get("/account")).text
        # Only the session she just started is listed (this browser, without a log-out button).
        assert 'action="/account/sessions/' not in account, "no other session to log out"
        async with unit_of_work(app.state.sessionmaker) as uow:
            fatima = (
                await uow.session.execute(select(Account.person_id).where(Account.login == "fatima"))
            ).scalar_one()
            live = await uow.session.execute(
                select(Session.user_agent).where(Session.person_id == fatima, Session.ended_at.is_(None))
            )
            assert demo.DEMO_USER_AGENT not in list(live.scalars())
