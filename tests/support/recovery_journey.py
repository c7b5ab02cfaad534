"""The recovery journeys' cast and steps in a real browser: her portfolio written, a new phone, titles read."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import update

from eportfolio import crypto
from eportfolio.crypto import b64u_encode
from eportfolio.domain.people import Role
from eportfolio.kit.db import make_engine, make_sessionmaker
from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.tables import CoachAssignment, Membership, Person
from tests.support.browser import PHONE
from tests.support.live import LiveServer
from tests.support.signup import PASSWORD, Keyring, invitation
from tests.support.world import World

KEY_WORK_MS = 60_000


NEW_PASSWORD = "my new phone and a new sentence"


async def cast(server: LiveServer, database_url: str, world: World, codes: dict[str, str] | None = None) -> str:
    """Admin (organisation and programme key), her, her coach (signed assignment), an officer.

    ``codes`` gets her recovery code (what she keeps on paper), when given."""
    a = world.programme_a
    keyrings = [Keyring(server) for _ in range(4)]
    engine = make_engine(database_url)
    try:
        admin_identity, org_key = await keyrings[0].sign_up(
            await invitation(database_url, world, world.admin, Role.org_admin, None), "admin", org_key=True
        )
        assert org_key is not None
        programme_key = crypto.SigningKey.generate()
        certificate = org_key.sign_record(
            crypto.ProgrammeKeyCertificate(programme_key.public), organisation_id=str(world.organisation_id),
            programme_id=str(a), serial=1, issued_at=1_780_000_000, signed_by=str(world.admin),
        )
        made = await keyrings[0].call("POST", f"/api/v1/trust/programmes/{a}", {
            "ed25519_public": b64u_encode(programme_key.public), "certificate": b64u_encode(certificate),
            "sealed_copy": b64u_encode(programme_key.seal_for(admin_identity.person)),
        })
        assert made.status_code == 201, made.text
        await keyrings[1].sign_up(await invitation(database_url, world, world.participant_a, Role.participant, a),
                                  "mother.a")
        if codes is not None:
            codes["mother.a"] = keyrings[1].recovery_code
        coach, _ = await keyrings[2].sign_up(await invitation(database_url, world, world.coach_a, Role.coach, a),
                                             "coach.a")
        record = programme_key.sign_record(
            crypto.CoachAssignment(str(world.participant_a), str(world.coach_a), coach.fingerprint,
                                   crypto.CoachRole.INDIVIDUAL, 1_767_225_600, 0),
            organisation_id=str(world.organisation_id), programme_id=str(a), serial=1, issued_at=1_780_000_000,
            signed_by=str(world.admin),
        )
        async with unit_of_work(make_sessionmaker(engine)) as uow:
            await uow.session.execute(
                update(CoachAssignment).where(CoachAssignment.id == world.assignment_a)
                .values(signed_record=b64u_encode(record), signed_by=world.admin, starts_on=date(2026, 1, 1))
            )
            officer = Person(organisation_id=world.organisation_id, display_name="Officer One", language="en")
            uow.session.add(officer)
            await uow.flush()
            uow.session.add(Membership(organisation_id=world.organisation_id, programme_id=a,
                                       person_id=officer.id, role="recovery_officer"))
            officer_id = officer.id
        await keyrings[3].sign_up(await invitation(database_url, world, officer_id, Role.recovery_officer, a),
                                  "officer.one")
    finally:
        await engine.dispose()
        for keyring in keyrings:
            await keyring.http.aclose()
    return str(officer_id)


async def new_context(chromium: Any, server: LiveServer, errors: list[str], device: dict[str, Any]) -> Any:
    context = await chromium.new_context(**device)
    await context.add_cookies([{"name": "ep_lang", "value": "en", "url": server.url}])
    page = await context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page


async def log_in(page: Any, server: LiveServer, login: str, password: str = PASSWORD) -> Any:
    await page.goto(f"{server.url}/login")
    await page.fill("#f-login", login)
    await page.fill("#f-password", password)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_url(f"{server.url}/", timeout=KEY_WORK_MS)
    return page


async def person_page(chromium: Any, server: LiveServer, login: str, errors: list[str], device: dict[str, Any],
                  password: str = PASSWORD) -> Any:
    return await log_in(await new_context(chromium, server, errors, device), server, login, password)


async def open_portfolio(page: Any, server: LiveServer, world: World) -> None:
    await page.goto(f"{server.url}/portfolio/programmes/{world.programme_a}")
    await page.wait_for_selector("#portfolio-app[data-ready=true]", timeout=30_000)


async def write(page: Any, title: str, body: str, audience: str) -> None:
    await page.select_option("#f-new-kind", "diary")
    await page.click("#new-form button[type=submit]")
    await page.fill("#f-title", title)
    await page.fill("#f-body", body)
    await page.check(f"input[name=audience][value={audience}]")
    await page.click("#editor button[type=submit]")
    await page.wait_for_selector("#item-view:not([hidden])")
    await page.click("#view-back")


async def item_titles(page: Any) -> list[str]:
    titles: list[str] = await page.locator("#items li[data-item] .item-open").all_inner_texts()
    return titles


async def she_writes(chromium: Any, server: LiveServer, world: World, errors: list[str]) -> Any:
    her = await person_page(chromium, server, "mother.a", errors, PHONE)
    await open_portfolio(her, server, world)
    await write(her, "Only for me", "Nobody else reads this", "only_me")
    await write(her, "Shared reflection", "What I learned at the workshop", "my_coaches")
    return her


async def fits(page: Any, name: str) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{name}: {width}px wide on a 360px phone"
