"""Every query of the chat feature, each filtered by its tenant scope.

Who belongs to a conversation is derived, never stored: her coaches whose assignment counts
(``programmes.repository.counting_assignment``), the participants and trainers of a group, a
coach and the programme's supervisors, plus the readers her browser granted the current
key who are on the programme's duty roster valid now (coaches and supervisors on duty). The
programmes tables are only read here, through ``ProgrammeRepository`` where it has the query.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from eportfolio.accounts.tables import Account, Session
from eportfolio.chat.tables import (
    Conversation,
    Epoch,
    Grant,
    Marker,
    Message,
    PushSetting,
    PushSubscription,
)
from eportfolio.domain.chat import ConversationKind, MemberRole
from eportfolio.duty.repository import DutyRepository, on_roster_query, programmes_on_roster_query
from eportfolio.kit.audit import AccessLogEntry
from eportfolio.programmes.repository import ProgrammeRepository, ProgrammeScope, counting_assignment, loaded_scope
from eportfolio.programmes.tables import CoachAssignment, GroupMember, Membership, Person, Programme


@dataclass(frozen=True, slots=True)
class Member:
    person_id: uuid.UUID
    role: MemberRole


def scope_of(conversation: Conversation) -> ProgrammeScope:
    """The scope of a conversation read through ``get_conversation`` (the caller's organisation) and
    an access check, or by the escalation job."""
    return loaded_scope(conversation)


def _in_conversation_scope(scope: ProgrammeScope) -> ColumnElement[bool]:
    return and_(Conversation.organisation_id == scope.organisation_id, Conversation.programme_id == scope.programme_id)


@functools.cache
def _marker_upsert(dialect: str) -> Any:
    """The upsert that moves a marker forward (markers never move back)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # PostgreSQL's two-argument maximum is greatest(); SQLite's is the scalar max().
    greatest = func.greatest if dialect == "postgresql" else func.max
    table = Marker.__table__
    statement = insert(table)  # type: ignore[arg-type]  # __table__ is typed as FromClause; on a mapped class it is the Table insert/update want
    return statement.on_conflict_do_update(
        index_elements=[table.c.conversation_id, table.c.person_id],
        set_={
            "read_seq": greatest(table.c.read_seq, statement.excluded.read_seq),
            "delivered_seq": greatest(table.c.delivered_seq, statement.excluded.delivered_seq),
            "updated_at": statement.excluded.updated_at,
        },
    )


@dataclass(frozen=True, slots=True)
class AccessRow:
    """One row of the access log, as ``record_access`` writes it: the form every send writes,
    alone or in a group (as a row of one statement, or as columns of the PostgreSQL one)."""

    id: uuid.UUID
    at: datetime
    actor_person_id: uuid.UUID
    actor_role: str
    subject_person_id: uuid.UUID
    organisation_id: uuid.UUID
    programme_id: uuid.UUID
    record_kind: str
    action: str
    session_id: uuid.UUID | None


_ACCESS_COLUMNS = tuple(f.name for f in fields(AccessRow))


@dataclass(frozen=True, slots=True)
class SendRow:
    """One send of a group (one per conversation), as ``store_sends`` stores it."""

    conversation_id: uuid.UUID
    # "start" (her message starts a wait), "end" (an answer ends it) or None.
    wait: str | None
    message_id: uuid.UUID
    organisation_id: uuid.UUID
    programme_id: uuid.UUID
    author_id: uuid.UUID
    client_id: str
    body: str
    epoch: int
    log: AccessRow


class TakenSeq(NamedTuple):
    """The seq a send took, with its conversation's row as it is now (after the UPDATE): its wait,
    and its key epoch and rotation flag (so a cached membership can be checked against it)."""

    seq: int
    waiting_since: datetime | None
    escalation_level: int
    epoch: int
    rotation_due_since: datetime | None


# (conversation, author, client id): a message stored once per client id.
SentKey = tuple[uuid.UUID, uuid.UUID, str]

_PG_FIND_SENT = """
SELECT m.id, m.conversation_id, m.seq, m.kind, m.author_id, m.client_id, m.body, m.epoch, m.notice, m.params,
       m.created_at
FROM chat_messages AS m
JOIN unnest($1::uuid[], $2::uuid[], $3::text[]) AS k(conversation_id, author_id, client_id)
  ON m.conversation_id = k.conversation_id AND m.author_id = k.author_id AND m.client_id = k.client_id
"""

# The same as next_seqs, insert_messages, advance_markers and insert_access_log together (what
# ``record_access`` writes, as rows). The UPDATE's SET sees the row before it, as next_seqs' does.
_PG_STORE_SENDS = """
WITH input AS (
  SELECT * FROM unnest($2::uuid[], $3::text[], $4::uuid[], $5::uuid[], $6::uuid[], $7::uuid[], $8::text[],
                       $9::text[], $10::int[], $11::uuid[], $12::text[], $13::uuid[], $14::uuid[], $15::uuid[])
    AS i(conversation_id, wait, message_id, organisation_id, programme_id, author_id, client_id, body, epoch,
         log_id, actor_role, subject_id, actor_organisation_id, session_id)
), seqs AS (
  UPDATE chat_conversations AS c SET
    last_seq = c.last_seq + 1,
    waiting_since = CASE i.wait WHEN 'end' THEN NULL WHEN 'start' THEN coalesce(c.waiting_since, $1::timestamptz)
                    ELSE c.waiting_since END,
    escalation_level = CASE WHEN i.wait = 'end' THEN 0 WHEN i.wait = 'start' AND c.waiting_since IS NULL THEN 0
                       ELSE c.escalation_level END
  FROM input AS i
  WHERE c.id = i.conversation_id
  RETURNING c.id, c.last_seq, c.waiting_since, c.escalation_level, c.epoch, c.rotation_due_since
), stored AS (
  INSERT INTO chat_messages (id, organisation_id, programme_id, conversation_id, seq, kind, author_id, client_id,
                             body, epoch, created_at)
  SELECT i.message_id, i.organisation_id, i.programme_id, i.conversation_id, s.last_seq, 'person', i.author_id,
         i.client_id, i.body, i.epoch, $1::timestamptz
  FROM input AS i JOIN seqs AS s ON s.id = i.conversation_id
), marked AS (
  INSERT INTO chat_markers (conversation_id, person_id, programme_id, read_seq, delivered_seq, updated_at)
  SELECT i.conversation_id, i.author_id, i.programme_id, s.last_seq, s.last_seq, $1::timestamptz
  FROM input AS i JOIN seqs AS s ON s.id = i.conversation_id
  ON CONFLICT (conversation_id, person_id) DO UPDATE SET
    read_seq = greatest(chat_markers.read_seq, excluded.read_seq),
    delivered_seq = greatest(chat_markers.delivered_seq, excluded.delivered_seq),
    updated_at = excluded.updated_at
), logged AS (
  INSERT INTO access_log (id, at, actor_person_id, actor_role, subject_person_id, organisation_id, programme_id,
                          record_kind, action, session_id)
  SELECT i.log_id, $1::timestamptz, i.author_id, i.actor_role, i.subject_id, i.actor_organisation_id,
         i.programme_id, 'chat_message', 'create', i.session_id
  FROM input AS i JOIN seqs AS s ON s.id = i.conversation_id
)
SELECT id, last_seq, waiting_since, escalation_level, epoch, rotation_due_since FROM seqs
"""


def _taken(row: Any) -> TakenSeq:
    return TakenSeq(int(row[1]), row[2], int(row[3]), int(row[4]), row[5])


# The roles held per programme that let someone into the chat (``chat.service.CHAT_ROLES`` without
# the organisation admin, who holds no membership row and is a member of no conversation by rule).
_CHAT_MEMBERSHIP_ROLES = ("participant", "coach", "supervisor", "staff")


@functools.cache
def _coaching_members_statement(keyed: bool, rotating: bool) -> Any:
    """The statement of ``ChatRepository.coaching_members`` for a conversation with a key or not,
    and with a rotation due or not: the coaches whose assignment counts (``granted`` 0) and, with a
    key, the holders of a grant of the current epoch on the duty roster in force (``granted`` 1)."""
    coaches = select(CoachAssignment.coach_id.label("person_id"), literal(0).label("granted")).where(
        CoachAssignment.programme_id == bindparam("programme_id"),
        CoachAssignment.participant_id == bindparam("participant_id"),
        counting_assignment(bindparam("today")),
    )
    if not keyed:
        return coaches
    readers = select(Grant.recipient_id.label("person_id"), literal(1).label("granted")).where(
        Grant.conversation_id == bindparam("conversation_id"),
        Grant.epoch == bindparam("epoch"),
        Grant.recipient_id.in_(on_roster_query(bindparam("now"), bindparam("programme_id"))),
    )
    if rotating:
        # As in ``ChatRepository._duty_readers``: until the new epoch, only grants made since.
        readers = readers.where(Grant.created_at > bindparam("rotation_due_since"))
    return union_all(coaches, readers)


class ChatRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.programmes = ProgrammeRepository(session)

    # Conversations -----------------------------------------------------------------------

    async def get_conversation(self, organisation_id: uuid.UUID, conversation_id: uuid.UUID) -> Conversation | None:
        result = await self.session.execute(
            select(Conversation).where(
                Conversation.id == conversation_id, Conversation.organisation_id == organisation_id
            )
        )
        return result.scalar_one_or_none()

    async def conversation_by_id(self, conversation_id: uuid.UUID) -> Conversation | None:
        """For work without a caller (after commit): the conversation an event is about."""
        return await self.session.get(Conversation, conversation_id)

    async def find_conversation(self, scope: ProgrammeScope, subject_key: str) -> Conversation | None:
        result = await self.session.execute(
            select(Conversation).where(
                Conversation.programme_id == scope.programme_id,
                Conversation.organisation_id == scope.organisation_id,
                Conversation.subject_key == subject_key,
            )
        )
        return result.scalar_one_or_none()

    async def conversations_for(
        self, organisation_id: uuid.UUID, person_id: uuid.UUID, today: date, now: datetime
    ) -> list[Conversation]:
        """Every conversation she is a member of now, in every programme of her organisation."""
        query = self.member_query(organisation_id, person_id, today, now)
        result = await self.session.execute(query.order_by(Conversation.created_at))
        return list(result.scalars())

    @staticmethod
    def unread_total_query(organisation_id: uuid.UUID, person_id: uuid.UUID, today: date, now: datetime) -> Any:
        """One scalar statement (usable as a subquery): her unread messages over all her
        conversations, each counted as in the chat list (its newest seq past her read marker)."""
        mine = ChatRepository.member_query(organisation_id, person_id, today, now).subquery()
        unread = mine.c.last_seq - func.coalesce(Marker.read_seq, 0)
        return (
            select(func.coalesce(func.sum(case((unread > 0, unread), else_=0)), 0))
            .select_from(mine)
            .outerjoin(Marker, and_(Marker.conversation_id == mine.c.id, Marker.person_id == person_id))
        )

    @staticmethod
    def member_query(organisation_id: uuid.UUID, person_id: uuid.UUID, today: date, now: datetime) -> Any:
        """The query of the conversations she is a member of now (``conversations_for``)."""
        active_role = select(Membership.programme_id).where(
            Membership.person_id == person_id, Membership.active.is_(True)
        )
        my_participants = select(CoachAssignment.participant_id).where(
            CoachAssignment.coach_id == person_id,
            CoachAssignment.programme_id == Conversation.programme_id,
            counting_assignment(today),
        )
        my_groups = select(GroupMember.group_id).where(GroupMember.person_id == person_id)
        on_duty_in = programmes_on_roster_query(now, person_id)
        granted = (
            select(Grant.conversation_id)
            .join(Conversation, Conversation.id == Grant.conversation_id)
            .where(
                Grant.recipient_id == person_id,
                Grant.epoch == Conversation.epoch,
                Conversation.programme_id.in_(on_duty_in),
                # As in ``_duty_readers``: after a reader left, only grants made since count.
                or_(Conversation.rotation_due_since.is_(None), Grant.created_at > Conversation.rotation_due_since),
            )
        )
        kind = Conversation.kind
        query = select(Conversation).where(
            Conversation.organisation_id == organisation_id,
            # As ``access_conversation``'s authorize(): only in programmes where she holds a chat role now.
            Conversation.programme_id.in_(active_role.where(Membership.role.in_(_CHAT_MEMBERSHIP_ROLES))),
            or_(
                and_(kind == ConversationKind.coaching, Conversation.participant_id == person_id),
                and_(kind == ConversationKind.coaching, Conversation.participant_id.in_(my_participants)),
                and_(kind == ConversationKind.group, Conversation.group_id.in_(my_groups)),
                and_(kind == ConversationKind.supervision, Conversation.coach_id == person_id),
                and_(
                    kind == ConversationKind.supervision,
                    Conversation.programme_id.in_(active_role.where(Membership.role == "supervisor")),
                ),
                Conversation.id.in_(granted),
            ),
        )
        return query

    def _assigned_coaches(self, conversation: Conversation, today: date) -> Any:
        return select(CoachAssignment.coach_id.label("person_id"), literal(0).label("granted")).where(
            CoachAssignment.programme_id == conversation.programme_id,
            CoachAssignment.participant_id == conversation.participant_id,
            counting_assignment(today),
        )

    def _duty_readers(self, conversation: Conversation, now: datetime) -> Any:
        """Holders of a grant of the current epoch who are on the duty roster in force now."""
        query = select(Grant.recipient_id.label("person_id"), literal(1).label("granted"))
        if conversation.rotation_due_since is not None:
            # A reader left: until the new epoch, only grants made since then count, so the coach
            # who left (still holding a grant for this epoch) is no longer routed to or let in.
            query = query.where(Grant.created_at > conversation.rotation_due_since)
        return query.where(
            Grant.conversation_id == conversation.id,
            Grant.epoch == conversation.epoch,
            Grant.recipient_id.in_(on_roster_query(now, conversation.programme_id)),
        )

    async def coaching_members(self, conversation: Conversation, today: date, now: datetime) -> list[Member]:
        """Her, her coaches whose assignment counts and the on-duty readers of the current epoch, in
        one query: this runs for every first message of a socket (and whenever its cached check
        expires), so it is one round trip, and one statement built once per shape with bound
        parameters (building it and its cache key cost more than running it)."""
        assert conversation.participant_id is not None
        query = _coaching_members_statement(conversation.epoch >= 1, conversation.rotation_due_since is not None)
        params = {
            "programme_id": conversation.programme_id,
            "participant_id": conversation.participant_id,
            "conversation_id": conversation.id,
            "epoch": conversation.epoch,
            "rotation_due_since": conversation.rotation_due_since,
            "today": today,
            "now": now,
        }
        rows = (await self.session.execute(query, params)).tuples().all()
        members = [Member(conversation.participant_id, MemberRole.participant)]
        known = {conversation.participant_id}
        for granted in (0, 1):
            for person_id, source in rows:
                if source == granted and person_id not in known:
                    known.add(person_id)
                    members.append(Member(person_id, MemberRole.on_duty if granted else MemberRole.coach))
        return members

    async def derived_members(self, conversation: Conversation, today: date) -> list[Member]:
        """The members by rule (without the on-duty readers her browser granted)."""
        scope = scope_of(conversation)
        members: list[Member] = []
        if conversation.kind == ConversationKind.coaching and conversation.participant_id:
            members.append(Member(conversation.participant_id, MemberRole.participant))
            coaches = await self.session.execute(self._assigned_coaches(conversation, today))
            members += [Member(coach_id, MemberRole.coach) for coach_id, _ in dict.fromkeys(coaches.tuples())]
        elif conversation.kind == ConversationKind.group and conversation.group_id:
            members += await self.group_members(conversation)
        elif conversation.kind == ConversationKind.supervision and conversation.coach_id:
            members.append(Member(conversation.coach_id, MemberRole.coach))
            members += [Member(p, MemberRole.supervisor) for p in await self.active_with_role(scope, "supervisor")]
        return members

    async def group_members(self, conversation: Conversation) -> list[Member]:
        """A group conversation's members: the group's participants and its trainers (staff or
        coaches staff put in the group), as the group is now. Staff are not members by their role."""
        assert conversation.group_id is not None
        roster = await self.programmes.group_roster(scope_of(conversation), conversation.group_id)
        roles = {"participant": MemberRole.participant, "trainer": MemberRole.trainer}
        return [Member(person_id, roles.get(role, MemberRole.participant)) for person_id, role in roster]

    async def group_record(self, conversation: Conversation) -> str | None:
        """The newest membership record staff signed for the conversation's group, as stored."""
        if conversation.group_id is None:
            return None
        group = await self.programmes.get_group(scope_of(conversation), conversation.group_id)
        return group.membership_record if group is not None else None

    async def granted_duty_readers(self, conversation: Conversation, now: datetime) -> list[uuid.UUID]:
        """Coaches and supervisors on the roster in force holding a grant for the current epoch."""
        if conversation.epoch < 1:
            return []
        result = await self.session.execute(self._duty_readers(conversation, now))
        return [person_id for person_id, _ in result.tuples()]

    async def on_roster(self, scope: ProgrammeScope, now: datetime) -> set[uuid.UUID]:
        """Everyone on the programme's duty roster in force now (any shift), in the role of the duty."""
        return await DutyRepository(self.session).on_roster(scope, now)

    async def active_with_role(self, scope: ProgrammeScope, role: str) -> list[uuid.UUID]:
        result = await self.session.execute(
            select(Membership.person_id).where(
                Membership.programme_id == scope.programme_id,
                Membership.organisation_id == scope.organisation_id,
                Membership.role == role,
                Membership.active.is_(True),
            )
        )
        return list(dict.fromkeys(result.scalars()))

    async def display_names(self, organisation_id: uuid.UUID, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not ids:
            return {}
        result = await self.session.execute(
            select(Person.id, Person.display_name).where(Person.organisation_id == organisation_id, Person.id.in_(ids))
        )
        return dict(result.tuples().all())

    async def programme_by_id(self, programme_id: uuid.UUID) -> Programme | None:
        """For work without a caller (events after commit): the programme that raised the event."""
        return await self.session.get(Programme, programme_id)

    async def get_programme(self, conversation: Conversation) -> Programme | None:
        return await self.programmes.get_programme(conversation.organisation_id, conversation.programme_id)

    # Messages ----------------------------------------------------------------------------

    async def next_seq(
        self, conversation_id: uuid.UUID, *, wait: str | None = None, now: datetime | None = None
    ) -> tuple[int, datetime | None, int]:
        """Take the next seq; returns it with the conversation's wait as it is now.

        The UPDATE locks the conversation row until commit (PostgreSQL) or takes SQLite's write
        lock, so seqs are handed out one at a time; a rollback returns it. The same statement
        starts her wait (``wait="start"``: kept if one runs) or ends it (``wait="end"``), so a
        message costs one UPDATE of the conversation, and two senders cannot both start a wait.
        """
        values: dict[str, Any] = {"last_seq": Conversation.last_seq + 1}
        if wait == "end":
            values |= {"waiting_since": None, "escalation_level": 0}
        elif wait == "start":
            values |= {
                "waiting_since": func.coalesce(Conversation.waiting_since, now),
                "escalation_level": case(
                    (Conversation.waiting_since.is_(None), 0), else_=Conversation.escalation_level
                ),
            }
        result = await self.session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(**values)
            .returning(Conversation.last_seq, Conversation.waiting_since, Conversation.escalation_level)
        )
        seq, waiting_since, level = result.one()
        return int(seq), waiting_since, int(level)

    async def next_seqs(self, waits: dict[uuid.UUID, str | None], now: datetime) -> dict[uuid.UUID, TakenSeq]:
        """``next_seq`` for several conversations in one statement: the next seq of each, its wait
        as it is now, and its key epoch and rotation flag."""
        ids = list(waits)
        ending = [c for c, wait in waits.items() if wait == "end"]
        starting = [c for c, wait in waits.items() if wait == "start"]
        c = Conversation.__table__.c
        waiting_since: Any = c.waiting_since
        level: Any = c.escalation_level
        if ending or starting:
            whens_since: list[Any] = []
            whens_level: list[Any] = []
            if ending:
                whens_since.append((c.id.in_(ending), None))
                whens_level.append((c.id.in_(ending), 0))
            if starting:
                whens_since.append((c.id.in_(starting), func.coalesce(c.waiting_since, now)))
                whens_level.append((and_(c.id.in_(starting), c.waiting_since.is_(None)), 0))
            waiting_since = case(*whens_since, else_=c.waiting_since)
            level = case(*whens_level, else_=c.escalation_level)
        # Core on the table, not the ORM: nothing in the session needs to follow.
        result = await self.session.execute(
            update(Conversation.__table__)  # type: ignore[arg-type]  # Table, typed as FromClause
            .where(c.id.in_(ids))
            .values(last_seq=c.last_seq + 1, waiting_since=waiting_since, escalation_level=level)
            .returning(c.id, c.last_seq, c.waiting_since, c.escalation_level, c.epoch, c.rotation_due_since)
        )
        return {row[0]: _taken(row) for row in result.tuples().all()}

    @property
    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    async def find_sent(self, keys: list[SentKey]) -> dict[SentKey, Any]:
        """Messages stored before under these (conversation, author, client id): resends. One
        statement whatever the number of keys (on PostgreSQL of fixed text, prepared once)."""
        if not keys:
            return {}
        if self._postgres:
            connection = await self.session.connection()
            sent = await connection.exec_driver_sql(
                _PG_FIND_SENT, ([k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys])
            )
            return {(row["conversation_id"], row["author_id"], row["client_id"]): row for row in sent.mappings()}
        table = Message.__table__
        result = await self.session.execute(
            select(table).where(
                table.c.conversation_id.in_({k[0] for k in keys}), table.c.client_id.in_({k[2] for k in keys})
            )
        )
        wanted = set(keys)
        found: dict[SentKey, Any] = {}
        for row in result.mappings():
            key = (row["conversation_id"], row["author_id"], row["client_id"])
            if key in wanted:
                found[key] = row
        return found

    async def store_sends(self, sends: list[SendRow], now: datetime) -> dict[uuid.UUID, TakenSeq]:
        """Store a group of sends (one per conversation): each takes its conversation's next seq
        (starting or ending its wait), its message, the sender's marker and its access log row.
        Returns, per conversation, the seq taken and the row as it is now.

        On PostgreSQL one statement of fixed text (arrays, not a row per send: asyncpg prepares it
        once per connection, nothing is compiled per group); elsewhere four, one for each part.
        """
        if not sends:
            return {}
        if self._postgres:
            connection = await self.session.connection()
            columns = (
                [s.conversation_id for s in sends],
                [s.wait for s in sends],
                [s.message_id for s in sends],
                [s.organisation_id for s in sends],
                [s.programme_id for s in sends],
                [s.author_id for s in sends],
                [s.client_id for s in sends],
                [s.body for s in sends],
                [s.epoch for s in sends],
                [s.log.id for s in sends],
                [s.log.actor_role for s in sends],
                [s.log.subject_person_id for s in sends],
                [s.log.organisation_id for s in sends],
                [s.log.session_id for s in sends],
            )
            result = await connection.exec_driver_sql(_PG_STORE_SENDS, (now, *columns))
            return {row[0]: _taken(row) for row in result.tuples()}
        taken = await self.next_seqs({s.conversation_id: s.wait for s in sends}, now)
        stored = [s for s in sends if s.conversation_id in taken]
        await self.insert_messages(
            [
                {
                    "id": s.message_id,
                    "organisation_id": s.organisation_id,
                    "programme_id": s.programme_id,
                    "conversation_id": s.conversation_id,
                    "seq": taken[s.conversation_id].seq,
                    "kind": "person",
                    "author_id": s.author_id,
                    "client_id": s.client_id,
                    "body": s.body,
                    "epoch": s.epoch,
                    "created_at": now,
                }
                for s in stored
            ]
        )
        await self.advance_markers(
            [
                {
                    "conversation_id": s.conversation_id,
                    "person_id": s.author_id,
                    "programme_id": s.programme_id,
                    "read_seq": taken[s.conversation_id].seq,
                    "delivered_seq": taken[s.conversation_id].seq,
                    "updated_at": now,
                }
                for s in stored
            ]
        )
        await self.insert_access_log([s.log for s in stored])
        return taken

    async def insert_messages(self, rows: list[dict[str, Any]]) -> None:
        """Several messages in one statement (Core, not ORM objects: the hot path)."""
        if rows:
            await self.session.execute(insert(Message.__table__), rows)  # type: ignore[arg-type]  # Table

    async def insert_access_log(self, rows: list[AccessRow]) -> None:
        """Access log rows in one statement (the batched form of ``record_access``)."""
        if rows:
            await self.session.execute(
                insert(AccessLogEntry.__table__),  # type: ignore[arg-type]  # Table, typed as FromClause
                [{name: getattr(row, name) for name in _ACCESS_COLUMNS} for row in rows],
            )

    async def find_message(self, conversation_id: uuid.UUID, author_id: uuid.UUID, client_id: str) -> Message | None:
        result = await self.session.execute(
            select(Message).where(
                Message.conversation_id == conversation_id,
                Message.author_id == author_id,
                Message.client_id == client_id,
            )
        )
        return result.scalar_one_or_none()

    async def messages_after(
        self, scope: ProgrammeScope, conversation_id: uuid.UUID, after: int, *, limit: int, until: int | None = None
    ) -> list[Message]:
        query = select(Message).where(
            Message.conversation_id == conversation_id,
            Message.organisation_id == scope.organisation_id,
            Message.programme_id == scope.programme_id,
            Message.seq > after,
        )
        if until is not None:
            query = query.where(Message.seq <= until)
        result = await self.session.execute(query.order_by(Message.seq).limit(limit))
        return list(result.scalars())

    # Markers -----------------------------------------------------------------------------

    async def get_marker(self, conversation_id: uuid.UUID, person_id: uuid.UUID) -> Marker | None:
        return await self.session.get(Marker, (conversation_id, person_id))

    async def advance_marker(
        self, conversation: Conversation, person_id: uuid.UUID, *, read: int, delivered: int, now: datetime
    ) -> None:
        """Move her marker forward in one upsert (markers never move back)."""
        await self.advance_markers(
            [
                {
                    "conversation_id": conversation.id,
                    "person_id": person_id,
                    "programme_id": conversation.programme_id,
                    "read_seq": read,
                    "delivered_seq": max(read, delivered),
                    "updated_at": now,
                }
            ]
        )

    async def advance_markers(self, rows: list[dict[str, Any]]) -> None:
        """Move several markers forward in one upsert (one row per conversation and person)."""
        if not rows:
            return
        dialect = self.session.get_bind().dialect.name
        # Executed for many rows: one statement, built and compiled once per dialect.
        await self.session.execute(_marker_upsert(dialect), rows)

    async def markers(self, scope: ProgrammeScope, conversation_id: uuid.UUID) -> list[Marker]:
        result = await self.session.execute(
            select(Marker).where(Marker.conversation_id == conversation_id, Marker.programme_id == scope.programme_id)
        )
        return list(result.scalars())

    async def read_seqs(self, person_id: uuid.UUID, conversation_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
        if not conversation_ids:
            return {}
        result = await self.session.execute(
            select(Marker.conversation_id, Marker.read_seq).where(
                Marker.person_id == person_id, Marker.conversation_id.in_(conversation_ids)
            )
        )
        return dict(result.tuples().all())

    # Epochs and grants -------------------------------------------------------------------

    async def advance_epoch(
        self, scope: ProgrammeScope, conversation_id: uuid.UUID, expected: int, started_at: datetime
    ) -> bool:
        """Compare-and-set: move the epoch from ``expected`` to ``expected + 1``; False if moved already."""
        result = await self.session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id, _in_conversation_scope(scope), Conversation.epoch == expected)
            .values(epoch=expected + 1, epoch_started_at=started_at, rotation_due_since=None)
            .returning(Conversation.epoch)
        )
        return result.scalar_one_or_none() is not None

    async def flag_rotation(
        self, scope: ProgrammeScope, participant_id: uuid.UUID, at: datetime
    ) -> Conversation | None:
        """Flag her coaching conversation in this programme as due for a new key epoch."""
        conversation = await self.find_conversation(scope, f"{ConversationKind.coaching.value}:{participant_id}")
        if conversation is None or conversation.epoch < 1:
            return None
        await self.session.execute(
            update(Conversation)
            .where(Conversation.id == conversation.id, Conversation.rotation_due_since.is_(None))
            .values(rotation_due_since=at)
        )
        if conversation.rotation_due_since is None:
            set_committed_value(conversation, "rotation_due_since", at)
        return conversation

    async def flag_conversation(self, conversation: Conversation, at: datetime) -> None:
        """Flag this conversation as due for a new key epoch (a reader left); kept if flagged already."""
        await self.session.execute(
            update(Conversation)
            .where(Conversation.id == conversation.id, Conversation.rotation_due_since.is_(None))
            .values(rotation_due_since=at)
        )
        if conversation.rotation_due_since is None:
            set_committed_value(conversation, "rotation_due_since", at)

    async def keyed_conversations_of(
        self, scope: ProgrammeScope, *, group_id: uuid.UUID | None = None, reader_id: uuid.UUID | None = None
    ) -> list[Conversation]:
        """Conversations of the programme with a key: the group's, or those whose current epoch
        was granted to ``reader_id``."""
        query = select(Conversation).where(
            Conversation.programme_id == scope.programme_id,
            Conversation.organisation_id == scope.organisation_id,
            Conversation.epoch >= 1,
        )
        if group_id is not None:
            query = query.where(Conversation.kind == ConversationKind.group, Conversation.group_id == group_id)
        if reader_id is not None:
            granted = select(Grant.conversation_id).where(
                Grant.recipient_id == reader_id,
                Grant.programme_id == scope.programme_id,
                Grant.epoch == Conversation.epoch,
                Grant.conversation_id == Conversation.id,
            )
            query = query.where(granted.exists())
        result = await self.session.execute(query.order_by(Conversation.created_at))
        return list(result.scalars())

    async def live_sessions(self, session_ids: set[uuid.UUID], now: datetime, idle_since: datetime) -> set[uuid.UUID]:
        """Which of these sessions are live. Read-only: the accounts feature owns sessions and
        touches them on use; an open socket alone must not keep a session alive."""
        live: set[uuid.UUID] = set()
        ids = list(session_ids)
        for start in range(0, len(ids), 500):
            result = await self.session.execute(
                select(Session.id).where(
                    Session.id.in_(ids[start : start + 500]),
                    Session.ended_at.is_(None),
                    Session.expires_at > now,
                    Session.last_seen_at > idle_since,
                )
            )
            live.update(result.scalars())
        return live

    async def epochs(self, scope: ProgrammeScope, conversation_id: uuid.UUID) -> list[Epoch]:
        result = await self.session.execute(
            select(Epoch)
            .where(Epoch.conversation_id == conversation_id, Epoch.programme_id == scope.programme_id)
            .order_by(Epoch.epoch)
        )
        return list(result.scalars())

    async def get_epoch(self, scope: ProgrammeScope, conversation_id: uuid.UUID, epoch: int) -> Epoch | None:
        result = await self.session.execute(
            select(Epoch).where(
                Epoch.conversation_id == conversation_id,
                Epoch.epoch == epoch,
                Epoch.programme_id == scope.programme_id,
            )
        )
        return result.scalar_one_or_none()

    async def grants_for(
        self, scope: ProgrammeScope, conversation_id: uuid.UUID, recipient_id: uuid.UUID
    ) -> list[Grant]:
        result = await self.session.execute(
            select(Grant)
            .where(
                Grant.conversation_id == conversation_id,
                Grant.programme_id == scope.programme_id,
                Grant.recipient_id == recipient_id,
            )
            .order_by(Grant.epoch)
        )
        return list(result.scalars())

    async def grant_recipients(self, scope: ProgrammeScope, conversation_id: uuid.UUID, epoch: int) -> set[uuid.UUID]:
        result = await self.session.execute(
            select(Grant.recipient_id).where(
                Grant.conversation_id == conversation_id, Grant.programme_id == scope.programme_id, Grant.epoch == epoch
            )
        )
        return set(result.scalars())

    async def grants_of_epoch(
        self, scope: ProgrammeScope, conversation_id: uuid.UUID, epoch: int
    ) -> dict[uuid.UUID, str]:
        """Recipient -> the signed grant of this epoch's key made for her."""
        result = await self.session.execute(
            select(Grant.recipient_id, Grant.grant).where(
                Grant.conversation_id == conversation_id, Grant.programme_id == scope.programme_id, Grant.epoch == epoch
            )
        )
        return dict(result.tuples().all())

    async def current_grants_to(
        self, scope: ProgrammeScope, conversation_ids: list[uuid.UUID], recipient_id: uuid.UUID
    ) -> dict[uuid.UUID, str]:
        """Conversation id -> the signed grant of its current epoch's key made for her, for many
        conversations of the programme in one statement."""
        if not conversation_ids:
            return {}
        result = await self.session.execute(
            select(Grant.conversation_id, Grant.grant)
            .join(Conversation, and_(Conversation.id == Grant.conversation_id, Conversation.epoch == Grant.epoch))
            .where(
                Grant.conversation_id.in_(conversation_ids),
                Grant.recipient_id == recipient_id,
                Grant.programme_id == scope.programme_id,
                Conversation.organisation_id == scope.organisation_id,
            )
        )
        return dict(result.tuples().all())

    async def grants_held(
        self, scope: ProgrammeScope, conversation_id: uuid.UUID, person_ids: list[uuid.UUID] | None = None
    ) -> list[tuple[uuid.UUID, int, str]]:
        """(recipient, epoch, signed grant) of the conversation, for these recipients (all when None)."""
        query = select(Grant.recipient_id, Grant.epoch, Grant.grant).where(
            Grant.conversation_id == conversation_id, Grant.programme_id == scope.programme_id
        )
        if person_ids is not None:
            query = query.where(Grant.recipient_id.in_(person_ids))
        result = await self.session.execute(query.order_by(Grant.epoch))
        return list(result.tuples())

    async def public_identities(self, person_ids: list[uuid.UUID]) -> dict[uuid.UUID, bytes]:
        if not person_ids:
            return {}
        result = await self.session.execute(
            select(Account.person_id, Account.public_identity).where(Account.person_id.in_(person_ids))
        )
        return {person_id: identity for person_id, identity in result.all() if identity}

    async def ever_granted(self, scope: ProgrammeScope, conversation_id: uuid.UUID, recipient_id: uuid.UUID) -> bool:
        result = await self.session.execute(
            select(func.count())
            .select_from(Grant)
            .where(
                Grant.conversation_id == conversation_id,
                Grant.programme_id == scope.programme_id,
                Grant.recipient_id == recipient_id,
            )
        )
        return bool(result.scalar_one())

    async def delete_grant(
        self, scope: ProgrammeScope, conversation_id: uuid.UUID, epoch: int, recipient_id: uuid.UUID
    ) -> None:
        await self.session.execute(
            delete(Grant).where(
                Grant.conversation_id == conversation_id,
                Grant.programme_id == scope.programme_id,
                Grant.epoch == epoch,
                Grant.recipient_id == recipient_id,
            )
        )

    # Who is on duty (the duty feature's rosters), waiting conversations --------------------------

    async def notice_since(self, conversation_id: uuid.UUID, notice: str, since: datetime) -> bool:
        """Whether the conversation has a system message of this kind from ``since`` on."""
        found = await self.session.execute(
            select(Message.id)
            .where(
                Message.conversation_id == conversation_id,
                Message.kind == "system",
                Message.notice == notice,
                Message.created_at >= since,
            )
            .limit(1)
        )
        return found.first() is not None

    async def anyone_on_duty(self, scope: ProgrammeScope, at: datetime) -> bool:
        """Whether a coach or a supervisor is on duty at ``at`` (the out-of-hours reply is for when nobody is)."""
        return await DutyRepository(self.session).anyone_on_duty(scope, at)

    async def waiting(self, scope: ProgrammeScope) -> list[Conversation]:
        result = await self.session.execute(
            select(Conversation)
            .where(
                Conversation.programme_id == scope.programme_id,
                Conversation.organisation_id == scope.organisation_id,
                Conversation.waiting_since.is_not(None),
            )
            .order_by(Conversation.waiting_since)
        )
        return list(result.scalars())

    async def waiting_everywhere(self, before: datetime) -> list[Conversation]:
        """Conversations in any programme waiting since before ``before`` (for the escalation sweep)."""
        result = await self.session.execute(
            select(Conversation)
            .where(Conversation.waiting_since.is_not(None), Conversation.waiting_since <= before)
            .order_by(Conversation.waiting_since)
            .limit(500)
        )
        return list(result.scalars())

    async def raise_escalation(self, conversation_id: uuid.UUID, waiting_since: datetime, level: int) -> bool:
        """Compare-and-set, so two processes sweeping at once escalate a conversation once."""
        result = await self.session.execute(
            update(Conversation)
            .where(
                Conversation.id == conversation_id,
                Conversation.waiting_since == waiting_since,
                Conversation.escalation_level == level - 1,
            )
            .values(escalation_level=level)
            .returning(Conversation.id)
        )
        return result.scalar_one_or_none() is not None

    # Web Push (scoped to the person they belong to) ----------------------------------------

    async def push_subscriptions(self, organisation_id: uuid.UUID, person_id: uuid.UUID) -> list[PushSubscription]:
        result = await self.session.execute(
            select(PushSubscription).where(
                PushSubscription.organisation_id == organisation_id, PushSubscription.person_id == person_id
            )
        )
        return list(result.scalars())

    async def subscription_by_endpoint(self, endpoint: str) -> PushSubscription | None:
        result = await self.session.execute(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
        return result.scalar_one_or_none()

    async def delete_subscription(self, person_id: uuid.UUID | None, endpoint: str) -> int:
        query = delete(PushSubscription).where(PushSubscription.endpoint == endpoint)
        if person_id is not None:
            query = query.where(PushSubscription.person_id == person_id)
        result = await self.session.execute(query)
        return int(getattr(result, "rowcount", 0) or 0)

    async def push_setting(self, organisation_id: uuid.UUID, person_id: uuid.UUID) -> PushSetting | None:
        result = await self.session.execute(
            select(PushSetting).where(
                PushSetting.organisation_id == organisation_id, PushSetting.person_id == person_id
            )
        )
        return result.scalar_one_or_none()

    async def push_targets(self, person_ids: list[uuid.UUID]) -> list[tuple[PushSubscription, str]]:
        """Subscriptions of these people who have push switched on, with each one's language."""
        if not person_ids:
            return []
        switched_off = select(PushSetting.person_id).where(PushSetting.enabled.is_(False))
        result = await self.session.execute(
            select(PushSubscription, Person.language)
            .join(Person, Person.id == PushSubscription.person_id)
            .where(
                PushSubscription.person_id.in_(person_ids),
                PushSubscription.organisation_id == Person.organisation_id,
                PushSubscription.person_id.not_in(switched_off),
            )
        )
        return [(row, language) for row, language in result.tuples()]
