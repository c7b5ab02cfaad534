"""Photos, documents and voice notes in the chat travel as the portfolio's encrypted 64 KiB chunks:
announced by a member, resumable, checked for size and header, counted against her quota, served
only to current members as a download, and every access is in the access log."""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from eportfolio import crypto
from eportfolio.crypto import b64u_encode
from eportfolio.kit.audit import AccessLogEntry
from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.tables import Programme
from tests.support.client import Browser
from tests.support.conversations import open_coaching
from tests.support.world import World

CHUNK = 65536


def _stream(data: bytes) -> tuple[bytes, list[bytes], bytes]:
    """Her browser: a random key and the file encrypted under it (header, then chunks)."""
    key = os.urandom(32)
    pieces = [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)] or [b""]
    salt, parts = crypto.encrypt_attachment(key, pieces)
    return key, parts, salt


def _announce_body(key: bytes, parts: list[bytes], kind: str = "photo", file_id: str | None = None) -> dict[str, Any]:
    return {
        "id": file_id or str(uuid.uuid4()),
        "kind": kind,
        "key_id": b64u_encode(crypto.key_id(key)),
        "size": sum(len(p) for p in parts),
    }


def _url(conversation: str, file_id: str = "") -> str:
    return f"/api/v1/chat/conversations/{conversation}/attachments" + (f"/{file_id}" if file_id else "")


async def _put(browser: Browser, conversation: str, file_id: str, index: int, data: bytes) -> httpx.Response:
    return await browser.api(
        "PUT",
        f"{_url(conversation, file_id)}/parts/{index}",
        content=data,
        headers={"content-type": "application/octet-stream"},
    )


async def _upload(browser: Browser, conversation: str, data: bytes, kind: str = "photo") -> tuple[str, bytes, bytes]:
    key, parts, salt = _stream(data)
    announced = await browser.api("POST", _url(conversation), json=_announce_body(key, parts, kind))
    assert announced.status_code == 201, announced.text
    file_id = announced.json()["id"]
    for index, part in enumerate(parts):
        assert (await _put(browser, conversation, file_id, index, part)).status_code == 200
    return file_id, key, salt


async def test_she_uploads_after_a_dropped_connection_and_her_coach_downloads_it(
    browser: Browser, world: World
) -> None:
    conversation = await open_coaching(browser, world)  # logged in as her
    photo = os.urandom(2 * CHUNK + 777)
    key, parts, salt = _stream(photo)
    body = _announce_body(key, parts)
    announced = await browser.api("POST", _url(conversation), json=body)
    assert announced.status_code == 201, announced.text
    assert (announced.json()["parts"], announced.json()["missing"]) == (4, [0, 1, 2, 3])
    assert announced.json()["kind"] == "photo"
    file_id = body["id"]

    for index in (0, 2):  # then the connection drops
        assert (await _put(browser, conversation, file_id, index, parts[index])).status_code == 200
    # The page announces again after a reload: the same file, what is still missing.
    again = await browser.api("POST", _url(conversation), json=body)
    assert again.status_code == 200
    assert (again.json()["complete"], again.json()["missing"]) == (False, [1, 3])
    await browser.log_in_as(world.coach_a)
    assert (await browser.api("GET", f"{_url(conversation, file_id)}/download")).status_code == 404, "not complete"

    await browser.log_in_as(world.participant_a)
    for index in (1, 3, 3):  # one part twice: idempotent
        assert (await _put(browser, conversation, file_id, index, parts[index])).status_code == 200
    status = (await browser.api("GET", _url(conversation, file_id))).json()
    assert (status["complete"], status["received"], status["missing"]) == (True, 4, [])

    await browser.log_in_as(world.coach_a)
    download = await browser.api("GET", f"{_url(conversation, file_id)}/download")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"].startswith("attachment")
    stream = download.content
    assert stream == b"".join(parts)
    header, rest = stream[:38], stream[38:]
    chunks = [header] + [rest[i : i + CHUNK + 16] for i in range(0, len(rest), CHUNK + 16)]
    meta = crypto.AttachmentMeta("me.jpg", "image/jpeg", len(photo), salt)
    assert b"".join(crypto.decrypt_attachment(key, chunks, meta)) == photo


async def test_only_current_members_upload_or_download(browser: Browser, world: World) -> None:
    conversation = await open_coaching(browser, world)
    file_id, _, _ = await _upload(browser, conversation, b"a document", kind="document")
    key, parts, _ = _stream(b"another")

    for outsider, status in ((world.participant_a2, 403), (world.staff_b, 404)):
        await browser.log_in_as(outsider)
        assert (await browser.api("GET", f"{_url(conversation, file_id)}/download")).status_code == status
        assert (await browser.api("GET", _url(conversation, file_id))).status_code == status
        refused = await browser.api("POST", _url(conversation), json=_announce_body(key, parts))
        assert refused.status_code == status
        assert refused.json()["error"]["message"]

    # Her coach may fetch it but not add parts to her file.
    await browser.log_in_as(world.coach_a)
    assert (await browser.api("GET", f"{_url(conversation, file_id)}/download")).status_code == 200
    assert (await _put(browser, conversation, file_id, 0, parts[0])).status_code == 403
    # A file of this conversation is not found under another one.
    other = await browser.api(
        "POST",
        "/api/v1/chat/conversations",
        json={"programme_id": str(world.programme_a), "kind": "supervision", "coach_id": str(world.coach_a)},
    )
    assert other.status_code == 200, other.text
    elsewhere = f"/api/v1/chat/conversations/{other.json()['id']}/attachments/{file_id}"
    assert (await browser.api("GET", elsewhere)).status_code == 404


async def test_a_coach_whose_assignment_ended_cannot_download_what_she_sends_after(
    browser: Browser, world: World
) -> None:
    conversation = await open_coaching(browser, world)
    before, _, _ = await _upload(browser, conversation, b"before")
    await browser.log_in_as(world.coach_a)
    assert (await browser.api("GET", f"{_url(conversation, before)}/download")).status_code == 200

    await browser.log_in_as(world.staff_a)
    ended = await browser.api(
        "POST", f"/api/v1/programmes/{world.programme_a}/coach-assignments/{world.assignment_a}/end"
    )
    assert ended.status_code == 200, ended.text

    await browser.log_in_as(world.participant_a)
    after, _, _ = await _upload(browser, conversation, b"after", kind="voice_note")
    await browser.log_in_as(world.coach_a)
    refused = await browser.api("GET", f"{_url(conversation, after)}/download")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    assert (await browser.api("GET", f"{_url(conversation, before)}/download")).status_code == 403
    key, parts, _ = _stream(b"his")
    assert (await browser.api("POST", _url(conversation), json=_announce_body(key, parts))).status_code == 403


async def test_cut_off_oversized_and_foreign_parts_are_refused(browser: Browser, world: World) -> None:
    conversation = await open_coaching(browser, world)
    key, parts, _ = _stream(os.urandom(CHUNK + 10))
    body = _announce_body(key, parts)
    file_id = body["id"]
    bad_size = await browser.api("POST", _url(conversation), json={**body, "size": 38 + 5})
    assert bad_size.status_code == 422, "no stream has this size"
    too_big = await browser.api("POST", _url(conversation), json={**body, "size": 60 * 1024 * 1024})
    assert too_big.status_code == 422, "over the largest file a message carries"
    assert (await browser.api("POST", _url(conversation), json={**body, "kind": "video"})).status_code == 422
    assert (await browser.api("POST", _url(conversation), json={**body, "key_id": "short"})).status_code == 422
    assert (await _put(browser, conversation, file_id, 1, parts[1])).status_code == 404, "announce first"
    assert (await browser.api("POST", _url(conversation), json=body)).status_code == 201
    changed = await browser.api("POST", _url(conversation), json={**body, "size": body["size"] + CHUNK + 16})
    assert changed.status_code == 409, "the same id for another file"

    cut = await _put(browser, conversation, file_id, 1, parts[1][:-1])
    assert cut.status_code == 422
    assert cut.json()["error"]["message"]
    assert (await _put(browser, conversation, file_id, 2, parts[2] + b"\x00")).status_code == 422  # too long
    assert (await _put(browser, conversation, file_id, 1, os.urandom(CHUNK + 17))).status_code == 413  # > a chunk
    assert (await _put(browser, conversation, file_id, 5, parts[1])).status_code == 422  # no such part
    _, other_parts, _ = _stream(b"x")
    assert (await _put(browser, conversation, file_id, 0, other_parts[0])).status_code == 422  # another key
    status = (await browser.api("GET", _url(conversation, file_id))).json()
    assert (status["received"], status["complete"]) == (0, False)


async def test_the_quota_counts_her_chat_files_as_ciphertext(app: FastAPI, browser: Browser, world: World) -> None:
    async with unit_of_work(app.state.sessionmaker) as uow:
        await uow.session.execute(
            update(Programme).where(Programme.id == world.programme_a).values(settings={"attachment_quota_mb": 1})
        )
    conversation = await open_coaching(browser, world)
    key, parts, _ = _stream(os.urandom(600 * 1024))
    assert (await browser.api("POST", _url(conversation), json=_announce_body(key, parts))).status_code == 201
    key, parts, _ = _stream(os.urandom(600 * 1024))
    refused = await browser.api("POST", _url(conversation), json=_announce_body(key, parts))
    assert refused.status_code == 413
    assert "0 MB" in refused.json()["error"]["message"]
    # Her coach has a quota of his own.
    await browser.log_in_as(world.coach_a)
    assert (await browser.api("POST", _url(conversation), json=_announce_body(key, parts))).status_code == 201


async def test_every_access_is_logged_with_her_as_the_subject(app: FastAPI, browser: Browser, world: World) -> None:
    conversation = await open_coaching(browser, world)
    file_id, _, _ = await _upload(browser, conversation, b"a voice note", kind="voice_note")
    await browser.log_in_as(world.coach_a)
    assert (await browser.api("GET", f"{_url(conversation, file_id)}/download")).status_code == 200
    async with unit_of_work(app.state.sessionmaker) as uow:
        rows = (
            (
                await uow.session.execute(
                    select(AccessLogEntry)
                    .where(AccessLogEntry.record_kind == "chat_attachment")
                    .order_by(AccessLogEntry.at)
                )
            )
            .scalars()
            .all()
        )
    seen = [(r.actor_person_id, r.action, r.subject_person_id) for r in rows]
    her, coach = world.participant_a, world.coach_a
    assert seen[0] == (her, "create", her)
    assert (her, "update", her) in seen
    assert seen[-1] == (coach, "read", her)
    assert all(r.programme_id == world.programme_a for r in rows)


async def test_a_part_sent_twice_at_once_is_stored_once(browser: Browser, world: World) -> None:
    conversation = await open_coaching(browser, world)
    key, parts, _ = _stream(os.urandom(CHUNK + 5))
    body = _announce_body(key, parts, kind="document")
    assert (await browser.api("POST", _url(conversation), json=body)).status_code == 201
    answers = await asyncio.gather(*(_put(browser, conversation, body["id"], 1, parts[1]) for _ in range(3)))
    assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
    status = (await browser.api("GET", _url(conversation, body["id"]))).json()
    assert (status["received"], status["missing"]) == (1, [0, 2])
