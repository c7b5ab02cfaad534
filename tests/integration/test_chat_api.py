"""The chat over HTTP (for clients that cannot hold a socket), key epochs and grants, the duty roster,
escalation, the shared inbox and the out-of-hours reply."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from eportfolio.duty import service
from eportfolio.kit.clock import utcnow
from eportfolio.kit.uow import unit_of_work
from tests.support.chat import body, client_id
from tests.support.chat_http import post_roster, send, set_settings
from tests.support.client import Browser
from tests.support.conversations import open_coaching
from tests.support.world import World
from tests.support.world_keys import world_keys


async def test_send_list_after_seq_and_mark_read_over_http(browser: Browser, world: World) -> None:
    conversation = await open_coaching(browser, world)
    cid = client_id()
    first = await browser.api(
        "POST",
        f"/api/v1/chat/conversations/{conversation}/messages",
        json={"client_id": cid, "body": body(), "epoch": 1},
    )
    assert first.status_code == 201
    again = await browser.api(
        "POST",
        f"/api/v1/chat/conversations/{conversation}/messages",
        json={"client_id": cid, "body": body(), "epoch": 1},
    )
    assert again.status_code == 200, "a resend is acknowledged with the stored message"
    assert again.json()["message"]["seq"] == first.json()["message"]["seq"] == 1
    await send(browser, conversation)
    await send(browser, conversation)
    await browser.log_in_as(world.coach_a)
    page = (await browser.api("GET", f"/api/v1/chat/conversations/{conversation}/messages?after=1")).json()
    assert [m["seq"] for m in page["messages"]] == [2, 3]
    assert page["more"] is False
    marked = await browser.api("PUT", f"/api/v1/chat/conversations/{conversation}/read", json={"seq": 3})
    assert marked.json()["read_seq"] == 3
    back = await browser.api("PUT", f"/api/v1/chat/conversations/{conversation}/read", json={"seq": 1})
    assert back.json()["read_seq"] == 3, "a read marker never moves back"
    listed = (await browser.api("GET", "/api/v1/chat/conversations")).json()
    assert [(c["id"], c["last_seq"], c["read_seq"]) for c in listed] == [(conversation, 3, 3)]


async def test_people_outside_the_conversation_get_a_clear_refusal(browser: Browser, world: World) -> None:
    conversation = await open_coaching(browser, world)
    await browser.log_in_as(world.participant_a2)
    refused = await browser.api("GET", f"/api/v1/chat/conversations/{conversation}/messages")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    assert "gesprek" in refused.json()["error"]["message"], "told in her language (Dutch by default)"
    await browser.log_in_as(world.staff_b)
    assert (await browser.api("GET", f"/api/v1/chat/conversations/{conversation}")).status_code == 404
    await browser.log_in_as(world.participant_a2)
    opened = await browser.api(
        "POST",
        "/api/v1/chat/conversations",
        json={"programme_id": str(world.programme_a), "kind": "coaching", "participant_id": str(world.participant_a)},
    )
    assert opened.status_code == 403


async def test_bad_message_input_gets_a_4xx_that_says_what_is_wrong(browser: Browser, world: World) -> None:
    conversation = await open_coaching(browser, world)
    url = f"/api/v1/chat/conversations/{conversation}/messages"
    plain = await browser.api("POST", url, json={"client_id": client_id(), "body": "aGVsbG8", "epoch": 1})
    assert plain.status_code == 422, "plaintext is refused: only encrypted envelopes are stored"
    stale = await browser.api("POST", url, json={"client_id": client_id(), "body": body(), "epoch": 2})
    assert (stale.status_code, stale.json()["error"]["code"]) == (409, "stale_epoch")
    huge = await browser.api("POST", url, json={"client_id": client_id(), "body": body(30_000), "epoch": 1})
    assert huge.status_code == 422
    page = (await browser.api("GET", url)).json()
    assert page["messages"] == []


async def test_a_new_epoch_is_compare_and_set_and_covers_her_and_its_maker(browser: Browser, world: World) -> None:
    conversation = await open_coaching(browser, world)
    keys = await world_keys(browser.app, world)
    her, coach = world.participant_a, world.coach_a
    replayed = await keys.post_epoch(browser, conversation, 1, her, [her, coach])
    assert replayed.status_code == 409, "epoch 1 exists: a second browser must retry on top of it"
    skipped = await keys.post_epoch(browser, conversation, 3, her, [her, coach])
    assert skipped.status_code == 409
    without_her = await keys.post_epoch(browser, conversation, 2, her, [coach])
    assert without_her.status_code == 422, "the participant always gets the new key"
    assert without_her.json()["error"]["field"] == "grants"
    outsider = await keys.post_epoch(browser, conversation, 2, her, [her, coach, world.participant_a2])
    assert outsider.status_code == 422
    rotated = await keys.post_epoch(browser, conversation, 2, her, [her, coach])
    assert rotated.status_code == 201
    await browser.log_in_as(world.coach_a)
    grants = (await browser.api("GET", f"/api/v1/chat/conversations/{conversation}/grants/mine")).json()
    assert [g["epoch"] for g in grants] == [1, 2]
    read = (await browser.api("GET", f"/api/v1/chat/conversations/{conversation}")).json()
    assert (read["epoch"], read["rotation_due"]) == (2, False)
    assert {m["role"] for m in read["members"]} == {"participant", "coach"}
    assert all(m["can_read"] for m in read["members"])


async def test_she_can_rotate_without_a_coach_her_browser_could_not_verify(browser: Browser, world: World) -> None:
    conversation = await open_coaching(browser, world)
    keys = await world_keys(browser.app, world)
    rotated = await keys.post_epoch(browser, conversation, 2, world.participant_a, [world.participant_a])
    assert rotated.status_code == 201, rotated.text
    read = (await browser.api("GET", f"/api/v1/chat/conversations/{conversation}")).json()
    readers = {m["role"]: m["can_read"] for m in read["members"]}
    assert readers == {"participant": True, "coach": False}, "the page shows the coach cannot read yet"
    sent = await browser.api(
        "POST",
        f"/api/v1/chat/conversations/{conversation}/messages",
        json={"client_id": client_id(), "body": body(), "epoch": 2},
    )
    assert sent.status_code == 201, "she can write under the new key at once"
    later = await browser.api(
        "POST",
        f"/api/v1/chat/conversations/{conversation}/grants",
        json={"epoch": 2, "grants": [keys.grant(conversation, 2, world.participant_a, world.coach_a)]},
    )
    assert later.status_code in (200, 201), later.text
    read = (await browser.api("GET", f"/api/v1/chat/conversations/{conversation}")).json()
    assert all(m["can_read"] for m in read["members"]), "once verified, her browser grants him the key"


async def test_a_coach_rotates_for_her_and_himself(browser: Browser, world: World) -> None:
    conversation = await open_coaching(browser, world)
    keys = await world_keys(browser.app, world)
    await browser.log_in_as(world.coach_a)
    her, coach = world.participant_a, world.coach_a
    refused = await keys.post_epoch(browser, conversation, 2, coach, [coach])
    assert refused.status_code == 422, "a coach cannot leave her out of her own conversation"
    assert (await keys.post_epoch(browser, conversation, 2, coach, [coach, her])).status_code == 201
    refused = await keys.post_epoch(browser, conversation, 3, coach, [her])
    assert refused.status_code == 422, "whoever makes the key keeps it"


async def test_the_roster_is_kept_in_the_programme_time_zone(browser: Browser, world: World) -> None:
    local_now = utcnow().astimezone(ZoneInfo("Europe/Amsterdam")).replace(tzinfo=None, microsecond=0)
    await post_roster(browser, world, local_now - timedelta(hours=1))
    current = (await browser.api("GET", f"/api/v1/chat/programmes/{world.programme_a}/rosters/current")).json()
    assert datetime.fromisoformat(current["shifts"][0]["starts_at"]).replace(tzinfo=None) == local_now - timedelta(
        hours=1
    )
    keys = await world_keys(browser.app, world)
    url = f"/api/v1/chat/programmes/{world.programme_a}/rosters"
    day = (datetime(2026, 1, 1, 8), datetime(2026, 1, 1, 16))  # noqa: DTZ001 - local times of the programme
    again = await browser.api("POST", url, json=keys.roster([(world.coach_a, "coach", *day)], serial=1))
    assert again.status_code == 409, "an older or equal serial never replaces the roster"
    wrong_duty = await browser.api("POST", url, json=keys.roster([(world.participant_a, "coach", *day)], serial=2))
    assert wrong_duty.status_code == 422


async def test_out_of_hours_she_gets_the_auto_reply_with_crisis_numbers(
    app: FastAPI, browser: Browser, world: World
) -> None:
    await set_settings(app, world, out_of_hours_reply="We answer tomorrow from 9:00.", crisis_numbers="113")
    conversation = await open_coaching(browser, world)
    await send(browser, conversation)
    await send(browser, conversation)
    page = (await browser.api("GET", f"/api/v1/chat/conversations/{conversation}/messages")).json()
    kinds = [(m["seq"], m["kind"], m["notice"]) for m in page["messages"]]
    assert kinds == [(1, "person", None), (2, "system", "out_of_hours"), (3, "person", None)]
    assert page["messages"][1]["params"] == {"text": "We answer tomorrow from 9:00.", "crisis_numbers": "113"}
    assert page["messages"][1]["body"] is None


async def test_no_auto_reply_while_a_coach_is_on_duty(app: FastAPI, browser: Browser, world: World) -> None:
    await set_settings(app, world, out_of_hours_reply="We answer tomorrow.")
    local_now = utcnow().astimezone(ZoneInfo("Europe/Amsterdam")).replace(tzinfo=None)
    await post_roster(browser, world, local_now - timedelta(hours=1))
    conversation = await open_coaching(browser, world)
    await send(browser, conversation)
    page = (await browser.api("GET", f"/api/v1/chat/conversations/{conversation}/messages")).json()
    assert [m["kind"] for m in page["messages"]] == ["person"]


async def test_unanswered_messages_escalate_and_a_coach_answer_ends_the_wait(
    app: FastAPI, browser: Browser, world: World
) -> None:
    local_now = utcnow().astimezone(ZoneInfo("Europe/Amsterdam")).replace(tzinfo=None)
    await post_roster(browser, world, local_now - timedelta(hours=1), hours=12)
    conversation = await open_coaching(browser, world)
    await send(browser, conversation)
    await browser.log_in_as(world.supervisor_a)
    inbox = (await browser.api("GET", f"/api/v1/chat/programmes/{world.programme_a}/inbox")).json()
    assert [(e["conversation_id"], e["participant_name"], e["escalation_level"], e["can_read"]) for e in inbox] == [
        (conversation, "Mother A", 0, False)
    ]
    assert "body" not in inbox[0]

    async def sweep(minutes: int) -> int:
        async with unit_of_work(app.state.sessionmaker, app.state.event_bus) as uow:
            return await service.escalate_due(uow, utcnow() + timedelta(minutes=minutes))

    assert await sweep(10) == 0, "not before the programme's first limit (30 minutes)"
    assert await sweep(31) == 1
    assert await sweep(32) == 0, "each level is raised once"
    assert await sweep(121) == 1
    await browser.log_in_as(world.participant_a)
    page = (await browser.api("GET", f"/api/v1/chat/conversations/{conversation}/messages")).json()
    notices = [(m["notice"], m["params"].get("level")) for m in page["messages"] if m["kind"] == "system"]
    assert notices == [("escalated", 1), ("escalated", 2)]
    await browser.log_in_as(world.coach_a)
    await send(browser, conversation)
    await browser.log_in_as(world.supervisor_a)
    assert (await browser.api("GET", f"/api/v1/chat/programmes/{world.programme_a}/inbox")).json() == []


async def test_a_grant_to_the_supervisor_on_duty_lets_her_in_and_announces_her(browser: Browser, world: World) -> None:
    local_now = utcnow().astimezone(ZoneInfo("Europe/Amsterdam")).replace(tzinfo=None, microsecond=0)
    await post_roster(browser, world, local_now - timedelta(hours=1))
    conversation = await open_coaching(browser, world)
    keys = await world_keys(browser.app, world)
    granted = await browser.api(
        "POST",
        f"/api/v1/chat/conversations/{conversation}/grants",
        json={"epoch": 1, "grants": [keys.grant(conversation, 1, world.participant_a, world.supervisor_a)]},
    )
    assert granted.status_code == 201, granted.text
    await browser.log_in_as(world.supervisor_a)
    page = (await browser.api("GET", f"/api/v1/chat/conversations/{conversation}/messages")).json()
    assert [(m["notice"], m["params"]["display_name"]) for m in page["messages"]] == [("coach_joined", "Supervisor A")]
    await send(browser, conversation)
    read = (await browser.api("GET", f"/api/v1/chat/conversations/{conversation}")).json()
    assert {m["display_name"]: m["role"] for m in read["members"]}["Supervisor A"] == "on_duty"
