"""Tables of the measurements feature: the instrument versions staff added for their organisation.

Shipped instruments are not stored here (they are files, see ``shipped``). A row is never changed
after it is written: measurements point at an instrument by key and version, so those must always
mean the same definition.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from eportfolio.kit.clock import utcnow
from eportfolio.kit.db import Base, UTCDateTime, new_id


class InstrumentVersion(Base):
    """One version of an instrument, available to every programme of the organisation."""

    __tablename__ = "instrument_versions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    key: Mapped[str] = mapped_column(String(63))
    version: Mapped[int] = mapped_column(Integer)
    # The definition as checked when it was added (``InstrumentDefinition``, JSON mode).
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Who added it, and in which programme she acted as staff.
    added_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    added_in_programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("organisation_id", "key", "version"),)
