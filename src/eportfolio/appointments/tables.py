"""Tables of the appointments feature: one row per occurrence, in plaintext.

An appointment is a workflow fact that she and her coaches see (when, how long, where), never
anything she would keep private: the form tells her so. A weekly coach meeting is one row per
week, the rows of one series sharing ``series_id``, so that each week can be moved or cancelled
on its own. Times are stored in UTC and shown in the programme's time zone.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from eportfolio.kit.clock import utcnow
from eportfolio.kit.db import Base, UTCDateTime, new_id

# A weekly meeting with her coach (made by the coach) and one she entered herself.
COACH_MEETING = "coach"
OWN = "own"


class Appointment(Base):
    __tablename__ = "appointments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    participant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    # The coach of a coach meeting; none for one she entered herself.
    coach_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"))
    kind: Mapped[str] = mapped_column(String(16))
    series_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # Her own appointment's title; a coach meeting has none (it reads "Appointment" everywhere).
    title: Mapped[str] = mapped_column(String(120), default="")
    place: Mapped[str] = mapped_column(String(120), default="")
    # By video or phone instead of a place.
    remote: Mapped[bool] = mapped_column(Boolean, default=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # iCalendar SEQUENCE: raised on every move or cancellation, so her phone takes the new version.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_appointments_participant_starts", "participant_id", "starts_at"),
        Index("ix_appointments_coach_starts", "coach_id", "starts_at"),
        Index("ix_appointments_starts_at", "starts_at"),
    )
