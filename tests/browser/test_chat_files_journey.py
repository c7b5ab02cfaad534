"""Files in the chat, in real Chromium: from her phone she sends a photo and a document (the
connection drops while the document goes up, and the upload goes on when it is back) and records
a voice note with Chromium's fake microphone; her coach, at a desktop, sees the photo, saves the
document and plays the voice note, all decrypted in his browser. She also records a voice note
for her portfolio with the same recorder, and it plays back there."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import DESKTOP, PHONE, launch_chromium
from tests.support.chat_journey import cast, connected, fits, logged_in, opens_coaching
from tests.support.live import LiveServer
from tests.support.portfolio_journey import png
from tests.support.world import World

pytestmark = pytest.mark.browser

RECORD_SECONDS = 2
DOCUMENT = os.urandom(5 * 65536 + 321)  # six chunks: the connection drops after the first parts
PAYSLIP = os.urandom(3 * 65536 + 99)  # four chunks: the page reloads after the first two parts


@pytest.fixture
async def media_chromium() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright, fake_media=True)
        try:
            yield browser
        finally:
            await browser.close()


async def _refuse_after_two(route: Any) -> None:
    """Parts 0 and 1 get through; later ones fail as if the connection had dropped."""
    if route.request.url.endswith(("/parts/0", "/parts/1")):
        await route.continue_()
    else:
        await route.abort("connectionreset")


def _read(path: Path) -> bytes:
    return path.read_bytes()


def _stored(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*.bin"))


async def _record(page: Any, panel: str) -> None:
    """Tap to start, speak (the fake microphone beeps), tap Stop, and listen back."""
    await page.click(f"{panel} [data-recorder=record]")
    await page.wait_for_selector(f"{panel}[data-state=recording]", timeout=10_000)
    await asyncio.sleep(RECORD_SECONDS)
    await page.click(f"{panel} [data-recorder=stop]")
    preview = page.locator(f"{panel} audio[data-recorder=preview]")
    await preview.wait_for(timeout=10_000)
    assert (await preview.get_attribute("src") or "").startswith("blob:")


async def _duration(audio: Any) -> float:
    """The audio element's duration once it has loaded its metadata (a recording without a
    duration in its header reports Infinity, which still says it decoded)."""
    seconds: float = await audio.evaluate(
        """(a) => new Promise((resolve, reject) => {
            if (a.readyState >= 1) return resolve(a.duration);
            a.addEventListener('loadedmetadata', () => resolve(a.duration));
            a.addEventListener('error', () => reject(new Error('the audio does not decode')));
        })"""
    )
    return seconds


async def test_she_sends_a_photo_a_document_and_a_voice_note_and_her_coach_opens_them(
    media_chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    await cast(server, database_url, world)
    errors: list[str] = []

    her = await logged_in(media_chromium, server, "mother.a", PHONE, errors)
    conversation_url = await opens_coaching(her, server)
    await her.wait_for_selector("#chat-attach:not([disabled])", timeout=30_000)

    # A photo from her gallery: re-encoded (a JPEG without its hidden data), encrypted, sent.
    await her.click("#chat-attach")
    assert await her.is_visible("#chat-attach-menu")
    await fits(her, "files-menu")
    await her.set_input_files("#chat-photo", files=[{"name": "kids.png", "mimeType": "image/png", "buffer": png()}])
    mine = her.locator("li.chat-msg--mine .chat-file--photo img.chat-file__photo")
    await mine.wait_for(timeout=30_000)
    assert "kids.jpg" in (await her.locator("li.chat-msg--mine .chat-file--photo").inner_text())

    # A document; the connection drops after its first parts and the upload goes on afterwards.
    dropped: list[str] = []

    async def drop_once(route: Any) -> None:
        if not dropped and route.request.url.endswith("/parts/3"):
            dropped.append(route.request.url)
            await her.context.set_offline(True)
            await route.abort("internetdisconnected")
            return
        await route.continue_()

    await her.route("**/attachments/*/parts/*", drop_once)
    await her.click("#chat-attach")
    await her.set_input_files(
        "#chat-document", files=[{"name": "rent-letter.pdf", "mimeType": "application/pdf", "buffer": DOCUMENT}]
    )
    await her.wait_for_selector("#chat-upload-status:has-text('online')", timeout=20_000)
    progress = await her.locator("#chat-upload-progress").evaluate("p => p.value")
    assert 0 < progress < 100, "the parts before the drop are kept"
    await her.context.set_offline(False)
    await her.wait_for_selector("li.chat-msg--mine .chat-file--document", timeout=60_000)
    assert dropped, "the connection did drop during the upload"
    await her.unroute("**/attachments/*/parts/*")
    assert await her.is_hidden("#chat-upload")

    # Another document; the page is reloaded halfway (the parts after the first two do not get
    # through): after the reload the upload goes on with the parts the server still misses.
    await her.route("**/attachments/*/parts/*", _refuse_after_two)
    await her.click("#chat-attach")
    await her.set_input_files(
        "#chat-document", files=[{"name": "payslip.pdf", "mimeType": "application/pdf", "buffer": PAYSLIP}]
    )
    await her.wait_for_selector("#chat-upload-status:has-text('online')", timeout=20_000)
    await her.unroute("**/attachments/*/parts/*")
    resent: list[str] = []
    her.on("request", lambda r: resent.append(r.url.rsplit("/", 1)[1]) if "/parts/" in r.url else None)
    await her.reload()
    await connected(her)
    await her.wait_for_selector("li.chat-msg--mine .chat-file--document >> text=payslip.pdf", timeout=60_000)
    assert resent, "the upload went on after the reload"
    assert {"0", "1"}.isdisjoint(resent), f"only the missing parts are sent again: {resent}"
    assert await her.locator("li.chat-msg--mine .chat-file--document", has_text="payslip.pdf").count() == 1

    # A voice note, recorded here with the (fake) microphone, listened to and sent.
    await her.wait_for_selector("#chat-connection[data-state=ready]", timeout=30_000)
    await her.click("#chat-attach")
    await her.click("#chat-voice")
    await _record(her, "#chat-recorder")
    await fits(her, "voice-note-recorded")
    await her.click("#chat-recorder [data-recorder=send]")
    await her.wait_for_selector("li.chat-msg--mine .chat-file--voice_note audio", timeout=30_000)
    await fits(her, "files-sent")

    # Her coach, at a desktop, opens the conversation: everything decrypted in his browser.
    coach = await logged_in(media_chromium, server, "coach.a", DESKTOP, errors)
    await coach.goto(conversation_url)
    await connected(coach)
    photo = coach.locator("li.chat-msg--theirs .chat-file--photo img.chat-file__photo")
    await photo.wait_for(timeout=30_000)
    await coach.wait_for_function(
        "() => { const i = document.querySelector('li.chat-msg--theirs img.chat-file__photo');"
        " return i && i.complete && i.naturalWidth > 0; }",
        timeout=15_000,
    )
    assert await photo.evaluate("i => i.naturalWidth") == 40, "the photo decodes, at its size"
    assert (await photo.get_attribute("src") or "").startswith("blob:")

    assert "payslip.pdf" in await coach.locator("li.chat-msg--theirs .chat-file--document").last.inner_text()
    document = coach.locator("li.chat-msg--theirs .chat-file--document", has_text="rent-letter.pdf")
    assert "rent-letter.pdf" in await document.inner_text()
    async with coach.expect_download() as waiting:
        await document.locator("button.chat-file__save").click()
    download = await waiting.value
    assert download.suggested_filename == "rent-letter.pdf"
    saved = _read(Path(await download.path()))
    assert saved == DOCUMENT, "the coach saves exactly the document she sent"

    voice = coach.locator("li.chat-msg--theirs .chat-file--voice_note")
    audio = voice.locator("audio.chat-file__audio")
    await audio.wait_for(timeout=30_000)
    assert int(await voice.get_attribute("data-opened") or 0) > 0, "the decrypted recording is not empty"
    assert (await audio.get_attribute("src") or "").startswith("blob:")
    assert await _duration(audio) > 0

    # Nothing of the files is readable on the server: the stream is ciphertext.
    stored = _stored(server.log_path.parent / "blobs" / "chat")
    assert len(stored) > len(DOCUMENT), "the streams are stored"
    assert DOCUMENT[:4096] not in stored

    # The same recorder makes a voice note in her portfolio, and it plays back there.
    await her.goto(f"{server.url}/portfolio/programmes/{world.programme_a}")
    await her.wait_for_selector("#portfolio-app[data-ready=true]", timeout=30_000)
    await her.select_option("#f-new-kind", "voice_note")
    await her.click("#new-form button[type=submit]")
    await her.wait_for_selector("#portfolio-recorder:not([hidden])")
    await _record(her, "#portfolio-recorder")
    await fits(her, "portfolio-voice-note")
    await her.click("#editor button[type=submit]")
    item = her.locator("#list-view:not([hidden]) li[data-item]", has_text="voice-note-")
    await item.wait_for(timeout=30_000)
    await item.locator(".item-open").click()
    played = her.locator("#view-body audio.item-audio")
    await played.wait_for(timeout=30_000)
    assert int(await played.get_attribute("data-size") or 0) > 0
    assert await _duration(played) > 0

    noise = ("ERR_INTERNET_DISCONNECTED", "Failed to load resource")
    assert [e for e in errors if not any(n in e for n in noise)] == []


async def test_she_is_told_clearly_when_the_microphone_is_blocked_or_the_browser_cannot_record(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    await cast(server, database_url, world)
    errors: list[str] = []

    # No fake devices and no permission: Chromium refuses the microphone.
    her = await logged_in(chromium, server, "mother.a", PHONE, errors)
    conversation_url = await opens_coaching(her, server)
    await her.wait_for_selector("#chat-attach:not([disabled])", timeout=30_000)
    await her.click("#chat-attach")
    await her.click("#chat-voice")
    await her.click("#chat-recorder [data-recorder=record]")
    await her.wait_for_selector("#chat-recorder[data-state=refused]", timeout=10_000)
    told = await her.inner_text("#chat-recorder .recorder__status")
    assert told in (
        "De microfoon is geblokkeerd. Zet de microfoon aan voor deze website in de instellingen van je browser. "
        "Probeer het daarna opnieuw.",
        "Er is geen microfoon gevonden op deze telefoon of computer.",
    ), told
    assert await her.is_enabled("#chat-recorder [data-recorder=record]"), "she can try again after allowing it"
    await fits(her, "voice-note-refused")

    # A browser without MediaRecorder says so before she tries.
    old = await logged_in(chromium, server, "mother.a", PHONE, errors)
    await old.add_init_script("delete window.MediaRecorder;")
    await old.goto(conversation_url)
    await connected(old)
    await old.wait_for_selector("#chat-attach:not([disabled])", timeout=30_000)
    await old.click("#chat-attach")
    await old.click("#chat-voice")
    await old.wait_for_selector("#chat-recorder[data-state=refused]", timeout=10_000)
    assert "kan geen geluid opnemen" in await old.inner_text("#chat-recorder .recorder__status")
    assert await old.is_disabled("#chat-recorder [data-recorder=record]")
    assert [e for e in errors if "Failed to load resource" not in e] == []
