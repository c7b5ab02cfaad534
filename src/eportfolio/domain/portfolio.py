"""The e-portfolio: items with the audience she chooses, goal plans, comments, attachments, key
epochs and grants, and her pinned-keys record.

The server never reads what she or her coaches write. Titles, bodies, file names, comments and
everything inside a goal plan (life areas, steps, dates, who helps) are inside an Envelope
(`docs/crypto-spec.md` section 7.1), which is a base64url blob to the server. What stays plaintext
is what `CRYPTO.md` allows: the kind of an item, its audience, revision, sizes, key ids, dates,
and for a goal plan an optional status and progress figure that her browser fills in, with the
due date of her next step to do as the item's date (``occurred_on``), which her home page and her
coach's caseload show ("next step due") without opening the plan.

Identifiers that enter the associated data of an envelope (the portfolio id, the item id, the
comment id) are made by the client before it encrypts, as UUIDs; the server checks they are new.
"""

from __future__ import annotations

import base64
import re
import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from eportfolio.domain.common import DomainModel, ReadModel

# Resource types bound into the associated data of envelopes and grants (crypto-spec section 1).
PORTFOLIO_RESOURCE = "portfolio"  # epochs, epoch grants, items (resource id = portfolio id)
ITEM_GRANT_RESOURCE = "portfolio-item"  # grants of an item key to chosen people (resource id = item id)
COMMENT_RESOURCE = "portfolio-comment"  # comments (resource id = item id, item id = comment id)

# Sizes. An item of text (a life story of some pages) fits in 256 KiB of ciphertext; a goal plan
# with all its steps is far smaller. Attachments travel separately, in chunks.
MAX_ENVELOPE_CHARS = 350 * 1024
MAX_COMMENT_CHARS = 24 * 1024
MAX_GRANT_CHARS = 2 * 1024
MAX_EPOCH_RECORD_CHARS = 2 * 1024
MAX_WRAP_CHARS = 256
MAX_PINNED_CHARS = 256 * 1024
MAX_CHOSEN_READERS = 20

# Attachment stream (crypto-spec section 7.2): part 0 is the 38-byte header, part i >= 1 is chunk
# i - 1, every chunk but the last exactly 65536 + 16 bytes.
ATTACHMENT_HEADER_BYTES = 38
ATTACHMENT_CHUNK_BYTES = 65536 + 16
ATTACHMENT_TAG_BYTES = 16
# The largest single attachment (a short video); the programme quota applies on top.
MAX_ATTACHMENT_BYTES = 200 * 1024 * 1024

_B64U = re.compile(r"^[A-Za-z0-9_-]*$")


def decode_b64u(value: str) -> bytes:
    """Strict base64url without padding (crypto-spec section 1): refuses padding and stray bits."""
    if not _B64U.match(value) or len(value) % 4 == 1:
        raise ValueError("must be base64url without padding")
    data = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    if base64.urlsafe_b64encode(data).rstrip(b"=").decode() != value:
        raise ValueError("must be base64url without padding")
    return data


def _base64url(value: str) -> str:
    if not value:
        raise ValueError("must not be empty")
    decode_b64u(value)
    return value


def _header(version_tag: bytes, what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not decode_b64u(value).startswith(version_tag):
            raise ValueError(f"is not {what} of scheme version 1")
        return value

    return AfterValidator(check)


def _key_id(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_-]{22}", value) or len(decode_b64u(value)) != 16:
        raise ValueError("must be a key id: 16 bytes in base64url")
    return value


EnvelopeBlob = Annotated[
    str,
    StringConstraints(min_length=4, max_length=MAX_ENVELOPE_CHARS),
    AfterValidator(_base64url),
    _header(b"\x01\x06", "an encrypted item"),
]
CommentBlob = Annotated[
    str,
    StringConstraints(min_length=4, max_length=MAX_COMMENT_CHARS),
    AfterValidator(_base64url),
    _header(b"\x01\x06", "an encrypted comment"),
]
GrantBlob = Annotated[
    str,
    StringConstraints(min_length=4, max_length=MAX_GRANT_CHARS),
    AfterValidator(_base64url),
    _header(b"\x01\x07", "a key grant"),
]
EpochRecordBlob = Annotated[
    str,
    StringConstraints(min_length=4, max_length=MAX_EPOCH_RECORD_CHARS),
    AfterValidator(_base64url),
    _header(b"\x01\x09", "a key epoch record"),
]
# An item key wrapped under her user key or the portfolio epoch key: SecretBox purpose 0x05.
WrapBlob = Annotated[
    str,
    StringConstraints(min_length=4, max_length=MAX_WRAP_CHARS),
    AfterValidator(_base64url),
    _header(b"\x01\x02\x05", "a wrapped item key"),
]
PinnedKeysBlob = Annotated[
    str,
    StringConstraints(min_length=4, max_length=MAX_PINNED_CHARS),
    AfterValidator(_base64url),
    _header(b"\x01\x0a", "a pinned-keys record"),
]
KeyId = Annotated[str, AfterValidator(_key_id)]


class ItemKind(StrEnum):
    diary = "diary"  # diary entry or reflection
    document = "document"
    motivation_letter = "motivation_letter"
    life_story = "life_story"
    photo = "photo"
    video = "video"  # short video
    voice_note = "voice_note"
    sociogram = "sociogram"
    genogram = "genogram"
    goal_plan = "goal_plan"
    # An answer to a module assignment, kept in her portfolio (see docs/portfolio.md).
    assignment_answer = "assignment_answer"


# Kinds whose content is a file: the envelope holds the AttachmentMeta, the stream is uploaded apart.
ATTACHMENT_KINDS = frozenset({ItemKind.photo, ItemKind.video, ItemKind.voice_note, ItemKind.document})
# Kinds her coaches may edit as well as she (a coach suggests steps in a goal plan).
SHARED_EDIT_KINDS = frozenset({ItemKind.goal_plan})


class FileStatus(StrEnum):
    complete = "complete"
    incomplete = "incomplete"
    missing = "missing"


class Audience(StrEnum):
    only_me = "only_me"  # item key under her user key
    my_coaches = "my_coaches"  # item key under the portfolio epoch key (the default)
    chosen = "chosen"  # item key granted to each chosen person, plus a copy under her user key


class GoalStatus(StrEnum):
    """The plaintext summary of a goal plan; the goals and steps themselves are ciphertext."""

    open = "open"
    in_progress = "in_progress"
    done = "done"
    paused = "paused"


class LifeArea(StrEnum):
    """The life areas of a goal-action plan. Used by the browser only: inside the ciphertext."""

    psychosocial = "psychosocial"
    housing = "housing"
    income = "income"
    budget_and_debts = "budget_and_debts"
    education = "education"
    work = "work"
    children = "children"


# Portfolio and key epochs --------------------------------------------------------------------


class PortfolioRead(ReadModel):
    id: uuid.UUID
    programme_id: uuid.UUID
    participant_id: uuid.UUID
    epoch: int
    epoch_key_id: str | None
    created_at: datetime
    # The caller's relation to it: "owner" or "coach".
    my_role: str = "owner"
    # Current readers by rule (her and her coaches with a current signed assignment), and who of
    # them holds a grant of the current epoch; the rest see "waiting for access".
    members: list[MemberRead] = Field(default_factory=list)
    # Someone holds the current key who is no longer a reader (a coach left): the next member
    # browser starts a new epoch for the readers now.
    rotation_due: bool = False


class MemberRead(ReadModel):
    person_id: uuid.UUID
    display_name: str
    role: str  # "owner" | "coach"
    coach_kind: str | None = None
    has_current_grant: bool


class GrantCreate(DomainModel):
    recipient_id: uuid.UUID
    grant: GrantBlob


class GrantRead(ReadModel):
    portfolio_id: uuid.UUID
    epoch: int
    recipient_id: uuid.UUID
    granter_id: uuid.UUID
    grant: str
    created_at: datetime


class EpochCreate(DomainModel):
    """A new key epoch (compare-and-set: ``epoch`` is the current number plus one, else 409)."""

    epoch: int = Field(ge=1, le=2**31 - 1)
    record: EpochRecordBlob
    grants: list[GrantCreate] = Field(min_length=1, max_length=100)


class GrantsCreate(DomainModel):
    epoch: int = Field(ge=1, le=2**31 - 1)
    grants: list[GrantCreate] = Field(min_length=1, max_length=100)


class OwnGrant(DomainModel):
    """A key she already holds, granted to herself and signed with her own key (her grant for it
    then no longer rests on the signature of a reader who may leave)."""

    epoch: int = Field(ge=1, le=2**31 - 1)
    grant: GrantBlob


class OwnGrantsCreate(DomainModel):
    grants: list[OwnGrant] = Field(min_length=1, max_length=500)


class EpochRead(ReadModel):
    portfolio_id: uuid.UUID
    epoch: int
    key_id: str
    record: str
    created_by: uuid.UUID
    created_at: datetime


# Items ---------------------------------------------------------------------------------------


class ItemKeyCopy(DomainModel):
    """How the item key reaches its audience (one of the three, by audience)."""

    # only_me and chosen: the item key under her user key.
    user_wrap: WrapBlob | None = None
    # my_coaches: the item key under the portfolio key of this epoch.
    epoch: int | None = Field(default=None, ge=1, le=2**31 - 1)
    epoch_wrap: WrapBlob | None = None
    # chosen: a grant of the item key to each chosen person.
    grants: list[GrantCreate] = Field(default_factory=list, max_length=MAX_CHOSEN_READERS)


class ItemCreate(DomainModel):
    id: uuid.UUID
    kind: ItemKind
    audience: Audience = Audience.my_coaches
    key_id: KeyId
    envelope: EnvelopeBlob
    keys: ItemKeyCopy
    # Plaintext facts CRYPTO.md allows: the date it is about, a goal plan's status and progress.
    occurred_on: date | None = None
    status: GoalStatus | None = None
    progress: int | None = Field(default=None, ge=0, le=100)


class ItemUpdate(DomainModel):
    """A new revision. ``base_revision`` must be the latest, else 409 with the current one."""

    base_revision: int = Field(ge=1)
    envelope: EnvelopeBlob
    # A new audience needs new key copies; without ``audience`` the copies stay.
    audience: Audience | None = None
    key_id: KeyId | None = None
    keys: ItemKeyCopy | None = None
    occurred_on: date | None = None
    status: GoalStatus | None = None
    progress: int | None = Field(default=None, ge=0, le=100)


class ItemKeyRead(ReadModel):
    kind: str  # "user" | "epoch" | "grant"
    epoch: int | None
    recipient_id: uuid.UUID | None
    blob: str


class ItemRead(ReadModel):
    id: uuid.UUID
    portfolio_id: uuid.UUID
    kind: ItemKind
    audience: Audience
    author_id: uuid.UUID
    created_by: uuid.UUID
    revision: int
    key_id: str
    envelope: str
    occurred_on: date | None
    status: GoalStatus | None
    progress: int | None
    comment_count: int = 0
    attachment: AttachmentRead | None = None
    # For an item with a file (photo, video, voice note, document): "complete" when the whole
    # stream arrived, "incomplete" while parts are missing, "missing" when none was announced. Every
    # device shows a warning for the last two; None for items without a file.
    file_status: FileStatus | None = None
    # Only the copies this reader can use (hers, the epoch copy, or the grant to her).
    keys: list[ItemKeyRead] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime


class ItemSummary(ReadModel):
    id: uuid.UUID
    kind: ItemKind
    audience: Audience
    revision: int
    updated_at: datetime


# Comments ------------------------------------------------------------------------------------


class CommentCreate(DomainModel):
    id: uuid.UUID
    key_id: KeyId
    envelope: CommentBlob


class CommentRead(ReadModel):
    id: uuid.UUID
    item_id: uuid.UUID
    author_id: uuid.UUID
    key_id: str
    envelope: str
    created_at: datetime


# Attachments ---------------------------------------------------------------------------------


Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class AttachmentCreate(DomainModel):
    """Announce the ciphertext stream of an attachment item: header plus chunks, in bytes, and
    the SHA-256 of the whole stream (checked when the last part arrives, so a resumed upload is
    complete only when it is exactly the stream her browser encrypted).

    Announcing the same stream again (same size and hash) answers with what the server has, so a
    browser that lost the answer, or was closed, resumes. ``restart`` replaces a stream that never
    arrived completely with another one (she chose the file again); a complete file is never
    replaced."""

    size: int = Field(ge=ATTACHMENT_HEADER_BYTES + ATTACHMENT_TAG_BYTES, le=MAX_ATTACHMENT_BYTES)
    sha256: Sha256Hex
    restart: bool = False


class AttachmentRead(ReadModel):
    item_id: uuid.UUID
    size: int
    parts: int
    # Parts received, and the bytes they make up from the start of the stream (parts arrive in
    # order, so this is the offset to resume from). In a list of items only the counts are given
    # (``received_bytes``, ``next_part`` and ``missing`` come with the attachment's own status).
    received: int
    received_bytes: int | None = None
    complete: bool
    # The part to send next (None when complete); parts after it are refused until it arrived.
    next_part: int | None = None
    # Indexes of parts the server does not have yet (for resuming); empty when complete.
    missing: list[int] = Field(default_factory=list)
    # The SHA-256 announced for the stream (None for a file announced before hashes were kept).
    sha256: str | None = None


def _challenge(value: str) -> str:
    if not 16 <= len(decode_b64u(value)) <= 64:
        raise ValueError("must be 16 to 64 bytes")
    return value


class AttachmentProofAsk(DomainModel):
    """A fresh random challenge from her browser (base64url, 16 to 64 bytes)."""

    challenge: Annotated[str, StringConstraints(max_length=88), AfterValidator(_challenge)]


class AttachmentProofRead(ReadModel):
    """SHA-256 (hex) of the challenge followed by the whole stored stream: only a server that
    holds every byte can answer, and her browser, which kept the stream, checks it without
    downloading the file again."""

    proof: str


class QuotaRead(ReadModel):
    used_bytes: int
    quota_bytes: int


# Pinned keys ---------------------------------------------------------------------------------


class PinnedKeysWrite(DomainModel):
    """Her pinned-keys record; ``revision`` must be higher than the stored one, else 409."""

    # Far below the format's u64: a browser never signs a revision that leaves no room for the next.
    revision: int = Field(ge=1, lt=2**31)
    record: PinnedKeysBlob


class PinnedKeysRead(ReadModel):
    revision: int
    record: str
    updated_at: datetime


PortfolioRead.model_rebuild()
ItemRead.model_rebuild()
