"""The chat in real Chromium: she writes from a phone, her coach answers from a desktop. Her browser
makes the conversation key and grants it to her verified coach and to the supervisor on duty in
the signed roster; both see sending, sent and read; she loses the network twice (once the socket
resumes, once she reloads the page while offline) and nothing she typed is lost."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from eportfolio import crypto
from eportfolio.chat.tables import Conversation
from eportfolio.kit.clock import utcnow
from tests.support.browser import DESKTOP, PHONE
from tests.support.chat_journey import (
    CRISIS,
    OUT_OF_HOURS,
    cast,
    connected,
    fits,
    key_epochs,
    logged_in,
    mine,
    opens_coaching,
    sees,
    send_text,
    shows_state,
)
from tests.support.live import LiveServer, in_database
from tests.support.trust import another_coach_of_hers
from tests.support.world import World

pytestmark = pytest.mark.browser


async def test_she_chats_from_her_phone_with_her_coach_through_a_lost_connection(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    await cast(server, database_url, world)
    errors: list[str] = []

    # Her coach, at a desktop, keeps the shared inbox open: nobody waits yet.
    coach = await logged_in(chromium, server, "coach.a", DESKTOP, errors)
    await coach.goto(f"{server.url}/chat")
    assert await coach.locator("li.chat-inbox__item").count() == 0

    her = await logged_in(chromium, server, "mother.a", PHONE, errors)
    await her.goto(f"{server.url}/chat")
    await fits(her, "list-empty")
    await her.click("form[action$='/coaching'] button[type=submit]")
    await her.wait_for_url(f"{server.url}/chat/*")
    conversation_url = her.url
    await connected(her)
    readers = await her.inner_text("#chat-readers-summary")
    assert "Coach A" in readers, "her browser granted the key to her verified coach"
    assert "Supervisor A" in readers, "and to the supervisor on duty in the signed roster"

    first = "Can we talk? <b>It is about my rent</b>"
    await send_text(her, first)
    await shows_state(her, first, "sent")
    reply = her.locator("li.chat-msg--system.chat-msg--out_of_hours")
    await reply.wait_for(timeout=15_000)
    reply_text = await reply.inner_text()
    assert OUT_OF_HOURS in reply_text
    assert CRISIS in reply_text
    assert await reply.locator(".chat-msg__label").count() == 1, "a system message is labelled as one"
    await fits(her, "conversation")

    # The inbox on his screen shows who waits without a reload; he opens it and answers.
    waiting = coach.locator("li.chat-inbox__item", has_text="Mother A")
    await waiting.wait_for(timeout=15_000)
    await waiting.locator("a").click()
    await connected(coach)
    await sees(coach, first)
    assert await coach.locator("li.chat-msg--theirs b").count() == 0, "decrypted text is never HTML"
    await shows_state(her, first, "read")

    await coach.type("#chat-text", "Yes, I am here. Tell me.")
    await her.wait_for_selector("#chat-typing:has-text('Coach A')", timeout=10_000)
    await coach.click("#chat-send")
    await sees(her, "Yes, I am here. Tell me.")
    await shows_state(coach, "Yes, I am here. Tell me.", "read")

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
    await send_text(coach, "Are you still there?")
    await shows_state(coach, "Are you still there?", "sent")
    await her.context.set_offline(False)
    await sees(her, "Are you still there?")
    await her.wait_for_selector("#chat-connection[data-state=ready]", timeout=30_000)

    # Offline again: what she sends waits on the phone, through a reload that fails for want of
    # a network, and is delivered when she opens the chat again online.
    await her.context.set_offline(True)
    await her.wait_for_selector("#chat-connection[data-state=offline]", timeout=10_000)
    kept = "My phone had no signal, sorry"
    await send_text(her, kept)
    await her.wait_for_selector(f"{mine(kept)} .chat-msg__state[data-state=waiting]")
    offline_errors = len(errors)
    with pytest.raises(Exception, match="ERR_INTERNET_DISCONNECTED"):
        await her.reload()
    # While offline, Chromium itself reports the failed page load; nothing of ours failed.
    assert all("ERR_INTERNET_DISCONNECTED" in e for e in errors[offline_errors:]), errors[offline_errors:]
    del errors[offline_errors:]
    await her.context.set_offline(False)
    await her.goto(conversation_url)
    await connected(her)
    await sees(coach, kept)
    await shows_state(her, kept, "read")
    await shows_state(her, first, "read")
    assert await her.locator("li[data-unsent]").count() == 0, "nothing left waiting on her phone"
    # The history is decrypted and drawn a moment after the socket caught up.
    await her.wait_for_selector("li.chat-msg .chat-msg__text:text-is('Are you still there?')", timeout=15_000)
    texts = await her.locator("li.chat-msg .chat-msg__text").all_inner_texts()
    assert texts.count(kept) == 1, "sent once, shown once"
    assert [t for t in texts if t == "Are you still there?"] == ["Are you still there?"]
    await fits(her, "after-reload")

    # Who can read it, as her coach sees it, and the list with nothing unread.
    assert "Mother A" in (await coach.text_content("#chat-readers") or "")
    await her.goto(f"{server.url}/chat")
    await fits(her, "list")
    assert await her.locator(".chat-unread").count() == 0

    # Notifications: the service worker is installed for every page (this server has no push
    # keys, and the page says so); she switches notifications off and on again.
    await her.wait_for_selector("#chat-push[data-worker=ready]", timeout=45_000)  # slow under load
    scope = await her.evaluate("navigator.serviceWorker.getRegistration('/').then((r) => r && r.scope)")
    assert scope == f"{server.url}/", "the worker's scope covers every page"
    await her.wait_for_selector("#chat-push-device-state[data-state=notConfigured]", timeout=30_000)
    # A new message refreshes the list around the notifications section; the section stays as it is.
    await send_text(coach, "One more thing")
    await her.wait_for_selector(".chat-unread", timeout=15_000)
    assert await her.locator("#chat-push[data-worker=ready]").count() == 1, "the list refresh kept push.js's state"
    await her.click("#chat-push form button[type=submit]")
    await her.wait_for_selector("#chat-push[data-enabled=false]")
    push = await her.evaluate("fetch('/api/v1/chat/push').then((r) => r.json())")
    assert push["enabled"] is False
    await fits(her, "push-off")
    await her.click("#chat-push form button[type=submit]")
    await her.wait_for_selector("#chat-push[data-enabled=true]")
    assert errors == [], server.log()[-4000:]


async def _unverifiable_coach(server: LiveServer, database_url: str, world: World) -> uuid.UUID:
    """Coach B signs up and is assigned to her with a record her browser cannot verify: it is not
    signed with the programme key. (The server checks a record when it is stored; this one is put
    in the database behind its back, as a server that lies would serve it. An assignment without
    any record the server itself counts for nothing, so her browser would not even see him.)"""
    return await another_coach_of_hers(
        server, database_url, world, crypto.SigningKey.generate(), "Coach B", "coach.b", serial=2, language="nl"
    )


async def test_an_unverified_coach_does_not_stop_her_and_her_coach_rotates_a_week_old_key(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    await cast(server, database_url, world)
    coach_b = await _unverifiable_coach(server, database_url, world)
    errors: list[str] = []

    # Coach B's assignment does not verify in her browser: it gives him nothing, she writes all the
    # same, and the conversation tells her who cannot read it yet and why.
    her = await logged_in(chromium, server, "mother.a", PHONE, errors)
    conversation_url = await opens_coaching(her, server)
    conversation = conversation_url.rsplit("/", 1)[1]
    not_yet = her.locator(f"#chat-readers li[data-person='{coach_b}']")
    assert await not_yet.get_attribute("data-reason") == "unverified"
    assert "Coach B" in (await not_yet.text_content() or "")
    assert "Coach B" in (await her.text_content("#chat-status") or ""), "she is told why he cannot read"
    assert "Coach B" not in await her.inner_text("#chat-readers-summary")
    await send_text(her, "Only my checked coach reads this")
    await shows_state(her, "Only my checked coach reads this", "sent")
    await fits(her, "unverified-coach")
    await her.context.close()

    # A week later the key is due for rotation; her phone is off. Her coach's browser makes the
    # new epoch, for her and himself, and writes under it.
    await in_database(
        database_url,
        update(Conversation)
        .where(Conversation.id == uuid.UUID(conversation))
        .values(epoch_started_at=utcnow() - timedelta(days=8)),
    )
    coach = await logged_in(chromium, server, "coach.a", DESKTOP, errors)
    await coach.goto(conversation_url)
    await connected(coach)
    await sees(coach, "Only my checked coach reads this")
    # (wait_for_function cannot wait on a promise: it would count it as true at once.)
    for _ in range(60):
        epochs = await key_epochs(coach, conversation)
        if len(epochs) == 2:
            break
        await asyncio.sleep(0.5)
    assert [(e["epoch"], e["created_by"]) for e in epochs][-1] == (2, str(world.coach_a)), "his browser rotated"
    await send_text(coach, "Written under the new key")
    await shows_state(coach, "Written under the new key", "sent")

    # She comes back on her phone: the new key reaches her through his grant, the old messages
    # through the chain, and the supervisor on duty gets the new key from her browser again.
    her = await logged_in(chromium, server, "mother.a", PHONE, errors)
    await her.goto(conversation_url)
    await connected(her)
    await sees(her, "Written under the new key")
    await her.wait_for_selector(mine("Only my checked coach reads this"))
    await her.wait_for_selector("#chat-readers-summary:has-text('Supervisor A')", timeout=15_000)
    assert await her.locator("li.chat-msg--locked, li.chat-msg--broken").count() == 0
    assert errors == [], server.log()[-4000:]
