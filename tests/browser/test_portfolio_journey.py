"""Her portfolio in real Chromium on a phone: she logs in, her browser makes the portfolio key and
grants it to her coach after checking the signed assignment, she writes with different audiences,
keeps a draft through a reload, makes a goal plan and uploads a photo; her coach reads only what
is shared, comments and suggests a step; she accepts it; search runs on the phone."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from eportfolio import crypto
from eportfolio.kit.clock import utcnow
from eportfolio.programmes.tables import CoachAssignment
from tests.support.live import LiveServer, in_database
from tests.support.portfolio_journey import cast, fits, phone_page, png, ready, stored_blobs, write
from tests.support.trust import another_coach_of_hers
from tests.support.world import World

pytestmark = pytest.mark.browser


async def _second_coach(server: LiveServer, database_url: str, world: World, programme_key: crypto.SigningKey) -> None:
    """Coach B joins the programme and staff assign her with a record signed by the programme key."""
    await another_coach_of_hers(
        server, database_url, world, programme_key, "Coach B", "coach.b",
        serial=2, issued_at=1_780_000_100, language="nl",
    )


async def _write_without_saving(page: Any, kind: str, title: str, body: str) -> None:
    await page.select_option("#f-new-kind", kind)
    await page.click("#new-form button[type=submit]")
    await page.fill("#f-title", title)
    await page.fill("#f-body", body)
    await page.check("input[name=audience][value=my_coaches]")


async def test_her_portfolio_on_a_phone_with_her_coach(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    programme_key = await cast(server, database_url, world)
    errors: list[str] = []
    mine_url = f"{server.url}/portfolio/programmes/{world.programme_a}"

    her = await phone_page(chromium, server, "mother.a", errors)
    await ready(her, mine_url)
    assert "Coach A" in await her.inner_text("#readers"), "her browser granted the key to her verified coach"
    await write(her, "diary", "Only for me", "A hard day <b>not bold</b>", "only_me")
    assert "<b>not bold</b>" in await her.inner_text("#view-body"), "text is inserted as text, never as HTML"
    await her.click("#view-back")
    await write(her, "diary", "Shared reflection", "What I learned at the workshop", "my_coaches")

    # A draft survives a reload, encrypted on the phone.
    await her.click("#view-back")
    await her.select_option("#f-new-kind", "life_story")
    await her.click("#new-form button[type=submit]")
    await her.fill("#f-title", "Where I grew up")
    await her.fill("#f-body", "In Emmen, with my grandmother")
    await her.wait_for_function("() => document.getElementById('draft-status').textContent.length > 0")
    drafts = await her.evaluate(
        """() => new Promise((resolve) => {
            const open = indexedDB.open('eportfolio-drafts');
            open.onsuccess = () => {
                const all = open.result.transaction('drafts').objectStore('drafts').getAll();
                all.onsuccess = () => resolve(JSON.stringify(all.result.map((d) => Array.from(d.envelope))));
            };
        })"""
    )
    assert "grandmother" not in drafts
    assert "Emmen" not in drafts
    await ready(her, mine_url)
    await her.select_option("#f-new-kind", "life_story")
    await her.click("#new-form button[type=submit]")
    await her.wait_for_function("() => document.getElementById('f-body').value.includes('grandmother')")
    await her.check("input[name=audience][value=my_coaches]")
    await her.click("#editor button[type=submit]")
    await her.wait_for_selector("#item-view:not([hidden])")

    # A goal plan, then a sociogram drawn as she types.
    await her.click("#view-back")
    await her.select_option("#f-new-kind", "goal_plan")
    await her.click("#new-form button[type=submit]")
    await her.fill("#f-title", "My plan")
    await her.click("#add-goal")
    await her.select_option("#goal-list li.goal select", "work")
    await her.fill("#goal-list li.goal input[type=text]", "A job in care")
    await fits(her, "goal-editor")
    await her.click("#editor button[type=submit]")
    await her.wait_for_selector("#item-view:not([hidden]) .plan-view")
    await her.click("#view-back")
    await her.select_option("#f-new-kind", "sociogram")
    await her.click("#new-form button[type=submit]")
    await her.fill("#f-title", "People around me")
    await her.click("#add-person")
    await her.fill("#people-list input", "Grandmother Ans")
    assert await her.locator("#sociogram-diagram svg text", has_text="Grandmother Ans").count() == 1
    await fits(her, "sociogram")
    await her.click("#editor button[type=submit]")
    await her.wait_for_selector("#item-view:not([hidden]) svg")

    # A photo, re-encoded and encrypted on the phone, with a progress bar.
    await her.click("#view-back")
    await her.select_option("#f-new-kind", "photo")
    await her.click("#new-form button[type=submit]")
    await her.set_input_files("#f-file", files=[{"name": "me.png", "mimeType": "image/png", "buffer": png()}])
    await her.click("#editor button[type=submit]")
    await her.wait_for_selector("#list-view:not([hidden]) li[data-item] >> text=me.jpg", timeout=30_000)
    assert await her.get_attribute("#upload-progress", "value") == "100"
    await fits(her, "list")

    # Search runs on the phone.
    await her.fill("#f-search", "workshop")
    assert await her.locator("#items li[data-item]").count() == 1
    await her.fill("#f-search", "")

    coach = await phone_page(chromium, server, "coach.a", errors)
    await coach.goto(f"{server.url}/portfolio")
    await coach.click("a[href^='/portfolio/']:not([href*=programmes])")
    await coach.wait_for_selector("#portfolio-app[data-ready=true]", timeout=30_000)
    titles = await coach.locator("#items li[data-item] .item-open").all_inner_texts()
    assert "Only for me" not in titles
    assert {"Shared reflection", "Where I grew up", "My plan", "People around me", "me.jpg"} <= set(titles)
    await coach.click("#items .item-open >> text=Shared reflection")
    await coach.fill("#f-comment", "Well done, see you Thursday")
    await coach.click("#comment-form button[type=submit]")
    await coach.wait_for_selector("#comments li >> text=Well done, see you Thursday")

    # The coach suggests a step; she accepts it.
    await coach.click("#view-back")
    await coach.click("#items .item-open >> text=My plan")
    await coach.click("#view-edit")
    await coach.click("#goal-list li.goal button[data-add-step]")
    await coach.fill("#goal-list li.step input[type=text]", "Ask about the care course")
    await coach.click("#editor button[type=submit]")
    await coach.wait_for_selector("#item-view:not([hidden]) .plan-view >> text=Ask about the care course")

    # Her home says her coach replied (only that); the line opens the item with the reply, and
    # once she has seen it the line is gone.
    await her.goto(f"{server.url}/")
    await her.click("[data-today-item=portfolio-reply]")
    await her.wait_for_selector("#portfolio-app[data-ready=true]", timeout=30_000)
    await her.wait_for_selector("#item-view:not([hidden]) #comments li >> text=Well done, see you Thursday")
    await her.goto(f"{server.url}/")
    await her.wait_for_selector("[data-today='participant']")
    assert await her.locator("[data-today-item=portfolio-reply]").count() == 0
    await ready(her, mine_url)
    await her.click("#items .item-open >> text=My plan")
    assert await her.get_attribute(".plan-view .progress-line", "data-total") == "0", "a suggestion is not hers yet"
    await her.click(".plan-view button[data-accept]")
    await her.wait_for_selector(".plan-view .progress-line[data-total='1']")
    assert await her.locator(".plan-view button[data-accept]").count() == 0

    # Both edit the plan at once: the one who saves second gets the merge screen; nothing is lost.
    await coach.goto(f"{coach.url.split('#')[0]}")
    await coach.wait_for_selector("#portfolio-app[data-ready=true]", timeout=30_000)
    await coach.click("#items .item-open >> text=My plan")
    await coach.click("#view-edit")
    await her.click("#view-edit")
    await coach.click("#goal-list li.goal button[data-add-step]")
    await coach.fill("#goal-list li.step:last-child input[type=text]", "Bring your diploma")
    await coach.click("#editor button[type=submit]")
    await coach.wait_for_selector("#item-view:not([hidden]) .plan-view >> text=Bring your diploma")
    await her.click("#goal-list li.goal button[data-add-step]")
    await her.fill("#goal-list li.step:last-child input[type=text]", "Call the school on Monday")
    await her.click("#editor button[type=submit]")
    await her.wait_for_selector("#merge:not([hidden])")
    await fits(her, "merge")
    await her.click("#merge-keep")
    await her.wait_for_selector("#item-view:not([hidden]) .plan-view >> text=Call the school on Monday")
    assert await her.locator(".plan-view >> text=Bring your diploma").count() == 1
    assert await her.locator(".plan-view >> text=Ask about the care course").count() == 1
    await fits(her, "plan")
    # The one refusal she is meant to meet: the 409 that opens the merge screen.
    assert [e for e in errors if "status of 409" not in e] == [], errors

    # On a fresh browser profile she logs in and reads everything, her own items too.
    fresh = await phone_page(chromium, server, "mother.a", errors)
    await ready(fresh, mine_url)
    titles = await fresh.locator("#items li[data-item] .item-open").all_inner_texts()
    everything = {"Only for me", "Shared reflection", "Where I grew up", "My plan", "People around me", "me.jpg"}
    assert everything <= set(titles)

    # Staff end the coach's assignment: the server refuses her at once, and the next time she
    # opens her portfolio, her browser starts a new key epoch for the readers now. On her other
    # phone she is writing meanwhile; that save meets the new epoch, takes its key and succeeds.
    await her.click("#item-view #view-back")
    await _write_without_saving(her, "diary", "Written during the change", "Still here")
    await in_database(
        database_url,
        update(CoachAssignment).where(CoachAssignment.id == world.assignment_a).values(ended_at=utcnow()),
    )
    refused = await coach.reload()
    assert refused.status == 403
    assert await coach.locator("#items li[data-item]").count() == 0
    await ready(fresh, mine_url)
    portfolios_url = f"/api/v1/portfolio/programmes/{world.programme_a}/portfolios"
    state = await fresh.evaluate("async (url) => (await (await fetch(url)).json())[0]", portfolios_url)
    assert (state["epoch"], state["rotation_due"]) == (2, False)
    assert [m["display_name"] for m in state["members"]] == ["Mother A"]
    await her.click("#editor button[type=submit]")
    await her.wait_for_selector("#item-view:not([hidden]) >> text=Still here")
    written = await her.evaluate(
        "async (url) => (await (await fetch(url)).json()).find((i) => i.kind === 'diary' && i.keys[0].epoch === 2)",
        f"/api/v1/portfolio/{state['id']}/items",
    )
    assert written is not None, "the item was sealed under the new epoch's key"
    # A second coach is assigned now: her browser checks the signed assignment and grants her the
    # current key; the new coach reads the history through the chain of epochs, in her browser.
    await _second_coach(server, database_url, world, programme_key)
    await ready(fresh, mine_url)
    state = await fresh.evaluate("async (url) => (await (await fetch(url)).json())[0]", portfolios_url)
    assert {m["display_name"]: m["has_current_grant"] for m in state["members"]} == {"Mother A": True, "Coach B": True}
    second = await phone_page(chromium, server, "coach.b", errors)
    await second.goto(f"{server.url}/portfolio")
    await second.click("a[href^='/portfolio/']:not([href*=programmes])")
    await second.wait_for_selector("#portfolio-app[data-ready=true]", timeout=30_000)
    await second.click("#items .item-open >> text=Shared reflection")
    assert "What I learned at the workshop" in await second.inner_text("#view-body")
    assert await second.locator("#items .item-open >> text=Only for me").count() == 0
    # The removed coach's browser only met refusals (403), the expected end of her access.
    assert [e for e in errors if "status of 409" not in e and "status of 403" not in e] == [], errors

    # What the server holds for the photo is ciphertext: the hidden location never leaves the phone.
    blobs = stored_blobs(server.log_path.parent / "blobs")
    assert blobs, "the photo's stream is stored"
    assert b"Kerkstraat" not in blobs
    assert b"me.jpg" not in blobs
