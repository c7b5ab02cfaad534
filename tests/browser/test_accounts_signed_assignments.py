"""Signed coach assignments in real Chromium: a staff member whose browser holds the programme
key assigns a coach, her browser signs the record; the participant's own browser checks the
chain organisation key -> programme key -> record -> coach's key and shows her coach as confirmed,
and who signed. A staff member who assigns herself waits for a second signature, which an
administrator's browser adds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eportfolio.domain.people import Role
from eportfolio.invitations.service import _new_invitation
from eportfolio.kit.db import make_engine, make_sessionmaker
from eportfolio.kit.uow import unit_of_work
from tests.support.browser import PHONE
from tests.support.live import LiveServer
from tests.support.signup_pages import KEY_WORK_MS, new_page, sign_up
from tests.support.world import World

pytestmark = pytest.mark.browser


async def _invitations(database_url: str, world: World) -> dict[str, str]:
    engine = make_engine(database_url)
    wanted = {
        "admin": (None, world.admin, Role.org_admin),
        "staff": (world.programme_a, world.staff_a, Role.staff),
        "coach": (world.programme_a, world.coach_a, Role.coach),
        "mother": (world.programme_a, world.participant_a2, Role.participant),
    }
    codes = {}
    try:
        async with unit_of_work(make_sessionmaker(engine)) as uow:
            for name, (programme, person, role) in wanted.items():
                codes[name], row = _new_invitation(world.organisation_id, programme, person, role, None)
                uow.session.add(row)
    finally:
        await engine.dispose()
    return codes


async def test_staff_sign_the_assignment_and_her_browser_confirms_her_coach(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str, tmp_path: Path
) -> None:
    world, server = world_and_server
    errors: list[str] = []
    codes = await _invitations(database_url, world)
    pages = {}
    for name, login in (("admin", "admin"), ("staff", "staff.a"), ("coach", "coach.a"), ("mother", "mother.a2")):
        context = await chromium.new_context(**PHONE, locale="en-GB")
        await context.add_cookies([{"name": "ep_lang", "value": "en", "url": server.url}])
        pages[name] = await new_page(context, errors)
        await sign_up(pages[name], server, codes[name], login, f"the passphrase of {login}")
    admin, staff, mother = pages["admin"], pages["staff"], pages["mother"]

    await admin.goto(f"{server.url}/manage/programmes/{world.programme_a}/keys")
    await admin.click("#make-key")
    await admin.wait_for_selector("#programme-fingerprint", timeout=KEY_WORK_MS)
    await admin.click(f"[data-give-to='{world.staff_a}']")
    await admin.wait_for_selector("#holders li:has-text('Staff A')", timeout=KEY_WORK_MS)

    assignments = f"{server.url}/manage/programmes/{world.programme_a}/assignments"
    await staff.goto(assignments)
    await staff.select_option("#f-participant_id", str(world.participant_a2))
    await staff.select_option("#f-coach_id", str(world.coach_a))
    await staff.click("#assign-form button[type=submit]")
    card = staff.locator("li.card", has_text="Mother A2")
    await card.wait_for(timeout=KEY_WORK_MS)
    assert await card.get_attribute("data-status") == "signed", "the server checked the chain and kept it"

    # The world's first assignment was made without the key; "sign now" signs it.
    old = staff.locator(f"li.card[data-assignment-id='{world.assignment_a}']")
    assert await old.get_attribute("data-status") == "unsigned"
    await old.locator("form.sign-form button").click()
    await staff.wait_for_selector(f"li.card[data-assignment-id='{world.assignment_a}'][data-status=signed]",
                                  timeout=KEY_WORK_MS)

    await mother.goto(f"{server.url}/")
    mine = mother.locator("ul.my-coaches li[data-coach-id]")
    await mother.wait_for_selector("ul.my-coaches li[data-checked]", timeout=KEY_WORK_MS)
    assert await mine.get_attribute("data-checked") == "signed", "her own browser verified the record"
    assert "Coach A" in await mine.inner_text(), "she sees her coach's name"
    assert "confirmed by the programme" in await mine.inner_text()
    assert "signed by Staff A" in await mine.inner_text(), "she sees who signed it"
    assert await mother.evaluate("document.documentElement.scrollWidth") <= 360

    # Ending in the staff browser re-signs the record with the end date.
    await staff.goto(assignments)
    await staff.locator("li.card", has_text="Mother A2").locator("form.end-form button").click()
    ended = staff.locator("li.card", has_text="Mother A2").filter(has=staff.locator("p", has_text="Ended"))
    await ended.wait_for(timeout=KEY_WORK_MS)
    assert await ended.get_attribute("data-status") == "signed", "the end is signed, not 'end not signed'"
    await mother.goto(f"{server.url}/")
    assert "You do not have a coach yet." in await mother.inner_text("ul.my-coaches")

    # Staff A gives herself the coach role and assigns herself: her browser signs, but as the
    # coach in it she cannot make it count; it waits for a second signature.
    await staff.goto(f"{server.url}/manage/programmes/{world.programme_a}/people/{world.staff_a}")
    await staff.select_option("#f-role", "coach")
    await staff.click(f"form[action$='/people/{world.staff_a}/roles'] button[type=submit]")
    await staff.wait_for_load_state()
    await staff.goto(assignments)
    await staff.select_option("#f-participant_id", str(world.participant_a2))
    await staff.select_option("#f-coach_id", str(world.staff_a))
    await staff.click("#assign-form button[type=submit]")
    herself = staff.locator("li.card[data-status=awaiting_second_signature]", has_text="Mother A2")
    await herself.wait_for(timeout=KEY_WORK_MS)
    assert "waiting for a second signature" in await herself.inner_text()
    assert await herself.locator("form.sign-form").count() == 0, "she is not offered to sign her own"
    await mother.goto(f"{server.url}/")
    await mother.wait_for_selector("ul.my-coaches li[data-checked]", timeout=KEY_WORK_MS)
    waiting = mother.locator("ul.my-coaches li[data-coach-id]")
    assert await waiting.get_attribute("data-checked") == "not-signed", "her browser does not confirm it either"
    assert "waiting for a second signature" in await waiting.inner_text()

    # The administrator's browser holds the key too and adds the second signature.
    await admin.goto(assignments)
    card = admin.locator("li.card[data-status=awaiting_second_signature]", has_text="Mother A2")
    await card.locator("form.sign-form button").click()
    await admin.wait_for_selector("li.card[data-status=signed]:has-text('Mother A2'):not(:has-text('Ended'))",
                                  timeout=KEY_WORK_MS)
    await mother.goto(f"{server.url}/")
    await mother.wait_for_selector("ul.my-coaches li[data-checked]", timeout=KEY_WORK_MS)
    countersigned = mother.locator("ul.my-coaches li[data-coach-id]")
    assert await countersigned.get_attribute("data-checked") == "signed"
    assert "signed by Admin" in await countersigned.inner_text()
    assert not errors, errors
