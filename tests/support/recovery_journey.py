"""The recovery journeys' cast and steps in a real browser: her portfolio written, a new phone, titles read."""

from __future__ import annotations

from datetime import date
from typing import Any

from eportfolio.domain.people import Role
from tests.support import browser
from tests.support.browser import PHONE
from tests.support.live import LiveServer, in_database
from tests.support.signup import PASSWORD, Keyring, invitation, signed_up_member
from tests.support.trust import admin_with_programme_key, coach_a_signed
from tests.support.world import World

KEY_WORK_MS = 60_000


NEW_PASSWORD = "my new phone and a new sentence"


async def cast(server: LiveServer, database_url: str, world: World, codes: dict[str, str] | None = None) -> str:
    """Admin (organisation and programme key), her, her coach (signed assignment), an officer.

    ``codes`` gets her recovery code (what she keeps on paper), when given."""
    a = world.programme_a
    keyrings = [Keyring(server) for _ in range(3)]
    try:
        _, programme_key = await admin_with_programme_key(keyrings[0], database_url, world)
        await keyrings[1].sign_up(await invitation(database_url, world, world.participant_a, Role.participant, a),
                                  "mother.a")
        if codes is not None:
            codes["mother.a"] = keyrings[1].recovery_code
        coach, _ = await keyrings[2].sign_up(await invitation(database_url, world, world.coach_a, Role.coach, a),
                                             "coach.a")
    finally:
        for keyring in keyrings:
            await keyring.http.aclose()
    await in_database(
        database_url,
        coach_a_signed(world, programme_key, coach.fingerprint).values(starts_on=date(2026, 1, 1)),
    )
    officer_id, _ = await signed_up_member(
        server, database_url, world, "Officer One", Role.recovery_officer, "officer.one", language="en"
    )
    return str(officer_id)


async def new_context(chromium: Any, server: LiveServer, errors: list[str], device: dict[str, Any]) -> Any:
    context = await chromium.new_context(**device)
    await context.add_cookies([{"name": "ep_lang", "value": "en", "url": server.url}])
    page = await context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page


async def log_in(page: Any, server: LiveServer, login: str, password: str = PASSWORD) -> Any:
    await browser.log_in(page, server, login, password)
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
