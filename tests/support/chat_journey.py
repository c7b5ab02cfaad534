"""The chat journey's cast and steps in a real browser: everyone signed up, logged in, sending and seeing."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update

from eportfolio import crypto
from eportfolio.crypto import b64u_encode
from eportfolio.domain.people import Role
from eportfolio.programmes.tables import Programme
from tests.support.browser import log_in
from tests.support.live import LiveServer, in_database
from tests.support.signup import PASSWORD, Keyring, invitation
from tests.support.trust import admin_with_programme_key, coach_a_signed
from tests.support.world import World

SHOTS = os.environ.get("EPORTFOLIO_SCREENSHOTS")


OUT_OF_HOURS = "We read your message tomorrow morning."


CRISIS = "113 (day and night)"


async def cast(server: LiveServer, database_url: str, world: World) -> None:
    """Everyone signs up with real keys; staff sign her coach's assignment and a duty roster in
    which the supervisor takes the next shift of the second line and her coach a later one."""
    keyrings = [Keyring(server) for _ in range(4)]
    try:
        a = world.programme_a
        admin = keyrings[0]
        _, programme_key = await admin_with_programme_key(admin, database_url, world)
        signed = {"organisation_id": str(world.organisation_id), "programme_id": str(a), "signed_by": str(world.admin)}
        await keyrings[1].sign_up(
            await invitation(database_url, world, world.participant_a, Role.participant, a), "mother.a"
        )
        coach, _ = await keyrings[2].sign_up(
            await invitation(database_url, world, world.coach_a, Role.coach, a), "coach.a"
        )
        supervisor, _ = await keyrings[3].sign_up(
            await invitation(database_url, world, world.supervisor_a, Role.supervisor, a), "supervisor.a"
        )
        await in_database(
            database_url,
            coach_a_signed(world, programme_key, coach.fingerprint),
            update(Programme)
            .where(Programme.id == a)
            .values(settings={"out_of_hours_reply": OUT_OF_HOURS, "crisis_numbers": CRISIS}),
        )
        zone = ZoneInfo("Europe/Amsterdam")
        now = datetime.now(zone).replace(microsecond=0, tzinfo=None)
        hours = timedelta(hours=1)
        # Nobody is on duty right now (so she gets the out-of-hours reply); the supervisor takes
        # the next shift, so her browser grants her the key all the same.
        shifts = [
            (world.supervisor_a, supervisor, crypto.Duty.SUPERVISOR, now + hours, now + 8 * hours),
            (world.coach_a, coach, crypto.Duty.COACH, now + 10 * hours, now + 18 * hours),
        ]

        def stamp(local: datetime) -> int:
            return int(local.replace(tzinfo=zone).timestamp())

        roster = programme_key.sign_record(
            crypto.DutyRoster(
                stamp(now - hours),
                stamp(shifts[1][4]),
                tuple(
                    crypto.RosterEntry(str(p), who.fingerprint, duty, stamp(s), stamp(u))
                    for p, who, duty, s, u in shifts
                ),
            ),
            serial=1,
            issued_at=1_780_000_000,
            **signed,
        )
        posted = await admin.call(
            "POST",
            f"/api/v1/chat/programmes/{a}/rosters",
            {
                "serial": 1,
                "signed_record": b64u_encode(roster),
                "shifts": [
                    {
                        "person_id": str(p),
                        "duty": "supervisor" if duty is crypto.Duty.SUPERVISOR else "coach",
                        "starts_at": s.isoformat(),
                        "ends_at": u.isoformat(),
                    }
                    for p, _who, duty, s, u in shifts
                ],
            },
        )
        assert posted.status_code == 201, posted.text
    finally:
        for keyring in keyrings:
            await keyring.http.aclose()


async def logged_in(chromium: Any, server: LiveServer, login: str, device: dict[str, Any], errors: list[str]) -> Any:
    context = await chromium.new_context(**device)
    page = await context.new_page()
    page.on("console", lambda m: errors.append(f"{login}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"{login}: {e}"))
    await log_in(page, server, login, PASSWORD)
    return page


async def connected(page: Any) -> None:
    await page.wait_for_selector("#chat-app[data-ready=true]", timeout=30_000)
    await page.wait_for_selector("#chat-connection[data-state=ready]", timeout=30_000)


async def opens_coaching(page: Any, server: LiveServer) -> str:
    """From the chat list she starts the conversation with her coaches (or opens it, when it is
    there) and waits until it is ready and connected. Returns its address."""
    await page.goto(f"{server.url}/chat")
    await page.click("form[action$='/coaching'] button[type=submit]")
    await page.wait_for_url(f"{server.url}/chat/*")
    conversation_url: str = page.url
    await connected(page)
    return conversation_url


async def key_epochs(page: Any, conversation: str) -> list[dict[str, Any]]:
    """The conversation's key epochs as the server lists them to this page's person."""
    listed: list[dict[str, Any]] = await page.evaluate(
        "async (id) => (await fetch(`/api/v1/chat/conversations/${id}/epochs`)).json()", conversation
    )
    return listed


async def fits(page: Any, name: str) -> None:
    if SHOTS:
        await page.screenshot(path=str(Path(SHOTS) / f"chat-{name}.png"), full_page=True)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{name}: {width}px wide on a 360px phone"


async def send_text(page: Any, text: str) -> None:
    await page.fill("#chat-text", text)
    await page.click("#chat-send")


def mine(text: str) -> str:
    return f"li.chat-msg--mine:has(.chat-msg__text:text-is({text!r}))"


async def shows_state(page: Any, text: str, state: str) -> None:
    await page.wait_for_selector(f"{mine(text)} .chat-msg__state[data-state={state}]", timeout=15_000)


async def sees(page: Any, text: str) -> None:
    await page.wait_for_selector(f"li.chat-msg--theirs .chat-msg__text:text-is({text!r})", timeout=15_000)
