"""Tables of the duty feature: duty rosters as staff signed them, and their shifts.

The table names keep their ``chat_`` prefix from before the feature had its own package (no
migration renamed them); every row carries its programme (the tenant).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from eportfolio.kit.clock import utcnow
from eportfolio.kit.db import Base, UTCDateTime, new_id


class Roster(Base):
    """A duty roster as signed by a staff member's browser, with its shifts in plaintext."""

    __tablename__ = "chat_rosters"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    serial: Mapped[int] = mapped_column(BigInteger)
    signed_record: Mapped[str] = mapped_column(Text)
    signed_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("programme_id", "serial"),)


class Shift(Base):
    __tablename__ = "chat_shifts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    roster_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chat_rosters.id", ondelete="CASCADE"), index=True)
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    duty: Mapped[str] = mapped_column(String(16))
    # Stored in UTC; entered and shown in the programme's time zone.
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
