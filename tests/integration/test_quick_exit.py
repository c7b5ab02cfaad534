"""Quick exit: one tap ends her session and leaves for a neutral site."""

from __future__ import annotations

from tests.support.client import Browser
from tests.support.world import World


async def test_quick_exit_ends_the_session_and_leaves_for_a_neutral_site(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.participant_a)
    home = await browser.get("/")
    assert 'href="/quick-exit"' in home.text
    assert "Snel weg" in home.text
    response = await browser.get("/quick-exit")
    assert response.status_code == 303
    assert response.headers["location"] == browser.app.state.settings.quick_exit_url
    assert (await browser.api("GET", "/api/v1/programmes")).status_code == 401, "the session has ended"


async def test_quick_exit_is_harmless_when_nobody_is_logged_in(browser: Browser) -> None:
    response = await browser.get("/quick-exit")
    assert response.status_code == 303
    # Someone applying, signing up or logging in can be seen too: the quick exit is on every page.
    for path in ("/", "/login", "/recover"):
        page = await browser.get(path)
        assert 'href="/quick-exit"' in page.text, path
        assert "js/quick-exit.js" in page.text, path
