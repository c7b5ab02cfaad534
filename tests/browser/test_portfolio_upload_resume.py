"""A photo that was on its way when she closed the app, in real Chromium on a 360 px phone.

She adds a photo with a title; the connection drops after two parts and she closes the page. When
she opens her portfolio again her phone goes on from the part the server names, and the photo
opens under her title. And the other way: her browser's storage was cleared, so nothing is left
to resume; the item says plainly that the file did not arrive, she chooses the photo again and it
goes into the same item."""

from __future__ import annotations

import asyncio
import os
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest

from tests.support.live import LiveServer
from tests.support.portfolio_journey import cast, phone_page, ready
from tests.support.world import World

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("EPORTFOLIO_SCREENSHOTS")
TITLE = "Mijn zoon op zijn verjaardag"
SECOND_TITLE = "Ons nieuwe huis"


def _noisy_png(side: int = 640) -> bytes:
    """A real PNG of coloured noise: large enough, once made a JPEG on the phone, for several parts."""
    raw = b"".join(b"\x00" + os.urandom(side * 3) for _ in range(side))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


async def _shot(page: Any, name: str) -> None:
    if SHOTS:
        await page.screenshot(path=str(Path(SHOTS) / f"upload-resume-{name}.png"), full_page=True)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{name}: {width}px wide on a 360px phone"


async def _cut_after(context: Any, parts: int) -> asyncio.Event:
    """The connection drops for every part from `parts` on (the app is closed meanwhile)."""
    cut = asyncio.Event()

    async def handle(route: Any) -> None:
        if int(route.request.url.rsplit("/", 1)[1]) >= parts:
            cut.set()
            await route.abort("internetdisconnected")
        else:
            await route.continue_()

    await context.route("**/attachment/parts/*", handle)
    return cut


async def _status(page: Any, server: LiveServer, item_id: str) -> dict[str, Any]:
    answer = await page.request.get(f"{server.url}/api/v1/portfolio/items/{item_id}/attachment")
    assert answer.ok, await answer.text()
    result: dict[str, Any] = await answer.json()
    return result


async def _kept(page: Any) -> str:
    """What her browser keeps of uploads on their way, as text (to check no plaintext is in it)."""
    kept: str = await page.evaluate(
        """() => new Promise((resolve) => {
            const open = indexedDB.open('eportfolio-uploads');
            open.onupgradeneeded = () => open.result.createObjectStore('uploads', { keyPath: 'itemId' });
            open.onsuccess = () => {
                const all = open.result.transaction('uploads').objectStore('uploads').getAll();
                const uploads = (records) => records.filter((r) => Array.isArray(r.parts));
                all.onsuccess = () => resolve(JSON.stringify(uploads(all.result).map((r) => ({
                    itemId: r.itemId, write: r.write, sha256: r.sha256,
                    parts: r.parts.map((p) => Array.from(p.subarray(0, 64))),
                }))));
            };
        })"""
    )
    return kept


async def _add_photo(page: Any, title: str, photo: bytes) -> None:
    await page.select_option("#f-new-kind", "photo")
    await page.click("#new-form button[type=submit]")
    await page.fill("#f-title", title)
    await page.set_input_files("#f-file", files=[{"name": "photo.png", "mimeType": "image/png", "buffer": photo}])
    await page.click("#editor button[type=submit]")


async def _photo_opens(page: Any, title: str, *, from_list: bool = True) -> None:
    if from_list:
        row = page.locator("#items li[data-item]", has=page.locator(".item-open", has_text=title))
        await row.and_(page.locator("[data-file-status=complete]")).wait_for(timeout=60_000)
        await row.locator(".item-open").click()
    await page.locator("#view-body img.item-photo").wait_for(timeout=60_000)
    assert (await page.inner_text("#view-heading")).strip() == title, "called what she typed, not photo.jpg"
    assert await page.locator("#file-missing").is_hidden()
    size = await page.locator("#view-body img.item-photo").get_attribute("data-size")
    assert size is not None
    assert int(size) > 64 * 1024, "the whole photo, decrypted on the phone"


async def test_a_photo_cut_off_halfway_goes_on_when_she_opens_her_portfolio_again(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    await cast(server, database_url, world)
    errors: list[str] = []
    mine_url = f"{server.url}/portfolio/programmes/{world.programme_a}"
    her = await phone_page(chromium, server, "mother.a", errors)
    context = her.context
    await ready(her, mine_url)
    await her.locator("#readers", has_text="Coach A").wait_for()

    # She adds a photo with a title; after two parts the connection drops, and she closes the app.
    cut = await _cut_after(context, 2)
    await _add_photo(her, TITLE, _noisy_png())
    await asyncio.wait_for(cut.wait(), 60)
    await her.locator("#upload-status", has_text="Bestand versturen:").wait_for()
    progress_text = await her.inner_text("#upload-status")
    assert "%%" not in progress_text
    assert progress_text.rstrip().endswith("%"), progress_text
    await _shot(her, "cut-off")
    kept = await _kept(her)
    assert TITLE not in kept, "kept on the phone encrypted only"
    assert "photo.jpg" not in kept
    assert "photo.png" not in kept
    item_id = kept.split('"itemId":"', 1)[1].split('"', 1)[0]
    status = await _status(her, server, item_id)
    assert (status["received"], status["complete"], status["next_part"]) == (2, False, 2)
    assert status["parts"] > 3, "cut off halfway, not at the end"
    await her.close()
    await context.unroute("**/attachment/parts/*")

    # She opens her portfolio again: it goes on from part 2 and the photo opens with her title.
    again = await context.new_page()
    again.on("pageerror", lambda e: errors.append(str(e)))
    await ready(again, mine_url)
    await _photo_opens(again, TITLE)
    await _shot(again, "resumed")
    status = await _status(again, server, item_id)
    assert (status["complete"], status["received"]) == (True, status["parts"])
    assert await _kept(again) == "[]", "nothing is kept once the server has all of it"

    # Other path: her browser's storage is cleared while the second photo is on its way.
    await again.click("#view-back")
    cut = await _cut_after(context, 1)
    await _add_photo(again, SECOND_TITLE, _noisy_png())
    await asyncio.wait_for(cut.wait(), 60)
    await again.close()
    await context.unroute("**/attachment/parts/*")
    cleared = await context.new_page()
    cleared.on("pageerror", lambda e: errors.append(str(e)))
    await cleared.goto(f"{server.url}/")
    await cleared.evaluate(
        "() => new Promise((resolve) => { const r = indexedDB.deleteDatabase('eportfolio-uploads');"
        " r.onsuccess = r.onerror = r.onblocked = () => resolve(); })"
    )
    await ready(cleared, mine_url)
    row = cleared.locator("#items li[data-item][data-file-status=incomplete]")
    await row.wait_for()
    assert SECOND_TITLE in await row.inner_text()
    assert "Het bestand is niet aangekomen" in await row.inner_text()
    await _shot(cleared, "list-did-not-arrive")
    await row.locator(".item-open").click()
    await cleared.locator("#file-missing:not([hidden])").wait_for()
    assert "niet aangekomen" in await cleared.inner_text("#file-missing-text")
    assert (await cleared.inner_text("#view-heading")).strip() == SECOND_TITLE
    await _shot(cleared, "did-not-arrive")
    box = await cleared.locator("#resend-button").bounding_box()
    assert box is not None
    assert box["height"] >= 44, "a large touch target"

    await cleared.set_input_files(
        "#f-resend", files=[{"name": "photo.png", "mimeType": "image/png", "buffer": _noisy_png()}]
    )
    await cleared.click("#resend-button")
    await _photo_opens(cleared, SECOND_TITLE, from_list=False)
    await _shot(cleared, "sent-again")
    await cleared.click("#view-back")
    assert await cleared.locator("#items li[data-file-status=complete]").count() == 2
    assert await cleared.locator("#items .item-file-note").count() == 0
    assert [e for e in errors if "ERR_INTERNET_DISCONNECTED" not in e and "Failed to fetch" not in e] == [], errors

