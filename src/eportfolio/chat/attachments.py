"""Photos, documents and voice notes in a conversation: the portfolio's encrypted chunked upload
with a conversation scope.

The stream format, its checks (a part cut off, too long or with a foreign header is refused) and
the blob directory are the portfolio's (``portfolio.service.check_part``, ``write_part``,
``stream_parts``); the rows are the chat's own, so a conversation's files leave with it. Only
current members of the conversation may announce, send or fetch its files, checked on every
request the same way as a message (``service.access_conversation``): a coach whose assignment
ended is no member, so she gets nothing sent after that. The file's key never reaches the server:
it travels inside the signed, encrypted message that names the file (docs/chat-protocol.md).
"""

from __future__ import annotations

import functools
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from eportfolio.chat.service import ConversationAccess, _subjects, access_conversation
from eportfolio.chat.tables import ChatAttachment, ChatAttachmentPart
from eportfolio.crypto import b64u_decode
from eportfolio.domain.chat import AttachmentKind, ChatAttachmentCreate, ChatAttachmentRead
from eportfolio.kit.audit import Action, personal_data, record_access
from eportfolio.kit.auth import Caller
from eportfolio.kit.clock import utcnow
from eportfolio.kit.errors import N_, Conflict, Forbidden, InvalidInput, NotFound, PayloadTooLarge
from eportfolio.kit.uow import UnitOfWork
from eportfolio.portfolio import service as portfolio

RECORD_KIND = "chat_attachment"


@functools.cache
def _insert_part(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(ChatAttachmentPart.__table__)  # type: ignore[arg-type]  # __table__ is typed as FromClause; on a mapped class it is the Table insert/update want
    return statement.on_conflict_do_nothing(index_elements=["attachment_id", "part"])


def _read(row: ChatAttachment, received: set[int] | None) -> ChatAttachmentRead:
    missing = [] if row.complete or received is None else [i for i in range(row.parts) if i not in received]
    return ChatAttachmentRead(
        id=row.id,
        conversation_id=row.conversation_id,
        uploader_id=row.uploader_id,
        kind=AttachmentKind(row.kind),
        key_id=row.key_id,
        size=row.size,
        parts=row.parts,
        received=row.received,
        complete=row.complete,
        missing=missing,
        created_at=row.created_at,
    )


def _log(uow: UnitOfWork, caller: Caller, access: ConversationAccess, action: Action) -> None:
    record_access(
        uow,
        caller,
        role=access.acting_role,
        subjects=_subjects(access.conversation, caller),
        record_kind=RECORD_KIND,
        action=action,
        programme_id=access.conversation.programme_id,
    )


async def _used_bytes(uow: UnitOfWork, programme_id: uuid.UUID, uploader_id: uuid.UUID) -> int:
    result = await uow.session.execute(
        select(func.coalesce(func.sum(ChatAttachment.size), 0)).where(
            ChatAttachment.programme_id == programme_id, ChatAttachment.uploader_id == uploader_id
        )
    )
    return int(result.scalar_one())


async def _received(uow: UnitOfWork, attachment_id: uuid.UUID) -> set[int]:
    result = await uow.session.execute(
        select(ChatAttachmentPart.part).where(ChatAttachmentPart.attachment_id == attachment_id)
    )
    return set(result.scalars())


async def _attachment(uow: UnitOfWork, access: ConversationAccess, attachment_id: uuid.UUID) -> ChatAttachment:
    row = await uow.session.get(ChatAttachment, attachment_id)
    if row is None or row.conversation_id != access.conversation.id:
        raise NotFound(N_("This file does not exist in this conversation."))
    return row


@personal_data(RECORD_KIND)
async def create_attachment(
    uow: UnitOfWork, caller: Caller, conversation_id: uuid.UUID, data: ChatAttachmentCreate
) -> tuple[ChatAttachmentRead, bool]:
    """Announce a file's ciphertext stream; its whole size counts against her quota now.

    Returns the attachment and whether it is new: announcing the same file again (same id, size
    and key) answers with what the server has, so a browser that lost the answer resumes."""
    access = await access_conversation(uow, caller, conversation_id)
    existing = await uow.session.get(ChatAttachment, data.id)
    if existing is not None:
        same = (
            existing.conversation_id == conversation_id
            and existing.uploader_id == caller.person_id
            and (existing.size, existing.key_id, existing.kind) == (data.size, data.key_id, data.kind.value)
        )
        if not same:
            raise Conflict(N_("Another file has this id already. Choose the file again to send it."))
        _log(uow, caller, access, Action.read)
        return _read(existing, await _received(uow, existing.id)), False
    parts = portfolio.stream_parts(data.size)
    if parts is None:
        raise InvalidInput(N_("This size does not fit an encrypted file."), field="size")
    quota = portfolio.quota_bytes(access.programme)
    used = await _used_bytes(uow, access.conversation.programme_id, caller.person_id)
    if used + data.size > quota:
        raise PayloadTooLarge(
            N_(
                "There is no room for this file: you have %(free)s MB left for files in the chat. "
                "Choose a smaller file or ask your programme for more room."
            ),
            params={"free": max(0, quota - used) // (1024 * 1024)},
        )
    row = ChatAttachment(
        id=data.id,
        organisation_id=access.conversation.organisation_id,
        programme_id=access.conversation.programme_id,
        conversation_id=conversation_id,
        uploader_id=caller.person_id,
        kind=data.kind.value,
        key_id=data.key_id,
        size=data.size,
        parts=parts,
        received=0,
        complete=False,
        blob_name=f"chat/{conversation_id}/{data.id}.bin",
        created_at=utcnow(),
    )
    uow.session.add(row)
    await uow.flush()
    _log(uow, caller, access, Action.create)
    return _read(row, set()), True


@personal_data(RECORD_KIND)
async def put_part(
    uow: UnitOfWork,
    caller: Caller,
    conversation_id: uuid.UUID,
    attachment_id: uuid.UUID,
    part: int,
    data: bytes,
    blob_dir: Path,
) -> ChatAttachmentRead:
    """Store one part of the stream (idempotent: a part received before is acknowledged again)."""
    access = await access_conversation(uow, caller, conversation_id)
    row = await _attachment(uow, access, attachment_id)
    if row.uploader_id != caller.person_id:
        raise Forbidden(N_("Only the person who sends a file can add its parts."))
    offset = portfolio.check_part(row.size, row.parts, part, data, b64u_decode(row.key_id))
    if await uow.session.get(ChatAttachmentPart, (row.id, part)) is None:
        await portfolio.write_part(blob_dir / row.blob_name, offset, data)
        # The same part sent twice at once (a resend racing its first attempt) is stored once.
        inserted = await uow.session.execute(
            _insert_part(uow.session.get_bind().dialect.name).values(attachment_id=row.id, part=part, size=len(data))
        )
        if getattr(inserted, "rowcount", 0) == 1:
            # One more part; complete when all are (in the same statement, so no race).
            await uow.session.execute(
                update(ChatAttachment)
                .where(ChatAttachment.id == row.id)
                .values(received=ChatAttachment.received + 1, complete=ChatAttachment.received + 1 >= row.parts)
            )
        await uow.session.refresh(row)
    _log(uow, caller, access, Action.update)
    return _read(row, await _received(uow, row.id))


@personal_data(RECORD_KIND)
async def attachment_status(
    uow: UnitOfWork, caller: Caller, conversation_id: uuid.UUID, attachment_id: uuid.UUID
) -> ChatAttachmentRead:
    """What the server has of a file: resume by sending the parts listed in ``missing``."""
    access = await access_conversation(uow, caller, conversation_id)
    row = await _attachment(uow, access, attachment_id)
    _log(uow, caller, access, Action.read)
    return _read(row, await _received(uow, row.id))


@personal_data(RECORD_KIND)
async def attachment_file(
    uow: UnitOfWork, caller: Caller, conversation_id: uuid.UUID, attachment_id: uuid.UUID, blob_dir: Path
) -> tuple[Path, int]:
    """The stored ciphertext stream of a complete file, for a member's download."""
    access = await access_conversation(uow, caller, conversation_id)
    row = await _attachment(uow, access, attachment_id)
    if not row.complete:
        raise NotFound(N_("This file is not complete yet."))
    _log(uow, caller, access, Action.read)
    return blob_dir / row.blob_name, row.size
