"""What a newcomer's walk of the demo found in the chat: a reader on duty is served her coaches'
signed assignments (so his browser can check them instead of raising a false alarm), the
conversation itself says when nobody is reachable, the out-of-hours reply, and the wording staff
and the supervisor see about someone waiting."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from sqlalchemy import update

from eportfolio import demo
from eportfolio.chat.tables import Conversation, Message
from eportfolio.kit.clock import utcnow
from eportfolio.kit.uow import unit_of_work
from tests.support.chat_http import post_roster, send, set_settings
from tests.support.client import Browser
from tests.support.conversations import open_coaching
from tests.support.world import World
from tests.support.world_keys import world_keys


def local_now() -> datetime:
    return utcnow().astimezone(ZoneInfo("Europe/Amsterdam")).replace(tzinfo=None, microsecond=0)


async def later_shift(browser: Browser, world: World) -> None:
    """A roster in force from an hour ago with nobody on duty now: Coach A from two hours on."""
    keys = await world_keys(browser.app, world)
    await browser.log_in_as(world.staff_a)
    now = local_now()
    shifts = [(world.coach_a, "coach", now + timedelta(hours=2), now + timedelta(hours=10))]
    response = await browser.api(
        "POST",
        f"/api/v1/chat/programmes/{world.programme_a}/rosters",
        json=keys.roster(shifts, serial=1, valid_from=now - timedelta(hours=1), valid_until=now + timedelta(hours=10)),
    )
    assert response.status_code == 201, response.text


async def test_a_reader_on_duty_is_served_her_coaches_assignments_and_an_outsider_is_not(
    browser: Browser, world: World
) -> None:
    await post_roster(browser, world, local_now() - timedelta(hours=1))
    conversation = await open_coaching(browser, world)
    keys = await world_keys(browser.app, world)
    granted = await browser.api(
        "POST",
        f"/api/v1/chat/conversations/{conversation}/grants",
        json={"epoch": 1, "grants": [keys.grant(conversation, 1, world.participant_a, world.supervisor_a)]},
    )
    assert granted.status_code == 201, granted.text
    url = f"/api/v1/chat/conversations/{conversation}/coach-assignments"
    await browser.log_in_as(world.supervisor_a)
    served = await browser.api("GET", url)
    assert served.status_code == 200, served.text
    assert [(row["participant_id"], row["coach_id"]) for row in served.json()] == [
        (str(world.participant_a), str(world.coach_a))
    ]
    await browser.log_in_as(world.participant_a2)
    assert (await browser.api("GET", url)).status_code in (403, 404), "not a member: nothing"


async def test_the_notification_panel_never_says_she_chose_them_and_offers_off_only_when_this_phone_gets_them(
    browser: Browser, world: World
) -> None:
    app = browser.app
    configured = app.state.settings
    # Push keys on the server (only whether they are there counts for the page).
    app.state.settings = configured.model_copy(update={"vapid_private_key": "private", "vapid_public_key": "AQAB"})
    try:
        await browser.log_in_as(world.participant_a)
        page = (await browser.get("/chat")).text
    finally:
        app.state.settings = configured
    assert "gekozen voor meldingen" not in page, "she never chose: her switch is on by default"
    switch = page[page.index('id="chat-push-switch"') :]
    assert switch[: switch.index(">")].rstrip().endswith("hidden"), "turning off waits until this phone gets them"
    assert 'data-device="true"' in switch[: switch.index(">")]
    assert "Meldingen op Toestaan" in page, "after a refusal she is told where to allow them"


async def test_out_of_hours_she_gets_the_reply_again_while_an_earlier_message_waits_but_not_for_every_message(
    app: FastAPI, browser: Browser, world: World
) -> None:
    await set_settings(app, world, out_of_hours_reply="We antwoorden morgen.")
    now = local_now()
    await post_roster(browser, world, now + timedelta(hours=2))  # nobody on duty now
    conversation = await open_coaching(browser, world)
    await send(browser, conversation)
    await send(browser, conversation)
    assert await notices(browser, world, conversation) == ["out_of_hours"], "not again for the next message"
    # Two hours later she writes again, her first message still waiting: told again.
    async with unit_of_work(app.state.sessionmaker) as uow:
        await uow.session.execute(
            update(Message)
            .where(Message.conversation_id == uuid.UUID(conversation))
            .values(created_at=utcnow() - timedelta(hours=2))
        )
        row = await uow.session.get(Conversation, uuid.UUID(conversation))
        assert row is not None
        assert row.waiting_since is not None, "her first message is still waiting"
    await browser.log_in_as(world.participant_a)
    await send(browser, conversation)
    assert await notices(browser, world, conversation) == ["out_of_hours", "out_of_hours"]


async def notices(browser: Browser, world: World, conversation: str) -> list[str]:
    await browser.log_in_as(world.participant_a)
    page = (await browser.api("GET", f"/api/v1/chat/conversations/{conversation}/messages")).json()
    return [m["notice"] for m in page["messages"] if m["kind"] == "system"]


async def test_her_conversation_says_nobody_is_reachable_now_and_who_is_next(browser: Browser, world: World) -> None:
    await later_shift(browser, world)
    conversation = await open_coaching(browser, world)
    await browser.log_in_as(world.participant_a)
    page = (await browser.get(f"/chat/{conversation}")).text
    assert 'id="chat-duty"' in page
    assert "Nu is niemand bereikbaar. Hierna: Coach A" in page
    await browser.log_in_as(world.coach_a)
    assert 'id="chat-duty"' not in (await browser.get(f"/chat/{conversation}")).text, "only on her screen"


async def test_her_conversation_says_nothing_about_reachability_while_someone_is_on_duty(
    browser: Browser, world: World
) -> None:
    await post_roster(browser, world, local_now() - timedelta(hours=1))
    conversation = await open_coaching(browser, world)
    await browser.log_in_as(world.participant_a)
    assert 'id="chat-duty"' not in (await browser.get(f"/chat/{conversation}")).text


def test_the_demo_out_of_hours_replies_are_all_dutch() -> None:
    for programme in demo.PROGRAMMES:
        reply = programme.settings.out_of_hours_reply
        assert reply.startswith("Bedankt voor je bericht."), programme.name
        for foreign in ("Thanks", "message", "Danki", "mensahe"):
            assert foreign not in reply, (programme.name, foreign)


async def _she_waits(browser: Browser, world: World) -> str:
    conversation = await open_coaching(browser, world)
    await send(browser, conversation)
    return conversation


async def test_staff_see_who_waits_without_being_told_they_cannot_read_it_yet(browser: Browser, world: World) -> None:
    conversation = await _she_waits(browser, world)
    await browser.log_in_as(world.staff_a)
    page = (await browser.get("/chat")).text
    assert f'id="waiting-{conversation}"' in page
    assert "nog niet lezen" not in page, "staff never read the chat: no 'not yet'"
    assert "Medewerkers lezen de chat niet." in page


async def test_the_supervisor_home_shows_how_many_wait_and_links_to_the_shared_inbox(
    browser: Browser, world: World
) -> None:
    await browser.log_in_as(world.supervisor_a)
    assert "Niemand wacht op een antwoord" in (await browser.get("/")).text
    await _she_waits(browser, world)
    await browser.log_in_as(world.supervisor_a)
    home = (await browser.get("/")).text
    link = f'href="/chat#inbox-{world.programme_a}"'
    assert link in home
    assert "1 deelnemer wacht op antwoord" in home[home.index(link) :][:300]
    assert f'id="inbox-{world.programme_a}"' in (await browser.get("/chat")).text, "the link lands on the inbox"


async def test_the_coach_on_duty_sees_under_today_who_waits_for_him(browser: Browser, world: World) -> None:
    """Mother A2 has no coach of her own; she writes while Coach A is on duty."""
    await post_roster(browser, world, local_now() - timedelta(hours=1))
    keys = await world_keys(browser.app, world)
    await browser.log_in_as(world.participant_a2)
    opened = await browser.api(
        "POST",
        "/api/v1/chat/conversations",
        json={"programme_id": str(world.programme_a), "kind": "coaching", "participant_id": str(world.participant_a2)},
    )
    assert opened.status_code == 200, opened.text
    conversation = str(opened.json()["id"])
    epoch = await keys.post_epoch(browser, conversation, 1, world.participant_a2, [world.participant_a2])
    assert epoch.status_code == 201, epoch.text
    await send(browser, conversation)
    await browser.log_in_as(world.coach_a)
    home = (await browser.get("/")).text
    assert "Mother A2 wacht op een antwoord. Jij hebt dienst." in home
    assert f'href="/chat#waiting-{conversation}"' in home, "not readable yet: to her place in the inbox"
    assert "Niemand wacht op jou" not in home
