"""Joining, logging in and recovering, through a client that does exactly what her browser does.

The server never learns a password or recovery code; it hands out wrapped keys only after a
proof, refuses malformed key structures with a sentence, and never half-creates an account.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import func, select, update

from eportfolio import crypto
from eportfolio.accounts.service import FREE_FAILURES_PER_ACCOUNT, FREE_FAILURES_PER_ADDRESS
from eportfolio.accounts.sessions import SESSION_COOKIE
from eportfolio.accounts.tables import Account, LoginThrottle
from eportfolio.crypto import b64u_decode, b64u_encode
from eportfolio.invitations.tables import Invitation
from eportfolio.kit.clock import utcnow
from eportfolio.kit.uow import unit_of_work
from tests.support.client import Browser
from tests.support.keyring_client import KeyringClient, Member, invitation_for, join
from tests.support.world import World

PASSWORD = "a long walk on the beach"


async def _staff_invites(app: FastAPI, world: World, person_id: uuid.UUID, role: str = "participant") -> str:
    async with Browser(app) as staff:
        await staff.log_in_as(world.staff_a)
        response = await staff.api(
            "POST", f"/api/v1/programmes/{world.programme_a}/invitations", {"person_id": str(person_id), "role": role}
        )
    assert response.status_code == 201, response.text
    return str(response.json()["code"])


async def _accounts(app: FastAPI) -> int:
    async with unit_of_work(app.state.sessionmaker) as uow:
        return int((await uow.session.execute(select(func.count()).select_from(Account))).scalar_one())


# Sign-up -----------------------------------------------------------------------------------


async def test_staff_invite_her_and_she_signs_up_and_logs_in_to_the_same_keys(
    app: FastAPI, browser: Browser, world: World
) -> None:
    code = await _staff_invites(app, world, world.participant_a2)
    assert len(code.replace("-", "")) * 5 >= 60, "at least 60 bits"
    client = KeyringClient(browser)
    preview = (await client.preview(code)).json()
    assert preview["display_name"] == "Mother A2"
    assert preview["role"] == "participant"
    assert preview["programme_name"] == "Programme A"

    member = await client.sign_up(code, "Mother.A2", PASSWORD)
    assert member.login == "mother.a2", "login names are normalised"
    account = await browser.api("GET", "/api/v1/account")
    assert account.status_code == 200
    assert account.json()["fingerprint"] == member.identity.person.fingerprint_text

    assert (await client.logout()).status_code == 204
    assert (await browser.api("GET", "/api/v1/account")).status_code == 401
    async with Browser(app) as second_device:
        unlocked = await KeyringClient(second_device).login("mother.a2", PASSWORD)
    assert unlocked.user_key == member.identity.user_key
    assert unlocked.person == member.identity.person


async def test_the_first_admin_makes_the_organisation_key_and_invitations_carry_its_fingerprint(
    app: FastAPI, browser: Browser, world: World
) -> None:
    admin = await join(app, world.admin, "org_admin", "admin", PASSWORD)
    assert admin.organisation_key is not None
    await KeyringClient(browser).login("admin", PASSWORD)
    key = (await browser.api("GET", "/api/v1/trust/organisation")).json()
    assert b64u_decode(key["ed25519_public"]) == admin.organisation_key.public
    opened = crypto.SigningKey.open(b64u_decode(key["sealed_copy"]), admin.identity, admin.organisation_key.public)
    assert opened.public == admin.organisation_key.public, "her own sealed copy opens in her keyring"

    invited = await browser.api(
        "POST", f"/api/v1/programmes/{world.programme_a}/invitations",
        {"person_id": str(world.participant_a), "role": "participant"},
    )
    expected = crypto.fingerprint_text(
        admin.organisation_key.fingerprint(crypto.FingerprintKind.ORGANISATION_KEY, str(world.organisation_id))
    )
    assert invited.json()["organisation_fingerprint"] == expected
    preview = (await KeyringClient(browser).preview(invited.json()["code"])).json()
    assert preview["organisation_fingerprint"] == expected
    assert b64u_decode(preview["organisation_key"]) == admin.organisation_key.public


async def test_unknown_expired_and_reused_invitations_are_refused_with_a_reason(
    app: FastAPI, browser: Browser, world: World
) -> None:
    client = KeyringClient(browser)
    unknown = await client.preview("ABCD-EFGH-JKMN-PQRS")
    assert unknown.status_code == 404
    assert "invitation" in unknown.json()["error"]["message"]
    assert (await client.preview("not a code")).status_code == 404

    code = await invitation_for(app, world.participant_a, "participant", world.programme_a)
    await client.sign_up(code, "mother.a", PASSWORD)
    async with Browser(app) as other:
        body, _, _ = KeyringClient(other).sign_up_body(code, "someone.else", PASSWORD, str(world.participant_a))
        reused = await other.api("POST", "/api/v1/auth/signup", body)
    assert reused.status_code == 410
    assert "used already" in reused.json()["error"]["message"]

    expired = await invitation_for(app, world.participant_a2, "participant", world.programme_a)
    async with unit_of_work(app.state.sessionmaker) as uow:
        await uow.session.execute(update(Invitation).where(Invitation.used_at.is_(None)).values(
            expires_at=utcnow() - timedelta(minutes=1)))
    answer = await client.preview(expired)
    assert answer.status_code == 410
    assert "expired" in answer.json()["error"]["message"]


async def test_a_taken_or_malformed_login_name_leaves_nothing_behind_and_she_can_retry(
    app: FastAPI, browser: Browser, world: World
) -> None:
    await join(app, world.participant_a, "participant", "mother", PASSWORD, world.programme_a)
    before = await _accounts(app)
    code = await _staff_invites(app, world, world.participant_a2)
    client = KeyringClient(browser)

    body, _, _ = client.sign_up_body(code, "Mother", PASSWORD, str(world.participant_a2))
    taken = await browser.api("POST", "/api/v1/auth/signup", body)
    assert taken.status_code == 409
    assert taken.json()["error"]["field"] == "login"

    malformed = await browser.api("POST", "/api/v1/auth/signup", {**body, "login": "no spaces please"})
    assert malformed.status_code == 422
    assert malformed.json()["error"]["field"] == "login"
    assert await _accounts(app) == before
    assert SESSION_COOKIE not in browser.http.cookies

    retried = await client.sign_up(code, "mother.two", PASSWORD)
    assert retried.login == "mother.two"
    assert await _accounts(app) == before + 1


async def test_malformed_or_mismatched_key_structures_are_refused_and_nothing_is_saved(
    app: FastAPI, browser: Browser, world: World
) -> None:
    code = await _staff_invites(app, world, world.participant_a2)
    client = KeyringClient(browser)
    body, _, _ = client.sign_up_body(code, "mother.a2", PASSWORD, str(world.participant_a2))
    bundle = b64u_decode(body["key_bundle"])
    other_body, _, _ = client.sign_up_body(code, "mother.a2", PASSWORD, str(world.participant_a2))
    someone_else, _, _ = client.sign_up_body(code, "mother.a2", PASSWORD, str(world.participant_a))
    cases = {
        "key_bundle": {**body, "key_bundle": b64u_encode(bundle[:-1])},
        "public_identity": {**body, "public_identity": other_body["public_identity"]},
        "auth_proof": {**body, "auth_proof": body["recovery_proof"]},
    }
    cases["not base64"] = {**body, "key_bundle": "%%%"}
    cases["bundle signature"] = {**body, "key_bundle": b64u_encode(bundle[:-1] + bytes([bundle[-1] ^ 1]))}
    for name, bad in cases.items():
        answer = await browser.api("POST", "/api/v1/auth/signup", bad)
        assert answer.status_code == 422, name
        assert answer.json()["error"]["message"], name
    wrong_person = await browser.api("POST", "/api/v1/auth/signup", someone_else)
    assert wrong_person.status_code == 422, "her identity must name the invited person"
    assert await _accounts(app) == 0
    assert (await browser.api("POST", "/api/v1/auth/signup", body)).status_code == 201


# Login -------------------------------------------------------------------------------------


async def test_prelogin_does_not_reveal_whether_a_login_exists(app: FastAPI, browser: Browser, world: World) -> None:
    code = await invitation_for(app, world.participant_a, "participant", world.programme_a)
    made = crypto.Identity.create("mother.a", PASSWORD, user_id=str(world.participant_a))  # default cost
    body = {
        "invitation_code": code, "login": "mother.a", "key_bundle": b64u_encode(made.bundle),
        "public_identity": b64u_encode(made.public_identity), "auth_proof": b64u_encode(made.auth_proof),
        "recovery_proof": b64u_encode(made.recovery_auth_proof),
    }
    assert (await browser.api("POST", "/api/v1/auth/signup", body)).status_code == 201
    client = KeyringClient(browser)
    known = await client.prelogin("mother.a")
    unknown = await client.prelogin("nobody.here")
    assert (known.memory_kib, known.iterations, known.parallelism) == (
        unknown.memory_kib, unknown.iterations, unknown.parallelism)
    assert len(unknown.seed) == len(known.seed) == 16
    assert await client.prelogin("nobody.here") == unknown, "the same answer every time"
    assert (await client.prelogin("nobody.else")).seed != unknown.seed
    assert (await browser.api("POST", "/api/v1/auth/prelogin", {"login": "x"})).status_code == 422


async def test_a_wrong_password_is_refused_without_keys_or_session(
    app: FastAPI, browser: Browser, world: World
) -> None:
    await join(app, world.participant_a, "participant", "mother.a", PASSWORD, world.programme_a)
    response, _ = await KeyringClient(browser).login_response("mother.a", "not her password")
    assert response.status_code == 401
    assert "password" in response.json()["error"]["message"]
    assert "key_bundle" not in response.text
    assert SESSION_COOKIE not in response.cookies
    unknown, _ = await KeyringClient(browser).login_response("nobody.here", "whatever it is")
    assert unknown.status_code == 401
    assert unknown.json() == response.json(), "an unknown login looks like a wrong password"


async def test_back_off_says_when_to_retry_and_never_locks_her_out(
    app: FastAPI, browser: Browser, world: World
) -> None:
    await join(app, world.participant_a, "participant", "mother.a", PASSWORD, world.programme_a)
    client = KeyringClient(browser)
    for _ in range(5):
        response, _ = await client.login_response("mother.a", "a wrong guess")
        assert response.status_code == 401
    blocked, _ = await client.login_response("mother.a", PASSWORD)
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) >= 1
    assert "wait" in blocked.json()["error"]["message"]
    assert "key_bundle" not in blocked.text

    async with unit_of_work(app.state.sessionmaker) as uow:  # the wait has passed
        await uow.session.execute(update(LoginThrottle).values(blocked_until=utcnow() - timedelta(seconds=1)))
    assert (await client.login("mother.a", PASSWORD)).user_id == str(world.participant_a)
    again, _ = await client.login_response("mother.a", "a wrong guess")
    assert again.status_code == 401, "a success starts her count afresh"


async def test_login_rotates_the_session_and_forged_or_replayed_cookies_get_nothing(
    app: FastAPI, browser: Browser, world: World
) -> None:
    await join(app, world.participant_a, "participant", "mother.a", PASSWORD, world.programme_a)
    client = KeyringClient(browser)
    await client.login("mother.a", PASSWORD)
    first = browser.http.cookies[SESSION_COOKIE]
    await client.login("mother.a", PASSWORD)
    second = browser.http.cookies[SESSION_COOKIE]
    assert first != second
    async with Browser(app) as thief:
        thief.http.cookies.set(SESSION_COOKIE, first)
        assert (await thief.api("GET", "/api/v1/account")).status_code == 401, "the old cookie ended at login"
        thief.http.cookies.set(SESSION_COOKIE, "forged-" + second[7:])
        assert (await thief.api("GET", "/api/v1/account")).status_code == 401
        await client.logout()
        thief.http.cookies.set(SESSION_COOKIE, second)
        assert (await thief.api("GET", "/api/v1/account")).status_code == 401, "replayed after logout"


# Password change and recovery --------------------------------------------------------------


async def _sessions_alive(app: FastAPI, member: Member, count_devices: int) -> list[Browser]:
    devices = []
    for _ in range(count_devices):
        device = Browser(app)
        await KeyringClient(device).login(member.login, member.password)
        devices.append(device)
    return devices


async def test_changing_the_password_rewraps_only_and_ends_her_other_sessions(
    app: FastAPI, browser: Browser, world: World
) -> None:
    member = await join(app, world.participant_a, "participant", "mother.a", PASSWORD, world.programme_a)
    client = KeyringClient(browser)
    member.identity = await client.login("mother.a", PASSWORD)
    (other,) = await _sessions_alive(app, member, 1)
    wrong = Member(**{**member.__dict__, "password": "not the current one"})
    assert (await client.change_password(wrong, "something new entirely")).status_code == 401
    assert (await client.change_password(member, "a new sentence to remember")).status_code == 204
    assert (await browser.api("GET", "/api/v1/account")).status_code == 200, "this session stays"
    assert (await other.api("GET", "/api/v1/account")).status_code == 401, "other sessions end"
    await other.__aexit__()
    async with Browser(app) as fresh:
        old, _ = await KeyringClient(fresh).login_response("mother.a", PASSWORD)
        assert old.status_code == 401
        unlocked = await KeyringClient(fresh).login("mother.a", "a new sentence to remember")
    assert unlocked.user_key == member.identity.user_key, "nothing is lost"


async def test_a_password_change_that_swaps_her_keys_is_refused(app: FastAPI, browser: Browser, world: World) -> None:
    member = await join(app, world.participant_a, "participant", "mother.a", PASSWORD, world.programme_a)
    client = KeyringClient(browser)
    await client.login("mother.a", PASSWORD)
    current = crypto.derive_login_secrets("mother.a", PASSWORD, member.identity.bundle.params, allow_test_params=True)
    stranger = crypto.Identity.create("mother.a", "x" * 10, user_id=str(world.participant_a),
                                      params=crypto.KdfParams.new(8, 1, 1), allow_test_params=True)
    answer = await browser.api("POST", "/api/v1/account/password", {
        "current_auth_proof": b64u_encode(current.auth_proof()),
        "key_bundle": b64u_encode(stranger.bundle), "auth_proof": b64u_encode(stranger.auth_proof),
    })
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "key_bundle"


async def test_resetting_with_the_recovery_code_keeps_her_keys_and_ends_every_other_session(
    app: FastAPI, browser: Browser, world: World
) -> None:
    member = await join(app, world.participant_a, "participant", "mother.a", PASSWORD, world.programme_a)
    (other,) = await _sessions_alive(app, member, 1)
    client = KeyringClient(browser)
    wrong_code = crypto.RecoveryCode.generate().text
    refused, _ = await client.recover("mother.a", wrong_code, "whatever new password")
    assert refused.status_code == 401
    assert "recovery code" in refused.json()["error"]["message"]
    assert "key_bundle" not in refused.text

    done, identity = await client.recover("mother.a", member.recovery_code, "my brand new password")
    assert done.status_code == 200, done.text
    assert identity.user_key == member.identity.user_key
    assert (await browser.api("GET", "/api/v1/account")).status_code == 200, "she is logged in"
    assert (await other.api("GET", "/api/v1/account")).status_code == 401
    await other.__aexit__()
    async with Browser(app) as fresh:
        unlocked = await KeyringClient(fresh).login("mother.a", "my brand new password")
    assert unlocked.user_key == member.identity.user_key


# Sessions on the account page --------------------------------------------------------------


async def test_she_sees_her_sessions_and_ends_one(app: FastAPI, browser: Browser, world: World) -> None:
    member = await join(app, world.participant_a, "participant", "mother.a", PASSWORD, world.programme_a)
    await KeyringClient(browser).login("mother.a", PASSWORD)
    (other,) = await _sessions_alive(app, member, 1)
    listed = (await browser.api("GET", "/api/v1/account/sessions")).json()
    assert len(listed) == 3, "the sign-up device, this one and the other"
    assert [s["current"] for s in listed].count(True) == 1
    theirs = next(s for s in listed if not s["current"])
    assert (await browser.api("DELETE", f"/api/v1/account/sessions/{theirs['id']}")).status_code == 204
    assert (await other.api("GET", "/api/v1/account")).status_code == 401
    await other.__aexit__()
    assert (await browser.api("DELETE", f"/api/v1/account/sessions/{theirs['id']}")).status_code == 404


async def test_failures_from_elsewhere_never_block_a_browser_she_logged_in_from_before(
    app: FastAPI, browser: Browser, world: World
) -> None:
    await join(app, world.participant_a, "participant", "mother.a", PASSWORD, world.programme_a)
    her_phone = KeyringClient(browser)
    await her_phone.login("mother.a", PASSWORD)
    assert browser.http.cookies.get("ep_device"), "a successful login marks her browser as known"
    await her_phone.logout()

    async with Browser(app) as attacker_browser, Browser(app) as new_phone_browser:
        attacker = KeyringClient(attacker_browser)
        for _ in range(8):
            response, _ = await attacker.login_response("mother.a", "a guess on purpose")
        assert response.status_code == 429, "unknown devices are slowed down"
        new_phone, _ = await KeyringClient(new_phone_browser).login_response("mother.a", PASSWORD)
        assert new_phone.status_code == 429, "a browser she never used waits like the attacker"

        forged = f"{attacker_browser.http.cookies.get('ep_device') or 'abc'}.forged"
        attacker_browser.http.cookies.set("ep_device", forged)
        still, _ = await attacker.login_response("mother.a", PASSWORD)
        assert still.status_code == 429, "a made-up device cookie is not a known device"

    assert (await her_phone.login("mother.a", PASSWORD)).user_id == str(world.participant_a), (
        "her own phone logs in while the account is throttled for everyone else"
    )
    await her_phone.logout()
    for _ in range(5):
        wrong, _ = await her_phone.login_response("mother.a", "her own typo")
        assert wrong.status_code == 401
    limited, _ = await her_phone.login_response("mother.a", PASSWORD)
    assert limited.status_code == 429, "a known device still has its own limit"


async def test_failures_from_her_address_never_block_a_browser_she_logged_in_from_before(
    app: FastAPI, browser: Browser, world: World
) -> None:
    """Shared Wi-Fi or carrier NAT: everyone here comes from one address (127.0.0.1)."""
    await join(app, world.participant_a, "participant", "mother.a", PASSWORD, world.programme_a)
    her_phone = KeyringClient(browser)
    await her_phone.login("mother.a", PASSWORD)
    await her_phone.logout()

    async with Browser(app) as others_browser:
        others = KeyringClient(others_browser)
        for _ in range(FREE_FAILURES_PER_ACCOUNT + 1):  # someone on her Wi-Fi tries her account
            await others.login_response("mother.a", "a guess on purpose")
        wrong, secrets = await others.login_response("mother.a", "one more guess")
        assert wrong.status_code == 429
        proof = b64u_encode(secrets.auth_proof())
        statuses = []
        for number in range(FREE_FAILURES_PER_ADDRESS + 5):  # and others fail on their own accounts
            answer = await others_browser.api(
                "POST", "/api/v1/auth/login", {"login": f"someone.{number}", "auth_proof": proof}
            )
            statuses.append(answer.status_code)
        assert statuses[-1] == 429, "the address is backed off"
        assert 429 not in statuses[: FREE_FAILURES_PER_ADDRESS - FREE_FAILURES_PER_ACCOUNT - 2]
    async with unit_of_work(app.state.sessionmaker) as uow:  # and stays so for a good while
        await uow.session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key.startswith("address:"))
            .values(blocked_until=utcnow() + timedelta(minutes=10))
        )

    async with Browser(app) as new_phone_browser:
        new_phone, _ = await KeyringClient(new_phone_browser).login_response("mother.a", PASSWORD)
        assert new_phone.status_code == 429, "without her device cookie she waits like everyone here"
        new_phone_browser.http.cookies.set("ep_device", "bm9uY2U.Zm9yZ2VkLW1hYy1vZi0yMi1jaGFycw")
        forged, _ = await KeyringClient(new_phone_browser).login_response("mother.a", PASSWORD)
        assert forged.status_code == 429, "a made-up device cookie is not her device"

    assert (await her_phone.login("mother.a", PASSWORD)).user_id == str(world.participant_a), (
        "her own phone logs in although both her account and her address are backed off"
    )
    async with unit_of_work(app.state.sessionmaker) as uow:
        address = (await uow.session.execute(
            select(LoginThrottle).where(LoginThrottle.key.startswith("address:"))
        )).scalar_one()
    assert address.blocked_until is not None
    assert address.blocked_until > utcnow(), "her login does not lift the address's back-off for the others"


async def test_a_device_cookie_of_another_account_does_not_exempt_her_from_the_back_off(
    app: FastAPI, browser: Browser, world: World
) -> None:
    await join(app, world.participant_a, "participant", "mother.a", PASSWORD, world.programme_a)
    await join(app, world.participant_b, "participant", "mother.b", PASSWORD, world.programme_b)
    attacker = KeyringClient(browser)
    await attacker.login("mother.b", PASSWORD)  # a browser known to one account
    await attacker.logout()
    assert browser.http.cookies.get("ep_device")
    for _ in range(FREE_FAILURES_PER_ACCOUNT + 1):
        response, _ = await attacker.login_response("mother.a", "a guess on purpose")
    assert response.status_code == 429, "a device cookie counts only for the account that set it"


async def test_a_new_password_forgets_the_browsers_that_knew_the_old_one(
    app: FastAPI, browser: Browser, world: World
) -> None:
    member = await join(app, world.participant_a, "participant", "mother.a", PASSWORD, world.programme_a)
    async with Browser(app) as his_phone_browser, Browser(app) as attacker_browser:
        his_phone = KeyringClient(his_phone_browser)
        await his_phone.login("mother.a", PASSWORD)  # someone who knew her password
        assert his_phone_browser.http.cookies.get("ep_device")
        await his_phone.logout()

        completed, _ = await KeyringClient(browser).recover("mother.a", member.recovery_code, "a new password of hers")
        assert completed.status_code == 200, completed.text

        attacker = KeyringClient(attacker_browser)
        for _ in range(8):
            response, _ = await attacker.login_response("mother.a", "a guess on purpose")
        assert response.status_code == 429
        old_guess, _ = await his_phone.login_response("mother.a", PASSWORD)
        assert old_guess.status_code == 429, "his phone is no longer a known device: it waits like any other"

    assert (await KeyringClient(browser).login("mother.a", "a new password of hers")).user_id == str(
        world.participant_a
    ), "the browser she reset from is known again"


async def test_after_a_reset_she_makes_a_new_recovery_code_and_the_old_one_stops_working(
    app: FastAPI, browser: Browser, world: World
) -> None:
    member = await join(app, world.participant_a, "participant", "mother.a", PASSWORD, world.programme_a)
    client = KeyringClient(browser)
    completed, identity = await client.recover("mother.a", member.recovery_code, "a new password of hers")
    assert completed.status_code == 200, completed.text
    secrets = crypto.derive_login_secrets(
        "mother.a", "a new password of hers", await client.prelogin("mother.a"), allow_test_params=True
    )
    stale_bundle, _ = member.identity.new_recovery_code()  # wrapped for the password she forgot
    bundle, code = identity.new_recovery_code()
    body = {
        "current_auth_proof": b64u_encode(secrets.auth_proof()),
        "key_bundle": b64u_encode(bundle),
        "recovery_proof": b64u_encode(code.auth_proof()),
    }
    wrong = await browser.api("POST", "/api/v1/account/recovery-code", {
        **body, "current_auth_proof": b64u_encode(crypto.derive_login_secrets(
            "mother.a", "not her password", await client.prelogin("mother.a"), allow_test_params=True
        ).auth_proof()),
    })
    assert wrong.status_code == 401
    unchanged = await browser.api("POST", "/api/v1/account/recovery-code", {
        **body, "key_bundle": completed.json()["key_bundle"],
    })
    assert unchanged.status_code == 422, "a bundle without a new recovery copy is not a new code"
    stale = await browser.api(
        "POST", "/api/v1/account/recovery-code", {**body, "key_bundle": b64u_encode(stale_bundle)}
    )
    assert stale.status_code == 422, "a copy made from an old bundle must not undo the new password"
    made = await browser.api("POST", "/api/v1/account/recovery-code", body)
    assert made.status_code == 204, made.text

    async with Browser(app) as other:
        old, _ = await KeyringClient(other).recover("mother.a", member.recovery_code, "someone else's try")
        assert old.status_code == 401, "the old code no longer works"
        new, recovered = await KeyringClient(other).recover("mother.a", code.text, "a third password")
        assert new.status_code == 200, new.text
        assert recovered.fingerprint == member.identity.fingerprint, "the same keys, nothing lost"
