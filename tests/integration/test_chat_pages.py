"""The chat pages that work without JavaScript: her switch for notifications, and the service
worker served from the root so that it may show notifications for every page."""

from __future__ import annotations

from tests.support.client import Browser
from tests.support.world import World


async def test_she_turns_notifications_off_and_on_with_a_plain_form(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.participant_a)
    page = await browser.get("/chat")
    assert page.status_code == 200
    assert 'data-enabled="true"' in page.text, "notifications are on until she turns them off"
    off = await browser.post_form("/chat/push", {"enabled": "off"})
    assert off.status_code == 303
    assert off.headers["location"].startswith("/chat")
    assert (await browser.api("GET", "/api/v1/chat/push")).json()["enabled"] is False
    page = await browser.get("/chat")
    assert 'data-enabled="false"' in page.text
    assert 'name="enabled" value="on"' in page.text, "the same button now turns them on again"
    await browser.post_form("/chat/push", {"enabled": "on"})
    assert (await browser.api("GET", "/api/v1/chat/push")).json()["enabled"] is True
    await browser.log_in_as(world.coach_a)
    assert (await browser.api("GET", "/api/v1/chat/push")).json()["enabled"] is True, "her switch is hers only"


async def test_the_switch_needs_her_session_and_the_form_token(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.participant_a)
    forged = await browser.http.post("/chat/push", data={"enabled": "off"})
    assert forged.status_code == 403, "a form from elsewhere cannot switch her notifications off"
    assert (await browser.api("GET", "/api/v1/chat/push")).json()["enabled"] is True


async def test_the_service_worker_is_served_from_the_root_with_its_scope(browser: Browser) -> None:
    worker = await browser.get("/sw.js")
    assert worker.status_code == 200
    assert worker.headers["content-type"].startswith("text/javascript")
    assert worker.headers["service-worker-allowed"] == "/"
    assert "no-cache" in worker.headers["cache-control"]
    assert "showNotification" in worker.text
