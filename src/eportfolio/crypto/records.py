"""Signed records (coach assignments, duty roster, group membership, intake team, programme keys) and the keys
that sign them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import IntEnum

from .boxes import SealedPurpose, open_sealed, seal_to
from .encoding import Reader, Writer, check_id, lp
from .errors import refuse, refusing
from .fingerprints import FINGERPRINT_BYTES, FingerprintKind, fingerprint
from .identity import Identity, Person
from .primitives import (
    KEY_BYTES,
    SIGNATURE_BYTES,
    Rng,
    draw,
    ed25519_public,
    key_id,
    sha256,
    sign,
    system_rng,
    verify,
    x25519_public,
)

TAG_SIGNED_RECORD = 0x08


class RecordKind(IntEnum):
    COACH_ASSIGNMENT = 0x01
    DUTY_ROSTER = 0x02
    PROGRAMME_RECOVERY_KEY = 0x03
    PROGRAMME_KEY_CERTIFICATE = 0x04
    GROUP_MEMBERSHIP = 0x05
    INTAKE_TEAM = 0x06


class CoachRole(IntEnum):
    INDIVIDUAL = 0x01
    BUDGET = 0x02
    WORK = 0x03
    SUPERVISOR = 0x04


class Duty(IntEnum):
    COACH = 0x01
    SUPERVISOR = 0x02


class GroupRole(IntEnum):
    PARTICIPANT = 0x01
    TRAINER = 0x02  # the group's trainer or coach


@dataclass(frozen=True)
class CoachAssignment:
    participant_id: str
    coach_id: str
    coach_fingerprint: bytes
    role: CoachRole
    valid_from: int
    valid_until: int

    kind = RecordKind.COACH_ASSIGNMENT

    def to_bytes(self) -> bytes:
        return (
            Writer()
            .str16(check_id(self.participant_id))
            .str16(check_id(self.coach_id))
            .raw(self.coach_fingerprint, FINGERPRINT_BYTES)
            .u8(CoachRole(self.role))
            .u64(self.valid_from)
            .u64(self.valid_until)
            .getvalue()
        )

    @classmethod
    def read(cls, reader: Reader) -> CoachAssignment:
        return cls(
            reader.id16(),
            reader.id16(),
            reader.raw(FINGERPRINT_BYTES),
            CoachRole(reader.u8()),
            reader.u64(),
            reader.u64(),
        )


@dataclass(frozen=True)
class RosterEntry:
    person_id: str
    fingerprint: bytes
    duty: Duty
    start: int
    until: int


@dataclass(frozen=True)
class DutyRoster:
    valid_from: int
    valid_until: int
    entries: tuple[RosterEntry, ...]

    kind = RecordKind.DUTY_ROSTER

    def to_bytes(self) -> bytes:
        writer = Writer().u64(self.valid_from).u64(self.valid_until).u16(len(self.entries))
        for entry in self.entries:
            writer.str16(check_id(entry.person_id)).raw(entry.fingerprint, FINGERPRINT_BYTES)
            writer.u8(Duty(entry.duty)).u64(entry.start).u64(entry.until)
        return writer.getvalue()

    @classmethod
    def read(cls, reader: Reader) -> DutyRoster:
        valid_from, valid_until, count = reader.u64(), reader.u64(), reader.u16()
        entries = tuple(
            RosterEntry(
                reader.id16(),
                reader.raw(FINGERPRINT_BYTES),
                Duty(reader.u8()),
                reader.u64(),
                reader.u64(),
            )
            for _ in range(count)
        )
        return cls(valid_from, valid_until, entries)


@dataclass(frozen=True)
class GroupEntry:
    person_id: str
    fingerprint: bytes
    role: GroupRole


@dataclass(frozen=True)
class GroupMembership:
    """Who is in a group (and so reads its conversation), each by the key she has, made by staff."""

    group_id: str
    valid_from: int
    valid_until: int
    members: tuple[GroupEntry, ...]

    kind = RecordKind.GROUP_MEMBERSHIP

    def to_bytes(self) -> bytes:
        writer = Writer().str16(check_id(self.group_id)).u64(self.valid_from).u64(self.valid_until)
        writer.u16(len(self.members))
        for member in self.members:
            writer.str16(check_id(member.person_id)).raw(member.fingerprint, FINGERPRINT_BYTES)
            writer.u8(GroupRole(member.role))
        return writer.getvalue()

    @classmethod
    def read(cls, reader: Reader) -> GroupMembership:
        group_id, valid_from, valid_until, count = reader.id16(), reader.u64(), reader.u64(), reader.u16()
        members = tuple(
            GroupEntry(reader.id16(), reader.raw(FINGERPRINT_BYTES), GroupRole(reader.u8())) for _ in range(count)
        )
        return cls(group_id, valid_from, valid_until, members)


@dataclass(frozen=True)
class IntakeReader:
    person_id: str
    fingerprint: bytes


@dataclass(frozen=True)
class IntakeTeam:
    """The staff who may read applications to a programme, each by the key she has, made by staff.

    An applicant's browser seals her letter to exactly these readers (docs/intake.md)."""

    valid_from: int
    valid_until: int
    readers: tuple[IntakeReader, ...]

    kind = RecordKind.INTAKE_TEAM

    def to_bytes(self) -> bytes:
        writer = Writer().u64(self.valid_from).u64(self.valid_until).u16(len(self.readers))
        for reader in self.readers:
            writer.str16(check_id(reader.person_id)).raw(reader.fingerprint, FINGERPRINT_BYTES)
        return writer.getvalue()

    @classmethod
    def read(cls, reader: Reader) -> IntakeTeam:
        valid_from, valid_until, count = reader.u64(), reader.u64(), reader.u16()
        readers = tuple(IntakeReader(reader.id16(), reader.raw(FINGERPRINT_BYTES)) for _ in range(count))
        return cls(valid_from, valid_until, readers)


@dataclass(frozen=True)
class ProgrammeRecoveryKeyRecord:
    x25519_public: bytes

    kind = RecordKind.PROGRAMME_RECOVERY_KEY

    def to_bytes(self) -> bytes:
        return Writer().raw(self.x25519_public, 32).getvalue()

    @classmethod
    def read(cls, reader: Reader) -> ProgrammeRecoveryKeyRecord:
        return cls(reader.raw(32))


@dataclass(frozen=True)
class ProgrammeKeyCertificate:
    ed25519_public: bytes

    kind = RecordKind.PROGRAMME_KEY_CERTIFICATE

    def to_bytes(self) -> bytes:
        return Writer().raw(self.ed25519_public, 32).getvalue()

    @classmethod
    def read(cls, reader: Reader) -> ProgrammeKeyCertificate:
        return cls(reader.raw(32))


RecordBody = (
    CoachAssignment | DutyRoster | ProgrammeRecoveryKeyRecord | ProgrammeKeyCertificate | GroupMembership | IntakeTeam
)
_BODIES: dict[RecordKind, type[RecordBody]] = {
    RecordKind.COACH_ASSIGNMENT: CoachAssignment,
    RecordKind.DUTY_ROSTER: DutyRoster,
    RecordKind.PROGRAMME_RECOVERY_KEY: ProgrammeRecoveryKeyRecord,
    RecordKind.PROGRAMME_KEY_CERTIFICATE: ProgrammeKeyCertificate,
    RecordKind.GROUP_MEMBERSHIP: GroupMembership,
    RecordKind.INTAKE_TEAM: IntakeTeam,
}


@dataclass(frozen=True)
class SignedRecord:
    organisation_id: str
    programme_id: str
    serial: int
    issued_at: int
    signed_by: str
    signer_public: bytes
    body: RecordBody


class SigningKey:
    """An organisation or programme Ed25519 key, held by staff whose browsers sign records."""

    @refusing
    def __init__(self, seed: bytes) -> None:
        if len(seed) != KEY_BYTES:
            raise refuse()
        self._seed = seed
        self.public = ed25519_public(seed)

    @classmethod
    @refusing
    def generate(cls, *, rng: Rng = system_rng) -> SigningKey:
        return cls(draw(rng, KEY_BYTES))

    @refusing
    def fingerprint(self, kind: FingerprintKind, subject_id: str) -> bytes:
        return fingerprint(kind, subject_id, self.public)

    @refusing
    def seal_for(self, member: Person, *, rng: Rng = system_rng) -> bytes:
        """Wrap the private half for another staff member (or admin)."""
        return seal_to(member.x25519_public, SealedPurpose.SIGNING_KEY, self._seed, self.public, rng=rng)

    @classmethod
    @refusing
    def open(cls, box: bytes, holder: Identity, public: bytes) -> SigningKey:
        key = cls(holder.open_sealed(box, SealedPurpose.SIGNING_KEY, public))
        if key.public != public:
            raise refuse()
        return key

    @refusing
    def sign_record(
        self,
        body: RecordBody,
        *,
        organisation_id: str,
        programme_id: str,
        serial: int,
        issued_at: int,
        signed_by: str,
    ) -> bytes:
        signed = (
            Writer(TAG_SIGNED_RECORD)
            .u8(body.kind)
            .str16(check_id(organisation_id))
            .str16(check_id(programme_id))
            .u64(serial)
            .u64(issued_at)
            .str16(check_id(signed_by))
            .raw(self.public, 32)
            .bytes32(body.to_bytes())
            .getvalue()
        )
        return signed + sign(self._seed, "eportfolio/v1/sig/record", signed)


@refusing
def verify_record(data: bytes, signer_public: bytes, kind: RecordKind) -> SignedRecord:
    """Parse and check a record of the expected kind signed by the expected key."""
    reader = Reader(data, TAG_SIGNED_RECORD)
    if reader.u8() != kind:
        raise refuse()
    fields = (reader.id16(), reader.id16(), reader.u64(), reader.u64(), reader.id16())
    public = reader.raw(32)
    body_reader = Reader(reader.bytes32())
    body = _BODIES[RecordKind(kind)].read(body_reader)
    body_reader.end()
    signed = reader.consumed()
    signature = reader.raw(SIGNATURE_BYTES)
    reader.end()
    if public != signer_public:
        raise refuse()
    verify(public, "eportfolio/v1/sig/record", signed, signature)
    return SignedRecord(*fields, public, body)


@refusing
def verify_programme_key(certificate: bytes, organisation_public: bytes, programme_id: str) -> bytes:
    """Organisation key -> certificate -> the programme's signing key."""
    record = verify_record(certificate, organisation_public, RecordKind.PROGRAMME_KEY_CERTIFICATE)
    if record.programme_id != programme_id or not isinstance(record.body, ProgrammeKeyCertificate):
        raise refuse()
    return record.body.ed25519_public


class ProgrammeRecoveryKey:
    """The X25519 key that programme recovery copies are sealed to; held by recovery officers."""

    @refusing
    def __init__(self, private: bytes) -> None:
        if len(private) != KEY_BYTES:
            raise refuse()
        self._private = private
        self.public = x25519_public(private)

    @classmethod
    @refusing
    def generate(cls, *, rng: Rng = system_rng) -> ProgrammeRecoveryKey:
        return cls(draw(rng, KEY_BYTES))

    @refusing
    def seal_for(self, officer: Person, *, rng: Rng = system_rng) -> bytes:
        return seal_to(
            officer.x25519_public,
            SealedPurpose.RECOVERY_OFFICER_KEY,
            self._private,
            self.public,
            rng=rng,
        )

    @classmethod
    @refusing
    def open(cls, box: bytes, officer: Identity, public: bytes) -> ProgrammeRecoveryKey:
        key = cls(officer.open_sealed(box, SealedPurpose.RECOVERY_OFFICER_KEY, public))
        if key.public != public:
            raise refuse()
        return key

    @refusing
    def reseal_to_device(
        self,
        recovery_copy: bytes,
        *,
        user_id: str,
        user_key_id: bytes,
        device_public: bytes,
        rng: Rng = system_rng,
    ) -> bytes:
        """After checking her identity in person: her user key, to her new device's key."""
        context = Writer().raw(user_key_id, 16).str16(check_id(user_id)).getvalue()
        user_key = open_sealed(recovery_copy, self._private, SealedPurpose.PROGRAMME_RECOVERY, context)
        if key_id(user_key) != user_key_id:
            raise refuse()
        return seal_to(device_public, SealedPurpose.RECOVERY_DEVICE, user_key, context, rng=rng)


CONVERSATION_KINDS = ("coaching", "group", "supervision")


@refusing
def conversation_id(kind: str, programme_id: str, subject_id: str) -> str:
    """The one id a conversation of this kind about this subject may have (docs/crypto-spec.md 8):
    a UUID (version 8) from SHA-256 over kind, programme and subject (her id in a coaching
    conversation, the group's, the coach's in a supervision conversation), so a browser knows what
    a conversation is, whatever the server says. Random ids are version 4: no derived id is one.
    """
    if kind not in CONVERSATION_KINDS:
        raise refuse()
    digest = bytearray(
        sha256(
            lp(b"eportfolio/v1/conversation")
            + lp(kind.encode("ascii"))
            + lp(check_id(programme_id).encode("utf-8"))
            + lp(check_id(subject_id).encode("utf-8"))
        )[:16]
    )
    digest[6] = (digest[6] & 0x0F) | 0x80
    digest[8] = (digest[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(digest)))
