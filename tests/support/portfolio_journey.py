"""The portfolio journey's cast and steps in a real browser: everyone signed up, her phone, writing an item."""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path
from typing import Any

from sqlalchemy import update

from eportfolio import crypto
from eportfolio.crypto import b64u_encode
from eportfolio.domain.people import Role
from eportfolio.kit.db import make_engine, make_sessionmaker
from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.tables import CoachAssignment
from tests.support.browser import PHONE
from tests.support.live import LiveServer
from tests.support.signup import PASSWORD, Keyring, invitation
from tests.support.world import World

KEY_WORK_MS = 60_000


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
    keyrings = [Keyring(server) for _ in range(3)]
    try:
        return await sign_everyone_up(keyrings, server, database_url, world)
    finally:
        for keyring in keyrings:
            await keyring.http.aclose()


async def sign_everyone_up(
    keyrings: list[Keyring], server: LiveServer, database_url: str, world: World
) -> crypto.SigningKey:
    a = world.programme_a
    admin = keyrings[0]
    admin_identity, org_key = await admin.sign_up(
        await invitation(database_url, world, world.admin, Role.org_admin, None), "admin", org_key=True
    )
    assert org_key is not None
    programme_key = crypto.SigningKey.generate()
    certificate = org_key.sign_record(
        crypto.ProgrammeKeyCertificate(programme_key.public), organisation_id=str(world.organisation_id),
        programme_id=str(a), serial=1, issued_at=1_780_000_000, signed_by=str(world.admin),
    )
    made = await admin.call("POST", f"/api/v1/trust/programmes/{a}", {
        "ed25519_public": b64u_encode(programme_key.public), "certificate": b64u_encode(certificate),
        "sealed_copy": b64u_encode(programme_key.seal_for(admin_identity.person)),
    })
    assert made.status_code == 201, made.text
    her_code = await invitation(database_url, world, world.participant_a, Role.participant, a)
    await keyrings[1].sign_up(her_code, "mother.a")
    coach_code = await invitation(database_url, world, world.coach_a, Role.coach, a)
    coach, _ = await keyrings[2].sign_up(coach_code, "coach.a")
    record = programme_key.sign_record(
        crypto.CoachAssignment(str(world.participant_a), str(world.coach_a), coach.fingerprint,
                               crypto.CoachRole.INDIVIDUAL, 1_767_225_600, 0),
        organisation_id=str(world.organisation_id), programme_id=str(a), serial=1, issued_at=1_780_000_000,
        signed_by=str(world.admin),
    )
    engine = make_engine(database_url)
    try:
        async with unit_of_work(make_sessionmaker(engine)) as uow:
            await uow.session.execute(
                update(CoachAssignment).where(CoachAssignment.id == world.assignment_a)
                .values(signed_record=b64u_encode(record), signed_by=world.admin)
            )
    finally:
        await engine.dispose()
    return programme_key


def stored_blobs(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


async def phone_page(chromium: Any, server: LiveServer, login: str, errors: list[str]) -> Any:
    context = await chromium.new_context(**PHONE)
    page = await context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(f"{server.url}/login")
    await page.fill("#f-login", login)
    await page.fill("#f-password", PASSWORD)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_url(f"{server.url}/", timeout=KEY_WORK_MS)
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
