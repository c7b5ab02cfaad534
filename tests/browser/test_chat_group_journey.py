"""A group conversation in real Chromium, everyone on a phone: the trainer starts the group chat
and her browser makes its key for the two mothers in the group; the three of them write to each
other; the trainer takes one mother out of the group, the next key is made without her at once,
and she cannot read what follows."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import insert

from eportfolio.domain.people import Role
from eportfolio.programmes.tables import GroupMember
from tests.browser.test_chat_journey import _connected, _fits, _in_database, _logged_in, _mine, _sees, _send, _state
from tests.support.browser import PHONE
from tests.support.live import LiveServer
from tests.support.signup import Keyring, invitation
from tests.support.world import World

pytestmark = pytest.mark.browser


async def _group_cast(server: LiveServer, database_url: str, world: World) -> None:
    """The trainer (staff) and two mothers sign up with real keys; both mothers are in Group A."""
    keyrings = [Keyring(server) for _ in range(4)]
    try:
        a = world.programme_a
        await keyrings[0].sign_up(
            await invitation(database_url, world, world.admin, Role.org_admin, None), "admin", org_key=True
        )
        await keyrings[1].sign_up(await invitation(database_url, world, world.staff_a, Role.staff, a), "trainer.a")
        await keyrings[2].sign_up(
            await invitation(database_url, world, world.participant_a, Role.participant, a), "ann.a"
        )
        await keyrings[3].sign_up(
            await invitation(database_url, world, world.participant_a2, Role.participant, a), "bea.a"
        )
    finally:
        for keyring in keyrings:
            await keyring.http.aclose()
    await _in_database(
        database_url,
        insert(GroupMember).values(
            [
                {"group_id": world.group_a, "person_id": p, "organisation_id": world.organisation_id, "programme_id": a}
                for p in (world.participant_a, world.participant_a2)
            ]
        ),
    )


async def _epochs(page: Any, conversation: str) -> list[dict[str, Any]]:
    epochs: list[dict[str, Any]] = await page.evaluate(
        "async (id) => (await fetch(`/api/v1/chat/conversations/${id}/epochs`)).json()", conversation
    )
    return epochs


async def test_a_trainer_and_two_mothers_chat_in_their_group_and_one_who_leaves_reads_nothing_after(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    await _group_cast(server, database_url, world)
    errors: list[str] = []
    failed: list[str] = []

    # The trainer starts the group chat; her browser makes the first key, for both mothers.
    trainer = await _logged_in(chromium, server, "trainer.a", PHONE, errors)
    trainer.on(
        "response", lambda r: failed.append(f"{r.request.method} {r.url} {r.status}") if r.status >= 400 else None
    )
    await trainer.goto(f"{server.url}/chat")
    await _fits(trainer, "group-list-trainer")
    await trainer.click(f"form[action$='/groups/{world.group_a}'] button[type=submit]")
    await trainer.wait_for_url(f"{server.url}/chat/*")
    conversation_url = trainer.url
    conversation = conversation_url.rsplit("/", 1)[1]
    await _connected(trainer)
    await trainer.wait_for_selector("#chat-readers-summary:has-text('Mother A2')", timeout=15_000)
    assert "Mother A" in await trainer.inner_text("#chat-readers-summary")
    epochs = await _epochs(trainer, conversation)
    assert [(e["epoch"], e["created_by"]) for e in epochs] == [(1, str(world.staff_a))]

    # Both mothers find it in their list and open it.
    mothers = []
    for login in ("ann.a", "bea.a"):
        page = await _logged_in(chromium, server, login, PHONE, errors)
        page.on(
            "response", lambda r: failed.append(f"{r.request.method} {r.url} {r.status}") if r.status >= 400 else None
        )
        await page.goto(f"{server.url}/chat")
        await page.click(f"a.chat-list__item[data-conversation='{conversation}']")
        await page.wait_for_url(conversation_url)
        await _connected(page)
        mothers.append(page)
    ann, bea = mothers

    await _send(trainer, "Welcome to the group, both of you")
    await _sees(ann, "Welcome to the group, both of you")
    await _sees(bea, "Welcome to the group, both of you")
    await _send(ann, "Hello, I am Ann")
    await _sees(trainer, "Hello, I am Ann")
    await _sees(bea, "Hello, I am Ann")
    await _send(bea, "And I am Bea")
    await _sees(trainer, "And I am Bea")
    await _sees(ann, "And I am Bea")
    for name, page in (("trainer", trainer), ("ann", ann), ("bea", bea)):
        await _fits(page, f"group-{name}")

    # The trainer takes Bea out of the group: the next key is made at once, without her.
    removed = await trainer.evaluate(
        """async ([programme, group, person]) => {
            const csrf = document.querySelector('meta[name="csrf-token"]').content;
            const answer = await fetch(`/api/v1/programmes/${programme}/groups/${group}/members/${person}`, {
                method: 'DELETE', headers: {'x-csrf-token': csrf},
            });
            return answer.status;
        }""",
        [str(world.programme_a), str(world.group_a), str(world.participant_a2)],
    )
    assert removed == 204
    before_removal = len(errors)
    for _ in range(150):  # an open member page makes epoch 2 when the server says a reader left
        if len(await _epochs(trainer, conversation)) == 2:
            break
        await trainer.wait_for_timeout(200)
    epochs = await _epochs(trainer, conversation)
    assert epochs[-1]["created_by"] in (str(world.staff_a), str(world.participant_a)), "an open member page rotated"
    detail = await trainer.evaluate(
        "async (id) => (await fetch(`/api/v1/chat/conversations/${id}`)).json()", conversation
    )
    assert detail["rotation_due"] is False
    readers = {m["person_id"] for m in detail["members"] if m["can_read"]}
    assert readers == {str(world.staff_a), str(world.participant_a)}

    after = "Only the two of us read this"
    await _send(ann, after)
    await _sees(trainer, after)
    await _state(ann, after, "read")
    await bea.wait_for_timeout(1500)
    assert await bea.locator(f"li.chat-msg .chat-msg__text:text-is({after!r})").count() == 0
    assert await bea.locator(_mine(after)).count() == 0
    refused = await bea.evaluate(
        "async (id) => (await fetch(`/api/v1/chat/conversations/${id}/messages?after=0`)).status", conversation
    )
    assert refused == 403
    reopened = await bea.goto(conversation_url)
    assert reopened is not None
    assert reopened.status == 403
    # After she left, the only errors are her refused requests, and a 409 where the two open member
    # pages made epoch 2 at the same moment (compare-and-set: one wins, the other takes its key).
    after_removal = [e for e in errors[before_removal:] if not e.startswith("bea.a:")]
    assert all("409" in e for e in after_removal), (after_removal, failed)
    del errors[before_removal:]
    assert errors == [], (failed, server.log()[-4000:])
