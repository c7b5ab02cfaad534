"""Uploads that resume after the app was closed: the server says from which part (and byte) to go
on, takes parts only in order, never overwrites a part it has, and completes the file only when
the stored stream has the hash her browser announced. An item whose file did not arrive says so
to every reader through the API; bad input gets a 4xx and keeps what was stored; a file that
stopped long ago is reported, not removed."""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from eportfolio import crypto
from eportfolio.kit.clock import utcnow
from eportfolio.kit.uow import unit_of_work
from eportfolio.portfolio import service
from eportfolio.portfolio.tables import PortfolioAttachment, PortfolioAttachmentPart
from tests.support.portfolio import Cast, Hand, make_cast
from tests.support.portfolio_files import CHUNK, announcement, photo_item, pieces, put_part
from tests.support.world import World


@pytest.fixture
async def cast(app: FastAPI, world: World) -> AsyncIterator[Cast]:
    async with AsyncExitStack() as stack:
        made = await make_cast(app, world, stack)
        await made.her.start_epoch(made.portfolio_id, made.people(made.her, made.coach))
        yield made


def _stream(item_key: bytes, data: bytes) -> list[bytes]:
    """The same file encrypted again (another salt): another stream under the same item key."""
    return crypto.encrypt_attachment(item_key, pieces(data))[1]


async def _file_status(hand: Hand, item_id: str) -> str | None:
    status: str | None = (await hand.ok("GET", f"/api/v1/portfolio/items/{item_id}"))["file_status"]
    return status


async def test_a_closed_app_resumes_from_the_part_the_server_names(cast: Cast) -> None:
    her, coach, portfolio = cast.her, cast.coach, cast.portfolio_id
    key = os.urandom(32)
    photo = os.urandom(3 * CHUNK + 500)
    item, parts = await photo_item(her, portfolio, key, photo)
    url = f"/api/v1/portfolio/items/{item['id']}/attachment"
    assert await _file_status(coach, item["id"]) == "missing", "every reader sees the file is not there"

    await her.ok("POST", url, announcement(parts), status=201)
    for index in (0, 1, 2):
        assert (await put_part(her, item["id"], index, parts[index])).status_code == 200
    # The app is closed here. On her next visit her browser announces the same stream again and
    # learns where to go on: the server never restarts what it has.
    again = await her.ok("POST", url, announcement(parts), status=200)
    assert (again["next_part"], again["missing"], again["received"]) == (3, [3, 4], 3)
    assert again["received_bytes"] == sum(len(p) for p in parts[:3])
    assert again["sha256"] == hashlib.sha256(b"".join(parts)).hexdigest()
    assert await _file_status(coach, item["id"]) == "incomplete"
    listed = {i["id"]: i for i in await coach.ok("GET", f"/api/v1/portfolio/{portfolio}/items")}
    assert listed[item["id"]]["file_status"] == "incomplete"
    assert listed[item["id"]]["attachment"]["complete"] is False
    assert (await coach.api("GET", f"{url}/download")).status_code == 404

    for index in (3, 4):
        assert (await put_part(her, item["id"], index, parts[index])).status_code == 200
    done = await her.ok("GET", url)
    assert (done["complete"], done["next_part"], done["received_bytes"]) == (True, None, done["size"])
    assert await _file_status(coach, item["id"]) == "complete"
    download = await coach.api("GET", f"{url}/download")
    assert download.content == b"".join(parts), "exactly the stream she encrypted"
    # Announcing a complete file again is answered with what is there, nothing is replaced.
    assert (await her.ok("POST", url, announcement(parts), status=200))["complete"] is True


async def test_parts_out_of_order_or_changed_are_refused_and_nothing_stored_is_lost(cast: Cast) -> None:
    her, portfolio = cast.her, cast.portfolio_id
    key = os.urandom(32)
    item, parts = await photo_item(her, portfolio, key, os.urandom(2 * CHUNK + 40))
    url = f"/api/v1/portfolio/items/{item['id']}/attachment"
    await her.ok("POST", url, announcement(parts), status=201)
    assert (await put_part(her, item["id"], 0, parts[0])).status_code == 200

    early = await put_part(her, item["id"], 2, parts[2])
    assert early.status_code == 409
    assert early.json()["error"]["code"] == "part_out_of_order"
    assert "1" in early.json()["error"]["message"], "names the part to send first"
    assert (await her.ok("GET", url))["missing"] == [1, 2, 3], "the early part was not kept"

    assert (await put_part(her, item["id"], 1, parts[1])).status_code == 200
    assert (await put_part(her, item["id"], 1, parts[1])).status_code == 200, "the same part again: acknowledged"
    changed = await put_part(her, item["id"], 1, os.urandom(len(parts[1])))
    assert changed.status_code == 409
    assert changed.json()["error"]["code"] == "part_differs"
    beyond = await put_part(her, item["id"], 4, parts[1])
    assert beyond.status_code == 422, "beyond the declared size"
    assert (await put_part(her, item["id"], 3, parts[3] + b"\x00")).status_code == 422, "longer than declared"
    assert (await put_part(her, item["id"], 2, os.urandom(CHUNK + 17))).status_code == 413, "over a chunk"

    for index in (2, 3):
        assert (await put_part(her, item["id"], index, parts[index])).status_code == 200
    download = await her.api("GET", f"{url}/download")
    assert download.content == b"".join(parts), "the refused bytes never replaced what was stored"


async def test_a_stream_with_another_hash_never_completes_and_can_be_sent_again(cast: Cast, app: FastAPI) -> None:
    her, coach, portfolio = cast.her, cast.coach, cast.portfolio_id
    key = os.urandom(32)
    photo = os.urandom(CHUNK + 100)
    item, parts = await photo_item(her, portfolio, key, photo)
    url = f"/api/v1/portfolio/items/{item['id']}/attachment"
    other = _stream(key, photo)
    # Announced with the hash of another stream of the same size: the parts fit, the whole does not.
    await her.ok("POST", url, announcement(other, size=sum(len(p) for p in parts)), status=201)
    for index in (0, 1):
        assert (await put_part(her, item["id"], index, parts[index])).status_code == 200
    last = await put_part(her, item["id"], 2, parts[2])
    assert last.status_code == 422
    assert last.json()["error"]["code"] == "file_mismatch"
    status = await her.ok("GET", url)
    assert (status["complete"], status["missing"]) == (False, [2]), "the parts before it are kept"
    assert (await coach.api("GET", f"{url}/download")).status_code == 404, "never served as complete"
    assert await _file_status(coach, item["id"]) == "incomplete"

    # She chooses the file again on another phone: a new stream under the same item key. Only
    # with "restart" does it replace the one that never arrived; the old stream file goes.
    chosen_again = _stream(key, photo)
    refused = await her.api("POST", url, announcement(chosen_again))
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "upload_waiting"
    assert (await her.ok("GET", url))["missing"] == [2], "a refused announcement changes nothing"
    old_files = list(app.state.settings.blob_dir.rglob("*.bin"))
    restarted = await her.ok("POST", url, announcement(chosen_again, restart=True), status=201)
    assert (restarted["received"], restarted["missing"]) == (0, [0, 1, 2])
    for index, part in enumerate(chosen_again):
        assert (await put_part(her, item["id"], index, part)).status_code == 200
    assert (await coach.api("GET", f"{url}/download")).content == b"".join(chosen_again)
    assert old_files
    assert all(not path.exists() for path in old_files)
    assert await _file_status(coach, item["id"]) == "complete"
    # A complete file is never replaced.
    again = await her.api("POST", url, announcement(parts, restart=True))
    assert again.status_code == 409
    async with unit_of_work(app.state.sessionmaker) as uow:
        stored = (await uow.session.execute(select(PortfolioAttachmentPart.part))).scalars().all()
    assert sorted(stored) == [0, 1, 2]


async def test_only_she_announces_and_restarts(cast: Cast) -> None:
    her, coach, portfolio = cast.her, cast.coach, cast.portfolio_id
    key = os.urandom(32)
    item, parts = await photo_item(her, portfolio, key, b"a small photo")
    url = f"/api/v1/portfolio/items/{item['id']}/attachment"
    assert (await coach.api("POST", url, announcement(parts))).status_code == 403
    await her.ok("POST", url, announcement(parts), status=201)
    assert (await coach.api("POST", url, announcement(parts, restart=True))).status_code == 403
    assert (await her.api("POST", url, {**announcement(parts), "sha256": "not-a-hash"})).status_code == 422


async def test_a_file_that_stopped_long_ago_is_reported_not_removed(cast: Cast, app: FastAPI) -> None:
    her, portfolio = cast.her, cast.portfolio_id
    stalled, stalled_parts = await photo_item(her, portfolio, os.urandom(32), os.urandom(CHUNK + 1))
    fresh, fresh_parts = await photo_item(her, portfolio, os.urandom(32), b"fresh")
    done, done_parts = await photo_item(her, portfolio, os.urandom(32), b"done")
    for item, parts in ((stalled, stalled_parts), (fresh, fresh_parts), (done, done_parts)):
        await her.ok("POST", f"/api/v1/portfolio/items/{item['id']}/attachment", announcement(parts), status=201)
        assert (await put_part(her, item["id"], 0, parts[0])).status_code == 200
    for index, part in enumerate(done_parts[1:], start=1):
        assert (await put_part(her, done["id"], index, part)).status_code == 200
    long_ago = utcnow() - timedelta(days=31)
    async with unit_of_work(app.state.sessionmaker) as uow:
        await uow.session.execute(
            update(PortfolioAttachment)
            .where(PortfolioAttachment.item_id.in_([uuid.UUID(stalled["id"]), uuid.UUID(done["id"])]))
            .values(updated_at=long_ago, created_at=long_ago)
        )
    async with unit_of_work(app.state.sessionmaker) as uow:
        report = await service.stalled_uploads(uow, timedelta(days=30))
    assert [(str(r.item_id), r.received, r.parts) for r in report] == [(stalled["id"], 1, 3)]
    assert report[0].programme
    printed = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "eportfolio.cli", "report-uploads", "--days", "30"],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "EPORTFOLIO_ENV": "test", "EPORTFOLIO_DATABASE_URL": app.state.settings.database_url},
    )
    assert printed.returncode == 0, printed.stderr
    assert stalled["id"] in printed.stdout
    assert "1 of 3 parts" in printed.stdout
    assert fresh["id"] not in printed.stdout
    assert done["id"] not in printed.stdout
    assert "did not arrive in 30 days: 1" in printed.stdout
    assert (await her.ok("GET", f"/api/v1/portfolio/items/{stalled['id']}/attachment"))["received"] == 1
    assert await _file_status(her, stalled["id"]) == "incomplete", "still there, still saying so"
