"""An organisation administrator invites the next one: staff cannot, the invitation works once,
and the new administrator pins the organisation key that exists instead of making a second one."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import func, select

from eportfolio import crypto
from eportfolio.invitations.tables import Invitation
from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.tables import OrganisationAdmin, Person
from eportfolio.trust.tables import OrganisationKey
from tests.support.client import Browser
from tests.support.keyring_client import KeyringClient, Member, join
from tests.support.world import World

PASSWORD = "correct horse battery"


def _code_on(page: str) -> str:
    found = re.search(r'id="invitation-code">([0-9A-Z-]+)<', page)
    assert found, "the printed invitation shows its code"
    return found.group(1)


def _organisation_fingerprint(world: World, admin: Member) -> str:
    assert admin.organisation_key is not None
    return crypto.fingerprint_text(crypto.fingerprint(
        crypto.FingerprintKind.ORGANISATION_KEY, str(world.organisation_id), admin.organisation_key.public
    ))


async def _is_admin(app: FastAPI, world: World, person_id: object) -> bool:
    async with unit_of_work(app.state.sessionmaker) as uow:
        row = await uow.session.get(OrganisationAdmin, (world.organisation_id, person_id))
    return row is not None


async def _organisation_keys(app: FastAPI) -> list[bytes]:
    async with unit_of_work(app.state.sessionmaker) as uow:
        return list((await uow.session.execute(select(OrganisationKey.ed25519_public))).scalars())


async def test_staff_cannot_invite_an_administrator(app: FastAPI, world: World) -> None:
    await join(app, world.admin, "org_admin", "admin", PASSWORD)
    await join(app, world.staff_a, "staff", "staff.a", PASSWORD, world.programme_a)
    async with Browser(app) as browser:
        await KeyringClient(browser).login("staff.a", PASSWORD)
        assert (await browser.get("/manage/organisation/admins")).status_code == 403
        form = await browser.post_form("/manage/organisation/admins", {"person_id": str(world.staff_b)})
        assert form.status_code == 403
        api = await browser.api("POST", "/api/v1/organisation/admin-invitations", {"person_id": str(world.staff_b)})
        assert api.status_code == 403
        assert (await browser.api("GET", "/api/v1/organisation/admins")).status_code == 403
    async with unit_of_work(app.state.sessionmaker) as uow:
        invited = await uow.session.execute(
            select(func.count()).select_from(Invitation).where(Invitation.person_id == world.staff_b)
        )
    assert invited.scalar_one() == 0, "no invitation was made"


async def test_the_second_admin_joins_once_and_pins_the_existing_organisation_key(
    app: FastAPI, world: World
) -> None:
    admin = await join(app, world.admin, "org_admin", "admin", PASSWORD)
    fingerprint = _organisation_fingerprint(world, admin)
    async with Browser(app) as browser:
        await KeyringClient(browser).login("admin", PASSWORD)
        page = await browser.get("/manage/organisation/admins")
        assert page.status_code == 200
        assert f'data-invite="{world.staff_b}"' in page.text, "staff without an account can be picked"
        assert f'name="csrf_token" value="{await browser.csrf()}"' in page.text, "its forms work without JavaScript"
        printed = await browser.post_form("/manage/organisation/admins", {"person_id": str(world.staff_b)})
        assert printed.status_code == 200, printed.text
        assert printed.headers["cache-control"] == "no-store"
        assert fingerprint in printed.text, "the invitation carries the organisation key's fingerprint"
        assert "<svg" in printed.text
        code = _code_on(printed.text)
    assert not await _is_admin(app, world, world.staff_b), "she is an administrator only once she joins"

    async with Browser(app) as browser:
        client = KeyringClient(browser)
        invited = (await client.preview(code)).json()
        assert (invited["role"], invited["programme_id"]) == ("org_admin", None)
        assert invited["organisation_fingerprint"] == fingerprint
        assert admin.organisation_key is not None
        assert crypto.b64u_decode(invited["organisation_key"]) == admin.organisation_key.public

        body, _, _ = client.sign_up_body(code, "admin.two", PASSWORD, str(world.staff_b), make_organisation_key=True)
        refused = await browser.api("POST", "/api/v1/auth/signup", body)
        assert refused.status_code == 409, "her browser does not make a second organisation key"
        assert not await _is_admin(app, world, world.staff_b)

        second = await client.sign_up(code, "admin.two", PASSWORD)
        assert second.organisation_key is None
    assert await _is_admin(app, world, world.staff_b)
    assert await _organisation_keys(app) == [admin.organisation_key.public], "still exactly one organisation key"

    async with Browser(app) as browser:
        body, _, _ = KeyringClient(browser).sign_up_body(code, "admin.three", PASSWORD, str(world.staff_b))
        again = await browser.api("POST", "/api/v1/auth/signup", body)
        assert again.status_code == 410, "the invitation works once"

    async with Browser(app) as browser:
        await KeyringClient(browser).login("admin", PASSWORD)
        key_page = await browser.get("/manage/organisation/key")
        assert f'data-give-to="{world.staff_b}"' in key_page.text, "the first admin can now pass her the key"
        admins = (await browser.api("GET", "/api/v1/organisation/admins")).json()
        assert {a["display_name"]: a["has_account"] for a in admins["admins"]} == {"Admin": True, "Staff B": True}
        assert admins["pending"] == []


async def test_an_admin_invites_a_new_person_by_name_and_can_withdraw_it(app: FastAPI, world: World) -> None:
    await join(app, world.admin, "org_admin", "admin", PASSWORD)
    async with Browser(app) as browser:
        await KeyringClient(browser).login("admin", PASSWORD)
        nameless = await browser.post_form("/manage/organisation/admins", {"display_name": "  "})
        assert nameless.status_code == 422
        assert 'aria-invalid="true"' in nameless.text

        created = await browser.api("POST", "/api/v1/organisation/admin-invitations", {"display_name": "Noor"})
        assert created.status_code == 201, created.text
        invitation = created.json()["invitation"]
        assert (invitation["role"], invitation["programme_id"], invitation["used_at"]) == ("org_admin", None, None)
        async with unit_of_work(app.state.sessionmaker) as uow:
            person = await uow.session.get(Person, uuid.UUID(invitation["person_id"]))
            assert person is not None
            assert (person.display_name, person.organisation_id) == ("Noor", world.organisation_id)
        lifetime = datetime.fromisoformat(invitation["expires_at"]) - datetime.fromisoformat(invitation["created_at"])
        assert lifetime == timedelta(days=14)

        listed = (await browser.api("GET", "/api/v1/organisation/admins")).json()
        assert [p["id"] for p in listed["pending"]] == [invitation["id"]]
        outsider = await browser.api(
            "POST", "/api/v1/organisation/admin-invitations", {"person_id": str(world.outsider_org_admin)}
        )
        assert outsider.status_code == 404, "only people of her own organisation"

        withdrawn = await browser.post_form(f"/manage/organisation/admins/invitations/{invitation['id']}/withdraw")
        assert withdrawn.status_code == 303
        assert (await KeyringClient(browser).preview(created.json()["code"])).status_code == 404


async def test_a_staff_member_with_an_account_is_made_administrator_without_an_invitation(
    app: FastAPI, world: World
) -> None:
    await join(app, world.admin, "org_admin", "admin", PASSWORD)
    await join(app, world.staff_a, "staff", "staff.a", PASSWORD, world.programme_a)
    await join(app, world.participant_a, "participant", "mother.a", PASSWORD, world.programme_a)
    async with Browser(app) as browser:
        await KeyringClient(browser).login("staff.a", PASSWORD)
        refused = await browser.post_form("/manage/organisation/admins/promote", {"person_id": str(world.staff_a)})
        assert refused.status_code == 403, "staff cannot make themselves administrator"
        assert (await browser.api("PUT", f"/api/v1/organisation/admins/{world.staff_a}")).status_code == 403
    assert not await _is_admin(app, world, world.staff_a)

    async with Browser(app) as browser:
        browser.http.cookies.set("ep_lang", "en")
        await KeyringClient(browser).login("admin", PASSWORD)
        page = await browser.get("/manage/organisation/admins")
        assert f'data-promote="{world.staff_a}"' in page.text, "staff with an account can be made administrator"
        assert f'data-invite="{world.staff_a}"' not in page.text, "she needs no invitation"
        assert f'data-promote="{world.participant_a}"' not in page.text

        participant = await browser.post_form(
            "/manage/organisation/admins/promote", {"person_id": str(world.participant_a)}
        )
        assert participant.status_code == 404
        assert "Only a staff member of your organisation who has an account" in participant.text
        outsider = await browser.api("PUT", f"/api/v1/organisation/admins/{world.outsider_org_admin}")
        assert outsider.status_code == 404
        nonsense = await browser.post_form("/manage/organisation/admins/promote", {"person_id": "not-an-id"})
        assert nonsense.status_code == 422
        assert not await _is_admin(app, world, world.participant_a)

        made = await browser.post_form("/manage/organisation/admins/promote", {"person_id": str(world.staff_a)})
        assert made.status_code == 303
        assert made.headers["location"] == "/manage/organisation/key", "next: give her the organisation key"
        assert await _is_admin(app, world, world.staff_a)
        again = await browser.api("PUT", f"/api/v1/organisation/admins/{world.staff_a}")
        assert again.status_code == 409

        key_page = await browser.get("/manage/organisation/key")
        assert f'data-give-to="{world.staff_a}"' in key_page.text, "a key holder can now pass her the key"

    async with Browser(app) as browser:
        await KeyringClient(browser).login("staff.a", PASSWORD)
        assert (await browser.get("/manage/organisation/admins")).status_code == 200, "she manages the organisation"
