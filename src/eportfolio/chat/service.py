"""Use cases of the chat feature: one transaction each, membership checked first, events after commit.

Every frame and every request is checked against the conversation's members as they are now
(see ``repository``). Events carry the explicit list of recipients and the frame to send them;
the WebSocket hub delivers them once the unit of work has committed.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from cachetools import TLRUCache
from pydantic import BaseModel
from sqlalchemy.orm.attributes import set_committed_value

from eportfolio import crypto
from eportfolio.chat.envelope import Envelope, Invalidate
from eportfolio.chat.repository import AccessRow, ChatRepository, Member, SendRow, scope_of
from eportfolio.chat.tables import (
    Conversation,
    Epoch,
    Grant,
    Marker,
    Message,
    PushSetting,
    PushSubscription,
)
from eportfolio.config import Settings
from eportfolio.domain.chat import (
    CONVERSATION_RESOURCE,
    ConversationKind,
    ConversationOpen,
    ConversationRead,
    ConversationSummary,
    Duty,
    EpochCreate,
    EpochFrame,
    EpochRead,
    EscalationFrame,
    GrantCreate,
    GrantRead,
    MarkerFrame,
    MarkerRead,
    MemberRead,
    MemberRole,
    MessageCreate,
    MessageFrame,
    MessageKind,
    MessagePage,
    MessageRead,
    OwnGrant,
    PushSettingsRead,
    PushSettingsUpdate,
    PushSubscriptionCreate,
    SendResult,
    SystemNotice,
    TypingNotice,
)
from eportfolio.domain.people import CoachAssignmentRead, Role
from eportfolio.domain.programmes import ProgrammeSettings
from eportfolio.kit.audit import Action, personal_data, record_access
from eportfolio.kit.auth import Caller
from eportfolio.kit.clock import utcnow
from eportfolio.kit.errors import N_, Conflict, DomainError, Forbidden, InvalidInput, NotFound
from eportfolio.kit.events import Event
from eportfolio.kit.sharing import SharedResource, check_grant, checked_epoch, epoch_key_id
from eportfolio.kit.uow import UnitOfWork
from eportfolio.notifications import service as notifications
from eportfolio.programmes.repository import ProgrammeRepository, ProgrammeScope, loaded_scope, system_scope
from eportfolio.programmes.service import assignment_read, authorize
from eportfolio.programmes.tables import Programme

ROTATION_INTERVAL = timedelta(days=7)
PAGE_LIMIT = 200
CHAT_ROLES = frozenset({Role.participant, Role.coach, Role.supervisor, Role.staff, Role.org_admin})
# Roles that answer a participant: a message from any of them ends her wait.
ANSWERING_ROLES = frozenset({MemberRole.coach, MemberRole.supervisor, MemberRole.on_duty})


class StaleEpoch(Conflict):
    code = "stale_epoch"
    default_message = N_(
        "The key of this conversation has changed. Your message was not sent yet; it is sent again with the new key."
    )


@dataclass(slots=True)
class ConversationAccess:
    conversation: Conversation
    programme: Programme
    member: Member
    members: list[Member]
    acting_role: str


# Event helpers -----------------------------------------------------------------------------------


def emit_frame(
    uow: UnitOfWork,
    name: str,
    frame: BaseModel,
    recipients: list[uuid.UUID],
    *,
    conversation_id: uuid.UUID | None = None,
    seq: int | None = None,
    invalidate: uuid.UUID | None = None,
) -> None:
    """Queue a frame for these people; it leaves after commit. Bodies in it are ciphertext only.

    ``invalidate``: the members of this conversation changed; every process forgets what it cached.
    """
    if not recipients:
        if invalidate is not None:
            members_changed(uow, invalidate)
        return
    about: uuid.UUID | None = None
    author: uuid.UUID | None = None
    if isinstance(frame, MessageFrame):
        about = frame.message.conversation_id
        author = frame.message.author_id if frame.message.kind is MessageKind.person else None
    elif isinstance(frame, EscalationFrame):
        about = frame.entry.conversation_id
    placed = conversation_id is not None and seq is not None
    envelope = Envelope(
        recipients=tuple(str(r) for r in dict.fromkeys(recipients)),
        text=frame.model_dump_json(),
        conversation_id=str(conversation_id) if placed else None,
        seq=seq if placed else None,
        invalidate=Invalidate(conversation_id=str(invalidate)) if invalidate is not None else None,
        about=str(about) if about is not None else None,
        author=str(author) if author is not None else None,
    )
    uow.emit(Event(name, envelope.to_payload()))


# Reading models ----------------------------------------------------------------------------------


def programme_today(programme: Programme, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(ZoneInfo(programme.time_zone)).date()


def rotation_due(conversation: Conversation, now: datetime | None = None) -> bool:
    if conversation.epoch < 1 or conversation.epoch_started_at is None:
        return True
    if conversation.rotation_due_since is not None:
        return True
    return (now or utcnow()) - conversation.epoch_started_at >= ROTATION_INTERVAL


def message_read(message: Message) -> MessageRead:
    return MessageRead(
        id=message.id,
        conversation_id=message.conversation_id,
        seq=message.seq,
        kind=MessageKind(message.kind),
        author_id=message.author_id,
        client_id=message.client_id,
        body=message.body,
        epoch=message.epoch,
        notice=SystemNotice(message.notice) if message.notice else None,
        params=message.params or {},
        created_at=message.created_at,
    )


def conversation_read(conversation: Conversation, **extra: Any) -> ConversationRead:
    return ConversationRead(
        id=conversation.id,
        programme_id=conversation.programme_id,
        kind=ConversationKind(conversation.kind),
        participant_id=conversation.participant_id,
        group_id=conversation.group_id,
        coach_id=conversation.coach_id,
        last_seq=conversation.last_seq,
        epoch=conversation.epoch,
        epoch_started_at=conversation.epoch_started_at,
        rotation_due=rotation_due(conversation),
        waiting_since=conversation.waiting_since,
        created_at=conversation.created_at,
        **extra,
    )


def _subjects(conversation: Conversation, caller: Caller) -> list[uuid.UUID]:
    """Whose data a conversation is, for the access log."""
    if conversation.participant_id:
        return [conversation.participant_id]
    if conversation.coach_id:
        return [conversation.coach_id]
    return [caller.person_id]


# Membership --------------------------------------------------------------------------------------


async def members_now(repo: ChatRepository, conversation: Conversation, programme: Programme) -> list[Member]:
    """Who is in the conversation now: the members by rule (her coaches only through an assignment
    that counts) and those her browser granted the current key who are on the duty roster in force."""
    now = utcnow()
    if conversation.kind == ConversationKind.coaching and conversation.participant_id:
        return await repo.coaching_members(conversation, programme_today(programme, now), now)
    members = await repo.derived_members(conversation, programme_today(programme, now))
    known = {m.person_id for m in members}
    members += [
        Member(person_id, MemberRole.on_duty)
        for person_id in await repo.granted_duty_readers(conversation, now)
        if person_id not in known
    ]
    return members


async def access_conversation(uow: UnitOfWork, caller: Caller, conversation_id: uuid.UUID) -> ConversationAccess:
    """The conversation if she is a member of it now; checked on every frame and request."""
    repo = ChatRepository(uow.session)
    conversation = await repo.get_conversation(caller.organisation_id, conversation_id)
    if conversation is None:
        raise NotFound(N_("This conversation does not exist, or you are not in it."))
    access = await authorize(uow, caller, conversation.programme_id, CHAT_ROLES)
    members = await members_now(repo, conversation, access.programme)
    member = next((m for m in members if m.person_id == caller.person_id), None)
    if member is None:
        raise Forbidden(N_("You are not a member of this conversation."))
    return ConversationAccess(conversation, access.programme, member, members, access.role.value)


def _derived_id(data: ConversationOpen, programme_id: uuid.UUID) -> uuid.UUID:
    subject = data.participant_id or data.group_id or data.coach_id
    return uuid.UUID(crypto.conversation_id(data.kind.value, str(programme_id), str(subject)))


def _ids(members: list[Member]) -> list[uuid.UUID]:
    return [m.person_id for m in members]


# Conversations -----------------------------------------------------------------------------------


def _subject_key(data: ConversationOpen) -> str:
    subject = data.participant_id or data.group_id or data.coach_id
    return f"{data.kind.value}:{subject}"


async def open_conversation(uow: UnitOfWork, caller: Caller, data: ConversationOpen) -> ConversationRead:
    """Find or create the conversation; she must be one of its members."""
    access = await authorize(uow, caller, data.programme_id, CHAT_ROLES)
    repo = ChatRepository(uow.session)
    existing = await repo.find_conversation(access.scope, _subject_key(data))
    if existing is not None:
        return await get_conversation(uow, caller, existing.id)
    if data.kind is ConversationKind.coaching:
        assert data.participant_id is not None
        if not await repo.programmes.has_active_role(access.scope, data.participant_id, ("participant",)):
            raise InvalidInput(N_("She is not a participant of this programme."), field="participant_id")
    elif data.kind is ConversationKind.group:
        assert data.group_id is not None
        if await repo.programmes.get_group(access.scope, data.group_id) is None:
            raise NotFound(N_("This group does not exist in this programme."))
    else:
        assert data.coach_id is not None
        if not await repo.programmes.has_active_role(access.scope, data.coach_id, ("coach",)):
            raise InvalidInput(N_("This person is not a coach of this programme."), field="coach_id")
    conversation = Conversation(
        # The one id derived from its kind, programme and subject, so members' browsers know what
        # it is (whose coaching, which group's signed member list) whatever is served with it
        # (docs/crypto-spec.md 8).
        id=_derived_id(data, access.scope.programme_id),
        organisation_id=access.scope.organisation_id,
        programme_id=access.scope.programme_id,
        kind=data.kind.value,
        subject_key=_subject_key(data),
        participant_id=data.participant_id,
        group_id=data.group_id,
        coach_id=data.coach_id,
        last_seq=0,
        epoch=0,
        escalation_level=0,
        created_at=utcnow(),
    )
    members = await repo.derived_members(conversation, programme_today(access.programme))
    if caller.person_id not in _ids(members):
        raise Forbidden(N_("You can only open a conversation you are a member of."))
    uow.session.add(conversation)
    await uow.flush()
    return conversation_read(
        conversation,
        members=await _member_reads(repo, conversation, members),
        membership_record=await _group_record(repo, conversation),
    )


async def startable_groups(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    """(id, name) of the groups whose conversation she may open: those she is in, as a participant
    or as the trainer staff put in the group."""
    access = await authorize(uow, caller, programme_id, CHAT_ROLES)
    repo = ChatRepository(uow.session)
    groups = [group for group, _count in await repo.programmes.list_groups(access.scope)]
    mine = []
    for group in groups:
        if caller.person_id in {person for person, _ in await repo.programmes.group_roster(access.scope, group.id)}:
            mine.append(group)
    return [(g.id, g.name) for g in mine]


def _for_replaced_key(grant: str, public_identity: bytes | None) -> bool:
    """Whether a grant names a key this person no longer has (she replaced it, as after a reset).

    The server does not open grants (their recipients check them); it reads only the fingerprint
    a grant names, and counts a grant it cannot read as it did before.
    """
    if not public_identity:
        return False
    try:
        granted = crypto.read_grant(crypto.b64u_decode(grant)).recipient_fingerprint
        return granted != crypto.Person.from_public_identity(public_identity).fingerprint
    except (crypto.CryptoError, ValueError):
        return False


async def current_readers(repo: ChatRepository, conversation: Conversation) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    """Who holds the current key for the key they have now, and who holds a grant for a key they replaced."""
    if not conversation.epoch:
        return set(), set()
    grants = await repo.grants_of_epoch(scope_of(conversation), conversation.id, conversation.epoch)
    identities = await repo.public_identities(list(grants))
    replaced = {person for person, grant in grants.items() if _for_replaced_key(grant, identities.get(person))}
    return set(grants) - replaced, replaced


async def _member_reads(repo: ChatRepository, conversation: Conversation, members: list[Member]) -> list[MemberRead]:
    names = await repo.display_names(conversation.organisation_id, _ids(members))
    readers, _ = await current_readers(repo, conversation)
    return [
        MemberRead(
            person_id=m.person_id,
            display_name=names.get(m.person_id, ""),
            role=m.role,
            can_read=m.person_id in readers,
        )
        for m in members
    ]


async def list_conversations(uow: UnitOfWork, caller: Caller) -> list[ConversationRead]:
    repo = ChatRepository(uow.session)
    now = utcnow()
    conversations = await repo.conversations_for(caller.organisation_id, caller.person_id, now.date(), now)
    read = await repo.read_seqs(caller.person_id, [c.id for c in conversations])
    return [conversation_read(c, read_seq=read.get(c.id, 0)) for c in conversations]


async def list_names(
    uow: UnitOfWork, caller: Caller, conversations: list[ConversationRead]
) -> dict[uuid.UUID, list[str]]:
    """For the chat list: conversation id -> the names that say who she talks with there, in a
    fixed number of statements however many conversations she has. A coaching conversation: the
    participant (none for her own); a supervision conversation: the coach and the programme's
    supervisors, without her. Groups are named by the group (``startable_groups``)."""
    repo = ChatRepository(uow.session)
    wanted: dict[uuid.UUID, list[uuid.UUID]] = {}
    supervisors: dict[uuid.UUID, list[uuid.UUID]] = {}
    for conversation in conversations:
        if conversation.kind is ConversationKind.coaching and conversation.participant_id:
            wanted[conversation.id] = [conversation.participant_id]
        elif conversation.kind is ConversationKind.supervision and conversation.coach_id:
            if conversation.programme_id not in supervisors:
                scope = system_scope(caller.organisation_id, conversation.programme_id)
                supervisors[conversation.programme_id] = await repo.active_with_role(scope, "supervisor")
            wanted[conversation.id] = [conversation.coach_id, *supervisors[conversation.programme_id]]
        else:
            continue
        wanted[conversation.id] = [i for i in dict.fromkeys(wanted[conversation.id]) if i != caller.person_id]
    names = await repo.display_names(caller.organisation_id, list({i for ids in wanted.values() for i in ids}))
    return {cid: [names.get(i, "") for i in ids] for cid, ids in wanted.items()}


async def summaries(uow: UnitOfWork, caller: Caller) -> list[ConversationSummary]:
    """What a WebSocket is told when it connects: her conversations and their newest seq."""
    repo = ChatRepository(uow.session)
    now = utcnow()
    conversations = await repo.conversations_for(caller.organisation_id, caller.person_id, now.date(), now)
    return [
        ConversationSummary(
            id=c.id, kind=ConversationKind(c.kind), last_seq=c.last_seq, epoch=c.epoch, rotation_due=rotation_due(c)
        )
        for c in conversations
    ]


async def get_conversation(uow: UnitOfWork, caller: Caller, conversation_id: uuid.UUID) -> ConversationRead:
    access = await access_conversation(uow, caller, conversation_id)
    repo = ChatRepository(uow.session)
    marker = await repo.get_marker(conversation_id, caller.person_id)
    return conversation_read(
        access.conversation,
        read_seq=marker.read_seq if marker else 0,
        members=await _member_reads(repo, access.conversation, access.members),
        membership_record=await _group_record(repo, access.conversation),
    )


async def conversation_assignments(
    uow: UnitOfWork, caller: Caller, conversation_id: uuid.UUID
) -> list[CoachAssignmentRead]:
    """Her coach assignments with their signed records, for a member of her coaching conversation.

    A reader on duty is a member without being her coach, so the programme's list of assignments
    shows him none of hers; his browser still has to check who else may read (her coaches' signed
    records) before it counts them. The server only passes the records on: the browser verifies
    each under the programme key, so serving them adds no reader a record does not vouch for.
    """
    access = await access_conversation(uow, caller, conversation_id)
    conversation = access.conversation
    if conversation.kind != ConversationKind.coaching or conversation.participant_id is None:
        return []
    rows = await ProgrammeRepository(uow.session).list_assignments(
        scope_of(conversation), participant_id=conversation.participant_id
    )
    record_access(
        uow,
        caller,
        role=access.acting_role,
        subjects={conversation.participant_id} | {r.coach_id for r in rows},
        record_kind="coach_assignment",
        action=Action.read,
        programme_id=conversation.programme_id,
    )
    return [assignment_read(row) for row in rows]


async def _group_record(repo: ChatRepository, conversation: Conversation) -> str | None:
    """A group conversation's signed membership record, as staff stored it: the server only
    passes it on; members' browsers verify it and admit readers by it alone."""
    if conversation.kind != ConversationKind.group:
        return None
    return await repo.group_record(conversation)


# Messages ----------------------------------------------------------------------------------------


async def _append(
    uow: UnitOfWork,
    repo: ChatRepository,
    conversation: Conversation,
    message: Message,
    recipients: list[uuid.UUID],
    *,
    wait: str | None = None,
) -> Message:
    message.seq, waiting_since, level = await repo.next_seq(conversation.id, wait=wait, now=message.created_at)
    set_committed_value(conversation, "last_seq", message.seq)
    set_committed_value(conversation, "waiting_since", waiting_since)
    set_committed_value(conversation, "escalation_level", level)
    uow.session.add(message)
    await uow.flush()
    emit_frame(
        uow,
        "chat.message",
        MessageFrame(message=message_read(message)),
        recipients,
        conversation_id=conversation.id,
        seq=message.seq,
    )
    return message


async def _system_message(
    uow: UnitOfWork,
    repo: ChatRepository,
    conversation: Conversation,
    notice: SystemNotice,
    params: dict[str, Any],
    recipients: list[uuid.UUID],
) -> Message:
    message = Message(
        organisation_id=conversation.organisation_id,
        programme_id=conversation.programme_id,
        conversation_id=conversation.id,
        kind=MessageKind.system.value,
        author_id=None,
        client_id=f"system-{uuid.uuid4().hex}",
        body=None,
        epoch=conversation.epoch,
        notice=notice.value,
        params=params,
        created_at=utcnow(),
    )
    return await _append(uow, repo, conversation, message, recipients)


async def _move_marker(
    repo: ChatRepository,
    uow: UnitOfWork,
    conversation: Conversation,
    person_id: uuid.UUID,
    *,
    read: int,
    delivered: int,
) -> Marker:
    marker = await repo.get_marker(conversation.id, person_id)
    if marker is None:
        marker = Marker(
            conversation_id=conversation.id,
            person_id=person_id,
            programme_id=conversation.programme_id,
            read_seq=0,
            delivered_seq=0,
        )
        uow.session.add(marker)
    marker.read_seq = max(marker.read_seq, read)
    marker.delivered_seq = max(marker.delivered_seq, delivered, marker.read_seq)
    marker.updated_at = utcnow()
    return marker


# How long after an out-of-hours reply her next message out of hours gets none (she is writing on).
OUT_OF_HOURS_REPEAT = timedelta(hours=1)


def _wait_rule(kind: str, role: MemberRole) -> str | None:
    """The wait a message changes: in a coaching conversation a participant's message starts one
    (if none runs) and an answer (coach, supervisor, a reader on duty) ends it."""
    if kind != ConversationKind.coaching:
        return None
    if role in ANSWERING_ROLES:
        return "end"
    if role is MemberRole.participant:
        return "start"
    return None


async def _reply_out_of_hours(uow: UnitOfWork, repo: ChatRepository, access: CachedAccess, now: datetime) -> None:
    """She wrote in her coaching conversation out of hours (nobody on duty, neither a coach nor a
    supervisor): she gets the programme's reply, also when an earlier message of hers is still
    waiting, but not again for every message she writes: at most once per ``OUT_OF_HOURS_REPEAT``."""
    if not access.out_of_hours_reply:
        return
    if await repo.anyone_on_duty(loaded_scope(access), now):
        return
    if await repo.notice_since(access.conversation_id, SystemNotice.out_of_hours.value, now - OUT_OF_HOURS_REPEAT):
        return
    conversation = await repo.get_conversation(access.organisation_id, access.conversation_id)
    assert conversation is not None
    await _system_message(
        uow,
        repo,
        conversation,
        SystemNotice.out_of_hours,
        {"text": access.out_of_hours_reply, "crisis_numbers": access.crisis_numbers},
        list(access.recipients),
    )


def _access_row(caller: Caller, access: CachedAccess, action: Action, at: datetime) -> AccessRow:
    """The access log row of her touching a conversation's messages (``record_access``'s row): the
    one builder of the send path, alone or in a group."""
    return AccessRow(
        id=uuid.uuid4(),
        at=at,
        actor_person_id=caller.person_id,
        actor_role=access.acting_role,
        subject_person_id=access.participant_id or access.coach_id or caller.person_id,
        organisation_id=caller.organisation_id,
        programme_id=access.programme_id,
        record_kind="chat_message",
        action=action.value,
        session_id=caller.session_id,
    )


# Membership as a send needs it: checked in the transaction, or from the socket's cache ------------


# How long a cached membership is used without asking the database (each entry a little less, at
# random, so entries filled together do not all expire together). Changes that emit an event
# (assignments, memberships added, key epochs and grants) drop it at once on every process.
ACCESS_TTL_SECONDS = 30.0
ACCESS_TTL_JITTER = 0.25
ACCESS_CACHE_SIZE = 100_000


@dataclass(frozen=True, slots=True)
class CachedAccess:
    """What a send needs to know of her membership, without a query: a snapshot of
    ``ConversationAccess`` (the conversation row's epoch and rotation flag are checked against
    the row the send locks, so a key change or a coach who left is seen in the same transaction)."""

    conversation_id: uuid.UUID
    organisation_id: uuid.UUID
    programme_id: uuid.UUID
    kind: str
    participant_id: uuid.UUID | None
    coach_id: uuid.UUID | None
    epoch: int
    rotation_due_since: datetime | None
    member: Member
    recipients: tuple[uuid.UUID, ...]
    acting_role: str
    out_of_hours_reply: str
    crisis_numbers: Any

    @classmethod
    def of(cls, access: ConversationAccess) -> CachedAccess:
        conversation = access.conversation
        settings = ProgrammeSettings.model_validate(access.programme.settings or {})
        return cls(
            conversation_id=conversation.id,
            organisation_id=conversation.organisation_id,
            programme_id=conversation.programme_id,
            kind=conversation.kind,
            participant_id=conversation.participant_id,
            coach_id=conversation.coach_id,
            epoch=conversation.epoch,
            rotation_due_since=conversation.rotation_due_since,
            member=access.member,
            recipients=tuple(_ids(access.members)),
            acting_role=access.acting_role,
            out_of_hours_reply=settings.out_of_hours_reply,
            crisis_numbers=settings.crisis_numbers,
        )


AccessKey = tuple[uuid.UUID, uuid.UUID]  # (conversation, person)


class AccessCache:
    """Per process: (conversation, person) -> ``CachedAccess``, for about ``ttl`` seconds each.

    Each entry expires at its own moment (``ttl`` less up to ``jitter`` of it, at random), so a
    crowd of first sends does not come back as a crowd of checks one ``ttl`` later; a check under
    way for a key is shared by every send that needs it meanwhile (``fill``). An invalidation
    drops the entries and makes a check that started before it count for nothing.
    """

    def __init__(
        self,
        ttl: float = ACCESS_TTL_SECONDS,
        *,
        jitter: float = ACCESS_TTL_JITTER,
        maxsize: int = ACCESS_CACHE_SIZE,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl, self.jitter = ttl, jitter
        self._entries: TLRUCache[AccessKey, CachedAccess] = TLRUCache(maxsize=maxsize, ttu=self._expiry, timer=timer)
        self._filling: dict[AccessKey, asyncio.Future[CachedAccess]] = {}
        # Counts invalidations: a check begun under an older one is not kept.
        self.generation = 0

    def _expiry(self, _key: AccessKey, _value: CachedAccess, now: float) -> float:
        return now + self.ttl * (1.0 - self.jitter * random.random())  # noqa: S311  # spread, not secrecy

    def get(self, conversation_id: uuid.UUID, person_id: uuid.UUID) -> CachedAccess | None:
        return self._entries.get((conversation_id, person_id))

    def put(self, access: ConversationAccess, *, generation: int | None = None) -> CachedAccess:
        """Cache the check's outcome, unless an invalidation came after the check began."""
        entry = CachedAccess.of(access)
        if generation is None or generation == self.generation:
            self._entries[(entry.conversation_id, entry.member.person_id)] = entry
        return entry

    async def fill(self, key: AccessKey, check: Callable[[], Awaitable[ConversationAccess]]) -> CachedAccess:
        """The entry for ``key``: cached, or from ``check`` (one at a time per key: the sends that
        arrive while it runs wait for its outcome instead of each checking again)."""
        while (entry := self._entries.get(key)) is None and (running := self._filling.get(key)) is not None:
            await asyncio.wait([running])  # not cancelled with this task: it is the other send's check
            if not running.cancelled():
                if isinstance(running.exception(), DomainError):
                    raise cast(DomainError, running.exception())
                if running.exception() is None:
                    return running.result()
            # Its check failed for its own reasons (cancelled, the database): check here.
        if entry is not None:
            return entry
        future: asyncio.Future[CachedAccess] = asyncio.get_running_loop().create_future()
        self._filling[key] = future
        generation = self.generation
        try:
            entry = self.put(await check(), generation=generation)
        except DomainError as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: nobody need wait for it
            raise
        except BaseException:
            future.cancel()
            raise
        else:
            future.set_result(entry)
            return entry
        finally:
            self._filling.pop(key, None)

    def invalidate(
        self,
        *,
        conversation_id: uuid.UUID | None = None,
        programme_id: uuid.UUID | None = None,
        everything: bool = False,
    ) -> None:
        self.generation += 1
        if everything:
            self._entries.clear()
            return
        for key, entry in list(self._entries.items()):
            if entry.conversation_id == conversation_id or entry.programme_id == programme_id:
                self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)


def members_changed(uow: UnitOfWork, conversation_id: uuid.UUID) -> None:
    """Tell every process, after commit, to forget what it cached of this conversation's members."""
    envelope = Envelope(invalidate=Invalidate(conversation_id=str(conversation_id)))
    uow.emit(Event("chat.members", envelope.to_payload()))


class StaleAccess(Exception):
    """The conversation row changed (key epoch, a reader left) since the membership was cached:
    the batch is rolled back and each of its sends is made again with the full check."""


@dataclass(frozen=True, slots=True)
class PendingSend:
    caller: Caller
    conversation_id: uuid.UUID
    data: MessageCreate
    # The socket it came from (``Connection.origin``): that socket gets the ack, not the message.
    origin: str | None = None


async def cached_access(
    uow: UnitOfWork, cache: AccessCache, caller: Caller, conversation_id: uuid.UUID
) -> CachedAccess:
    """Her membership from the cache, or checked now (with her roles read afresh) and cached."""
    return await cache.fill(
        (conversation_id, caller.person_id), lambda: access_conversation(uow, caller, conversation_id)
    )


def _row_read(row: Any) -> MessageRead:
    params = row["params"]
    if isinstance(params, str):  # the raw driver's JSON (PostgreSQL's statement of fixed text)
        params = json.loads(params)
    return MessageRead(
        id=row["id"],
        conversation_id=row["conversation_id"],
        seq=row["seq"],
        kind=MessageKind(row["kind"]),
        author_id=row["author_id"],
        client_id=row["client_id"],
        body=row["body"],
        epoch=row["epoch"],
        notice=SystemNotice(row["notice"]) if row["notice"] else None,
        params=params or {},
        created_at=row["created_at"],
    )


def _emit_message(uow: UnitOfWork, message: MessageRead, recipients: tuple[uuid.UUID, ...], origin: str | None) -> None:
    """``emit_frame`` for a person's message: the frame's JSON is made once (shared by every
    recipient and process) from values this module made, without validation. Every recipient's
    sockets get it except ``origin``, the one that sent it (it gets the ack)."""
    text = MessageFrame.model_construct(type="message", message=message).model_dump_json()
    conversation_id = str(message.conversation_id)
    envelope = Envelope(
        recipients=tuple(str(r) for r in dict.fromkeys(recipients)),
        text=text,
        conversation_id=conversation_id,
        seq=message.seq,
        origin=origin,
        about=conversation_id,
        author=str(message.author_id),
    )
    uow.emit(Event("chat.message", envelope.to_payload()))


@personal_data("chat_message")
async def send_message(uow: UnitOfWork, caller: Caller, conversation_id: uuid.UUID, data: MessageCreate) -> SendResult:
    """Store her ciphertext once per client id; a resend gets the same seq back (``send_messages``
    with a send of one, its membership checked in this transaction)."""
    (result,) = await send_messages(uow, [PendingSend(caller, conversation_id, data)])
    if isinstance(result, DomainError):
        raise result
    return result


@personal_data("chat_message")
async def send_messages(
    uow: UnitOfWork, sends: list[PendingSend], *, cache: AccessCache | None = None
) -> list[SendResult | DomainError]:
    """The one send path: several sends (each to a different conversation) in one transaction, a
    request's one or the socket's group commit. A refusal is returned in the place of its send;
    it does not stop the others.

    Membership is checked in this transaction, or taken from ``cache`` (the socket's): then it is
    checked against the conversation row the send locks, and ``StaleAccess`` is raised when that
    row changed under it (the caller rolls back and sends one by one, checked).

    Statements for the whole group, whatever its size (``ChatRepository.store_sends``): the resend
    check, then the seqs with the waits, the messages, the senders' markers and the access log.
    """
    assert len({s.conversation_id for s in sends}) == len(sends), "one send per conversation"
    results: list[SendResult | DomainError | None] = [None] * len(sends)
    accesses: list[CachedAccess | None] = [None] * len(sends)
    for i, send in enumerate(sends):
        try:
            if cache is None:
                accesses[i] = CachedAccess.of(await access_conversation(uow, send.caller, send.conversation_id))
            else:
                accesses[i] = await cached_access(uow, cache, send.caller, send.conversation_id)
        except DomainError as exc:
            results[i] = exc
    repo = ChatRepository(uow.session)
    stored = await repo.find_sent(
        [(s.conversation_id, s.caller.person_id, s.data.client_id) for s, a in zip(sends, accesses, strict=True) if a]
    )
    fresh: list[tuple[int, PendingSend, CachedAccess, str | None]] = []
    for i, (send, access) in enumerate(zip(sends, accesses, strict=True)):
        if access is None:
            continue
        existing = stored.get((send.conversation_id, send.caller.person_id, send.data.client_id))
        if existing is not None:
            results[i] = SendResult(message=_row_read(existing), duplicate=True)
        elif send.data.epoch != access.epoch:
            results[i] = StaleEpoch(params={"epoch": access.epoch})
        else:
            fresh.append((i, send, access, _wait_rule(access.kind, access.member.role)))
    if fresh:
        await _store(uow, repo, fresh, results, cache)
    return [r for r in results if r is not None]


async def _store(
    uow: UnitOfWork,
    repo: ChatRepository,
    fresh: list[tuple[int, PendingSend, CachedAccess, str | None]],
    results: list[SendResult | DomainError | None],
    cache: AccessCache | None,
) -> None:
    now = utcnow()
    rows = [
        SendRow(
            conversation_id=send.conversation_id,
            wait=wait,
            message_id=uuid.uuid4(),
            organisation_id=access.organisation_id,
            programme_id=access.programme_id,
            author_id=send.caller.person_id,
            client_id=send.data.client_id,
            body=send.data.body,
            epoch=send.data.epoch,
            log=_access_row(send.caller, access, Action.create, now),
        )
        for _, send, access, wait in fresh
    ]
    taken = await repo.store_sends(rows, now)
    started: list[CachedAccess] = []
    for (i, send, access, wait), row in zip(fresh, rows, strict=True):
        seq = taken.get(send.conversation_id)
        if seq is None or seq.epoch != access.epoch or seq.rotation_due_since != access.rotation_due_since:
            if cache is not None:
                cache.invalidate(conversation_id=send.conversation_id)
                raise StaleAccess(str(send.conversation_id))
            if seq is None:
                raise NotFound(N_("This conversation does not exist, or you are not in it."))
            if seq.epoch != access.epoch:
                # The key changed between her check and the lock (checked in this transaction).
                raise StaleEpoch(params={"epoch": seq.epoch})
        message = MessageRead.model_construct(
            id=row.message_id,
            conversation_id=send.conversation_id,
            seq=seq.seq,
            kind=MessageKind.person,
            author_id=send.caller.person_id,
            client_id=send.data.client_id,
            body=send.data.body,
            epoch=send.data.epoch,
            notice=None,
            params={},
            created_at=now,
        )
        _emit_message(uow, message, access.recipients, send.origin)
        results[i] = SendResult.model_construct(message=message, duplicate=False)
        if wait == "start" and all(a.conversation_id != access.conversation_id for a in started):
            started.append(access)
    for access in started:
        await _reply_out_of_hours(uow, repo, access, now)


@personal_data("chat_message")
async def list_messages(
    uow: UnitOfWork, caller: Caller, conversation_id: uuid.UUID, *, after: int = 0, limit: int = PAGE_LIMIT
) -> MessagePage:
    access = await access_conversation(uow, caller, conversation_id)
    limit = max(1, min(limit, PAGE_LIMIT))
    repo = ChatRepository(uow.session)
    messages = await repo.messages_after(scope_of(access.conversation), conversation_id, after, limit=limit)
    record_access(
        uow,
        caller,
        role=access.acting_role,
        subjects=_subjects(access.conversation, caller),
        record_kind="chat_message",
        action=Action.read,
        programme_id=access.conversation.programme_id,
    )
    last = messages[-1].seq if messages else after
    return MessagePage(
        messages=[message_read(m) for m in messages],
        last_seq=last,
        more=last < access.conversation.last_seq,
    )


async def messages_between(
    uow: UnitOfWork, caller: Caller, conversation_id: uuid.UUID, after: int, until: int
) -> list[MessageRead]:
    """For the WebSocket: messages (after, until] of a conversation she is still a member of."""
    access = await access_conversation(uow, caller, conversation_id)
    messages = await ChatRepository(uow.session).messages_after(
        scope_of(access.conversation), conversation_id, after, limit=max(1, min(until - after, PAGE_LIMIT)), until=until
    )
    return [message_read(m) for m in messages]


async def move_marker(
    uow: UnitOfWork, caller: Caller, conversation_id: uuid.UUID, seq: int, *, read: bool
) -> MarkerRead:
    """Mark messages up to ``seq`` as received (delivered) or read; markers only move forward."""
    access = await access_conversation(uow, caller, conversation_id)
    conversation = access.conversation
    if seq > conversation.last_seq:
        raise InvalidInput(
            N_("There is no message %(seq)s in this conversation yet."), params={"seq": seq}, field="seq"
        )
    repo = ChatRepository(uow.session)
    marker = await _move_marker(repo, uow, conversation, caller.person_id, read=seq if read else 0, delivered=seq)
    await uow.flush()
    held = await _epochs_held(repo, scope_of(conversation), conversation.id, [caller.person_id])
    result = MarkerRead(
        conversation_id=conversation.id,
        person_id=caller.person_id,
        read_seq=marker.read_seq,
        delivered_seq=marker.delivered_seq,
        epochs=held.get(caller.person_id, []),
    )
    emit_frame(uow, "chat.marker", MarkerFrame(marker=result), _ids(access.members))
    return result


async def _epochs_held(
    repo: ChatRepository, scope: ProgrammeScope, conversation_id: uuid.UUID, person_ids: list[uuid.UUID] | None = None
) -> dict[uuid.UUID, list[int]]:
    """Per person, the epochs she holds a grant for, made out to the key she has now: only then
    could she open a message of that epoch, so only then is her "read" a read."""
    rows = await repo.grants_held(scope, conversation_id, person_ids)
    identities = await repo.public_identities(list({person for person, _, _ in rows}))
    held: dict[uuid.UUID, list[int]] = {}
    for person, epoch, grant in rows:
        if not _for_replaced_key(grant, identities.get(person)):
            held.setdefault(person, []).append(epoch)
    return held


async def markers(uow: UnitOfWork, caller: Caller, conversation_id: uuid.UUID) -> list[MarkerRead]:
    access = await access_conversation(uow, caller, conversation_id)
    repo = ChatRepository(uow.session)
    held = await _epochs_held(repo, scope_of(access.conversation), conversation_id)
    return [
        MarkerRead(
            conversation_id=m.conversation_id,
            person_id=m.person_id,
            read_seq=m.read_seq,
            delivered_seq=m.delivered_seq,
            epochs=held.get(m.person_id, []),
        )
        for m in await repo.markers(scope_of(access.conversation), conversation_id)
    ]


async def typing(uow: UnitOfWork, caller: Caller, conversation_id: uuid.UUID) -> None:
    access = await access_conversation(uow, caller, conversation_id)
    others = [p for p in _ids(access.members) if p != caller.person_id]
    emit_frame(uow, "chat.typing", TypingNotice(conversation_id=conversation_id, person_id=caller.person_id), others)


# Key epochs and grants ---------------------------------------------------------------------------


def _resource(conversation: Conversation) -> SharedResource:
    return SharedResource(
        CONVERSATION_RESOURCE,
        str(conversation.id),
        wrong_record=N_("The key record does not belong to this conversation and its last key."),
        wrong_grant=N_("A key grant does not match this conversation, its key or the person it names."),
    )


async def _check_recipients(repo: ChatRepository, access: ConversationAccess, recipients: list[uuid.UUID]) -> None:
    """A key goes only to readers: the members now, or someone on the programme's duty roster in
    force (her browser grants the coaches and supervisors on duty now and next)."""
    allowed = set(_ids(access.members))
    if set(recipients) <= allowed:
        return
    allowed |= await repo.on_roster(scope_of(access.conversation), utcnow())
    if not set(recipients) <= allowed:
        raise InvalidInput(
            N_(
                "A key can only be given to members of the conversation or to the coaches and supervisors "
                "on the programme's duty roster."
            ),
            field="recipient_id",
        )


async def _people(repo: ChatRepository, person_ids: list[uuid.UUID]) -> dict[uuid.UUID, crypto.Person]:
    """The registered public keys of these people; refused when one of them has none yet."""
    identities = await repo.public_identities(list(dict.fromkeys(person_ids)))
    people: dict[uuid.UUID, crypto.Person] = {}
    for person_id in person_ids:
        try:
            people[person_id] = crypto.Person.from_public_identity(identities[person_id])
        except (KeyError, crypto.CryptoError):
            raise InvalidInput(
                N_("This person has no keys yet. She can be given access after she has signed up."),
                field="recipient_id",
            ) from None
    return people


async def _epoch_key_id(repo: ChatRepository, conversation: Conversation, epoch: int) -> bytes | None:
    """The key id of one of the conversation's epochs, as its signed record names it (all zero
    before the first); None when the server cannot tell (a record from before it checked them)."""
    if epoch < 1:
        return bytes(16)
    row = await repo.get_epoch(scope_of(conversation), conversation.id, epoch)
    if row is None:
        return None
    identities = await repo.public_identities([row.created_by])
    try:
        creator = crypto.Person.from_public_identity(identities[row.created_by])
    except (KeyError, crypto.CryptoError):
        return None
    return epoch_key_id(row.record, creator)


async def create_epoch(uow: UnitOfWork, caller: Caller, conversation_id: uuid.UUID, data: EpochCreate) -> EpochRead:
    """Start a new key epoch: compare-and-set on the number; grants for her, its maker and members.

    Checked as the portfolio checks its epochs (``kit.sharing``): the maker is a member now (for
    her conversation: her, a coach whose assignment counts, or a reader on the duty roster in
    force), the record is signed with her registered key for this conversation, this epoch and the
    previous epoch's key, and each grant is signed by her for this key and made out to a reader
    under the key that reader has now.
    """
    access = await access_conversation(uow, caller, conversation_id)
    conversation = access.conversation
    repo = ChatRepository(uow.session)
    if data.epoch != conversation.epoch + 1:
        raise Conflict(
            N_("Someone else changed the key of this conversation just now. Please try again."),
            params={"epoch": conversation.epoch},
        )
    recipients = [g.recipient_id for g in data.grants]
    if len(set(recipients)) != len(recipients):
        raise InvalidInput(N_("Each person gets one key."), field="grants")
    # As in the portfolio: her and the browser that made the key at least. Members that browser
    # could not verify (no valid signed assignment, a changed key) get a grant later, when they are.
    required = {caller.person_id, *([conversation.participant_id] if conversation.participant_id else [])}
    if not required <= set(recipients):
        raise InvalidInput(N_("The new key must be given to her and to you."), field="grants")
    await _check_recipients(repo, access, recipients)
    people = await _people(repo, [caller.person_id, *recipients])
    resource = _resource(conversation)
    record = checked_epoch(
        data.record,
        resource,
        epoch=data.epoch,
        creator_id=caller.person_id,
        creator=people[caller.person_id],
        previous_key_id=await _epoch_key_id(repo, conversation, conversation.epoch),
    )
    for grant in data.grants:
        check_grant(
            grant.grant,
            resource,
            epoch=data.epoch,
            key_id=record.key_id,
            granter_id=caller.person_id,
            granter=people[caller.person_id],
            recipient_id=grant.recipient_id,
            recipient=people[grant.recipient_id],
        )
    now = utcnow()
    if not await repo.advance_epoch(scope_of(conversation), conversation.id, conversation.epoch, now):
        raise Conflict(N_("Someone else changed the key of this conversation just now. Please try again."))
    set_committed_value(conversation, "epoch", data.epoch)
    set_committed_value(conversation, "epoch_started_at", now)
    set_committed_value(conversation, "rotation_due_since", None)
    epoch = Epoch(
        conversation_id=conversation.id,
        epoch=data.epoch,
        programme_id=conversation.programme_id,
        record=data.record,
        created_by=caller.person_id,
        created_at=now,
    )
    uow.session.add(epoch)
    for grant in data.grants:
        uow.session.add(
            Grant(
                programme_id=conversation.programme_id,
                conversation_id=conversation.id,
                epoch=data.epoch,
                recipient_id=grant.recipient_id,
                granter_id=caller.person_id,
                grant=grant.grant,
                created_at=now,
            )
        )
    await uow.flush()
    emit_frame(
        uow,
        "chat.epoch",
        EpochFrame(conversation_id=conversation.id, epoch=data.epoch, rotation_due=False),
        list(dict.fromkeys([*_ids(access.members), *recipients])),
        invalidate=conversation.id,
    )
    return EpochRead.model_validate(epoch)


async def add_grants(
    uow: UnitOfWork, caller: Caller, conversation_id: uuid.UUID, epoch: int, grants: list[GrantCreate]
) -> list[GrantRead]:
    """Grants of the current key to more readers (a coach added, the coaches on duty now and next).

    The granter is a member now; each grant is checked as at a new epoch (``create_epoch``). A
    grant that exists already is kept as it is. A coach or supervisor who could not read this
    conversation before is announced to everyone in it with a system message.
    """
    access = await access_conversation(uow, caller, conversation_id)
    conversation = access.conversation
    repo = ChatRepository(uow.session)
    if epoch != conversation.epoch or epoch < 1:
        raise StaleEpoch(params={"epoch": conversation.epoch})
    await _check_recipients(repo, access, [g.recipient_id for g in grants])
    existing, stale = await current_readers(repo, conversation)
    new = [g for g in grants if g.recipient_id not in existing]
    if new:
        people = await _people(repo, [caller.person_id, *(g.recipient_id for g in new)])
        resource = _resource(conversation)
        key_id = await _epoch_key_id(repo, conversation, epoch)
        for grant in new:
            check_grant(
                grant.grant,
                resource,
                epoch=epoch,
                key_id=key_id,
                granter_id=caller.person_id,
                granter=people[caller.person_id],
                recipient_id=grant.recipient_id,
                recipient=people[grant.recipient_id],
            )
    stored: list[Grant] = []
    now = utcnow()
    joined: list[uuid.UUID] = []
    for grant in grants:
        if grant.recipient_id in existing:
            continue
        if grant.recipient_id in stale:
            # Made for a key she replaced (a reset): the grant for her key now takes its place.
            await repo.delete_grant(scope_of(conversation), conversation.id, epoch, grant.recipient_id)
            stale.discard(grant.recipient_id)
        granted_before = await repo.ever_granted(scope_of(conversation), conversation.id, grant.recipient_id)
        if not granted_before and grant.recipient_id != conversation.participant_id:
            joined.append(grant.recipient_id)
        row = Grant(
            programme_id=conversation.programme_id,
            conversation_id=conversation.id,
            epoch=epoch,
            recipient_id=grant.recipient_id,
            granter_id=caller.person_id,
            grant=grant.grant,
            created_at=now,
        )
        uow.session.add(row)
        stored.append(row)
        existing.add(grant.recipient_id)
    await uow.flush()
    if stored:
        members_changed(uow, conversation.id)  # a granted coach or supervisor on duty is a member now
    if joined:
        names = await repo.display_names(conversation.organisation_id, joined)
        recipients = list(dict.fromkeys([*_ids(access.members), *joined]))
        for person_id in joined:
            await _system_message(
                uow,
                repo,
                conversation,
                SystemNotice.coach_joined,
                {"person_id": str(person_id), "display_name": names.get(person_id, "")},
                recipients,
            )
    return [GrantRead.model_validate(g) for g in stored]


async def keep_own_grants(
    uow: UnitOfWork, caller: Caller, conversation_id: uuid.UUID, grants: list[OwnGrant]
) -> list[GrantRead]:
    """Keys of this conversation she already holds, granted to herself and signed with her own
    key now (docs/crypto-spec.md 6.3, "Keys she keeps"): each replaces her grant of that epoch,
    which another reader signed, so a reader who leaves cannot take her keys with him. Any
    epoch up to the current one; only for a member, signed by her registered key, made out to
    her key now and (where the server can tell) for that epoch's key id. Nothing else changes:
    no new reader, no notice."""
    access = await access_conversation(uow, caller, conversation_id)
    conversation = access.conversation
    repo = ChatRepository(uow.session)
    resource = _resource(conversation)
    if len({g.epoch for g in grants}) != len(grants):
        raise InvalidInput(resource.wrong_grant, field="grants")
    if any(g.epoch > conversation.epoch for g in grants):
        raise StaleEpoch(params={"epoch": conversation.epoch})
    me = (await _people(repo, [caller.person_id]))[caller.person_id]
    for grant in grants:
        if await repo.get_epoch(scope_of(conversation), conversation.id, grant.epoch) is None:
            raise StaleEpoch(params={"epoch": conversation.epoch})
        check_grant(
            grant.grant,
            resource,
            epoch=grant.epoch,
            key_id=await _epoch_key_id(repo, conversation, grant.epoch),
            granter_id=caller.person_id,
            granter=me,
            recipient_id=caller.person_id,
            recipient=me,
        )
    stored: list[Grant] = []
    now = utcnow()
    for grant in grants:
        old = (await repo.grants_of_epoch(scope_of(conversation), conversation.id, grant.epoch)).get(caller.person_id)
        if old is not None and _own_grant(old, me):
            continue
        if old is not None:
            await repo.delete_grant(scope_of(conversation), conversation.id, grant.epoch, caller.person_id)
            await uow.flush()
        row = Grant(
            programme_id=conversation.programme_id,
            conversation_id=conversation.id,
            epoch=grant.epoch,
            recipient_id=caller.person_id,
            granter_id=caller.person_id,
            grant=grant.grant,
            created_at=now,
        )
        uow.session.add(row)
        stored.append(row)
    await uow.flush()
    return [GrantRead.model_validate(g) for g in stored]


def _own_grant(grant: str, me: crypto.Person) -> bool:
    """Whether this stored grant is hers already: signed by her key now and made out to it."""
    try:
        parsed = crypto.read_grant(crypto.b64u_decode(grant))
    except (crypto.CryptoError, ValueError):
        return False
    return parsed.granter_public == me.ed25519_public and parsed.recipient_fingerprint == me.fingerprint


async def my_grants(uow: UnitOfWork, caller: Caller, conversation_id: uuid.UUID) -> list[GrantRead]:
    access = await access_conversation(uow, caller, conversation_id)
    repo = ChatRepository(uow.session)
    grants = await repo.grants_for(scope_of(access.conversation), conversation_id, caller.person_id)
    return [GrantRead.model_validate(g) for g in grants]


async def list_epochs(uow: UnitOfWork, caller: Caller, conversation_id: uuid.UUID) -> list[EpochRead]:
    access = await access_conversation(uow, caller, conversation_id)
    epochs = await ChatRepository(uow.session).epochs(scope_of(access.conversation), conversation_id)
    return [EpochRead.model_validate(e) for e in epochs]


async def reader_left(uow: UnitOfWork, programme_id: uuid.UUID, participant_id: uuid.UUID) -> bool:
    """A coach assignment ended: her conversation's key must change before anything new is written.

    Runs without a caller, after the programmes feature committed the end of the assignment. The
    members are told at once (``epoch`` frame with ``rotation_due``), so a browser that is open
    makes the new epoch now; the coach who left is no longer a member, so she gets no grant.
    """
    repo = ChatRepository(uow.session)
    programme = await repo.programme_by_id(programme_id)
    if programme is None:
        return False
    conversation = await repo.flag_rotation(
        system_scope(programme.organisation_id, programme.id), participant_id, utcnow()
    )
    if conversation is None:
        return False
    members = await members_now(repo, conversation, programme)
    emit_frame(
        uow,
        "chat.epoch",
        EpochFrame(conversation_id=conversation.id, epoch=conversation.epoch, rotation_due=True),
        _ids(members),
        invalidate=conversation.id,
    )
    return True


async def readers_changed(
    uow: UnitOfWork,
    programme_id: uuid.UUID,
    person_id: uuid.UUID,
    *,
    group_id: uuid.UUID | None = None,
    joined: bool = False,
) -> int:
    """Someone joined or left a group, or one of her roles in the programme changed; runs without
    a caller, after the programmes feature committed it. Returns how many conversations it touched.

    Left: every keyed conversation she still holds the current key of but is no longer a member
    of (her group's; or, for a role, those granted to her) is flagged for a new epoch, and its
    members are told at once, as when a coach assignment ends. Joined (a group member added): the
    group conversation's members are told, so an open member browser grants her the current key.
    """
    repo = ChatRepository(uow.session)
    programme = await repo.programme_by_id(programme_id)
    if programme is None:
        return 0
    scope = system_scope(programme.organisation_id, programme.id)
    if group_id is not None:
        conversations = await repo.keyed_conversations_of(scope, group_id=group_id)
    else:
        conversations = await repo.keyed_conversations_of(scope, reader_id=person_id)
    touched = 0
    now = utcnow()
    for conversation in conversations:
        members = await members_now(repo, conversation, programme)
        if joined:
            if person_id not in _ids(members):
                continue
        else:
            if person_id in _ids(members):
                continue
            recipients = await repo.grant_recipients(scope_of(conversation), conversation.id, conversation.epoch)
            if person_id not in recipients:
                continue
            await repo.flag_conversation(conversation, now)
            members = await members_now(repo, conversation, programme)
        touched += 1
        emit_frame(
            uow,
            "chat.epoch",
            EpochFrame(
                conversation_id=conversation.id, epoch=conversation.epoch, rotation_due=rotation_due(conversation)
            ),
            _ids(members),
            invalidate=conversation.id,
        )
    return touched


async def group_record_signed(uow: UnitOfWork, programme_id: uuid.UUID, group_id: uuid.UUID) -> int:
    """Staff signed a new member list for a group: the members of its keyed conversation are told
    (an epoch frame), so their open pages verify the new record and grant or rotate by it."""
    repo = ChatRepository(uow.session)
    programme = await repo.programme_by_id(programme_id)
    if programme is None:
        return 0
    scope = system_scope(programme.organisation_id, programme.id)
    conversations = await repo.keyed_conversations_of(scope, group_id=group_id)
    for conversation in conversations:
        members = await members_now(repo, conversation, programme)
        frame = EpochFrame(
            conversation_id=conversation.id, epoch=conversation.epoch, rotation_due=rotation_due(conversation)
        )
        emit_frame(uow, "chat.epoch", frame, _ids(members), invalidate=conversation.id)
    return len(conversations)


async def live_sessions(uow: UnitOfWork, settings: Settings, session_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """Which sessions of open sockets are still live (not ended, not past either timeout)."""
    now = utcnow()
    return await ChatRepository(uow.session).live_sessions(
        session_ids, now, now - timedelta(minutes=settings.session_idle_minutes)
    )


# Web Push ----------------------------------------------------------------------------------------


async def push_settings(uow: UnitOfWork, caller: Caller, settings: Settings) -> PushSettingsRead:
    repo = ChatRepository(uow.session)
    setting = await repo.push_setting(caller.organisation_id, caller.person_id)
    return PushSettingsRead(
        enabled=setting.enabled if setting else True,
        public_key=settings.vapid_public_key if settings.vapid_private_key else None,
        subscriptions=len(await repo.push_subscriptions(caller.organisation_id, caller.person_id)),
    )


async def set_push_enabled(
    uow: UnitOfWork, caller: Caller, settings: Settings, data: PushSettingsUpdate
) -> PushSettingsRead:
    """Her switch: off means no push to any of her browsers (the in-app list still fills)."""
    repo = ChatRepository(uow.session)
    setting = await repo.push_setting(caller.organisation_id, caller.person_id)
    if setting is None:
        setting = PushSetting(person_id=caller.person_id, organisation_id=caller.organisation_id)
        uow.session.add(setting)
    setting.enabled = data.enabled
    setting.updated_at = utcnow()
    await uow.flush()
    return await push_settings(uow, caller, settings)


async def subscribe_push(
    uow: UnitOfWork, caller: Caller, settings: Settings, data: PushSubscriptionCreate
) -> PushSettingsRead:
    """Store this browser's subscription (again: a browser re-subscribing replaces its keys)."""
    if not settings.vapid_private_key:
        raise Conflict(N_("Notifications are not set up on this server. Ask the programme's staff."))
    if not (settings.is_development or settings.is_test) and not _known_push_service(data.endpoint):
        # The server posts to this address: only the browsers' push services, never anything else.
        raise InvalidInput(N_("This is not the address of a browser's push service."), field="endpoint")
    repo = ChatRepository(uow.session)
    existing = await repo.subscription_by_endpoint(data.endpoint)
    if existing is not None and existing.person_id != caller.person_id:
        # The same browser, now signed in as someone else: it notifies only its current person.
        await repo.delete_subscription(None, data.endpoint)
        await uow.flush()
        existing = None
    if existing is None:
        uow.session.add(
            PushSubscription(
                organisation_id=caller.organisation_id,
                person_id=caller.person_id,
                endpoint=data.endpoint,
                p256dh=data.keys.p256dh,
                auth=data.keys.auth,
                created_at=utcnow(),
            )
        )
    else:
        existing.p256dh, existing.auth = data.keys.p256dh, data.keys.auth
    await uow.flush()
    return await push_settings(uow, caller, settings)


async def unsubscribe_push(uow: UnitOfWork, caller: Caller, settings: Settings, endpoint: str) -> PushSettingsRead:
    await ChatRepository(uow.session).delete_subscription(caller.person_id, endpoint)
    await uow.flush()
    return await push_settings(uow, caller, settings)


# The push services of Chrome/Android, Firefox, Edge and Safari.
PUSH_SERVICE_DOMAINS = (
    "fcm.googleapis.com",
    "push.services.mozilla.com",
    "notify.windows.com",
    "push.apple.com",
)


def _known_push_service(endpoint: str) -> bool:
    parsed = urlsplit(endpoint)
    host = (parsed.hostname or "").lower()
    return parsed.scheme == "https" and any(host == d or host.endswith("." + d) for d in PUSH_SERVICE_DOMAINS)


@dataclass(frozen=True, slots=True)
class PushTarget:
    endpoint: str
    p256dh: str
    auth: str
    language: str


async def push_targets(uow: UnitOfWork, person_ids: list[uuid.UUID]) -> list[PushTarget]:
    """For the sender after commit (no caller): the browsers of these people with push on."""
    rows = await ChatRepository(uow.session).push_targets(person_ids)
    return [PushTarget(s.endpoint, s.p256dh, s.auth, language) for s, language in rows]


async def drop_push_subscription(uow: UnitOfWork, endpoint: str) -> None:
    """The push service said this subscription is gone (404/410)."""
    await ChatRepository(uow.session).delete_subscription(None, endpoint)


# The in-app notification list: the fallback when push is off or not possible ---------------------


async def notify_offline(uow: UnitOfWork, conversation_id: uuid.UUID, person_ids: list[uuid.UUID]) -> int:
    """For the dispatcher after commit (no caller): a neutral "new message" notice for each of these
    people who are offline, whether or not push reaches them. One unread entry per conversation:
    more messages bring it back to the top. It links to the conversation."""
    repo = ChatRepository(uow.session)
    conversation = await repo.conversation_by_id(conversation_id)
    if conversation is None:
        return 0
    link = f"/chat/{conversation.id}"
    for person_id in dict.fromkeys(person_ids):
        await notifications.notify(
            uow,
            organisation_id=conversation.organisation_id,
            programme_id=conversation.programme_id,
            person_id=person_id,
            kind=notifications.CHAT_MESSAGE,
            subject_id=conversation.id,
            link=link,
            collapse=True,
        )
    return len(set(person_ids))


async def conversation_seen(uow: UnitOfWork, caller: Caller, conversation_id: uuid.UUID) -> None:
    """She opened the conversation: her notices about its new messages (and that someone waits) are read."""
    await notifications.mark_subject_read(uow, caller, notifications.CHAT_MESSAGE, conversation_id)
    await notifications.mark_subject_read(uow, caller, notifications.CHAT_WAITING, conversation_id)


# Waiting conversations, for the duty feature (its shared inbox and escalation) -----------------


async def waiting_in(uow: UnitOfWork, scope: ProgrammeScope) -> list[Conversation]:
    """The programme's conversations in which she waits for an answer, longest first."""
    return await ChatRepository(uow.session).waiting(scope)


async def waiting_since_before(uow: UnitOfWork, before: datetime) -> list[tuple[Conversation, Programme]]:
    """For work without a caller (escalation): conversations in any programme waiting since
    before ``before``, longest first, each with its programme."""
    repo = ChatRepository(uow.session)
    found = []
    for conversation in await repo.waiting_everywhere(before):
        programme = await repo.get_programme(conversation)
        if programme is not None and conversation.waiting_since is not None:
            found.append((conversation, programme))
    return found


async def readable_of(
    uow: UnitOfWork, scope: ProgrammeScope, conversations: list[Conversation], person_id: uuid.UUID
) -> set[uuid.UUID]:
    """Which of these conversations of the programme she can read now (``can_read`` for each),
    in two statements however many there are: her grants of their current epochs, and her key
    (a grant to a key she has since replaced does not count, as in ``current_readers``)."""
    repo = ChatRepository(uow.session)
    grants = await repo.current_grants_to(scope, [c.id for c in conversations if c.epoch], person_id)
    if not grants:
        return set()
    identity = (await repo.public_identities([person_id])).get(person_id)
    return {cid for cid, grant in grants.items() if not _for_replaced_key(grant, identity)}


async def raise_escalation(
    uow: UnitOfWork, conversation: Conversation, programme: Programme, level: int, duty: Duty
) -> bool:
    """Raise a waiting conversation to ``level`` and tell its members so in a system message;
    False when another process raised it first (compare-and-set on the level)."""
    assert conversation.waiting_since is not None
    repo = ChatRepository(uow.session)
    if not await repo.raise_escalation(conversation.id, conversation.waiting_since, level):
        return False
    set_committed_value(conversation, "escalation_level", level)
    members = await members_now(repo, conversation, programme)
    await _system_message(
        uow, repo, conversation, SystemNotice.escalated, {"level": level, "duty": duty.value}, _ids(members)
    )
    return True
