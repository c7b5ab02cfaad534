"""Every query of the assignments feature, each filtered by its tenant scope (organisation +
programme), and the notices it reads for the person they are for."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Collection
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from eportfolio.assignments.tables import (
    AssignmentAnswer,
    AssignmentFeedback,
    AssignmentLessonRead,
    ModuleAssignment,
)
from eportfolio.notifications.tables import Notification
from eportfolio.programmes.repository import ProgrammeScope


@functools.cache
def _insert_lesson_read(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(AssignmentLessonRead.__table__)  # type: ignore[arg-type]  # __table__ is typed as FromClause; on a mapped class it is the Table insert/update want
    return statement.on_conflict_do_nothing(index_elements=["assignment_id", "lesson_key"])


class AssignmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # Assignments ---------------------------------------------------------------------------

    async def get_assignment(self, scope: ProgrammeScope, assignment_id: uuid.UUID) -> ModuleAssignment | None:
        result = await self.session.execute(
            select(ModuleAssignment).where(
                ModuleAssignment.id == assignment_id,
                ModuleAssignment.programme_id == scope.programme_id,
                ModuleAssignment.organisation_id == scope.organisation_id,
            )
        )
        return result.scalar_one_or_none()

    async def assignments_of(
        self, scope: ProgrammeScope, participant_ids: Collection[uuid.UUID], *, statuses: Collection[str] = ()
    ) -> list[ModuleAssignment]:
        if not participant_ids:
            return []
        query = select(ModuleAssignment).where(
            ModuleAssignment.programme_id == scope.programme_id,
            ModuleAssignment.organisation_id == scope.organisation_id,
            ModuleAssignment.participant_id.in_(list(participant_ids)),
        )
        if statuses:
            query = query.where(ModuleAssignment.status.in_(list(statuses)))
        result = await self.session.execute(
            query.order_by(ModuleAssignment.due_on.is_(None), ModuleAssignment.due_on, ModuleAssignment.assigned_at)
        )
        return list(result.scalars())

    async def waiting_for_review(
        self, scope: ProgrammeScope, participant_ids: Collection[uuid.UUID]
    ) -> list[ModuleAssignment]:
        if not participant_ids:
            return []
        result = await self.session.execute(
            select(ModuleAssignment)
            .where(
                ModuleAssignment.programme_id == scope.programme_id,
                ModuleAssignment.organisation_id == scope.organisation_id,
                ModuleAssignment.participant_id.in_(list(participant_ids)),
                ModuleAssignment.status == "submitted",
            )
            .order_by(ModuleAssignment.submitted_at)
        )
        return list(result.scalars())

    async def due_before(self, scope: ProgrammeScope | None, last_day: date) -> list[ModuleAssignment]:
        """Open assignments due on or before ``last_day`` (every programme when no scope is given)."""
        query = select(ModuleAssignment).where(
            ModuleAssignment.due_on.is_not(None),
            ModuleAssignment.due_on <= last_day,
            ModuleAssignment.status.in_(["assigned", "in_progress"]),
        )
        if scope is not None:
            query = query.where(
                ModuleAssignment.programme_id == scope.programme_id,
                ModuleAssignment.organisation_id == scope.organisation_id,
            )
        result = await self.session.execute(query)
        return list(result.scalars())

    async def completion_counts(self, scope: ProgrammeScope) -> list[tuple[uuid.UUID, uuid.UUID | None, str, int]]:
        result = await self.session.execute(
            select(
                ModuleAssignment.module_id,
                ModuleAssignment.group_id,
                ModuleAssignment.status,
                func.count(),
            )
            .where(
                ModuleAssignment.programme_id == scope.programme_id,
                ModuleAssignment.organisation_id == scope.organisation_id,
                ModuleAssignment.module_id.is_not(None),
            )
            .group_by(ModuleAssignment.module_id, ModuleAssignment.group_id, ModuleAssignment.status)
        )
        return [(m, g, s, int(n)) for m, g, s, n in result.tuples() if m is not None]

    # Answers and feedback ------------------------------------------------------------------

    async def answers(self, scope: ProgrammeScope, assignment_id: uuid.UUID) -> list[AssignmentAnswer]:
        result = await self.session.execute(
            select(AssignmentAnswer)
            .where(
                AssignmentAnswer.assignment_id == assignment_id,
                AssignmentAnswer.programme_id == scope.programme_id,
                AssignmentAnswer.organisation_id == scope.organisation_id,
            )
            .order_by(AssignmentAnswer.created_at)
        )
        return list(result.scalars())

    async def answered_keys(
        self, scope: ProgrammeScope, assignment_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, set[str]]:
        """Assignment id -> the keys of the questions she answered (one query for a whole list)."""
        if not assignment_ids:
            return {}
        result = await self.session.execute(
            select(AssignmentAnswer.assignment_id, AssignmentAnswer.question_key).where(
                AssignmentAnswer.assignment_id.in_(list(assignment_ids)),
                AssignmentAnswer.programme_id == scope.programme_id,
                AssignmentAnswer.organisation_id == scope.organisation_id,
            )
        )
        found: dict[uuid.UUID, set[str]] = {}
        for assignment_id, key in result.tuples():
            found.setdefault(assignment_id, set()).add(key)
        return found

    # Lessons she read ----------------------------------------------------------------------

    async def lessons_read(
        self, scope: ProgrammeScope, assignment_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, set[str]]:
        """Assignment id -> the keys of the lessons she read (one query for a whole list)."""
        if not assignment_ids:
            return {}
        result = await self.session.execute(
            select(AssignmentLessonRead.assignment_id, AssignmentLessonRead.lesson_key).where(
                AssignmentLessonRead.assignment_id.in_(list(assignment_ids)),
                AssignmentLessonRead.programme_id == scope.programme_id,
                AssignmentLessonRead.organisation_id == scope.organisation_id,
            )
        )
        found: dict[uuid.UUID, set[str]] = {}
        for assignment_id, key in result.tuples():
            found.setdefault(assignment_id, set()).add(key)
        return found

    async def mark_lesson_read(
        self, scope: ProgrammeScope, assignment: ModuleAssignment, lesson_key: str, at: datetime
    ) -> None:
        """Idempotent: reading a lesson twice (two taps, two phones at once) keeps one row."""
        await self.session.execute(
            _insert_lesson_read(self.session.get_bind().dialect.name).values(
                id=uuid.uuid4(),
                organisation_id=scope.organisation_id,
                programme_id=scope.programme_id,
                assignment_id=assignment.id,
                participant_id=assignment.participant_id,
                lesson_key=lesson_key,
                read_at=at,
            )
        )

    async def id_in_use(self, row_id: uuid.UUID) -> bool:
        """Whether an answer, feedback or assignment row already has this browser-made id.

        Not scoped on purpose: ids are primary keys across all programmes, and the answer is only
        "taken" (no row is returned), so nothing of another programme is revealed.
        """
        for table in (AssignmentAnswer, AssignmentFeedback, ModuleAssignment):
            found = await self.session.execute(select(table.id).where(table.id == row_id))
            if found.first() is not None:
                return True
        return False

    async def get_answer(
        self, scope: ProgrammeScope, assignment_id: uuid.UUID, question_key: str
    ) -> AssignmentAnswer | None:
        result = await self.session.execute(
            select(AssignmentAnswer).where(
                AssignmentAnswer.assignment_id == assignment_id,
                AssignmentAnswer.question_key == question_key,
                AssignmentAnswer.programme_id == scope.programme_id,
            )
        )
        return result.scalar_one_or_none()

    async def feedback(self, scope: ProgrammeScope, assignment_id: uuid.UUID) -> list[AssignmentFeedback]:
        result = await self.session.execute(
            select(AssignmentFeedback)
            .where(
                AssignmentFeedback.assignment_id == assignment_id,
                AssignmentFeedback.programme_id == scope.programme_id,
                AssignmentFeedback.organisation_id == scope.organisation_id,
            )
            .order_by(AssignmentFeedback.created_at)
        )
        return list(result.scalars())

    async def get_feedback(
        self, scope: ProgrammeScope, assignment_id: uuid.UUID, feedback_id: uuid.UUID
    ) -> AssignmentFeedback | None:
        result = await self.session.execute(
            select(AssignmentFeedback).where(
                AssignmentFeedback.id == feedback_id,
                AssignmentFeedback.assignment_id == assignment_id,
                AssignmentFeedback.programme_id == scope.programme_id,
            )
        )
        return result.scalar_one_or_none()

    # Notifications (scoped to the person they are for) --------------------------------------

    async def notifications_for(
        self, organisation_id: uuid.UUID, person_id: uuid.UUID, limit: int = 50
    ) -> list[Notification]:
        result = await self.session.execute(
            select(Notification)
            .where(Notification.person_id == person_id, Notification.organisation_id == organisation_id)
            .order_by(Notification.created_at.desc())
            .limit(limit)
        )
        return list(result.scalars())

    async def get_notification(
        self, organisation_id: uuid.UUID, person_id: uuid.UUID, notification_id: uuid.UUID
    ) -> Notification | None:
        result = await self.session.execute(
            select(Notification).where(
                Notification.id == notification_id,
                Notification.person_id == person_id,
                Notification.organisation_id == organisation_id,
            )
        )
        return result.scalar_one_or_none()

    async def existing_dedupe_keys(self, keys: Collection[str]) -> set[str]:
        if not keys:
            return set()
        result = await self.session.execute(
            select(Notification.dedupe_key).where(Notification.dedupe_key.in_(list(keys)))
        )
        return {k for k in result.scalars() if k is not None}

    async def compare_and_set_answer(self, answer_id: uuid.UUID, base_revision: int, values: dict[str, object]) -> bool:
        """Write a new revision only if nobody wrote one since ``base_revision``."""
        result = await self.session.execute(
            update(AssignmentAnswer)
            .where(AssignmentAnswer.id == answer_id, AssignmentAnswer.revision == base_revision)
            .values(**values)
            .execution_options(synchronize_session="fetch")
        )
        return bool(getattr(result, "rowcount", 0))

    async def compare_and_set_feedback(
        self, feedback_id: uuid.UUID, base_revision: int, values: dict[str, object]
    ) -> bool:
        result = await self.session.execute(
            update(AssignmentFeedback)
            .where(AssignmentFeedback.id == feedback_id, AssignmentFeedback.revision == base_revision)
            .values(**values)
            .execution_options(synchronize_session="fetch")
        )
        return bool(getattr(result, "rowcount", 0))
