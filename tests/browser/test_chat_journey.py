"""The chat in real Chromium: she writes from a phone, her coach answers from a desktop. Her browser
makes the conversation key and grants it to her verified coach and to the supervisor on duty in
the signed roster; both see sending, sent and read; she loses the network twice (once the socket
resumes, once she reloads the page while offline) and nothing she typed is lost."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from eportfolio import crypto
from eportfolio.chat.tables import Conversation
from eportfolio.crypto import b64u_encode
from eportfolio.domain.people import Role
from eportfolio.kit.clock import utcnow
from eportfolio.kit.db import make_engine, make_sessionmaker
from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.tables import CoachAssignment, Membership, Person, Programme
from tests.support.browser import DESKTOP, PHONE
from tests.support.live import LiveServer
from tests.support.signup import PASSWORD, Keyring, invitation
from tests.support.world import World

pytestmark = pytest.mark.browser

KEY_WORK_MS = 60_000
SHOTS = os.environ.get("EPORTFOLIO_SCREENSHOTS")
OUT_OF_HOURS = "We read your message tomorrow morning."
CRISIS = "113 (day and night)"


async def _in_database(database_url: str, *statements: Any) -> None:
    engine = make_engine(database_url)
    try:
        async with unit_of_work(make_sessionmaker(engine)) as uow:
            for statement in statements:
                await uow.session.execute(statement)
    finally:
        await engine.dispose()


async def _cast(server: LiveServer, database_url: str, world: World) -> None:
    """Everyone signs up with real keys; staff sign her coach's assignment and a duty roster in
    which the supervisor takes the next shift of the second line and her coach a later one."""
    keyrings = [Keyring(server) for _ in range(4)]
    try:
        a = world.programme_a
        admin = keyrings[0]
        admin_identity, org_key = await admin.sign_up(
            await invitation(database_url, world, world.admin, Role.org_admin, None), "admin", org_key=True
        )
        assert org_key is not None
        programme_key = crypto.SigningKey.generate()
        signed = {"organisation_id": str(world.organisation_id), "programme_id": str(a), "signed_by": str(world.admin)}
        certificate = org_key.sign_record(
            crypto.ProgrammeKeyCertificate(programme_key.public), serial=1, issued_at=1_780_000_000, **signed
        )
        made = await admin.call(
            "POST",
            f"/api/v1/trust/programmes/{a}",
            {
                "ed25519_public": b64u_encode(programme_key.public),
                "certificate": b64u_encode(certificate),
                "sealed_copy": b64u_encode(programme_key.seal_for(admin_identity.person)),
            },
        )
        assert made.status_code == 201, made.text
        await keyrings[1].sign_up(
            await invitation(database_url, world, world.participant_a, Role.participant, a), "mother.a"
        )
        coach, _ = await keyrings[2].sign_up(
            await invitation(database_url, world, world.coach_a, Role.coach, a), "coach.a"
        )
        supervisor, _ = await keyrings[3].sign_up(
            await invitation(database_url, world, world.supervisor_a, Role.supervisor, a), "supervisor.a"
        )
        assignment = programme_key.sign_record(
            crypto.CoachAssignment(
                str(world.participant_a),
                str(world.coach_a),
                coach.fingerprint,
                crypto.CoachRole.INDIVIDUAL,
                1_767_225_600,
                0,
            ),
            serial=1,
            issued_at=1_780_000_000,
            **signed,
        )
        await _in_database(
            database_url,
            update(CoachAssignment)
            .where(CoachAssignment.id == world.assignment_a)
            .values(signed_record=b64u_encode(assignment), signed_by=world.admin),
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


async def _logged_in(chromium: Any, server: LiveServer, login: str, device: dict[str, Any], errors: list[str]) -> Any:
    context = await chromium.new_context(**device)
    page = await context.new_page()
    page.on("console", lambda m: errors.append(f"{login}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"{login}: {e}"))
    await page.goto(f"{server.url}/login")
    await page.fill("#f-login", login)
    await page.fill("#f-password", PASSWORD)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_url(f"{server.url}/", timeout=KEY_WORK_MS)
    return page


async def _connected(page: Any) -> None:
    await page.wait_for_selector("#chat-app[data-ready=true]", timeout=30_000)
    await page.wait_for_selector("#chat-connection[data-state=ready]", timeout=30_000)


async def _fits(page: Any, name: str) -> None:
    if SHOTS:
        await page.screenshot(path=str(Path(SHOTS) / f"chat-{name}.png"), full_page=True)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{name}: {width}px wide on a 360px phone"


async def _send(page: Any, text: str) -> None:
    await page.fill("#chat-text", text)
    await page.click("#chat-send")


def _mine(text: str) -> str:
    return f"li.chat-msg--mine:has(.chat-msg__text:text-is({text!r}))"


async def _state(page: Any, text: str, state: str) -> None:
    await page.wait_for_selector(f"{_mine(text)} .chat-msg__state[data-state={state}]", timeout=15_000)


async def _sees(page: Any, text: str) -> None:
    await page.wait_for_selector(f"li.chat-msg--theirs .chat-msg__text:text-is({text!r})", timeout=15_000)


async def test_she_chats_from_her_phone_with_her_coach_through_a_lost_connection(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    await _cast(server, database_url, world)
    errors: list[str] = []

    # Her coach, at a desktop, keeps the shared inbox open: nobody waits yet.
    coach = await _logged_in(chromium, server, "coach.a", DESKTOP, errors)
    await coach.goto(f"{server.url}/chat")
    assert await coach.locator("li.chat-inbox__item").count() == 0

    her = await _logged_in(chromium, server, "mother.a", PHONE, errors)
    await her.goto(f"{server.url}/chat")
    await _fits(her, "list-empty")
    await her.click("form[action$='/coaching'] button[type=submit]")
    await her.wait_for_url(f"{server.url}/chat/*")
    conversation_url = her.url
    await _connected(her)
    readers = await her.inner_text("#chat-readers-summary")
    assert "Coach A" in readers, "her browser granted the key to her verified coach"
    assert "Supervisor A" in readers, "and to the supervisor on duty in the signed roster"

    first = "Can we talk? <b>It is about my rent</b>"
    await _send(her, first)
    await _state(her, first, "sent")
    reply = her.locator("li.chat-msg--system.chat-msg--out_of_hours")
    await reply.wait_for(timeout=15_000)
    reply_text = await reply.inner_text()
    assert OUT_OF_HOURS in reply_text
    assert CRISIS in reply_text
    assert await reply.locator(".chat-msg__label").count() == 1, "a system message is labelled as one"
    await _fits(her, "conversation")

    # The inbox on his screen shows who waits without a reload; he opens it and answers.
    waiting = coach.locator("li.chat-inbox__item", has_text="Mother A")
    await waiting.wait_for(timeout=15_000)
    await waiting.locator("a").click()
    await _connected(coach)
    await _sees(coach, first)
    assert await coach.locator("li.chat-msg--theirs b").count() == 0, "decrypted text is never HTML"
    await _state(her, first, "read")

    await coach.type("#chat-text", "Yes, I am here. Tell me.")
    await her.wait_for_selector("#chat-typing:has-text('Coach A')", timeout=10_000)
    await coach.click("#chat-send")
    await _sees(her, "Yes, I am here. Tell me.")
    await _state(coach, "Yes, I am here. Tell me.", "read")

    # A message that does not open under its author's signature is shown as a warning, never hidden.
    forged = await coach.evaluate(
        """async ([id, epoch]) => {
            const bytes = new Uint8Array(200);
            crypto.getRandomValues(bytes);
            bytes.set([1, 6]);
            const body = btoa(String.fromCharCode(...bytes))
                .replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
            const csrf = document.querySelector('meta[name="csrf-token"]').content;
            const answer = await fetch(`/api/v1/chat/conversations/${id}/messages`, {
                method: 'POST', headers: {'content-type': 'application/json', 'x-csrf-token': csrf},
                body: JSON.stringify({client_id: 'forged-message-1', epoch, body}),
            });
            return answer.status;
        }""",
        [conversation_url.rsplit("/", 1)[1], 1],
    )
    assert forged == 201
    warning = her.locator("li.chat-msg--broken[data-client=forged-message-1] [role=alert]")
    await warning.wait_for(timeout=15_000)

    # The network drops; the socket resumes without gaps when it comes back.
    await her.context.set_offline(True)
    await her.wait_for_selector("#chat-connection[data-state=offline]", timeout=10_000)
    await _send(coach, "Are you still there?")
    await _state(coach, "Are you still there?", "sent")
    await her.context.set_offline(False)
    await _sees(her, "Are you still there?")
    await her.wait_for_selector("#chat-connection[data-state=ready]", timeout=30_000)

    # Offline again: what she sends waits on the phone, through a reload that fails for want of
    # a network, and is delivered when she opens the chat again online.
    await her.context.set_offline(True)
    await her.wait_for_selector("#chat-connection[data-state=offline]", timeout=10_000)
    kept = "My phone had no signal, sorry"
    await _send(her, kept)
    await her.wait_for_selector(f"{_mine(kept)} .chat-msg__state[data-state=waiting]")
    offline_errors = len(errors)
    with pytest.raises(Exception, match="ERR_INTERNET_DISCONNECTED"):
        await her.reload()
    # While offline, Chromium itself reports the failed page load; nothing of ours failed.
    assert all("ERR_INTERNET_DISCONNECTED" in e for e in errors[offline_errors:]), errors[offline_errors:]
    del errors[offline_errors:]
    await her.context.set_offline(False)
    await her.goto(conversation_url)
    await _connected(her)
    await _sees(coach, kept)
    await _state(her, kept, "read")
    await _state(her, first, "read")
    assert await her.locator("li[data-unsent]").count() == 0, "nothing left waiting on her phone"
    texts = await her.locator("li.chat-msg .chat-msg__text").all_inner_texts()
    assert texts.count(kept) == 1, "sent once, shown once"
    assert [t for t in texts if t == "Are you still there?"] == ["Are you still there?"]
    await _fits(her, "after-reload")

    # Who can read it, as her coach sees it, and the list with nothing unread.
    assert "Mother A" in (await coach.text_content("#chat-readers") or "")
    await her.goto(f"{server.url}/chat")
    await _fits(her, "list")
    assert await her.locator(".chat-unread").count() == 0

    # Notifications: the service worker is installed for every page (this server has no push
    # keys, and the page says so); she switches notifications off and on again.
    await her.wait_for_selector("#chat-push[data-worker=ready]", timeout=45_000)  # slow under load
    scope = await her.evaluate("navigator.serviceWorker.getRegistration('/').then((r) => r && r.scope)")
    assert scope == f"{server.url}/", "the worker's scope covers every page"
    await her.wait_for_selector("#chat-push-device-state[data-state=notConfigured]", timeout=30_000)
    # A new message refreshes the list around the notifications section; the section stays as it is.
    await _send(coach, "One more thing")
    await her.wait_for_selector(".chat-unread", timeout=15_000)
    assert await her.locator("#chat-push[data-worker=ready]").count() == 1, "the list refresh kept push.js's state"
    await her.click("#chat-push form button[type=submit]")
    await her.wait_for_selector("#chat-push[data-enabled=false]")
    push = await her.evaluate("fetch('/api/v1/chat/push').then((r) => r.json())")
    assert push["enabled"] is False
    await _fits(her, "push-off")
    await her.click("#chat-push form button[type=submit]")
    await her.wait_for_selector("#chat-push[data-enabled=true]")
    assert errors == [], server.log()[-4000:]


async def _unverifiable_coach(server: LiveServer, database_url: str, world: World) -> uuid.UUID:
    """Coach B signs up and is assigned to her with a record her browser cannot verify: it is not
    signed with the programme key. (The server checks a record when it is stored; this one is put
    in the database behind its back, as a server that lies would serve it. An assignment without
    any record the server itself counts for nothing, so her browser would not even see him.)"""
    engine = make_engine(database_url)
    try:
        async with unit_of_work(make_sessionmaker(engine)) as uow:
            person = Person(organisation_id=world.organisation_id, display_name="Coach B", language="nl")
            uow.session.add(person)
            await uow.flush()
            uow.session.add(
                Membership(
                    organisation_id=world.organisation_id,
                    programme_id=world.programme_a,
                    person_id=person.id,
                    role="coach",
                    coach_kind="individual",
                )
            )
            coach_id = person.id
        keyring = Keyring(server)
        try:
            code = await invitation(database_url, world, coach_id, Role.coach, world.programme_a)
            coach_b, _ = await keyring.sign_up(code, "coach.b")
        finally:
            await keyring.http.aclose()
        forged = crypto.SigningKey.generate().sign_record(
            crypto.CoachAssignment(
                str(world.participant_a), str(coach_id), coach_b.fingerprint, crypto.CoachRole.INDIVIDUAL,
                1_767_225_600, 0,
            ),
            organisation_id=str(world.organisation_id), programme_id=str(world.programme_a), serial=2,
            issued_at=1_780_000_000, signed_by=str(world.admin),
        )
        async with unit_of_work(make_sessionmaker(engine)) as uow:
            uow.session.add(
                CoachAssignment(
                    organisation_id=world.organisation_id,
                    programme_id=world.programme_a,
                    participant_id=world.participant_a,
                    coach_id=coach_id,
                    kind="individual",
                    starts_on=date(2026, 1, 1),
                    signed_record=b64u_encode(forged),
                    signed_by=world.admin,
                )
            )
        return coach_id
    finally:
        await engine.dispose()


async def _epochs(page: Any, conversation: str) -> list[dict[str, Any]]:
    epochs: list[dict[str, Any]] = await page.evaluate(
        "async (id) => (await fetch(`/api/v1/chat/conversations/${id}/epochs`)).json()", conversation
    )
    return epochs


async def test_an_unverified_coach_does_not_stop_her_and_her_coach_rotates_a_week_old_key(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    await _cast(server, database_url, world)
    coach_b = await _unverifiable_coach(server, database_url, world)
    errors: list[str] = []

    # Coach B's assignment does not verify in her browser: it gives him nothing, she writes all the
    # same, and the conversation tells her who cannot read it yet and why.
    her = await _logged_in(chromium, server, "mother.a", PHONE, errors)
    await her.goto(f"{server.url}/chat")
    await her.click("form[action$='/coaching'] button[type=submit]")
    await her.wait_for_url(f"{server.url}/chat/*")
    conversation_url = her.url
    conversation = conversation_url.rsplit("/", 1)[1]
    await _connected(her)
    not_yet = her.locator(f"#chat-readers li[data-person='{coach_b}']")
    assert await not_yet.get_attribute("data-reason") == "unverified"
    assert "Coach B" in (await not_yet.text_content() or "")
    assert "Coach B" in (await her.text_content("#chat-status") or ""), "she is told why he cannot read"
    assert "Coach B" not in await her.inner_text("#chat-readers-summary")
    await _send(her, "Only my checked coach reads this")
    await _state(her, "Only my checked coach reads this", "sent")
    await _fits(her, "unverified-coach")
    await her.context.close()

    # A week later the key is due for rotation; her phone is off. Her coach's browser makes the
    # new epoch, for her and himself, and writes under it.
    await _in_database(
        database_url,
        update(Conversation)
        .where(Conversation.id == uuid.UUID(conversation))
        .values(epoch_started_at=utcnow() - timedelta(days=8)),
    )
    coach = await _logged_in(chromium, server, "coach.a", DESKTOP, errors)
    await coach.goto(conversation_url)
    await _connected(coach)
    await _sees(coach, "Only my checked coach reads this")
    # (wait_for_function cannot wait on a promise: it would count it as true at once.)
    for _ in range(60):
        epochs = await _epochs(coach, conversation)
        if len(epochs) == 2:
            break
        await asyncio.sleep(0.5)
    assert [(e["epoch"], e["created_by"]) for e in epochs][-1] == (2, str(world.coach_a)), "his browser rotated"
    await _send(coach, "Written under the new key")
    await _state(coach, "Written under the new key", "sent")

    # She comes back on her phone: the new key reaches her through his grant, the old messages
    # through the chain, and the supervisor on duty gets the new key from her browser again.
    her = await _logged_in(chromium, server, "mother.a", PHONE, errors)
    await her.goto(conversation_url)
    await _connected(her)
    await _sees(her, "Written under the new key")
    await her.wait_for_selector(_mine("Only my checked coach reads this"))
    await her.wait_for_selector("#chat-readers-summary:has-text('Supervisor A')", timeout=15_000)
    assert await her.locator("li.chat-msg--locked, li.chat-msg--broken").count() == 0
    assert errors == [], server.log()[-4000:]
