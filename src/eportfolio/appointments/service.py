"""Use cases of the appointments feature: a coach's weekly meetings with her, the appointments she
enters herself, her calendar, iCalendar files and the reminders. One transaction each.

Who may see what: she sees her own; a coach sees hers while an assignment of his for her counts
(``programmes.repository.counting_assignment``: signed by someone else, current). Nobody else,
not staff either: these are her workflow facts, shared with her coaches only. A coach meeting is
planned, moved and cancelled by a coach of hers; her own appointments only by her.

Times come in as a day and a clock time in the programme's time zone and are stored in UTC. A
series is stored whole or not at all: every check runs before the first row is added.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from icalendar import Alarm, Calendar, Event

from eportfolio.appointments.models import (
    AppointmentMove,
    AppointmentRead,
    OwnCreate,
    SeriesCreate,
)
from eportfolio.appointments.repository import AppointmentRepository
from eportfolio.appointments.tables import COACH_MEETING, OWN, Appointment
from eportfolio.domain.people import Role
from eportfolio.kit import dates, i18n
from eportfolio.kit.audit import Action, personal_data, record_access
from eportfolio.kit.auth import Caller
from eportfolio.kit.clock import utcnow
from eportfolio.kit.errors import N_, Forbidden, Gone, InvalidInput, NotFound
from eportfolio.kit.uow import UnitOfWork
from eportfolio.notifications import service as notifications
from eportfolio.programmes import service as programmes
from eportfolio.programmes.service import Access

# Notification kinds (their texts are on the notifications page): neutral, never a title or place.
REMINDER_DAY = "appointment_day"
REMINDER_HOUR = "appointment_hour"
# How far ahead the calendar shows, from the start of this week.
CALENDAR_WEEKS = 8
# The product that writes the iCalendar files, and the domain of their stable UIDs.
PRODID = "-//eportfolio//appointments//NL"
UID_DOMAIN = "eportfolio.appointments"

Relation = Literal["self", "coach"]

APPOINTMENT = N_("Appointment")
VIDEO_OR_PHONE = N_("Video or phone")
ENDS_BEFORE_START = N_("The end time must be after the start time.")
IN_THE_PAST = N_("This moment has passed. Choose a day and time from now on.")
NO_PLACE = N_("Fill in a place, or choose video or phone.")
NOT_PARTICIPANT = N_("This person is not a participant of this programme.")
NOT_HER_COACH = N_(
    "You can plan meetings only with a participant you coach. Ask the programme to sign your coach assignment."
)
ONLY_HERS = N_("You can see appointments only of yourself, or of a participant you coach.")
NOT_YOURS_TO_CHANGE = N_(
    "Only her coach can change a meeting with her coach, and only she can change her own appointments."
)
CANCELLED = N_("This appointment was cancelled.")


# Checks ------------------------------------------------------------------------------------


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they are UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _moment(access: Access, day: date, clock: time) -> datetime:
    """A day and clock time in the programme's time zone, in UTC."""
    return datetime.combine(day, clock, tzinfo=dates.zone(access.programme.time_zone)).astimezone(UTC)


def _span(access: Access, day: date, start: time, end: time, *, date_field: str) -> tuple[datetime, datetime]:
    """Start and end in UTC; refused when the end is not after the start or the start has passed."""
    if not dates.plannable(day):
        raise InvalidInput(dates.DAY_OUT_OF_RANGE, field=date_field)
    if end <= start:
        raise InvalidInput(ENDS_BEFORE_START, field="end")
    starts_at, ends_at = _moment(access, day, start), _moment(access, day, end)
    if starts_at < utcnow():
        raise InvalidInput(IN_THE_PAST, field=date_field)
    return starts_at, ends_at


async def _relation(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, participant_id: uuid.UUID
) -> tuple[Access, Relation]:
    """She herself, or a coach of hers whose assignment counts today; anyone else is refused
    (another programme or organisation: not found)."""
    access = await programmes.authorize(uow, caller, programme_id, {Role.participant, Role.coach})
    held = await programmes.roles_in(uow, caller, programme_id)
    repo = AppointmentRepository(uow.session)
    if caller.person_id == participant_id and Role.participant in held:
        return access, "self"
    if Role.coach in held and await repo.counting_coach(
        access.scope, caller.person_id, participant_id, programmes.programme_today(access.programme)
    ):
        return access, "coach"
    raise Forbidden(ONLY_HERS)


def _may_change(row: Appointment, relation: Relation) -> bool:
    return (row.kind == COACH_MEETING and relation == "coach") or (row.kind == OWN and relation == "self")


@dataclass(frozen=True, slots=True)
class Found:
    row: Appointment
    access: Access
    relation: Relation


async def _find(uow: UnitOfWork, caller: Caller, appointment_id: uuid.UUID) -> Found:
    row = await AppointmentRepository(uow.session).get(caller.organisation_id, appointment_id)
    if row is None:
        raise NotFound()
    try:
        access, relation = await _relation(uow, caller, row.programme_id, row.participant_id)
    except NotFound:
        raise
    except Forbidden:
        raise NotFound() from None  # not hers, not his to see: we do not confirm it exists
    return Found(row, access, relation)


def _read(row: Appointment, access: Access, relation: Relation, names: dict[uuid.UUID, str]) -> AppointmentRead:
    other = row.coach_id if relation == "self" else row.participant_id
    return AppointmentRead(
        id=row.id,
        programme_id=row.programme_id,
        participant_id=row.participant_id,
        coach_id=row.coach_id,
        kind=row.kind,
        series_id=row.series_id,
        title=row.title,
        place=row.place,
        remote=row.remote,
        starts_at=_aware(row.starts_at),
        ends_at=_aware(row.ends_at),
        cancelled=row.cancelled_at is not None,
        time_zone=access.programme.time_zone,
        with_name=names.get(other, "") if other else "",
        can_change=_may_change(row, relation) and row.cancelled_at is None,
        ics_url=f"/appointments/{row.id}.ics",
    )


async def _names(uow: UnitOfWork, caller: Caller, access: Access, rows: list[Appointment]) -> dict[uuid.UUID, str]:
    wanted = {r.coach_id for r in rows if r.coach_id} | {r.participant_id for r in rows}
    wanted.discard(caller.person_id)
    if not wanted:
        return {}
    return await programmes.display_names(uow, caller, access.scope.programme_id, wanted)


def _log(uow: UnitOfWork, caller: Caller, access: Access, subjects: set[uuid.UUID], action: Action) -> None:
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=subjects,
        record_kind="appointment",
        action=action,
        programme_id=access.scope.programme_id,
    )


# Planning ----------------------------------------------------------------------------------


@personal_data("appointment")
async def create_series(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, participant_id: uuid.UUID, data: SeriesCreate
) -> list[AppointmentRead]:
    """A coach plans weekly meetings with her: all weeks are stored, or none."""
    access = await programmes.authorize(uow, caller, programme_id, {Role.coach})
    repo = AppointmentRepository(uow.session)
    if not await repo.is_participant(access.scope, participant_id):
        raise NotFound(NOT_PARTICIPANT)
    if not await repo.counting_coach(
        access.scope, caller.person_id, participant_id, programmes.programme_today(access.programme)
    ):
        raise Forbidden(NOT_HER_COACH)
    if not data.remote and not data.place:
        raise InvalidInput(NO_PLACE, field="place")
    _span(access, data.first_date, data.start, data.end, date_field="first_date")
    if not dates.series_fits(data.first_date, 7, data.weeks):
        raise InvalidInput(dates.SERIES_TOO_LATE, field="weeks")
    series_id = uuid.uuid4()
    now = utcnow()
    rows = []
    for week in range(data.weeks):
        day = data.first_date + timedelta(weeks=week)
        rows.append(
            Appointment(
                id=uuid.uuid4(),
                organisation_id=access.scope.organisation_id,
                programme_id=access.scope.programme_id,
                participant_id=participant_id,
                coach_id=caller.person_id,
                kind=COACH_MEETING,
                series_id=series_id,
                title="",
                place="" if data.remote else data.place,
                remote=data.remote,
                # Each week at the same clock time in the programme's zone, across a change of
                # summer time.
                starts_at=_moment(access, day, data.start),
                ends_at=_moment(access, day, data.end),
                sequence=0,
                created_by=caller.person_id,
                created_at=now,
                updated_at=now,
            )
        )
    uow.session.add_all(rows)
    await uow.flush()
    _log(uow, caller, access, {participant_id}, Action.create)
    names = await _names(uow, caller, access, rows)
    return [_read(r, access, "coach", names) for r in rows]


@personal_data("appointment")
async def create_own(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, data: OwnCreate) -> AppointmentRead:
    """She enters an appointment of her own."""
    access = await programmes.authorize(uow, caller, programme_id, {Role.participant})
    starts_at, ends_at = _span(access, data.date, data.start, data.end, date_field="date")
    now = utcnow()
    row = Appointment(
        id=uuid.uuid4(),
        organisation_id=access.scope.organisation_id,
        programme_id=access.scope.programme_id,
        participant_id=caller.person_id,
        coach_id=None,
        kind=OWN,
        series_id=None,
        title=data.title,
        place=data.place,
        remote=False,
        starts_at=starts_at,
        ends_at=ends_at,
        sequence=0,
        created_by=caller.person_id,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(row)
    await uow.flush()
    _log(uow, caller, access, {caller.person_id}, Action.create)
    return _read(row, access, "self", {})


async def _changeable(uow: UnitOfWork, caller: Caller, appointment_id: uuid.UUID) -> Found:
    found = await _find(uow, caller, appointment_id)
    if not _may_change(found.row, found.relation):
        raise Forbidden(NOT_YOURS_TO_CHANGE)
    return found


@personal_data("appointment")
async def move(uow: UnitOfWork, caller: Caller, appointment_id: uuid.UUID, data: AppointmentMove) -> AppointmentRead:
    """One occurrence to another day, time or place; the others of its series stay."""
    found = await _changeable(uow, caller, appointment_id)
    row, access = found.row, found.access
    if row.cancelled_at is not None:
        raise Gone(CANCELLED)
    remote = data.remote and row.kind == COACH_MEETING
    if row.kind == COACH_MEETING and not remote and not data.place:
        raise InvalidInput(NO_PLACE, field="place")
    row.starts_at, row.ends_at = _span(access, data.date, data.start, data.end, date_field="date")
    row.place = "" if remote else data.place
    row.remote = remote
    row.sequence += 1
    row.updated_at = utcnow()
    await uow.flush()
    _log(uow, caller, access, {row.participant_id}, Action.update)
    return _read(row, access, found.relation, await _names(uow, caller, access, [row]))


@personal_data("appointment")
async def cancel(uow: UnitOfWork, caller: Caller, appointment_id: uuid.UUID) -> AppointmentRead:
    """Cancel one occurrence (a second time changes nothing); it stays visible as cancelled."""
    found = await _changeable(uow, caller, appointment_id)
    row, access = found.row, found.access
    if row.cancelled_at is None:
        row.cancelled_at = utcnow()
        row.sequence += 1
        row.updated_at = row.cancelled_at
        await uow.flush()
        _log(uow, caller, access, {row.participant_id}, Action.update)
    return _read(row, access, found.relation, await _names(uow, caller, access, [row]))


# Reading -----------------------------------------------------------------------------------


@personal_data("appointment")
async def get(uow: UnitOfWork, caller: Caller, appointment_id: uuid.UUID) -> AppointmentRead:
    found = await _find(uow, caller, appointment_id)
    _log(uow, caller, found.access, {found.row.participant_id}, Action.read)
    return _read(found.row, found.access, found.relation, await _names(uow, caller, found.access, [found.row]))


def week_start(access: Access) -> datetime:
    """Monday 00:00 of this week in the programme's time zone, in UTC."""
    today = programmes.programme_today(access.programme)
    return _moment(access, today - timedelta(days=today.weekday()), time(0, 0))


@personal_data("appointment")
async def of_participant(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, participant_id: uuid.UUID
) -> list[AppointmentRead]:
    """Her appointments from the start of this week to ``CALENDAR_WEEKS`` ahead, cancelled ones too."""
    access, relation = await _relation(uow, caller, programme_id, participant_id)
    since = week_start(access)
    rows = await AppointmentRepository(uow.session).of_participant(
        access.scope, participant_id, since, since + timedelta(weeks=CALENDAR_WEEKS)
    )
    _log(uow, caller, access, {participant_id}, Action.read)
    names = await _names(uow, caller, access, rows)
    return [_read(r, access, relation, names) for r in rows]


@dataclass(frozen=True, slots=True)
class ProgrammeCalendar:
    programme_id: uuid.UUID
    programme_name: str
    time_zone: str
    today: date
    # "self": her own calendar; "coach": his meetings with the participants he coaches.
    relation: Relation
    appointments: list[AppointmentRead]


@personal_data("appointment")
async def my_calendar(uow: UnitOfWork, caller: Caller) -> list[ProgrammeCalendar]:
    """Her calendar in each programme where she is a participant, and his coach meetings in each
    programme where he coaches."""
    await programmes.load_roles(uow, caller)
    assert caller.roles_by_programme is not None
    repo = AppointmentRepository(uow.session)
    answer = []
    for programme_id, roles in sorted(caller.roles_by_programme.items()):
        for role, relation in ((Role.participant, "self"), (Role.coach, "coach")):
            if role.value not in roles:
                continue
            access = await programmes.authorize(uow, caller, programme_id, {role})
            since = week_start(access)
            until = since + timedelta(weeks=CALENDAR_WEEKS)
            today = programmes.programme_today(access.programme)
            if relation == "self":
                rows = await repo.of_participant(access.scope, caller.person_id, since, until)
            else:
                rows = await repo.of_coach(access.scope, caller.person_id, since, until, today)
            subjects = {r.participant_id for r in rows} | ({caller.person_id} if relation == "self" else set())
            _log(uow, caller, access, subjects, Action.read)
            names = await _names(uow, caller, access, rows)
            answer.append(
                ProgrammeCalendar(
                    programme_id,
                    access.programme.name,
                    access.programme.time_zone,
                    today,
                    relation,  # type: ignore[arg-type]  # one of the two literals above
                    [_read(r, access, relation, names) for r in rows],  # type: ignore[arg-type]
                )
            )
    return answer


@personal_data("appointment")
async def next_appointment(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> AppointmentRead | None:
    """Her next appointment in the programme that is not over and not cancelled (her home page)."""
    access = await programmes.authorize(uow, caller, programme_id, {Role.participant})
    row = await AppointmentRepository(uow.session).next_of_participant(access.scope, caller.person_id, utcnow())
    _log(uow, caller, access, {caller.person_id}, Action.read)
    if row is None:
        return None
    return _read(row, access, "self", await _names(uow, caller, access, [row]))


# iCalendar ---------------------------------------------------------------------------------


def _event(row: Appointment, language: str, stamp: datetime) -> Event:
    """One VEVENT: a stable UID (the row's id), times in UTC, a neutral summary for a coach
    meeting ("Afspraak"), her own title for one she entered herself."""
    event = Event()
    event.add("uid", f"{row.id}@{UID_DOMAIN}")
    event.add("dtstamp", stamp)
    event.add("dtstart", _aware(row.starts_at).astimezone(UTC))
    event.add("dtend", _aware(row.ends_at).astimezone(UTC))
    event.add("sequence", row.sequence)
    summary = row.title if row.kind == OWN and row.title else i18n.gettext(language, APPOINTMENT)
    event.add("summary", summary)
    location = i18n.gettext(language, VIDEO_OR_PHONE) if row.remote else row.place
    if location:
        event.add("location", location)
    event.add("status", "CANCELLED" if row.cancelled_at is not None else "CONFIRMED")
    event.add("last-modified", _aware(row.updated_at).astimezone(UTC))
    if row.cancelled_at is None:
        # Her phone's own calendar reminds her too (the day before and an hour before, as the
        # app's notices do), with the same neutral words as the summary.
        for before in (timedelta(days=1), timedelta(hours=1)):
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", summary)
            alarm.add("trigger", -before)
            event.add_component(alarm)
    return event


def _calendar(rows: list[Appointment], language: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    stamp = utcnow().replace(microsecond=0)
    for row in rows:
        calendar.add_component(_event(row, language, stamp))
    return bytes(calendar.to_ical())


@personal_data("appointment")
async def ics_one(uow: UnitOfWork, caller: Caller, appointment_id: uuid.UUID, language: str) -> bytes:
    """One appointment as an iCalendar file, for her (or her coach's) own phone calendar."""
    found = await _find(uow, caller, appointment_id)
    _log(uow, caller, found.access, {found.row.participant_id}, Action.read)
    return _calendar([found.row], language)


@personal_data("appointment")
async def ics_upcoming(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, participant_id: uuid.UUID, language: str
) -> bytes:
    """All her appointments that are not over and not cancelled, as one iCalendar file."""
    access, _ = await _relation(uow, caller, programme_id, participant_id)
    rows = await AppointmentRepository(uow.session).of_participant(
        access.scope, participant_id, utcnow(), cancelled=False
    )
    _log(uow, caller, access, {participant_id}, Action.read)
    return _calendar(rows, language)


async def participant_programmes(uow: UnitOfWork, caller: Caller) -> list[uuid.UUID]:
    """The programmes where she is a participant (for her own appointment form)."""
    await programmes.load_roles(uow, caller)
    assert caller.roles_by_programme is not None
    return sorted(p for p, roles in caller.roles_by_programme.items() if Role.participant.value in roles)


# Reminders ---------------------------------------------------------------------------------


def _dedupe_key(kind: str, row: Appointment, person_id: uuid.UUID) -> str:
    """Once per person, appointment and start: a moved appointment is reminded of again."""
    return f"{kind}:{row.id.hex}:{person_id.hex}:{int(_aware(row.starts_at).timestamp())}"


async def send_reminders(uow: UnitOfWork, now: datetime | None = None) -> int:
    """Remind her (and the coach of a coach meeting) the day before and an hour before, once each.

    Runs without a caller (``eportfolio remind-appointments``, or the app's own loop in
    development). The notification's unique ``dedupe_key`` makes a second run, here or in another
    process at the same time, add nothing.
    """
    now = now or utcnow()
    repo = AppointmentRepository(uow.session)
    day_rows = await repo.due_for_reminders(now + timedelta(hours=1), now + timedelta(days=1))
    hour_rows = await repo.due_for_reminders(now, now + timedelta(hours=1))
    wanted: list[tuple[str, Appointment, str, uuid.UUID]] = []
    coaching = await repo.coaches_still_counting([r for r, _ in day_rows + hour_rows], now.date())
    for kind, rows in ((REMINDER_DAY, day_rows), (REMINDER_HOUR, hour_rows)):
        for row, zone in rows:
            people = [row.participant_id]
            if row.kind == COACH_MEETING and row.coach_id is not None and row.id in coaching:
                people.append(row.coach_id)
            wanted.extend((kind, row, zone, person) for person in people)
    keys = [_dedupe_key(kind, row, person) for kind, row, _, person in wanted]
    existing = await repo.existing_dedupe_keys(keys)
    made = 0
    for (kind, row, zone, person), key in zip(wanted, keys, strict=True):
        if key in existing:
            continue
        local = _aware(row.starts_at).astimezone(dates.zone(zone))
        await notifications.notify(
            uow,
            organisation_id=row.organisation_id,
            programme_id=row.programme_id,
            person_id=person,
            kind=kind,
            subject_id=row.id,
            link=f"/appointments/{row.id}",
            # The moment itself too, so the list shows it in her language and the programme's zone.
            params={"time": local.strftime("%H:%M"), "starts_at": local.isoformat()},
            dedupe_key=key,
        )
        made += 1
    await uow.flush()
    return made
