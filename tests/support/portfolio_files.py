"""A file in her portfolio as her browser sends it: encrypted in 64 KiB chunks under the item's key,
a photo item whose envelope names the stream, the announcement of the stream and its parts."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import httpx

from eportfolio import crypto
from eportfolio.crypto import b64u_encode
from tests.support.portfolio import Hand

CHUNK = 65536


def pieces(data: bytes) -> list[bytes]:
    """The file cut into the chunks her browser encrypts one by one (an empty file is one chunk)."""
    return [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)] or [b""]


async def photo_item(
    her: Hand, portfolio: str, item_key: bytes, data: bytes, file_name: str = "photo.jpg"
) -> tuple[dict[str, Any], list[bytes]]:
    """Her browser: a photo item shared with her coaches under the portfolio's current epoch, whose
    envelope holds the file's metadata (name, type, size and the stream's salt), and the file
    encrypted under `item_key` as its stream. Returns the item as the server stored it and the
    stream's parts (not sent yet)."""
    salt, parts = crypto.encrypt_attachment(item_key, pieces(data))
    meta = crypto.AttachmentMeta(file_name, "image/jpeg", len(data), salt).to_bytes()
    item_id = str(uuid.uuid4())
    row = await her.ok("GET", f"/api/v1/portfolio/{portfolio}")
    epoch_key = (await her.epoch_keys(portfolio))[row["epoch"]]
    sealed = crypto.encrypt_item(
        her.identity, crypto.Audience.coaches(epoch_key), resource_type="portfolio", resource_id=portfolio,
        item_id=item_id, revision=1, plaintext=meta, item_key=item_key,
    )
    item = await her.ok("POST", f"/api/v1/portfolio/{portfolio}/items", {
        "id": item_id, "kind": "photo", "key_id": b64u_encode(sealed.item_key_id),
        "envelope": b64u_encode(sealed.envelope),
        "keys": {"epoch": row["epoch"], "epoch_wrap": b64u_encode(sealed.wraps[0])},
    }, status=201)
    return item, parts


def announcement(parts: list[bytes], **extra: Any) -> dict[str, Any]:
    """What her browser announces before the parts: the whole stream's size and hash."""
    stream = b"".join(parts)
    return {"size": len(stream), "sha256": hashlib.sha256(stream).hexdigest(), **extra}


async def put_part(hand: Hand, item_id: str, index: int, data: bytes) -> httpx.Response:
    """One part of the stream, as the raw bytes her browser puts."""
    return await hand.api(
        "PUT", f"/api/v1/portfolio/items/{item_id}/attachment/parts/{index}",
        content=data, headers={"content-type": "application/octet-stream"},
    )
