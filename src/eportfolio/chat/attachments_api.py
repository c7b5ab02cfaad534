"""JSON routes for files in a conversation, under /api/v1/chat: announce, send parts (raw bytes,
one part per request, as for portfolio attachments), ask what is missing, and download the
ciphertext stream. The browser decrypts it with the key from the message that names the file."""

from __future__ import annotations

import uuid

from fastapi import Path, Request, Response
from fastapi.responses import FileResponse

from eportfolio.chat import attachments as service
from eportfolio.domain.chat import ChatAttachmentCreate, ChatAttachmentRead
from eportfolio.kit.auth import CallerDep
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import api_router
from eportfolio.portfolio.api import read_part

router = api_router("/chat", "chat")
BASE = "/conversations/{conversation_id}/attachments"


@router.post(BASE, status_code=201)
async def create_attachment(
    uow: UowDep, caller: CallerDep, conversation_id: uuid.UUID, data: ChatAttachmentCreate, response: Response
) -> ChatAttachmentRead:
    """201 when announced now; 200 with what the server has when this file was announced before."""
    read, created = await service.create_attachment(uow, caller, conversation_id, data)
    response.status_code = 201 if created else 200
    return read


@router.get(BASE + "/{attachment_id}")
async def attachment_status(
    uow: UowDep, caller: CallerDep, conversation_id: uuid.UUID, attachment_id: uuid.UUID
) -> ChatAttachmentRead:
    return await service.attachment_status(uow, caller, conversation_id, attachment_id)


@router.put(BASE + "/{attachment_id}/parts/{part}")
async def put_part(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    conversation_id: uuid.UUID,
    attachment_id: uuid.UUID,
    part: int = Path(ge=0, le=2**31 - 1),
) -> ChatAttachmentRead:
    data = await read_part(request)
    blob_dir = request.app.state.settings.blob_dir
    return await service.put_part(uow, caller, conversation_id, attachment_id, part, data, blob_dir)


@router.get(BASE + "/{attachment_id}/download")
async def download_attachment(
    request: Request, uow: UowDep, caller: CallerDep, conversation_id: uuid.UUID, attachment_id: uuid.UUID
) -> Response:
    blob_dir = request.app.state.settings.blob_dir
    path, size = await service.attachment_file(uow, caller, conversation_id, attachment_id, blob_dir)
    return FileResponse(
        path,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{attachment_id}.bin"',
            "Content-Length": str(size),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
