"""Tables of the invitations feature: one-time invitation codes (only their hash is stored)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from eportfolio.kit.clock import utcnow
from eportfolio.kit.db import Base, UTCDateTime, new_id


class Invitation(Base):
    __tablename__ = "invitations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    # Empty for the first organisation admin (she is invited to the organisation itself).
    programme_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("programmes.id"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    role: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_invitations_programme", "programme_id", "created_at"),)
