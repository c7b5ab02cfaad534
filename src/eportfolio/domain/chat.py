"""Chat: conversations, messages, markers, key epochs and grants, the duty roster, and the frames
that travel over the WebSocket (one discriminated union each way).

The server never reads what people write: message bodies are base64url blobs to it. Epoch
records, grants and the signed roster it checks with public keys only (signed by whom, for what;
``kit.sharing``, ``service.create_roster``), never opening a key. Only system messages
(out-of-hours reply, escalation notices, "a coach joined") are plaintext, written by the server.
"""

from __future__ import annotations

import base64
import re
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from eportfolio.domain.common import DomainModel, ReadModel

# A text message of 4,000 characters is at most 16 KiB of UTF-8; with the envelope and signature
# that is under 22 KiB of base64url. Attachments travel separately (encrypted chunked upload).
MAX_MESSAGE_CHARS = 24 * 1024
MAX_GRANT_CHARS = 2 * 1024
MAX_EPOCH_RECORD_CHARS = 2 * 1024
MAX_SIGNED_RECORD_CHARS = 64 * 1024
# Scheme version 1, structure tag 0x06 (Envelope), see docs/crypto-spec.md section 7.1.
ENVELOPE_HEADER = b"\x01\x06"
# The resource type epoch records and grants of a conversation name (resource id = conversation id).
CONVERSATION_RESOURCE = "conversation"


def _base64url(value: str) -> str:
    if _B64U.fullmatch(value) is None:  # one C scan: this runs on every message body
        raise ValueError("must be base64url without padding")
    try:
        base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except ValueError as exc:
        raise ValueError("must be base64url without padding") from exc
    return value


def _envelope(value: str) -> str:
    head = base64.urlsafe_b64decode(value[:4] + "=" * (-len(value[:4]) % 4))
    if not head.startswith(ENVELOPE_HEADER):
        raise ValueError("is not an encrypted message of scheme version 1")
    return value


_B64U = re.compile(r"[A-Za-z0-9_-]+")

Blob = Annotated[str, AfterValidator(_base64url)]
MessageBody = Annotated[
    str,
    StringConstraints(min_length=4, max_length=MAX_MESSAGE_CHARS),
    AfterValidator(_base64url),
    AfterValidator(_envelope),
]
GrantBlob = Annotated[str, StringConstraints(min_length=4, max_length=MAX_GRANT_CHARS), AfterValidator(_base64url)]
EpochRecordBlob = Annotated[
    str, StringConstraints(min_length=4, max_length=MAX_EPOCH_RECORD_CHARS), AfterValidator(_base64url)
]
SignedRecordBlob = Annotated[
    str, StringConstraints(min_length=4, max_length=MAX_SIGNED_RECORD_CHARS), AfterValidator(_base64url)
]
# The client's own message id: random, made before the first attempt, reused on every resend.
ClientMessageId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
Seq = Annotated[int, Field(ge=0, le=2**53)]


class ConversationKind(StrEnum):
    coaching = "coaching"  # a participant and her currently assigned coaches
    group = "group"  # a programme group: its participants and its trainers
    supervision = "supervision"  # a coach and the programme's supervisors


class MessageKind(StrEnum):
    person = "person"
    system = "system"


class SystemNotice(StrEnum):
    out_of_hours = "out_of_hours"
    escalated = "escalated"
    coach_joined = "coach_joined"


class MemberRole(StrEnum):
    participant = "participant"
    coach = "coach"
    supervisor = "supervisor"
    staff = "staff"
    trainer = "trainer"  # the trainer (or coach) staff put in a group
    on_duty = "on_duty"  # a reader she granted because of the signed duty roster


class Duty(StrEnum):
    coach = "coach"
    supervisor = "supervisor"


# Conversations ----------------------------------------------------------------------------------


class ConversationOpen(DomainModel):
    """Open (or find) a conversation; exactly the subject that fits the kind is given."""

    programme_id: uuid.UUID
    kind: ConversationKind
    participant_id: uuid.UUID | None = None
    group_id: uuid.UUID | None = None
    coach_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _subject_fits_kind(self) -> ConversationOpen:
        subject = {
            ConversationKind.coaching: "participant_id",
            ConversationKind.group: "group_id",
            ConversationKind.supervision: "coach_id",
        }[self.kind]
        given = {name for name in ("participant_id", "group_id", "coach_id") if getattr(self, name)}
        if given != {subject}:
            raise ValueError(f"a {self.kind.value} conversation needs {subject} and nothing else")
        return self


class MemberRead(ReadModel):
    person_id: uuid.UUID
    display_name: str
    role: MemberRole
    # Holds a grant for the current key epoch: can read what is written now.
    can_read: bool


class ConversationRead(ReadModel):
    id: uuid.UUID
    programme_id: uuid.UUID
    kind: ConversationKind
    participant_id: uuid.UUID | None
    group_id: uuid.UUID | None
    coach_id: uuid.UUID | None
    last_seq: int
    epoch: int
    epoch_started_at: datetime | None
    rotation_due: bool
    waiting_since: datetime | None
    read_seq: int = 0
    members: list[MemberRead] = Field(default_factory=list)
    # A group conversation: the group's newest membership record staff signed (base64url, kind
    # 0x05), which members' browsers verify and admit readers by; None without one.
    membership_record: str | None = None
    created_at: datetime


# Messages ---------------------------------------------------------------------------------------


class MessageCreate(DomainModel):
    client_id: ClientMessageId
    body: MessageBody
    epoch: int = Field(ge=1, le=2**31)


class MessageRead(ReadModel):
    id: uuid.UUID
    conversation_id: uuid.UUID
    seq: int
    kind: MessageKind
    author_id: uuid.UUID | None
    client_id: str
    # Ciphertext (base64url) for people's messages; None for system messages.
    body: str | None
    epoch: int
    notice: SystemNotice | None = None
    # Plaintext parameters of a system message (the auto-reply text, crisis numbers, a name).
    params: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime


class SendResult(ReadModel):
    message: MessageRead
    # True when this client id was stored before: the same message, acknowledged again.
    duplicate: bool


class MessagePage(ReadModel):
    messages: list[MessageRead]
    last_seq: int
    # True when there are more messages after the last one in this page.
    more: bool


class MarkerUpdate(DomainModel):
    seq: Seq


class MarkerRead(ReadModel):
    conversation_id: uuid.UUID
    person_id: uuid.UUID
    read_seq: int
    delivered_seq: int
    # The key epochs she holds a grant for (made out to the key she has now): her "read" counts
    # as read for a message only when its epoch is one of these (she could open it).
    epochs: list[int] = Field(default_factory=list)


# Key epochs and grants --------------------------------------------------------------------------


class GrantCreate(DomainModel):
    recipient_id: uuid.UUID
    grant: GrantBlob


class GrantRead(ReadModel):
    conversation_id: uuid.UUID
    epoch: int
    recipient_id: uuid.UUID
    granter_id: uuid.UUID
    grant: str
    created_at: datetime


class OwnGrant(DomainModel):
    """A key of this conversation she already holds, granted to herself and signed with her own
    key, so that her grant no longer rests on the signature of a reader who may leave."""

    epoch: int = Field(ge=1, le=2**31)
    grant: GrantBlob


class OwnGrantsCreate(DomainModel):
    grants: list[OwnGrant] = Field(min_length=1, max_length=500)


class EpochCreate(DomainModel):
    """A new key epoch: its signed record and the grants for exactly the current members.

    ``epoch`` must be the current epoch plus one (compare-and-set); a conflict gets 409.
    """

    epoch: int = Field(ge=1, le=2**31)
    record: EpochRecordBlob
    grants: list[GrantCreate] = Field(min_length=1, max_length=500)


class EpochRead(ReadModel):
    conversation_id: uuid.UUID
    epoch: int
    record: str
    created_by: uuid.UUID
    created_at: datetime


# Duty roster, inbox -----------------------------------------------------------------------------


class ShiftCreate(DomainModel):
    person_id: uuid.UUID
    duty: Duty
    # Wall-clock times in the programme's time zone (what staff see on the roster).
    starts_at: datetime
    ends_at: datetime

    @model_validator(mode="after")
    def _local_and_ordered(self) -> ShiftCreate:
        if self.starts_at.tzinfo is not None or self.ends_at.tzinfo is not None:
            raise ValueError("give shift times as local times of the programme, without a time zone")
        if self.ends_at <= self.starts_at:
            raise ValueError("a shift ends after it starts")
        return self


class RosterCreate(DomainModel):
    serial: int = Field(ge=1, le=2**53)
    signed_record: SignedRecordBlob
    shifts: list[ShiftCreate] = Field(min_length=1, max_length=2000)


class ShiftRead(ReadModel):
    person_id: uuid.UUID
    duty: Duty
    starts_at: datetime
    ends_at: datetime


class RosterRead(ReadModel):
    id: uuid.UUID
    programme_id: uuid.UUID
    serial: int
    signed_record: str
    signed_by: uuid.UUID
    valid_from: datetime
    valid_until: datetime
    shifts: list[ShiftRead]
    created_at: datetime


class DutyShift(ReadModel):
    """A shift of the roster in force, with the name of who is on duty (times in the programme's zone)."""

    person_id: uuid.UUID
    display_name: str
    duty: Duty
    starts_at: datetime
    ends_at: datetime


class DutyOverview(ReadModel):
    """Who is on duty in a programme now and on the next shift of each duty, and her own coming shifts."""

    programme_id: uuid.UUID
    has_roster: bool
    now: list[DutyShift]
    next: list[DutyShift]
    mine: list[DutyShift]


class InboxEntry(ReadModel):
    """A conversation waiting for a coach: who waits and for how long, never what was written."""

    conversation_id: uuid.UUID
    participant_id: uuid.UUID
    participant_name: str
    waiting_since: datetime
    waiting_minutes: int
    escalation_level: int
    can_read: bool


# WebSocket frames: client to server -------------------------------------------------------------


class ResumeFrame(DomainModel):
    """First frame after connecting: the last seq she has per conversation."""

    type: Literal["resume"]
    since: dict[uuid.UUID, Seq] = Field(default_factory=dict, max_length=1000)


class SendFrame(MessageCreate):
    type: Literal["send"]
    conversation_id: uuid.UUID


class ReadFrame(DomainModel):
    type: Literal["read"]
    conversation_id: uuid.UUID
    seq: Seq


class DeliveredFrame(DomainModel):
    type: Literal["delivered"]
    conversation_id: uuid.UUID
    seq: Seq


class TypingFrame(DomainModel):
    type: Literal["typing"]
    conversation_id: uuid.UUID


class PingFrame(DomainModel):
    type: Literal["ping"]


ClientFrame = Annotated[
    ResumeFrame | SendFrame | ReadFrame | DeliveredFrame | TypingFrame | PingFrame,
    Field(discriminator="type"),
]


# WebSocket frames: server to client -------------------------------------------------------------


class ConversationSummary(ReadModel):
    id: uuid.UUID
    kind: ConversationKind
    last_seq: int
    epoch: int
    rotation_due: bool


class WelcomeFrame(ReadModel):
    type: Literal["welcome"] = "welcome"
    person_id: uuid.UUID
    conversations: list[ConversationSummary]
    limits: dict[str, int]


class MessageFrame(ReadModel):
    type: Literal["message"] = "message"
    message: MessageRead


class AckFrame(ReadModel):
    type: Literal["ack"] = "ack"
    conversation_id: uuid.UUID
    client_id: str
    seq: int
    message_id: uuid.UUID
    duplicate: bool
    # When the message was stored: with the seq, what her client needs to show it (the socket that
    # sent a message gets no `message` frame for it, only this).
    created_at: datetime | None = None


class CaughtUpFrame(ReadModel):
    type: Literal["caught_up"] = "caught_up"
    last_seq: dict[uuid.UUID, int]


class MarkerFrame(ReadModel):
    type: Literal["marker"] = "marker"
    marker: MarkerRead


class TypingNotice(ReadModel):
    type: Literal["typing"] = "typing"
    conversation_id: uuid.UUID
    person_id: uuid.UUID


class EpochFrame(ReadModel):
    """A new key epoch exists, or (``rotation_due``) a member's browser should make one."""

    type: Literal["epoch"] = "epoch"
    conversation_id: uuid.UUID
    epoch: int
    rotation_due: bool


class EscalationFrame(ReadModel):
    """To whoever is on duty: someone has been waiting too long (no content)."""

    type: Literal["escalation"] = "escalation"
    entry: InboxEntry


class ErrorFrame(ReadModel):
    type: Literal["error"] = "error"
    code: str
    message: str
    # The client id or frame type the error is about, when there is one.
    ref: str | None = None
    retry_after: int | None = None


class PongFrame(ReadModel):
    type: Literal["pong"] = "pong"


ServerFrame = Annotated[
    WelcomeFrame
    | MessageFrame
    | AckFrame
    | CaughtUpFrame
    | MarkerFrame
    | TypingNotice
    | EpochFrame
    | EscalationFrame
    | ErrorFrame
    | PongFrame,
    Field(discriminator="type"),
]


# Web Push ------------------------------------------------------------------------------------------

PushKey = Annotated[str, StringConstraints(min_length=16, max_length=200), AfterValidator(_base64url)]


def _push_endpoint(value: str) -> str:
    # Push services are always https; plain http only to this machine (a development push server).
    local = value.startswith(("http://127.0.0.1:", "http://localhost:"))
    if not (value.startswith("https://") or local) or any(c.isspace() for c in value):
        raise ValueError("must be the https address your browser's push service gave it")
    return value


class PushKeys(DomainModel):
    p256dh: PushKey
    auth: PushKey


class PushSubscriptionCreate(DomainModel):
    """As a browser's ``PushSubscription.toJSON()`` gives it (``expirationTime`` is ignored)."""

    endpoint: Annotated[str, StringConstraints(min_length=12, max_length=1000), AfterValidator(_push_endpoint)]
    keys: PushKeys
    expiration_time: int | None = Field(default=None, alias="expirationTime")


class PushSubscriptionDelete(DomainModel):
    endpoint: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class PushSettingsUpdate(DomainModel):
    enabled: bool


class PushSettingsRead(ReadModel):
    enabled: bool
    # The VAPID public key a browser subscribes with; null when the server has none configured.
    public_key: str | None
    subscriptions: int


# Attachments -----------------------------------------------------------------------------------
# Photos, documents and voice notes travel like portfolio attachments (docs/crypto-spec.md 7.2):
# encrypted in 64 KiB chunks in the browser under a random key, uploaded part by part, resumable.
# The key and the file's metadata travel inside the signed, encrypted message that names the
# attachment (docs/chat-protocol.md); the server sees the ciphertext, its size and the kind only.

# The largest file one message carries (a long voice note, a scanned document); the programme's
# attachment quota per person applies on top.
MAX_CHAT_ATTACHMENT_BYTES = 50 * 1024 * 1024
# The smallest stream: the 38-byte header and one empty last chunk (its 16-byte tag).
MIN_CHAT_ATTACHMENT_BYTES = 38 + 16


class AttachmentKind(StrEnum):
    photo = "photo"
    document = "document"
    voice_note = "voice_note"


def _key_id(value: str) -> str:
    if len(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))) != 16:
        raise ValueError("must be the 16-byte key id of the file's key, in base64url")
    return value


KeyIdBlob = Annotated[
    str, StringConstraints(min_length=22, max_length=22), AfterValidator(_base64url), AfterValidator(_key_id)
]


class ChatAttachmentCreate(DomainModel):
    """Announce an attachment's ciphertext stream (header plus chunks, in bytes) before its parts.

    ``id`` is made by the browser, so announcing again after a lost answer finds the same one."""

    id: uuid.UUID
    kind: AttachmentKind
    key_id: KeyIdBlob
    size: int = Field(ge=MIN_CHAT_ATTACHMENT_BYTES, le=MAX_CHAT_ATTACHMENT_BYTES)


class ChatAttachmentRead(ReadModel):
    id: uuid.UUID
    conversation_id: uuid.UUID
    uploader_id: uuid.UUID
    kind: AttachmentKind
    key_id: str
    size: int
    parts: int
    received: int
    complete: bool
    # Indexes of parts the server does not have yet (for resuming); empty when complete.
    missing: list[int] = Field(default_factory=list)
    created_at: datetime
