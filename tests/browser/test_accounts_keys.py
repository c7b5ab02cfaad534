"""The programme key in real Chromium: the admin's browser makes it, certified by the organisation
key her browser made at sign-up, and passes it to staff; the staff browser opens its own copy."""

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
from tests.support.signup import invitation
from tests.support.signup_pages import KEY_WORK_MS, new_page, sign_up
from tests.support.world import World

pytestmark = pytest.mark.browser


async def _invitations(database_url: str, world: World) -> tuple[str, str]:
    engine = make_engine(database_url)
    try:
        async with unit_of_work(make_sessionmaker(engine)) as uow:
            organisation = world.organisation_id
            admin_code, admin = _new_invitation(organisation, None, world.admin, Role.org_admin, None)
            staff_code, staff = _new_invitation(organisation, world.programme_a, world.staff_a, Role.staff, None)
            uow.session.add_all([admin, staff])
    finally:
        await engine.dispose()
    return admin_code, staff_code


async def test_the_admin_makes_the_programme_key_and_gives_it_to_staff(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str, tmp_path: Path
) -> None:
    world, server = world_and_server
    errors: list[str] = []
    admin_code, staff_code = await _invitations(database_url, world)
    admin_context, staff_context = await chromium.new_context(**PHONE), await chromium.new_context(**PHONE)
    admin_page, staff_page = await new_page(admin_context, errors), await new_page(staff_context, errors)
    await sign_up(admin_page, server, admin_code, "admin", "the admin's passphrase")
    await sign_up(staff_page, server, staff_code, "staff.a", "the staff passphrase")

    keys = f"{server.url}/manage/programmes/{world.programme_a}/keys"
    await admin_page.goto(keys)
    await admin_page.click("#make-key")
    await admin_page.wait_for_selector("#programme-fingerprint", timeout=KEY_WORK_MS)
    fingerprint = (await admin_page.inner_text("#programme-fingerprint")).strip()
    await admin_page.click(f"[data-give-to='{world.staff_a}']")
    await admin_page.wait_for_selector("#holders li:has-text('Staff A')", timeout=KEY_WORK_MS)

    await staff_page.goto(keys)
    assert (await staff_page.inner_text("#programme-fingerprint")).strip() == fingerprint
    opened = await staff_page.evaluate(
        """async (programmeId) => {
            const keyring = await import('/static/js/crypto/index.js');
            const identity = await keyring.loadSession();
            const get = async (path) => (await fetch(path, { headers: { accept: 'application/json' } })).json();
            const served = await get(`/api/v1/trust/programmes/${programmeId}`);
            const organisation = await get('/api/v1/trust/organisation');
            const certified = await keyring.verifyProgrammeKey(
                keyring.b64uDecode(served.certificate), keyring.b64uDecode(organisation.ed25519_public), programmeId);
            const key = await keyring.SigningKey.open(keyring.b64uDecode(served.sealed_copy), identity, certified);
            return keyring.b64uEncode(key.public) === served.ed25519_public;
        }""",
        str(world.programme_a),
    )
    assert opened, "the staff member's own browser opens her copy of the programme key"
    assert not errors, errors
    await admin_context.close()
    await staff_context.close()


async def test_an_admin_gives_the_organisation_key_to_a_second_admin(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str, tmp_path: Path
) -> None:
    world, server = world_and_server
    errors: list[str] = []
    # The first administrator's invitation, as `create-admin` prints it.
    first_code = await invitation(database_url, world, world.admin, Role.org_admin, None)
    first_context, second_context = await chromium.new_context(**PHONE), await chromium.new_context(**PHONE)
    first_page, second_page = await new_page(first_context, errors), await new_page(second_context, errors)
    await sign_up(first_page, server, first_code, "admin", "the admin's passphrase")

    # She invites the second administrator on the administrators page and hands over the paper.
    await first_page.click("a[href='/manage/organisation/admins']")
    await first_page.click(f"[data-invite='{world.staff_b}']")
    second_code = (await first_page.inner_text("#invitation-code")).strip()
    printed_fingerprint = (await first_page.inner_text("#organisation-fingerprint")).strip()
    assert await first_page.evaluate("document.documentElement.scrollWidth") <= 360
    await sign_up(second_page, server, second_code, "admin.two", "the second admin's passphrase")
    await second_page.goto(f"{server.url}/manage/organisation/key")
    assert (await second_page.inner_text("#organisation-fingerprint")).strip() == printed_fingerprint, (
        "she joined under the organisation key on her paper, no new one"
    )

    key_page = f"{server.url}/manage/organisation/key"
    await second_page.goto(key_page)
    assert await second_page.locator("[data-give-to]").count() == 0, "she does not hold it yet"
    await first_page.goto(f"{server.url}/")
    await first_page.click("a[href='/manage/organisation/key']")
    await first_page.click(f"[data-give-to='{world.staff_b}']")
    await first_page.wait_for_selector("#holders li:has-text('Staff B')", timeout=KEY_WORK_MS)
    assert await first_page.evaluate("document.documentElement.scrollWidth") <= 360

    opened = await second_page.evaluate(
        """async () => {
            const keyring = await import('/static/js/crypto/index.js');
            const identity = await keyring.loadSession();
            const answer = await fetch('/api/v1/trust/organisation', { headers: { accept: 'application/json' } });
            const served = await answer.json();
            const key = await keyring.SigningKey.open(
                keyring.b64uDecode(served.sealed_copy), identity, keyring.b64uDecode(served.ed25519_public));
            return keyring.b64uEncode(key.public) === served.ed25519_public;
        }"""
    )
    assert opened, "the second admin's own browser opens her copy of the organisation key"
    assert not errors, errors
    await first_context.close()
    await second_context.close()
