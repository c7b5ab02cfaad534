"""Organisation and programme keys: made and passed on by browsers, never held by the server;
signed coach assignments are shown as signed, unsigned or invalid."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import FastAPI

from eportfolio import crypto
from eportfolio.crypto import b64u_decode, b64u_encode
from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.tables import CoachAssignment
from eportfolio.trust.service import assignment_validity
from tests.support.client import Browser
from tests.support.keyring_client import KeyringClient, join
from tests.support.trust import pass_programme_key, sign_programme_key
from tests.support.world import World

PASSWORD = "correct horse battery"


async def _identity_of(browser: Browser, programme_id: object, person_id: object) -> crypto.Person:
    answer = await browser.api("GET", f"/api/v1/trust/programmes/{programme_id}/people/{person_id}")
    assert answer.status_code == 200, answer.text
    return crypto.Person.from_public_identity(b64u_decode(answer.json()["public_identity"]))


async def test_keys_pass_from_holder_to_holder_and_each_opens_her_own_copy(app: FastAPI, world: World) -> None:
    admin = await join(app, world.admin, "org_admin", "admin", PASSWORD)
    staff = await join(app, world.staff_a, "staff", "staff.a", PASSWORD, world.programme_a)
    async with Browser(app) as admin_browser, Browser(app) as staff_browser:
        await KeyringClient(admin_browser).login("admin", PASSWORD)
        programme_key = await sign_programme_key(admin, admin_browser, world)
        staff_person = await _identity_of(admin_browser, world.programme_a, world.staff_a)
        assert staff_person == staff.identity.person
        await pass_programme_key(admin_browser.api, world, programme_key, world.staff_a, staff_person)

        await KeyringClient(staff_browser).login("staff.a", PASSWORD)
        served = (await staff_browser.api("GET", f"/api/v1/trust/programmes/{world.programme_a}")).json()
        org_public = admin.organisation_key.public if admin.organisation_key else b""
        certified = crypto.verify_programme_key(
            b64u_decode(served["certificate"]), org_public, str(world.programme_a)
        )
        opened = crypto.SigningKey.open(b64u_decode(served["sealed_copy"]), staff.identity, certified)
        assert opened.public == programme_key.public

        refused = await staff_browser.api("POST", "/api/v1/trust/organisation/copies", {
            "holder_id": str(world.staff_a), "sealed_copy": served["sealed_copy"],
        })
        assert refused.status_code == 403, "only an organisation admin passes the organisation key on"


async def test_a_programme_key_without_a_valid_certificate_is_refused(app: FastAPI, world: World) -> None:
    admin = await join(app, world.admin, "org_admin", "admin", PASSWORD)
    async with Browser(app) as browser:
        await KeyringClient(browser).login("admin", PASSWORD)
        key, stranger = crypto.SigningKey.generate(), crypto.SigningKey.generate()
        forged = stranger.sign_record(
            crypto.ProgrammeKeyCertificate(key.public), organisation_id=str(world.organisation_id),
            programme_id=str(world.programme_a), serial=1, issued_at=1, signed_by=admin.person_id,
        )
        answer = await browser.api("POST", f"/api/v1/trust/programmes/{world.programme_a}", {
            "ed25519_public": b64u_encode(key.public), "certificate": b64u_encode(forged),
            "sealed_copy": b64u_encode(key.seal_for(admin.identity.person)),
        })
        assert answer.status_code == 422
        assert answer.json()["error"]["field"] == "certificate"
        assert (await browser.api("GET", f"/api/v1/trust/programmes/{world.programme_a}")).status_code == 404


async def test_coach_assignments_show_whether_their_signature_holds(app: FastAPI, world: World) -> None:
    admin = await join(app, world.admin, "org_admin", "admin", PASSWORD)
    coach = await join(app, world.coach_a, "coach", "coach.a", PASSWORD, world.programme_a)
    async with Browser(app) as browser:
        await KeyringClient(browser).login("admin", PASSWORD)
        programme_key = await sign_programme_key(admin, browser, world)

        def signed(participant: object, fingerprint: bytes, role: crypto.CoachRole = crypto.CoachRole.INDIVIDUAL,
                   valid_from: int = 1_780_000_000) -> str:
            record = crypto.CoachAssignment(str(participant), str(world.coach_a), fingerprint, role, valid_from, 0)
            return b64u_encode(programme_key.sign_record(
                record, organisation_id=str(world.organisation_id), programme_id=str(world.programme_a),
                serial=2, issued_at=1_780_000_000, signed_by=admin.person_id,
            ))

        # What the server checks before it stores a record: exactly these facts, signed by her.
        good = signed(world.participant_a2, coach.identity.fingerprint, crypto.CoachRole.BUDGET,
                      assignment_validity(date(2026, 3, 1), None)[0])
        wrong_fingerprint = signed(world.participant_a, b"\x00" * 15)
        answer = await browser.api("POST", f"/api/v1/programmes/{world.programme_a}/coach-assignments", {
            "participant_id": str(world.participant_a2), "coach_id": str(world.coach_a), "starts_on": "2026-03-01",
            "kind": "budget", "signed_record": good,
        })
        assert answer.status_code == 201, answer.text
        # The world's first assignment has no record; a third carries a record naming a wrong key.
        async with unit_of_work(app.state.sessionmaker) as uow:
            uow.session.add(CoachAssignment(
                organisation_id=world.organisation_id, programme_id=world.programme_a,
                participant_id=world.participant_a, coach_id=world.coach_a, kind="work",
                starts_on=date(2026, 2, 1), signed_record=wrong_fingerprint,
            ))
        statuses = (await browser.api("GET", f"/api/v1/trust/programmes/{world.programme_a}/coach-assignments")).json()
    by_kind: dict[str, str] = {}
    async with unit_of_work(app.state.sessionmaker) as uow:
        for row in statuses:
            assignment = await uow.session.get(CoachAssignment, uuid.UUID(row["assignment_id"]))
            assert assignment is not None
            by_kind[assignment.kind] = row["status"]
    assert by_kind == {"individual": "unsigned", "budget": "signed", "work": "invalid"}


async def test_only_administrators_see_the_organisation_key_page_and_each_other_s_keys(
    app: FastAPI, world: World
) -> None:
    admin = await join(app, world.admin, "org_admin", "admin", PASSWORD)
    await join(app, world.staff_a, "staff", "staff.a", PASSWORD, world.programme_a)
    async with Browser(app) as browser:
        browser.http.cookies.set("ep_lang", "en")
        await KeyringClient(browser).login("staff.a", PASSWORD)
        assert (await browser.get("/manage/organisation/key")).status_code == 403
        refused = await browser.api("GET", f"/api/v1/trust/organisation/people/{world.admin}")
        assert refused.status_code == 403

        await KeyringClient(browser).login("admin", PASSWORD)
        page = await browser.get("/manage/organisation/key")
        assert page.status_code == 200
        assert "js/accounts/organisation-key.js" in page.text
        assert admin.organisation_key is not None
        fingerprint = crypto.fingerprint_text(crypto.fingerprint(
            crypto.FingerprintKind.ORGANISATION_KEY, str(world.organisation_id), admin.organisation_key.public
        ))
        assert fingerprint in page.text
        mine = await browser.api("GET", f"/api/v1/trust/organisation/people/{world.admin}")
        assert mine.status_code == 200
        assert crypto.Person.from_public_identity(b64u_decode(mine.json()["public_identity"])) == admin.identity.person
        not_an_admin = await browser.api("GET", f"/api/v1/trust/organisation/people/{world.staff_a}")
        assert not_an_admin.status_code == 404, "only administrators' keys are served here"
