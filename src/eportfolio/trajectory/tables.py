"""Tables of the trajectory feature: her phases with planned and actual dates, and her outcomes.

Workflow facts in plaintext (no content she wrote); every row carries its programme (the tenant).
A reminder is a notification with a dedupe key (``trajectory_due:<phase id>:<person id>``), so it
needs no table of its own.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from eportfolio.kit.clock import utcnow
from eportfolio.kit.db import Base, UTCDateTime, new_id


class TrajectoryPhase(Base):
    """One phase of her trajectory in one programme."""

    __tablename__ = "trajectory_phases"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    participant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    phase: Mapped[str] = mapped_column(String(32))
    # Its place in the order of phases (0 = application).
    position: Mapped[int] = mapped_column(Integer)
    planned_on: Mapped[date] = mapped_column(Date)
    # When it actually started; empty until then.
    started_on: Mapped[date | None] = mapped_column(Date)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("programme_id", "participant_id", "phase"),
        Index("ix_trajectory_phases_planned", "planned_on"),
    )


class TrajectoryOutcome(Base):
    """Something she reached (or leaving the programme, with the reason), on a date."""

    __tablename__ = "trajectory_outcomes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    participant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    kind: Mapped[str] = mapped_column(String(32))
    occurred_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_trajectory_outcomes_participant", "programme_id", "participant_id"),)
