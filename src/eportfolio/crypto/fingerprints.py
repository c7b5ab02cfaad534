"""Fingerprints: at least 80 bits (here 120), as groups of text and as a QR payload."""

from __future__ import annotations

from enum import IntEnum

from .encoding import check_id, crockford_decode, crockford_encode, lp
from .errors import refuse, refusing
from .primitives import sha256

FINGERPRINT_BYTES = 15
_FINGERPRINT_CHARS = 24
QR_PREFIX = "EPFP1:"


class FingerprintKind(IntEnum):
    PERSON = 0x01
    ORGANISATION_KEY = 0x02
    PROGRAMME_KEY = 0x03
    PROGRAMME_RECOVERY_KEY = 0x04
    RECOVERY_DEVICE_KEY = 0x05


_KEY_MATERIAL_BYTES = {
    FingerprintKind.PERSON: 64,
    FingerprintKind.ORGANISATION_KEY: 32,
    FingerprintKind.PROGRAMME_KEY: 32,
    FingerprintKind.PROGRAMME_RECOVERY_KEY: 32,
    FingerprintKind.RECOVERY_DEVICE_KEY: 32,
}


def check_key_material(kind: FingerprintKind, key_material: bytes) -> None:
    if len(key_material) != _KEY_MATERIAL_BYTES[kind]:
        raise refuse()


@refusing
def fingerprint(kind: FingerprintKind, subject_id: str, key_material: bytes) -> bytes:
    kind = FingerprintKind(kind)
    check_key_material(kind, key_material)
    digest = sha256(
        lp(b"eportfolio/v1/fingerprint") + bytes([kind]) + lp(check_id(subject_id).encode("utf-8")) + lp(key_material)
    )
    return digest[:FINGERPRINT_BYTES]


def _chars(value: bytes) -> str:
    if len(value) != FINGERPRINT_BYTES:
        raise refuse()
    return crockford_encode(int.from_bytes(value, "big"), _FINGERPRINT_CHARS)


@refusing
def fingerprint_text(value: bytes) -> str:
    """Six groups of four characters, for reading aloud or comparing on screen."""
    chars = _chars(value)
    return " ".join(chars[i : i + 4] for i in range(0, _FINGERPRINT_CHARS, 4))


@refusing
def fingerprint_qr(value: bytes) -> str:
    """The QR payload: `EPFP1:` and the 24 characters (QR alphanumeric mode)."""
    return QR_PREFIX + _chars(value)


@refusing
def parse_fingerprint_qr(payload: str) -> bytes:
    if not isinstance(payload, str) or not payload.startswith(QR_PREFIX):
        raise refuse()
    chars = payload[len(QR_PREFIX) :]
    if len(chars) != _FINGERPRINT_CHARS:
        raise refuse()
    return crockford_decode(chars).to_bytes(FINGERPRINT_BYTES, "big")
