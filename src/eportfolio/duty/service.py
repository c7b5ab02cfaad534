"""Use cases of the duty feature: duty rosters, who is on duty, the coach team's shared inbox and
the escalation of unanswered messages. One transaction each; the chat's conversations are read
and told only through ``chat.service``.

A roster is signed in a staff member's browser (docs/crypto-spec.md 8) and checked here before it
is stored; the shifts it names are what escalation reads, and whom it names may be let in as
readers on duty while it is valid by its own signed dates.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from eportfolio import crypto
from eportfolio.chat import service as chat
from eportfolio.chat.tables import Conversation
from eportfolio.domain.chat import (
    Duty,
    DutyOverview,
    DutyShift,
    EscalationFrame,
    InboxEntry,
    RosterCreate,
    RosterRead,
    ShiftRead,
)
from eportfolio.domain.people import MANAGING_ROLES, Role
from eportfolio.domain.programmes import ProgrammeSettings
from eportfolio.duty.repository import DutyRepository
from eportfolio.duty.tables import Roster, Shift
from eportfolio.kit.audit import Action, personal_data, record_access
from eportfolio.kit.auth import Caller
from eportfolio.kit.clock import utcnow
from eportfolio.kit.errors import N_, Conflict, InvalidInput
from eportfolio.kit.events import Event
from eportfolio.kit.uow import UnitOfWork
from eportfolio.notifications import service as notifications
from eportfolio.programmes.repository import loaded_scope
from eportfolio.programmes.service import Access, authorize
from eportfolio.programmes.service import list_people as programme_people
from eportfolio.trust import service as trust

# Duty roster ------------------------------------------------------------------------------------


def _to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    return local.replace(tzinfo=zone).astimezone(UTC)


def _roster_read(roster: Roster, shifts: list[Shift], zone: ZoneInfo) -> RosterRead:
    return RosterRead(
        id=roster.id,
        programme_id=roster.programme_id,
        serial=roster.serial,
        signed_record=roster.signed_record,
        signed_by=roster.signed_by,
        valid_from=roster.valid_from.astimezone(zone),
        valid_until=roster.valid_until.astimezone(zone),
        created_at=roster.created_at,
        shifts=[
            ShiftRead(
                person_id=s.person_id,
                duty=Duty(s.duty),
                starts_at=s.starts_at.astimezone(zone),
                ends_at=s.ends_at.astimezone(zone),
            )
            for s in shifts
        ],
    )


DUTIES = {Duty.coach: crypto.Duty.COACH, Duty.supervisor: crypto.Duty.SUPERVISOR}


def _roster_not_valid() -> InvalidInput:
    return InvalidInput(
        N_(
            "The signature on this duty roster does not check out, so nothing was saved. "
            "Reload the page and make the roster again."
        ),
        field="signed_record",
    )


async def _checked_roster(
    uow: UnitOfWork, caller: Caller, access: Access, repo: DutyRepository, data: RosterCreate
) -> crypto.DutyRoster:
    """The roster's signed record, if it holds along organisation key -> programme certificate ->
    record (the programme key as stored), is signed in the caller's browser for this programme with
    the serial sent, and names exactly the shifts sent, each person by the key she has now.

    Browsers grant the coaches and supervisors a verified roster names; the server lets them in
    on the same record only, so an unsigned or wrongly signed roster makes nobody a reader.
    """
    programme_public = await trust.programme_public_key(uow, access.scope.organisation_id, access.scope.programme_id)
    if programme_public is None:
        raise InvalidInput(
            N_("This programme has no key yet, so a duty roster cannot be signed."), field="signed_record"
        )
    try:
        record = crypto.verify_record(
            crypto.b64u_decode(data.signed_record), programme_public, crypto.RecordKind.DUTY_ROSTER
        )
    except crypto.CryptoError:
        raise _roster_not_valid() from None
    body = record.body
    if not (
        isinstance(body, crypto.DutyRoster)
        and record.organisation_id == str(access.scope.organisation_id)
        and record.programme_id == str(access.scope.programme_id)
        and record.signed_by == str(caller.person_id)
        and record.serial == data.serial
        and body.valid_until > body.valid_from
    ):
        raise _roster_not_valid()
    # Every shift within the roster's own signed dates: browsers count none outside them.
    if any(not body.valid_from <= e.start < e.until <= body.valid_until for e in body.entries):
        raise InvalidInput(
            N_(
                "A shift in this duty roster lies outside the roster's own dates, so nothing was saved. "
                "Make the roster again."
            ),
            field="shifts",
        )
    zone = ZoneInfo(access.programme.time_zone)
    sent = sorted(
        (
            str(s.person_id),
            DUTIES[s.duty],
            int(_to_utc(s.starts_at, zone).timestamp()),
            int(_to_utc(s.ends_at, zone).timestamp()),
        )
        for s in data.shifts
    )
    signed = sorted((e.person_id, e.duty, e.start, e.until) for e in body.entries)
    if sent != signed:
        raise InvalidInput(
            N_("The shifts do not match the signed duty roster, so nothing was saved. Make the roster again."),
            field="shifts",
        )
    people = list(dict.fromkeys(s.person_id for s in data.shifts))
    identities = await repo.public_identities(people)
    for entry in body.entries:
        try:
            current = crypto.Person.from_public_identity(identities[uuid.UUID(entry.person_id)]).fingerprint
        except (KeyError, crypto.CryptoError):
            current = None
        if entry.fingerprint != current:
            raise InvalidInput(
                N_(
                    "The duty roster names someone by a key she no longer has, or before she has one. "
                    "Reload the page and make the roster again."
                ),
                field="signed_record",
            )
    return body


async def create_roster(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, data: RosterCreate) -> RosterRead:
    """Store a roster signed by a staff member's browser (checked first, ``_checked_roster``); its
    shifts are what escalation reads, and whom it names may be let in as readers on duty while it
    is valid by its own signed dates."""
    access = await authorize(uow, caller, programme_id, MANAGING_ROLES)
    repo = DutyRepository(uow.session)
    if data.serial <= await repo.latest_roster_serial(access.scope):
        raise Conflict(N_("A newer duty roster exists already. Reload and make the roster again."), field="serial")
    for shift in data.shifts:
        if not await repo.programmes.has_active_role(access.scope, shift.person_id, (shift.duty.value,)):
            raise InvalidInput(
                N_(
                    "Everyone on the roster must be an active coach or supervisor of this programme, "
                    "with the duty that fits the role."
                ),
                field="shifts",
            )
    signed = await _checked_roster(uow, caller, access, repo, data)
    zone = ZoneInfo(access.programme.time_zone)
    roster = Roster(
        organisation_id=access.scope.organisation_id,
        programme_id=access.scope.programme_id,
        serial=data.serial,
        signed_record=data.signed_record,
        signed_by=caller.person_id,
        valid_from=datetime.fromtimestamp(signed.valid_from, UTC),
        valid_until=datetime.fromtimestamp(signed.valid_until, UTC),
        created_at=utcnow(),
    )
    uow.session.add(roster)
    await uow.flush()
    shifts = [
        Shift(
            roster_id=roster.id,
            programme_id=access.scope.programme_id,
            person_id=s.person_id,
            duty=s.duty.value,
            starts_at=_to_utc(s.starts_at, zone),
            ends_at=_to_utc(s.ends_at, zone),
        )
        for s in data.shifts
    ]
    uow.session.add_all(shifts)
    await uow.flush()
    # Who may be on duty changed: cached memberships are dropped.
    uow.emit(Event("chat.members", {"recipients": [], "invalidate": {"programme_id": str(programme_id)}}))
    return _roster_read(roster, shifts, zone)


async def current_roster(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> RosterRead | None:
    access = await authorize(
        uow, caller, programme_id, MANAGING_ROLES | {Role.coach, Role.supervisor, Role.participant}
    )
    repo = DutyRepository(uow.session)
    roster = await repo.roster_at(access.scope, utcnow())
    if roster is None:
        return None
    return _roster_read(roster, await repo.shifts(roster.id), ZoneInfo(access.programme.time_zone))


@dataclass(frozen=True, slots=True)
class RosterCandidate:
    """Someone staff may put on the roster: an active coach or supervisor of the programme."""

    person_id: uuid.UUID
    display_name: str
    duty: Duty
    has_key: bool


@dataclass(frozen=True, slots=True)
class RosterEditor:
    next_serial: int
    candidates: list[RosterCandidate]
    current: RosterRead | None


async def roster_editor(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> RosterEditor:
    """What the staff page that makes a roster needs: the next serial, who can be on duty in which
    duty (and whether she has a key yet: the signed roster names each person by her key), and the
    roster in force."""
    access = await authorize(uow, caller, programme_id, MANAGING_ROLES)
    repo = DutyRepository(uow.session)
    people = await programme_people(uow, caller, programme_id)
    with_keys = await repo.public_identities([p.id for p, _ in people])
    candidates = [
        RosterCandidate(person.id, person.display_name, duty, person.id in with_keys)
        for duty in (Duty.coach, Duty.supervisor)
        for person, roles in people
        if any(r.role.value == duty.value and r.active for r in roles)
    ]
    return RosterEditor(
        next_serial=await repo.latest_roster_serial(access.scope) + 1,
        candidates=sorted(candidates, key=lambda c: (c.duty.value, c.display_name.casefold())),
        current=await current_roster(uow, caller, programme_id),
    )


DUTY_ROLES = MANAGING_ROLES | {Role.coach, Role.supervisor, Role.participant}
# How far ahead her own coming shifts are listed.
OWN_SHIFTS_AHEAD = timedelta(days=14)


async def duty_overview(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> DutyOverview:
    """Who is on duty now, who takes the next shift of each duty, and the caller's own coming
    shifts, from the roster in force; only people who still hold the role of their duty. Names and
    times only, for everyone in the programme (a participant sees who can answer her)."""
    access = await authorize(uow, caller, programme_id, DUTY_ROLES)
    repo = DutyRepository(uow.session)
    zone = ZoneInfo(access.programme.time_zone)
    now = utcnow()
    roster = await repo.roster_at(access.scope, now)
    if roster is None:
        return DutyOverview(programme_id=programme_id, has_roster=False, now=[], next=[], mine=[])
    active = await repo.on_roster(access.scope, now)
    shifts = [s for s in await repo.shifts(roster.id) if s.person_id in active]
    names = await repo.display_names(access.scope.organisation_id, list({s.person_id for s in shifts}))

    def read(shift: Shift) -> DutyShift:
        return DutyShift(
            person_id=shift.person_id,
            display_name=names.get(shift.person_id, ""),
            duty=Duty(shift.duty),
            starts_at=_aware(shift.starts_at).astimezone(zone),
            ends_at=_aware(shift.ends_at).astimezone(zone),
        )

    current = [s for s in shifts if _aware(s.starts_at) <= now < _aware(s.ends_at)]
    upcoming: list[Shift] = []
    for duty in (Duty.coach, Duty.supervisor):
        later = [s for s in shifts if s.duty == duty.value and _aware(s.starts_at) > now]
        if later:
            first = min(_aware(s.starts_at) for s in later)
            upcoming += [s for s in later if _aware(s.starts_at) == first]
    mine = [
        s
        for s in shifts
        if s.person_id == caller.person_id and _aware(s.ends_at) > now and _aware(s.starts_at) < now + OWN_SHIFTS_AHEAD
    ]
    return DutyOverview(
        programme_id=programme_id,
        has_roster=True,
        now=[read(s) for s in current],
        next=[read(s) for s in upcoming],
        mine=[read(s) for s in mine],
    )


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they are UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# Waiting, inbox and escalation -----------------------------------------------------------------


def _inbox_entry(
    conversation: Conversation, now: datetime, names: dict[uuid.UUID, str], readable: set[uuid.UUID]
) -> InboxEntry:
    assert conversation.participant_id is not None
    assert conversation.waiting_since is not None
    return InboxEntry(
        conversation_id=conversation.id,
        participant_id=conversation.participant_id,
        participant_name=names.get(conversation.participant_id, ""),
        waiting_since=conversation.waiting_since,
        waiting_minutes=int((now - conversation.waiting_since).total_seconds() // 60),
        escalation_level=conversation.escalation_level,
        can_read=conversation.id in readable,
    )


@personal_data("chat_waiting")
async def inbox(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> list[InboxEntry]:
    """The shared inbox of the coach team: who waits, longest first; never what she wrote."""
    access = await authorize(uow, caller, programme_id, {Role.coach, Role.supervisor, Role.staff, Role.org_admin})
    repo = DutyRepository(uow.session)
    waiting = await chat.waiting_in(uow, access.scope)
    names = await repo.display_names(
        access.scope.organisation_id, [c.participant_id for c in waiting if c.participant_id]
    )
    now = utcnow()
    readable = await chat.readable_of(uow, access.scope, waiting, caller.person_id)
    entries = [_inbox_entry(c, now, names, readable) for c in waiting if c.participant_id]
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[e.participant_id for e in entries],
        record_kind="chat_waiting",
        action=Action.read,
        programme_id=programme_id,
    )
    return entries


async def escalate_due(uow: UnitOfWork, now: datetime | None = None) -> int:
    """Escalate every unanswered conversation past its programme's limits; returns how many.

    Runs without a caller: the ``eportfolio escalate`` command (a timer), or the development
    server's own loop (``eportfolio.jobs``). Compare-and-set on the level makes a second run at
    the same time, in another process, a no-op.
    """
    now = now or utcnow()
    repo = DutyRepository(uow.session)
    raised = 0
    for conversation, programme in await chat.waiting_since_before(uow, now):
        assert conversation.waiting_since is not None
        settings = ProgrammeSettings.model_validate(programme.settings or {})
        waited = now - conversation.waiting_since
        if conversation.escalation_level == 0 and waited >= timedelta(minutes=settings.first_escalation_minutes):
            level, duty, second = 1, Duty.coach, Duty.supervisor
        elif conversation.escalation_level == 1 and waited >= timedelta(minutes=settings.second_escalation_minutes):
            level, duty, second = 2, Duty.supervisor, Duty.coach
        else:
            continue
        if not await chat.raise_escalation(uow, conversation, programme, level, duty):
            continue
        raised += 1
        # The coach on duty first, the supervisor as second line; with nobody in that duty now,
        # whoever holds the other duty, so that a person is told whenever anyone is on duty.
        scope = loaded_scope(conversation)
        on_duty = await repo.on_duty(scope, now, duty) or await repo.on_duty(scope, now, second)
        names = await repo.display_names(
            conversation.organisation_id, [conversation.participant_id] if conversation.participant_id else []
        )
        for person_id in on_duty:
            readable = await chat.readable_of(uow, scope, [conversation], person_id)
            entry = _inbox_entry(conversation, now, names, readable)
            await _notify_waiting(uow, conversation, person_id, entry.can_read)
            chat.emit_frame(uow, "chat.escalation", EscalationFrame(entry=entry), [person_id])
    return raised


async def _notify_waiting(uow: UnitOfWork, conversation: Conversation, person_id: uuid.UUID, can_read: bool) -> None:
    """The in-app notice of an escalation, for the person on duty whether or not she is online: it
    opens the conversation when her browser can read it (the participant's browser granted her the
    key because the signed roster names her), otherwise the shared inbox, where she sees who waits."""
    await notifications.notify(
        uow,
        organisation_id=conversation.organisation_id,
        programme_id=conversation.programme_id,
        person_id=person_id,
        kind=notifications.CHAT_WAITING,
        subject_id=conversation.id,
        link=f"/chat/{conversation.id}" if can_read else f"/chat#waiting-{conversation.id}",
        collapse=True,
    )
