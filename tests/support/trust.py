"""Organisation and programme keys as an admin's browser makes them, for tests of what builds on them."""

from __future__ import annotations

from eportfolio import crypto
from eportfolio.crypto import b64u_encode
from tests.support.client import Browser
from tests.support.keyring_client import Member
from tests.support.world import World


async def sign_programme_key(admin: Member, browser: Browser, world: World) -> crypto.SigningKey:
    assert admin.organisation_key is not None
    key = crypto.SigningKey.generate()
    certificate = admin.organisation_key.sign_record(
        crypto.ProgrammeKeyCertificate(key.public),
        organisation_id=str(world.organisation_id), programme_id=str(world.programme_a),
        serial=1, issued_at=1_780_000_000, signed_by=admin.person_id,
    )
    answer = await browser.api("POST", f"/api/v1/trust/programmes/{world.programme_a}", {
        "ed25519_public": b64u_encode(key.public),
        "certificate": b64u_encode(certificate),
        "sealed_copy": b64u_encode(key.seal_for(admin.identity.person)),
    })
    assert answer.status_code == 201, answer.text
    return key
