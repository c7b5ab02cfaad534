"""Tables of the measurements feature: the instrument versions staff added for their organisation,
measurements with her encrypted self-score and her coach's, her consent to report scores and the
plaintext scores reported under it.

Shipped instruments are not stored here (they are files, see ``shipped``). A row is never changed
after it is written: measurements point at an instrument by key and version, so those must always
mean the same definition.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, Uuid
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


class Measurement(Base):
    """One measurement of a participant with one instrument version (the six-month bridge, say).

    The instrument is named by key and version and never changes: a later version of the
    instrument leaves this measurement as it was scored.
    """

    __tablename__ = "measurements"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    participant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    instrument_key: Mapped[str] = mapped_column(String(63))
    instrument_version: Mapped[int] = mapped_column(Integer)
    opened_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_measurements_programme_participant", "programme_id", "participant_id"),)


class MeasurementSide(Base):
    """Her self-score or her coach's score of one measurement: an envelope sealed in her browser
    (or his) for her portfolio's "my coaches" audience, exactly like an answer to an assignment.

    The server keeps who scored and when; the scores and notes are inside the envelope. A side is
    submitted once and never changed.
    """

    __tablename__ = "measurement_sides"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    measurement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("measurements.id", ondelete="CASCADE"))
    participant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    side: Mapped[str] = mapped_column(String(8))  # "self" or "coach"
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    envelope: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(32))
    item_key_wrap: Mapped[str | None] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    size: Mapped[int] = mapped_column(Integer, default=0)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("measurement_id", "side"),)


class ScoreConsent(Base):
    """Her consent to report her numeric scores: the exact text she saw, in which language, when
    she agreed and, once she withdrew it, when. A new agreement is a new row.

    ``statement`` is her signed 'agree' and ``withdrawal`` her signed 'withdraw' (kind 0x0F,
    docs/crypto-spec.md), each with its serial; her browsers verify the newest one served and
    report only under her own signed 'agree'. Rows from before signed consent have none."""

    __tablename__ = "score_consents"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    participant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    agreed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    statement: Mapped[bytes | None] = mapped_column(LargeBinary)
    serial: Mapped[int | None] = mapped_column(BigInteger)
    withdrawal: Mapped[bytes | None] = mapped_column(LargeBinary)
    withdrawal_serial: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_score_consents_programme_participant", "programme_id", "participant_id"),)


class ReportedScores(Base):
    """The numeric scores of one side of a measurement, sent in plaintext by her browser for
    programme reporting, only while she consents (no notes). Withdrawing deletes them."""

    __tablename__ = "reported_scores"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    participant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    measurement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("measurements.id", ondelete="CASCADE"))
    side: Mapped[str] = mapped_column(String(8))
    instrument_key: Mapped[str] = mapped_column(String(63))
    instrument_version: Mapped[int] = mapped_column(Integer)
    # domain key -> level value
    scores: Mapped[dict[str, Any]] = mapped_column(JSON)
    consent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("score_consents.id"))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("measurement_id", "side"),)
