"""JSON routes of the portfolio under /api/v1/portfolio and /api/v1/pinned-keys.

Everything that carries content is ciphertext (base64url) both ways. A stale revision or epoch
gets 409 with the current number in the error body (``current_revision`` / ``current_epoch``),
so the client can fetch what changed and show a merge screen. Attachment parts travel as raw
bytes (``application/octet-stream``), one part per request, and are served back only as a
download.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import TypeVar

from fastapi import BackgroundTasks, Path, Request, Response
from fastapi.responses import FileResponse

from eportfolio.domain.portfolio import (
    ATTACHMENT_CHUNK_BYTES,
    AttachmentCreate,
    AttachmentProofAsk,
    AttachmentProofRead,
    AttachmentRead,
    CommentCreate,
    CommentRead,
    EpochCreate,
    EpochRead,
    GrantRead,
    GrantsCreate,
    ItemCreate,
    ItemRead,
    ItemUpdate,
    OwnGrantsCreate,
    PinnedKeysRead,
    PinnedKeysWrite,
    PortfolioRead,
    QuotaRead,
    decode_b64u,
)
from eportfolio.kit.auth import CallerDep
from eportfolio.kit.errors import PayloadTooLarge
from eportfolio.kit.uow import UnitOfWork, UowDep
from eportfolio.kit.web import api_router, error_response, translate
from eportfolio.portfolio import service

router = api_router("/portfolio", "portfolio")
pinned_router = api_router("/pinned-keys", "portfolio")
routers = (router, pinned_router)

T = TypeVar("T")


async def _or_conflict(request: Request, uow: UnitOfWork, call: Awaitable[T]) -> T | Response:
    """Run a use case; a stale revision or epoch becomes 409 carrying the current number (and
    nothing of the refused request is kept)."""
    try:
        return await call
    except (service.StaleRevision, service.StaleEpoch):
        await uow.session.rollback()
        raise


async def _conflict_response(request: Request, uow: UnitOfWork, call: Awaitable[T]) -> T | Response:
    try:
        return await _or_conflict(request, uow, call)
    except service.StaleRevision as exc:
        message = translate(request, exc.message, **exc.params)
        return error_response(request, 409, exc.code, message, current_revision=exc.current)
    except service.StaleEpoch as exc:
        message = translate(request, exc.message, **exc.params)
        return error_response(request, 409, exc.code, message, current_epoch=exc.current)


# Portfolios, epochs, grants ---------------------------------------------------------------------


@router.get("/programmes/{programme_id}/portfolios")
async def list_portfolios(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> list[PortfolioRead]:
    return await service.list_portfolios(uow, caller, programme_id)


@router.post("/programmes/{programme_id}/mine")
async def open_my_portfolio(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> PortfolioRead:
    return await service.open_my_portfolio(uow, caller, programme_id)


@router.get("/{portfolio_id}")
async def get_portfolio(uow: UowDep, caller: CallerDep, portfolio_id: uuid.UUID) -> PortfolioRead:
    return await service.get_portfolio(uow, caller, portfolio_id)


@router.get("/{portfolio_id}/epochs")
async def list_epochs(uow: UowDep, caller: CallerDep, portfolio_id: uuid.UUID) -> list[EpochRead]:
    return await service.list_epochs(uow, caller, portfolio_id)


@router.post("/{portfolio_id}/epochs", status_code=201, response_model=EpochRead)
async def create_epoch(
    request: Request, uow: UowDep, caller: CallerDep, portfolio_id: uuid.UUID, data: EpochCreate
) -> EpochRead | Response:
    return await _conflict_response(request, uow, service.create_epoch(uow, caller, portfolio_id, data))


@router.post("/{portfolio_id}/grants", status_code=201, response_model=list[GrantRead])
async def add_grants(
    request: Request, uow: UowDep, caller: CallerDep, portfolio_id: uuid.UUID, data: GrantsCreate
) -> list[GrantRead] | Response:
    added = service.add_grants(uow, caller, portfolio_id, data.epoch, data.grants)
    return await _conflict_response(request, uow, added)


@router.post("/{portfolio_id}/grants/own", status_code=201, response_model=list[GrantRead])
async def keep_own_grants(
    request: Request, uow: UowDep, caller: CallerDep, portfolio_id: uuid.UUID, data: OwnGrantsCreate
) -> list[GrantRead] | Response:
    kept = service.keep_own_grants(uow, caller, portfolio_id, data.grants)
    return await _conflict_response(request, uow, kept)


@router.get("/{portfolio_id}/grants/mine")
async def my_grants(uow: UowDep, caller: CallerDep, portfolio_id: uuid.UUID) -> list[GrantRead]:
    return await service.my_grants(uow, caller, portfolio_id)


@router.get("/{portfolio_id}/quota")
async def quota(uow: UowDep, caller: CallerDep, portfolio_id: uuid.UUID) -> QuotaRead:
    return await service.quota(uow, caller, portfolio_id)


# Items and comments ---------------------------------------------------------------------------


@router.get("/{portfolio_id}/items")
async def list_items(uow: UowDep, caller: CallerDep, portfolio_id: uuid.UUID) -> list[ItemRead]:
    return await service.list_items(uow, caller, portfolio_id)


@router.post("/{portfolio_id}/items", status_code=201, response_model=ItemRead)
async def create_item(
    request: Request, uow: UowDep, caller: CallerDep, portfolio_id: uuid.UUID, data: ItemCreate
) -> ItemRead | Response:
    return await _conflict_response(request, uow, service.create_item(uow, caller, portfolio_id, data))


@router.get("/items/{item_id}")
async def get_item(uow: UowDep, caller: CallerDep, item_id: uuid.UUID) -> ItemRead:
    return await service.get_item(uow, caller, item_id)


@router.put("/items/{item_id}", response_model=ItemRead)
async def update_item(
    request: Request, uow: UowDep, caller: CallerDep, item_id: uuid.UUID, data: ItemUpdate
) -> ItemRead | Response:
    return await _conflict_response(request, uow, service.update_item(uow, caller, item_id, data))


@router.delete("/items/{item_id}", status_code=204)
async def delete_item(
    request: Request, uow: UowDep, caller: CallerDep, item_id: uuid.UUID, after: BackgroundTasks
) -> None:
    blob = await service.delete_item(uow, caller, item_id, request.app.state.settings.blob_dir)
    if blob is not None:
        after.add_task(service.remove_blob, blob)  # runs after the commit and the response


@router.get("/items/{item_id}/comments")
async def list_comments(uow: UowDep, caller: CallerDep, item_id: uuid.UUID) -> list[CommentRead]:
    return await service.list_comments(uow, caller, item_id)


@router.post("/items/{item_id}/comments", status_code=201)
async def create_comment(uow: UowDep, caller: CallerDep, item_id: uuid.UUID, data: CommentCreate) -> CommentRead:
    return await service.create_comment(uow, caller, item_id, data)


# Attachments ----------------------------------------------------------------------------------


async def read_part(request: Request) -> bytes:
    """The raw body of one part, refused as soon as it is longer than one chunk can be (the chat
    reads its attachment parts with this too)."""
    limit = ATTACHMENT_CHUNK_BYTES
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge()
    body = bytearray()
    async for piece in request.stream():
        body += piece
        if len(body) > limit:
            raise PayloadTooLarge()
    return bytes(body)


@router.post("/items/{item_id}/attachment", status_code=201)
async def create_attachment(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    item_id: uuid.UUID,
    data: AttachmentCreate,
    response: Response,
    after: BackgroundTasks,
) -> AttachmentRead:
    """201 when the stream is announced (or restarted) now; 200 with what the server has when
    this stream was announced before (same size and hash), so a browser resumes."""
    announced = await service.create_attachment(uow, caller, item_id, data, request.app.state.settings.blob_dir)
    response.status_code = 201 if announced.started else 200
    if announced.replaced_blob is not None:
        after.add_task(service.remove_blob, announced.replaced_blob)  # after the commit
    return announced.attachment


@router.get("/items/{item_id}/attachment")
async def attachment_status(uow: UowDep, caller: CallerDep, item_id: uuid.UUID) -> AttachmentRead:
    """What the server has: resume from ``next_part`` (``received_bytes`` into the stream)."""
    return await service.attachment_status(uow, caller, item_id)


@router.put("/items/{item_id}/attachment/parts/{part}")
async def put_part(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    item_id: uuid.UUID,
    part: int = Path(ge=0, le=2**31 - 1),
) -> AttachmentRead:
    data = await read_part(request)
    return await service.put_part(uow, caller, item_id, part, data, request.app.state.settings.blob_dir)


@router.post("/items/{item_id}/attachment/proof")
async def attachment_proof(
    request: Request, uow: UowDep, caller: CallerDep, item_id: uuid.UUID, data: AttachmentProofAsk
) -> AttachmentProofRead:
    """SHA-256 of her challenge and the stored stream: her browser checks the server holds the
    file before it gives up its own copy."""
    challenge = decode_b64u(data.challenge)
    return await service.attachment_proof(uow, caller, item_id, challenge, request.app.state.settings.blob_dir)


@router.get("/items/{item_id}/attachment/download")
async def download_attachment(request: Request, uow: UowDep, caller: CallerDep, item_id: uuid.UUID) -> Response:
    path, size = await service.attachment_file(uow, caller, item_id, request.app.state.settings.blob_dir)
    return FileResponse(
        path,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{item_id}.bin"',
            "Content-Length": str(size),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


# Pinned keys ----------------------------------------------------------------------------------


@pinned_router.get("", response_model=PinnedKeysRead)
async def get_pinned_keys(uow: UowDep, caller: CallerDep) -> PinnedKeysRead | Response:
    record = await service.get_pinned_keys(uow, caller)
    return record if record is not None else Response(status_code=204)


@pinned_router.put("")
async def put_pinned_keys(uow: UowDep, caller: CallerDep, data: PinnedKeysWrite) -> PinnedKeysRead:
    return await service.put_pinned_keys(uow, caller, data)
