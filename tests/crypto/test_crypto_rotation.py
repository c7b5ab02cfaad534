"""User-key rotation (docs/crypto-spec.md 5.4), tampering and refusals in the Python reference.

The golden vectors (`rotation.json`) fix the bytes; here: a changed rotated bundle, a bundle with
an old box spliced in, a re-wrap that is not hers, and a rotation with a wrong password or code
are all refused with CryptoError, and the old user key opens nothing the rotation made.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from eportfolio import crypto as c
from eportfolio.crypto.boxes import SecretPurpose, open_secret
from eportfolio.crypto.errors import refusing
from eportfolio.crypto.primitives import key_id
from tests.crypto.keys import b, load, person

ORIGIN = "python"


def _entry() -> dict[str, str]:
    entry: dict[str, str] = load(ORIGIN, "identities")["people"]["participant"]
    return entry


def _secrets(password: str | None = None) -> c.LoginSecrets:
    entry = _entry()
    params = c.KdfParams.from_bytes(b(entry["params"]))
    return c.derive_login_secrets(entry["login"], password or entry["password"], params, allow_test_params=True)


def _unlock(bundle: bytes) -> c.Identity:
    entry = _entry()
    return c.Identity.unlock(
        bundle, entry["login"], entry["password"], user_id=entry["user_id"], allow_test_params=True
    )


def _recover(bundle: bytes) -> c.Identity:
    entry = _entry()
    return c.Identity.recover(bundle, entry["recovery_code"], user_id=entry["user_id"], login=entry["login"])


@refusing
def _open_private_keys(box: bytes, user_key: bytes, publics: bytes) -> bytes:
    return open_secret(box, user_key, SecretPurpose.PRIVATE_KEYS, publics)


def _variants(data: bytes) -> list[bytes]:
    flipped = [data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :] for i in range(len(data))]
    return [*flipped, data[:-1], data[: len(data) // 2], data + b"\x00", b"\x02" + data[1:]]


def test_every_changed_byte_of_a_rotated_bundle_is_refused_by_password_and_by_code() -> None:
    bundle = b(load(ORIGIN, "rotation")["kept_code"]["bundle"])
    assert _unlock(bundle).user_key == _recover(bundle).user_key
    for changed in _variants(bundle):
        with pytest.raises(c.CryptoError):
            _unlock(changed)
        with pytest.raises(c.CryptoError):
            _recover(changed)


def test_a_rotated_bundle_with_an_old_box_spliced_in_is_refused() -> None:
    old = c.KeyBundle.from_bytes(b(_entry()["bundle"]))
    new = c.KeyBundle.from_bytes(b(load(ORIGIN, "rotation")["kept_code"]["bundle"]))
    for field in ("kek_box", "recovery_box", "private_keys_box", "user_key_id"):
        spliced = replace(new, **{field: getattr(old, field)}).to_bytes()
        with pytest.raises(c.CryptoError):
            _unlock(spliced)
        with pytest.raises(c.CryptoError):
            _recover(spliced)
    # The old bundle with the new key id (a server mixing the two) opens with neither key.
    with pytest.raises(c.CryptoError):
        _unlock(replace(old, user_key_id=new.user_key_id).to_bytes())


def test_the_old_user_key_opens_nothing_the_rotation_made() -> None:
    vectors = load(ORIGIN, "rotation")
    kept = vectors["kept_code"]
    old = person(ORIGIN, "participant")
    bundle = c.KeyBundle.from_bytes(b(kept["bundle"]))
    publics = bundle.x25519_public + bundle.ed25519_public
    with pytest.raises(c.CryptoError):
        _open_private_keys(bundle.private_keys_box, old.user_key, publics)
    with pytest.raises(c.CryptoError):
        c.unwrap_item_key(b(kept["item_wrap"]), old.user_key, b(vectors["item_key_id"]))
    with pytest.raises(c.CryptoError):
        c.open_pinned_keys(old, b(kept["pinned_record"]))


def test_rotation_is_refused_without_her_password_or_with_a_code_that_is_not_hers() -> None:
    her = person(ORIGIN, "participant")
    code = _entry()["recovery_code"]
    with pytest.raises(c.CryptoError):
        her.rotate_user_key(_secrets("not her password"), recovery_code=code)
    other_code = load(ORIGIN, "identities")["people"]["coach"]["recovery_code"]
    with pytest.raises(c.CryptoError):
        her.rotate_user_key(_secrets(), recovery_code=other_code)
    with pytest.raises(c.CryptoError):
        her.rotate_user_key(_secrets(), recovery_code="ABCD-EFGH")
    coach_entry = load(ORIGIN, "identities")["people"]["coach"]
    coach_secrets = c.derive_login_secrets(
        coach_entry["login"],
        coach_entry["password"],
        c.KdfParams.from_bytes(b(coach_entry["params"])),
        allow_test_params=True,
    )
    with pytest.raises(c.CryptoError):
        her.rotate_user_key(coach_secrets, recovery_code=None)


def test_a_rotation_rewraps_only_her_own_keys_under_their_own_ids() -> None:
    vectors = load(ORIGIN, "rotation")
    her = person(ORIGIN, "participant")
    coach = person(ORIGIN, "coach")
    rotation = her.rotate_user_key(_secrets(), recovery_code=_entry()["recovery_code"])
    item_key_id = b(vectors["item_key_id"])
    old_wrap = b(vectors["old_item_wrap"])
    rewrapped = rotation.rewrap_item_key(old_wrap, item_key_id)
    assert c.unwrap_item_key(rewrapped, rotation.identity.user_key, item_key_id).hex() == vectors["item_key"]
    someone_elses = coach.wrap_under_user_key(SecretPurpose.ITEM_KEY, b(vectors["item_key"]), item_key_id)
    for wrap, wanted in (
        (someone_elses, item_key_id),  # under another person's user key
        (rewrapped, item_key_id),  # already under the new key
        (old_wrap, key_id(b"\x00" * 32)),  # claimed for another item key
        *((changed, item_key_id) for changed in _variants(old_wrap)),
    ):
        with pytest.raises(c.CryptoError):
            rotation.rewrap_item_key(wrap, wanted)
    pinned = b(load(ORIGIN, "pinned_keys")["record"])
    with pytest.raises(c.CryptoError):
        rotation.reseal_pinned_keys(pinned, min_revision=6)  # an older record than she has seen
    coach_pinned = c.seal_pinned_keys(coach, 9, [])
    with pytest.raises(c.CryptoError):
        rotation.reseal_pinned_keys(coach_pinned)
    for changed in _variants(pinned)[::7]:
        with pytest.raises(c.CryptoError):
            rotation.reseal_pinned_keys(changed)


def test_two_rotations_give_two_different_keys_and_each_needs_the_current_bundle() -> None:
    her = person(ORIGIN, "participant")
    first = her.rotate_user_key(_secrets(), recovery_code=_entry()["recovery_code"])
    second = first.identity.rotate_user_key(_secrets(), recovery_code=_entry()["recovery_code"])
    assert len({her.user_key, first.identity.user_key, second.identity.user_key}) == 3
    assert _unlock(second.bundle).user_key == second.identity.user_key == _recover(second.bundle).user_key
    assert first.old_user_key_id == her.user_key_id
    assert second.old_user_key_id == first.new_user_key_id
