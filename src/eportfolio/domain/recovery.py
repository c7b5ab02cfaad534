"""Recovery: the programme recovery key, her consent, recovery from a new device, coach-assisted
resets and her former public identities. Key structures travel as base64url text."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from eportfolio.domain.accounts import LoginName, Structure
from eportfolio.domain.common import DomainModel

Token = Annotated[str, StringConstraints(min_length=16, max_length=100)]


class OfficerCopy(DomainModel):
    holder_id: uuid.UUID
    sealed_copy: Structure


class RecoveryKeyCreate(DomainModel):
    """Made in a staff browser: the record signed with the programme key and a copy per officer."""

    signed_record: Structure
    copies: list[OfficerCopy] = Field(min_length=1, max_length=50)


class RecoveryKeyRead(DomainModel):
    programme_id: uuid.UUID
    x25519_public: str
    signed_record: str
    fingerprint: str
    holders: list[uuid.UUID]
    # The caller's own copy, when she holds one.
    sealed_copy: str | None = None


class OfficerRead(DomainModel):
    person_id: uuid.UUID
    display_name: str
    public_identity: str | None
    holds_key: bool


class ConsentCreate(DomainModel):
    sealed_user_key: Structure


class ConsentRead(DomainModel):
    programme_id: uuid.UUID
    consented: bool
    given_at: datetime | None = None
    has_recovery_key: bool


class RotationItemRead(DomainModel):
    """An item key wrapped under her user key (an "only me" or "chosen people" item)."""

    item_id: uuid.UUID
    portfolio_id: uuid.UUID
    # The item key's id: the wrap's context (docs/crypto-spec.md 4.1, purpose 0x05).
    key_id: str
    user_wrap: str


class PinnedKeysCopy(DomainModel):
    revision: int = Field(ge=1, le=2**53 - 1)
    record: Annotated[str, StringConstraints(min_length=4, max_length=200_000)]


class ConsentKeyRead(DomainModel):
    """A consent she has: the programme's signed recovery key record, to seal her new key to."""

    programme_id: uuid.UUID
    x25519_public: str
    signed_record: str


class RotationRead(DomainModel):
    """What her browser re-wraps when she gets a new user key (docs/crypto-spec.md 5.4)."""

    user_key_id: str
    key_bundle: str
    items: list[RotationItemRead]
    pinned_keys: PinnedKeysCopy | None
    consents: list[ConsentKeyRead]


class RewrappedItem(DomainModel):
    item_id: uuid.UUID
    user_wrap: Structure


class KeptConsent(DomainModel):
    programme_id: uuid.UUID
    sealed_user_key: Structure


class ConsentWithdrawal(DomainModel):
    """Withdrawing consent with a new user key, all in one request (docs/crypto-spec.md 5.4)."""

    old_user_key_id: Structure
    current_auth_proof: Structure
    key_bundle: Structure
    recovery_proof: Structure
    # True when she did not have her recovery code and her browser made a new one.
    new_recovery_code: bool = False
    items: list[RewrappedItem] = Field(default_factory=list, max_length=20_000)
    pinned_keys: PinnedKeysCopy | None = None
    kept_consents: list[KeptConsent] = Field(default_factory=list, max_length=50)


class DeviceRequestCreate(DomainModel):
    login: LoginName
    device_public: Structure


class DeviceRequestStarted(DomainModel):
    request_id: uuid.UUID
    token: str
    # The user id the device fingerprint is computed over (made up for an unknown login).
    person_id: uuid.UUID
    fingerprint: str
    fingerprint_qr: str


class DeviceTokenRequest(DomainModel):
    token: Token


class DeviceRequestState(DomainModel):
    ready: bool
    login: str | None = None
    person_id: uuid.UUID | None = None
    key_bundle: str | None = None
    sealed_user_key: str | None = None


class DeviceRecoveryComplete(DomainModel):
    token: Token
    key_bundle: Structure
    auth_proof: Structure


class PendingRecoveryRead(DomainModel):
    """What an officer sees of a request from a new device (for a participant who consented)."""

    request_id: uuid.UUID
    person_id: uuid.UUID
    display_name: str
    device_public: str
    created_at: datetime
    sealed_user_key: str
    user_key_id: str


class ResealRequest(DomainModel):
    sealed_user_key: Structure
    identity_checked: bool


class AccountResetCreated(DomainModel):
    reset_id: uuid.UUID
    code: str
    expires_at: datetime


class AccountResetPreview(DomainModel):
    person_id: uuid.UUID
    login: str
    display_name: str


class AccountResetComplete(DomainModel):
    code: Token
    understood_only_me_lost: bool
    key_bundle: Structure
    public_identity: Structure
    auth_proof: Structure
    recovery_proof: Structure


class FormerIdentityRead(DomainModel):
    public_identity: str
    fingerprint: str
    superseded_at: datetime
    reason: str
    replaced_by: uuid.UUID | None
    vouched_by: uuid.UUID | None
    vouch: str | None = None


class VouchCreate(DomainModel):
    """The coach's signed vouch for her new key (docs/crypto-spec.md 9.1)."""

    vouch: Structure


class NoticeRead(DomainModel):
    id: uuid.UUID
    kind: str
    recovered_at: datetime
