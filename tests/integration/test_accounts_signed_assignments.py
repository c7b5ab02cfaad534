"""Coach assignments signed in a staff browser: the assignments page keeps a record only when the
chain organisation key -> programme key -> record holds and it says exactly what is stored;
ending re-signs with the end date; "sign now" signs what was made without the key. Participants
see the names of their own current coaches, and no one else's."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import FastAPI
from sqlalchemy import select

from eportfolio import crypto
from eportfolio.crypto import b64u_encode
from eportfolio.kit.auth import Caller
from eportfolio.kit.clock import utcnow
from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes import service as programmes
from eportfolio.programmes.tables import CoachAssignment
from eportfolio.trust.service import assignment_validity
from tests.support.client import Browser
from tests.support.keyring_client import KeyringClient, Member, join
from tests.support.trust import sign_programme_key
from tests.support.world import World

PASSWORD = "correct horse battery"


def english(browser: Browser) -> Browser:
    browser.http.cookies.set("ep_lang", "en")
    return browser


class Signer:
    """What the staff browser's assignments.js does, with the Python keyring."""

    def __init__(self, world: World, key: crypto.SigningKey, coach: Member, signed_by: str) -> None:
        self.world, self.key, self.coach, self.signed_by = world, key, coach, signed_by
        self.serial = 1

    def record(self, participant: uuid.UUID, starts_on: date, ends_on: date | None = None, *,
               role: crypto.CoachRole = crypto.CoachRole.INDIVIDUAL, serial: int | None = None,
               key: crypto.SigningKey | None = None) -> str:
        valid_from, valid_until = assignment_validity(starts_on, ends_on)
        body = crypto.CoachAssignment(str(participant), self.coach.person_id, self.coach.identity.fingerprint,
                                      role, valid_from, valid_until)
        used = serial if serial is not None else self.serial
        self.serial = max(self.serial, used) + 1
        return b64u_encode((key or self.key).sign_record(
            body, organisation_id=str(self.world.organisation_id), programme_id=str(self.world.programme_a),
            serial=used, issued_at=1_780_000_000, signed_by=self.signed_by,
        ))


async def _staff_with_key(app: FastAPI, world: World, browser: Browser) -> Signer:
    """Admin makes the programme key; the staff member holds a copy and signs in her browser."""
    admin = await join(app, world.admin, "org_admin", "admin", PASSWORD)
    coach = await join(app, world.coach_a, "coach", "coach.a", PASSWORD, world.programme_a)
    staff = await join(app, world.staff_a, "staff", "staff.a", PASSWORD, world.programme_a)
    async with Browser(app) as admin_browser:
        await KeyringClient(admin_browser).login("admin", PASSWORD)
        key = await sign_programme_key(admin, admin_browser, world, holders={world.staff_a: staff.identity.person})
    await KeyringClient(english(browser)).login("staff.a", PASSWORD)
    return Signer(world, key, coach, staff.person_id)


async def _rows(app: FastAPI, world: World) -> dict[uuid.UUID, CoachAssignment]:
    async with unit_of_work(app.state.sessionmaker) as uow:
        result = await uow.session.execute(
            select(CoachAssignment).where(CoachAssignment.programme_id == world.programme_a)
        )
        return {row.id: row for row in result.scalars()}


async def _statuses(browser: Browser, world: World) -> dict[str, str]:
    answer = await browser.api("GET", f"/api/v1/trust/programmes/{world.programme_a}/coach-assignments")
    return {row["participant_id"]: row["status"] for row in answer.json()}


async def test_a_signed_assignment_is_kept_and_a_forged_one_refused_with_nothing_saved(
    app: FastAPI, browser: Browser, world: World
) -> None:
    signer = await _staff_with_key(app, world, browser)
    page = await browser.get(f"/manage/programmes/{world.programme_a}/assignments")
    assert 'data-holds-key="yes"' in page.text
    assert 'data-next-serial="1"' in page.text
    assert "js/programmes/assignments.js" in page.text
    form = {"participant_id": str(world.participant_a2), "coach_id": str(world.coach_a), "kind": "individual",
            "starts_on": "2026-03-01"}

    stranger = crypto.SigningKey.generate()
    for forged in (
        signer.record(world.participant_a2, date(2026, 3, 1), key=stranger),      # not the programme key
        signer.record(world.participant_a, date(2026, 3, 1)),                     # someone else
        signer.record(world.participant_a2, date(2026, 4, 1)),                    # other dates
        signer.record(world.participant_a2, date(2026, 3, 1), role=crypto.CoachRole.WORK),
        "AAAA",
    ):
        refused = await browser.post_form(
            f"/manage/programmes/{world.programme_a}/assignments", {**form, "signed_record": forged}
        )
        assert refused.status_code == 422
        assert "The signature on this coach assignment does not check out" in refused.text
        assert 'value="2026-03-01"' in refused.text, "what she chose stays in the form"
    assert len(await _rows(app, world)) == 1, "nothing was saved"

    good = signer.record(world.participant_a2, date(2026, 3, 1), serial=5)
    kept = await browser.post_form(f"/manage/programmes/{world.programme_a}/assignments",
                                   {**form, "signed_record": good})
    assert kept.status_code == 303, kept.text
    assert (await _statuses(browser, world))[str(world.participant_a2)] == "signed"
    listing = await browser.get(f"/manage/programmes/{world.programme_a}/assignments")
    assert 'data-next-serial="6"' in listing.text

    replayed = await browser.post_form(f"/manage/programmes/{world.programme_a}/assignments", {
        **form, "kind": "budget",
        "signed_record": signer.record(world.participant_a2, date(2026, 3, 1), role=crypto.CoachRole.BUDGET,
                                       serial=5),
    })
    assert replayed.status_code == 422
    assert "Someone signed another coach assignment at the same time" in replayed.text


async def test_the_json_api_checks_a_signed_record_as_the_page_does(
    app: FastAPI, browser: Browser, world: World
) -> None:
    signer = await _staff_with_key(app, world, browser)
    url = f"/api/v1/programmes/{world.programme_a}/coach-assignments"
    body = {"participant_id": str(world.participant_a2), "coach_id": str(world.coach_a), "kind": "individual",
            "starts_on": "2026-03-01"}
    stranger = crypto.SigningKey.generate()
    for forged in (
        signer.record(world.participant_a2, date(2026, 3, 1), key=stranger),
        signer.record(world.participant_a2, date(2026, 4, 1)),
        "AAAA",
    ):
        refused = await browser.api("POST", url, {**body, "signed_record": forged})
        assert refused.status_code == 422, refused.text
        assert "does not check out" in refused.text
    assert len(await _rows(app, world)) == 1, "nothing was saved"

    made = await browser.api("POST", url, {**body, "signed_record": signer.record(world.participant_a2,
                                                                                   date(2026, 3, 1))})
    assert made.status_code == 201, made.text
    assert (await _statuses(browser, world))[str(world.participant_a2)] == "signed"


async def test_without_the_key_it_is_stored_unsigned_and_a_key_holder_signs_it_later(
    app: FastAPI, browser: Browser, world: World
) -> None:
    signer = await _staff_with_key(app, world, browser)
    assert (await _statuses(browser, world))[str(world.participant_a)] == "unsigned"
    listing = await browser.get(f"/manage/programmes/{world.programme_a}/assignments")
    assert f'/assignments/{world.assignment_a}/sign"' in listing.text, "a key holder is offered 'sign now'"

    unsigned = await browser.post_form(f"/manage/programmes/{world.programme_a}/assignments/{world.assignment_a}/sign")
    assert unsigned.status_code == 422, "signing needs her browser"
    signed = await browser.post_form(
        f"/manage/programmes/{world.programme_a}/assignments/{world.assignment_a}/sign",
        {"signed_record": signer.record(world.participant_a, date(2026, 1, 1))},
    )
    assert signed.status_code == 303, signed.text
    assert (await _statuses(browser, world))[str(world.participant_a)] == "signed"


async def test_ending_re_signs_the_record_with_its_end_date_or_shows_the_end_unsigned(
    app: FastAPI, browser: Browser, world: World
) -> None:
    signer = await _staff_with_key(app, world, browser)
    await browser.post_form(
        f"/manage/programmes/{world.programme_a}/assignments/{world.assignment_a}/sign",
        {"signed_record": signer.record(world.participant_a, date(2026, 1, 1))},
    )
    today = max(utcnow().date(), date(2026, 1, 1))  # what ending today gives (the page predicts it too)

    wrong_end = signer.record(world.participant_a, date(2026, 1, 1), date(2020, 1, 1))
    refused = await browser.post_form(
        f"/manage/programmes/{world.programme_a}/assignments/{world.assignment_a}/end", {"signed_record": wrong_end}
    )
    assert refused.status_code == 422
    assert (await _rows(app, world))[world.assignment_a].ended_at is None, "a refused end ends nothing"

    ended = await browser.post_form(
        f"/manage/programmes/{world.programme_a}/assignments/{world.assignment_a}/end",
        {"signed_record": signer.record(world.participant_a, date(2026, 1, 1), today)},
    )
    assert ended.status_code == 303, ended.text
    row = (await _rows(app, world))[world.assignment_a]
    assert row.ended_at is not None
    assert (await _statuses(browser, world))[str(world.participant_a)] == "signed"

    # Another assignment, signed at the start, then ended by someone without the key.
    created = await browser.post_form(f"/manage/programmes/{world.programme_a}/assignments", {
        "participant_id": str(world.participant_a2), "coach_id": str(world.coach_a), "kind": "individual",
        "starts_on": "2026-01-01", "signed_record": signer.record(world.participant_a2, date(2026, 1, 1)),
    })
    assert created.status_code == 303, created.text
    second = next(r for r in (await _rows(app, world)).values() if r.participant_id == world.participant_a2)
    await browser.post_form(f"/manage/programmes/{world.programme_a}/assignments/{second.id}/end")
    assert (await _statuses(browser, world))[str(world.participant_a2)] == "outdated"
    listing = await browser.get(f"/manage/programmes/{world.programme_a}/assignments")
    assert "end not signed" in listing.text


async def test_a_participant_sees_the_names_of_her_own_current_coaches_only(app: FastAPI, world: World) -> None:
    async with Browser(app) as phone:
        await english(phone).log_in_as(world.participant_a)
        home = await phone.get("/")
        assert "Coach A" in home.text, "she sees her coach's name, not 'your coach'"
    async with unit_of_work(app.state.sessionmaker) as uow:
        her = Caller(person_id=world.participant_a, organisation_id=world.organisation_id, session_id=None)
        names = await programmes.display_names(
            uow, her, world.programme_a, [world.coach_a, world.participant_a2, world.staff_a, world.supervisor_a]
        )
        assert names == {world.coach_a: "Coach A"}
        other = Caller(person_id=world.participant_a2, organisation_id=world.organisation_id, session_id=None)
        assert await programmes.display_names(uow, other, world.programme_a, [world.coach_a]) == {}
        await programmes.end_assignment(
            uow, Caller(person_id=world.staff_a, organisation_id=world.organisation_id, session_id=None),
            world.programme_a, world.assignment_a,
        )
        again = Caller(person_id=world.participant_a, organisation_id=world.organisation_id, session_id=None)
        assert await programmes.display_names(uow, again, world.programme_a, [world.coach_a]) == {}, (
            "once coaching ended, her former coach's name is not hers to ask for"
        )
    async with Browser(app) as phone:
        await english(phone).log_in_as(world.participant_a2)
        home = await phone.get("/")
        assert "You do not have a coach yet." in home.text
