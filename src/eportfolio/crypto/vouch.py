"""A coach's signed word that he checked her new key in person (coach-assisted recovery)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .encoding import Reader, Writer, check_id
from .errors import refuse, refusing
from .fingerprints import FINGERPRINT_BYTES
from .identity import Identity, Person
from .primitives import SIGNATURE_BYTES, verify

TAG_VOUCH = 0x0E
LABEL = "eportfolio/v1/sig/vouch"


@dataclass(frozen=True)
class Vouch:
    subject_id: str
    former_fingerprint: bytes
    new_fingerprint: bytes
    vouched_at: int
    voucher_id: str
    voucher_public: bytes


def _parse(data: bytes) -> tuple[Vouch, bytes, bytes]:
    reader = Reader(data, TAG_VOUCH)
    vouch = Vouch(
        subject_id=reader.id16(),
        former_fingerprint=reader.raw(FINGERPRINT_BYTES),
        new_fingerprint=reader.raw(FINGERPRINT_BYTES),
        vouched_at=reader.u64(),
        voucher_id=reader.id16(),
        voucher_public=reader.raw(32),
    )
    signed = reader.consumed()
    signature = reader.raw(SIGNATURE_BYTES)
    reader.end()
    if vouch.former_fingerprint == vouch.new_fingerprint or vouch.voucher_id == vouch.subject_id:
        raise refuse()
    return vouch, signed, signature


@refusing
def make_vouch(voucher: Identity, *, subject: Person, former: Person, vouched_at: int) -> bytes:
    """Signed by the coach who compared her new fingerprint (`subject`) with her in person; `former`
    is the key she held before, so a browser that pinned that one can follow the change."""
    if subject.user_id != former.user_id:
        raise refuse()
    signed = (
        Writer(TAG_VOUCH)
        .str16(check_id(subject.user_id))
        .raw(former.fingerprint, FINGERPRINT_BYTES)
        .raw(subject.fingerprint, FINGERPRINT_BYTES)
        .u64(vouched_at)
        .str16(check_id(voucher.user_id))
        .raw(voucher.person.ed25519_public, 32)
        .getvalue()
    )
    _parse(signed + bytes(SIGNATURE_BYTES))  # the same checks a reader makes
    return signed + voucher.sign(LABEL, signed)


@refusing
def read_vouch(data: bytes) -> Vouch:
    """The fields, no trust implied."""
    return _parse(data)[0]


@refusing
def verify_vouch(data: bytes, accepted_vouchers: Iterable[bytes]) -> Vouch:
    """Check the signature against the Ed25519 keys the caller accepts as vouchers."""
    vouch, signed, signature = _parse(data)
    if vouch.voucher_public not in set(accepted_vouchers):
        raise refuse()
    verify(vouch.voucher_public, LABEL, signed, signature)
    return vouch
