"""The demo people sign up through the keyring as browsers do: their logins unlock real keys,
their coach assignments carry valid signatures, and running the demo again changes nothing."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import func, select

from eportfolio import demo
from eportfolio.accounts.tables import Account
from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.tables import Programme
from tests.support.client import Browser
from tests.support.keyring_client import KeyringClient


async def test_demo_people_log_in_with_the_printed_passwords_and_see_signed_assignments(app: FastAPI) -> None:
    report = await demo.load(app.state.sessionmaker)
    printed = {login: password for login, password, _ in report.logins}
    assert {"beheer", "staf.emmen", "coach.emmen", "begeleider.emmen", "fatima"} <= set(printed)

    async with Browser(app) as browser:
        fatima = await KeyringClient(browser).login("fatima", printed["fatima"])
        assert fatima.login == "fatima"
    async with Browser(app) as browser:
        await KeyringClient(browser).login("coach.emmen", printed["coach.emmen"])
        async with unit_of_work(app.state.sessionmaker) as uow:
            emmen = (await uow.session.execute(
                select(Programme.id).where(Programme.slug == "smart-mama-emmen"))).scalar_one()
        trust = (await browser.api("GET", f"/api/v1/trust/programmes/{emmen}/coach-assignments")).json()
        assert [row["status"] for row in trust] == ["signed", "signed"]

    again = await demo.load(app.state.sessionmaker)
    assert again.created == []
    assert again.logins == []
    async with unit_of_work(app.state.sessionmaker) as uow:
        accounts = (await uow.session.execute(select(func.count()).select_from(Account))).scalar_one()
    assert accounts == len(demo.PEOPLE)
