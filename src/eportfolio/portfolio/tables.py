"""Tables of the portfolio feature. Every row carries its programme (the tenant); content columns
hold ciphertext only (base64url Envelopes, grants, wraps), never a title, body or file name."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from eportfolio.kit.clock import utcnow
from eportfolio.kit.db import Base, UTCDateTime, new_id


class Portfolio(Base):
    """Her portfolio in one programme; its id is the resource id bound into keys and envelopes."""

    __tablename__ = "portfolios"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    participant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    # The current key epoch (0 until her browser makes the first portfolio key).
    epoch: Mapped[int] = mapped_column(Integer, default=0)
    epoch_key_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("programme_id", "participant_id"),)


class PortfolioEpoch(Base):
    __tablename__ = "portfolio_epochs"

    portfolio_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portfolios.id", ondelete="CASCADE"), primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    key_id: Mapped[str] = mapped_column(String(32))
    # The signed EpochRecord (base64url): key ids, creator, the previous key boxed under this one.
    record: Mapped[str] = mapped_column(Text)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PortfolioGrant(Base):
    __tablename__ = "portfolio_grants"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    portfolio_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portfolios.id", ondelete="CASCADE"))
    epoch: Mapped[int] = mapped_column(Integer)
    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    granter_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    grant: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("portfolio_id", "epoch", "recipient_id"),
        Index("ix_portfolio_grants_recipient", "recipient_id", "portfolio_id"),
    )


class PortfolioItem(Base):
    __tablename__ = "portfolio_items"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    portfolio_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portfolios.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    audience: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    # Author of the current revision (whose signature the envelope carries).
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    revision: Mapped[int] = mapped_column(BigInteger, default=1)
    key_id: Mapped[str] = mapped_column(String(32))
    envelope: Mapped[str] = mapped_column(Text)
    occurred_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str | None] = mapped_column(String(16))
    progress: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_portfolio_items_portfolio_updated", "portfolio_id", "updated_at"),)


class PortfolioItemKey(Base):
    """One copy of an item key: under her user key, under an epoch key, or a grant to a person."""

    __tablename__ = "portfolio_item_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portfolio_items.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # "user" | "epoch" | "grant"
    epoch: Mapped[int | None] = mapped_column(Integer)
    recipient_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"))
    blob: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_portfolio_item_keys_recipient", "recipient_id", "item_id"),)


class PortfolioComment(Base):
    __tablename__ = "portfolio_comments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portfolio_items.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    key_id: Mapped[str] = mapped_column(String(32))
    envelope: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PortfolioAttachment(Base):
    """The ciphertext stream of an attachment item, stored as one file in the blob directory."""

    __tablename__ = "portfolio_attachments"

    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portfolio_items.id", ondelete="CASCADE"), primary_key=True)
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    portfolio_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portfolios.id", ondelete="CASCADE"), index=True)
    # Ciphertext bytes announced (header and chunks); counted against the quota from the start.
    size: Mapped[int] = mapped_column(BigInteger)
    parts: Mapped[int] = mapped_column(Integer)
    received: Mapped[int] = mapped_column(Integer, default=0)
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    # SHA-256 (hex) of the whole stream as her browser announced it; the last part completes the
    # file only when the stored stream has this hash. None for files announced before it was kept.
    sha256: Mapped[str | None] = mapped_column(String(64))
    blob_name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When a part last arrived (or the stream was announced): an upload that stopped long ago is
    # reported by `eportfolio report-uploads`.
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_portfolio_attachments_incomplete", "complete", "updated_at"),)


class PortfolioAttachmentPart(Base):
    __tablename__ = "portfolio_attachment_parts"

    item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("portfolio_attachments.item_id", ondelete="CASCADE"), primary_key=True
    )
    part: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(Integer)


class PinnedKeysRecord(Base):
    """Her pinned-keys record (encrypted and signed under her keys); one per person."""

    __tablename__ = "pinned_keys"

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    revision: Mapped[int] = mapped_column(BigInteger)
    record: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
