"""Tables of the workshops feature: trainings (a series of group sessions), their sessions, who is
enrolled or waiting, attendance per session and evaluations. Every row carries its programme (the
tenant) and organisation; times are stored in UTC and shown in the programme's time zone."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from eportfolio.kit.clock import utcnow
from eportfolio.kit.db import Base, UTCDateTime, new_id


class Training(Base):
    """A series of sessions of a module for a group, with one trainer and a number of places."""

    __tablename__ = "workshop_trainings"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"), index=True)
    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("groups.id"))
    module_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("modules.id"))
    trainer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    place: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[int] = mapped_column(Integer)
    language_level: Mapped[str] = mapped_column(String(8), default="mixed")
    open_for_enrolment: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TrainingSession(Base):
    """One meeting of a training. ``place`` is empty where it is the training's place."""

    __tablename__ = "workshop_sessions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    training_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workshop_trainings.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    place: Mapped[str] = mapped_column(String(200), default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_workshop_sessions_training_starts", "training_id", "starts_at"),
        Index("ix_workshop_sessions_starts", "starts_at"),
    )


class Enrolment(Base):
    """She takes part ("enrolled"), waits for a place ("waiting", in order of ``queued_at``) or
    withdrew ("withdrawn"). One row per person and training; enrolling again reuses it."""

    __tablename__ = "workshop_enrolments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    training_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workshop_trainings.id", ondelete="CASCADE"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    enrolled_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("training_id", "person_id"),)


class Attendance(Base):
    """Whether she came to a session, as the trainer noted it in the room."""

    __tablename__ = "workshop_attendance"

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workshop_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    # present, late, excused, absent; an excused absence has a reason (ill, sick_child, course, other)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(16))
    recorded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The assignment given to make up for a missed session (assignments feature), if any.
    makeup_assignment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class Evaluation(Base):
    """Her grade (1 to 10) and comment for one session, or for the training as a whole at the end
    (``round`` is the session's id, or "end"). Shown to trainer and staff only as an average and
    comments without names, from five answers on."""

    __tablename__ = "workshop_evaluations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    training_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workshop_trainings.id", ondelete="CASCADE"))
    round: Mapped[str] = mapped_column(String(40))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    grade: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("training_id", "round", "person_id"),)
