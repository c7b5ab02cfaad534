"""A coach on duty who is not her coach opens her coaching conversation in real Chromium at 360 px:
his browser checks her coach's signed assignment (served to him as a member of the conversation)
and raises no false alarm that her coach "cannot read new messages yet"."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from eportfolio import crypto
from eportfolio.crypto import b64u_encode
from eportfolio.domain.people import Role
from tests.support.browser import DESKTOP, PHONE
from tests.support.chat_journey import connected, logged_in, opens_coaching, sees, send_text
from tests.support.live import LiveServer, in_database
from tests.support.signup import Keyring, invitation, signed_up_member
from tests.support.trust import admin_with_programme_key, coach_a_signed
from tests.support.world import World

pytestmark = pytest.mark.browser


async def _peer_on_duty(server: LiveServer, database_url: str, world: World) -> None:
    """Her, her coach (signed assignment) and Peer, a coach of the programme on duty now."""
    admin, mother, coach_keys = Keyring(server), Keyring(server), Keyring(server)
    try:
        a = world.programme_a
        _, programme_key = await admin_with_programme_key(admin, database_url, world)
        await mother.sign_up(
            await invitation(database_url, world, world.participant_a, Role.participant, a), "mother.a"
        )
        coach, _ = await coach_keys.sign_up(
            await invitation(database_url, world, world.coach_a, Role.coach, a), "coach.a"
        )
        await in_database(database_url, coach_a_signed(world, programme_key, coach.fingerprint))
        peer_id, peer = await signed_up_member(
            server, database_url, world, "Peer", Role.coach, "peer.a", language="nl", coach_kind="individual"
        )
        zone = ZoneInfo("Europe/Amsterdam")
        now = datetime.now(zone).replace(microsecond=0, tzinfo=None)

        def stamp(local: datetime) -> int:
            return int(local.replace(tzinfo=zone).timestamp())

        start, end = now - timedelta(hours=1), now + timedelta(hours=8)
        roster = programme_key.sign_record(
            crypto.DutyRoster(
                stamp(start),
                stamp(end),
                (crypto.RosterEntry(str(peer_id), peer.fingerprint, crypto.Duty.COACH, stamp(start), stamp(end)),),
            ),
            serial=1,
            issued_at=1_780_000_000,
            organisation_id=str(world.organisation_id),
            programme_id=str(a),
            signed_by=str(world.admin),
        )
        posted = await admin.call(
            "POST",
            f"/api/v1/chat/programmes/{a}/rosters",
            {
                "serial": 1,
                "signed_record": b64u_encode(roster),
                "shifts": [
                    {
                        "person_id": str(peer_id),
                        "duty": "coach",
                        "starts_at": start.isoformat(),
                        "ends_at": end.isoformat(),
                    }
                ],
            },
        )
        assert posted.status_code == 201, posted.text
    finally:
        for keyring in (admin, mother, coach_keys):
            await keyring.http.aclose()


async def test_the_coach_on_duty_is_not_told_her_coach_cannot_read(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    await _peer_on_duty(server, database_url, world)
    errors: list[str] = []
    her = await logged_in(chromium, server, "mother.a", PHONE, errors)
    conversation_url = await opens_coaching(her, server)
    await send_text(her, "Hallo, ik heb hulp nodig met een formulier.")
    readers = await her.inner_text("#chat-readers-summary")
    assert "Peer" in readers, "her browser granted the key to the coach on duty"
    coach = await logged_in(chromium, server, "coach.a", DESKTOP, errors)
    await coach.goto(conversation_url)
    await connected(coach)

    peer = await logged_in(chromium, server, "peer.a", PHONE, errors)
    await peer.goto(conversation_url)
    await connected(peer)
    await sees(peer, "Hallo, ik heb hulp nodig met een formulier.")
    status = await peer.locator("#chat-status").inner_text()
    assert "koppeling" not in status, status
    coach_line = peer.locator(f'#chat-readers li[data-person="{world.coach_a}"]')
    assert await coach_line.get_attribute("data-reason") == "", "her coach reads, and nothing is said against it"
    assert errors == [], errors
