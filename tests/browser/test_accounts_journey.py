"""Her whole account journey in real Chromium on a phone: the first admin makes the organisation
key, staff invite her, she signs up and writes down her recovery code, logs out and in, changes
her password, resets it with the code, and a second browser profile unlocks the same keys."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from eportfolio.domain.people import Role
from tests.support.browser import PHONE, log_in
from tests.support.live import LiveServer, session_cookie_for
from tests.support.signup import invitation
from tests.support.signup_pages import FINGERPRINT_SHOWN, KEY_WORK_MS, new_page, sign_up
from tests.support.world import World

pytestmark = pytest.mark.browser

# The page computed and showed the organisation key's fingerprint (no string predicates: strict CSP).


async def _log_out(page: Any, server: LiveServer) -> None:
    await page.goto(f"{server.url}/account")
    await page.click("form[action='/logout'] button")
    await page.wait_for_selector("#wipe-status[data-state=wiped]")


async def _kept_fingerprint(page: Any) -> str | None:
    result: str | None = await page.evaluate(
        """async () => {
            const keyring = await import('/static/js/crypto/index.js');
            const identity = await keyring.loadSession();
            return identity ? await identity.person.fingerprintText() : null;
        }"""
    )
    return result


async def _pinned_organisation_key(page: Any) -> str | None:
    result: str | None = await page.evaluate(
        """async () => {
            const keyring = await import('/static/js/crypto/index.js');
            const identity = await keyring.loadSession();
            const answer = await fetch('/api/v1/pinned-keys', { headers: { accept: 'application/json' } });
            if (answer.status !== 200) return null;
            const { record } = await answer.json();
            const { entries } = await keyring.openPinnedKeys(identity, keyring.b64uDecode(record));
            const pin = entries.find((e) => e.kind === keyring.FingerprintKind.ORGANISATION_KEY && e.confirmed);
            if (!pin) return null;
            return keyring.fingerprintText(
                await keyring.fingerprint(pin.kind, pin.subjectId, pin.keyMaterial));
        }"""
    )
    return result


async def test_she_joins_logs_in_changes_and_resets_her_password_on_a_phone(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str, tmp_path: Path
) -> None:
    world, server = world_and_server
    errors: list[str] = []

    admin_context = await chromium.new_context(**PHONE)
    admin_page = await new_page(admin_context, errors)
    admin_code = await invitation(database_url, world, world.admin, Role.org_admin, None)
    await sign_up(admin_page, server, admin_code, "admin", "the admin's passphrase")

    staff_context = await chromium.new_context(**PHONE, java_script_enabled=False)
    await staff_context.add_cookies([await session_cookie_for(database_url, server, world.staff_a)])
    staff_page = await staff_context.new_page()
    await staff_page.goto(f"{server.url}/manage/programmes/{world.programme_a}/invitations")
    card = staff_page.locator("li.card", has_text="Mother A2")
    await card.locator("button").first.click()
    code = (await staff_page.inner_text("#invitation-code")).strip()
    printed_fingerprint = (await staff_page.inner_text("#organisation-fingerprint")).strip()

    phone = await chromium.new_context(**PHONE)
    page = await new_page(phone, errors)
    await page.goto(f"{server.url}/join?code={code}")
    await page.wait_for_selector(FINGERPRINT_SHOWN)
    assert (await page.inner_text("#computed-fingerprint")).strip() == printed_fingerprint
    await page.fill("#f-login", "mother.a2")
    await page.fill("#f-password", "password")
    await page.fill("#f-password2", "password")
    await page.click("#signup-form button[type=submit]")
    assert await page.is_visible("#e-password"), "too short and common passwords are refused in the browser"
    recovery = await sign_up(page, server, code, "mother.a2", "first password of hers")
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){6}", recovery)
    fingerprint = await _kept_fingerprint(page)
    assert fingerprint is not None, "her keys are in this session's key store"
    assert await _pinned_organisation_key(page) == printed_fingerprint, "she pinned the key she checked"
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360

    await _log_out(page, server)
    assert await _kept_fingerprint(page) is None, "logout wipes the key store"
    await log_in(page, server, "mother.a2", "first password of hers")
    assert "Mother A2" in await page.inner_text("h1")
    assert await _kept_fingerprint(page) == fingerprint

    await page.goto(f"{server.url}/account/password")
    await page.fill("#f-current", "first password of hers")
    await page.fill("#f-password", "second password of hers")
    await page.fill("#f-password2", "second password of hers")
    await page.click("#password-form button[type=submit]")
    await page.wait_for_selector("#done:not([hidden])", timeout=KEY_WORK_MS)

    await _log_out(page, server)
    await page.goto(f"{server.url}/recover")
    await page.fill("#f-login", "mother.a2")
    await page.fill("#f-code", recovery.lower().replace("-", " "))
    await page.fill("#f-password", "third password after reset")
    await page.fill("#f-password2", "third password after reset")
    await page.click("#recover-form button[type=submit]")
    await page.wait_for_selector("#new-code-offer:not([hidden])", timeout=KEY_WORK_MS)
    assert await _kept_fingerprint(page) == fingerprint, "nothing is lost"
    await page.click("#make-new-code")
    await page.wait_for_selector("#recovery-step:not([hidden])", timeout=KEY_WORK_MS)
    new_recovery = (await page.inner_text("#recovery-code")).strip()
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){6}", new_recovery)
    assert new_recovery != recovery
    await page.fill("#f-last-group", new_recovery[-4:])
    await page.click("#recovery-check button[type=submit]")
    await page.wait_for_url(f"{server.url}/")

    assert not errors, errors
    second = await chromium.new_context(**PHONE)
    other_page = await new_page(second, errors)
    await other_page.goto(f"{server.url}/recover")
    await other_page.fill("#f-login", "mother.a2")
    await other_page.fill("#f-code", recovery)
    await other_page.fill("#f-password", "someone else's attempt")
    await other_page.fill("#f-password2", "someone else's attempt")
    await other_page.click("#recover-form button[type=submit]")
    await other_page.wait_for_selector("#e-form:not([hidden])", timeout=KEY_WORK_MS)
    assert all("401" in error for error in errors), errors  # the browser logs the refused request
    errors.clear()
    await log_in(other_page, server, "mother.a2", "third password after reset")
    assert await _kept_fingerprint(other_page) == fingerprint, "a second profile unlocks the same keys"
    await other_page.goto(f"{server.url}/account")
    assert fingerprint in await other_page.inner_text("#my-fingerprint")
    assert not errors, errors
    for context in (admin_context, staff_context, phone, second):
        await context.close()
