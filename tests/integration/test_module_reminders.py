"""Reminders before a due date come from a timer too: `eportfolio send-reminders`, once each."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta

from eportfolio.kit.clock import utcnow
from tests.support.client import Browser
from tests.support.modules import published_module
from tests.support.world import World
from tests.support.world_keys import world_keys


async def _send_reminders(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "eportfolio.cli", "send-reminders", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "EPORTFOLIO_DATABASE_URL": database_url},
        timeout=120,
        check=False,
    )


async def test_the_reminder_command_reminds_each_participant_once(
    browser: Browser, world: World, database_url: str
) -> None:
    await world_keys(browser.app, world)  # Coach A's assignment signed by Staff A: he coaches her
    module = await published_module(browser, world)
    in_two_days = (utcnow() + timedelta(days=2)).date()
    await browser.log_in_as(world.coach_a)
    response = await browser.api(
        "POST",
        f"/api/v1/programmes/{world.programme_a}/assignments",
        json={"module_id": module["module_id"], "participant_id": str(world.participant_a), "due_on": str(in_two_days)},
    )
    assert response.status_code == 201, response.text
    browser.log_out()

    too_early = await _send_reminders(database_url, "--today", str(in_two_days - timedelta(days=5)))
    assert (too_early.returncode, too_early.stdout.strip()) == (0, "reminders made: 0"), too_early.stderr
    first = await _send_reminders(database_url)
    assert (first.returncode, first.stdout.strip()) == (0, "reminders made: 1"), first.stderr
    again = await _send_reminders(database_url)
    assert again.stdout.strip() == "reminders made: 0", "a reminder comes once"

    await browser.log_in_as(world.participant_a)
    kinds = [n["kind"] for n in (await browser.api("GET", "/api/v1/notifications")).json()]
    assert sorted(kinds) == ["assignment_given", "due_soon"]
