"""A coach's key changes (as when a coach starts over with new keys): on her phone the portfolio
stops sharing with that coach and says so, until she compares the coach's new fingerprint in
person (text and QR) with the code on the coach's own account page. "They differ" keeps sharing
stopped; "they are the same" pins the new key in her signed record and her coach reads again."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.coach_keys import coach_gets_new_keys
from tests.support.live import LiveServer
from tests.support.portfolio_journey import cast, fits, phone_page, ready, write
from tests.support.world import World

pytestmark = pytest.mark.browser


async def _coach_holds_key(page: Any, programme_id: Any) -> bool:
    """Whether her portfolio says Coach A holds the current key (for the key Coach A has now)."""
    portfolio = await page.evaluate(
        """async (url) => (await (await fetch(url, {method: 'POST', headers: {'content-type':
        'application/json', 'x-csrf-token': document.querySelector('meta[name="csrf-token"]').content},
        body: '{}'})).json())""",
        f"/api/v1/portfolio/programmes/{programme_id}/mine",
    )
    return any(m["display_name"] == "Coach A" and m["has_current_grant"] for m in portfolio["members"])


async def _pin_revision(page: Any) -> int:
    revision: int = await page.evaluate("async () => (await (await fetch('/api/v1/pinned-keys')).json()).revision")
    return revision


async def test_she_confirms_her_coachs_changed_key_in_person_before_sharing_again(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    mine = f"{server.url}/portfolio/programmes/{world.programme_a}"
    await cast(server, database_url, world)
    errors: list[str] = []

    # She opens her portfolio: her phone pins her coach's key and shares with the coach.
    her = await phone_page(chromium, server, "mother.a", errors)
    await ready(her, mine)
    await write(her, "diary", "Before the change", "Shared before the key changed", "my_coaches")
    assert await _coach_holds_key(her, world.programme_a)
    assert await her.is_hidden("#coach-checks")
    revision = await _pin_revision(her)

    # The coach's key changes. Her phone notices, warns and shares nothing with the new key.
    new_fingerprint = await coach_gets_new_keys(database_url, world)
    await ready(her, mine)
    assert "Coach A" in await her.inner_text("#status")
    assert not await _coach_holds_key(her, world.programme_a), "no automatic grant to a changed key"
    assert await her.is_hidden("#coach-check")
    await her.click("#coach-checks button")
    await her.wait_for_selector("#coach-check:not([hidden])")
    assert "Coach A" in await her.inner_text("#coach-check-heading")
    await fits(her, "coach-check")

    # What she sees is what her coach's own account page shows, as text and as a QR code.
    coach = await phone_page(chromium, server, "coach.a", errors)
    await coach.goto(f"{server.url}/account")
    assert (await coach.inner_text("#my-fingerprint")).strip() == new_fingerprint
    assert (await her.inner_text("#coach-check-fingerprint")).strip() == new_fingerprint
    qr = await her.get_attribute("#coach-check-qr", "src")
    assert qr is not None
    assert new_fingerprint.replace(" ", "") in qr
    await her.wait_for_function("document.getElementById('coach-check-qr').naturalWidth > 0")

    # "They differ": sharing stays stopped and she is told to contact the programme.
    await her.click("#coach-check-differ")
    assert await her.is_hidden("#coach-check")
    assert "Neem contact op met het programma" in await her.inner_text("#status"), "in her language, Dutch"
    assert not await _coach_holds_key(her, world.programme_a)
    assert await _pin_revision(her) == revision

    # "They are the same": the new key is pinned (a new revision of her record) and shared.
    await her.click("#coach-checks button")
    await her.wait_for_selector("#coach-check:not([hidden])")
    await her.click("#coach-check-same")
    await her.wait_for_selector("#status.alert--success", timeout=30_000)
    assert await her.is_hidden("#coach-check")
    assert await her.is_hidden("#coach-checks")
    assert "Coach A" in await her.inner_text("#readers")
    assert await _coach_holds_key(her, world.programme_a)
    assert await _pin_revision(her) > revision

    # Her coach's new keys cannot open the list of keys he trusted before: his phone trusts nothing
    # until he compares his organisation's code with staff in person. Then he reads what she
    # shared; on her next visit nothing asks to be checked again.
    await coach.goto(f"{server.url}/portfolio")
    await coach.click("a[href^='/portfolio/']:not([href*=programmes])")
    await coach.wait_for_selector("#key-change[data-kind=missing]:not([hidden])", timeout=30_000)
    async with coach.expect_navigation(timeout=30_000):
        await coach.click("#key-change-confirm")  # pinned, confirmed; the page opens again
    await coach.wait_for_selector("#portfolio-app[data-ready=true]", timeout=30_000)
    assert await coach.is_hidden("#key-change")
    await coach.click("#items .item-open >> text=Before the change")
    assert "Shared before the key changed" in await coach.inner_text("#view-body")
    await ready(her, mine)
    assert await her.is_hidden("#coach-checks")
    assert "Coach A" not in await her.inner_text("#status")
    assert errors == [], errors
