"""Tables of the assignments feature. Every row carries programme and organisation.

An assignment points at the module version it was given from (``modules.tables``). Answers and
feedback are opaque envelopes, shaped so they can become portfolio items later (see
docs/modules.md).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from eportfolio.kit.clock import utcnow
from eportfolio.kit.db import Base, UTCDateTime, new_id


class ModuleAssignment(Base):
    """One participant's own instance of a template (or of a personal, coach-written assignment)."""

    __tablename__ = "module_assignments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    participant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    assigned_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"))
    kind: Mapped[str] = mapped_column(String(16), default="template")
    module_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("modules.id"))
    module_version_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("module_versions.id"))
    template_key: Mapped[str | None] = mapped_column(String(32))
    group_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="assigned")
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Personal assignments only: the coach's text, encrypted in her browser.
    content_envelope: Mapped[str | None] = mapped_column(Text)
    content_key_id: Mapped[str | None] = mapped_column(String(32))
    content_key_wrap: Mapped[str | None] = mapped_column(Text)
    content_revision: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        Index("ix_module_assignments_programme_participant", "programme_id", "participant_id"),
        Index("ix_module_assignments_programme_status", "programme_id", "status", "submitted_at"),
        Index("ix_module_assignments_module", "module_id", "group_id"),
    )


class AssignmentAnswer(Base):
    """Her answer to one question encrypted: one row per question, revised in place."""

    __tablename__ = "assignment_answers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    assignment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("module_assignments.id", ondelete="CASCADE"))
    participant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    question_key: Mapped[str] = mapped_column(String(32))
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    envelope: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(32))
    item_key_wrap: Mapped[str | None] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    size: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("assignment_id", "question_key"),)


class AssignmentFeedback(Base):
    """What a coach writes back, as an encrypted envelope."""

    __tablename__ = "assignment_feedback"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    assignment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("module_assignments.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    envelope: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(32))
    item_key_wrap: Mapped[str | None] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    size: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AssignmentLessonRead(Base):
    """That she read one lesson of the module, for one assignment (her progress through it).

    Not secret content, but about her: only she and her coaches are shown it. One row per lesson
    per assignment; marking it again changes nothing.
    """

    __tablename__ = "assignment_lesson_reads"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    assignment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("module_assignments.id", ondelete="CASCADE"))
    participant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    lesson_key: Mapped[str] = mapped_column(String(32))
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("assignment_id", "lesson_key"),)
