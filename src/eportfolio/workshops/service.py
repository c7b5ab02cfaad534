"""Use cases of the workshops feature: group trainings (a series of sessions of a module for a
group), enrolment with a waiting list, attendance in the room, make-up assignments, reminders the
day before, and evaluations shown only anonymously.

Who may do what:
- staff (and organisation admins) make trainings, change sessions, enrol and withdraw anyone, and
  see everything of a training, evaluations only as the trainer sees them;
- the trainer (staff or a coach of the programme, named on the training) takes attendance for its
  sessions, gives a make-up assignment and sees the evaluations as an average and comments without
  names, from ``MIN_ANSWERS`` answers on;
- a participant sees the trainings open to her, enrols or withdraws herself, sees her own sessions
  and evaluates the sessions she is enrolled in;
- anyone else in the programme (a funder viewer, a supervisor who is not the trainer) gets nothing
  about a person: refused.

One transaction each (the unit of work); a refusal raises before anything is stored, or the
page's form handler rolls back what was written.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from eportfolio.assignments import service as assignments
from eportfolio.domain.modules import AssignmentCreate
from eportfolio.domain.people import MANAGING_ROLES, Role
from eportfolio.kit import dates, i18n
from eportfolio.kit.audit import Action, personal_data, record_access
from eportfolio.kit.auth import Caller
from eportfolio.kit.clock import utcnow
from eportfolio.kit.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from eportfolio.kit.events import Event
from eportfolio.kit.uow import UnitOfWork
from eportfolio.notifications import service as notifications
from eportfolio.programmes import service as programmes
from eportfolio.programmes.service import Access
from eportfolio.workshops.models import (
    END,
    MIN_ANSWERS,
    MISSED,
    AttendanceRow,
    AttendanceSheet,
    AttendanceWrite,
    EnrolmentCreate,
    EnrolmentRead,
    EnrolmentStatus,
    EvaluationCreate,
    EvaluationSummary,
    MyTraining,
    SessionRead,
    SessionUpdate,
    TrainerSession,
    TrainingCreate,
    TrainingDetail,
    TrainingRead,
    TrainingUpdate,
)
from eportfolio.workshops.repository import WorkshopRepository
from eportfolio.workshops.tables import Attendance, Enrolment, Evaluation, Training, TrainingSession

# Who may train: programme staff or one of its coaches (as for a group's trainer).
TRAINER_ROLES = (Role.staff.value, Role.coach.value)
# Everyone who may open a workshops page at all; what each sees is narrowed per use case.
PEOPLE_ROLES = MANAGING_ROLES | {Role.coach, Role.participant}
# Attendance may be noted from a day before the session on (not for one further ahead).
ATTENDANCE_AHEAD = timedelta(days=1)
# The notification kinds of this feature (texts in assignments.pages, the notifications page).
PLACE_FREED = "workshop_place"
REMINDER = "workshop_reminder"


def _aware(moment: datetime) -> datetime:
    """SQLite may hand back naive datetimes; they are UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _zone(access: Access) -> ZoneInfo:
    return dates.zone(access.programme.time_zone)


def local_start(day: date, start: time, zone: ZoneInfo) -> datetime:
    """A local date and time in the programme's zone, as UTC (09:30 stays 09:30 across summer time)."""
    return datetime.combine(day, start.replace(tzinfo=None), tzinfo=zone).astimezone(UTC)


# Read models -------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Context:
    """What turning trainings into read models needs, read once per use case."""

    groups: dict[uuid.UUID, str]
    modules: dict[uuid.UUID, str]
    names: dict[uuid.UUID, str]
    sessions: dict[uuid.UUID, list[TrainingSession]]
    enrolments: dict[uuid.UUID, list[Enrolment]]


async def _context(repo: WorkshopRepository, access: Access, trainings: list[Training]) -> _Context:
    ids = [t.id for t in trainings]
    sessions: dict[uuid.UUID, list[TrainingSession]] = {t: [] for t in ids}
    for meeting in await repo.sessions_of(ids):
        sessions[meeting.training_id].append(meeting)
    enrolments: dict[uuid.UUID, list[Enrolment]] = {t: [] for t in ids}
    for enrolment in await repo.enrolments(ids):
        enrolments[enrolment.training_id].append(enrolment)
    groups = {g.id: g.name for g in (await repo.groups(access.scope)).values()}
    modules = await repo.module_titles(access.scope) if any(t.module_id for t in trainings) else {}
    names = await repo.names(access.scope, [t.trainer_id for t in trainings])
    return _Context(groups, modules, names, sessions, enrolments)


def _session_read(row: TrainingSession, number: int, training: Training) -> SessionRead:
    starts = _aware(row.starts_at)
    return SessionRead(
        id=row.id,
        training_id=row.training_id,
        number=number,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=row.duration_minutes),
        duration_minutes=row.duration_minutes,
        place=row.place or training.place,
        cancelled=row.cancelled_at is not None,
    )


def _training_read(training: Training, ctx: _Context) -> TrainingRead:
    rows = ctx.sessions.get(training.id, [])
    enrolments = ctx.enrolments.get(training.id, [])
    return TrainingRead(
        id=training.id,
        programme_id=training.programme_id,
        group_id=training.group_id,
        group_name=ctx.groups.get(training.group_id, ""),
        module_id=training.module_id,
        module_title=ctx.modules.get(training.module_id, "") if training.module_id else "",
        trainer_id=training.trainer_id,
        trainer_name=ctx.names.get(training.trainer_id, ""),
        title=training.title,
        place=training.place,
        capacity=training.capacity,
        language_level=training.language_level,
        open_for_enrolment=training.open_for_enrolment,
        enrolled=sum(1 for e in enrolments if e.status == EnrolmentStatus.enrolled),
        waiting=sum(1 for e in enrolments if e.status == EnrolmentStatus.waiting),
        sessions=[_session_read(row, number, training) for number, row in enumerate(rows, start=1)],
    )


def _position(enrolment: Enrolment, enrolments: list[Enrolment]) -> int | None:
    if enrolment.status != EnrolmentStatus.waiting:
        return None
    waiting = [e.id for e in enrolments if e.status == EnrolmentStatus.waiting]
    return waiting.index(enrolment.id) + 1


def _last_start(training: TrainingRead) -> datetime | None:
    held = [s.starts_at for s in training.sessions if not s.cancelled]
    return max(held) if held else None


# Access ------------------------------------------------------------------------------------------


async def _training(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, training_id: uuid.UUID, allowed: Iterable[Role]
) -> tuple[Access, WorkshopRepository, Training]:
    access = await programmes.authorize(uow, caller, programme_id, allowed)
    repo = WorkshopRepository(uow.session)
    training = await repo.training(access.scope, training_id)
    if training is None:
        raise NotFound()
    return access, repo, training


def _staff_or_trainer(access: Access, caller: Caller, training: Training) -> None:
    """Staff see every training of their programme; a coach only the ones he trains."""
    if access.role in MANAGING_ROLES:
        return
    if training.trainer_id != caller.person_id:
        raise Forbidden(N_("Only the trainer of this training and programme staff can see this."))


async def _check_trainer(repo: WorkshopRepository, access: Access, trainer_id: uuid.UUID) -> None:
    if not set(TRAINER_ROLES) & await repo.active_roles(access.scope, trainer_id):
        raise InvalidInput(N_("A trainer must be programme staff or a coach of this programme."), field="trainer_id")


# Trainings and their sessions (staff) --------------------------------------------------------------


async def trainer_choices(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    """Who may be a training's trainer: staff and coaches of the programme (names only)."""
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    return await WorkshopRepository(uow.session).people_with_role(access.scope, TRAINER_ROLES)


async def module_choices(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    """The programme's modules a training can be of (id, title)."""
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    titles = await WorkshopRepository(uow.session).module_titles(access.scope)
    return sorted(titles.items(), key=lambda item: item[1].casefold())


async def create_training(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, data: TrainingCreate
) -> TrainingRead:
    """A training with its whole series of sessions, in one go: all of it or nothing."""
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    repo = WorkshopRepository(uow.session)
    group = await repo.group(access.scope, data.group_id)
    if group is None:
        raise InvalidInput(N_("Choose a group of this programme."), field="group_id")
    if data.module_id is not None and data.module_id not in await repo.module_titles(access.scope):
        raise InvalidInput(N_("Choose a module of this programme."), field="module_id")
    await _check_trainer(repo, access, data.trainer_id)
    if not dates.plannable(data.first_date):
        raise InvalidInput(dates.DAY_OUT_OF_RANGE, field="first_date")
    if not dates.series_fits(data.first_date, data.every_days, data.count):
        raise InvalidInput(dates.SERIES_TOO_LATE, field="count")
    zone = _zone(access)
    first = local_start(data.first_date, data.start_time, zone)
    if first <= utcnow():
        raise InvalidInput(
            N_("The first session would be in the past. Choose a later date or time."), field="first_date"
        )
    now = utcnow()
    training = Training(
        organisation_id=access.scope.organisation_id,
        programme_id=access.scope.programme_id,
        group_id=group.id,
        module_id=data.module_id,
        trainer_id=data.trainer_id,
        title=data.title,
        place=data.place,
        capacity=data.capacity or group.capacity,
        language_level=(data.language_level.value if data.language_level else group.language_level),
        open_for_enrolment=data.open_for_enrolment,
        created_by=caller.person_id,
        created_at=now,
    )
    uow.session.add(training)
    await uow.flush()
    rows = [
        TrainingSession(
            organisation_id=access.scope.organisation_id,
            programme_id=access.scope.programme_id,
            training_id=training.id,
            starts_at=local_start(data.first_date + timedelta(days=data.every_days * n), data.start_time, zone),
            duration_minutes=data.duration_minutes,
            place="",
            created_at=now,
        )
        for n in range(data.count)
    ]
    uow.session.add_all(rows)
    await uow.flush()
    uow.emit(Event("workshops.training_created", {"programme_id": str(programme_id), "training_id": str(training.id)}))
    return _training_read(training, await _context(repo, access, [training]))


async def list_trainings(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> list[TrainingRead]:
    """Every training of the programme (staff), or the ones he trains (a coach): no person's data
    beyond the trainer's name and counts."""
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES | {Role.coach})
    repo = WorkshopRepository(uow.session)
    trainer = None if access.role in MANAGING_ROLES else caller.person_id
    trainings = await repo.trainings(access.scope, trainer_id=trainer)
    ctx = await _context(repo, access, trainings)
    return [_training_read(t, ctx) for t in trainings]


@personal_data("workshop_enrolment")
async def training_detail(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, training_id: uuid.UUID
) -> TrainingDetail:
    """A training with its sessions, who is enrolled and the waiting list in order (staff, trainer)."""
    access, repo, training = await _training(uow, caller, programme_id, training_id, MANAGING_ROLES | {Role.coach})
    _staff_or_trainer(access, caller, training)
    ctx = await _context(repo, access, [training])
    enrolments = ctx.enrolments[training.id]
    names = await repo.names(access.scope, [e.person_id for e in enrolments])

    def read(e: Enrolment) -> EnrolmentRead:
        return EnrolmentRead(
            training_id=training.id,
            person_id=e.person_id,
            display_name=names.get(e.person_id, ""),
            status=EnrolmentStatus(e.status),
            position=_position(e, enrolments),
        )

    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[e.person_id for e in enrolments],
        record_kind="workshop_enrolment",
        action=Action.read,
        programme_id=programme_id,
    )
    return TrainingDetail(
        training=_training_read(training, ctx),
        enrolled=[read(e) for e in enrolments if e.status == EnrolmentStatus.enrolled],
        waiting=[read(e) for e in enrolments if e.status == EnrolmentStatus.waiting],
    )


async def update_training(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, training_id: uuid.UUID, data: TrainingUpdate
) -> TrainingRead:
    """Change title, place, places or whether it is open for enrolment. Fewer places than are taken
    is refused (that would overbook); more places go to the waiting list in order."""
    access, repo, training = await _training(uow, caller, programme_id, training_id, MANAGING_ROLES)
    if data.capacity is not None:
        taken = await repo.count_enrolled(training.id)
        if data.capacity < taken:
            raise Conflict(
                N_("%(taken)s people are enrolled already: the training cannot have fewer places than that."),
                params={"taken": taken},
                field="capacity",
            )
        training.capacity = data.capacity
    for name in ("title", "place", "open_for_enrolment"):
        value = getattr(data, name)
        if value is not None:
            setattr(training, name, value)
    await uow.flush()
    await _fill_places(uow, access, repo, training)
    return _training_read(training, await _context(repo, access, [training]))


async def _session(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, session_id: uuid.UUID, allowed: Iterable[Role]
) -> tuple[Access, WorkshopRepository, TrainingSession, Training]:
    access = await programmes.authorize(uow, caller, programme_id, allowed)
    repo = WorkshopRepository(uow.session)
    row = await repo.get_session(access.scope, session_id)
    if row is None:
        raise NotFound()
    training = await repo.training(access.scope, row.training_id)
    assert training is not None
    return access, repo, row, training


async def _read_session(
    repo: WorkshopRepository, access: Access, training: Training, session_id: uuid.UUID
) -> tuple[SessionRead, TrainingRead]:
    read = _training_read(training, await _context(repo, access, [training]))
    return next(s for s in read.sessions if s.id == session_id), read


async def get_session(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, session_id: uuid.UUID
) -> tuple[SessionRead, TrainingRead]:
    access, repo, row, training = await _session(uow, caller, programme_id, session_id, MANAGING_ROLES)
    return await _read_session(repo, access, training, row.id)


async def update_session(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, session_id: uuid.UUID, data: SessionUpdate
) -> SessionRead:
    """Move one session of the series, change its length or its place. Not into the past."""
    access, repo, row, training = await _session(uow, caller, programme_id, session_id, MANAGING_ROLES)
    if row.cancelled_at is not None:
        raise Conflict(N_("This session is cancelled."), field="day")
    if not dates.plannable(data.day):
        raise InvalidInput(dates.DAY_OUT_OF_RANGE, field="day")
    starts = local_start(data.day, data.start_time, _zone(access))
    if starts != _aware(row.starts_at) and starts <= utcnow():
        raise InvalidInput(N_("A session cannot be moved into the past. Choose a later date or time."), field="day")
    row.starts_at = starts
    row.duration_minutes = data.duration_minutes
    row.place = "" if data.place == training.place else data.place
    await uow.flush()
    return (await _read_session(repo, access, training, row.id))[0]


async def cancel_session(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, session_id: uuid.UUID
) -> SessionRead:
    """Cancel one session (it stays in the list as cancelled; no reminder, no attendance)."""
    access, repo, row, training = await _session(uow, caller, programme_id, session_id, MANAGING_ROLES)
    if _aware(row.starts_at) <= utcnow():
        raise Conflict(N_("This session has started already; it cannot be cancelled."))
    row.cancelled_at = row.cancelled_at or utcnow()
    await uow.flush()
    return (await _read_session(repo, access, training, row.id))[0]


# Enrolment and the waiting list -------------------------------------------------------------------


async def _fill_places(
    uow: UnitOfWork, access: Access, repo: WorkshopRepository, training: Training
) -> list[uuid.UUID]:
    """Give free places to the first on the waiting list, in order, and tell each of them."""
    promoted: list[uuid.UUID] = []
    while await repo.count_enrolled(training.id) < training.capacity:
        first = await repo.first_waiting(training.id)
        if first is None:
            break
        first.status = EnrolmentStatus.enrolled.value
        first.changed_at = utcnow()
        await uow.flush()
        promoted.append(first.person_id)
        await notifications.notify(
            uow,
            organisation_id=access.scope.organisation_id,
            programme_id=access.scope.programme_id,
            person_id=first.person_id,
            kind=PLACE_FREED,
            subject_id=training.id,
            link="/trainings",
        )
    return promoted


@personal_data("workshop_enrolment")
async def enrol(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, training_id: uuid.UUID, data: EnrolmentCreate
) -> EnrolmentRead:
    """She enrols herself, or staff enrol her. Beyond the places she goes on the waiting list
    (or, with ``waiting_list`` false, is refused: no overbooking)."""
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES | {Role.participant})
    repo = WorkshopRepository(uow.session)
    training = await repo.training(access.scope, training_id, lock=True)
    if training is None:
        raise NotFound()
    if access.role in MANAGING_ROLES:
        if data.person_id is None:
            raise InvalidInput(N_("Choose who to enrol."), field="person_id")
        person_id = data.person_id
    else:
        if data.person_id not in (None, caller.person_id):
            raise Forbidden(N_("You can only enrol yourself."))
        person_id = caller.person_id
        if not training.open_for_enrolment:
            raise Conflict(N_("This training is not open for enrolment."))
    if Role.participant.value not in await repo.active_roles(access.scope, person_id):
        raise InvalidInput(N_("Only participants of this programme can take part in its trainings."), field="person_id")
    read = _training_read(training, await _context(repo, access, [training]))
    last = _last_start(read)
    if last is None or last <= utcnow():
        raise Conflict(N_("This training is over: there are no sessions left to enrol for."))
    existing = await repo.enrolment(training.id, person_id)
    if existing is not None and existing.status != EnrolmentStatus.withdrawn:
        message = (
            N_("She is enrolled in this training already.")
            if access.role in MANAGING_ROLES
            else N_("You are enrolled in this training already.")
        )
        raise Conflict(message, field="person_id")
    full = await repo.count_enrolled(training.id) >= training.capacity
    if full and not data.waiting_list:
        raise Conflict(
            N_("This training is full (%(capacity)s places). Put her on the waiting list instead."),
            params={"capacity": training.capacity},
            field="person_id",
        )
    status = EnrolmentStatus.waiting if full else EnrolmentStatus.enrolled
    now = utcnow()
    if existing is None:
        existing = Enrolment(
            organisation_id=access.scope.organisation_id,
            programme_id=access.scope.programme_id,
            training_id=training.id,
            person_id=person_id,
            status=status.value,
            queued_at=now,
            enrolled_by=caller.person_id,
            changed_at=now,
        )
        uow.session.add(existing)
    else:
        existing.status, existing.queued_at, existing.changed_at = status.value, now, now
        existing.enrolled_by = caller.person_id
    await uow.flush()
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[person_id],
        record_kind="workshop_enrolment",
        action=Action.create,
        programme_id=programme_id,
    )
    everyone = await repo.enrolments([training.id])
    return EnrolmentRead(
        training_id=training.id, person_id=person_id, status=status, position=_position(existing, everyone)
    )


@personal_data("workshop_enrolment")
async def withdraw(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, training_id: uuid.UUID, person_id: uuid.UUID
) -> list[uuid.UUID]:
    """She withdraws (or staff withdraw her); her place goes to the first on the waiting list, who
    is told. Returns who got a place."""
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES | {Role.participant})
    if access.role not in MANAGING_ROLES and person_id != caller.person_id:
        raise Forbidden(N_("You can only withdraw yourself."))
    repo = WorkshopRepository(uow.session)
    training = await repo.training(access.scope, training_id, lock=True)
    if training is None:
        raise NotFound()
    enrolment = await repo.enrolment(training.id, person_id)
    if enrolment is None or enrolment.status == EnrolmentStatus.withdrawn:
        raise NotFound(N_("She is not enrolled in this training."))
    enrolment.status = EnrolmentStatus.withdrawn.value
    enrolment.changed_at = utcnow()
    await uow.flush()
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[person_id],
        record_kind="workshop_enrolment",
        action=Action.update,
        programme_id=programme_id,
    )
    return await _fill_places(uow, access, repo, training)


async def enrol_choices(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, training_id: uuid.UUID
) -> list[tuple[uuid.UUID, str]]:
    """Participants of the programme not enrolled or waiting yet (staff's enrol form)."""
    access, repo, training = await _training(uow, caller, programme_id, training_id, MANAGING_ROLES)
    taken = {e.person_id for e in await repo.enrolments([training.id])}
    return [
        (p, name) for p, name in await repo.people_with_role(access.scope, (Role.participant.value,)) if p not in taken
    ]


# Her side -----------------------------------------------------------------------------------------


def _rounds_open(read: TrainingRead, now: datetime) -> list[str]:
    """Which rounds can be evaluated now: each held session that has started, and the end once
    the last held session has started."""
    rounds = [str(s.id) for s in read.sessions if not s.cancelled and s.starts_at <= now]
    last = _last_start(read)
    if last is not None and last <= now:
        rounds.append(END)
    return rounds


async def my_trainings(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> list[MyTraining]:
    """Her trainings (enrolled or waiting, with her place on the list) and the ones open to her
    now, each with what she may still evaluate."""
    access = await programmes.authorize(uow, caller, programme_id, {Role.participant})
    repo = WorkshopRepository(uow.session)
    trainings = await repo.trainings(access.scope)
    ctx = await _context(repo, access, trainings)
    done = await repo.evaluated_rounds([t.id for t in trainings], caller.person_id)
    now = utcnow()
    mine: list[MyTraining] = []
    for training in trainings:
        read = _training_read(training, ctx)
        everyone = ctx.enrolments[training.id]
        own = next((e for e in everyone if e.person_id == caller.person_id), None)
        if own is None:
            last = _last_start(read)
            if not training.open_for_enrolment or last is None or last <= now:
                continue
            mine.append(MyTraining(training=read, status=None, position=None, to_evaluate=[]))
            continue
        status = EnrolmentStatus(own.status)
        rounds = _rounds_open(read, now) if status is EnrolmentStatus.enrolled else []
        mine.append(
            MyTraining(
                training=read,
                status=status,
                position=_position(own, everyone),
                to_evaluate=[r for r in rounds if (training.id, r) not in done],
            )
        )
    return mine


async def evaluate(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, training_id: uuid.UUID, data: EvaluationCreate
) -> None:
    """Her grade and comment for a session she is enrolled in, after it started; or for the
    training at the end. Once per round."""
    access, repo, training = await _training(uow, caller, programme_id, training_id, {Role.participant})
    enrolment = await repo.enrolment(training.id, caller.person_id)
    if enrolment is None or enrolment.status != EnrolmentStatus.enrolled:
        raise Forbidden(N_("Only people enrolled in this training can evaluate it."))
    read = _training_read(training, await _context(repo, access, [training]))
    if data.round != END and data.round not in {str(s.id) for s in read.sessions}:
        raise NotFound()
    if data.round not in _rounds_open(read, utcnow()):
        raise Conflict(N_("You can give your opinion once the session has started."), field="grade")
    if (training.id, data.round) in await repo.evaluated_rounds([training.id], caller.person_id):
        raise Conflict(N_("You gave your opinion on this already. Thank you!"), field="grade")
    uow.session.add(
        Evaluation(
            organisation_id=access.scope.organisation_id,
            programme_id=access.scope.programme_id,
            training_id=training.id,
            round=data.round,
            person_id=caller.person_id,
            grade=data.grade,
            comment=data.comment,
            created_at=utcnow(),
        )
    )
    await uow.flush()


async def evaluation_round(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, training_id: uuid.UUID, round_: str
) -> tuple[TrainingRead, SessionRead | None]:
    """What her evaluation form shows: the training and the session (none for the end)."""
    access, repo, training = await _training(uow, caller, programme_id, training_id, {Role.participant})
    read = _training_read(training, await _context(repo, access, [training]))
    if round_ == END:
        return read, None
    found = next((s for s in read.sessions if str(s.id) == round_), None)
    if found is None:
        raise NotFound()
    return read, found


async def evaluation_summary(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, training_id: uuid.UUID
) -> tuple[TrainingRead, list[EvaluationSummary]]:
    """Per session and for the end: how many answered, and from ``MIN_ANSWERS`` on the average
    grade and the comments, without names and in no telling order (trainer and staff)."""
    access, repo, training = await _training(uow, caller, programme_id, training_id, MANAGING_ROLES | {Role.coach})
    _staff_or_trainer(access, caller, training)
    read = _training_read(training, await _context(repo, access, [training]))
    by_round: dict[str, list[Evaluation]] = {}
    for row in await repo.evaluations(training.id):
        by_round.setdefault(row.round, []).append(row)
    rounds: list[tuple[str, int | None]] = [(str(s.id), s.number) for s in read.sessions if not s.cancelled]
    rounds.append((END, None))
    summaries = []
    for key, number in rounds:
        rows = by_round.get(key, [])
        shown = len(rows) >= MIN_ANSWERS
        summaries.append(
            EvaluationSummary(
                round=key,
                label_number=number,
                answers=len(rows),
                shown=shown,
                average=round(sum(r.grade for r in rows) / len(rows), 1) if shown else None,
                comments=sorted(r.comment for r in rows if r.comment.strip()) if shown else [],
            )
        )
    return read, summaries


# The trainer in the room ----------------------------------------------------------------------------


async def trainer_sessions(
    uow: UnitOfWork, caller: Caller, days_back: int = 7, days_ahead: int = 14
) -> list[TrainerSession]:
    """His sessions (as a training's trainer) from a week ago to two weeks ahead, in every programme."""
    await programmes.load_roles(uow, caller)
    assert caller.roles_by_programme is not None
    now = utcnow()
    since, until = now - timedelta(days=days_back), now + timedelta(days=days_ahead)
    found: list[TrainerSession] = []
    for programme_id, roles in caller.roles_by_programme.items():
        if not roles & set(TRAINER_ROLES):
            continue
        access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES | {Role.coach})
        repo = WorkshopRepository(uow.session)
        trainings = await repo.trainings(access.scope, trainer_id=caller.person_id)
        if not trainings:
            continue
        ctx = await _context(repo, access, trainings)
        reads = [_training_read(t, ctx) for t in trainings]
        window = [
            (s, r) for r in reads for s in r.sessions if not s.cancelled and since <= s.ends_at and s.starts_at <= until
        ]
        noted: dict[uuid.UUID, int] = {}
        for row in await repo.attendance([s.id for s, _ in window]):
            noted[row.session_id] = noted.get(row.session_id, 0) + 1
        found += [TrainerSession(session=s, training=r, recorded=noted.get(s.id, 0)) for s, r in window]
    return sorted(found, key=lambda t: t.session.starts_at)


@personal_data("workshop_attendance")
async def attendance_sheet(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, session_id: uuid.UUID
) -> AttendanceSheet:
    """One row per person enrolled, with what was noted (trainer and staff)."""
    access, repo, row, training = await _session(uow, caller, programme_id, session_id, MANAGING_ROLES | {Role.coach})
    _staff_or_trainer(access, caller, training)
    session, read = await _read_session(repo, access, training, row.id)
    enrolled = [e.person_id for e in await repo.enrolments([training.id]) if e.status == EnrolmentStatus.enrolled]
    noted = {a.person_id: a for a in await repo.attendance([row.id])}
    names = await repo.names(access.scope, enrolled)
    rows = [
        AttendanceRow(
            person_id=person,
            display_name=names.get(person, ""),
            status=noted[person].status if person in noted else None,
            reason=noted[person].reason if person in noted else None,
            makeup_assignment_id=noted[person].makeup_assignment_id if person in noted else None,
        )
        for person in sorted(enrolled, key=lambda p: names.get(p, "").casefold())
    ]
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=enrolled,
        record_kind="workshop_attendance",
        action=Action.read,
        programme_id=programme_id,
    )
    can_record = not session.cancelled and session.starts_at <= utcnow() + ATTENDANCE_AHEAD
    return AttendanceSheet(session=session, training=read, rows=rows, can_record=can_record)


@personal_data("workshop_attendance")
async def record_attendance(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, session_id: uuid.UUID, data: AttendanceWrite
) -> int:
    """Note who came, all rows or none: only for people enrolled, not for a cancelled session nor
    for one more than a day ahead. Returns how many rows were noted."""
    access, repo, row, training = await _session(uow, caller, programme_id, session_id, MANAGING_ROLES | {Role.coach})
    _staff_or_trainer(access, caller, training)
    if row.cancelled_at is not None:
        raise Conflict(N_("This session is cancelled: there is no attendance to note."))
    if _aware(row.starts_at) > utcnow() + ATTENDANCE_AHEAD:
        raise Conflict(N_("This session is more than a day away. Note who came on the day itself."))
    enrolled = {e.person_id for e in await repo.enrolments([training.id]) if e.status == EnrolmentStatus.enrolled}
    people = [entry.person_id for entry in data.entries]
    if len(set(people)) != len(people):
        raise InvalidInput(N_("Each person can be noted only once per session."), field="entries")
    strangers = [p for p in people if p not in enrolled]
    if strangers:
        raise InvalidInput(N_("Attendance can only be noted for people enrolled in this training."), field="entries")
    noted = {a.person_id: a for a in await repo.attendance([row.id])}
    now = utcnow()
    for entry in data.entries:
        existing = noted.get(entry.person_id)
        if existing is None:
            uow.session.add(
                Attendance(
                    session_id=row.id,
                    person_id=entry.person_id,
                    organisation_id=access.scope.organisation_id,
                    programme_id=access.scope.programme_id,
                    status=entry.status.value,
                    reason=entry.reason.value if entry.reason else None,
                    recorded_by=caller.person_id,
                    recorded_at=now,
                )
            )
        else:
            existing.status = entry.status.value
            existing.reason = entry.reason.value if entry.reason else None
            existing.recorded_by, existing.recorded_at = caller.person_id, now
    await uow.flush()
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=people,
        record_kind="workshop_attendance",
        action=Action.update,
        programme_id=programme_id,
    )
    return len(people)


async def give_makeup(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, session_id: uuid.UUID, person_id: uuid.UUID
) -> uuid.UUID:
    """A make-up assignment for a missed session: the training's module given to her through the
    assignments feature (which checks that the trainer may give her one). Returns its id."""
    access, repo, row, training = await _session(uow, caller, programme_id, session_id, MANAGING_ROLES | {Role.coach})
    _staff_or_trainer(access, caller, training)
    if training.module_id is None:
        raise Conflict(N_("This training has no module, so there is no make-up assignment to give."))
    noted = next((a for a in await repo.attendance([row.id]) if a.person_id == person_id), None)
    if noted is None or noted.status not in {m.value for m in MISSED}:
        raise Conflict(N_("A make-up assignment is for someone who missed this session."))
    if noted.makeup_assignment_id is not None:
        raise Conflict(N_("She has a make-up assignment for this session already."))
    given = await assignments.assign(
        uow, caller, programme_id, AssignmentCreate(module_id=training.module_id, participant_id=person_id)
    )
    noted.makeup_assignment_id = given[0].id
    await uow.flush()
    return given[0].id


# Reminders the day before ----------------------------------------------------------------------------


def _when_for(language: str, starts: datetime, time_zone: str) -> str:
    """ "dinsdag 8 december, 09:30" in her language and the programme's time zone."""
    language = language if language in i18n.ui_languages() else i18n.DEFAULT_LANGUAGE
    return dates.format_weekday_and_time(starts, language, time_zone)


async def send_reminders(uow: UnitOfWork, now: datetime | None = None) -> int:
    """For the periodic job: a reminder to everyone enrolled in a session that is tomorrow (or
    later today, when the job did not run yesterday), in her language, with the place and the
    time. Once per person and session, however often this runs. Returns how many were made."""
    now = now or utcnow()
    repo = WorkshopRepository(uow.session)
    made = 0
    for row, training, programme in await repo.sessions_between(now, now + timedelta(days=2)):
        zone = dates.zone(programme.time_zone)
        tomorrow = now.astimezone(zone).date() + timedelta(days=1)
        if _aware(row.starts_at).astimezone(zone).date() > tomorrow:
            continue
        people = await repo.enrolled_people(training.id)
        keys = {f"{REMINDER}:{row.id}:{p.id}": p for p in people}
        for key in sorted(set(keys) - await repo.existing_dedupe_keys(list(keys))):
            person = keys[key]
            await notifications.notify(
                uow,
                organisation_id=programme.organisation_id,
                programme_id=programme.id,
                person_id=person.id,
                kind=REMINDER,
                subject_id=row.id,
                link="/trainings",
                params={
                    "when": _when_for(person.language, _aware(row.starts_at), programme.time_zone),
                    # The moment itself, so the list shows it in the language she reads it in.
                    "starts_at": _aware(row.starts_at).isoformat(),
                    "place": row.place or training.place,
                },
                dedupe_key=key,
            )
            made += 1
    await uow.flush()
    return made
