"""Every query of the workshops feature, each filtered by its programme scope (the reminder sweep,
which runs for every programme, excepted)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from eportfolio.modules.tables import Module, ModuleVersion
from eportfolio.notifications.tables import Notification
from eportfolio.programmes.repository import ProgrammeScope
from eportfolio.programmes.tables import Group, Membership, Person, Programme
from eportfolio.workshops.tables import Attendance, Enrolment, Evaluation, Training, TrainingSession


class WorkshopRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # Trainings and sessions ---------------------------------------------------------------------

    async def trainings(self, scope: ProgrammeScope, trainer_id: uuid.UUID | None = None) -> list[Training]:
        query = select(Training).where(
            Training.programme_id == scope.programme_id, Training.organisation_id == scope.organisation_id
        )
        if trainer_id is not None:
            query = query.where(Training.trainer_id == trainer_id)
        result = await self.session.execute(query.order_by(Training.created_at, Training.id))
        return list(result.scalars())

    async def training(self, scope: ProgrammeScope, training_id: uuid.UUID, *, lock: bool = False) -> Training | None:
        query = select(Training).where(
            Training.id == training_id,
            Training.programme_id == scope.programme_id,
            Training.organisation_id == scope.organisation_id,
        )
        if lock:
            # Enrolments of one training take their turn: no two can take the last place.
            query = query.with_for_update()
        result = await self.session.execute(query)
        return result.scalar_one_or_none()

    async def sessions_of(self, training_ids: Sequence[uuid.UUID]) -> list[TrainingSession]:
        if not training_ids:
            return []
        result = await self.session.execute(
            select(TrainingSession)
            .where(TrainingSession.training_id.in_(training_ids))
            .order_by(TrainingSession.training_id, TrainingSession.starts_at, TrainingSession.created_at)
        )
        return list(result.scalars())

    async def get_session(self, scope: ProgrammeScope, session_id: uuid.UUID) -> TrainingSession | None:
        result = await self.session.execute(
            select(TrainingSession).where(
                TrainingSession.id == session_id,
                TrainingSession.programme_id == scope.programme_id,
                TrainingSession.organisation_id == scope.organisation_id,
            )
        )
        return result.scalar_one_or_none()

    async def group(self, scope: ProgrammeScope, group_id: uuid.UUID) -> Group | None:
        result = await self.session.execute(
            select(Group).where(
                Group.id == group_id,
                Group.programme_id == scope.programme_id,
                Group.organisation_id == scope.organisation_id,
            )
        )
        return result.scalar_one_or_none()

    async def groups(self, scope: ProgrammeScope) -> dict[uuid.UUID, Group]:
        result = await self.session.execute(
            select(Group).where(Group.programme_id == scope.programme_id).order_by(Group.name)
        )
        return {g.id: g for g in result.scalars()}

    async def module_titles(self, scope: ProgrammeScope) -> dict[uuid.UUID, str]:
        """Title of each module of the programme (its newest version's)."""
        result = await self.session.execute(
            select(Module.id, ModuleVersion.title, ModuleVersion.number)
            .join(ModuleVersion, ModuleVersion.module_id == Module.id)
            .where(Module.programme_id == scope.programme_id, Module.organisation_id == scope.organisation_id)
            .order_by(Module.id, ModuleVersion.number)
        )
        return {module_id: title for module_id, title, _ in result.tuples()}

    async def active_roles(self, scope: ProgrammeScope, person_id: uuid.UUID) -> set[str]:
        result = await self.session.execute(
            select(Membership.role).where(
                Membership.programme_id == scope.programme_id,
                Membership.person_id == person_id,
                Membership.active.is_(True),
            )
        )
        return set(result.scalars())

    async def people_with_role(self, scope: ProgrammeScope, roles: Sequence[str]) -> list[tuple[uuid.UUID, str]]:
        """Id and name of everyone holding one of these roles in the programme now, by name."""
        result = await self.session.execute(
            select(Person.id, Person.display_name)
            .join(Membership, Membership.person_id == Person.id)
            .where(
                Membership.programme_id == scope.programme_id,
                Membership.role.in_(roles),
                Membership.active.is_(True),
                Person.organisation_id == scope.organisation_id,
            )
            .distinct()
            .order_by(Person.display_name, Person.id)
        )
        return [(person_id, name) for person_id, name in result.tuples()]

    async def names(self, scope: ProgrammeScope, person_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not person_ids:
            return {}
        result = await self.session.execute(
            select(Person.id, Person.display_name).where(
                Person.id.in_(set(person_ids)), Person.organisation_id == scope.organisation_id
            )
        )
        return dict(result.tuples().all())

    # Enrolments -------------------------------------------------------------------------------

    async def enrolments(self, training_ids: Sequence[uuid.UUID]) -> list[Enrolment]:
        """Enrolled and waiting (not withdrawn), the waiting in order of their turn."""
        if not training_ids:
            return []
        result = await self.session.execute(
            select(Enrolment)
            .where(Enrolment.training_id.in_(training_ids), Enrolment.status != "withdrawn")
            .order_by(Enrolment.training_id, Enrolment.queued_at, Enrolment.id)
        )
        return list(result.scalars())

    async def enrolment(self, training_id: uuid.UUID, person_id: uuid.UUID) -> Enrolment | None:
        result = await self.session.execute(
            select(Enrolment).where(Enrolment.training_id == training_id, Enrolment.person_id == person_id)
        )
        return result.scalar_one_or_none()

    async def enrolments_of(self, scope: ProgrammeScope, person_id: uuid.UUID) -> list[Enrolment]:
        result = await self.session.execute(
            select(Enrolment).where(
                Enrolment.programme_id == scope.programme_id,
                Enrolment.person_id == person_id,
                Enrolment.status != "withdrawn",
            )
        )
        return list(result.scalars())

    async def count_enrolled(self, training_id: uuid.UUID) -> int:
        result = await self.session.execute(
            select(func.count()).where(Enrolment.training_id == training_id, Enrolment.status == "enrolled")
        )
        return int(result.scalar_one())

    async def first_waiting(self, training_id: uuid.UUID) -> Enrolment | None:
        result = await self.session.execute(
            select(Enrolment)
            .where(Enrolment.training_id == training_id, Enrolment.status == "waiting")
            .order_by(Enrolment.queued_at, Enrolment.id)
            .limit(1)
        )
        return result.scalar_one_or_none()

    # Attendance and evaluations -----------------------------------------------------------------

    async def attendance(self, session_ids: Sequence[uuid.UUID]) -> list[Attendance]:
        if not session_ids:
            return []
        result = await self.session.execute(select(Attendance).where(Attendance.session_id.in_(session_ids)))
        return list(result.scalars())

    async def evaluations(self, training_id: uuid.UUID) -> list[Evaluation]:
        result = await self.session.execute(
            select(Evaluation).where(Evaluation.training_id == training_id).order_by(Evaluation.comment)
        )
        return list(result.scalars())

    async def evaluated_rounds(
        self, training_ids: Sequence[uuid.UUID], person_id: uuid.UUID
    ) -> set[tuple[uuid.UUID, str]]:
        if not training_ids:
            return set()
        result = await self.session.execute(
            select(Evaluation.training_id, Evaluation.round).where(
                Evaluation.training_id.in_(training_ids), Evaluation.person_id == person_id
            )
        )
        return set(result.tuples().all())

    # Reminders ----------------------------------------------------------------------------------

    async def sessions_between(
        self, start: datetime, end: datetime
    ) -> list[tuple[TrainingSession, Training, Programme]]:
        """Sessions (not cancelled) starting in [start, end), of every programme, for the reminder sweep."""
        result = await self.session.execute(
            select(TrainingSession, Training, Programme)
            .join(Training, Training.id == TrainingSession.training_id)
            .join(Programme, Programme.id == TrainingSession.programme_id)
            .where(
                TrainingSession.starts_at >= start,
                TrainingSession.starts_at < end,
                TrainingSession.cancelled_at.is_(None),
                Programme.archived.is_(False),
            )
            .order_by(TrainingSession.starts_at)
        )
        return [(s, t, p) for s, t, p in result.tuples()]

    async def enrolled_people(self, training_id: uuid.UUID) -> list[Person]:
        result = await self.session.execute(
            select(Person)
            .join(Enrolment, Enrolment.person_id == Person.id)
            .where(Enrolment.training_id == training_id, Enrolment.status == "enrolled")
        )
        return list(result.scalars())

    async def existing_dedupe_keys(self, keys: Sequence[str]) -> set[str]:
        if not keys:
            return set()
        result = await self.session.execute(select(Notification.dedupe_key).where(Notification.dedupe_key.in_(keys)))
        return {key for key in result.scalars() if key}
