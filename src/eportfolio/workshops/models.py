"""What the workshops feature takes in and gives out: pydantic models for the pages and the API."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from enum import StrEnum

from pydantic import Field, model_validator

from eportfolio.domain.common import DomainModel, LongText, Name, ShortText
from eportfolio.domain.programmes import LanguageLevel
from eportfolio.kit.errors import N_

MAX_SESSIONS = 52  # a series of at most a year of weekly sessions
MIN_ANSWERS = 5  # evaluations are shown (anonymous) from this many answers on
END = "end"  # the round of the evaluation at the end of a training


class EnrolmentStatus(StrEnum):
    enrolled = "enrolled"
    waiting = "waiting"
    withdrawn = "withdrawn"


class Presence(StrEnum):
    present = "present"
    late = "late"
    excused = "excused"
    absent = "absent"


class AbsenceReason(StrEnum):
    ill = "ill"
    sick_child = "sick_child"
    course = "course"
    other = "other"


MISSED = (Presence.excused, Presence.absent)
EXCUSED_NEEDS_REASON = N_("choose why she is excused")


class TrainingCreate(DomainModel):
    """A training and its series of sessions in one go: ``count`` sessions, ``every_days`` apart,
    from ``first_date`` at ``start_time`` (the programme's local time)."""

    title: Name
    group_id: uuid.UUID
    module_id: uuid.UUID | None = None
    trainer_id: uuid.UUID
    place: ShortText = Field(min_length=1)
    capacity: int | None = Field(default=None, ge=1, le=200)
    language_level: LanguageLevel | None = None
    first_date: date
    start_time: time
    duration_minutes: int = Field(default=150, ge=15, le=600)
    count: int = Field(default=10, ge=1, le=MAX_SESSIONS)
    every_days: int = Field(default=7, ge=1, le=31)
    open_for_enrolment: bool = True


class TrainingUpdate(DomainModel):
    title: Name | None = None
    place: ShortText | None = None
    capacity: int | None = Field(default=None, ge=1, le=200)
    open_for_enrolment: bool | None = None


class SessionUpdate(DomainModel):
    """Move one session, change its length or place (empty place: the training's place)."""

    day: date
    start_time: time
    duration_minutes: int = Field(ge=15, le=600)
    place: ShortText = ""


class EnrolmentCreate(DomainModel):
    """Staff name her; a participant leaves it out (herself). ``waiting_list``: false refuses
    instead of putting her on the waiting list when the training is full."""

    person_id: uuid.UUID | None = None
    waiting_list: bool = True


class AttendanceEntry(DomainModel):
    person_id: uuid.UUID
    status: Presence
    reason: AbsenceReason | None = None

    @model_validator(mode="after")
    def _reason_only_when_excused(self) -> AttendanceEntry:
        if self.status is Presence.excused and self.reason is None:
            raise ValueError(EXCUSED_NEEDS_REASON)
        if self.status is not Presence.excused:
            self.reason = None
        return self


class AttendanceWrite(DomainModel):
    entries: list[AttendanceEntry] = Field(min_length=1, max_length=200)


class EvaluationCreate(DomainModel):
    round: str = Field(min_length=1, max_length=40)  # a session's id, or "end"
    grade: int = Field(ge=1, le=10)
    comment: LongText = ""


# Read models ------------------------------------------------------------------------------------


class SessionRead(DomainModel):
    id: uuid.UUID
    training_id: uuid.UUID
    number: int
    starts_at: datetime
    ends_at: datetime
    duration_minutes: int
    place: str
    cancelled: bool


class TrainingRead(DomainModel):
    id: uuid.UUID
    programme_id: uuid.UUID
    group_id: uuid.UUID
    group_name: str
    module_id: uuid.UUID | None
    module_title: str
    trainer_id: uuid.UUID
    trainer_name: str
    title: str
    place: str
    capacity: int
    language_level: str
    open_for_enrolment: bool
    enrolled: int
    waiting: int
    sessions: list[SessionRead]


class EnrolmentRead(DomainModel):
    training_id: uuid.UUID
    person_id: uuid.UUID
    display_name: str = ""
    status: EnrolmentStatus
    position: int | None = None  # on the waiting list, from 1


class TrainingDetail(DomainModel):
    training: TrainingRead
    enrolled: list[EnrolmentRead]
    waiting: list[EnrolmentRead]


class AttendanceRow(DomainModel):
    person_id: uuid.UUID
    display_name: str
    status: Presence | None
    reason: AbsenceReason | None
    makeup_assignment_id: uuid.UUID | None


class AttendanceSheet(DomainModel):
    session: SessionRead
    training: TrainingRead
    rows: list[AttendanceRow]
    can_record: bool


class EvaluationSummary(DomainModel):
    round: str
    label_number: int | None  # the session's number, none for the end
    answers: int
    shown: bool  # from MIN_ANSWERS answers on
    average: float | None
    comments: list[str]


class MyTraining(DomainModel):
    """A training as she sees it: hers (enrolled or waiting) or open to enrol."""

    training: TrainingRead
    status: EnrolmentStatus | None
    position: int | None
    to_evaluate: list[str]  # rounds she may still evaluate (session ids, "end")


class TrainerSession(DomainModel):
    session: SessionRead
    training: TrainingRead
    recorded: int  # attendance rows noted so far
