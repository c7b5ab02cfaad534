"""Where she is logged in, said the way she would say it: "Chrome op Android", "Safari op iPhone",
with times in her programme's time zone and her language; never a raw browser string or UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from sqlalchemy import update

from eportfolio.accounts.sessions import SESSION_COOKIE, start_session
from eportfolio.accounts.tables import Session as SessionRow
from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.tables import Programme
from tests.support.client import Browser
from tests.support.world import World
from tests.support.world_keys import world_keys

CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; SM-A146B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.2 Mobile/15E148 Safari/604.1"
)
NEW_YEAR = datetime(2025, 1, 1, 2, 30, tzinfo=UTC)  # 03:30 in Amsterdam, 22:30 the evening before on Curaçao


@pytest.fixture(autouse=True)
async def _keys(app: FastAPI, world: World) -> None:
    await world_keys(app, world)  # her account page shows her key code: she needs keys


async def _two_sessions(app: FastAPI, world: World) -> str:
    """Her phone (Chrome on Android, logged in on New Year's night) and her old iPhone; returns the phone's token."""
    async with unit_of_work(app.state.sessionmaker) as uow:
        phone, token = await start_session(uow, app.state.settings, world.participant_a, user_agent=CHROME_ANDROID)
        await start_session(uow, app.state.settings, world.participant_a, user_agent=SAFARI_IPHONE)
        await uow.flush()
        await uow.session.execute(update(SessionRow).where(SessionRow.id == phone.id).values(created_at=NEW_YEAR))
    return token


async def test_sessions_are_named_by_browser_and_system_in_her_time_zone(
    app: FastAPI, browser: Browser, world: World
) -> None:
    browser.http.cookies.set(SESSION_COOKIE, await _two_sessions(app, world))
    page = (await browser.get("/account")).text
    assert "Chrome op Android" in page
    assert "Safari op iPhone" in page
    assert "Mozilla/5.0" not in page, "not the raw browser string"
    assert "Ingelogd: 1 januari 2025 om 03:30" in page
    assert "Laatst gebruikt: zojuist" in page
    assert "UTC" not in page

    browser.http.cookies.set("ep_lang", "en")
    page = (await browser.get("/account")).text
    assert "Chrome on Android" in page
    assert "Logged in: 1 January 2025, 03:30" in page


async def test_a_programme_on_curacao_shows_curacao_time(app: FastAPI, browser: Browser, world: World) -> None:
    async with unit_of_work(app.state.sessionmaker) as uow:
        await uow.session.execute(
            update(Programme).where(Programme.id == world.programme_a).values(time_zone="America/Curacao")
        )
    browser.http.cookies.set(SESSION_COOKIE, await _two_sessions(app, world))
    page = (await browser.get("/account")).text
    assert "Ingelogd: 31 december 2024 om 22:30" in page


async def test_the_key_code_says_who_compares_it_with_her(app: FastAPI, browser: Browser, world: World) -> None:
    await world_keys(app, world)
    await browser.log_in_as(world.participant_a)
    page = (await browser.get("/account")).text
    assert "Je coach kan deze code samen met jou vergelijken" in page
    await browser.log_in_as(world.coach_a)
    page = (await browser.get("/account")).text
    assert "Je coach kan deze code" not in page, "a coach is not told that her coach compares it"
    assert "Deelnemers en collega's kunnen deze code samen met jou vergelijken" in page
