"""Access-log scenarios of files in the chat: each personal-data service of
``eportfolio.chat.attachments``, on her coaching conversation (see ``chat_scenarios``)."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

from eportfolio import crypto
from eportfolio.chat import attachments
from eportfolio.domain.chat import AttachmentKind, ChatAttachmentCreate
from eportfolio.kit.auth import Caller
from eportfolio.kit.uow import UnitOfWork
from tests.support.access_scenarios import scenario
from tests.support.chat_scenarios import _conversation, _her
from tests.support.world import World

S = "eportfolio.chat.attachments."
KEY = b"\x07" * 32
SALT, PARTS = crypto.encrypt_attachment(KEY, [b"a short voice note"])
BLOB_DIR = Path(tempfile.mkdtemp(prefix="eportfolio-chat-files-"))


def _file_id(w: World) -> uuid.UUID:
    return uuid.uuid5(w.organisation_id, "chat-attachment-scenario")


def _announcement(w: World) -> ChatAttachmentCreate:
    return ChatAttachmentCreate(
        id=_file_id(w),
        kind=AttachmentKind.voice_note,
        key_id=crypto.b64u_encode(crypto.key_id(KEY)),
        size=sum(len(p) for p in PARTS),
    )


async def _announced(uow: UnitOfWork, caller: Caller, w: World) -> object:
    conversation = await _conversation(uow, w)
    return await attachments.create_attachment(uow, _her(w), conversation, _announcement(w))


async def _uploaded(uow: UnitOfWork, caller: Caller, w: World) -> object:
    conversation = await _conversation(uow, w)
    await attachments.create_attachment(uow, _her(w), conversation, _announcement(w))
    for index, part in enumerate(PARTS):
        await attachments.put_part(uow, _her(w), conversation, _file_id(w), index, part, BLOB_DIR)
    return None


@scenario(S + "create_attachment", lambda w: w.participant_a)
async def _create_attachment(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await attachments.create_attachment(uow, caller, await _conversation(uow, w), _announcement(w))


@scenario(S + "put_part", lambda w: w.participant_a, setup=_announced)
async def _put_part(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await attachments.put_part(uow, caller, await _conversation(uow, w), _file_id(w), 0, PARTS[0], BLOB_DIR)


@scenario(S + "attachment_status", lambda w: w.coach_a, setup=_announced)
async def _attachment_status(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await attachments.attachment_status(uow, caller, await _conversation(uow, w), _file_id(w))


@scenario(S + "attachment_file", lambda w: w.coach_a, setup=_uploaded)
async def _attachment_file(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await attachments.attachment_file(uow, caller, await _conversation(uow, w), _file_id(w), BLOB_DIR)
