"""Her trajectory in a programme: the phases from application to closed, each with a planned and an
actual date, and the outcomes a coach records (education, work, a diploma, leaving).

These are workflow facts in plaintext, not what she wrote: the server reads them to show her
timeline, to remind her and her coach, and to count them for the funder as suppressed totals.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from eportfolio.domain.common import DomainModel, ReadModel


class Phase(StrEnum):
    """The phases in their order (``PHASES``); a later phase never starts before an earlier one."""

    application = "application"
    intake = "intake"
    coaching = "coaching"
    end_measurement = "end_measurement"
    follow_up_6 = "follow_up_6"
    follow_up_12 = "follow_up_12"
    closed = "closed"


PHASES: tuple[Phase, ...] = tuple(Phase)
# Phases she and her coach are reminded of when their planned date comes near.
REMINDED_PHASES: frozenset[Phase] = frozenset({Phase.end_measurement, Phase.follow_up_6, Phase.follow_up_12})


class OutcomeKind(StrEnum):
    education = "education"
    internship = "internship"
    paid_work = "paid_work"
    volunteer_work = "volunteer_work"
    diploma = "diploma"
    left_programme = "left_programme"


Reason = Annotated[str, StringConstraints(min_length=1, max_length=500)]

# What the validators say, listed in ``trajectory.service`` as well so that they are translated.
REASON_REQUIRED = "Write down why she left the programme."
REASON_ONLY_WHEN_LEFT = "A reason is only asked when she left the programme."
NOTHING_TO_CHANGE = "Fill in a planned date or a start date."


class PhaseUpdate(DomainModel):
    """A coach or staff member sets the planned date, the actual (start) date, or both."""

    planned_on: date | None = None
    started_on: date | None = None
    # Empty the actual date again (it was entered by mistake).
    clear_started: bool = False

    @model_validator(mode="after")
    def _something(self) -> PhaseUpdate:
        if self.planned_on is None and self.started_on is None and not self.clear_started:
            raise ValueError(NOTHING_TO_CHANGE)
        return self


class OutcomeCreate(DomainModel):
    kind: OutcomeKind
    occurred_on: date
    reason: Reason | None = None

    @model_validator(mode="after")
    def _reason(self) -> OutcomeCreate:
        if self.kind is OutcomeKind.left_programme and not self.reason:
            raise ValueError(REASON_REQUIRED)
        if self.kind is not OutcomeKind.left_programme and self.reason:
            raise ValueError(REASON_ONLY_WHEN_LEFT)
        return self


class PhaseRead(ReadModel):
    phase: Phase
    planned_on: date
    started_on: date | None
    # Planned date passed without an actual date.
    overdue: bool = False
    # The phase she is in now (the last one that started).
    current: bool = False


class OutcomeRead(ReadModel):
    id: uuid.UUID
    kind: OutcomeKind
    occurred_on: date
    reason: str | None
    recorded_by: uuid.UUID
    created_at: datetime


class TrajectoryRead(ReadModel):
    programme_id: uuid.UUID
    participant_id: uuid.UUID
    participant_name: str = ""
    enrolled_on: date
    current_phase: Phase | None
    phases: list[PhaseRead]
    outcomes: list[OutcomeRead]
    # Whether the caller may set dates and record outcomes (her coach, programme staff).
    can_edit: bool = False


class LatePhase(ReadModel):
    phase: Phase
    planned_on: date


class OverduePerson(ReadModel):
    participant_id: uuid.UUID
    participant_name: str
    phases: list[Phase]
    since: date
    # Each late phase with its planned date, earliest first.
    late: list[LatePhase] = []


class PhaseMember(ReadModel):
    participant_id: uuid.UUID
    participant_name: str


class PhaseCount(ReadModel):
    phase: Phase | None  # None: no phase has started yet
    count: int = Field(ge=0)
    # Who is in this phase now, by name.
    people: list[PhaseMember] = []


class TrajectoryOverview(ReadModel):
    programme_id: uuid.UUID
    participants: int
    counts: list[PhaseCount]
    overdue: list[OverduePerson]
    left: int
