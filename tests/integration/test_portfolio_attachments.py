"""Attachments travel as encrypted 64 KiB chunks: resumable after a dropped connection, checked for
size and header, counted against her quota as ciphertext, and served only as downloads. And the
canary: a marker in titles, bodies, file names and comments never reaches the database or logs.
(Resuming after the app was closed, and refusals of parts out of order or with another hash:
test_portfolio_upload_resume.py.)"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

import eportfolio.tables  # noqa: F401  - registers every table on Base.metadata
from eportfolio import crypto
from eportfolio.crypto import b64u_encode
from eportfolio.kit.db import Base
from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.tables import Programme
from tests.support.portfolio import Cast, Hand, make_cast
from tests.support.portfolio_files import CHUNK, announcement, photo_item, put_part
from tests.support.world import World

MARKER = "CANARY-portfolio-Zq81"


@pytest.fixture
async def cast(app: FastAPI, world: World) -> AsyncIterator[Cast]:
    async with AsyncExitStack() as stack:
        made = await make_cast(app, world, stack)
        await made.her.start_epoch(made.portfolio_id, made.people(made.her, made.coach))
        yield made


async def _photo(her: Hand, portfolio: str, data: bytes, file_name: str) -> tuple[dict[str, Any], bytes, list[bytes]]:
    """Her browser: a photo item with a new item key, and its encrypted stream."""
    item_key = os.urandom(32)
    item, parts = await photo_item(her, portfolio, item_key, data, file_name)
    return item, item_key, parts


async def test_an_upload_resumes_after_a_dropped_connection_and_downloads_as_it_was(cast: Cast) -> None:
    her, coach, portfolio = cast.her, cast.coach, cast.portfolio_id
    photo = os.urandom(2 * CHUNK + 1000)
    item, item_key, parts = await _photo(her, portfolio, photo, "me.jpg")
    url = f"/api/v1/portfolio/items/{item['id']}/attachment"
    announced = await her.ok("POST", url, announcement(parts), status=201)
    assert (announced["parts"], announced["missing"]) == (4, [0, 1, 2, 3])

    for index in (0, 1):  # then the connection drops
        assert (await put_part(her, item["id"], index, parts[index])).status_code == 200
    status = await her.ok("GET", url)
    assert (status["complete"], status["missing"], status["next_part"]) == (False, [2, 3], 2)
    assert status["received_bytes"] == len(parts[0]) + len(parts[1])
    assert (await coach.api("GET", f"{url}/download")).status_code == 404, "not served before it is complete"
    early = await her.api("POST", f"{url}/proof", {"challenge": b64u_encode(b"x" * 16)})
    assert early.status_code == 404, "no proof for a file that is not all there"

    # Resuming: the missing parts, one sent twice (idempotent).
    for index in (*status["missing"], 3):
        answer = await put_part(her, item["id"], index, parts[index])
        assert answer.status_code == 200, answer.text
    assert (await her.ok("GET", url))["complete"] is True

    # Her browser checks the server holds every byte before it lets go of its own copy: SHA-256
    # over a fresh challenge and the stream, without downloading the file again.
    challenge = os.urandom(32)
    proof = await her.ok("POST", f"{url}/proof", {"challenge": b64u_encode(challenge)})
    assert proof["proof"] == hashlib.sha256(challenge + b"".join(parts)).hexdigest()
    for wrong in (b64u_encode(b"short"), "not base64!", b64u_encode(b"x" * 65)):
        refused = await her.api("POST", f"{url}/proof", {"challenge": wrong})
        assert refused.status_code == 422, wrong

    download = await coach.api("GET", f"{url}/download")
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["content-type"] == "application/octet-stream"
    stream = download.content
    assert stream == b"".join(parts)
    people = cast.people(her, coach)
    served = await coach.ok("GET", f"/api/v1/portfolio/items/{item['id']}")
    meta_bytes, key = await coach.read(served, people)
    meta = crypto.AttachmentMeta.from_bytes(meta_bytes)
    header, body = stream[:38], stream[38:]
    chunks = [header] + [body[i : i + CHUNK + 16] for i in range(0, len(body), CHUNK + 16)]
    assert b"".join(crypto.decrypt_attachment(key, chunks, meta)) == photo
    assert key == item_key


async def test_cut_off_oversized_and_foreign_parts_are_refused(cast: Cast) -> None:
    her, portfolio = cast.her, cast.portfolio_id
    item, _, parts = await _photo(her, portfolio, os.urandom(CHUNK + 10), "a.jpg")
    url = f"/api/v1/portfolio/items/{item['id']}/attachment"
    assert (await her.api("POST", url, {**announcement(parts), "size": 38 + 5})).status_code == 422, "no such size"
    assert (await put_part(her, item["id"], 1, parts[1])).status_code == 404, "announce first"
    assert (await her.api("POST", url, {"size": announcement(parts)["size"]})).status_code == 422, "hash needed"
    await her.ok("POST", url, announcement(parts), status=201)
    assert (await her.api("POST", url, announcement([*parts[:1], b"x" * len(parts[1])]))).status_code == 409

    assert (await put_part(her, item["id"], 1, parts[1][:-1])).status_code == 422  # cut off
    assert (await put_part(her, item["id"], 2, parts[2] + b"\x00")).status_code == 422  # last part too long
    assert (await put_part(her, item["id"], 1, os.urandom(CHUNK + 17))).status_code == 413  # over a chunk
    assert (await put_part(her, item["id"], 5, parts[1])).status_code == 422  # no such part
    _, _, other_parts = await _photo(her, portfolio, b"x", "b.jpg")
    assert (await put_part(her, item["id"], 0, other_parts[0])).status_code == 422  # another item's header
    assert (await put_part(cast.coach, item["id"], 0, parts[0])).status_code == 403  # only she uploads
    assert (await her.ok("GET", url))["received"] == 0


async def test_the_quota_counts_ciphertext_per_participant(cast: Cast, app: FastAPI) -> None:
    async with unit_of_work(app.state.sessionmaker) as uow:
        await uow.session.execute(
            update(Programme).where(Programme.id == cast.world.programme_a).values(settings={"attachment_quota_mb": 1})
        )
    her, portfolio = cast.her, cast.portfolio_id
    first, _, first_parts = await _photo(her, portfolio, os.urandom(600 * 1024), "big.jpg")
    size = sum(len(p) for p in first_parts)
    await her.ok("POST", f"/api/v1/portfolio/items/{first['id']}/attachment", announcement(first_parts), status=201)
    assert (await put_part(her, first["id"], 0, first_parts[0])).status_code == 200
    second, _, parts = await _photo(her, portfolio, os.urandom(600 * 1024), "bigger.jpg")
    refused = await her.api("POST", f"/api/v1/portfolio/items/{second['id']}/attachment", announcement(parts))
    assert refused.status_code == 413
    assert "0 MB" in refused.json()["error"]["message"]
    assert await her.ok("GET", f"/api/v1/portfolio/{portfolio}/quota") == {
        "used_bytes": size, "quota_bytes": 1024 * 1024,
    }
    # Removing the first file frees its room, and its stream leaves the blob directory.
    stored = list(app.state.settings.blob_dir.rglob(f"{first['id']}*"))
    assert (await her.api("DELETE", f"/api/v1/portfolio/items/{first['id']}")).status_code == 204
    assert stored, "the stream was stored"
    assert all(not path.exists() for path in stored)
    await her.ok("POST", f"/api/v1/portfolio/items/{second['id']}/attachment", announcement(parts), status=201)


async def test_the_canary_never_reaches_the_database_or_the_logs(
    cast: Cast, app: FastAPI, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    her, coach, portfolio = cast.her, cast.coach, cast.portfolio_id
    people = cast.people(her, coach)
    bodies: list[bytes] = []

    async def keep_body(request: httpx.Request) -> None:
        bodies.append(request.read() + request.url.raw_path)

    for hand in (her, coach):
        hand.browser.http.event_hooks["request"].append(keep_body)

    item, _ = await her.write(portfolio, "diary", {"title": MARKER, "body": f"{MARKER} in the body"})
    await her.write(portfolio, "goal_plan", {"goals": [{"area": "work", "step": MARKER}]}, extra={"status": "open"})
    photo, _, parts = await _photo(her, portfolio, MARKER.encode() * 100, f"{MARKER}.jpg")
    await her.ok("POST", f"/api/v1/portfolio/items/{photo['id']}/attachment", announcement(parts), status=201)
    for index, part in enumerate(parts):
        assert (await put_part(her, photo["id"], index, part)).status_code == 200
    served = await coach.ok("GET", f"/api/v1/portfolio/items/{item['id']}")
    _, key = await coach.read(served, people)
    await coach.ok("POST", f"/api/v1/portfolio/items/{item['id']}/comments",
                   coach.comment_body(served, key, f"Comment {MARKER}"), status=201)
    assert MARKER in json.dumps(await coach.read_json(served, people)), "the readers do see it"

    dump = bytearray()
    async with unit_of_work(app.state.sessionmaker) as uow:
        for table in Base.metadata.sorted_tables:
            for row in (await uow.session.execute(select(table))).all():
                for value in row:
                    dump += value if isinstance(value, bytes) else str(value).encode()
    assert item["id"].encode() in dump, "the dump does see what the server stores"
    blobs = b"".join(p.read_bytes() for p in app.state.settings.blob_dir.rglob("*") if p.is_file())
    assert blobs, "the blob directory holds the stream"
    captured = capsys.readouterr()
    logs = caplog.text + captured.out + captured.err
    assert bodies
    for where in (bytes(dump), blobs, *bodies):
        assert MARKER.encode() not in where
        assert b64u_encode(MARKER.encode()).encode() not in where
    assert MARKER not in logs
