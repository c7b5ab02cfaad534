"""Real headless Chromium (Debian's package) driven by Playwright; never a downloaded browser."""

from __future__ import annotations

from typing import Any

from tests.support.live import LiveServer
from tests.support.services import chromium_path

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


# A fake microphone and camera (a beep and a test pattern), allowed without asking: for recording.
FAKE_MEDIA_ARGS = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


async def launch_chromium(playwright: Any, *, fake_media: bool = False) -> Any:
    """Launch Debian's Chromium; skips (or fails in CI) with a clear reason when it is absent.

    ``fake_media``: Chromium's fake capture devices, so a page can record a voice note."""
    args = CHROMIUM_ARGS + (FAKE_MEDIA_ARGS if fake_media else [])
    return await playwright.chromium.launch(executable_path=chromium_path(), args=args)

KEY_WORK_MS = 60_000  # Argon2id at 64 MiB on a slow machine, with room to spare


async def log_in(page: Any, server: LiveServer, login: str, password: str) -> None:
    """She logs in on the login page and waits on the start page: her browser has derived her keys."""
    await page.goto(f"{server.url}/login")
    await page.fill("#f-login", login)
    await page.fill("#f-password", password)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_url(f"{server.url}/", timeout=KEY_WORK_MS)


# What sticks out at the right: the page's own scroll width, and every element's right edge.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const element of document.querySelectorAll('body *')) {
    const box = element.getBoundingClientRect();
    const name = `${element.tagName}.${element.className}`;
    if (box.width > 0 && box.right > width + 0.5) out.push(`${name} ${Math.round(box.right)}`);
  }
  return { scrollWidth: document.scrollingElement.scrollWidth, width, out };
}"""
