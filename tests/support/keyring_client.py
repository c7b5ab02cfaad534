"""A person acting through the Python keyring exactly as her browser does, over HTTP.

Pre-login, the KDF, sign-up with real key bundles, login, password change and recovery, all
through the public API. Only this test client passes ``allow_test_params`` (low KDF cost), and
the server accepts such bundles only in test mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from eportfolio import crypto
from eportfolio.crypto import b64u_decode, b64u_encode
from tests.support.client import Browser

TEST_PARAMS = {"memory_kib": 8, "iterations": 1, "parallelism": 1}


def test_params() -> crypto.KdfParams:
    return crypto.KdfParams.new(**TEST_PARAMS)


@dataclass
class Member:
    """Someone who signed up: what she knows (login, password, recovery code) and her keys."""

    login: str
    password: str
    recovery_code: str
    identity: crypto.Identity
    person_id: str
    organisation_key: crypto.SigningKey | None = None


def organisation_pin_record(identity: crypto.Identity, organisation_id: str, public: bytes | str) -> dict[str, Any]:
    """Revision 1 of her pinned-keys record as her browser saves it at sign-up: the organisation
    key she compared with her invitation paper, confirmed."""
    key = b64u_decode(public) if isinstance(public, str) else public
    entry = crypto.PinnedKey(crypto.FingerprintKind.ORGANISATION_KEY, str(organisation_id), key, True)
    return {"revision": 1, "record": b64u_encode(crypto.seal_pinned_keys(identity, 1, [entry]))}


def sign_up_body(
    code: str, login: str, made: crypto.SignUp, *, make_organisation_key: bool = False
) -> tuple[dict[str, Any], crypto.SigningKey | None]:
    """What her browser posts to sign up with the keys it `made` (at whatever KDF cost): her key
    bundle, public identity and proofs; for a first admin, a new organisation key sealed for her.
    Returns the body and that organisation key (None when not asked for)."""
    body: dict[str, Any] = {
        "invitation_code": code,
        "login": login,
        "key_bundle": b64u_encode(made.bundle),
        "public_identity": b64u_encode(made.public_identity),
        "auth_proof": b64u_encode(made.auth_proof),
        "recovery_proof": b64u_encode(made.recovery_auth_proof),
    }
    org_key = None
    if make_organisation_key:
        org_key = crypto.SigningKey.generate()
        body["organisation_key"] = {
            "ed25519_public": b64u_encode(org_key.public),
            "sealed_copy": b64u_encode(org_key.seal_for(made.identity.person)),
        }
    return body, org_key


async def pin_organisation_key(
    browser: Browser, identity: crypto.Identity, organisation_id: str, public: bytes | str
) -> None:
    record = organisation_pin_record(identity, organisation_id, public)
    response = await browser.api("PUT", "/api/v1/pinned-keys", record)
    assert response.status_code == 200, response.text


class KeyringClient:
    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        # Answers in English, so that tests can name the sentences they expect (the msgids).
        browser.http.cookies.set("ep_lang", "en")

    async def preview(self, code: str) -> httpx.Response:
        return await self.browser.get(f"/api/v1/auth/invitations/{code}")

    def sign_up_body(
        self,
        code: str,
        login: str,
        password: str,
        person_id: str,
        *,
        make_organisation_key: bool = False,
    ) -> tuple[dict[str, Any], crypto.SignUp, crypto.SigningKey | None]:
        made = crypto.Identity.create(
            login, password, user_id=person_id, params=test_params(), allow_test_params=True
        )
        body, org_key = sign_up_body(code, login, made, make_organisation_key=make_organisation_key)
        return body, made, org_key

    async def sign_up(self, code: str, login: str, password: str, *, make_organisation_key: bool = False) -> Member:
        preview = await self.preview(code)
        assert preview.status_code == 200, preview.text
        invited = preview.json()
        body, made, org_key = self.sign_up_body(
            code, login, password, invited["person_id"],
            make_organisation_key=make_organisation_key and invited["organisation_key"] is None,
        )
        response = await self.browser.api("POST", "/api/v1/auth/signup", body)
        assert response.status_code == 201, response.text
        organisation_public = org_key.public if org_key else invited["organisation_key"]
        if organisation_public is not None:
            await pin_organisation_key(self.browser, made.identity, invited["organisation_id"], organisation_public)
        return Member(
            login=response.json()["login"],
            password=password,
            recovery_code=made.recovery_code.text,
            identity=made.identity,
            person_id=invited["person_id"],
            organisation_key=org_key,
        )

    async def prelogin(self, login: str) -> crypto.KdfParams:
        response = await self.browser.api("POST", "/api/v1/auth/prelogin", {"login": login})
        assert response.status_code == 200, response.text
        return crypto.KdfParams.from_bytes(b64u_decode(response.json()["kdf_params"]))

    async def login_response(self, login: str, password: str) -> tuple[httpx.Response, crypto.LoginSecrets]:
        params = await self.prelogin(login)
        secrets = crypto.derive_login_secrets(login, password, params, allow_test_params=True)
        response = await self.browser.api(
            "POST", "/api/v1/auth/login", {"login": login, "auth_proof": b64u_encode(secrets.auth_proof())}
        )
        return response, secrets

    async def login(self, login: str, password: str) -> crypto.Identity:
        response, secrets = await self.login_response(login, password)
        assert response.status_code == 200, response.text
        answer = response.json()
        return crypto.Identity.unlock_with_secrets(
            b64u_decode(answer["key_bundle"]), secrets, user_id=answer["person_id"]
        )

    async def change_password(self, member: Member, new_password: str) -> httpx.Response:
        current = crypto.derive_login_secrets(
            member.login, member.password, await self.prelogin(member.login), allow_test_params=True
        )
        change = member.identity.change_password(new_password, params=test_params(), allow_test_params=True)
        response = await self.browser.api(
            "POST",
            "/api/v1/account/password",
            {
                "current_auth_proof": b64u_encode(current.auth_proof()),
                "key_bundle": b64u_encode(change.bundle),
                "auth_proof": b64u_encode(change.auth_proof),
            },
        )
        if response.status_code == 204:
            member.password = new_password
        return response

    async def recover(self, login: str, recovery_code: str, new_password: str) -> tuple[httpx.Response, Any]:
        """Prove the code, open the recovery copy, set a new password; returns the last answer."""
        proof = b64u_encode(crypto.RecoveryCode.parse(recovery_code).auth_proof())
        started = await self.browser.api(
            "POST", "/api/v1/auth/recovery/start", {"login": login, "recovery_proof": proof}
        )
        if started.status_code != 200:
            return started, None
        answer = started.json()
        identity = crypto.Identity.recover(
            b64u_decode(answer["key_bundle"]), recovery_code, user_id=answer["person_id"], login=login
        )
        change = identity.change_password(new_password, params=test_params(), allow_test_params=True)
        completed = await self.browser.api(
            "POST",
            "/api/v1/auth/recovery/complete",
            {
                "login": login,
                "recovery_proof": proof,
                "key_bundle": b64u_encode(change.bundle),
                "auth_proof": b64u_encode(change.auth_proof),
            },
        )
        return completed, identity

    async def logout(self) -> httpx.Response:
        return await self.browser.api("POST", "/api/v1/auth/logout")


async def invitation_for(
    app: Any, person_id: Any, role: str, programme_id: Any = None, *, organisation_id: Any = None
) -> str:
    """An invitation made straight in the database (as `create-admin` does), returning its code."""
    from eportfolio.domain.people import Role
    from eportfolio.invitations.service import _new_invitation
    from eportfolio.kit.uow import unit_of_work
    from eportfolio.programmes.tables import Person

    async with unit_of_work(app.state.sessionmaker) as uow:
        person = await uow.session.get(Person, person_id)
        assert person is not None
        organisation = organisation_id or person.organisation_id
        code, row = _new_invitation(organisation, programme_id, person.id, Role(role), None)
        uow.session.add(row)
    return code


async def join(app: Any, person_id: Any, role: str, login: str, password: str, programme_id: Any = None) -> Member:
    """Give a person of the test world an account, the way she would sign up, in her own client."""
    async with Browser(app) as browser:
        code = await invitation_for(app, person_id, role, programme_id)
        return await KeyringClient(browser).sign_up(code, login, password, make_organisation_key=role == "org_admin")
