"""The account pages: invitations work without JavaScript and print a code with the organisation
key's fingerprint; the key pages load their modules; the account page shows her fingerprint."""

from __future__ import annotations

import re

from fastapi import FastAPI

from tests.support.client import Browser
from tests.support.keyring_client import KeyringClient, invitation_for, join
from tests.support.world import World

PASSWORD = "a long walk on the beach"


def english(browser: Browser) -> Browser:
    """Read the pages in English, so the sentences below are the msgids themselves."""
    browser.http.cookies.set("ep_lang", "en")
    return browser


async def test_staff_print_an_invitation_that_opens_the_sign_up_page(
    app: FastAPI, browser: Browser, world: World
) -> None:
    admin = await join(app, world.admin, "org_admin", "admin", PASSWORD)
    assert admin.organisation_key is not None
    await english(browser).log_in_as(world.staff_a)
    listing = await browser.get(f"/manage/programmes/{world.programme_a}/invitations")
    assert listing.status_code == 200
    assert "Mother A2" in listing.text

    printed = await browser.post_form(
        f"/manage/programmes/{world.programme_a}/invitations",
        {"person_id": str(world.participant_a2), "role": "participant"},
    )
    assert printed.status_code == 200
    assert printed.headers["cache-control"] == "no-store"
    code = re.search(r'id="invitation-code">([0-9A-Z-]+)<', printed.text)
    assert code is not None
    assert "<svg" in printed.text, "a QR code"
    fingerprint = re.search(r'id="organisation-fingerprint">([0-9A-Z ]+)<', printed.text)
    assert fingerprint is not None

    async with Browser(app) as her_phone:
        english(her_phone)
        page = await her_phone.get(f"/join?code={code.group(1)}")
        assert page.status_code == 200
        assert "Mother A2" in page.text
        assert f'data-expected-fingerprint="{fingerprint.group(1)}"' in page.text
        assert "js/accounts/signup.js" in page.text
        # At enrolment she is told what is recorded about her trajectory and what the funder sees.
        assert 'id="join-recorded"' in page.text
        assert "The programme gives the funder only totals. Nobody can recognise you in them." in page.text
        again = await her_phone.get("/join?code=ABCD-EFGH-JKMN-PQRS")
        assert again.status_code == 404
        assert "We do not know this invitation code" in again.text


async def test_staff_cannot_invite_to_a_role_she_does_not_hold(app: FastAPI, browser: Browser, world: World) -> None:
    await english(browser).log_in_as(world.staff_a)
    answer = await browser.post_form(
        f"/manage/programmes/{world.programme_a}/invitations",
        {"person_id": str(world.participant_a2), "role": "coach"},
    )
    assert answer.status_code == 422
    assert "give her the role first" in answer.text


async def test_the_key_pages_load_and_the_account_page_shows_her_fingerprint(
    app: FastAPI, browser: Browser, world: World
) -> None:
    english(browser)
    for path, module in (("/login", "login.js"), ("/recover", "recover.js"), ("/join", None)):
        page = await browser.get(path)
        assert page.status_code == 200, path
        if module:
            assert f"js/accounts/{module}" in page.text
    member = await join(app, world.participant_a, "participant", "mother.a", PASSWORD, world.programme_a)
    await KeyringClient(browser).login("mother.a", PASSWORD)
    account = await browser.get("/account")
    assert account.status_code == 200
    assert member.identity.person.fingerprint_text in account.text
    assert "<svg" in account.text
    home = await browser.get("/")
    assert "Your coaches" in home.text
    assert "not confirmed by the programme" in home.text, "the world's assignment is not signed"
    changed = await browser.post_form("/account/language", {"language": "en"})
    assert changed.status_code == 303
    logged_out = await browser.post_form("/logout")
    assert logged_out.headers["location"] == "/logged-out"
    assert (await browser.get("/account")).status_code == 401


async def test_staff_withdraw_an_unused_invitation_and_its_code_stops_working(
    app: FastAPI, browser: Browser, world: World
) -> None:
    await english(browser).log_in_as(world.staff_a)
    invitations = f"/manage/programmes/{world.programme_a}/invitations"
    printed = await browser.post_form(invitations, {"person_id": str(world.participant_a2), "role": "participant"})
    code = re.search(r'id="invitation-code">([0-9A-Z-]+)<', printed.text)
    assert code is not None
    listing = await browser.get(invitations)
    invitation_id = re.search(r'data-invitation-id="([0-9a-f-]+)"', listing.text)
    assert invitation_id is not None
    assert "Mother A2" in listing.text

    withdrawn = await browser.post_form(f"{invitations}/{invitation_id.group(1)}/withdraw")
    assert withdrawn.status_code == 303
    assert "data-invitation-id" not in (await browser.get(invitations)).text
    async with Browser(app) as her_phone:
        refused = await KeyringClient(her_phone).preview(code.group(1))
        assert refused.status_code == 404, "the code no longer opens the sign-up"
    again = await browser.post_form(f"{invitations}/{invitation_id.group(1)}/withdraw")
    assert again.status_code == 404

    code = await invitation_for(app, world.participant_a2, "participant", world.programme_a)
    async with Browser(app) as her_phone:
        await KeyringClient(her_phone).sign_up(code, "mother.a2", PASSWORD)
    used = re.search(r'data-invitation-id="([0-9a-f-]+)"', (await browser.get(invitations)).text)
    assert used is not None
    kept = await browser.api("DELETE", f"/api/v1/programmes/{world.programme_a}/invitations/{used.group(1)}")
    assert kept.status_code == 409, "a used invitation is history, not something to withdraw"
    assert "cannot be withdrawn" in kept.json()["error"]["message"]
