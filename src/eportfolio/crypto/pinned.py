"""The pinned-keys record: the public keys she accepted, encrypted and signed under her keys."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

from .boxes import SecretPurpose, open_secret, seal_secret
from .encoding import Reader, Writer, check_id
from .errors import refuse, refusing
from .fingerprints import FingerprintKind, check_key_material, fingerprint
from .identity import Identity
from .primitives import SIGNATURE_BYTES, Rng, system_rng, verify

TAG_PINNED_KEYS = 0x0A


@dataclass(frozen=True)
class PinnedKey:
    kind: FingerprintKind
    subject_id: str
    key_material: bytes
    confirmed: bool

    @property
    @refusing
    def fingerprint(self) -> bytes:
        return fingerprint(self.kind, self.subject_id, self.key_material)

    def sort_key(self) -> tuple[int, bytes]:
        return (int(self.kind), self.subject_id.encode("utf-8"))


def _context(revision: int, owner_public: bytes) -> bytes:
    return Writer(TAG_PINNED_KEYS).u64(revision).raw(owner_public, 32).getvalue()


def _body(entries: Iterable[PinnedKey]) -> bytes:
    ordered = sorted(entries, key=PinnedKey.sort_key)
    _check_order(ordered)
    writer = Writer().u16(len(ordered))
    for entry in ordered:
        check_key_material(FingerprintKind(entry.kind), entry.key_material)
        writer.u8(entry.kind).str16(check_id(entry.subject_id)).bytes16(entry.key_material)
        writer.u8(1 if entry.confirmed else 0)
    return writer.getvalue()


def _check_order(entries: list[PinnedKey]) -> None:
    keys = [entry.sort_key() for entry in entries]
    if any(a >= b for a, b in pairwise(keys)):
        raise refuse()


def _read_body(data: bytes) -> tuple[PinnedKey, ...]:
    reader = Reader(data)
    entries = []
    for _ in range(reader.u16()):
        kind = FingerprintKind(reader.u8())
        subject, material, confirmed = reader.id16(), reader.bytes16(), reader.u8()
        check_key_material(kind, material)
        if confirmed not in (0, 1):
            raise refuse()
        entries.append(PinnedKey(kind, subject, material, confirmed == 1))
    reader.end()
    _check_order(entries)
    return tuple(entries)


@refusing
def seal_pinned_keys(owner: Identity, revision: int, entries: Iterable[PinnedKey], *, rng: Rng = system_rng) -> bytes:
    owner_public = owner.person.ed25519_public
    box = seal_secret(
        owner.user_key,
        SecretPurpose.PINNED_KEYS,
        _body(entries),
        _context(revision, owner_public),
        rng=rng,
    )
    signed = Writer(TAG_PINNED_KEYS).u64(revision).bytes16(box).getvalue()
    return signed + owner.sign("eportfolio/v1/sig/pinned-keys", signed)


@refusing
def open_pinned_keys(owner: Identity, data: bytes, *, min_revision: int = 0) -> tuple[int, tuple[PinnedKey, ...]]:
    """Her pinned keys; refuses a record older than the one she has already seen."""
    reader = Reader(data, TAG_PINNED_KEYS)
    revision = reader.u64()
    box = reader.bytes16()
    signed = reader.consumed()
    signature = reader.raw(SIGNATURE_BYTES)
    reader.end()
    owner_public = owner.person.ed25519_public
    verify(owner_public, "eportfolio/v1/sig/pinned-keys", signed, signature)
    if revision < min_revision:
        raise refuse()
    body = open_secret(box, owner.user_key, SecretPurpose.PINNED_KEYS, _context(revision, owner_public))
    return revision, _read_body(body)
