"""Starting a group or supervision conversation from the chat list, with plain forms: the group's
trainer (a coach staff put in the group) and its participants see the group chat; others, and
programme staff who are not its trainer, do not; a coach sees the chat with the supervisors."""

from __future__ import annotations

from fastapi import FastAPI

from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.tables import GroupMember
from tests.support.client import Browser
from tests.support.world import World


async def test_the_group_chat_is_offered_to_its_trainer_and_members_only(
    app: FastAPI, browser: Browser, world: World
) -> None:
    async with unit_of_work(app.state.sessionmaker) as uow:
        for person, role in ((world.participant_a, "participant"), (world.coach_a, "trainer")):
            uow.session.add(
                GroupMember(
                    group_id=world.group_a,
                    person_id=person,
                    organisation_id=world.organisation_id,
                    programme_id=world.programme_a,
                    role=role,
                )
            )
    action = f'action="/chat/programmes/{world.programme_a}/groups/{world.group_a}"'
    for outsider in (world.participant_a2, world.staff_a):
        await browser.log_in_as(outsider)
        assert action not in (await browser.get("/chat")).text, "not in the group"
        refused = await browser.post_form(f"/chat/programmes/{world.programme_a}/groups/{world.group_a}")
        assert refused.status_code == 403

    await browser.log_in_as(world.coach_a)
    page = await browser.get("/chat")
    assert action in page.text
    assert "Groepschat van Group A" in page.text
    opened = await browser.post_form(f"/chat/programmes/{world.programme_a}/groups/{world.group_a}")
    assert opened.status_code == 303
    conversation = opened.headers["location"].rsplit("/", 1)[1]
    listed = (await browser.get("/chat")).text
    assert f'data-conversation="{conversation}"' in listed
    assert action not in listed, "once it exists it is in her list instead"
    title = '<span class="chat-list__title">Group A</span>'
    assert title in listed, "the group chat is called by the group's name, not by a list of people"
    page = (await browser.get(f"/chat/{conversation}")).text
    assert '<h1 class="chat__title">Group A</h1>' in page

    await browser.log_in_as(world.participant_a)
    again = await browser.post_form(f"/chat/programmes/{world.programme_a}/groups/{world.group_a}")
    assert again.headers["location"] == f"/chat/{conversation}", "the same conversation for every member"
    detail = await browser.get(f"/api/v1/chat/conversations/{conversation}")
    roles = {m["person_id"]: m["role"] for m in detail.json()["members"]}
    assert roles == {str(world.participant_a): "participant", str(world.coach_a): "trainer"}


async def test_a_coach_starts_the_chat_with_the_supervisors(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.coach_a)
    page = await browser.get("/chat")
    assert f'action="/chat/programmes/{world.programme_a}/supervision"' in page.text
    assert "Chat met de begeleiders" in page.text
    opened = await browser.post_form(f"/chat/programmes/{world.programme_a}/supervision")
    assert opened.status_code == 303
    conversation = opened.headers["location"].rsplit("/", 1)[1]

    await browser.log_in_as(world.supervisor_a)
    assert f'data-conversation="{conversation}"' in (await browser.get("/chat")).text
    await browser.log_in_as(world.participant_a)
    assert "/supervision" not in (await browser.get("/chat")).text
    refused = await browser.post_form(f"/chat/programmes/{world.programme_a}/supervision")
    assert refused.status_code == 422, "only a coach of the programme has a supervision conversation"


async def test_a_coach_whose_role_was_switched_off_no_longer_finds_his_supervision_chat_in_the_list(
    browser: Browser, world: World
) -> None:
    """The list names only conversations she may open: the same rule as opening one (a chat role
    in the programme now), not a row that answers 403 when clicked."""
    await browser.log_in_as(world.coach_a)
    opened = await browser.post_form(f"/chat/programmes/{world.programme_a}/supervision")
    conversation = opened.headers["location"].rsplit("/", 1)[1]
    assert f'data-conversation="{conversation}"' in (await browser.get("/chat")).text

    await browser.log_in_as(world.staff_a)
    person = (await browser.api("GET", f"/api/v1/programmes/{world.programme_a}/people/{world.coach_a}")).json()
    for membership in person["memberships"]:
        switched = await browser.api(
            "PATCH", f"/api/v1/programmes/{world.programme_a}/memberships/{membership['id']}", json={"active": False}
        )
        assert switched.status_code == 200

    await browser.log_in_as(world.coach_a)
    page = await browser.get("/chat")
    assert page.status_code == 200
    assert f'data-conversation="{conversation}"' not in page.text
    # Opening it is refused as for anyone without a role in the programme (its existence not said).
    assert (await browser.get(f"/chat/{conversation}")).status_code == 404


async def test_her_first_visit_to_the_chat_shows_how_to_start_before_the_notification_settings(
    browser: Browser, world: World
) -> None:
    await browser.log_in_as(world.participant_a)
    page = (await browser.get("/chat")).text
    start = page.index(f'action="/chat/programmes/{world.programme_a}/coaching"')
    assert start < page.index('id="chat-push"'), "the way to start a chat comes before the notification settings"
    assert "Nog geen gesprekken" not in page, "she is not told there is nothing when a start button is right below"
    device = page.index('id="chat-push-device"')
    assert device < page.index('action="/chat/push"'), "what this phone does comes before turning them off"
    assert "Hieronder staat of deze telefoon" not in page

    await browser.log_in_as(world.admin)
    assert "Nog geen gesprekken" in (await browser.get("/chat")).text, "someone with no way to start one is told"
