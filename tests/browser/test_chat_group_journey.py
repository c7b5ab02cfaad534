"""A group conversation in real Chromium, everyone on a phone.

Staff make a group by clicking, with a coach as its trainer and two mothers; every change signs
the group's member list with the programme key in the staff browser; the trainer and the mothers
then read and write each other at once, without comparing codes, and "read" shows only once
another member opened the message.

Without a signed member list (the fallback): the trainer starts the group chat and her browser
makes its key for herself only, since the server's list of members vouches for nobody; she
checks a mother's name and code and gives her access. A mother who opens the chat waits until a
member gives her access: the other mother checks her code and does, and she reads and writes
from then on. A member whose key the server swaps gets no new key and is flagged. The trainer
takes one mother out of the group, the next key is made without her at once, and she
cannot read what follows."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, update

from eportfolio import crypto
from eportfolio.accounts.tables import Account
from eportfolio.chat.tables import Conversation
from eportfolio.domain.people import Role
from eportfolio.kit.clock import utcnow
from eportfolio.programmes.tables import GroupMember
from tests.support.browser import PHONE
from tests.support.chat_journey import (
    connected,
    fits,
    key_epochs,
    logged_in,
    mine,
    sees,
    send_text,
    shows_state,
)
from tests.support.live import LiveServer, in_database
from tests.support.signup import Keyring, invitation
from tests.support.trust import register_programme_key
from tests.support.world import World

pytestmark = pytest.mark.browser


async def _group_cast(server: LiveServer, database_url: str, world: World) -> dict[str, str]:
    """The trainer (staff) and two mothers sign up with real keys; both mothers are in Group A.
    Returns each one's fingerprint as her own phone shows it, by login."""
    keyrings = [Keyring(server) for _ in range(4)]
    codes: dict[str, str] = {}
    try:
        a = world.programme_a
        await keyrings[0].sign_up(
            await invitation(database_url, world, world.admin, Role.org_admin, None), "admin", org_key=True
        )
        for keyring, person, role, login in (
            (keyrings[1], world.staff_a, Role.staff, "trainer.a"),
            (keyrings[2], world.participant_a, Role.participant, "ann.a"),
            (keyrings[3], world.participant_a2, Role.participant, "bea.a"),
        ):
            identity, _ = await keyring.sign_up(await invitation(database_url, world, person, role, a), login)
            codes[login] = identity.person.fingerprint_text
    finally:
        for keyring in keyrings:
            await keyring.http.aclose()
    await in_database(
        database_url,
        insert(GroupMember).values(
            [
                {
                    "group_id": world.group_a,
                    "person_id": p,
                    "organisation_id": world.organisation_id,
                    "programme_id": a,
                    "role": role,
                }
                for p, role in (
                    (world.staff_a, "trainer"),
                    (world.participant_a, "participant"),
                    (world.participant_a2, "participant"),
                )
            ]
        ),
    )
    return codes


def _card(person: Any) -> str:
    return f"#chat-approvals li.chat-approval[data-person='{person}']"


async def _gives_access(page: Any, person: Any, name: str, code: str) -> None:
    """She reads the name and the code on the card, compares the code, and taps Give access."""
    card = _card(person)
    await page.wait_for_selector(card, timeout=15_000)
    assert name in await page.inner_text(f"{card} .chat-approval__name")
    assert await page.inner_text(f"{card} .chat-approval__code") == code
    qr = await page.get_attribute(f"{card} img.chat-approval__qr", "src")
    assert qr is not None
    assert qr.startswith("/recovery/fingerprint.svg?payload=EPFP1")
    box = await page.locator(f"{card} button.chat-approval__give").bounding_box()
    assert box is not None
    assert box["height"] >= 44, box
    assert box["width"] >= 200, box
    await page.click(f"{card} button.chat-approval__give")
    await page.wait_for_selector(card, state="detached", timeout=15_000)


async def _readers(page: Any, conversation: str) -> set[str]:
    detail = await page.evaluate("async (id) => (await fetch(`/api/v1/chat/conversations/${id}`)).json()", conversation)
    return {m["person_id"] for m in detail["members"] if m["can_read"]}


async def test_group_members_get_the_key_only_once_a_member_checked_their_code_and_one_who_leaves_reads_nothing_after(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    codes = await _group_cast(server, database_url, world)
    ann_id, bea_id, trainer_id = str(world.participant_a), str(world.participant_a2), str(world.staff_a)
    errors: list[str] = []
    failed: list[str] = []

    # The trainer starts the group chat; her browser makes the first key for herself only.
    trainer = await logged_in(chromium, server, "trainer.a", PHONE, errors)
    trainer.on(
        "response", lambda r: failed.append(f"{r.request.method} {r.url} {r.status}") if r.status >= 400 else None
    )
    await trainer.goto(f"{server.url}/chat")
    await fits(trainer, "group-list-trainer")
    await trainer.click(f"form[action$='/groups/{world.group_a}'] button[type=submit]")
    await trainer.wait_for_url(f"{server.url}/chat/*")
    conversation_url = trainer.url
    conversation = conversation_url.rsplit("/", 1)[1]
    await connected(trainer)
    epochs = await key_epochs(trainer, conversation)
    assert [(e["epoch"], e["created_by"]) for e in epochs] == [(1, trainer_id)]
    assert await _readers(trainer, conversation) == {trainer_id}, "no mother on the server's word alone"
    # Both mothers wait for her approval, each with name, code and QR.
    await trainer.wait_for_selector(f"{_card(ann_id)}[data-reason=unapproved]", timeout=15_000)
    await trainer.wait_for_selector(f"{_card(bea_id)}[data-reason=unapproved]", timeout=15_000)
    await fits(trainer, "group-approvals-trainer")
    # She checks Ann's code (Ann shows it on her phone) and gives her access.
    await _gives_access(trainer, ann_id, "Mother A", codes["ann.a"])
    await trainer.wait_for_selector("#chat-readers-summary:has-text('Mother A')", timeout=15_000)
    assert await _readers(trainer, conversation) == {trainer_id, ann_id}
    assert await trainer.locator(_card(bea_id)).count() == 1, "Bea still waits"

    # Both mothers find it in their list and open it: Ann reads, Bea waits for access.
    mothers = []
    for login in ("ann.a", "bea.a"):
        page = await logged_in(chromium, server, login, PHONE, errors)
        page.on(
            "response", lambda r: failed.append(f"{r.request.method} {r.url} {r.status}") if r.status >= 400 else None
        )
        await page.goto(f"{server.url}/chat")
        await page.click(f"a.chat-list__item[data-conversation='{conversation}']")
        await page.wait_for_url(conversation_url)
        await connected(page)
        mothers.append(page)
    ann, bea = mothers
    assert await bea.is_disabled("#chat-text"), "no key: she cannot write yet"
    assert "je toegang geeft" in await bea.inner_text("#chat-status")  # she reads Dutch
    await fits(bea, "group-waiting-bea")

    # Ann's browser takes the trainer's key only once Ann compared the trainer's code: no signed
    # record names the trainer for her, and the server's member list is no ground.
    assert await ann.is_disabled("#chat-text"), "a key from someone she did not check is not taken"
    await _gives_access(ann, trainer_id, "Staff A", codes["trainer.a"])
    await ann.wait_for_selector("#chat-text:not([disabled])", timeout=15_000)

    await send_text(trainer, "Welcome to the group")
    await sees(ann, "Welcome to the group")
    await bea.wait_for_selector("li.chat-msg--theirs .chat-msg__locked", timeout=15_000)
    assert await bea.locator("li.chat-msg .chat-msg__text:text-is('Welcome to the group')").count() == 0

    # Ann, a mother, checks Bea's code and gives her access. Bea's browser takes that key once Bea
    # checked the codes of those who made and gave it (the trainer and Ann); then she reads and
    # writes from now on.
    await _gives_access(ann, bea_id, "Mother A2", codes["bea.a"])
    await fits(ann, "group-approved-ann")
    await _gives_access(bea, ann_id, "Mother A", codes["ann.a"])
    await _gives_access(bea, trainer_id, "Staff A", codes["trainer.a"])
    await bea.wait_for_selector("#chat-text:not([disabled])", timeout=15_000)
    await send_text(ann, "Hello, I am Ann")
    await sees(trainer, "Hello, I am Ann")
    await sees(bea, "Hello, I am Ann")
    await send_text(bea, "And I am Bea")
    await sees(trainer, "And I am Bea")
    await sees(ann, "And I am Bea")
    for name, page in (("trainer", trainer), ("ann", ann), ("bea", bea)):
        await fits(page, f"group-{name}")

    # The server swaps Bea's key for one it holds, and the key is a week old: Ann's browser makes
    # the next key for the trainer and herself, not for the swapped key, and flags it.
    swapped = crypto.Identity.create("bea.a", "a password of the server", user_id=bea_id)
    await in_database(
        database_url,
        update(Account)
        .where(Account.person_id == world.participant_a2)
        .values(public_identity=swapped.public_identity),
        update(Conversation)
        .where(Conversation.id == uuid.UUID(conversation))
        .values(epoch_started_at=utcnow() - timedelta(days=8)),
    )
    await ann.reload()
    await connected(ann)
    for _ in range(100):
        if len(await key_epochs(ann, conversation)) == 2:
            break
        await ann.wait_for_timeout(200)
    epochs = await key_epochs(ann, conversation)
    assert [(e["epoch"], e["created_by"]) for e in epochs][-1] == (2, ann_id)
    assert await _readers(ann, conversation) == {trainer_id, ann_id}
    await ann.wait_for_selector(f"{_card(bea_id)}[data-reason=key_changed]", timeout=15_000)
    assert await ann.inner_text(f"{_card(bea_id)} .chat-approval__code") == swapped.identity.person.fingerprint_text
    await trainer.wait_for_timeout(1000)  # the trainer's open page saw the new key too: it gives nothing
    assert await _readers(trainer, conversation) == {trainer_id, ann_id}
    await send_text(trainer, "Not for a swapped key")
    await sees(ann, "Not for a swapped key")
    await bea.wait_for_timeout(1500)
    assert await bea.locator("li.chat-msg .chat-msg__text:text-is('Not for a swapped key')").count() == 0

    # The trainer takes Bea out of the group: the next key is made at once, without her.
    removed = await trainer.evaluate(
        """async ([programme, group, person]) => {
            const csrf = document.querySelector('meta[name="csrf-token"]').content;
            const answer = await fetch(`/api/v1/programmes/${programme}/groups/${group}/members/${person}`, {
                method: 'DELETE', headers: {'x-csrf-token': csrf},
            });
            return answer.status;
        }""",
        [str(world.programme_a), str(world.group_a), bea_id],
    )
    assert removed == 204
    before_removal = len(errors)
    for _ in range(150):  # an open member page makes epoch 3 when the server says a reader left
        if len(await key_epochs(trainer, conversation)) == 3:
            break
        await trainer.wait_for_timeout(200)
    epochs = await key_epochs(trainer, conversation)
    assert epochs[-1]["created_by"] in (trainer_id, ann_id), "an open member page rotated"
    detail = await trainer.evaluate(
        "async (id) => (await fetch(`/api/v1/chat/conversations/${id}`)).json()", conversation
    )
    assert detail["rotation_due"] is False
    assert await _readers(trainer, conversation) == {trainer_id, ann_id}, "they approved each other"

    after = "Only the two of us read this"
    await send_text(ann, after)
    await sees(trainer, after)
    await shows_state(ann, after, "read")
    await bea.wait_for_timeout(1500)
    assert await bea.locator(f"li.chat-msg .chat-msg__text:text-is({after!r})").count() == 0
    assert await bea.locator(mine(after)).count() == 0
    refused = await bea.evaluate(
        "async (id) => (await fetch(`/api/v1/chat/conversations/${id}/messages?after=0`)).status", conversation
    )
    assert refused == 403
    reopened = await bea.goto(conversation_url)
    assert reopened is not None
    assert reopened.status == 403
    # After she left, the only errors are her refused requests, and a 409 where the two open member
    # pages made epoch 3 at the same moment (compare-and-set: one wins, the other takes its key).
    after_removal = [e for e in errors[before_removal:] if not e.startswith("bea.a:")]
    assert all("409" in e for e in after_removal), (after_removal, failed)
    del errors[before_removal:]
    assert errors == [], (failed, server.log()[-4000:])


async def _signed_group_cast(server: LiveServer, database_url: str, world: World) -> dict[str, str]:
    """The admin (with the organisation key) makes programme A's key and gives Staff A a copy;
    Staff A, Coach A (the trainer to be) and Mothers A and A2 sign up with real keys. Returns each
    one's fingerprint as her own phone shows it, by login."""
    keyrings = [Keyring(server) for _ in range(5)]
    try:
        a = world.programme_a
        admin_identity, org_key = await keyrings[0].sign_up(
            await invitation(database_url, world, world.admin, Role.org_admin, None), "admin", org_key=True
        )
        assert org_key is not None
        people = {}
        for keyring, person, role, login in (
            (keyrings[1], world.staff_a, Role.staff, "staff.a"),
            (keyrings[2], world.coach_a, Role.coach, "coach.a"),
            (keyrings[3], world.participant_a, Role.participant, "ann.a"),
            (keyrings[4], world.participant_a2, Role.participant, "bea.a"),
        ):
            people[login], _ = await keyring.sign_up(await invitation(database_url, world, person, role, a), login)
        await register_programme_key(
            keyrings[0].call, world, org_key, admin_identity.person, holders={world.staff_a: people["staff.a"].person}
        )
    finally:
        for keyring in keyrings:
            await keyring.http.aclose()
    return {login: identity.person.fingerprint_text for login, identity in people.items()}


async def _signed(page: Any, above: int) -> int:
    """Wait until the list is signed anew, with a serial above `above`, and return that serial. The
    staff browser chooses it, never the page: above the last it verified and at least the seconds
    since 1970 (js/shared/serials.js)."""
    await page.wait_for_function(
        """(above) => {
            const record = document.querySelector('#group-record');
            return record?.dataset.status === 'signed' && Number(record.dataset.serial) > above;
        }""",
        arg=above,
        timeout=30_000,
    )
    return int(await page.get_attribute("#group-record", "data-serial"))


async def test_staff_sign_the_group_and_its_trainer_and_mothers_read_each_other_without_comparing_codes(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    await _signed_group_cast(server, database_url, world)
    errors: list[str] = []
    failed: list[str] = []

    def watch(page: Any) -> None:
        page.on(
            "response", lambda r: failed.append(f"{r.request.method} {r.url} {r.status}") if r.status >= 400 else None
        )

    # Staff make the group by clicking, on a phone, and add the trainer and two mothers.
    staff = await logged_in(chromium, server, "staff.a", PHONE, errors)
    watch(staff)
    await staff.goto(f"{server.url}/manage")
    await staff.click(f"h2 a[href='/manage/programmes/{world.programme_a}']")
    await staff.click(f"a[href='/manage/programmes/{world.programme_a}/groups']")
    await staff.fill("#f-name", "Mama's van Emmen")
    await staff.click("form[action$='/groups'] button[type=submit]")
    await staff.wait_for_url(f"{server.url}/manage/programmes/{world.programme_a}/groups/*")
    group_id = staff.url.rsplit("/", 1)[1]
    assert await staff.get_attribute("#group-record", "data-status") == "unsigned"
    await staff.select_option("#f-trainer_id", str(world.coach_a))
    started = int(time.time())
    await staff.click("#group-add-trainer button[type=submit]")
    serial = await _signed(staff, 0)
    assert serial >= started - 5, "a serial the server cannot make low"
    for mother in (world.participant_a, world.participant_a2):
        await staff.select_option("#f-person_id", str(mother))
        await staff.click("#group-add-participant button[type=submit]")
        serial = await _signed(staff, serial)
    assert await staff.locator("li.group-member[data-signed=yes]").count() == 3
    assert "Ondertekend" in await staff.inner_text("#group-record")
    await fits(staff, "group-signed-staff")
    assert errors == [], errors

    # The trainer (a coach) starts the group chat: her browser makes one key for all three.
    trainer = await logged_in(chromium, server, "coach.a", PHONE, errors)
    watch(trainer)
    await trainer.goto(f"{server.url}/chat")
    await trainer.click(f"form[action$='/groups/{group_id}'] button[type=submit]")
    await trainer.wait_for_url(f"{server.url}/chat/*")
    conversation_url = trainer.url
    conversation = conversation_url.rsplit("/", 1)[1]
    await connected(trainer)
    await trainer.wait_for_selector("#chat-text:not([disabled])", timeout=15_000)
    ann_id, bea_id, coach_id = str(world.participant_a), str(world.participant_a2), str(world.coach_a)
    for _ in range(50):
        if await _readers(trainer, conversation) == {ann_id, bea_id, coach_id}:
            break
        await trainer.wait_for_timeout(200)
    assert await _readers(trainer, conversation) == {ann_id, bea_id, coach_id}, "no codes compared"
    assert await trainer.locator("#chat-approvals").is_hidden()

    # Written before anyone else opened the chat: sent, not read.
    await send_text(trainer, "Welkom in de groep")
    await trainer.wait_for_selector(f"{mine('Welkom in de groep')} .chat-msg__state[data-state]", timeout=15_000)
    await trainer.wait_for_timeout(1000)
    state = await trainer.get_attribute(f"{mine('Welkom in de groep')} .chat-msg__state", "data-state")
    assert state in ("sent", "delivered"), state

    # Each mother finds it in her list and reads and writes at once: nobody compares codes.
    mothers = []
    for login in ("ann.a", "bea.a"):
        page = await logged_in(chromium, server, login, PHONE, errors)
        watch(page)
        await page.goto(f"{server.url}/chat")
        await page.click(f"a.chat-list__item[data-conversation='{conversation}']")
        await page.wait_for_url(conversation_url)
        await connected(page)
        await page.wait_for_selector("#chat-text:not([disabled])", timeout=15_000)
        assert await page.locator("#chat-approvals").is_hidden()
        await sees(page, "Welkom in de groep")
        mothers.append(page)
        if login == "ann.a":
            # Ann opened it: now it is read, and the trainer sees "Gelezen".
            await shows_state(trainer, "Welkom in de groep", "read")
            assert await trainer.inner_text(f"{mine('Welkom in de groep')} .chat-msg__state") == "Gelezen"
    ann, bea = mothers
    await send_text(ann, "Hallo, ik ben Ann")
    await sees(trainer, "Hallo, ik ben Ann")
    await sees(bea, "Hallo, ik ben Ann")
    await shows_state(ann, "Hallo, ik ben Ann", "read")
    await send_text(bea, "En ik ben Bea")
    await sees(trainer, "En ik ben Bea")
    await sees(ann, "En ik ben Bea")
    for name, page in (("trainer", trainer), ("ann", ann), ("bea", bea)):
        await fits(page, f"group-signed-{name}")
    epochs = await key_epochs(trainer, conversation)
    assert [e["epoch"] for e in epochs] == [1], "one key for everyone the list names"
    assert errors == [], (errors, failed, server.log()[-4000:])

    # Staff take Bea out by clicking: the list is signed again without her, and an open member
    # page makes the next key for those it names.
    await staff.reload()
    await staff.click(f"li.group-member[data-person-id='{bea_id}'] form.group-remove-form button")
    await _signed(staff, serial)
    assert await staff.locator(f"li.group-member[data-person-id='{bea_id}']").count() == 0
    # Both open member pages may start it at once: one gets a 409 and takes the other's. On a busy
    # machine a page that could not yet check the other's key went one further (a third epoch):
    # more keys than needed, never a key for Bea. What must hold: a new key, and only Ann and the
    # trainer hold the newest.
    for _ in range(150):
        rotated = len(await key_epochs(trainer, conversation)) >= 2
        if rotated and await _readers(trainer, conversation) == {ann_id, coach_id}:
            break
        await trainer.wait_for_timeout(200)
    made = await key_epochs(trainer, conversation)
    who = {ann_id: "ann", bea_id: "bea", coach_id: "trainer"}
    made_by = [(e["epoch"], who.get(e["created_by"])) for e in made]
    assert [e["epoch"] for e in made][:2] == [1, 2], made_by
    assert len(made) <= 3, made_by
    assert all(who.get(e["created_by"]) in ("ann", "trainer") for e in made[1:]), made
    assert await _readers(trainer, conversation) == {ann_id, coach_id}
    after = "Alleen voor Ann en de trainer"
    await ann.wait_for_timeout(500)
    await send_text(ann, after)
    await sees(trainer, after)
    await shows_state(ann, after, "read")
    refused = await bea.evaluate(
        "async (id) => (await fetch(`/api/v1/chat/conversations/${id}/messages?after=0`)).status", conversation
    )
    assert refused == 403
    # Only her refused requests, and a 409 where two open member pages made epoch 2 at once.
    left = [e for e in errors if not e.startswith("bea.a:")]
    assert all("409" in e for e in left), (left, failed)


async def _in_group(database_url: str, world: World, *members: tuple[uuid.UUID, str]) -> None:
    """People put in Group A on the server, as a change made without the programme key (or a
    server that slips someone in) does."""
    await in_database(
        database_url,
        insert(GroupMember).values(
            [
                {
                    "group_id": world.group_a,
                    "person_id": person,
                    "organisation_id": world.organisation_id,
                    "programme_id": world.programme_a,
                    "role": role,
                }
                for person, role in members
            ]
        ),
    )


async def _asked(page: Any) -> dict[str, str]:
    """The people the page asks staff to tick: person id -> the text shown (name and code)."""
    await page.wait_for_selector("#group-extra:not([hidden])", timeout=30_000)
    rows = page.locator("#group-extra li.group-extra")
    return {
        str(await rows.nth(i).get_attribute("data-person-id")): await rows.nth(i).inner_text()
        for i in range(await rows.count())
    }


async def test_staff_see_by_name_and_code_and_tick_everyone_the_server_lists_beyond_their_own_change(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    codes = await _signed_group_cast(server, database_url, world)
    # The trainer and Ann were put in the group without the programme key: nothing is signed yet.
    await _in_group(database_url, world, (world.coach_a, "trainer"), (world.participant_a, "participant"))
    errors: list[str] = []
    staff = await logged_in(chromium, server, "staff.a", PHONE, errors)
    page_url = f"{server.url}/manage/programmes/{world.programme_a}/groups/{world.group_a}"
    await staff.goto(page_url)
    assert await staff.get_attribute("#group-record", "data-status") == "unsigned"

    # Signing now: her browser verified no list before, so it names nobody she has not seen.
    await staff.click("form.group-sign-form button[type=submit]")
    asked = await _asked(staff)
    assert set(asked) == {str(world.coach_a), str(world.participant_a)}
    assert "Coach A" in asked[str(world.coach_a)]
    assert codes["coach.a"] in asked[str(world.coach_a)]
    assert "Mother A" in asked[str(world.participant_a)]
    assert codes["ann.a"] in asked[str(world.participant_a)]
    await fits(staff, "group-extra-staff")
    await staff.check(f"#extra-{world.coach_a}")
    await staff.check(f"#extra-{world.participant_a}")
    await staff.click("#group-extra-sign")
    serial = await _signed(staff, 0)

    # The server slips Bea in. Staff take Ann out: the trainer comes from the signed list, Bea is
    # shown and, when staff cancel, nothing is sent.
    await _in_group(database_url, world, (world.participant_a2, "participant"))
    await staff.goto(page_url)
    await staff.click(f"li.group-member[data-person-id='{world.participant_a}'] form.group-remove-form button")
    asked = await _asked(staff)
    assert set(asked) == {str(world.participant_a2)}, asked
    assert codes["bea.a"] in asked[str(world.participant_a2)]
    await staff.click("#group-extra-cancel")
    await staff.wait_for_selector("#group-extra", state="hidden")
    await staff.reload()
    assert await staff.locator(f"li.group-member[data-person-id='{world.participant_a}']").count() == 1

    # Ticked after seeing her name and code, Bea is on the list staff sign without Ann.
    await staff.click(f"li.group-member[data-person-id='{world.participant_a}'] form.group-remove-form button")
    await _asked(staff)
    await staff.check(f"#extra-{world.participant_a2}")
    await staff.click("#group-extra-sign")
    await _signed(staff, serial)
    assert await staff.locator(f"li.group-member[data-person-id='{world.participant_a}']").count() == 0
    assert await staff.locator("li.group-member[data-signed=yes]").count() == 2
    assert errors == [], errors
