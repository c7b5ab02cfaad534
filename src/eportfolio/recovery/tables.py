"""Tables of the recovery feature: the programme recovery key, its officers' copies, her consent
with the sealed copy of her user key, recovery requests from a new device, account resets for
coach-assisted recovery, and the history of her public identities."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from eportfolio.kit.clock import utcnow
from eportfolio.kit.db import Base, UTCDateTime, new_id


class ProgrammeRecoveryKey(Base):
    """The programme's recovery key (X25519 public) and its record signed with the programme key."""

    __tablename__ = "programme_recovery_keys"

    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"), primary_key=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    x25519_public: Mapped[bytes] = mapped_column(LargeBinary(32))
    signed_record: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecoveryOfficerCopy(Base):
    """The recovery key's private half sealed to one recovery officer (SealedBox purpose 0x05)."""

    __tablename__ = "recovery_officer_copies"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    holder_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    sealed_box: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("programme_id", "holder_id"),)


class RecoveryConsent(Base):
    """Her consent to programme recovery: her user key sealed to the programme recovery key.

    Withdrawing deletes the row (and with it the copy).
    """

    __tablename__ = "recovery_consents"

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"), primary_key=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    user_key_id: Mapped[bytes] = mapped_column(LargeBinary(16))
    sealed_user_key: Mapped[bytes] = mapped_column(LargeBinary)
    given_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeviceRequest(Base):
    """A new device asking for her user key: its fresh X25519 key, then the officer's sealed copy.

    The device holds a random token (only its hash is here) to fetch the copy and set a password.
    """

    __tablename__ = "recovery_device_requests"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    device_public: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    programme_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("programmes.id"))
    sealed_user_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    resealed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"))
    resealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_recovery_device_requests_person", "person_id", "created_at"),)


class AccountReset(Base):
    """Coach-assisted recovery: a one-time code staff hand her in person to reset to new keys."""

    __tablename__ = "recovery_account_resets"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FormerIdentity(Base):
    """A public identity she held before a recovery gave her new keys.

    Kept so that what she signed with it still verifies; ``replaced_by`` is who reset her account,
    ``vouched_by`` the coach who then checked her new fingerprint in person, and ``vouch`` his signed
    word for it (docs/crypto-spec.md 9.1), which other coaches' browsers verify before re-pinning.
    """

    __tablename__ = "recovery_former_identities"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    public_identity: Mapped[bytes] = mapped_column(LargeBinary)
    superseded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(String(32))
    replaced_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"))
    vouched_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"))
    vouched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    vouch: Mapped[bytes | None] = mapped_column(LargeBinary)

    __table_args__ = (Index("ix_recovery_former_identities_person", "person_id", "superseded_at"),)


class RecoveryNotice(Base):
    """"Your account was recovered by the programme on …", shown at her next login until seen."""

    __tablename__ = "recovery_notices"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    kind: Mapped[str] = mapped_column(String(32))
    recovered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_recovery_notices_person", "person_id", "seen_at"),)
