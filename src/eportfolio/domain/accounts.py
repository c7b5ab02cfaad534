"""Accounts and trust: what sign-up, login, recovery and the key endpoints exchange.

Every key structure travels as base64url text (docs/crypto-spec.md 1); the services decode and
check it, so a malformed structure gets a clear 422 naming the field.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from eportfolio.domain.common import DomainModel, LanguageCode, ReadModel
from eportfolio.domain.people import CoachAssignmentCreate, CoachAssignmentRead, CoachKind, Role

# Generous bounds: a KeyBundle is about 390 bytes, a certificate about 250, a sealed box 99.
Structure = Annotated[str, StringConstraints(min_length=1, max_length=4096)]
LoginName = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class PreloginRequest(DomainModel):
    login: LoginName


class PreloginRead(DomainModel):
    kdf_params: str


class LoginRequest(DomainModel):
    login: LoginName
    auth_proof: Structure


class OrganisationKeyCreate(DomainModel):
    ed25519_public: Structure
    # The private half sealed to her own X25519 key (SealedBox purpose 0x04).
    sealed_copy: Structure


class SignUpRequest(DomainModel):
    invitation_code: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    login: LoginName
    key_bundle: Structure
    public_identity: Structure
    auth_proof: Structure
    recovery_proof: Structure
    # Only for the first organisation admin: her browser makes the organisation key.
    organisation_key: OrganisationKeyCreate | None = None


class SessionStarted(DomainModel):
    """What the browser gets after login or sign-up: her wrapped keys and who she is."""

    person_id: uuid.UUID
    organisation_id: uuid.UUID
    login: str
    display_name: str
    key_bundle: str
    public_identity: str


class PasswordChangeRequest(DomainModel):
    current_auth_proof: Structure
    key_bundle: Structure
    auth_proof: Structure


class RecoveryCodeChange(DomainModel):
    """A new recovery code made in her browser: the bundle with its new recovery copy, and its proof."""

    current_auth_proof: Structure
    key_bundle: Structure
    recovery_proof: Structure


class RecoveryStartRequest(DomainModel):
    login: LoginName
    recovery_proof: Structure


class RecoveryBundleRead(DomainModel):
    person_id: uuid.UUID
    login: str
    key_bundle: str


class RecoveryCompleteRequest(DomainModel):
    login: LoginName
    recovery_proof: Structure
    key_bundle: Structure
    auth_proof: Structure


class InvitationCreate(DomainModel):
    person_id: uuid.UUID
    role: Role


class AdminInvitationCreate(DomainModel):
    """Invite an organisation administrator: a person of the organisation, or a new person by name."""

    person_id: uuid.UUID | None = None
    display_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)] | None = None


class InvitationRead(ReadModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    programme_id: uuid.UUID | None
    person_id: uuid.UUID
    role: Role
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None


class InvitationCreated(DomainModel):
    """The code exists only in this answer: the server keeps a hash of it."""

    invitation: InvitationRead
    code: str
    organisation_fingerprint: str | None


class InvitationPreview(DomainModel):
    """What the sign-up page shows and checks before she chooses a login name."""

    person_id: uuid.UUID
    display_name: str
    organisation_id: uuid.UUID
    organisation_name: str
    programme_id: uuid.UUID | None
    programme_name: str | None
    role: Role
    expires_at: datetime
    organisation_key: str | None
    organisation_fingerprint: str | None


class SessionRead(DomainModel):
    id: uuid.UUID
    created_at: datetime
    last_seen_at: datetime
    user_agent: str
    current: bool


class AccountRead(DomainModel):
    person_id: uuid.UUID
    login: str
    display_name: str
    language: str
    fingerprint: str
    fingerprint_qr: str


class LanguageUpdate(DomainModel):
    language: LanguageCode


class SigningKeyRead(DomainModel):
    """An organisation or programme key; ``sealed_copy`` is hers when she holds the key."""

    subject_id: uuid.UUID
    ed25519_public: str
    fingerprint: str
    certificate: str | None = None
    sealed_copy: str | None = None
    holders: list[uuid.UUID] = Field(default_factory=list)


class ProgrammeKeyCreate(DomainModel):
    ed25519_public: Structure
    certificate: Structure
    sealed_copy: Structure


class KeyCopyCreate(DomainModel):
    holder_id: uuid.UUID
    sealed_copy: Structure


class OrganisationAdminRead(DomainModel):
    person_id: uuid.UUID
    display_name: str
    has_account: bool
    holds_key: bool


class AdminInvitationChoices(DomainModel):
    """The administrators, the staff who could become one, and the admin invitations not used yet."""

    admins: list[OrganisationAdminRead]
    candidates: list[OrganisationAdminRead]
    pending: list[InvitationRead]
    names: dict[uuid.UUID, str]
    # Staff who have an account already: made administrator at once, no invitation needed.
    promotable: list[OrganisationAdminRead] = []


class PublicIdentityRead(DomainModel):
    person_id: uuid.UUID
    display_name: str
    public_identity: str
    fingerprint: str


class SignatureStatus(StrEnum):
    signed = "signed"
    unsigned = "unsigned"
    invalid = "invalid"
    # Signed, but the record does not carry the end date the assignment now has (ended without the key).
    outdated = "outdated"
    # Signed by the coach it names (staff who assigned themselves): it gives no access until
    # another staff member or an organisation administrator signs it too.
    awaiting_second_signature = "awaiting_second_signature"


class AssignmentTrustRead(DomainModel):
    assignment_id: uuid.UUID
    participant_id: uuid.UUID
    coach_id: uuid.UUID
    status: SignatureStatus


class AssignmentFacts(DomainModel):
    """What a signed coach assignment record must say (docs/crypto-spec.md 8, kind 0x01)."""

    participant_id: uuid.UUID
    coach_id: uuid.UUID
    kind: CoachKind
    starts_on: date
    ends_on: date | None

    @classmethod
    def of(cls, assignment: CoachAssignmentRead | CoachAssignmentCreate) -> AssignmentFacts:
        """The facts a record for this assignment (as asked for, or as stored) must carry."""
        return cls(
            participant_id=assignment.participant_id,
            coach_id=assignment.coach_id,
            kind=assignment.kind,
            starts_on=assignment.starts_on,
            ends_on=assignment.ends_on,
        )


class AssignmentSigningRead(DomainModel):
    """Whether the programme has a certified key, whether she holds it, and the next serial."""

    has_key: bool
    holds_key: bool
    next_serial: int
