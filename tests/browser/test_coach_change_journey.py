"""A coach change after a coach-assisted reset, in real Chromium: her coach compared her new
fingerprint in person and gave her the keys again; later staff end his assignment and assign
another coach. Her portfolio and her conversation keep opening on her phone, everything she wrote
before and after the reset included, and the new coach gets access from her browser.

Before the fix her phone showed "Something went wrong" on the portfolio and the chat stayed at
"Connecting…": the keys had reached her through grants signed by the coach who left, and what
she signed before the reset counted only on his word."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from eportfolio.domain.people import Role
from tests.support.browser import DESKTOP, PHONE
from tests.support.live import LiveServer
from tests.support.lying import Liar
from tests.support.recovery_journey import (
    KEY_WORK_MS,
    NEW_PASSWORD,
    cast,
    fits,
    item_titles,
    new_context,
    open_portfolio,
    person_page,
    she_writes,
    write,
)
from tests.support.signup import signed_up_member
from tests.support.world import World

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("EPORTFOLIO_SCREENSHOTS")


async def _shot(page: Any, name: str) -> None:
    if SHOTS:
        await page.screenshot(path=str(Path(SHOTS) / f"coach-change-{name}.png"), full_page=True)


async def _second_coach(server: LiveServer, database_url: str, world: World) -> None:
    """Coach B: a coach of programme A with real keys, not assigned to anyone yet."""
    await signed_up_member(
        server, database_url, world, "Coach B", Role.coach, "coach.b", language="en", coach_kind="individual"
    )


async def _chat(page: Any, server: LiveServer, *, start: bool = False) -> None:
    await page.goto(f"{server.url}/chat")
    if start:
        await page.click("form[action$='/coaching'] button[type=submit]")
    else:
        await page.click("a.chat-list__item[data-conversation]")
    await page.wait_for_url(f"{server.url}/chat/*")
    await page.wait_for_selector("#chat-app[data-ready=true]", timeout=30_000)
    await page.wait_for_selector("#chat-connection[data-state=ready]", timeout=30_000)


async def _send(page: Any, text: str, states: tuple[str, ...] = ("sent", "delivered", "read")) -> None:
    """Send and wait until the server took it: its state is one of ``states`` ("noReader" while
    nobody but her holds the conversation key)."""
    await page.fill("#chat-text", text)
    await page.click("#chat-send")
    mine = f"li.chat-msg--mine:has(.chat-msg__text:text-is({text!r})) .chat-msg__state"
    await page.wait_for_selector(",".join(f"{mine}[data-state={state}]" for state in states), timeout=15_000)


async def _texts(page: Any, *expected: str) -> list[str]:
    """The texts the conversation shows, once each of ``expected`` is on screen: the history is
    decrypted and drawn a moment after the socket says it caught up."""
    for text in expected:
        await page.wait_for_selector(f"li.chat-msg .chat-msg__text:text-is({text!r})", timeout=15_000)
    texts: list[str] = await page.locator("li.chat-msg .chat-msg__text").all_inner_texts()
    return texts


async def _reads(page: Any, title: str, body: str) -> None:
    await page.click(f"#items .item-open >> text={title}")
    assert body in await page.inner_text("#view-body")
    await page.click("#view-back")


async def test_after_a_reset_the_coach_who_helped_leaves_and_she_keeps_everything(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    a = world.programme_a
    await cast(server, database_url, world)
    await _second_coach(server, database_url, world)
    errors: list[str] = []

    # Before: she writes in her portfolio and chats with her coach.
    her = await she_writes(chromium, server, world, errors)
    await _chat(her, server, start=True)
    await _send(her, "Before the reset: can we meet on Monday?")
    coach = await person_page(chromium, server, "coach.a", errors, DESKTOP)
    await _chat(coach, server)
    await coach.wait_for_selector(
        "li.chat-msg--theirs .chat-msg__text:text-is('Before the reset: can we meet on Monday?')", timeout=15_000
    )
    await _send(coach, "Yes, Monday at ten.")

    # The coach-assisted reset: staff give her a code, her phone makes new keys, her coach checks
    # her new fingerprint in person and gives her the keys again (portfolio, then chat).
    admin = await person_page(chromium, server, "admin", errors, DESKTOP)
    await admin.goto(f"{server.url}/recovery/programmes/{a}/people/{world.participant_a}/reset")
    await admin.click("#make-reset")
    code = (await admin.inner_text("#reset-code")).strip()
    phone = await new_context(chromium, server, errors, PHONE)
    await phone.goto(f"{server.url}/recovery/reset")
    await phone.fill("#f-code", code)
    await phone.fill("#f-password", NEW_PASSWORD)
    await phone.fill("#f-password2", NEW_PASSWORD)
    await phone.check("#f-understood")
    await phone.click("#reset-form button[type=submit]")
    await phone.wait_for_selector("#reset-done:not([hidden])", timeout=KEY_WORK_MS)
    await coach.goto(f"{server.url}/portfolio")
    await coach.click("a[href^='/portfolio/']:not([href*=programmes])")
    await coach.wait_for_selector("#portfolio-app[data-ready=true]", timeout=30_000)
    await coach.wait_for_selector("#recovery-panel:not([hidden])")
    await coach.click("#recovery-confirm")
    await coach.wait_for_selector("#recovery-panel", state="hidden", timeout=30_000)
    await _chat(coach, server)

    # She opens her portfolio once while he is still her coach (comparing her organisation's
    # code with staff, who are with her for the reset), then the chat, and writes in both.
    await phone.click("#reset-done a")
    await phone.wait_for_url(f"{server.url}/")
    await phone.goto(f"{server.url}/portfolio/programmes/{a}")
    await phone.wait_for_selector("#key-change[data-kind=missing]:not([hidden])", timeout=30_000)
    async with phone.expect_navigation(timeout=30_000):
        await phone.click("#key-change-confirm")
    await phone.wait_for_selector("#portfolio-app[data-ready=true]", timeout=30_000)
    await write(phone, "After the reset", "I found a training course", "my_coaches")
    await _chat(phone, server)
    await _send(phone, "After the reset: thank you for helping me")

    # Staff end his assignment (signed in the admin's browser, which holds the programme key).
    await admin.goto(f"{server.url}/manage/programmes/{a}/assignments")
    card = admin.locator(f"li.card[data-assignment-id='{world.assignment_a}']")
    await card.locator("form.end-form button").click()
    await admin.locator(f"li.card[data-assignment-id='{world.assignment_a}']").filter(
        has=admin.locator("p", has_text="Ended")).wait_for(timeout=KEY_WORK_MS)

    # She keeps everything: the portfolio opens with all she shared, before and after the reset.
    await open_portfolio(phone, server, world)
    assert await phone.locator("#status.alert--warning:has-text('Something went wrong')").count() == 0
    titles = await item_titles(phone)
    assert {"Shared reflection", "After the reset"} <= set(titles), titles
    await _reads(phone, "Shared reflection", "What I learned at the workshop")
    await _reads(phone, "After the reset", "I found a training course")
    await write(phone, "With my coach gone", "Still writing", "my_coaches")
    await _reads(phone, "With my coach gone", "Still writing")
    await fits(phone, "portfolio-after-coach-left")
    await _shot(phone, "portfolio")

    # And the conversation: connected, every message readable, and she can still write.
    await _chat(phone, server)
    said = ("Before the reset: can we meet on Monday?", "Yes, Monday at ten.",
            "After the reset: thank you for helping me")
    texts = await _texts(phone, *said)
    for text in said:
        assert text in texts, texts
    assert await phone.locator("li.chat-msg--broken").count() == 0
    # Taken by the server, and marked as read by nobody: nobody but her holds the key now.
    await _send(phone, "My coach has left, I am still here", states=("noReader",))
    await fits(phone, "chat-after-coach-left")
    await _shot(phone, "chat")
    conversation_url = phone.url

    # A new coach: staff assign Coach B; her browser gives him the keys when she opens her
    # portfolio and chat; he reads what she shared, from before the reset too.
    await admin.goto(f"{server.url}/manage/programmes/{a}/assignments")
    await admin.select_option("#f-participant_id", str(world.participant_a))
    await admin.select_option("#f-coach_id", label="Coach B")
    await admin.click("#assign-form button[type=submit]")
    await admin.locator("li.card[data-status=signed]", has_text="Coach B").wait_for(timeout=KEY_WORK_MS)
    await open_portfolio(phone, server, world)
    await _chat(phone, server)
    new_coach = await person_page(chromium, server, "coach.b", errors, DESKTOP)
    await new_coach.goto(f"{server.url}/portfolio")
    await new_coach.click("a[href^='/portfolio/']:not([href*=programmes])")
    await new_coach.wait_for_selector("#portfolio-app[data-ready=true]", timeout=30_000)
    assert {"Shared reflection", "After the reset", "With my coach gone"} <= set(await item_titles(new_coach))
    await _reads(new_coach, "Shared reflection", "What I learned at the workshop")
    await _chat(new_coach, server)
    texts = await _texts(new_coach, "My coach has left, I am still here", "Before the reset: can we meet on Monday?")
    assert "My coach has left, I am still here" in texts
    assert "Before the reset: can we meet on Monday?" in texts

    # Keys her phone cannot open (here: the server answers nonsense for her grants) are said in
    # plain words on both pages: never "Something went wrong" alone, never an endless "Connecting…".
    liar = Liar()
    for path in (r"/api/v1/chat/conversations/[^/]+/grants/mine", r"/api/v1/portfolio/[^/]+/grants/mine"):
        liar.lie(path, lambda status, data: (200, {"grants": "not a list"}))
    await liar.install(phone.context)
    await phone.goto(conversation_url)
    await phone.wait_for_selector("#chat-connection[data-state=failed]", timeout=30_000)
    assert "could not open the keys" in await phone.inner_text("#chat-connection")
    assert await phone.get_attribute("#chat-app", "data-failed") == "keys"
    assert await phone.is_disabled("#chat-send")
    await fits(phone, "chat-failed")
    await _shot(phone, "chat-failed")
    await phone.goto(f"{server.url}/portfolio/programmes/{a}")
    await phone.wait_for_selector("#portfolio-app[data-failed=keys]", timeout=30_000)
    assert "could not open the keys of this portfolio" in await phone.inner_text("#status")
    await _shot(phone, "portfolio-failed")

    # The refusals meant to be met: her old sessions ended by the reset (401).
    assert [e for e in errors if "status of 401" not in e and "status of 422" not in e] == [], errors
