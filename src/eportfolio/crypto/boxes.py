"""SecretBox (AES-GCM under a symmetric key) and SealedBox (to an X25519 public key)."""

from __future__ import annotations

from enum import IntEnum

from .encoding import Reader, Writer
from .errors import refuse
from .primitives import (
    KEY_BYTES,
    KEY_ID_BYTES,
    NONCE_BYTES,
    TAG_BYTES,
    Rng,
    aead_decrypt,
    aead_encrypt,
    draw,
    hkdf,
    key_id,
    x25519_public,
    x25519_shared,
)

TAG_SECRET_BOX = 0x02
TAG_SEALED_BOX = 0x03


class SecretPurpose(IntEnum):
    USER_KEY_KEK = 0x01
    USER_KEY_RECOVERY = 0x02
    PRIVATE_KEYS = 0x03
    PINNED_KEYS = 0x04
    ITEM_KEY = 0x05
    EPOCH_CHAIN = 0x06
    INTAKE_LETTER = 0x07


class SealedPurpose(IntEnum):
    GRANT_KEY = 0x01
    PROGRAMME_RECOVERY = 0x02
    RECOVERY_DEVICE = 0x03
    SIGNING_KEY = 0x04
    RECOVERY_OFFICER_KEY = 0x05
    INTAKE_LETTER_KEY = 0x06


_SECRET_PLAINTEXT_BYTES: dict[SecretPurpose, int | None] = {
    SecretPurpose.USER_KEY_KEK: 32,
    SecretPurpose.USER_KEY_RECOVERY: 32,
    SecretPurpose.PRIVATE_KEYS: 64,
    SecretPurpose.PINNED_KEYS: None,
    SecretPurpose.ITEM_KEY: 32,
    SecretPurpose.EPOCH_CHAIN: 32,
    SecretPurpose.INTAKE_LETTER: None,
}


def _check_length(expected: int | None, plaintext_length: int) -> None:
    if expected is not None and plaintext_length != expected:
        raise refuse()


def seal_secret(key: bytes, purpose: SecretPurpose, plaintext: bytes, context: bytes, *, rng: Rng) -> bytes:
    _check_length(_SECRET_PLAINTEXT_BYTES[purpose], len(plaintext))
    header = Writer(TAG_SECRET_BOX).u8(purpose).raw(key_id(key)).getvalue()
    nonce = draw(rng, NONCE_BYTES)
    return header + nonce + aead_encrypt(key, nonce, plaintext, header + context)


def open_secret(box: bytes, key: bytes, purpose: SecretPurpose, context: bytes) -> bytes:
    reader = Reader(box, TAG_SECRET_BOX)
    if reader.u8() != purpose or reader.raw(KEY_ID_BYTES) != key_id(key):
        raise refuse()
    header = reader.consumed()
    nonce = reader.raw(NONCE_BYTES)
    ciphertext = reader.rest()
    expected = _SECRET_PLAINTEXT_BYTES[purpose]
    if len(ciphertext) < TAG_BYTES:
        raise refuse()
    _check_length(expected, len(ciphertext) - TAG_BYTES)
    return aead_decrypt(key, nonce, ciphertext, header + context)


def wrap_key(wrapping_key: bytes, purpose: SecretPurpose, key: bytes, context: bytes, *, rng: Rng) -> bytes:
    return seal_secret(wrapping_key, purpose, key, context, rng=rng)


def unwrap_key(box: bytes, wrapping_key: bytes, purpose: SecretPurpose, expected_id: bytes, context: bytes) -> bytes:
    """Open a wrapped key and hold it to the id it must commit to."""
    key = open_secret(box, wrapping_key, purpose, context)
    if len(key) != KEY_BYTES or key_id(key) != expected_id:
        raise refuse()
    return key


_SEALED_PLAINTEXT_BYTES = 32  # every sealed purpose carries one 32-byte key


def _sealed_key_and_nonce(shared: bytes, eph_public: bytes, recipient: bytes) -> bytes:
    return hkdf(shared, "eportfolio/v1/sealed-box", KEY_BYTES + NONCE_BYTES, eph_public + recipient)


def seal_to(recipient_public: bytes, purpose: SealedPurpose, plaintext: bytes, context: bytes, *, rng: Rng) -> bytes:
    _check_length(_SEALED_PLAINTEXT_BYTES, len(plaintext))
    eph_private = draw(rng, KEY_BYTES)
    eph_public = x25519_public(eph_private)
    okm = _sealed_key_and_nonce(x25519_shared(eph_private, recipient_public), eph_public, recipient_public)
    header = Writer(TAG_SEALED_BOX).u8(purpose).raw(eph_public).getvalue()
    ad = header + recipient_public + context
    return header + aead_encrypt(okm[:KEY_BYTES], okm[KEY_BYTES:], plaintext, ad)


def open_sealed(box: bytes, recipient_private: bytes, purpose: SealedPurpose, context: bytes) -> bytes:
    reader = Reader(box, TAG_SEALED_BOX)
    if reader.u8() != purpose:
        raise refuse()
    eph_public = reader.raw(32)
    header = reader.consumed()
    ciphertext = reader.rest()
    _check_length(_SEALED_PLAINTEXT_BYTES + TAG_BYTES, len(ciphertext))
    recipient_public = x25519_public(recipient_private)
    okm = _sealed_key_and_nonce(x25519_shared(recipient_private, eph_public), eph_public, recipient_public)
    ad = header + recipient_public + context
    return aead_decrypt(okm[:KEY_BYTES], okm[KEY_BYTES:], ciphertext, ad)
