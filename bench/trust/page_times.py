"""What her browser's trust checks cost her: login, opening her portfolio, and sending a chat
message, timed in real Chromium at 360 px against a running demo server.

    .venv/bin/eportfolio demo && .venv/bin/eportfolio serve --port 8000 &
    .venv/bin/python bench/trust/page_times.py --base http://127.0.0.1:8000 --runs 5

One fresh browser per run, so every run starts cold (a login, then the first portfolio visit of
the session); within a run the portfolio is opened again `--warm` times (warm: the session's keys
and the browser's cache are there). Prints medians and every figure, with the load average.
Targets only 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # the launch flags are the test suite's, kept in one place

from tests.support.browser import CHROMIUM_ARGS  # noqa: E402 - after the path above, which the test-suite imports need

PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
LOGIN, PASSWORD = "fatima", "welkom-fatima"


async def one_run(browser: Any, base: str, warm: int) -> dict[str, Any]:
    context = await browser.new_context(**PHONE)
    page = await context.new_page()
    try:
        await page.goto(f"{base}/login")
        await page.fill("#f-login", LOGIN)
        await page.fill("#f-password", PASSWORD)
        started = time.perf_counter()
        await page.click("#login-form button[type=submit]")
        await page.wait_for_url(f"{base}/", timeout=120_000)
        login_ms = (time.perf_counter() - started) * 1000
        programmes = await page.evaluate("async () => (await fetch('/api/v1/programmes')).json()")
        url = f"{base}/portfolio/programmes/{programmes[0]['id']}"
        opens = []
        for _ in range(1 + warm):
            started = time.perf_counter()
            await page.goto(url)
            await page.wait_for_selector("#portfolio-app[data-ready=true]", timeout=60_000)
            opens.append((time.perf_counter() - started) * 1000)
        await page.goto(f"{base}/chat")
        start = page.locator("form[action$='/coaching'] button[type=submit]")
        if await start.count():
            await start.first.click()
        else:  # the demo's conversation with her coach is there already
            await page.locator("a.chat-list__item").first.click()
        await page.wait_for_url(f"{base}/chat/*")
        started = time.perf_counter()
        await page.wait_for_selector("#chat-app[data-ready=true]", timeout=60_000)
        await page.wait_for_selector("#chat-connection[data-state=ready]", timeout=60_000)
        chat_open_ms = (time.perf_counter() - started) * 1000
        sends = []
        for i in range(3):
            text = f"bench {time.time_ns()} {i}"
            started = time.perf_counter()
            await page.fill("#chat-text", text)
            await page.click("#chat-send")
            await page.wait_for_selector(
                f"li.chat-msg--mine:has(.chat-msg__text:text-is({text!r})) .chat-msg__state[data-state=sent]",
                timeout=60_000,
            )
            sends.append((time.perf_counter() - started) * 1000)
        return {"login_ms": login_ms, "portfolio_cold_ms": opens[0], "portfolio_warm_ms": opens[1:],
                "chat_open_ms": chat_open_ms, "chat_send_ms": sends}
    finally:
        await context.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warm", type=int, default=4)
    args = parser.parse_args()
    if not args.base.startswith(("http://127.", "http://localhost")):
        raise SystemExit("only a server on this machine")
    from playwright.async_api import async_playwright

    load_before = os.getloadavg()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            runs = [await one_run(browser, args.base, args.warm) for _ in range(args.runs)]
        finally:
            await browser.close()

    def median(values: list[float]) -> float:
        return round(statistics.median(values), 1)

    summary = {
        "runs": args.runs,
        "login_ms": median([r["login_ms"] for r in runs]),
        "portfolio_cold_ms": median([r["portfolio_cold_ms"] for r in runs]),
        "portfolio_warm_ms": median([v for r in runs for v in r["portfolio_warm_ms"]]),
        "chat_open_ms": median([r["chat_open_ms"] for r in runs]),
        "chat_send_ms": median([v for r in runs for v in r["chat_send_ms"]]),
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
    }
    print(json.dumps({"summary": summary, "runs": runs}, indent=1))


if __name__ == "__main__":
    asyncio.run(main())
