"""No dead ends when she lost her password: /recover says what to do when the recovery code is
gone too and leads back to log in; the home's "help if you lose everything" says what she can do
now when the programme has not set it up."""

from __future__ import annotations

import re

from fastapi import FastAPI

from tests.support.client import Browser
from tests.support.world import World


def _links(html: str) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', html))


async def test_recover_says_what_to_do_without_the_code_and_leads_back(app: FastAPI) -> None:
    async with Browser(app) as phone:
        phone.http.cookies.set("ep_lang", "nl")
        page = (await phone.get("/recover")).text
        assert "Ook je herstelcode kwijt? Vraag je coach of het programma om hulp" in page
        assert {"/recovery/lost", "/login"} <= _links(page)

        lost = await phone.get("/recovery/lost")
        assert lost.status_code == 200, "open without logging in"
        assert "Vraag je coach of het programma om hulp." in lost.text
        assert "resetcode" in lost.text
        assert {"/recovery/reset", "/recovery/device", "/login"} <= _links(lost.text)
        for url in ("/recovery/reset", "/recovery/device", "/login"):
            assert (await phone.get(url)).status_code == 200

        phone.http.cookies.set("ep_lang", "en")
        lost = await phone.get("/recovery/lost")
        assert "Lost your recovery code too?" in lost.text
        assert "Back to log in" in lost.text


async def test_help_if_you_lose_everything_says_what_she_can_do_before_it_is_set_up(
    world: World, browser: Browser
) -> None:
    await browser.log_in_as(world.participant_a)
    browser.http.cookies.set("ep_lang", "nl")
    home = (await browser.get("/")).text
    consent_url = f"/recovery/programmes/{world.programme_a}/consent"
    assert consent_url in _links(home)
    page = (await browser.get(consent_url)).text
    assert "Het programma heeft dit nog niet klaargezet" in page
    assert "Vraag je coach als je haar ziet" in page
    assert "/recovery/lost" in _links(page)
