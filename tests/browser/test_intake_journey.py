"""Applications in real Chromium at 360 px. The admin (who holds the programme key) switches the
application page on and signs the intake team by clicking from home; a mother without an account
applies on the public page, her letter sealed in her browser; the admin opens the queue from home,
reads her letter (opened in the admin's browser) and accepts; she opens her status link and sees
her invitation. And the server as adversary: it swaps a reader into the intake team, and her
browser refuses to send anything."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from eportfolio import crypto
from eportfolio.accounts.tables import Account
from eportfolio.crypto import b64u_decode, b64u_encode
from eportfolio.intake import service as intake_service
from eportfolio.intake.tables import Application, IntakePage, IntakeTeam
from eportfolio.kit.clock import utcnow
from eportfolio.kit.db import make_engine, make_sessionmaker
from eportfolio.kit.uow import unit_of_work
from tests.support.browser import PHONE
from tests.support.chat_journey import logged_in
from tests.support.live import LiveServer, in_database
from tests.support.lying import Attacker, Liar
from tests.support.signup import Keyring
from tests.support.trust import admin_with_programme_key
from tests.support.world import World

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("EPORTFOLIO_SCREENSHOTS")
MARKER = "MARKER-only-for-the-intake-team-4b2d"
DAY = 1_767_225_600


async def _fits(page: Any, name: str) -> None:
    if SHOTS:
        await page.screenshot(path=str(Path(SHOTS) / f"intake-{name}.png"), full_page=True)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{name}: {width}px wide on a 360px phone"


async def _admin_with_key(server: LiveServer, database_url: str, world: World) -> crypto.SigningKey:
    keyring = Keyring(server)
    try:
        _, programme_key = await admin_with_programme_key(keyring, database_url, world)
    finally:
        await keyring.http.aclose()
    return programme_key


async def _stored(database_url: str) -> list[Application]:
    engine = make_engine(database_url)
    try:
        async with unit_of_work(make_sessionmaker(engine)) as uow:
            return list((await uow.session.execute(select(Application))).scalars())
    finally:
        await engine.dispose()


async def _to_applications(page: Any, server: LiveServer, world: World) -> None:
    """From home, by clicking: the menu's "Manage", programme A, its "Applications" tab."""
    await page.goto(f"{server.url}/")
    await page.click("a[data-nav=manage], a[href='/manage']")
    if f"/manage/programmes/{world.programme_a}" not in page.url:
        await page.click(f"a[href='/manage/programmes/{world.programme_a}']")
    await page.click(f"nav.sub-nav a[href='/manage/programmes/{world.programme_a}/intake']")
    await page.wait_for_selector("#intake-page")


async def test_she_applies_the_intake_team_reads_and_accepts_and_she_sees_her_invitation(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    await _admin_with_key(server, database_url, world)
    errors: list[str] = []
    admin = await logged_in(chromium, server, "admin", PHONE, errors)

    # The page on, and the intake team signed, by clicking from home.
    await _to_applications(admin, server, world)
    assert "staat uit" in await admin.inner_text("#intake-page-state")
    await admin.click("#intake-switch")
    await admin.wait_for_selector("#intake-public-link")
    public_link = await admin.get_attribute("#intake-public-link", "href")
    assert public_link is not None
    await admin.check(f"#reader-{world.admin}")
    await _fits(admin, "staff-team")
    await admin.click("#team-sign")
    await admin.wait_for_url("**/intake?signed=1", timeout=60_000)
    assert "Ondertekend" in await admin.inner_text("#intake-team-state")
    # The team is signed for a limited time: the page says when to sign it again.
    assert "Onderteken het intaketeam opnieuw vóór" in await admin.inner_text("#intake-team-until")

    # She applies: no account, a phone at 360 px.
    context = await chromium.new_context(**PHONE)
    her = await context.new_page()
    her.on("pageerror", lambda e: errors.append(f"her: {e}"))
    await her.goto(public_link)
    await her.wait_for_selector("#apply-form", state="visible", timeout=30_000)
    assert len(await her.inner_text("#org-fingerprint")) > 10, "the organisation key's fingerprint to compare"
    await her.fill("#f-name", "Noor Amrani")
    await her.fill("#f-contact", "06 1234 5678")
    await her.fill("#f-letter", f"Ik wil sterker worden voor mijn zoon. {MARKER}")
    await her.click("#apply-send")
    problem = her.locator("#apply-problem")
    await problem.wait_for(state="visible")
    assert "vinkje" in await problem.inner_text(), "without consent nothing is sent"
    await her.check("#f-consent")
    await _fits(her, "apply")
    await her.click("#apply-send")
    await her.wait_for_selector("#apply-done", state="visible", timeout=30_000)
    status_link = await her.get_attribute("#status-link", "href")
    assert status_link is not None
    assert "Bewaar deze link" in await her.inner_text("#apply-done")
    await _fits(her, "sent")
    stored = await _stored(database_url)
    assert len(stored) == 1
    assert MARKER not in stored[0].letter, "the server holds her letter only as ciphertext"
    assert stored[0].consent_text.startswith("Ik vind het goed"), "the consent text she saw is kept"

    # A midwife refers another mother through the link the admin made for her practice.
    await _to_applications(admin, server, world)
    await admin.fill("#f-partner_name", "Verloskundigen Emmen")
    await admin.click("#intake-referrers button[type=submit]:not(.button--secondary)")
    referral_link = await admin.get_attribute("#referrer-link", "href")
    assert referral_link is not None
    partner = await context.new_page()
    partner.on("pageerror", lambda e: errors.append(f"partner: {e}"))
    await partner.goto(referral_link)
    await partner.wait_for_selector("#apply-form", state="visible", timeout=30_000)
    await partner.fill("#f-name", "Sanne de Vries")
    await partner.fill("#f-contact", "sanne@example.org")
    await partner.fill("#f-letter", "Zwanger, weinig steun thuis.")
    await partner.check("#f-consent")
    await _fits(partner, "referral")
    await partner.click("#apply-send")
    await partner.wait_for_selector("#apply-done", state="visible", timeout=30_000)
    done = await partner.inner_text("#apply-done")
    assert "Geef deze link aan de moeder" in done, "the link is hers, not the partner's"

    # The admin opens the queue from home, reads her letter and accepts.
    await _to_applications(admin, server, world)
    assert "Verwijzing door Verloskundigen Emmen" in await admin.inner_text("#intake-queue")
    await _fits(admin, "staff-queue")
    await admin.click("#intake-queue a:has-text('Noor Amrani')")
    await admin.wait_for_selector("#letter[data-opened=yes]", timeout=30_000)
    assert (await admin.inner_text("#letter")).startswith("Ik wil sterker"), "her text, not the JSON around it"
    assert await admin.is_hidden("#letter-mismatch"), "the name and contact shown are the ones she sealed"
    await _fits(admin, "staff-letter")
    # A lying server pairs her letter with another contact: the staff browser warns.
    engine = make_engine(database_url)
    try:
        async with unit_of_work(make_sessionmaker(engine)) as uow:
            await uow.session.execute(
                update(Application).where(Application.name == "Noor Amrani").values(contact="06 9999 0000")
            )
    finally:
        await engine.dispose()
    await admin.reload()
    await admin.wait_for_selector("#letter-mismatch", state="visible", timeout=30_000)
    assert "anders dan in de brief zelf" in await admin.inner_text("#letter-mismatch")
    assert MARKER in await admin.inner_text("#letter")
    await admin.click("#accept")
    await admin.wait_for_selector("#invitation-made")
    await _fits(admin, "staff-accepted")

    # She opens her status link: accepted, with her invitation.
    await her.goto(f"{server.url}{status_link}")
    assert "Aangenomen" in await her.inner_text("#status")
    invitation = await her.get_attribute("#invitation-link", "href")
    assert invitation is not None
    assert invitation.startswith("/join?code=")
    await _fits(her, "status-accepted")
    await her.click("#invitation-link")
    await her.wait_for_url("**/join?code=*")
    assert not errors, errors


async def test_a_reader_swapped_into_the_intake_team_gets_nothing_and_she_is_told(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    programme_key = await _admin_with_key(server, database_url, world)
    engine = make_engine(database_url)
    try:
        async with unit_of_work(make_sessionmaker(engine)) as uow:
            account = await uow.session.get(Account, world.admin)
            assert account is not None
            admin = crypto.Person.from_public_identity(account.public_identity)
    finally:
        await engine.dispose()

    def team(key: crypto.SigningKey, readers: list[crypto.Person]) -> str:
        # As the staff page signs it: from the start of today for the days a team holds.
        start = int(utcnow().timestamp()) // 86400 * 86400
        body = crypto.IntakeTeam(
            start,
            start + intake_service.TEAM_VALID_DAYS * 86400,
            tuple(crypto.IntakeReader(p.user_id, p.fingerprint) for p in readers),
        )
        return b64u_encode(
            key.sign_record(
                body,
                organisation_id=str(world.organisation_id),
                programme_id=str(world.programme_a),
                serial=1,
                issued_at=DAY,
                signed_by=str(world.admin),
            )
        )

    await in_database(
        database_url,
        insert(IntakePage).values(
            programme_id=world.programme_a, organisation_id=world.organisation_id, open=True, changed_by=world.admin
        ),
        insert(IntakeTeam).values(
            id=uuid.uuid4(),
            organisation_id=world.organisation_id,
            programme_id=world.programme_a,
            serial=1,
            signed_record=team(programme_key, [admin]),
            signed_by=world.admin,
        ),
    )
    mallory = Attacker.make(str(world.admin))  # under the admin's own id
    stranger = Attacker.make()
    own_key = crypto.SigningKey.generate()
    team_path = rf"/api/v1/intake/programmes/{world.programme_a}/team"
    lies: dict[str, Any] = {
        # The admin's key swapped for the server's own under her id.
        "swapped": lambda status, data: (
            status,
            {
                **data,
                "readers": [{"person_id": str(world.admin), "public_identity": mallory.public_identity()}],
            },
        ),
        # A reader of the server's own added, the record signed again with a key of its own.
        "added": lambda status, data: (
            status,
            {
                **data,
                "team_record": team(own_key, [admin, stranger.identity.person]),
                "readers": [
                    *data["readers"],
                    {"person_id": stranger.user_id, "public_identity": stranger.public_identity()},
                ],
            },
        ),
    }
    for name, rewrite in lies.items():
        liar = Liar()
        liar.lie(team_path, rewrite)
        context = await chromium.new_context(**PHONE)
        await liar.install(context)
        page = await context.new_page()
        await page.goto(f"{server.url}/apply/{world.programme_a}")
        refused = page.locator("#apply-refused")
        await refused.wait_for(state="visible", timeout=30_000)
        assert "NIET verstuurd" in await refused.inner_text(), name
        assert not await page.locator("#apply-form").is_visible(), name
        await _fits(page, f"lying-{name}")
        assert not [p for m, p, _ in liar.bodies() if m == "POST"], f"{name}: her browser sent something"
        await context.close()
    assert await _stored(database_url) == []
    # The honest page still works: the record checks out in her browser.
    context = await chromium.new_context(**PHONE)
    page = await context.new_page()
    await page.goto(f"{server.url}/apply/{world.programme_a}")
    await page.wait_for_selector("#apply-form", state="visible", timeout=30_000)
    served = b64u_decode(team(programme_key, [admin]))
    assert crypto.verify_record(served, programme_key.public, crypto.RecordKind.INTAKE_TEAM).serial == 1
    await context.close()
