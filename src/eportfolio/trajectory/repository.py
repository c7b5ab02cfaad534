"""Every query of the trajectory feature, each filtered by its programme scope (or, for the
reminder job that acts for the system, reading across programmes and naming each row's scope).

Whether a coach may set her dates is the one shared definition of a coach assignment that counts
(``programmes.repository.counting_assignment``): signed by someone else, not ended, his role active.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from eportfolio.domain.trajectory import OutcomeKind, Phase
from eportfolio.notifications.tables import Notification
from eportfolio.programmes.repository import ProgrammeScope, counting_assignment, loaded_scope
from eportfolio.programmes.tables import CoachAssignment, Membership, Person, Programme
from eportfolio.trajectory.tables import TrajectoryOutcome, TrajectoryPhase


@dataclass(frozen=True, slots=True)
class Enrolment:
    """Her participant membership: when she was enrolled, and whether she still takes part."""

    person_id: uuid.UUID
    name: str
    enrolled_at: datetime
    active: bool


@dataclass(frozen=True, slots=True)
class DuePhase:
    """A phase whose reminder may be due, with what the job needs to know of its programme."""

    phase: TrajectoryPhase
    time_zone: str
    # The phase's own programme: it was read across programmes, acting for the system.
    scope: ProgrammeScope


def _left() -> ColumnElement[bool]:
    """The phase's participant left the programme (an outcome says so)."""
    return exists().where(
        TrajectoryOutcome.programme_id == TrajectoryPhase.programme_id,
        TrajectoryOutcome.participant_id == TrajectoryPhase.participant_id,
        TrajectoryOutcome.kind == OutcomeKind.left_programme.value,
    )


def _taking_part() -> ColumnElement[bool]:
    """The phase's participant still takes part (her participant role is active)."""
    return exists().where(
        and_(
            Membership.programme_id == TrajectoryPhase.programme_id,
            Membership.person_id == TrajectoryPhase.participant_id,
            Membership.role == "participant",
            Membership.active.is_(True),
        )
    )


class TrajectoryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # People ------------------------------------------------------------------------------------

    async def enrolments(self, scope: ProgrammeScope, person_id: uuid.UUID | None = None) -> list[Enrolment]:
        """The programme's participants (or one of them), by name."""
        query = (
            select(Membership.person_id, Person.display_name, Membership.created_at, Membership.active)
            .join(Person, Person.id == Membership.person_id)
            .where(
                Membership.programme_id == scope.programme_id,
                Membership.organisation_id == scope.organisation_id,
                Membership.role == "participant",
            )
            .order_by(Person.display_name, Membership.person_id)
        )
        if person_id is not None:
            query = query.where(Membership.person_id == person_id)
        result = await self.session.execute(query)
        return [Enrolment(*row) for row in result.tuples().all()]

    async def coaches_her(
        self, scope: ProgrammeScope, coach_id: uuid.UUID, participant_id: uuid.UUID, today: date
    ) -> bool:
        result = await self.session.execute(
            select(
                exists().where(
                    CoachAssignment.programme_id == scope.programme_id,
                    CoachAssignment.organisation_id == scope.organisation_id,
                    CoachAssignment.coach_id == coach_id,
                    CoachAssignment.participant_id == participant_id,
                    counting_assignment(today),
                )
            )
        )
        return bool(result.scalar_one())

    async def her_coaches(self, scope: ProgrammeScope, participant_id: uuid.UUID, today: date) -> list[uuid.UUID]:
        result = await self.session.execute(
            select(CoachAssignment.coach_id).where(
                CoachAssignment.programme_id == scope.programme_id,
                CoachAssignment.organisation_id == scope.organisation_id,
                CoachAssignment.participant_id == participant_id,
                counting_assignment(today),
            )
        )
        return list(dict.fromkeys(result.scalars()))

    # Phases ------------------------------------------------------------------------------------

    async def phases(self, scope: ProgrammeScope, participant_id: uuid.UUID) -> list[TrajectoryPhase]:
        result = await self.session.execute(
            select(TrajectoryPhase)
            .where(
                TrajectoryPhase.programme_id == scope.programme_id,
                TrajectoryPhase.organisation_id == scope.organisation_id,
                TrajectoryPhase.participant_id == participant_id,
            )
            .order_by(TrajectoryPhase.position)
        )
        return list(result.scalars())

    async def programme_phases(self, scope: ProgrammeScope) -> list[TrajectoryPhase]:
        result = await self.session.execute(
            select(TrajectoryPhase)
            .where(
                TrajectoryPhase.programme_id == scope.programme_id,
                TrajectoryPhase.organisation_id == scope.organisation_id,
            )
            .order_by(TrajectoryPhase.participant_id, TrajectoryPhase.position)
        )
        return list(result.scalars())

    # Outcomes ----------------------------------------------------------------------------------

    async def outcomes(self, scope: ProgrammeScope, participant_id: uuid.UUID) -> list[TrajectoryOutcome]:
        result = await self.session.execute(
            select(TrajectoryOutcome)
            .where(
                TrajectoryOutcome.programme_id == scope.programme_id,
                TrajectoryOutcome.organisation_id == scope.organisation_id,
                TrajectoryOutcome.participant_id == participant_id,
            )
            .order_by(TrajectoryOutcome.occurred_on, TrajectoryOutcome.created_at)
        )
        return list(result.scalars())

    async def left(self, scope: ProgrammeScope) -> set[uuid.UUID]:
        """Who of the programme left it (an outcome "left the programme")."""
        result = await self.session.execute(
            select(TrajectoryOutcome.participant_id).where(
                TrajectoryOutcome.programme_id == scope.programme_id,
                TrajectoryOutcome.organisation_id == scope.organisation_id,
                TrajectoryOutcome.kind == OutcomeKind.left_programme.value,
            )
        )
        return set(result.scalars())

    # Reminders (acting for the system) ---------------------------------------------------------

    async def due_phases(self, phases: Collection[str], planned_until: date) -> list[DuePhase]:
        """Phases of these kinds planned up to ``planned_until`` that have not started, of
        participants who still take part and did not leave the programme, in every programme."""
        result = await self.session.execute(
            select(TrajectoryPhase, Programme.time_zone)
            .join(Programme, Programme.id == TrajectoryPhase.programme_id)
            .where(
                TrajectoryPhase.phase.in_(list(phases)),
                TrajectoryPhase.started_on.is_(None),
                TrajectoryPhase.planned_on <= planned_until,
                Programme.archived.is_(False),
                _taking_part(),
                ~_left(),
            )
            .order_by(TrajectoryPhase.planned_on, TrajectoryPhase.id)
        )
        return [DuePhase(phase, zone, loaded_scope(phase)) for phase, zone in result.tuples().all()]

    async def in_active_coaching(self) -> list[DuePhase]:
        """The active-coaching phase of everyone whose coaching started and whose end measurement
        did not, who still takes part and did not leave, in every programme (her measurements
        are due every few months in this phase)."""
        ended = aliased(TrajectoryPhase)
        end_started = exists().where(
            ended.programme_id == TrajectoryPhase.programme_id,
            ended.participant_id == TrajectoryPhase.participant_id,
            ended.phase == Phase.end_measurement.value,
            ended.started_on.is_not(None),
        )
        result = await self.session.execute(
            select(TrajectoryPhase, Programme.time_zone)
            .join(Programme, Programme.id == TrajectoryPhase.programme_id)
            .where(
                TrajectoryPhase.phase == Phase.coaching.value,
                TrajectoryPhase.started_on.is_not(None),
                Programme.archived.is_(False),
                _taking_part(),
                ~_left(),
                ~end_started,
            )
            .order_by(TrajectoryPhase.programme_id, TrajectoryPhase.participant_id)
        )
        return [DuePhase(phase, zone, loaded_scope(phase)) for phase, zone in result.tuples().all()]

    async def without_trajectory(self) -> list[tuple[Programme, Enrolment]]:
        """Participants who take part in a programme (not archived) and have no phases there yet."""
        has_phases = exists().where(
            TrajectoryPhase.programme_id == Membership.programme_id,
            TrajectoryPhase.participant_id == Membership.person_id,
        )
        result = await self.session.execute(
            select(Programme, Membership.person_id, Person.display_name, Membership.created_at, Membership.active)
            .join(Membership, Membership.programme_id == Programme.id)
            .join(Person, Person.id == Membership.person_id)
            .where(
                Membership.organisation_id == Programme.organisation_id,
                Membership.role == "participant",
                Membership.active.is_(True),
                Programme.archived.is_(False),
                ~has_phases,
            )
            .order_by(Programme.id, Membership.person_id)
        )
        return [
            (programme, Enrolment(person_id, name, enrolled_at, active))
            for programme, person_id, name, enrolled_at, active in result.tuples().all()
        ]

    async def existing_dedupe_keys(self, keys: Collection[str]) -> set[str]:
        if not keys:
            return set()
        result = await self.session.execute(
            select(Notification.dedupe_key).where(Notification.dedupe_key.in_(list(keys)))
        )
        return {key for key in result.scalars() if key is not None}
