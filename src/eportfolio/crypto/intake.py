"""An application's letter, sealed in her browser to the readers of a programme's intake team.

She has no keys of her own: her browser draws a letter key, puts the letter in a SecretBox
(purpose 0x07) under it and seals the letter key to each reader the verified intake team record
(kind 0x06) names (SealedBox purpose 0x06). Both are bound to the programme and the application
(docs/crypto-spec.md 8.1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .boxes import SealedPurpose, SecretPurpose, open_secret, seal_secret, seal_to
from .encoding import Reader, Writer, check_id
from .errors import refuse, refusing
from .identity import Identity, Person
from .primitives import KEY_BYTES, KEY_ID_BYTES, Rng, draw, key_id, system_rng

TAG_SECRET_BOX = 0x02
# Letters are short; the server refuses more than this too.
MAX_LETTER_BYTES = 16384


@dataclass(frozen=True)
class SealedLetter:
    letter: bytes
    keys: dict[str, bytes]  # reader's user id -> the letter key sealed to her


def _context(programme_id: str, application_id: str) -> bytes:
    return Writer().str16(check_id(programme_id)).str16(check_id(application_id)).getvalue()


def _key_context(letter_key_id: bytes, programme_id: str, application_id: str, reader_id: str) -> bytes:
    return letter_key_id + _context(programme_id, application_id) + Writer().str16(check_id(reader_id)).getvalue()


@refusing
def seal_intake_letter(
    readers: Sequence[Person],
    *,
    programme_id: str,
    application_id: str,
    plaintext: bytes,
    rng: Rng = system_rng,
) -> SealedLetter:
    if not readers or not 0 < len(plaintext) <= MAX_LETTER_BYTES:
        raise refuse()
    if len({r.user_id for r in readers}) != len(readers):
        raise refuse()
    letter_key = draw(rng, KEY_BYTES)
    letter = seal_secret(
        letter_key, SecretPurpose.INTAKE_LETTER, plaintext, _context(programme_id, application_id), rng=rng
    )
    keys = {
        reader.user_id: seal_to(
            reader.x25519_public,
            SealedPurpose.INTAKE_LETTER_KEY,
            letter_key,
            _key_context(key_id(letter_key), programme_id, application_id, reader.user_id),
            rng=rng,
        )
        for reader in readers
    }
    return SealedLetter(letter, keys)


@refusing
def intake_letter_key_id(letter: bytes) -> bytes:
    reader = Reader(letter, TAG_SECRET_BOX)
    if reader.u8() != SecretPurpose.INTAKE_LETTER:
        raise refuse()
    return reader.raw(KEY_ID_BYTES)


@refusing
def open_intake_letter(
    letter: bytes, sealed_key: bytes, reader: Identity, *, programme_id: str, application_id: str
) -> bytes:
    letter_key_id = intake_letter_key_id(letter)
    letter_key = reader.open_sealed(
        sealed_key,
        SealedPurpose.INTAKE_LETTER_KEY,
        _key_context(letter_key_id, programme_id, application_id, reader.user_id),
    )
    if key_id(letter_key) != letter_key_id:
        raise refuse()
    plaintext = open_secret(letter, letter_key, SecretPurpose.INTAKE_LETTER, _context(programme_id, application_id))
    if not 0 < len(plaintext) <= MAX_LETTER_BYTES:
        raise refuse()
    return plaintext
