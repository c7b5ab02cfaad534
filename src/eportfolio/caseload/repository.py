"""The queries of the coach's caseload, her "today" and the menu's counts.

They only read the tables of other features (assignments, chat, notifications, portfolio, programmes)
and never what anyone wrote: seqs and read markers, statuses, due dates and timestamps, which
``CRYPTO.md`` ("What the server can read") allows. Each is one statement however many people it
covers, so a page costs the same for a coach with 2 participants or with 50.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Uuid, and_, bindparam, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from eportfolio.assignments.tables import AssignmentAnswer, ModuleAssignment
from eportfolio.chat.repository import ChatRepository
from eportfolio.chat.tables import Conversation, Marker, Message
from eportfolio.kit.db import UTCDateTime
from eportfolio.measurements.tables import Measurement, MeasurementSide
from eportfolio.notifications.service import PORTFOLIO_COMMENT
from eportfolio.notifications.tables import Notification
from eportfolio.portfolio.tables import Portfolio, PortfolioItem
from eportfolio.programmes.repository import counting_assignment
from eportfolio.programmes.tables import CoachAssignment, Person

OPEN_ASSIGNMENT = ("assigned", "in_progress")
# A goal plan whose next step is still to do (its plaintext status, filled in by her browser).
OPEN_GOAL = ("open", "in_progress")
# Audiences that include her coaches: an "only me" item is not counted for anyone but her.
SHARED_WITH_COACHES = ("my_coaches", "chosen")


@dataclass(frozen=True, slots=True)
class Counts:
    notifications: int = 0
    chat: int = 0
    review: int = 0
    assignments: int = 0


@functools.cache
def _counts_statement(*, chat: bool, review: bool, assignments: bool) -> Any:
    """The menu's counts as one statement with bound parameters (``organisation_id``,
    ``person_id``, ``today``, ``now``), built once per combination of counts: every signed-in
    page runs it, and building it (the chat's membership rules are a large expression) and
    working out its cache key cost more than running it."""
    # Typed ``Any``: the chat's and the programmes' query builders take values, and a bound
    # parameter stands in for one in every comparison they make.
    organisation_id: Any = bindparam("organisation_id", type_=Uuid())
    person_id: Any = bindparam("person_id", type_=Uuid())
    today: Any = bindparam("today", type_=Date())
    now: Any = bindparam("now", type_=UTCDateTime())
    zero = literal(0)
    notifications = (
        select(func.count())
        .select_from(Notification)
        .where(
            Notification.organisation_id == organisation_id,
            Notification.person_id == person_id,
            Notification.read_at.is_(None),
        )
        .scalar_subquery()
    )
    unread = (
        ChatRepository.unread_total_query(organisation_id, person_id, today, now).scalar_subquery() if chat else zero
    )
    my_participants = select(CoachAssignment.participant_id).where(
        CoachAssignment.coach_id == person_id,
        CoachAssignment.programme_id == ModuleAssignment.programme_id,
        counting_assignment(today),
    )
    to_review = (
        select(func.count())
        .select_from(ModuleAssignment)
        .where(
            ModuleAssignment.organisation_id == organisation_id,
            ModuleAssignment.status == "submitted",
            ModuleAssignment.participant_id.in_(my_participants),
        )
        .scalar_subquery()
        if review
        else zero
    )
    open_assignments = (
        select(func.count())
        .select_from(ModuleAssignment)
        .where(
            ModuleAssignment.organisation_id == organisation_id,
            ModuleAssignment.participant_id == person_id,
            ModuleAssignment.status.in_(OPEN_ASSIGNMENT),
        )
        .scalar_subquery()
        if assignments
        else zero
    )
    return select(notifications, unread, to_review, open_assignments)


@dataclass(frozen=True, slots=True)
class CaseloadRow:
    assignment_id: uuid.UUID
    participant_id: uuid.UUID
    name: str
    signed_record: bool
    signed_by: uuid.UUID | None
    coach_id: uuid.UUID
    conversation_id: uuid.UUID | None
    unread: int
    waiting_since: datetime | None
    portfolio_id: uuid.UUID | None
    to_review: int
    overdue: int
    goals_due: int
    last_message_at: datetime | None
    last_item_at: datetime | None
    last_answer_at: datetime | None
    # Measurements where her self-score is in and no coach's score yet, and the oldest of them.
    scores_waiting: int = 0
    score_measurement_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Today:
    conversation_id: uuid.UUID | None
    unread: int
    feedback: int
    feedback_assignment_id: uuid.UUID | None
    portfolio_id: uuid.UUID | None
    goal_plan_id: uuid.UUID | None
    goal_due_on: date | None
    goal_progress: int | None
    goal_status: str | None
    # Items with a reply of her coach she has not seen (her unread notices), and where the newest is.
    replies: int = 0
    reply_link: str | None = None


class CaseloadRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def counts(
        self,
        organisation_id: uuid.UUID,
        person_id: uuid.UUID,
        *,
        today: date,
        now: datetime,
        chat: bool,
        review: bool,
        assignments: bool,
    ) -> Counts:
        """The menu's counts in one statement; a count she has no use for is not asked."""
        statement = _counts_statement(chat=chat, review=review, assignments=assignments)
        values = {"organisation_id": organisation_id, "person_id": person_id, "today": today, "now": now}
        row = (await self.session.execute(statement, values)).one()
        return Counts(*(int(value or 0) for value in row))

    async def caseload(
        self, organisation_id: uuid.UUID, programme_id: uuid.UUID, coach_id: uuid.UUID, today: date
    ) -> list[CaseloadRow]:
        """One row per current coach assignment of this coach (signed or not), with what waits."""
        ca = CoachAssignment
        conversation = (
            select(Conversation.id, Conversation.last_seq, Conversation.waiting_since, Conversation.participant_id)
            .where(Conversation.programme_id == programme_id, Conversation.kind == "coaching")
            .subquery()
        )
        portfolio = (
            select(Portfolio.id, Portfolio.participant_id).where(Portfolio.programme_id == programme_id).subquery()
        )
        her_assignments = and_(
            ModuleAssignment.programme_id == programme_id,
            ModuleAssignment.organisation_id == organisation_id,
            ModuleAssignment.participant_id == ca.participant_id,
        )
        to_review = (
            select(func.count())
            .select_from(ModuleAssignment)
            .where(her_assignments, ModuleAssignment.status == "submitted")
            .scalar_subquery()
        )
        overdue = (
            select(func.count())
            .select_from(ModuleAssignment)
            .where(her_assignments, ModuleAssignment.status.in_(OPEN_ASSIGNMENT), ModuleAssignment.due_on < today)
            .scalar_subquery()
        )
        goals_due = (
            select(func.count())
            .select_from(PortfolioItem)
            .where(
                PortfolioItem.portfolio_id == portfolio.c.id,
                PortfolioItem.kind == "goal_plan",
                PortfolioItem.audience.in_(SHARED_WITH_COACHES),
                or_(PortfolioItem.status.is_(None), PortfolioItem.status.in_(OPEN_GOAL)),
                PortfolioItem.occurred_on <= today,
            )
            .scalar_subquery()
        )
        last_message = (
            select(func.max(Message.created_at))
            .where(Message.conversation_id == conversation.c.id, Message.author_id == ca.participant_id)
            .scalar_subquery()
        )
        last_item = (
            select(func.max(PortfolioItem.updated_at))
            .where(
                PortfolioItem.portfolio_id == portfolio.c.id,
                PortfolioItem.author_id == ca.participant_id,
                PortfolioItem.audience.in_(SHARED_WITH_COACHES),
            )
            .scalar_subquery()
        )
        last_answer = (
            select(func.max(AssignmentAnswer.updated_at))
            .where(
                AssignmentAnswer.programme_id == programme_id,
                AssignmentAnswer.participant_id == ca.participant_id,
                AssignmentAnswer.author_id == ca.participant_id,
            )
            .scalar_subquery()
        )
        # Her self-score is in, the coach's side is not: the measurement waits for his score.
        her_side = MeasurementSide.__table__.alias("her_side")
        coach_side = MeasurementSide.__table__.alias("coach_side")
        waits_for_coach = and_(
            Measurement.organisation_id == organisation_id,
            Measurement.programme_id == programme_id,
            Measurement.participant_id == ca.participant_id,
            select(her_side.c.id)
            .where(her_side.c.measurement_id == Measurement.id, her_side.c.side == "self")
            .exists(),
            ~select(coach_side.c.id)
            .where(coach_side.c.measurement_id == Measurement.id, coach_side.c.side == "coach")
            .exists(),
        )
        scores_waiting = select(func.count()).select_from(Measurement).where(waits_for_coach).scalar_subquery()
        oldest_waiting = (
            select(Measurement.id)
            .where(waits_for_coach)
            .order_by(Measurement.opened_at, Measurement.id)
            .limit(1)
            .scalar_subquery()
        )
        unread = conversation.c.last_seq - func.coalesce(Marker.read_seq, 0)
        query = (
            select(
                ca.id,
                ca.participant_id,
                Person.display_name,
                case((and_(ca.signed_record.is_not(None), ca.signed_record != ""), True), else_=False),
                ca.signed_by,
                ca.coach_id,
                conversation.c.id,
                case((unread > 0, unread), else_=0),
                conversation.c.waiting_since,
                portfolio.c.id,
                to_review,
                overdue,
                goals_due,
                last_message,
                last_item,
                last_answer,
                scores_waiting,
                oldest_waiting,
            )
            .join(Person, Person.id == ca.participant_id)
            .outerjoin(conversation, conversation.c.participant_id == ca.participant_id)
            .outerjoin(Marker, and_(Marker.conversation_id == conversation.c.id, Marker.person_id == coach_id))
            .outerjoin(portfolio, portfolio.c.participant_id == ca.participant_id)
            .where(
                ca.organisation_id == organisation_id,
                ca.programme_id == programme_id,
                ca.coach_id == coach_id,
                ca.ended_at.is_(None),
                ca.starts_on <= today,
                or_(ca.ends_on.is_(None), ca.ends_on >= today),
            )
            .order_by(Person.display_name, ca.created_at)
        )
        result = await self.session.execute(query)
        return [CaseloadRow(*row) for row in result.tuples()]

    async def today(
        self, organisation_id: uuid.UUID, programme_id: uuid.UUID, participant_id: uuid.UUID, today: date
    ) -> Today:
        """Her day in one programme: her conversation with its unread count, feedback she has
        not opened yet, and her next goal step (the plan's plaintext due date and progress)."""
        conversation = (
            select(Conversation.id, Conversation.last_seq)
            .where(
                Conversation.programme_id == programme_id,
                Conversation.kind == "coaching",
                Conversation.participant_id == participant_id,
            )
            .subquery()
        )
        portfolio = (
            select(Portfolio.id)
            .where(Portfolio.programme_id == programme_id, Portfolio.participant_id == participant_id)
            .scalar_subquery()
        )
        with_feedback = and_(
            ModuleAssignment.programme_id == programme_id,
            ModuleAssignment.participant_id == participant_id,
            ModuleAssignment.status == "feedback_given",
        )
        feedback = select(func.count()).select_from(ModuleAssignment).where(with_feedback).scalar_subquery()
        newest_feedback = (
            select(ModuleAssignment.id)
            .where(with_feedback)
            .order_by(ModuleAssignment.feedback_at.desc())
            .limit(1)
            .scalar_subquery()
        )
        goal = (
            select(PortfolioItem.id, PortfolioItem.occurred_on, PortfolioItem.progress, PortfolioItem.status)
            .join(Portfolio, Portfolio.id == PortfolioItem.portfolio_id)
            .where(
                Portfolio.programme_id == programme_id,
                Portfolio.participant_id == participant_id,
                PortfolioItem.kind == "goal_plan",
                or_(PortfolioItem.status.is_(None), PortfolioItem.status.in_(OPEN_GOAL)),
            )
            # The plan with the soonest next step first; a plan without a date after those with one.
            .order_by(case((PortfolioItem.occurred_on.is_(None), 1), else_=0), PortfolioItem.occurred_on,
                      PortfolioItem.updated_at.desc())
            .limit(1)
            .subquery()
        )
        unseen_reply = and_(
            Notification.organisation_id == organisation_id,
            Notification.programme_id == programme_id,
            Notification.person_id == participant_id,
            Notification.kind == PORTFOLIO_COMMENT,
            Notification.read_at.is_(None),
        )
        replies = select(func.count()).select_from(Notification).where(unseen_reply).scalar_subquery()
        newest_reply = (
            select(Notification.link)
            .where(unseen_reply)
            .order_by(Notification.created_at.desc())
            .limit(1)
            .scalar_subquery()
        )
        unread = conversation.c.last_seq - func.coalesce(Marker.read_seq, 0)
        # One row always, whether or not she has a conversation or a goal plan yet.
        anchor = select(literal(1).label("one")).subquery()
        query = (
            select(
                conversation.c.id,
                case((unread > 0, unread), else_=0),
                feedback,
                newest_feedback,
                portfolio,
                goal.c.id,
                goal.c.occurred_on,
                goal.c.progress,
                goal.c.status,
                replies,
                newest_reply,
            )
            .select_from(anchor)
            .outerjoin(conversation, literal(True))
            .outerjoin(Marker, and_(Marker.conversation_id == conversation.c.id, Marker.person_id == participant_id))
            .outerjoin(goal, literal(True))
        )
        row = (await self.session.execute(query)).one()
        return Today(
            conversation_id=row[0],
            unread=int(row[1] or 0),
            feedback=int(row[2] or 0),
            feedback_assignment_id=row[3],
            portfolio_id=row[4],
            goal_plan_id=row[5],
            goal_due_on=row[6],
            goal_progress=row[7],
            goal_status=row[8],
            replies=int(row[9] or 0),
            reply_link=row[10],
        )


def newest(*moments: datetime | None) -> datetime | None:
    known = [m for m in moments if m is not None]
    return max(known) if known else None
