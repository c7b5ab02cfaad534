"""The portfolio journey's cast and steps in a real browser: everyone signed up, her phone, writing an item."""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path
from typing import Any

from eportfolio import crypto
from eportfolio.domain.people import Role
from tests.support.browser import PHONE, log_in
from tests.support.live import LiveServer, in_database
from tests.support.signup import PASSWORD, Keyring, invitation
from tests.support.trust import admin_with_programme_key, coach_a_signed
from tests.support.world import World

SHOTS = os.environ.get("EPORTFOLIO_SCREENSHOTS")


def png(width: int = 40, height: int = 30) -> bytes:
    """A small real PNG with a text chunk standing in for hidden metadata."""
    raw = b"".join(b"\x00" + bytes([200, 80, 40]) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"tEXt", b"Location\x00Emmen, Kerkstraat 1")
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


async def cast(server: LiveServer, database_url: str, world: World) -> crypto.SigningKey:
    """Admin (organisation and programme key), her, and her coach with an assignment the admin
    signed, all signed up with real keys. Returns the programme key."""
    _, programme_key = await cast_keeping_keys(server, database_url, world)
    return programme_key


async def cast_keeping_keys(
    server: LiveServer, database_url: str, world: World
) -> tuple[crypto.SigningKey, crypto.SigningKey]:
    """As `cast`, and the organisation key too (to certify a new programme key): returns the
    organisation key and the programme key."""
    keyrings = [Keyring(server) for _ in range(3)]
    a = world.programme_a
    try:
        org_key, programme_key = await admin_with_programme_key(keyrings[0], database_url, world)
        her_code = await invitation(database_url, world, world.participant_a, Role.participant, a)
        await keyrings[1].sign_up(her_code, "mother.a")
        coach_code = await invitation(database_url, world, world.coach_a, Role.coach, a)
        coach, _ = await keyrings[2].sign_up(coach_code, "coach.a")
    finally:
        for keyring in keyrings:
            await keyring.http.aclose()
    await in_database(database_url, coach_a_signed(world, programme_key, coach.fingerprint))
    return org_key, programme_key


def stored_blobs(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


async def phone_page(chromium: Any, server: LiveServer, login: str, errors: list[str]) -> Any:
    context = await chromium.new_context(**PHONE)
    page = await context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    await log_in(page, server, login, PASSWORD)
    return page


async def ready(page: Any, url: str) -> None:
    await page.goto(url)
    await page.wait_for_selector("#portfolio-app[data-ready=true]", timeout=30_000)


async def fits(page: Any, name: str) -> None:
    if SHOTS:
        await page.screenshot(path=str(Path(SHOTS) / f"portfolio-{name}.png"), full_page=True)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{name}: {width}px wide on a 360px phone"


async def write(page: Any, kind: str, title: str, body: str, audience: str) -> None:
    await page.select_option("#f-new-kind", kind)
    await page.click("#new-form button[type=submit]")
    await page.fill("#f-title", title)
    await page.fill("#f-body", body)
    await page.check(f"input[name=audience][value={audience}]")
    await page.click("#editor button[type=submit]")
    await page.wait_for_selector("#item-view:not([hidden])")
    assert (await page.inner_text("#view-heading")).strip() == title
