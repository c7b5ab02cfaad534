"""Tables of the trust feature: the organisation and programme signing keys (public halves and
certificates) and the sealed copies of their private halves, one per holder."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from eportfolio.kit.clock import utcnow
from eportfolio.kit.db import Base, UTCDateTime, new_id


class OrganisationKey(Base):
    """The organisation's Ed25519 public key: the root of trust, made in the first admin's browser."""

    __tablename__ = "organisation_keys"

    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    ed25519_public: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProgrammeKey(Base):
    """A programme's Ed25519 public key and its certificate signed with the organisation key."""

    __tablename__ = "programme_keys"

    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"), primary_key=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    ed25519_public: Mapped[bytes] = mapped_column(LargeBinary(32))
    certificate: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SigningKeyCopy(Base):
    """The private half of an organisation or programme key, sealed to one holder's X25519 key.

    ``subject_id`` is the organisation id (kind "organisation") or the programme id (kind
    "programme"). The server cannot open these; a holder's browser adds the next holder.
    """

    __tablename__ = "signing_key_copies"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    holder_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    sealed_box: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("subject_id", "holder_id"),)
