"""Signed grants (a key wrapped for one reader) and epoch records (keys chained back in time)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .boxes import SealedPurpose, SecretPurpose, seal_to, unwrap_key, wrap_key
from .encoding import Reader, Writer, check_id, check_resource_type
from .errors import refuse, refusing
from .fingerprints import FINGERPRINT_BYTES
from .identity import Identity, Person
from .primitives import KEY_BYTES, KEY_ID_BYTES, SIGNATURE_BYTES, Rng, draw, key_id, system_rng
from .primitives import verify as verify_signature

TAG_GRANT = 0x07
TAG_EPOCH_RECORD = 0x09
_NO_KEY_ID = bytes(KEY_ID_BYTES)


@dataclass(frozen=True)
class Grant:
    """The readable fields of a grant; the key itself stays sealed to the recipient."""

    resource_type: str
    resource_id: str
    epoch: int
    key_id: bytes
    recipient_id: str
    recipient_fingerprint: bytes
    granter_id: str
    granter_public: bytes

    def _header(self) -> bytes:
        return (
            Writer(TAG_GRANT)
            .str16(check_resource_type(self.resource_type))
            .str16(check_id(self.resource_id))
            .u32(self.epoch)
            .raw(self.key_id, KEY_ID_BYTES)
            .str16(check_id(self.recipient_id))
            .raw(self.recipient_fingerprint, FINGERPRINT_BYTES)
            .str16(check_id(self.granter_id))
            .raw(self.granter_public, 32)
            .getvalue()
        )


def _parse_grant(data: bytes) -> tuple[Grant, bytes, bytes, bytes, bytes]:
    reader = Reader(data, TAG_GRANT)
    grant = Grant(
        reader.resource_type(),
        reader.id16(),
        reader.u32(),
        reader.raw(KEY_ID_BYTES),
        reader.id16(),
        reader.raw(FINGERPRINT_BYTES),
        reader.id16(),
        reader.raw(32),
    )
    header = reader.consumed()
    box = reader.bytes16()
    signed = reader.consumed()
    signature = reader.raw(SIGNATURE_BYTES)
    reader.end()
    return grant, header, box, signed, signature


@refusing
def make_grant(
    granter: Identity,
    *,
    resource_type: str,
    resource_id: str,
    epoch: int,
    key: bytes,
    recipient: Person,
    rng: Rng = system_rng,
) -> bytes:
    """Wrap `key` for `recipient` and sign what was granted, to whom, by whom."""
    grant = Grant(
        resource_type,
        resource_id,
        epoch,
        key_id(key),
        recipient.user_id,
        recipient.fingerprint,
        granter.user_id,
        granter.person.ed25519_public,
    )
    header = grant._header()  # noqa: SLF001 - this module defines the grant and its header
    box = seal_to(recipient.x25519_public, SealedPurpose.GRANT_KEY, key, header, rng=rng)
    signed = Writer().raw(header).bytes16(box).getvalue()
    return signed + granter.sign("eportfolio/v1/sig/grant", signed)


@refusing
def read_grant(data: bytes) -> Grant:
    """Parse without opening or trusting (for the server, and to look up the granter)."""
    return _parse_grant(data)[0]


@refusing
def verify_grant(data: bytes, accepted_granters: Iterable[bytes]) -> Grant:
    """Check the signature against the Ed25519 keys the caller accepts as granters."""
    grant, _header, _box, signed, signature = _parse_grant(data)
    if grant.granter_public not in set(accepted_granters):
        raise refuse()
    verify_signature(grant.granter_public, "eportfolio/v1/sig/grant", signed, signature)
    return grant


def _matches(signed: object, expected: dict[str, object] | None) -> bool:
    """Whether every field the caller expects (resource, epoch) is what was signed."""
    return all(value is None or getattr(signed, name) == value for name, value in (expected or {}).items())


@refusing
def open_grant(
    data: bytes,
    recipient: Identity,
    accepted_granters: Iterable[bytes],
    expected: dict[str, object] | None = None,
) -> tuple[Grant, bytes]:
    """Accept a key only from a grant signed by an accepted granter, made out to her, and (when
    the caller says which: ``resource_type``, ``resource_id``, ``epoch``) for that resource and epoch."""
    grant = verify_grant(data, accepted_granters)
    _grant, header, box, _signed, _signature = _parse_grant(data)
    if (
        grant.recipient_id != recipient.user_id
        or grant.recipient_fingerprint != recipient.fingerprint
        or not _matches(grant, expected)
    ):
        raise refuse()
    key = recipient.open_sealed(box, SealedPurpose.GRANT_KEY, header)
    if key_id(key) != grant.key_id:
        raise refuse()
    return grant, key


@dataclass(frozen=True)
class EpochRecord:
    resource_type: str
    resource_id: str
    epoch: int
    key_id: bytes
    previous_key_id: bytes
    creator_id: str
    creator_public: bytes

    def _header(self) -> bytes:
        return (
            Writer(TAG_EPOCH_RECORD)
            .str16(check_resource_type(self.resource_type))
            .str16(check_id(self.resource_id))
            .u32(self.epoch)
            .raw(self.key_id, KEY_ID_BYTES)
            .raw(self.previous_key_id, KEY_ID_BYTES)
            .str16(check_id(self.creator_id))
            .raw(self.creator_public, 32)
            .getvalue()
        )


@dataclass(frozen=True)
class NewEpoch:
    key: bytes
    record: bytes

    @property
    @refusing
    def key_id(self) -> bytes:
        return key_id(self.key)


@refusing
def new_epoch(
    creator: Identity,
    *,
    resource_type: str,
    resource_id: str,
    epoch: int,
    previous_key: bytes | None,
    rng: Rng = system_rng,
) -> NewEpoch:
    """A fresh key for `epoch`, carrying the previous epoch's key (none for epoch 1)."""
    if epoch < 1 or (epoch == 1) != (previous_key is None):
        raise refuse()
    key = draw(rng, KEY_BYTES)
    record = EpochRecord(
        resource_type,
        resource_id,
        epoch,
        key_id(key),
        _NO_KEY_ID if previous_key is None else key_id(previous_key),
        creator.user_id,
        creator.person.ed25519_public,
    )
    header = record._header()  # noqa: SLF001 - this module defines the record and its header
    box = b"" if previous_key is None else wrap_key(key, SecretPurpose.EPOCH_CHAIN, previous_key, header, rng=rng)
    signed = Writer().raw(header).bytes16(box).getvalue()
    return NewEpoch(key, signed + creator.sign("eportfolio/v1/sig/epoch", signed))


def _parse_epoch(data: bytes) -> tuple[EpochRecord, bytes, bytes, bytes, bytes]:
    reader = Reader(data, TAG_EPOCH_RECORD)
    record = EpochRecord(
        reader.resource_type(),
        reader.id16(),
        reader.u32(),
        reader.raw(KEY_ID_BYTES),
        reader.raw(KEY_ID_BYTES),
        reader.id16(),
        reader.raw(32),
    )
    header = reader.consumed()
    box = reader.bytes16()
    signed = reader.consumed()
    signature = reader.raw(SIGNATURE_BYTES)
    reader.end()
    first = record.epoch == 1
    if record.epoch < 1 or first != (record.previous_key_id == _NO_KEY_ID) or first != (not box):
        raise refuse()
    return record, header, box, signed, signature


@refusing
def verify_epoch(
    data: bytes, accepted_creators: Iterable[bytes], expected: dict[str, object] | None = None
) -> EpochRecord:
    record, _header, _box, signed, signature = _parse_epoch(data)
    if record.creator_public not in set(accepted_creators) or not _matches(record, expected):
        raise refuse()
    verify_signature(record.creator_public, "eportfolio/v1/sig/epoch", signed, signature)
    return record


@refusing
def open_previous_key(
    data: bytes, key: bytes, accepted_creators: Iterable[bytes], expected: dict[str, object] | None = None
) -> bytes:
    """Walk one step back: with this epoch's key, get the previous epoch's key."""
    record = verify_epoch(data, accepted_creators, expected)
    _record, header, box, _signed, _signature = _parse_epoch(data)
    if record.epoch == 1 or key_id(key) != record.key_id:
        raise refuse()
    return unwrap_key(box, key, SecretPurpose.EPOCH_CHAIN, record.previous_key_id, header)
