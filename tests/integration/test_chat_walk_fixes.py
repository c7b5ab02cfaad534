"""What a newcomer's walk of the demo found in the chat: a reader on duty is served her coaches'
signed assignments (so his browser can check them instead of raising a false alarm), the
conversation itself says when nobody is reachable, the out-of-hours reply, and the wording staff
and the supervisor see about someone waiting."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from eportfolio.kit.clock import utcnow
from tests.support.chat_http import post_roster
from tests.support.client import Browser
from tests.support.conversations import open_coaching
from tests.support.world import World
from tests.support.world_keys import world_keys


def local_now():  # type: ignore[no-untyped-def]
    return utcnow().astimezone(ZoneInfo("Europe/Amsterdam")).replace(tzinfo=None, microsecond=0)


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
