"""The demo people sign up through the keyring as browsers do: their logins unlock real keys,
their coach assignments carry valid signatures, and running the demo again changes nothing."""

from __future__ import annotations

import uuid
from unittest.mock import ANY

from fastapi import FastAPI
from sqlalchemy import func, select

from eportfolio import crypto, demo
from eportfolio.accounts.tables import Account
from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.tables import CoachAssignment, Group, Membership, Programme
from eportfolio.trust.tables import ProgrammeKey
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
    assert accounts == len(demo.PEOPLE) + len(demo.PEER_COACHES)


async def test_the_demo_has_a_peer_coach_with_her_own_login_and_a_signed_assignment(app: FastAPI) -> None:
    report = await demo.load(app.state.sessionmaker)
    printed = {login: (password, role) for login, password, role in report.logins}
    password, role = printed["ervaringscoach.emmen"]
    assert role == "coach (peer coach)"
    async with unit_of_work(app.state.sessionmaker) as uow:
        peer = (await uow.session.execute(
            select(Membership).join(Account, Account.person_id == Membership.person_id)
            .where(Account.login == "ervaringscoach.emmen"))).scalar_one()
        fatima = (await uow.session.execute(select(Account.person_id).where(Account.login == "fatima"))).scalar_one()
        assignment = (await uow.session.execute(
            select(CoachAssignment).where(CoachAssignment.coach_id == peer.person_id))).scalar_one()
    assert peer.role == "coach"
    assert peer.peer_coach
    assert assignment.participant_id == fatima
    assert assignment.signed_record

    async with Browser(app) as browser:
        await KeyringClient(browser).login("ervaringscoach.emmen", password)
        trust = (await browser.api(
            "GET", f"/api/v1/trust/programmes/{peer.programme_id}/coach-assignments")).json()
        mine = [row for row in trust if row["coach_id"] == str(peer.person_id)]
        assert [(row["participant_id"], row["status"]) for row in mine] == [(str(fatima), "signed")]

    # Shown again on a later run, though nobody new is made.
    assert await demo.load(app.state.sessionmaker) == demo.DemoReport(created=[], skipped=ANY, logins=[])
    logins = await demo.demo_logins(app.state.sessionmaker)
    assert ("ervaringscoach.emmen", password, "coach (peer coach)") in logins
    assert {login for login, _, _ in logins} == {p.login for p in [*demo.PEOPLE, *demo.PEER_COACHES]}


async def test_the_demo_group_has_its_trainer_and_mothers_on_a_signed_member_list(app: FastAPI) -> None:
    await demo.load(app.state.sessionmaker)
    async with unit_of_work(app.state.sessionmaker) as uow:
        group = (
            await uow.session.execute(select(Group).where(Group.name == "Budgettraining — taalniveau A2"))
        ).scalar_one()
        key = (
            await uow.session.execute(
                select(ProgrammeKey.ed25519_public).where(ProgrammeKey.programme_id == group.programme_id)
            )
        ).scalar_one()
        logins = dict(
            (await uow.session.execute(select(Account.person_id, Account.login))).tuples().all()
        )
    assert group.membership_record
    record = crypto.verify_record(crypto.b64u_decode(group.membership_record), key, crypto.RecordKind.GROUP_MEMBERSHIP)
    assert isinstance(record.body, crypto.GroupMembership)
    assert record.body.group_id == str(group.id)
    named = {(logins[uuid.UUID(m.person_id)], m.role) for m in record.body.members}
    assert named == {
        ("coach.emmen", crypto.GroupRole.TRAINER),
        ("fatima", crypto.GroupRole.PARTICIPANT),
        ("lisa", crypto.GroupRole.PARTICIPANT),
    }
    again = await demo.load(app.state.sessionmaker)
    assert not [c for c in again.created if c.startswith("group members")], "a signed list is kept"
