"""The group membership record (kind 0x05), the Python twin of js/crypto/records.js: it carries
the group, each member by id, key fingerprint and role, and verifies only as what it was signed as."""

from __future__ import annotations

import pytest

from eportfolio import crypto as c
from eportfolio.crypto.encoding import Writer

COMMON = {"organisation_id": "org-1", "programme_id": "programme-a", "signed_by": "staff-1", "issued_at": 1767225600}


def _body() -> c.GroupMembership:
    return c.GroupMembership(
        "group-1",
        1767225600,
        1767830400,
        (
            c.GroupEntry("ann", bytes(range(15)), c.GroupRole.PARTICIPANT),
            c.GroupEntry("trainer", bytes(range(16, 31)), c.GroupRole.TRAINER),
        ),
    )


def test_a_signed_group_record_reads_back_as_signed() -> None:
    key = c.SigningKey.generate()
    data = key.sign_record(_body(), serial=4, **COMMON)
    record = c.verify_record(data, key.public, c.RecordKind.GROUP_MEMBERSHIP)
    assert record.body == _body()
    assert (record.programme_id, record.serial, record.signed_by) == ("programme-a", 4, "staff-1")


def test_a_group_record_is_refused_under_another_key_kind_or_with_a_changed_byte() -> None:
    key = c.SigningKey.generate()
    data = key.sign_record(_body(), serial=4, **COMMON)
    with pytest.raises(c.CryptoError):
        c.verify_record(data, c.SigningKey.generate().public, c.RecordKind.GROUP_MEMBERSHIP)
    with pytest.raises(c.CryptoError):
        c.verify_record(data, key.public, c.RecordKind.DUTY_ROSTER)
    for at in (3, len(data) // 2, len(data) - 80):
        changed = bytearray(data)
        changed[at] ^= 1
        with pytest.raises(c.CryptoError):
            c.verify_record(bytes(changed), key.public, c.RecordKind.GROUP_MEMBERSHIP)


class _Raw:
    """A body as raw bytes, to sign what no honest browser would write."""

    kind = c.RecordKind.GROUP_MEMBERSHIP

    def __init__(self, data: bytes) -> None:
        self.data = data

    def to_bytes(self) -> bytes:
        return self.data


def test_a_role_outside_participant_and_trainer_is_refused_even_when_signed() -> None:
    key = c.SigningKey.generate()
    good = Writer().str16("group-1").u64(1).u64(0).u16(1).str16("ann").raw(bytes(15), 15)
    data = key.sign_record(_Raw(good.u8(2).getvalue()), serial=1, **COMMON)  # type: ignore[arg-type]  # raw bytes on purpose, to sign a body the reader must check
    assert c.verify_record(data, key.public, c.RecordKind.GROUP_MEMBERSHIP).body.members[0].role is c.GroupRole.TRAINER  # type: ignore[union-attr]  # a group membership record, which has members
    bad = Writer().str16("group-1").u64(1).u64(0).u16(1).str16("ann").raw(bytes(15), 15).u8(3).getvalue()
    data = key.sign_record(_Raw(bad), serial=1, **COMMON)  # type: ignore[arg-type]  # raw bytes on purpose, to sign a body the reader must check
    with pytest.raises(c.CryptoError):
        c.verify_record(data, key.public, c.RecordKind.GROUP_MEMBERSHIP)
    short = Writer().str16("group-1").u64(1).u64(0).u16(2).str16("ann").raw(bytes(15), 15).u8(1).getvalue()
    data = key.sign_record(_Raw(short), serial=1, **COMMON)  # type: ignore[arg-type]  # raw bytes on purpose, to sign a body the reader must check
    with pytest.raises(c.CryptoError):
        c.verify_record(data, key.public, c.RecordKind.GROUP_MEMBERSHIP)
