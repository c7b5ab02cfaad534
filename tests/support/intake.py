"""The intake feature as browsers use it: the intake team signed in a staff browser
(js/intake/team.js), and her application sealed in her browser after checking the team along
organisation key -> programme certificate -> record (js/intake/team-check.js)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from eportfolio import crypto
from eportfolio.crypto import b64u_decode, b64u_encode
from eportfolio.crypto.primitives import x25519_public
from eportfolio.intake import service
from eportfolio.intake.tables import Application, ApplicationKey, IntakePage, IntakeTeam
from eportfolio.kit import i18n
from eportfolio.kit.clock import utcnow
from eportfolio.kit.uow import UnitOfWork, unit_of_work
from tests.support.client import Browser
from tests.support.world import World
from tests.support.world_keys import ISSUED_AT, WorldKeys

DAY = 1_767_225_600  # 2026-01-01 00:00 UTC


def team_record(
    keys: WorldKeys,
    readers: list[uuid.UUID],
    *,
    serial: int = 1,
    key: crypto.SigningKey | None = None,
    programme_id: uuid.UUID | None = None,
    signed_by: uuid.UUID | None = None,
    prints: dict[uuid.UUID, bytes] | None = None,
    valid_from: int | None = None,
    valid_until: int | None = None,
) -> str:
    """A team as the staff page signs it: from the start of today (UTC) for TEAM_VALID_DAYS days."""
    world = keys.world
    start = valid_from if valid_from is not None else int(utcnow().timestamp()) // 86400 * 86400
    body = crypto.IntakeTeam(
        start,
        valid_until if valid_until is not None else start + service.TEAM_VALID_DAYS * 86400,
        tuple(crypto.IntakeReader(str(p), (prints or {}).get(p, keys.person(p).fingerprint)) for p in readers),
    )
    record = (key or keys.programme_key).sign_record(
        body,
        organisation_id=str(world.organisation_id),
        programme_id=str(programme_id or world.programme_a),
        serial=serial,
        issued_at=ISSUED_AT,
        signed_by=str(signed_by or world.staff_a),
    )
    return b64u_encode(record)


async def sign_team(browser: Browser, keys: WorldKeys, readers: list[uuid.UUID], *, serial: int = 1) -> None:
    """Staff A signs and sends the team (she must be logged in)."""
    answer = await browser.api(
        "POST",
        f"/api/v1/intake/programmes/{keys.world.programme_a}/team",
        {"serial": serial, "signed_record": team_record(keys, readers, serial=serial)},
    )
    assert answer.status_code == 204, answer.text


async def open_page(app: FastAPI, world: World, *, open_: bool = True) -> None:
    async with unit_of_work(app.state.sessionmaker) as uow:
        page = await uow.session.get(IntakePage, world.programme_a)
        if page is None:
            uow.session.add(
                IntakePage(
                    programme_id=world.programme_a,
                    organisation_id=world.organisation_id,
                    open=open_,
                    changed_by=world.staff_a,
                )
            )
        else:
            page.open = open_


def checked_readers(served: dict[str, Any], programme_id: uuid.UUID) -> list[crypto.Person]:
    """What her browser does with the served team: the chain, then each reader by her key."""
    programme_public = crypto.verify_programme_key(
        b64u_decode(served["certificate"]), b64u_decode(served["organisation_public"]), str(programme_id)
    )
    record = crypto.verify_record(b64u_decode(served["team_record"]), programme_public, crypto.RecordKind.INTAKE_TEAM)
    assert isinstance(record.body, crypto.IntakeTeam)
    identities = {r["person_id"]: r["public_identity"] for r in served["readers"]}
    readers = []
    for entry in record.body.readers:
        person = crypto.Person.from_public_identity(b64u_decode(identities[entry.person_id]))
        assert person.fingerprint == entry.fingerprint
        readers.append(person)
    return readers


def consent(language: str = "nl", referral: bool = False) -> str:
    return i18n.gettext(language, service.CONSENT_REFERRAL if referral else service.CONSENT_OWN)


async def apply(
    browser: Browser,
    programme_id: uuid.UUID,
    *,
    text: str = "Ik wil graag meedoen.",
    referral_token: str | None = None,
    served: dict[str, Any] | None = None,
    **overrides: Any,
) -> httpx.Response:
    """She applies (or a partner refers, with ``referral_token``): the letter sealed to the team."""
    base = (
        f"/api/v1/intake/referrals/{referral_token}" if referral_token else f"/api/v1/intake/programmes/{programme_id}"
    )
    if served is None:
        served = (await browser.get(f"{base}/team")).json()
    readers = checked_readers(served, programme_id)
    application_id = str(uuid.uuid4())
    sealed = crypto.seal_intake_letter(
        readers, programme_id=str(programme_id), application_id=application_id, plaintext=text.encode()
    )
    body = {
        "application_id": application_id,
        "name": "Noor",
        "contact": "06 1234 5678",
        "consent": True,
        "consent_text": consent(referral=referral_token is not None),
        "team_serial": served["team_serial"],
        "letter": b64u_encode(sealed.letter),
        "keys": {user_id: b64u_encode(box) for user_id, box in sealed.keys.items()},
        **overrides,
    }
    return await browser.api("POST", f"{base}/applications", body)


async def stored_applications(app: FastAPI) -> int:
    from sqlalchemy import func, select

    async with unit_of_work(app.state.sessionmaker) as uow:
        count = await uow.session.execute(select(func.count()).select_from(Application))
        keys = await uow.session.execute(select(func.count()).select_from(ApplicationKey))
        return int(count.scalar_one()) * 1000 + int(keys.scalar_one())


async def plain_application(uow: UnitOfWork, world: World, keys: WorldKeys | None = None) -> uuid.UUID:
    """An application straight in the database (for the access-log walk), with a team to match."""
    application_id = uuid.uuid4()
    uow.session.add(
        Application(
            id=application_id,
            organisation_id=world.organisation_id,
            programme_id=world.programme_a,
            name="Noor",
            contact="06 1234 5678",
            consent_text=consent(),
            language="nl",
            team_serial=1,
            letter="AQI",
            status="pending",
            status_hash=uuid.uuid4().bytes * 2,
            status_public=x25519_public(uuid.uuid4().bytes * 2),
            created_at=utcnow(),
        )
    )
    await uow.flush()
    if keys is not None:
        uow.session.add(
            IntakeTeam(
                organisation_id=world.organisation_id,
                programme_id=world.programme_a,
                serial=1,
                signed_record=team_record(keys, [world.staff_a]),
                signed_by=world.staff_a,
            )
        )
        await uow.flush()
    return application_id
