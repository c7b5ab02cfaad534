"""The intake feature end to end over HTTP: staff switch the application page on and sign the
intake team (kind 0x06); she applies with her letter sealed to the team's readers; staff open the
queue and the letter (in their browser, here the Python twin), accept (an invitation through the
invitations service, shown on her status page) or decline with a reason she reads. Bad input,
floods and records that do not hold are refused with nothing stored."""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from eportfolio import crypto
from eportfolio.accounts.tables import Account
from eportfolio.crypto import b64u_decode
from eportfolio.intake import service
from eportfolio.intake.tables import Application, IntakeTeam
from eportfolio.invitations.tables import Invitation
from eportfolio.kit.audit import AccessLogEntry
from eportfolio.kit.clock import utcnow
from eportfolio.kit.uow import unit_of_work
from eportfolio.notifications.tables import Notification
from eportfolio.programmes.tables import Membership
from tests.support.client import Browser
from tests.support.intake import apply, consent, open_page, sign_team, stored_applications, team_record
from tests.support.world import World
from tests.support.world_keys import WorldKeys, world_keys


async def _ready(app: FastAPI, browser: Browser, world: World) -> WorldKeys:
    """Page on, and a team of Staff A and the Admin signed by Staff A."""
    keys = await world_keys(app, world)
    await browser.log_in_as(world.staff_a)
    answer = await browser.post_form(f"/manage/programmes/{world.programme_a}/intake/page", {"open": "on"})
    assert answer.status_code == 303, answer.text
    await sign_team(browser, keys, [world.staff_a, world.admin])
    browser.log_out()
    return keys


def _today() -> int:
    return int(utcnow().timestamp()) // 86400 * 86400


async def _teams(app: FastAPI) -> list[int]:
    async with unit_of_work(app.state.sessionmaker) as uow:
        return list((await uow.session.execute(select(IntakeTeam.serial))).scalars())


async def test_an_intake_team_that_does_not_hold_is_refused_and_nothing_is_stored(
    app: FastAPI, browser: Browser, world: World
) -> None:
    keys = await world_keys(app, world)
    await browser.log_in_as(world.staff_a)
    path = f"/api/v1/intake/programmes/{world.programme_a}/team"
    staff, admin, coach = world.staff_a, world.admin, world.coach_a
    refused = {
        "not a record": "AAAAAAAA",
        "unsigned": crypto.b64u_encode(b64u_decode(team_record(keys, [staff]))[:-64] + bytes(64)),
        "signed by another key": team_record(keys, [staff], key=crypto.SigningKey.generate()),
        "of another programme": team_record(keys, [staff], programme_id=world.programme_b),
        "signed in another's name": team_record(keys, [staff], signed_by=admin),
        "naming a coach": team_record(keys, [staff, coach]),
        "naming staff by another key": team_record(keys, [staff], prints={staff: keys.person(admin).fingerprint}),
        "naming nobody": team_record(keys, []),
        "ended": team_record(keys, [staff], valid_until=1_700_000_000),
        "without an end": team_record(keys, [staff], valid_until=0),
        "longer than a team holds": team_record(
            keys, [staff], valid_from=_today(), valid_until=_today() + (service.TEAM_VALID_DAYS + 1) * 86400
        ),
    }
    for why, record in refused.items():
        answer = await browser.api("POST", path, {"serial": 1, "signed_record": record})
        assert answer.status_code == 422, (why, answer.text)
        assert answer.json()["error"]["message"], why
        assert await _teams(app) == [], why
    good = {"serial": 1, "signed_record": team_record(keys, [staff, admin])}
    assert (await browser.api("POST", path, good)).status_code == 204
    answer = await browser.api("POST", path, good)
    assert answer.status_code == 409  # an old serial
    assert await _teams(app) == [1]
    # A coach or another programme's staff cannot sign one.
    for person in (world.coach_a, world.staff_b):
        await browser.log_in_as(person)
        answer = await browser.api("POST", path, {"serial": 2, "signed_record": team_record(keys, [staff], serial=2)})
        assert answer.status_code in (403, 404), answer.text
    assert await _teams(app) == [1]


async def test_the_page_switched_off_or_without_a_team_takes_nothing(
    app: FastAPI, browser: Browser, world: World
) -> None:
    keys = await world_keys(app, world)
    page = f"/apply/{world.programme_a}"
    answer = await browser.get(page)
    assert answer.status_code == 404
    assert "online" in answer.text  # the plain message, in Dutch or English
    assert (await browser.get(f"/api/v1/intake/programmes/{world.programme_a}/team")).status_code == 404
    # On, but no signed team yet: still nobody could read a letter.
    await open_page(app, world)
    assert (await browser.get(page)).status_code == 404
    await browser.log_in_as(world.staff_a)
    await sign_team(browser, keys, [world.staff_a])
    browser.log_out()
    assert (await browser.get(page)).status_code == 200
    # Off again: a letter sent anyway is refused.
    served = (await browser.get(f"/api/v1/intake/programmes/{world.programme_a}/team")).json()
    assert (await apply(browser, world.programme_a, served=served)).status_code == 201
    await open_page(app, world, open_=False)
    before = await stored_applications(app)
    answer = await apply(browser, world.programme_a, served=served)
    assert answer.status_code == 404
    assert answer.json()["error"]["message"]
    assert await stored_applications(app) == before


async def test_she_applies_staff_read_her_letter_and_accept_with_an_invitation_on_her_status_page(
    app: FastAPI, browser: Browser, world: World
) -> None:
    keys = await _ready(app, browser, world)
    answer = await apply(browser, world.programme_a, text="Ik wil leren voor mijn dochter.")
    assert answer.status_code == 201, answer.text
    status_url = answer.json()["status_url"]
    application_id = uuid.UUID(answer.json()["application_id"])
    status = await browser.get(status_url)
    assert status.status_code == 200
    assert "In behandeling" in status.text

    # Staff A: the queue, then her letter opened with Staff A's own key.
    await browser.log_in_as(world.staff_a)
    queue = await browser.get(f"/manage/programmes/{world.programme_a}/intake")
    assert "Noor" in queue.text
    assert "Eigen aanmelding" in queue.text
    served = (await browser.get(f"/api/v1/intake/programmes/{world.programme_a}/applications/{application_id}")).json()
    letter = crypto.open_intake_letter(
        b64u_decode(served["letter"]),
        b64u_decode(served["sealed_key"]),
        keys.identity(world.staff_a),
        programme_id=str(world.programme_a),
        application_id=str(application_id),
    )
    assert letter.decode() == "Ik wil leren voor mijn dochter."
    async with unit_of_work(app.state.sessionmaker) as uow:
        logged = await uow.session.execute(
            select(func.count()).where(
                AccessLogEntry.record_kind == "application",
                AccessLogEntry.actor_person_id == world.staff_a,
                AccessLogEntry.subject_person_id == application_id,
            )
        )
        assert logged.scalar_one() >= 1
        # The server holds ciphertext only.
        stored = await uow.session.get(Application, application_id)
        assert stored is not None
        assert "dochter" not in stored.letter

    # Accept: a person with an invitation; the link on her status page.
    page = await browser.post_form(f"/manage/programmes/{world.programme_a}/intake/{application_id}/accept")
    assert page.status_code == 200, page.text
    code = re.search(r"/join\?code=([0-9A-Z-]+)", page.text)
    assert code is not None
    again = await browser.post_form(f"/manage/programmes/{world.programme_a}/intake/{application_id}/accept")
    assert again.status_code == 409
    browser.log_out()
    status = await browser.get(status_url)
    assert "Aangenomen" in status.text
    assert f"/join?code={code.group(1)}" in status.text
    async with unit_of_work(app.state.sessionmaker) as uow:
        stored = await uow.session.get(Application, application_id)
        assert stored is not None
        assert stored.person_id is not None
        # Her invitation code is sealed to her status link: the database alone does not give it.
        assert stored.invitation_box is not None
        assert code.group(1).encode() not in stored.invitation_box
        invitations = await uow.session.execute(select(Invitation).where(Invitation.person_id == stored.person_id))
        invitation = invitations.scalar_one()
        assert invitation.role == "participant"
        assert invitation.programme_id == world.programme_a
    # The invitation works: the sign-up page knows her.
    join = await browser.get(f"/join?code={code.group(1)}")
    assert join.status_code == 200
    assert "Noor" in join.text


async def test_decline_needs_a_reason_and_she_reads_it(app: FastAPI, browser: Browser, world: World) -> None:
    await _ready(app, browser, world)
    answer = await apply(browser, world.programme_a)
    status_url, application_id = answer.json()["status_url"], answer.json()["application_id"]
    await browser.log_in_as(world.staff_a)
    path = f"/manage/programmes/{world.programme_a}/intake/{application_id}/decline"
    empty = await browser.post_form(path, {"reason": "  "})
    assert empty.status_code == 422
    assert "reden" in empty.text.lower()
    done = await browser.post_form(path, {"reason": "De groep is vol tot maart."})
    assert done.status_code == 303
    browser.log_out()
    status = await browser.get(status_url)
    assert "Afgewezen" in status.text
    assert "De groep is vol tot maart." in status.text
    assert (await browser.get("/apply/status/not-a-token")).status_code == 404


async def test_only_staff_of_the_programme_see_the_queue(app: FastAPI, browser: Browser, world: World) -> None:
    await _ready(app, browser, world)
    application_id = (await apply(browser, world.programme_a)).json()["application_id"]
    for person in (world.coach_a, world.participant_a, world.staff_b):
        await browser.log_in_as(person)
        for path in (
            f"/manage/programmes/{world.programme_a}/intake",
            f"/manage/programmes/{world.programme_a}/intake/{application_id}",
            f"/api/v1/intake/programmes/{world.programme_a}/applications/{application_id}",
        ):
            answer = await browser.get(path)
            assert answer.status_code in (403, 404), (person, path)
            assert "Noor" not in answer.text
        answer = await browser.post_form(f"/manage/programmes/{world.programme_a}/intake/{application_id}/accept")
        assert answer.status_code in (403, 404)
    # Staff of programme B cannot reach it through their own programme either.
    answer = await browser.get(f"/manage/programmes/{world.programme_b}/intake/{application_id}")
    assert answer.status_code == 404


@pytest.mark.parametrize(
    ("why", "overrides", "letter", "field"),
    [
        ("empty letter", {}, "", "letter"),
        ("oversized letter", {}, "x" * (crypto.MAX_LETTER_BYTES + 1), "letter"),
        ("no consent", {"consent": False}, "Hallo", "consent"),
        ("consent text she never saw", {"consent_text": "Ik stem in."}, "Hallo", "consent"),
        ("contact that is neither phone nor e-mail", {"contact": "bel me"}, "Hallo", "contact"),
        ("no name", {"name": " "}, "Hallo", "name"),
        ("a key for nobody of the team", {"keys": {}}, "Hallo", "keys"),
        ("an old team", {"team_serial": 7}, "Hallo", "team_serial"),
        ("not a letter", {"letter": "AAAA"}, "Hallo", "letter"),
    ],
)
async def test_bad_applications_are_refused_with_nothing_stored(
    app: FastAPI, browser: Browser, world: World, why: str, overrides: dict[str, object], letter: str, field: str
) -> None:
    await _ready(app, browser, world)
    before = await stored_applications(app)
    if letter == "" or len(letter) > crypto.MAX_LETTER_BYTES:
        # Her browser's sealing refuses these too; sent anyway with a letter sealed by hand.
        overrides = {**overrides, "letter": _sealed_by_hand(world, letter)}
        letter = "Hallo"
    answer = await apply(browser, world.programme_a, text=letter, **overrides)
    assert answer.status_code in (409, 422), (why, answer.text)
    assert answer.json()["error"]["field"] == field, why
    assert answer.json()["error"]["message"], why
    assert await stored_applications(app) == before, why


def _sealed_by_hand(world: World, text: str) -> str:
    from eportfolio.crypto.boxes import SecretPurpose, seal_secret
    from eportfolio.crypto.encoding import Writer
    from eportfolio.crypto.primitives import system_rng

    context = Writer().str16(str(world.programme_a)).str16(str(uuid.uuid4())).getvalue()
    return crypto.b64u_encode(
        seal_secret(bytes(32), SecretPurpose.INTAKE_LETTER, text.encode(), context, rng=system_rng)
    )


async def test_a_flood_from_one_address_or_to_one_programme_is_refused(
    app: FastAPI, browser: Browser, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _ready(app, browser, world)
    for _ in range(service.PER_ADDRESS):
        assert (await apply(browser, world.programme_a)).status_code == 201
    before = await stored_applications(app)
    answer = await apply(browser, world.programme_a)
    assert answer.status_code == 429
    assert "uur" in answer.json()["error"]["message"]
    assert answer.headers.get("retry-after")
    assert await stored_applications(app) == before
    # Per programme: many addresses together are held as well.
    sent = service.PER_ADDRESS  # a refused try counts nowhere
    monkeypatch.setattr(service, "PER_ADDRESS", 1000)
    monkeypatch.setattr(service, "PER_PROGRAMME", sent)
    answer = await apply(browser, world.programme_a)
    assert answer.status_code == 429
    assert await stored_applications(app) == before


async def test_a_partner_refers_with_her_consent_into_the_same_queue(
    app: FastAPI, browser: Browser, world: World
) -> None:
    keys = await world_keys(app, world)
    await browser.log_in_as(world.staff_a)
    await sign_team(browser, keys, [world.staff_a])
    made = await browser.post_form(
        f"/manage/programmes/{world.programme_a}/intake/referrers", {"partner_name": "Verloskundigen Emmen"}
    )
    assert made.status_code == 200
    link = re.search(r"/refer/([A-Za-z0-9_-]+)", made.text)
    assert link is not None
    token = link.group(1)
    empty_name = await browser.post_form(f"/manage/programmes/{world.programme_a}/intake/referrers", {})
    assert empty_name.status_code == 422
    browser.log_out()
    # The partner's form works with the public page switched off.
    form = await browser.get(f"/refer/{token}")
    assert form.status_code == 200
    assert "Verloskundigen Emmen" in form.text
    # Her own consent text is not the referral's.
    wrong = await apply(browser, world.programme_a, referral_token=token, consent_text=consent())
    assert wrong.status_code == 422
    assert wrong.json()["error"]["field"] == "consent"
    no_consent = await apply(browser, world.programme_a, referral_token=token, consent=False)
    assert no_consent.status_code == 422
    answer = await apply(browser, world.programme_a, referral_token=token, text="Zwanger, weinig steun thuis.")
    assert answer.status_code == 201, answer.text
    application_id = answer.json()["application_id"]
    async with unit_of_work(app.state.sessionmaker) as uow:
        stored = await uow.session.get(Application, uuid.UUID(application_id))
        assert stored is not None
        assert stored.referrer_id is not None
        assert stored.consent_text == consent(referral=True)
    await browser.log_in_as(world.staff_a)
    queue = await browser.get(f"/manage/programmes/{world.programme_a}/intake")
    assert "Verwijzing door Verloskundigen Emmen" in queue.text
    served = (await browser.get(f"/api/v1/intake/programmes/{world.programme_a}/applications/{application_id}")).json()
    reason = crypto.open_intake_letter(
        b64u_decode(served["letter"]),
        b64u_decode(served["sealed_key"]),
        keys.identity(world.staff_a),
        programme_id=str(world.programme_a),
        application_id=application_id,
    )
    assert reason.decode() == "Zwanger, weinig steun thuis."
    # Withdrawn: the link stops working.
    async with unit_of_work(app.state.sessionmaker) as uow:
        referrer_id = (await uow.session.get(Application, uuid.UUID(application_id))).referrer_id  # type: ignore[union-attr]
    answer = await browser.post_form(f"/manage/programmes/{world.programme_a}/intake/referrers/{referrer_id}/withdraw")
    assert answer.status_code == 303
    browser.log_out()
    assert (await browser.get(f"/refer/{token}")).status_code == 404
    assert (await browser.get(f"/api/v1/intake/referrals/{token}/team")).status_code == 404
    assert (await browser.get("/refer/nonsense")).status_code == 404


async def test_staff_switch_the_page_from_the_programme_settings(app: FastAPI, browser: Browser, world: World) -> None:
    await world_keys(app, world)
    await browser.log_in_as(world.staff_a)
    settings = await browser.get(f"/manage/programmes/{world.programme_a}/settings")
    assert f'href="/manage/programmes/{world.programme_a}/intake"' in settings.text
    page = await browser.get(f"/manage/programmes/{world.programme_a}/intake")
    assert "De aanmeldpagina staat uit." in page.text
    on = await browser.post_form(f"/manage/programmes/{world.programme_a}/intake/page", {"open": "on"})
    assert on.status_code == 303
    page = await browser.get(f"/manage/programmes/{world.programme_a}/intake")
    assert "De aanmeldpagina staat aan." in page.text
    assert "Onderteken eerst hieronder het intaketeam." in page.text
    off = await browser.post_form(f"/manage/programmes/{world.programme_a}/intake/page", {"open": "off"})
    assert off.status_code == 303
    assert "De aanmeldpagina staat uit." in (await browser.get(f"/manage/programmes/{world.programme_a}/intake")).text
    # A coach cannot switch it.
    await browser.log_in_as(world.coach_a)
    refused = await browser.post_form(f"/manage/programmes/{world.programme_a}/intake/page", {"open": "on"})
    assert refused.status_code in (403, 404)
    browser.log_out()
    assert (await browser.get(f"/apply/{world.programme_a}")).status_code == 404


async def test_an_intake_team_holds_for_a_limited_time_and_the_staff_page_says_when_to_sign_again(
    app: FastAPI, browser: Browser, world: World
) -> None:
    keys = await _ready(app, browser, world)
    page = f"/apply/{world.programme_a}"
    team = f"/api/v1/intake/programmes/{world.programme_a}/team"
    assert (await browser.get(page)).status_code == 200
    served = (await browser.get(team)).json()
    record = crypto.verify_record(
        b64u_decode(served["team_record"]), keys.programme_key.public, crypto.RecordKind.INTAKE_TEAM
    )
    assert isinstance(record.body, crypto.IntakeTeam)
    assert record.body.valid_until - record.body.valid_from == service.TEAM_VALID_DAYS * 86400
    await browser.log_in_as(world.staff_a)
    manage = await browser.get(f"/manage/programmes/{world.programme_a}/intake")
    assert "Onderteken het intaketeam opnieuw vóór" in manage.text
    browser.log_out()
    # The team in force ends (signed long ago, properly): the page takes nothing, a letter sealed
    # to it is refused, and the staff page says it ended and must be signed again.
    ended = team_record(
        keys, [world.staff_a], valid_from=_today() - 200 * 86400, valid_until=_today() - 80 * 86400
    )
    async with unit_of_work(app.state.sessionmaker) as uow:
        row = (await uow.session.execute(select(IntakeTeam))).scalar_one()
        row.signed_record = ended
    assert (await browser.get(page)).status_code == 404
    assert (await browser.get(team)).status_code == 404
    before = await stored_applications(app)
    answer = await apply(browser, world.programme_a, served=served)
    assert answer.status_code == 404
    assert answer.json()["error"]["message"]
    assert await stored_applications(app) == before
    await browser.log_in_as(world.staff_a)
    manage = await browser.get(f"/manage/programmes/{world.programme_a}/intake")
    assert "Het intaketeam is verlopen op" in manage.text
    assert "Onderteken eerst hieronder het intaketeam." in manage.text
    # Signed again, it holds.
    await sign_team(browser, keys, [world.staff_a, world.admin], serial=2)
    browser.log_out()
    assert (await browser.get(page)).status_code == 200


async def test_the_staff_page_flags_a_reader_who_left_or_whose_key_changed(
    app: FastAPI, browser: Browser, world: World
) -> None:
    """A reader named in the signed team who no longer works here, or whose key is not the one
    the team names, is named on the staff page with what to do; a changed key also means the
    public page refuses every letter, and staff are told so."""
    await _ready(app, browser, world)
    await browser.log_in_as(world.admin)
    manage = f"/manage/programmes/{world.programme_a}/intake"
    page = await browser.get(manage)
    assert "staat nog in het intaketeam" not in page.text
    # Staff A stops working for the programme; the team still names her.
    async with unit_of_work(app.state.sessionmaker) as uow:
        await uow.session.execute(
            update(Membership)
            .where(Membership.person_id == world.staff_a, Membership.programme_id == world.programme_a)
            .values(active=False)
        )
    page = await browser.get(manage)
    assert (
        "Staff A staat nog in het intaketeam maar werkt hier niet meer: onderteken het team opnieuw zonder haar."
        in page.text
    )
    assert "weigert de aanmeldpagina nu elke brief" not in page.text
    # The Admin's key changes: her browser would refuse every letter, and the page says so.
    made = crypto.Identity.create(
        "admin.new", "another password", user_id=str(world.admin), params=crypto.KdfParams.new(8, 1, 1),
        allow_test_params=True,
    )
    async with unit_of_work(app.state.sessionmaker) as uow:
        await uow.session.execute(
            update(Account).where(Account.person_id == world.admin).values(public_identity=made.public_identity)
        )
    page = await browser.get(manage)
    assert (
        "Admin staat nog in het intaketeam maar heeft een nieuwe sleutel: onderteken het team opnieuw met haar "
        "nieuwe sleutel." in page.text
    )
    assert "Staff A staat nog in het intaketeam" in page.text
    assert "weigert de aanmeldpagina nu elke brief" in page.text


async def _intake_notices(app: FastAPI, person_id: uuid.UUID) -> list[Notification]:
    async with unit_of_work(app.state.sessionmaker) as uow:
        rows = await uow.session.execute(
            select(Notification).where(Notification.person_id == person_id, Notification.kind == "intake_application")
        )
        return list(rows.scalars())


async def test_staff_get_one_neutral_notice_of_new_applications_and_referrals(
    app: FastAPI, browser: Browser, world: World
) -> None:
    """Staff of the programme and the team's readers get one unread notice, without her name,
    linking to the queue; more applications do not add more; opening the queue reads it."""
    await _ready(app, browser, world)  # the team: Staff A and the Admin
    for _ in range(2):
        assert (await apply(browser, world.programme_a, text="Ik wil meedoen.")).status_code == 201
    queue = f"/manage/programmes/{world.programme_a}/intake"
    for person in (world.staff_a, world.admin):
        notices = await _intake_notices(app, person)
        assert len(notices) == 1, "applications collapse into one notice"
        assert notices[0].read_at is None
        assert notices[0].link.startswith(queue)
        assert notices[0].params == {}, "no name, no contact"
    for person in (world.staff_b, world.coach_a, world.participant_a):
        assert await _intake_notices(app, person) == []
    await browser.log_in_as(world.staff_a)
    page = await browser.get("/notifications")
    assert "Er is een nieuwe aanmelding." in page.text
    assert "Noor" not in page.text
    assert (await browser.get(queue)).status_code == 200
    assert all(n.read_at is not None for n in await _intake_notices(app, world.staff_a))
    # A partner's referral: one unread notice again, still one entry.
    made = await browser.post_form(f"{queue}/referrers", {"partner_name": "Kraamzorg Noord"})
    link = re.search(r"/refer/([A-Za-z0-9_-]+)", made.text)
    assert link is not None
    browser.log_out()
    answer = await apply(browser, world.programme_a, referral_token=link.group(1), text="Weinig steun thuis.")
    assert answer.status_code == 201, answer.text
    notices = await _intake_notices(app, world.staff_a)
    assert len(notices) == 1
    assert notices[0].read_at is None
    # A refused application tells nobody anything.
    async with unit_of_work(app.state.sessionmaker) as uow:
        await uow.session.execute(update(Notification).values(read_at=utcnow()))
    assert (await apply(browser, world.programme_a, consent=False)).status_code == 422
    assert all(n.read_at is not None for n in await _intake_notices(app, world.staff_a))
