"""Recovery pages render for the people they are for, refuse the others, and the forms that work
without JavaScript (making a reset code) do what they say; withdrawing consent needs her browser,
which makes her a new user key."""

from __future__ import annotations

from contextlib import AsyncExitStack

from fastapi import FastAPI

from eportfolio import crypto
from tests.support.client import Browser
from tests.support.portfolio import make_cast
from tests.support.recovery import make_recovery
from tests.support.world import World


async def test_each_recovery_page_opens_for_its_people_and_the_plain_forms_work(app: FastAPI, world: World) -> None:
    async with AsyncExitStack() as stack:
        cast = await make_cast(app, world, stack)
        recovery = await make_recovery(app, cast)
        programme = world.programme_a
        her, staff, officer = cast.her, cast.staff, recovery.officer

        key_page = await staff.browser.get(f"/recovery/programmes/{programme}/key")
        assert key_page.status_code == 200
        assert "Officer One" in key_page.text
        assert (await her.browser.get(f"/recovery/programmes/{programme}/key")).status_code == 403
        assert (await officer.browser.get(f"/recovery/programmes/{programme}/requests")).status_code == 200
        assert (await staff.browser.get(f"/recovery/programmes/{programme}/requests")).status_code == 403

        consent = await her.browser.get(f"/recovery/programmes/{programme}/consent")
        assert consent.status_code == 200
        assert 'id="consent-form"' in consent.text
        sealed = her.identity.seal_for_programme_recovery(recovery.recovery_key.public)
        await her.ok("PUT", recovery.url("consent"), {"sealed_user_key": crypto.b64u_encode(sealed)})
        consented = await her.browser.get(f"/recovery/programmes/{programme}/consent")
        assert 'id="withdraw-form"' in consented.text, "withdrawing runs in her browser: it makes a new user key"
        assert "recovery code stay the same" in consented.text
        old_form = await her.browser.post_form(f"/recovery/programmes/{programme}/consent/withdraw")
        assert old_form.status_code in (404, 405), "no plain form withdraws without a new user key"
        assert (await her.ok("GET", recovery.url("consent")))["consented"] is True

        made = await staff.browser.post_form(f"/recovery/programmes/{programme}/people/{her.person_id}/reset")
        assert made.status_code == 200
        assert 'id="reset-code"' in made.text

        async with Browser(app) as phone:
            for url in ("/recovery/device", "/recovery/reset"):
                assert (await phone.get(url)).status_code == 200
            qr = await phone.get("/recovery/fingerprint.svg", params={"payload": "EPFP1:" + "A" * 24})
            assert qr.status_code == 200
            assert qr.text.startswith("<svg")
            assert (await phone.get("/recovery/fingerprint.svg", params={"payload": "<script>"})).status_code == 404
