"""Her signed word on reporting her scores: 'agree' or 'withdraw', for one programme, with the
SHA-256 of the consent text she was shown, its language and a serial (docs/crypto-spec.md)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .encoding import Reader, Writer, check_id
from .errors import refuse, refusing
from .identity import Identity
from .primitives import SIGNATURE_BYTES, verify

TAG_SCORE_CONSENT = 0x0F
LABEL = "eportfolio/v1/sig/score-consent"
KINDS = {1: "agree", 2: "withdraw"}
_CODES = {kind: code for code, kind in KINDS.items()}
MAX_SERIAL = 2**53 - 1  # what a browser's numbers hold exactly


@dataclass(frozen=True)
class ScoreConsentStatement:
    programme_id: str
    person_id: str
    kind: str
    text_sha256: bytes
    language: str
    serial: int
    signer_public: bytes


def consent_text_sha256(text: str) -> bytes:
    """The hash of a consent text as both sides compute it: its trimmed UTF-8."""
    return hashlib.sha256(text.strip().encode("utf-8")).digest()


def _parse(data: bytes) -> tuple[ScoreConsentStatement, bytes, bytes]:
    reader = Reader(data, TAG_SCORE_CONSENT)
    programme_id = reader.id16()
    person_id = reader.id16()
    code = reader.u8()
    text_sha256 = reader.raw(32)
    language = reader.id16()
    serial = reader.u64()
    signer_public = reader.raw(32)
    signed = reader.consumed()
    signature = reader.raw(SIGNATURE_BYTES)
    reader.end()
    if code not in KINDS or not 1 <= serial <= MAX_SERIAL or len(language) > 8:
        raise refuse()
    statement = ScoreConsentStatement(
        programme_id, person_id, KINDS[code], text_sha256, language, serial, signer_public
    )
    return statement, signed, signature


@refusing
def sign_score_consent(
    signer: Identity, *, programme_id: str, kind: str, text: str, language: str, serial: int
) -> bytes:
    """Signed by her own identity key: she agrees ('agree') or stops ('withdraw')."""
    if kind not in _CODES:
        raise refuse()
    signed = (
        Writer(TAG_SCORE_CONSENT)
        .str16(check_id(programme_id))
        .str16(check_id(signer.user_id))
        .u8(_CODES[kind])
        .raw(consent_text_sha256(text), 32)
        .str16(check_id(language))
        .u64(serial)
        .raw(signer.person.ed25519_public, 32)
        .getvalue()
    )
    _parse(signed + bytes(SIGNATURE_BYTES))  # the same checks a reader makes
    return signed + signer.sign(LABEL, signed)


@refusing
def read_score_consent(data: bytes) -> ScoreConsentStatement:
    """The fields, no trust implied."""
    return _parse(data)[0]


@refusing
def verify_score_consent(data: bytes, her_public: bytes) -> ScoreConsentStatement:
    """Check the signature against her Ed25519 key (the one the caller trusts for her)."""
    statement, signed, signature = _parse(data)
    if statement.signer_public != her_public:
        raise refuse()
    verify(her_public, LABEL, signed, signature)
    return statement
