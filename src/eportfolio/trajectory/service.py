"""Use cases of the trajectory feature: her phases and outcomes, the staff overview, and the
reminders of the end measurement and the follow-ups. One transaction each.

Who may do what:

- she reads her own trajectory;
- a coach with a coach assignment for her that counts (signed by someone else, not ended) reads
  it and sets dates and records outcomes; another coach of the programme is refused;
- programme staff (and organisation admins) read and change every trajectory of the programme
  and see the overview; staff of another programme do not find it.

A trajectory that does not exist yet is made from the defaults (``default_plan``) the first time
anyone opens it (or staff open the overview). Phase dates keep the order of the phases: a phase is
never planned, nor started, before the phase before it.
"""

from __future__ import annotations

import calendar
import uuid
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from eportfolio.domain.people import MANAGING_ROLES, Role
from eportfolio.domain.trajectory import (
    NOTHING_TO_CHANGE,
    PHASES,
    REASON_ONLY_WHEN_LEFT,
    REASON_REQUIRED,
    REMINDED_PHASES,
    LatePhase,
    OutcomeCreate,
    OutcomeKind,
    OutcomeRead,
    OverduePerson,
    Phase,
    PhaseCount,
    PhaseMember,
    PhaseRead,
    PhaseUpdate,
    TrajectoryOverview,
    TrajectoryRead,
)
from eportfolio.kit.audit import Action, personal_data, record_access
from eportfolio.kit.auth import Caller
from eportfolio.kit.clock import utcnow
from eportfolio.kit.errors import N_, Forbidden, InvalidInput, NotFound
from eportfolio.kit.uow import UnitOfWork
from eportfolio.measurements import service as measurements
from eportfolio.notifications import service as notifications
from eportfolio.programmes import service as programmes
from eportfolio.programmes.service import Access
from eportfolio.programmes.tables import Programme
from eportfolio.trajectory.repository import Enrolment, TrajectoryRepository
from eportfolio.trajectory.tables import TrajectoryOutcome, TrajectoryPhase

# What the domain model's validators say (``domain.trajectory``), listed so they are translated.
VALIDATOR_MESSAGES = (
    N_("Write down why she left the programme."),
    N_("A reason is only asked when she left the programme."),
    N_("Fill in a planned date or a start date."),
)
assert VALIDATOR_MESSAGES == (REASON_REQUIRED, REASON_ONLY_WHEN_LEFT, NOTHING_TO_CHANGE)

READERS = MANAGING_ROLES | {Role.coach, Role.participant}
EDITORS = MANAGING_ROLES | {Role.coach}

# The defaults of a new trajectory, counted from her enrolment (see docs/trajectory.md).
INTAKE_AFTER = timedelta(days=14)
ANALYSIS_MONTHS = 3
FOLLOW_UPS = {Phase.follow_up_6: 6, Phase.follow_up_12: 12, Phase.closed: 12}

# Dates a person can mean: nothing before this, planned dates at most this far ahead, outcomes
# at most a year ahead (a place in education that starts after the summer).
EARLIEST = date(2000, 1, 1)
PLANNED_AHEAD_YEARS = 10
OUTCOME_AHEAD = timedelta(days=366)

# Reminders: a phase planned within this many days (or passed) without an actual date.
REMINDER_DAYS = 7
HER_REMINDER = "trajectory_due"
COACH_REMINDER = "trajectory_due_coach"
# During coaching she and her coach measure how far she has come every six months (Droommoeders'
# bridge); the first is due when coaching starts.
MEASUREMENT_EVERY = timedelta(days=182)
HER_MEASUREMENT_REMINDER = "measurement_due"
COACH_MEASUREMENT_REMINDER = "measurement_due_coach"

NOT_IN_PROGRAMME = N_("She is not a participant of this programme.")
NOT_HER_COACH = N_("Only her own coach or programme staff can do this.")
ONLY_HER_OWN = N_("You can only see your own trajectory.")


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the last day of a shorter month)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def default_plan(enrolled_on: date, trajectory_months: int) -> dict[Phase, tuple[date, date | None]]:
    """Planned (and, for her application, actual) dates of a new trajectory."""
    end = add_months(enrolled_on, trajectory_months)
    plan: dict[Phase, tuple[date, date | None]] = {
        Phase.application: (enrolled_on, enrolled_on),
        Phase.intake: (enrolled_on + INTAKE_AFTER, None),
        Phase.coaching: (add_months(enrolled_on, ANALYSIS_MONTHS), None),
        Phase.end_measurement: (end, None),
    }
    for phase, months in FOLLOW_UPS.items():
        plan[phase] = (add_months(end, months), None)
    return plan


def _today(programme: Programme) -> date:
    return utcnow().astimezone(ZoneInfo(programme.time_zone)).date()


def _enrolled_on(enrolment: Enrolment, programme: Programme) -> date:
    return enrolment.enrolled_at.astimezone(ZoneInfo(programme.time_zone)).date()


# Access ------------------------------------------------------------------------------------


async def _access(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, participant_id: uuid.UUID, *, edit: bool
) -> tuple[Access, Enrolment]:
    """The caller's access to her trajectory, or a refusal: not found for another programme or
    someone outside it, forbidden for the wrong role or another coach."""
    access = await programmes.authorize(uow, caller, programme_id, EDITORS if edit else READERS)
    repo = TrajectoryRepository(uow.session)
    if access.role is Role.participant and participant_id != caller.person_id:
        raise Forbidden(ONLY_HER_OWN)
    found = await repo.enrolments(access.scope, participant_id)
    if not found:
        raise NotFound(NOT_IN_PROGRAMME)
    if access.role is Role.coach and not await repo.coaches_her(
        access.scope, caller.person_id, participant_id, _today(access.programme)
    ):
        # Coach and staff at once: as staff.
        if not await programmes.roles_in(uow, caller, programme_id) & MANAGING_ROLES:
            raise Forbidden(NOT_HER_COACH)
        access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    return access, found[0]


def _default_rows(programme: Programme, enrolment: Enrolment) -> list[TrajectoryPhase]:
    plan = default_plan(_enrolled_on(enrolment, programme), programme.trajectory_months)
    now = utcnow()
    return [
        TrajectoryPhase(
            organisation_id=programme.organisation_id,
            programme_id=programme.id,
            participant_id=enrolment.person_id,
            phase=phase.value,
            position=position,
            planned_on=plan[phase][0],
            started_on=plan[phase][1],
            updated_by=None,
            updated_at=now,
        )
        for position, phase in enumerate(PHASES)
    ]


async def _ensure_phases(
    uow: UnitOfWork, access: Access, enrolment: Enrolment, phases: list[TrajectoryPhase] | None = None
) -> list[TrajectoryPhase]:
    """Her phases, made from the defaults when she has none yet."""
    repo = TrajectoryRepository(uow.session)
    rows = phases if phases is not None else await repo.phases(access.scope, enrolment.person_id)
    if rows:
        return rows
    rows = _default_rows(access.programme, enrolment)
    uow.session.add_all(rows)
    await uow.flush()
    return rows


def _current(rows: list[TrajectoryPhase]) -> Phase | None:
    started = [row for row in rows if row.started_on is not None]
    return Phase(max(started, key=lambda row: row.position).phase) if started else None


def _phase_reads(rows: list[TrajectoryPhase], today: date) -> list[PhaseRead]:
    current = _current(rows)
    return [
        PhaseRead(
            phase=Phase(row.phase),
            planned_on=row.planned_on,
            started_on=row.started_on,
            overdue=row.started_on is None and row.planned_on < today,
            current=current is not None and row.phase == current.value,
        )
        for row in rows
    ]


def _outcome_read(row: TrajectoryOutcome) -> OutcomeRead:
    return OutcomeRead(
        id=row.id,
        kind=OutcomeKind(row.kind),
        occurred_on=row.occurred_on,
        reason=row.reason,
        recorded_by=row.recorded_by,
        created_at=row.created_at,
    )


async def _read(uow: UnitOfWork, access: Access, enrolment: Enrolment, rows: list[TrajectoryPhase]) -> TrajectoryRead:
    outcomes = await TrajectoryRepository(uow.session).outcomes(access.scope, enrolment.person_id)
    return TrajectoryRead(
        programme_id=access.scope.programme_id,
        participant_id=enrolment.person_id,
        participant_name=enrolment.name,
        enrolled_on=_enrolled_on(enrolment, access.programme),
        current_phase=_current(rows),
        phases=_phase_reads(rows, _today(access.programme)),
        outcomes=[_outcome_read(o) for o in outcomes],
        can_edit=access.role in EDITORS,
    )


# Reading -----------------------------------------------------------------------------------


@personal_data("trajectory")
async def get_trajectory(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, participant_id: uuid.UUID
) -> TrajectoryRead:
    """Her phases and outcomes (made from the defaults the first time it is opened)."""
    access, enrolment = await _access(uow, caller, programme_id, participant_id, edit=False)
    rows = await _ensure_phases(uow, access, enrolment)
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[participant_id],
        record_kind="trajectory",
        action=Action.read,
        programme_id=programme_id,
    )
    return await _read(uow, access, enrolment, rows)


async def my_trajectories(uow: UnitOfWork, caller: Caller) -> list[tuple[str, str, TrajectoryRead]]:
    """Her own trajectory in every programme she takes part in: (programme name, time zone, it)."""
    await programmes.load_roles(uow, caller)
    assert caller.roles_by_programme is not None
    mine = []
    for programme in await programmes.list_programmes(uow, caller):
        if Role.participant.value in caller.roles_by_programme.get(programme.id, frozenset()):
            read = await get_trajectory(uow, caller, programme.id, caller.person_id)
            mine.append((programme.name, programme.time_zone, read))
    return mine


# Changing ----------------------------------------------------------------------------------


def _check_order(rows: list[TrajectoryPhase], changed: TrajectoryPhase) -> None:
    """Refuse a phase planned or started before the phase before it, or after the phase after it."""
    for attribute, field in (("planned_on", "planned_on"), ("started_on", "started_on")):
        mine = getattr(changed, attribute)
        if mine is None:
            continue
        earlier = [getattr(r, attribute) for r in rows if r.position < changed.position]
        later = [getattr(r, attribute) for r in rows if r.position > changed.position]
        previous = next((d for d in reversed(earlier) if d is not None), None)
        following = next((d for d in later if d is not None), None)
        if previous is not None and mine < previous:
            raise InvalidInput(
                N_(
                    "This date is before the date of the phase before it (%(date)s). "
                    "Choose a later date, or change that phase first."
                ),
                params={"date": previous.isoformat()},
                field=field,
            )
        if following is not None and mine > following:
            raise InvalidInput(
                N_(
                    "This date is after the date of the phase after it (%(date)s). "
                    "Choose an earlier date, or change that phase first."
                ),
                params={"date": following.isoformat()},
                field=field,
            )


@personal_data("trajectory")
async def set_phase(
    uow: UnitOfWork,
    caller: Caller,
    programme_id: uuid.UUID,
    participant_id: uuid.UUID,
    phase: Phase,
    data: PhaseUpdate,
) -> TrajectoryRead:
    """Her coach or staff set a phase's planned date, its actual (start) date, or both."""
    access, enrolment = await _access(uow, caller, programme_id, participant_id, edit=True)
    rows = await _ensure_phases(uow, access, enrolment)
    today = _today(access.programme)
    latest = add_months(today, PLANNED_AHEAD_YEARS * 12)
    if data.planned_on is not None and not EARLIEST <= data.planned_on <= latest:
        raise InvalidInput(
            N_("Choose a date between %(earliest)s and %(latest)s."),
            params={"earliest": EARLIEST.isoformat(), "latest": latest.isoformat()},
            field="planned_on",
        )
    if data.started_on is not None and data.started_on > today:
        raise InvalidInput(
            N_("This phase cannot have started on a day still to come. Set its planned date instead."),
            field="started_on",
        )
    if data.started_on is not None and data.started_on < EARLIEST:
        raise InvalidInput(
            N_("Choose a date between %(earliest)s and %(latest)s."),
            params={"earliest": EARLIEST.isoformat(), "latest": today.isoformat()},
            field="started_on",
        )
    row = next(r for r in rows if r.phase == phase.value)
    # Checked on a copy first, so that a refusal leaves the row as it was.
    trial = TrajectoryPhase(
        position=row.position,
        planned_on=data.planned_on or row.planned_on,
        started_on=None if data.clear_started else (data.started_on or row.started_on),
    )
    _check_order([r for r in rows if r is not row], trial)
    row.planned_on = trial.planned_on
    row.started_on = trial.started_on
    row.updated_by = caller.person_id
    row.updated_at = utcnow()
    await uow.flush()
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[participant_id],
        record_kind="trajectory",
        action=Action.update,
        programme_id=programme_id,
    )
    return await _read(uow, access, enrolment, rows)


@personal_data("trajectory")
async def add_outcome(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, participant_id: uuid.UUID, data: OutcomeCreate
) -> OutcomeRead:
    """Her coach or staff record what she reached (or that she left, with the reason)."""
    access, enrolment = await _access(uow, caller, programme_id, participant_id, edit=True)
    today = _today(access.programme)
    if not EARLIEST <= data.occurred_on <= today + OUTCOME_AHEAD:
        raise InvalidInput(
            N_("Choose a date between %(earliest)s and %(latest)s."),
            params={"earliest": EARLIEST.isoformat(), "latest": (today + OUTCOME_AHEAD).isoformat()},
            field="occurred_on",
        )
    await _ensure_phases(uow, access, enrolment)
    row = TrajectoryOutcome(
        organisation_id=access.scope.organisation_id,
        programme_id=access.scope.programme_id,
        participant_id=participant_id,
        kind=data.kind.value,
        occurred_on=data.occurred_on,
        reason=data.reason if data.kind is OutcomeKind.left_programme else None,
        recorded_by=caller.person_id,
        created_at=utcnow(),
    )
    uow.session.add(row)
    await uow.flush()
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[participant_id],
        record_kind="trajectory",
        action=Action.create,
        programme_id=programme_id,
    )
    return _outcome_read(row)


# The staff overview ------------------------------------------------------------------------


@personal_data("trajectory")
async def overview(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> TrajectoryOverview:
    """Per phase how many participants are in it, and who is overdue (a planned date passed
    without an actual date). Participants who left the programme are counted apart."""
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    repo = TrajectoryRepository(uow.session)
    enrolments = [e for e in await repo.enrolments(access.scope) if e.active]
    by_person: dict[uuid.UUID, list[TrajectoryPhase]] = {}
    for row in await repo.programme_phases(access.scope):
        by_person.setdefault(row.participant_id, []).append(row)
    left = await repo.left(access.scope)
    today = _today(access.programme)
    counts: dict[Phase | None, int] = {None: 0, **dict.fromkeys(PHASES, 0)}
    overdue: list[OverduePerson] = []
    members: dict[Phase | None, list[PhaseMember]] = {}
    for enrolment in enrolments:
        rows = await _ensure_phases(uow, access, enrolment, by_person.get(enrolment.person_id, []))
        if enrolment.person_id in left:
            continue
        current = _current(rows)
        counts[current] += 1
        members.setdefault(current, []).append(PhaseMember(participant_id=enrolment.person_id,
                                                           participant_name=enrolment.name))
        late = [row for row in rows if row.started_on is None and row.planned_on < today]
        if late:
            overdue.append(
                OverduePerson(
                    participant_id=enrolment.person_id,
                    participant_name=enrolment.name,
                    phases=[Phase(row.phase) for row in late],
                    since=min(row.planned_on for row in late),
                    late=sorted(
                        (LatePhase(phase=Phase(row.phase), planned_on=row.planned_on) for row in late),
                        key=lambda p: p.planned_on,
                    ),
                )
            )
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[e.person_id for e in enrolments],
        record_kind="trajectory",
        action=Action.read,
        programme_id=programme_id,
    )
    return TrajectoryOverview(
        programme_id=programme_id,
        participants=len(enrolments) - len(left & {e.person_id for e in enrolments}),
        counts=[
            PhaseCount(
                phase=phase,
                count=count,
                people=sorted(members.get(phase, []), key=lambda m: (m.participant_name, str(m.participant_id))),
            )
            for phase, count in counts.items()
        ],
        overdue=sorted(overdue, key=lambda o: (o.since, o.participant_name)),
        left=len(left & {e.person_id for e in enrolments}),
    )


# Reminders ---------------------------------------------------------------------------------


def her_link() -> str:
    return "/my/trajectory"


def coach_link(programme_id: uuid.UUID, participant_id: uuid.UUID) -> str:
    return f"/caseload/programmes/{programme_id}/participants/{participant_id}/trajectory"


async def send_reminders(uow: UnitOfWork) -> int:
    """Remind her and her coach once per phase of an end measurement or follow-up planned within
    ``REMINDER_DAYS`` (or passed) that has not started; returns how many notices were made.

    Participants who take part but have no trajectory yet get one from the defaults first.

    Runs without a caller (``eportfolio trajectory-reminders``, a timer; or the development
    server's own loop). The notice says only that a date is coming up; the dedupe key
    ``trajectory_due:<phase>:<person>`` makes a second run, or a run in another process, add
    nothing (the notification's unique key refuses a double).
    """
    repo = TrajectoryRepository(uow.session)
    # Whoever takes part and whose trajectory nobody opened yet gets hers from the defaults, so
    # that her end measurement and follow-ups are reminded of too.
    for programme, enrolment in await repo.without_trajectory():
        uow.session.add_all(_default_rows(programme, enrolment))
    await uow.flush()
    # Wide enough for every time zone; each row is checked against its programme's own today.
    until = utcnow().date() + timedelta(days=REMINDER_DAYS + 1)
    made = 0
    for due in await repo.due_phases([p.value for p in REMINDED_PHASES], until):
        phase = due.phase
        today = utcnow().astimezone(ZoneInfo(due.time_zone)).date()
        if phase.planned_on > today + timedelta(days=REMINDER_DAYS):
            continue
        coaches = await repo.her_coaches(due.scope, phase.participant_id, today)
        wanted = {f"trajectory_due:{phase.id}:{phase.participant_id}": (phase.participant_id, HER_REMINDER)}
        for coach in coaches:
            wanted[f"trajectory_due:{phase.id}:{coach}"] = (coach, COACH_REMINDER)
        links = {HER_REMINDER: her_link(), COACH_REMINDER: coach_link(phase.programme_id, phase.participant_id)}
        made += await _notify_once(uow, repo, phase, phase.id, wanted, links)
    made += await _measurement_reminders(uow, repo)
    await uow.flush()
    return made


def measurement_due_on(coaching_started: date, last_measured: date | None) -> date:
    """When her next measurement is due: at the start of coaching if she has none yet, else six
    months after the last one (never before coaching started)."""
    if last_measured is None or last_measured < coaching_started:
        return coaching_started
    return last_measured + MEASUREMENT_EVERY


async def _measurement_reminders(uow: UnitOfWork, repo: TrajectoryRepository) -> int:
    """Remind her and her coach once when a measurement is due in coaching (within
    ``REMINDER_DAYS`` or passed). The dedupe key names the date it is due, so a measurement
    handed in moves the next reminder six months on, and a second run adds nothing."""
    coaching = await repo.in_active_coaching()
    last = await measurements.last_measured(uow, [(d.phase.programme_id, d.phase.participant_id) for d in coaching])
    made = 0
    for due in coaching:
        phase = due.phase
        assert phase.started_on is not None  # the query asks for started coaching
        zone = ZoneInfo(due.time_zone)
        today = utcnow().astimezone(zone).date()
        measured = last.get((phase.programme_id, phase.participant_id))
        due_on = measurement_due_on(phase.started_on, measured.astimezone(zone).date() if measured else None)
        if due_on > today + timedelta(days=REMINDER_DAYS):
            continue
        # At most 100 characters: the coaching phase names her in her programme.
        stem = f"measure_due:{phase.id}:{due_on:%Y%m%d}"
        wanted = {f"{stem}:{phase.participant_id}": (phase.participant_id, HER_MEASUREMENT_REMINDER)}
        for coach in await repo.her_coaches(due.scope, phase.participant_id, today):
            wanted[f"{stem}:{coach}"] = (coach, COACH_MEASUREMENT_REMINDER)
        links = {
            HER_MEASUREMENT_REMINDER: "/my/growth",
            COACH_MEASUREMENT_REMINDER: f"/growth/programmes/{phase.programme_id}/participants/{phase.participant_id}",
        }
        made += await _notify_once(uow, repo, phase, phase.participant_id, wanted, links)
    return made


async def _notify_once(
    uow: UnitOfWork,
    repo: TrajectoryRepository,
    phase: TrajectoryPhase,
    subject_id: uuid.UUID,
    wanted: dict[str, tuple[uuid.UUID, str]],
    links: dict[str, str],
) -> int:
    """Make the notices ``wanted`` (dedupe key -> person and kind) that were not made before;
    returns how many were made."""
    made = 0
    for key in sorted(set(wanted) - await repo.existing_dedupe_keys(list(wanted))):
        person_id, kind = wanted[key]
        await notifications.notify(
            uow,
            organisation_id=phase.organisation_id,
            programme_id=phase.programme_id,
            person_id=person_id,
            kind=kind,
            subject_id=subject_id,
            link=links[kind],
            dedupe_key=key,
        )
        made += 1
    return made
