"""Signing up in a real browser: a page that records errors, and the sign-up form filled in."""

from __future__ import annotations

from typing import Any

from tests.support.live import LiveServer

KEY_WORK_MS = 60_000  # Argon2id at 64 MiB on a slow machine, with room to spare


FINGERPRINT_SHOWN = "#computed-fingerprint:text-matches('^[0-9A-Z]{4}( [0-9A-Z]{4}){5}$')"


async def new_page(context: Any, errors: list[str]) -> Any:
    page = await context.new_page()
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page


async def sign_up(page: Any, server: LiveServer, code: str, login: str, password: str) -> str:
    await page.goto(f"{server.url}/join?code={code}")
    if await page.locator("#f-fingerprint_ok").count():
        await page.wait_for_selector(FINGERPRINT_SHOWN)
        await page.check("#f-fingerprint_ok")
    await page.fill("#f-login", login)
    await page.fill("#f-password", password)
    await page.fill("#f-password2", password)
    await page.click("#signup-form button[type=submit]")
    await page.wait_for_selector("#recovery-step:not([hidden])", timeout=KEY_WORK_MS)
    recovery = (await page.inner_text("#recovery-code")).strip()
    # Type a last group that differs from the real one, so the check must refuse it.
    wrong_group = "0000" if recovery[-4:] != "0000" else "1111"
    await page.fill("#f-last-group", wrong_group)
    await page.click("#recovery-check button[type=submit]")
    assert await page.is_visible("#e-last-group"), "a wrong check is caught"
    await page.fill("#f-last-group", recovery[-4:])
    await page.click("#recovery-check button[type=submit]")
    await page.wait_for_url(f"{server.url}/")
    return recovery
