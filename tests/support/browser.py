"""Real headless Chromium (Debian's package) driven by Playwright; never a downloaded browser."""

from __future__ import annotations

from typing import Any

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


async def launch_chromium(playwright: Any) -> Any:
    """Launch Debian's Chromium; skips (or fails in CI) with a clear reason when it is absent."""
    return await playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
