"""Keys of group and supervision conversations, with real keys on every side: any member's
browser makes the first epoch and rotates (compare-and-set, the previous key chained, signed
grants only to the members whose key its user approved after seeing name and fingerprint: the
server's member list vouches for nobody); a member who joins gets the current key once a member
approves her, and reads back through the chain; a member who leaves makes the next epoch due at
once, and cannot read what follows; a member the server slips in or whose key it swaps gets
nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from eportfolio import crypto
from eportfolio.accounts.tables import Account
from eportfolio.chat.tables import Conversation, Grant
from eportfolio.crypto import b64u_decode
from eportfolio.kit.clock import utcnow
from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.tables import Group, GroupMember, Membership, Person
from tests.support.chat import ChatClient, serve, session_token
from tests.support.chat_keys import Talker
from tests.support.client import Browser
from tests.support.keyring_client import KeyringClient, join
from tests.support.portfolio import PASSWORD, Hand
from tests.support.world import World


@dataclass
class Cast:
    app: FastAPI
    world: World
    trainer: Talker  # staff of the programme whom staff made the group's trainer
    ann: Talker  # participant_a
    bea: Talker  # participant_a2
    coach: Talker
    supervisor: Talker
    stack: AsyncExitStack

    async def talker(self, person_id: uuid.UUID, role: str, login: str) -> Talker:
        member = await join(self.app, person_id, role, login, PASSWORD, self.world.programme_a)
        browser = await self.stack.enter_async_context(Browser(self.app))
        identity = await KeyringClient(browser).login(member.login, member.password)
        return Talker(Hand(member, browser, identity, self.world.programme_a))

    async def group_member(self, person_id: uuid.UUID | str, *, add: bool = True, role: str = "participant") -> None:
        path = f"/api/v1/programmes/{self.world.programme_a}/groups/{self.world.group_a}/members/{person_id}"
        answer = await self.trainer.hand.api("PUT" if add else "DELETE", path, {"role": role} if add else None)
        assert answer.status_code == 204, answer.text

    async def open(self, talker: Talker, kind: str, **subject: str) -> str:
        opened = await talker.hand.ok(
            "POST",
            "/api/v1/chat/conversations",
            {"programme_id": str(self.world.programme_a), "kind": kind, **subject},
        )
        return str(opened["id"])

    async def open_group(self, talker: Talker) -> str:
        return await self.open(talker, "group", group_id=str(self.world.group_a))

    async def grants(self, conversation: str) -> set[tuple[int, str]]:
        async with self.app.state.sessionmaker() as session:
            rows = await session.execute(
                select(Grant.epoch, Grant.recipient_id).where(Grant.conversation_id == uuid.UUID(conversation))
            )
            return {(epoch, str(person)) for epoch, person in rows.tuples()}

    async def age(self, conversation: str, days: int) -> None:
        async with unit_of_work(self.app.state.sessionmaker) as uow:
            await uow.session.execute(
                update(Conversation)
                .where(Conversation.id == uuid.UUID(conversation))
                .values(epoch_started_at=utcnow() - timedelta(days=days))
            )


@pytest.fixture
async def cast(app: FastAPI, world: World) -> AsyncIterator[Cast]:
    async with AsyncExitStack() as stack:
        await join(app, world.admin, "org_admin", "admin", PASSWORD)
        async with unit_of_work(app.state.sessionmaker) as uow:
            await uow.session.execute(update(Group).where(Group.id == world.group_a).values(capacity=10))
        made = Cast(app, world, None, None, None, None, None, stack)  # type: ignore[arg-type]  # the parts this cast does not use stay None
        made.trainer = await made.talker(world.staff_a, "staff", "trainer.a")
        made.ann = await made.talker(world.participant_a, "participant", "ann.a")
        made.bea = await made.talker(world.participant_a2, "participant", "bea.a")
        made.coach = await made.talker(world.coach_a, "coach", "coach.a")
        made.supervisor = await made.talker(world.supervisor_a, "supervisor", "supervisor.a")
        await made.group_member(world.staff_a, role="trainer")
        await made.group_member(world.participant_a)
        await made.group_member(world.participant_a2)
        yield made


def ids(*talkers: Talker) -> set[str]:
    return {t.person_id for t in talkers}


async def test_any_member_of_a_group_makes_the_first_key_and_everyone_reads(cast: Cast) -> None:
    conversation = await cast.open_group(cast.trainer)
    # Not the trainer, not the first to open it: one of the participants' browsers makes the key.
    assert await cast.bea.ensure_access(conversation)
    epochs = await cast.bea.hand.ok("GET", f"/api/v1/chat/conversations/{conversation}/epochs")
    assert [(e["epoch"], e["created_by"]) for e in epochs] == [(1, cast.bea.person_id)]
    # Only for her own browser: the others are the server's word until she approves them.
    assert await cast.grants(conversation) == {(1, cast.bea.person_id)}
    assert cast.bea.waiting == {cast.trainer.person_id: "unapproved", cast.ann.person_id: "unapproved"}
    assert await cast.bea.approve(conversation, cast.trainer.person_id)
    assert await cast.bea.approve(conversation, cast.ann.person_id)
    assert await cast.grants(conversation) == {(1, p) for p in ids(cast.trainer, cast.ann, cast.bea)}
    readers = {m["person_id"] for m in (await cast.ann.conversation(conversation))["members"] if m["can_read"]}
    assert readers == ids(cast.trainer, cast.ann, cast.bea)

    await cast.trainer.say(conversation, "Welcome to the group")
    await cast.ann.say(conversation, "Hello everyone")
    await cast.bea.say(conversation, "Hi!")
    for talker in (cast.trainer, cast.ann, cast.bea):
        assert await talker.read_all(conversation) == ["Welcome to the group", "Hello everyone", "Hi!"]


async def test_two_members_racing_for_the_first_key_one_wins_and_the_other_takes_its_key(cast: Cast) -> None:
    conversation = await cast.open_group(cast.ann)
    everyone = [cast.trainer.person_id, cast.ann.person_id, cast.bea.person_id]
    first = await cast.ann.epoch_body(conversation, 1, None, everyone)
    second = await cast.trainer.epoch_body(conversation, 1, None, everyone)
    assert (
        await cast.ann.hand.api("POST", f"/api/v1/chat/conversations/{conversation}/epochs", first)
    ).status_code == 201
    lost = await cast.trainer.hand.api("POST", f"/api/v1/chat/conversations/{conversation}/epochs", second)
    assert lost.status_code == 409, lost.text
    assert await cast.trainer.ensure_access(conversation), "the trainer's browser takes the winner's key"
    epochs = await cast.trainer.hand.ok("GET", f"/api/v1/chat/conversations/{conversation}/epochs")
    assert [(e["epoch"], e["created_by"]) for e in epochs] == [(1, cast.ann.person_id)]
    await cast.trainer.say(conversation, "One key for all of us")
    assert await cast.bea.read_all(conversation) == ["One key for all of us"]

    # A key for someone outside the group (a participant of the programme, not in it) is refused.
    outsider = await cast.talker(uuid.UUID(await new_participant(cast, "Mother C")), "participant", "cat.a")
    granted = await cast.ann.hand.api(
        "POST",
        f"/api/v1/chat/conversations/{conversation}/grants",
        {"epoch": 1, "grants": [await cast.ann.grant(conversation, 1, b"\x01" * 32, outsider.person_id)]},
    )
    assert granted.status_code == 422, granted.text
    assert outsider.person_id not in {p for _, p in await cast.grants(conversation)}


async def new_participant(cast: Cast, name: str) -> str:
    async with unit_of_work(cast.app.state.sessionmaker) as uow:
        person = Person(organisation_id=cast.world.organisation_id, display_name=name, language="nl")
        uow.session.add(person)
        await uow.flush()
        uow.session.add(
            Membership(
                organisation_id=cast.world.organisation_id,
                programme_id=cast.world.programme_a,
                person_id=person.id,
                role="participant",
            )
        )
        return str(person.id)


async def test_a_member_who_joins_gets_the_current_key_from_the_next_member_browser_and_reads_back(
    cast: Cast,
) -> None:
    conversation = await cast.open_group(cast.trainer)
    assert await cast.ann.ensure_access(conversation)
    for member in (cast.trainer, cast.bea):
        assert await cast.ann.approve(conversation, member.person_id)
    await cast.ann.say(conversation, "Before the new key")
    # A week later any member holding the key rotates it, chained to the first: only for the
    # readers that browser approved, so Ann and Bea wait until the trainer approves them.
    await cast.age(conversation, 8)
    assert (await cast.trainer.conversation(conversation))["rotation_due"] is True
    assert await cast.trainer.ensure_access(conversation)
    assert {p for e, p in await cast.grants(conversation) if e == 2} == ids(cast.trainer)
    for member in (cast.ann, cast.bea):
        assert await cast.trainer.approve(conversation, member.person_id)
    epochs = await cast.trainer.hand.ok("GET", f"/api/v1/chat/conversations/{conversation}/epochs")
    assert [(e["epoch"], e["created_by"]) for e in epochs] == [(1, cast.ann.person_id), (2, cast.trainer.person_id)]
    await cast.bea.say(conversation, "Under the second key")

    cat_id = await new_participant(cast, "Mother C")
    cat = await cast.talker(uuid.UUID(cat_id), "participant", "cat.a")
    token = await session_token(cast.app, uuid.UUID(cast.ann.person_id))
    async with serve(cast.app) as url, ChatClient.connect(url, token, resume={}) as ann_socket:
        await cast.group_member(cat_id)
        # Ann's open page is told at once, so her browser can give Cat the key now.
        told = await ann_socket.until("epoch", lambda f: f["conversation_id"] == conversation)
        assert told["epoch"] == 2
        assert told["rotation_due"] is False
    assert not await cat.ensure_access(conversation), "no key until a member's browser gives it"
    assert await cat.read_all(conversation) == [None, None]

    # Ann's browser does not give it on the server's word: Cat waits for approval.
    assert await cast.ann.ensure_access(conversation)
    assert cast.ann.waiting == {cat_id: "unapproved"}
    assert (2, cat_id) not in await cast.grants(conversation)
    assert not await cat.ensure_access(conversation)
    # Ann sees a code that is not Cat's key now: nothing is given.
    assert not await cast.ann.approve(conversation, cat_id, expected=cast.bea.hand.identity.person.fingerprint)
    assert (2, cat_id) not in await cast.grants(conversation)
    assert await cast.ann.approve(conversation, cat_id, expected=cat.hand.identity.person.fingerprint)
    assert (2, cat_id) in await cast.grants(conversation)
    assert await cat.ensure_access(conversation)
    assert await cat.read_all(conversation) == ["Before the new key", "Under the second key"], "back along the chain"


async def test_a_member_who_leaves_makes_a_new_key_due_and_cannot_read_what_follows(cast: Cast) -> None:
    conversation = await cast.open_group(cast.trainer)
    assert await cast.trainer.ensure_access(conversation)
    for member in (cast.ann, cast.bea):
        assert await cast.trainer.approve(conversation, member.person_id)
    assert await cast.ann.approve(conversation, cast.trainer.person_id)
    await cast.bea.say(conversation, "I am still in the group")
    bea_keys = await cast.bea.epoch_keys(conversation)
    assert set(bea_keys) == {1}

    token = await session_token(cast.app, uuid.UUID(cast.ann.person_id))
    async with serve(cast.app) as url, ChatClient.connect(url, token, resume={}) as ann_socket:
        await cast.group_member(cast.bea.person_id, add=False)
        told = await ann_socket.until("epoch", lambda f: f["conversation_id"] == conversation)
        assert told == {"type": "epoch", "conversation_id": conversation, "epoch": 1, "rotation_due": True}
    assert (await cast.ann.conversation(conversation))["rotation_due"] is True
    for path in ("", "/messages?after=0", "/grants/mine", "/epochs"):
        refused = await cast.bea.hand.api("GET", f"/api/v1/chat/conversations/{conversation}{path}")
        assert refused.status_code == 403, (path, refused.text)

    # The next member browser (Ann's) makes epoch 2 without her, chained to epoch 1.
    assert await cast.ann.ensure_access(conversation)
    conversation_now = await cast.ann.conversation(conversation)
    assert conversation_now["epoch"] == 2
    assert conversation_now["rotation_due"] is False
    assert {p for e, p in await cast.grants(conversation) if e == 2} == ids(cast.ann, cast.trainer)
    await cast.trainer.say(conversation, "After Bea left")
    assert await cast.ann.read_all(conversation) == ["I am still in the group", "After Bea left"]

    # Even with the ciphertext in hand, her key of epoch 1 does not open what follows.
    page = await cast.trainer.hand.ok("GET", f"/api/v1/chat/conversations/{conversation}/messages?after=0")
    after = next(m for m in page["messages"] if m["kind"] == "person" and m["epoch"] == 2)
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt_message(
            b64u_decode(after["body"]),
            bea_keys[1],
            conversation_id=conversation,
            message_id=after["client_id"],
            author=await cast.bea.hand.person(cast.trainer.person_id),
        )


async def test_a_supervision_conversation_is_keyed_by_either_side_and_rotates_when_a_supervisor_leaves(
    cast: Cast,
) -> None:
    conversation = await cast.open(cast.coach, "supervision", coach_id=cast.coach.person_id)
    assert await cast.supervisor.ensure_access(conversation), "the supervisor's browser makes the first key"
    assert await cast.grants(conversation) == {(1, cast.supervisor.person_id)}
    assert cast.supervisor.waiting == {cast.coach.person_id: "unapproved"}
    assert await cast.supervisor.approve(conversation, cast.coach.person_id)
    assert await cast.grants(conversation) == {(1, p) for p in ids(cast.coach, cast.supervisor)}
    await cast.coach.say(conversation, "A hard week with one of the mothers")
    await cast.supervisor.say(conversation, "Let us talk it through")
    assert await cast.coach.read_all(conversation) == ["A hard week with one of the mothers", "Let us talk it through"]

    # Staff end the supervisor's role: she left, so the next epoch is due and she is not in it.
    async with cast.app.state.sessionmaker() as session:
        membership = (
            await session.execute(
                select(Membership.id).where(
                    Membership.person_id == cast.world.supervisor_a, Membership.role == "supervisor"
                )
            )
        ).scalar_one()
    ended = await cast.trainer.hand.api(
        "PATCH", f"/api/v1/programmes/{cast.world.programme_a}/memberships/{membership}", {"active": False}
    )
    assert ended.status_code == 200, ended.text
    assert (await cast.coach.conversation(conversation))["rotation_due"] is True
    assert await cast.coach.ensure_access(conversation)
    assert {p for e, p in await cast.grants(conversation) if e == 2} == ids(cast.coach)
    refused = await cast.supervisor.hand.api("GET", f"/api/v1/chat/conversations/{conversation}/messages?after=0")
    assert refused.status_code in (403, 404)
    await cast.coach.say(conversation, "Only for the next supervisor")
    assert (await cast.coach.read_all(conversation))[-1] == "Only for the next supervisor"


async def _bea_served_with_new_keys(cast: Cast, password: str) -> crypto.SignUp:
    """The server serves new public keys for Bea from now on, made with `password`: a key the
    server holds, or her own after a reset. Returns what was made."""
    made = crypto.Identity.create(
        "bea.a", password, user_id=cast.bea.person_id, params=crypto.KdfParams.new(8, 1, 1), allow_test_params=True
    )
    async with unit_of_work(cast.app.state.sessionmaker) as uow:
        await uow.session.execute(
            update(Account)
            .where(Account.person_id == uuid.UUID(cast.bea.person_id))
            .values(public_identity=made.public_identity)
        )
    return made


async def test_a_member_the_server_slips_in_or_whose_key_it_swaps_gets_no_key(cast: Cast) -> None:
    conversation = await cast.open_group(cast.trainer)
    assert await cast.trainer.ensure_access(conversation)
    for member in (cast.ann, cast.bea):
        assert await cast.trainer.approve(conversation, member.person_id)
    assert await cast.ann.approve(conversation, cast.trainer.person_id)

    # A stranger (a participant of the programme) is put into the group behind everyone's back.
    eve_id = await new_participant(cast, "Eve")
    eve = await cast.talker(uuid.UUID(eve_id), "participant", "eve.a")
    async with unit_of_work(cast.app.state.sessionmaker) as uow:
        uow.session.add(
            GroupMember(
                group_id=cast.world.group_a,
                person_id=uuid.UUID(eve_id),
                organisation_id=cast.world.organisation_id,
                programme_id=cast.world.programme_a,
            )
        )
    for talker in (cast.trainer, cast.ann, cast.bea):
        await talker.ensure_access(conversation)
    assert cast.trainer.waiting == {eve_id: "unapproved"}
    assert eve_id not in {p for _, p in await cast.grants(conversation)}
    assert not await eve.ensure_access(conversation)

    # The server swaps Bea's key for one it holds; a week later the trainer's browser rotates.
    await _bea_served_with_new_keys(cast, "a password of the server")
    await cast.age(conversation, 8)
    assert await cast.trainer.ensure_access(conversation)
    assert {p for e, p in await cast.grants(conversation) if e == 2} == ids(cast.trainer, cast.ann)
    assert cast.trainer.waiting == {eve_id: "unapproved", cast.bea.person_id: "key_changed"}
    # Opened again (Ann's browser too): still nothing for the swapped key, until someone approves it.
    assert await cast.ann.ensure_access(conversation)
    assert await cast.trainer.ensure_access(conversation)
    assert {p for e, p in await cast.grants(conversation) if e == 2} == ids(cast.trainer, cast.ann)
    await cast.trainer.say(conversation, "Not for the swapped key")
    assert (await cast.ann.read_all(conversation))[-1] == "Not for the swapped key"


async def test_a_grant_for_a_key_she_replaced_no_longer_counts_and_a_grant_for_her_new_key_takes_its_place(
    cast: Cast,
) -> None:
    conversation = await cast.open_group(cast.trainer)
    assert await cast.trainer.ensure_access(conversation)
    assert await cast.trainer.approve(conversation, cast.bea.person_id)

    def can_read(conversation_read: dict[str, object], person_id: str) -> bool:
        members = conversation_read["members"]
        assert isinstance(members, list)
        return any(m["person_id"] == person_id and m["can_read"] for m in members)

    assert can_read(await cast.trainer.conversation(conversation), cast.bea.person_id)

    # Bea gets new keys (a reset with her coach); the grant of epoch 1 names the key she had.
    renewed = await _bea_served_with_new_keys(cast, "her new password")
    assert not can_read(await cast.trainer.conversation(conversation), cast.bea.person_id), (
        "a grant for the key she replaced is not reading"
    )

    # The trainer checks her new code in person and approves it: the new grant replaces the old one.
    assert await cast.trainer.approve(conversation, cast.bea.person_id)
    assert can_read(await cast.trainer.conversation(conversation), cast.bea.person_id)
    async with cast.app.state.sessionmaker() as session:
        grant = (
            await session.execute(
                select(Grant.grant).where(
                    Grant.conversation_id == uuid.UUID(conversation),
                    Grant.epoch == 1,
                    Grant.recipient_id == uuid.UUID(cast.bea.person_id),
                )
            )
        ).scalar_one()
    assert (
        crypto.read_grant(b64u_decode(grant)).recipient_fingerprint
        == crypto.Person.from_public_identity(renewed.public_identity).fingerprint
    )
