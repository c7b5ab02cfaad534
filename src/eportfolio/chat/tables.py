"""Tables of the chat feature. Every row carries its programme and organisation (the tenant)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from eportfolio.kit.clock import utcnow
from eportfolio.kit.db import Base, UTCDateTime, new_id


class Conversation(Base):
    __tablename__ = "chat_conversations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    # "coaching:<participant>", "group:<group>" or "supervision:<coach>": one conversation each.
    subject_key: Mapped[str] = mapped_column(String(64))
    participant_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"))
    group_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    coach_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"))
    # The seq of the newest message; incremented in the transaction that inserts the message,
    # so a rolled-back insert leaves no gap.
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    epoch: Mapped[int] = mapped_column(Integer, default=0)
    epoch_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when a reader left (a coach assignment ended): the next member browser makes a new
    # epoch without her. Cleared by the new epoch.
    rotation_due_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set by the first participant message that no coach has answered yet; cleared by an answer.
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("programme_id", "subject_key"),
        Index("ix_chat_conversations_waiting", "programme_id", "waiting_since"),
    )


class Message(Base):
    __tablename__ = "chat_messages"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chat_conversations.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("persons.id"))
    client_id: Mapped[str] = mapped_column(String(64))
    # base64url ciphertext (an Envelope) for people's messages; NULL for system messages.
    body: Mapped[str | None] = mapped_column(Text)
    epoch: Mapped[int] = mapped_column(Integer, default=0)
    notice: Mapped[str | None] = mapped_column(String(32))
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("conversation_id", "seq"),
        UniqueConstraint("conversation_id", "author_id", "client_id"),
    )


class Marker(Base):
    """How far a member has received and read a conversation (delivery state per message)."""

    __tablename__ = "chat_markers"

    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("chat_conversations.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    delivered_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    read_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Epoch(Base):
    __tablename__ = "chat_epochs"

    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("chat_conversations.id", ondelete="CASCADE"), primary_key=True
    )
    epoch: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    record: Mapped[str] = mapped_column(Text)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Grant(Base):
    __tablename__ = "chat_grants"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("chat_conversations.id", ondelete="CASCADE"))
    epoch: Mapped[int] = mapped_column(Integer)
    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    granter_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    grant: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("conversation_id", "epoch", "recipient_id"),
        Index("ix_chat_grants_recipient", "recipient_id", "conversation_id"),
    )


class PushSubscription(Base):
    """One browser's Web Push subscription (what its push service handed it)."""

    __tablename__ = "chat_push_subscriptions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_chat_push_subscriptions_person", "person_id"),)


class PushSetting(Base):
    """Her switch for push notifications; no row means on (her browser asked her already)."""

    __tablename__ = "chat_push_settings"

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChatAttachment(Base):
    """The ciphertext stream of a photo, document or voice note sent in a conversation.

    Stored like a portfolio attachment (one file in the blob directory, 64 KiB chunks encrypted in
    the browser); its key travels only inside the signed, encrypted message that names it.
    """

    __tablename__ = "chat_attachments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("chat_conversations.id", ondelete="CASCADE"), index=True
    )
    uploader_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id"))
    # photo, document or voice_note: the only thing the server knows about the content.
    kind: Mapped[str] = mapped_column(String(16))
    key_id: Mapped[str] = mapped_column(String(32))
    # Ciphertext bytes announced (header and chunks); counted against her quota from the start.
    size: Mapped[int] = mapped_column(BigInteger)
    parts: Mapped[int] = mapped_column(Integer)
    received: Mapped[int] = mapped_column(Integer, default=0)
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    blob_name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_chat_attachments_uploader", "programme_id", "uploader_id"),)


class ChatAttachmentPart(Base):
    __tablename__ = "chat_attachment_parts"

    attachment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("chat_attachments.id", ondelete="CASCADE"), primary_key=True
    )
    part: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
