"""Recovery in real Chromium: her phone on a 360 px viewport, staff, officers and coaches at a
desk. Programme recovery gives her everything back on a new phone after an officer who saw her in
person compared the fingerprint; a coach-assisted reset gives her what she shared once her coach
compared her new fingerprint, and her "only me" items are lost, as the warning said."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.browser import DESKTOP, PHONE
from tests.support.live import LiveServer
from tests.support.recovery_journey import (
    KEY_WORK_MS,
    NEW_PASSWORD,
    cast,
    fits,
    item_titles,
    new_context,
    open_portfolio,
    person_page,
    she_writes,
)
from tests.support.signup import PASSWORD
from tests.support.world import World

pytestmark = pytest.mark.browser

FINGERPRINT = re.compile(r"^[0-9A-Z]{4}( [0-9A-Z]{4}){5}$")


async def test_programme_recovery_on_a_new_phone_gives_her_everything_back(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    a = world.programme_a
    officer_id = await cast(server, database_url, world)
    errors: list[str] = []
    her = await she_writes(chromium, server, world, errors)

    # Staff make the recovery key; their browser gives it to the officer.
    admin = await person_page(chromium, server, "admin", errors, DESKTOP)
    await admin.goto(f"{server.url}/recovery/programmes/{a}/key")
    await admin.click("#make-recovery-key")
    await admin.wait_for_selector("#recovery-fingerprint", timeout=30_000)
    assert "holds the key" in await admin.inner_text(f"[data-officer='{officer_id}']")

    # She says yes, from her home page.
    await her.goto(f"{server.url}/")
    await her.click(f"a[href='/recovery/programmes/{a}/consent']")
    await her.fill("#f-password", PASSWORD)
    await her.click("#consent-form button[type=submit]")
    await her.wait_for_selector("#consent-state.alert--success", timeout=KEY_WORK_MS)
    await fits(her, "consent")

    # She lost her password and her recovery code: a new phone asks for help.
    phone = await new_context(chromium, server, errors, PHONE)
    await phone.goto(f"{server.url}/recovery/device")
    await phone.fill("#f-login", "mother.a")
    await phone.click("#device-form button[type=submit]")
    await phone.wait_for_selector("#device-code:not([hidden])", timeout=30_000)
    shown = (await phone.inner_text("#device-fingerprint")).strip()
    assert FINGERPRINT.match(shown), shown
    qr = await phone.get_attribute("#device-qr", "src")
    drawn = await phone.request.get(f"{server.url}{qr}")
    assert drawn.status == 200, f"the QR code is drawn: {qr}"
    await phone.wait_for_function("() => document.getElementById('device-qr').naturalWidth > 0")
    await fits(phone, "device")

    # The officer checked her ID in person and compares the code, then re-seals.
    officer = await person_page(chromium, server, "officer.one", errors, DESKTOP)
    await officer.goto(f"{server.url}/recovery/programmes/{a}/requests")
    entry = officer.locator("#waiting li[data-request]")
    await officer.wait_for_function(
        "() => document.querySelector('#waiting [data-fingerprint]').textContent.length > 0")
    assert (await entry.locator("[data-fingerprint]").inner_text()).strip() == shown
    await entry.locator("[data-same]").check()
    await entry.locator("[data-reseal]").click()
    await entry.locator("[data-error]:not([hidden])").wait_for()
    refused = await entry.locator("[data-error]").inner_text()
    assert "identity in person" in refused, "without the in-person check it is refused"
    await entry.locator("[data-identity-checked]").check()
    await entry.locator("[data-reseal]").click()
    await entry.locator("[data-done]:not([hidden])").wait_for(timeout=30_000)

    # Her new phone: a new password, and everything she wrote opens, "only me" too.
    await phone.wait_for_selector("#device-password:not([hidden])", timeout=30_000)
    await phone.fill("#f-password", NEW_PASSWORD)
    await phone.fill("#f-password2", NEW_PASSWORD)
    await phone.click("#password-form button[type=submit]")
    await phone.wait_for_url(f"{server.url}/", timeout=KEY_WORK_MS)
    await open_portfolio(phone, server, world)
    assert {"Only for me", "Shared reflection"} <= set(await item_titles(phone))
    await phone.click("#items .item-open >> text=Only for me")
    assert "Nobody else reads this" in await phone.inner_text("#view-body")

    # Her other sessions ended; her next login says the programme recovered her account.
    ended = await her.goto(f"{server.url}/portfolio/programmes/{a}")
    assert "/login" in her.url or (ended is not None and ended.status == 401)
    again = await person_page(chromium, server, "mother.a", errors, PHONE, NEW_PASSWORD)
    await again.wait_for_selector("#recovery-notice:not([hidden])")
    assert "recovery officer" in await again.inner_text("#recovery-notice")
    await fits(again, "home")
    await again.click("#recovery-notice button")
    await again.wait_for_selector("#recovery-notice", state="hidden")
    await again.reload()
    assert await again.locator("#recovery-notice:not([hidden])").count() == 0, "told once"
    # The refusals she and the officer are meant to meet: the unticked box (422), the ended session (401).
    assert [e for e in errors if "status of 422" not in e and "status of 401" not in e] == [], errors


async def _coach_opens_her_portfolio(page: Any, server: LiveServer) -> None:
    await page.goto(f"{server.url}/portfolio")
    await page.click("a[href^='/portfolio/']:not([href*=programmes])")
    await page.wait_for_selector("#portfolio-app[data-ready=true]", timeout=30_000)


async def test_a_coach_assisted_reset_gives_back_what_she_shared_and_only_me_is_lost(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    a = world.programme_a
    await cast(server, database_url, world)
    errors: list[str] = []
    her = await she_writes(chromium, server, world, errors)

    # Staff make a one-time reset code to hand her in person.
    admin = await person_page(chromium, server, "admin", errors, DESKTOP)
    await admin.goto(f"{server.url}/recovery/programmes/{a}/people/{world.participant_a}/reset")
    await admin.click("#make-reset")
    code = (await admin.inner_text("#reset-code")).strip()
    assert code

    # Her new phone: the plain warning first; without confirming it nothing changes.
    phone = await new_context(chromium, server, errors, PHONE)
    await phone.goto(f"{server.url}/recovery/reset")
    warning = await phone.inner_text("#reset-warning")
    assert '"only me"' in warning
    assert "lost" in warning
    await fits(phone, "reset")
    await phone.fill("#f-code", code)
    await phone.fill("#f-password", NEW_PASSWORD)
    await phone.fill("#f-password2", NEW_PASSWORD)
    await phone.click("#reset-form button[type=submit]")
    await phone.wait_for_selector("#e-form:not([hidden])", timeout=KEY_WORK_MS)
    assert await phone.is_hidden("#reset-done")
    await phone.check("#f-understood")
    await phone.click("#reset-form button[type=submit]")
    await phone.wait_for_selector("#reset-done:not([hidden])", timeout=KEY_WORK_MS)
    new_fingerprint = (await phone.inner_text("#my-fingerprint")).strip()
    assert FINGERPRINT.match(new_fingerprint), new_fingerprint
    ended = await her.goto(f"{server.url}/portfolio/programmes/{a}")
    assert "/login" in her.url or (ended is not None and ended.status == 401), "her old sessions ended"

    # Her coach still reads with the keys she had (signed by her former key), compares the new
    # fingerprint with her phone in person, and gives her access again.
    coach = await person_page(chromium, server, "coach.a", errors, PHONE)
    await _coach_opens_her_portfolio(coach, server)
    assert "Shared reflection" in await item_titles(coach)
    await coach.click("#items .item-open >> text=Shared reflection")
    assert "What I learned at the workshop" in await coach.inner_text("#view-body")
    await coach.wait_for_selector("#recovery-panel:not([hidden])")
    assert (await coach.inner_text("#recovery-fingerprint")).strip() == new_fingerprint
    await coach.click("#recovery-confirm")
    await coach.wait_for_selector("#recovery-panel", state="hidden", timeout=30_000)
    former = await coach.evaluate(
        "async (url) => (await (await fetch(url)).json())",
        f"/api/v1/recovery/programmes/{a}/people/{world.participant_a}/former-identities",
    )
    assert [f["vouched_by"] for f in former] == [str(world.coach_a)], "her coach's check is noted"

    # She reads what she shared; her "only me" item is lost, as the warning said.
    await phone.click("#reset-done a")
    await phone.wait_for_url(f"{server.url}/")
    await phone.wait_for_selector("#recovery-notice:not([hidden])")
    await open_portfolio(phone, server, world)
    # Her new keys cannot open the list of keys she trusted before: she compares her
    # organisation's code with staff in person (they are with her for the reset) and goes on.
    await phone.wait_for_selector("#key-change[data-kind=missing]:not([hidden])")
    async with phone.expect_navigation(timeout=30_000):
        await phone.click("#key-change-confirm")
    await phone.wait_for_selector("#portfolio-app[data-ready=true]", timeout=30_000)
    titles = await item_titles(phone)
    assert "Shared reflection" in titles
    assert "Only for me" not in titles
    assert len(titles) == 2, "the lost item is listed as one that cannot be opened, not hidden"
    await phone.click("#items .item-open >> text=Shared reflection")
    assert "What I learned at the workshop" in await phone.inner_text("#view-body")
    await fits(phone, "after-reset")
    assert [e for e in errors if "status of 422" not in e and "status of 401" not in e] == [], errors


async def _log_out(page: Any, server: LiveServer) -> None:
    await page.goto(f"{server.url}/account")
    await page.click("form[action='/logout'] button")
    await page.wait_for_selector("#wipe-status[data-state=wiped]")


async def test_withdrawing_consent_gives_her_a_new_key_and_she_still_reads_her_only_me_item(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    a = world.programme_a
    codes: dict[str, str] = {}
    await cast(server, database_url, world, codes)
    errors: list[str] = []
    her = await she_writes(chromium, server, world, errors)
    admin = await person_page(chromium, server, "admin", errors, DESKTOP)
    await admin.goto(f"{server.url}/recovery/programmes/{a}/key")
    await admin.click("#make-recovery-key")
    await admin.wait_for_selector("#recovery-fingerprint", timeout=30_000)

    consent_page = f"{server.url}/recovery/programmes/{a}/consent"
    await her.goto(consent_page)
    await her.fill("#f-password", PASSWORD)
    await her.click("#consent-form button[type=submit]")
    await her.wait_for_selector("#consent-state.alert--success", timeout=KEY_WORK_MS)
    before = await her.evaluate("async () => (await (await fetch('/api/v1/recovery/rotation')).json()).user_key_id")

    # She changes her mind: the page says in plain words what happens, on her phone.
    explained = await her.inner_text("#withdraw-part")
    assert "new key" in explained
    assert "password and your recovery code stay the same" in explained
    await fits(her, "withdraw")
    await her.fill("#f-withdraw-password", PASSWORD)
    await her.click("#withdraw")
    await her.wait_for_selector("#e-withdraw:not([hidden])")
    assert "recovery code" in await her.inner_text("#e-withdraw"), "her code, or a new one: she chooses"
    await her.fill("#f-recovery-code", "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG")
    await her.click("#withdraw")
    await her.wait_for_function(
        "() => !document.getElementById('e-withdraw').hidden && document.getElementById('e-withdraw').textContent",
        timeout=KEY_WORK_MS,
    )
    assert "not right" in await her.inner_text("#e-withdraw"), "a code that is not hers changes nothing"
    await her.fill("#f-recovery-code", codes["mother.a"])
    await her.click("#withdraw")
    await her.wait_for_selector("#withdraw-done:not([hidden])", timeout=KEY_WORK_MS)
    assert await her.is_hidden("#new-code-part"), "she kept her code, so no new one is shown"
    await fits(her, "withdrawn")
    after = await her.evaluate("async () => (await (await fetch('/api/v1/recovery/rotation')).json()).user_key_id")
    assert after != before, "a new user key"
    consent = await her.evaluate(f"async () => (await (await fetch('/api/v1/recovery/programmes/{a}/consent')).json())")
    assert consent["consented"] is False

    # This phone keeps working with the new key: her only-me item opens here at once.
    await open_portfolio(her, server, world)
    await her.click("#items .item-open >> text=Only for me")
    assert "Nobody else reads this" in await her.inner_text("#view-body")

    # She logs out, and logs in on a fresh browser profile: everything opens, "only me" too.
    await _log_out(her, server)
    fresh = await person_page(chromium, server, "mother.a", errors, PHONE)
    await open_portfolio(fresh, server, world)
    assert {"Only for me", "Shared reflection"} <= set(await item_titles(fresh))
    await fresh.click("#items .item-open >> text=Only for me")
    assert "Nobody else reads this" in await fresh.inner_text("#view-body")
    await fits(fresh, "portfolio after withdrawal")
    # The refusals she meets on purpose: the wrong recovery code (422).
    assert [e for e in errors if "status of 422" not in e] == [], errors
