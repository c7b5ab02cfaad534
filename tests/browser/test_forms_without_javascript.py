"""Real Chromium: the login form submitted without its script (JavaScript off, or the module not
loaded yet on a slow phone) sends the password nowhere and says that JavaScript is needed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.browser import PHONE
from tests.support.live import LiveServer
from tests.support.world import World

pytestmark = pytest.mark.browser

PASSWORD = "hunter2 her own sentence"


async def _submit_login(page: Any, server: LiveServer) -> list[str]:
    """Fill in and send the login form; every request the page made, as URL and body."""
    sent: list[str] = []
    page.on("request", lambda request: sent.append(f"{request.url} {request.post_data or ''}"))
    await page.goto(f"{server.url}/login")
    await page.fill("#f-login", "mother.a")
    await page.fill("#f-password", PASSWORD)
    async with page.expect_navigation():
        await page.click("#login-form button[type=submit]")
    return sent


def _nowhere(sent: list[str]) -> None:
    assert sent
    for line in sent:
        for form in (PASSWORD, PASSWORD.replace(" ", "+"), PASSWORD.replace(" ", "%20"), "hunter2"):
            assert form not in line, line


async def test_with_javascript_off_the_login_form_sends_no_password_and_explains(
    chromium: Any, world_and_server: tuple[World, LiveServer]
) -> None:
    _, server = world_and_server
    context = await chromium.new_context(java_script_enabled=False, locale="en-GB", **PHONE)
    await context.add_cookies([{"name": "ep_lang", "value": "en", "url": server.url}])
    page = await context.new_page()
    sent = await _submit_login(page, server)
    _nowhere(sent)
    assert "/needs-javascript" in page.url
    assert "hunter2" not in page.url
    text = await page.inner_text("main")
    assert "JavaScript is needed" in text
    assert "your password and codes were not sent" in text
    await page.click("#needs-js-back")
    await page.wait_for_url(f"{server.url}/login")
    await context.close()
    assert "hunter2" not in server.log()


async def test_on_a_slow_phone_a_login_sent_before_its_script_loaded_sends_no_password(
    chromium: Any, world_and_server: tuple[World, LiveServer]
) -> None:
    _, server = world_and_server
    context = await chromium.new_context(**PHONE)
    await context.add_cookies([{"name": "ep_lang", "value": "en", "url": server.url}])
    page = await context.new_page()
    # The login module never arrives (as on a slow connection, before it has loaded).
    await page.route("**/js/accounts/login.js*", lambda route: route.abort())
    sent = await _submit_login(page, server)
    _nowhere(sent)
    assert "/needs-javascript" in page.url
    assert "JavaScript is needed" in await page.inner_text("main")
    await context.close()
    assert "hunter2" not in server.log()
