"""Tables of the intake feature: whether a programme takes applications, its signed intake team,
the links partners refer with, and the applications (her letter only as ciphertext)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from eportfolio.kit.clock import utcnow
from eportfolio.kit.db import Base, UTCDateTime, new_id


class IntakePage(Base):
    """A programme's public application page, switched on or off by staff."""

    __tablename__ = "intake_pages"

    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"), primary_key=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    open: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IntakeTeam(Base):
    """An intake team record (docs/crypto-spec.md 8, kind 0x06) as a staff browser signed it; the
    newest serial is the one in force."""

    __tablename__ = "intake_teams"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    serial: Mapped[int] = mapped_column(BigInteger)
    signed_record: Mapped[str] = mapped_column(Text)
    signed_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("programme_id", "serial"),)


class Referrer(Base):
    """A partner organisation that may refer mothers through its own link; the server keeps a
    hash of the link's token."""

    __tablename__ = "intake_referrers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"), index=True)
    partner_name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Application(Base):
    """One application: her own or a partner's referral. Name, contact and consent are plaintext
    (staff must reach her); the letter is ciphertext sealed in the browser to the intake team."""

    __tablename__ = "intake_applications"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)  # drawn by her browser
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    referrer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("intake_referrers.id"))
    name: Mapped[str] = mapped_column(String(120))
    contact: Mapped[str] = mapped_column(String(200))
    consent_text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    team_serial: Mapped[int] = mapped_column(BigInteger)
    letter: Mapped[str] = mapped_column(Text)  # SecretBox purpose 0x07, base64url
    status: Mapped[str] = mapped_column(String(16), default="pending")
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    # Her status link: a hash of its token finds the row; the token's X25519 public key seals her
    # invitation code, which only the token opens again.
    status_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    status_public: Mapped[bytes] = mapped_column(LargeBinary(32))
    invitation_box: Mapped[bytes | None] = mapped_column(LargeBinary)
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"))
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_intake_applications_programme_created", "programme_id", "created_at"),)


class ApplicationKey(Base):
    """Her letter key sealed to one reader of the intake team (SealedBox purpose 0x06)."""

    __tablename__ = "intake_application_keys"

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("intake_applications.id", ondelete="CASCADE"), primary_key=True
    )
    reader_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    sealed_key: Mapped[str] = mapped_column(Text)
