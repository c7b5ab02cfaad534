"""The chat over HTTP in tests: send one message, change a programme's settings, sign a duty roster."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import FastAPI

from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.tables import Programme
from tests.support.chat import body, client_id
from tests.support.client import Browser
from tests.support.world import World
from tests.support.world_keys import world_keys


async def send(browser: Browser, conversation: str, cid: str | None = None, epoch: int = 1) -> dict:  # type: ignore[type-arg]  # the JSON body as the API returns it
    response = await browser.api(
        "POST",
        f"/api/v1/chat/conversations/{conversation}/messages",
        json={"client_id": cid or client_id(), "body": body(), "epoch": epoch},
    )
    assert response.status_code in (200, 201), response.text
    result: dict = response.json()  # type: ignore[type-arg]  # the JSON body as the API returns it
    return result


async def set_settings(app: FastAPI, world: World, **settings: object) -> None:
    async with unit_of_work(app.state.sessionmaker) as uow:
        programme = await uow.session.get(Programme, world.programme_a)
        assert programme is not None
        programme.settings = {**(programme.settings or {}), **settings}


async def post_roster(browser: Browser, world: World, start: datetime, hours: int = 8) -> None:
    """Staff A signs a roster with Coach A and Supervisor A on duty from ``start`` (local time)."""
    keys = await world_keys(browser.app, world)
    await browser.log_in_as(world.staff_a)
    end = start + timedelta(hours=hours)
    response = await browser.api(
        "POST",
        f"/api/v1/chat/programmes/{world.programme_a}/rosters",
        json=keys.roster(
            [(world.coach_a, "coach", start, end), (world.supervisor_a, "supervisor", start, end)], serial=1
        ),
    )
    assert response.status_code == 201, response.text
