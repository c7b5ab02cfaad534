"""Every query of the appointments feature, each filtered by its programme scope (the reminder
sweep, which runs without a caller, reads across programmes and names each row's own)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from eportfolio.appointments.tables import COACH_MEETING, Appointment
from eportfolio.notifications.tables import Notification
from eportfolio.programmes.repository import ProgrammeScope, counting_assignment
from eportfolio.programmes.tables import CoachAssignment, Membership, Programme


def _coach_counts(today: date) -> ColumnElement[bool]:
    """The appointment's coach still coaches her: an assignment of his for her counts today."""
    return exists().where(
        CoachAssignment.programme_id == Appointment.programme_id,
        CoachAssignment.participant_id == Appointment.participant_id,
        CoachAssignment.coach_id == Appointment.coach_id,
        counting_assignment(today),
    )


class AppointmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def is_participant(self, scope: ProgrammeScope, person_id: uuid.UUID) -> bool:
        result = await self.session.execute(
            select(Membership.id).where(
                Membership.programme_id == scope.programme_id,
                Membership.person_id == person_id,
                Membership.role == "participant",
                Membership.active.is_(True),
            )
        )
        return result.first() is not None

    async def counting_coach(
        self, scope: ProgrammeScope, coach_id: uuid.UUID, participant_id: uuid.UUID, today: date
    ) -> bool:
        """Whether an assignment of this coach for her counts today (signed by another, current)."""
        result = await self.session.execute(
            select(CoachAssignment.id).where(
                CoachAssignment.programme_id == scope.programme_id,
                CoachAssignment.organisation_id == scope.organisation_id,
                CoachAssignment.coach_id == coach_id,
                CoachAssignment.participant_id == participant_id,
                counting_assignment(today),
            )
        )
        return result.first() is not None

    async def get(self, organisation_id: uuid.UUID, appointment_id: uuid.UUID) -> Appointment | None:
        """One appointment of the organisation; the caller's role in its programme is checked next."""
        result = await self.session.execute(
            select(Appointment).where(Appointment.id == appointment_id, Appointment.organisation_id == organisation_id)
        )
        return result.scalar_one_or_none()

    async def of_participant(
        self,
        scope: ProgrammeScope,
        participant_id: uuid.UUID,
        since: datetime,
        until: datetime | None = None,
        *,
        cancelled: bool = True,
    ) -> list[Appointment]:
        query = select(Appointment).where(
            Appointment.programme_id == scope.programme_id,
            Appointment.organisation_id == scope.organisation_id,
            Appointment.participant_id == participant_id,
            Appointment.ends_at > since,
        )
        if until is not None:
            query = query.where(Appointment.starts_at < until)
        if not cancelled:
            query = query.where(Appointment.cancelled_at.is_(None))
        result = await self.session.execute(query.order_by(Appointment.starts_at, Appointment.id))
        return list(result.scalars())

    async def next_of_participant(
        self, scope: ProgrammeScope, participant_id: uuid.UUID, now: datetime
    ) -> Appointment | None:
        result = await self.session.execute(
            select(Appointment)
            .where(
                Appointment.programme_id == scope.programme_id,
                Appointment.organisation_id == scope.organisation_id,
                Appointment.participant_id == participant_id,
                Appointment.cancelled_at.is_(None),
                Appointment.ends_at > now,
            )
            .order_by(Appointment.starts_at, Appointment.id)
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def of_coach(
        self, scope: ProgrammeScope, coach_id: uuid.UUID, since: datetime, until: datetime, today: date
    ) -> list[Appointment]:
        """His coach meetings in the programme with participants he still coaches."""
        result = await self.session.execute(
            select(Appointment)
            .where(
                Appointment.programme_id == scope.programme_id,
                Appointment.organisation_id == scope.organisation_id,
                Appointment.coach_id == coach_id,
                Appointment.kind == COACH_MEETING,
                Appointment.ends_at > since,
                Appointment.starts_at < until,
                _coach_counts(today),
            )
            .order_by(Appointment.starts_at, Appointment.id)
        )
        return list(result.scalars())

    async def due_for_reminders(self, start_after: datetime, start_before: datetime) -> list[tuple[Appointment, str]]:
        """Appointments not cancelled that start in the window, each with its programme's time zone."""
        result = await self.session.execute(
            select(Appointment, Programme.time_zone)
            .join(Programme, Programme.id == Appointment.programme_id)
            .where(
                Appointment.cancelled_at.is_(None),
                Appointment.starts_at > start_after,
                Appointment.starts_at <= start_before,
            )
            .order_by(Appointment.starts_at)
        )
        return [(row, zone) for row, zone in result.tuples()]

    async def coaches_still_counting(self, appointments: Sequence[Appointment], today: date) -> set[uuid.UUID]:
        """Ids of those coach meetings whose coach still coaches her (only he is reminded)."""
        ids = [a.id for a in appointments if a.coach_id is not None]
        if not ids:
            return set()
        result = await self.session.execute(select(Appointment.id).where(Appointment.id.in_(ids), _coach_counts(today)))
        return set(result.scalars())

    async def existing_dedupe_keys(self, keys: Sequence[str]) -> set[str]:
        if not keys:
            return set()
        result = await self.session.execute(select(Notification.dedupe_key).where(Notification.dedupe_key.in_(keys)))
        return {key for key in result.scalars() if key}
