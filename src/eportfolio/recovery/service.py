"""Use cases of the recovery feature (CRYPTO.md "Recovery: she never loses her portfolio").

Programme recovery: a staff browser makes the programme recovery key, signs its public half with
the programme key and seals the private half to each recovery officer; with her consent her
browser seals her user key to it; on a new device an officer who checked her identity in person
re-seals her user key to the device key and she sets a new password. Coach-assisted recovery:
staff hand her a one-time reset code, her browser makes new keys, and her coach grants her the
portfolio keys again (portfolio feature). The server checks shapes, roles and signatures it can;
it never sees a key it could open.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta

from eportfolio import crypto
from eportfolio.accounts import service as accounts
from eportfolio.accounts import sessions
from eportfolio.config import Settings
from eportfolio.crypto.primitives import verify as verify_signature
from eportfolio.domain.people import MANAGING_ROLES, Role
from eportfolio.domain.recovery import (
    AccountResetComplete,
    AccountResetCreated,
    AccountResetPreview,
    ConsentCreate,
    ConsentKeyRead,
    ConsentRead,
    ConsentWithdrawal,
    DeviceRecoveryComplete,
    DeviceRequestCreate,
    DeviceRequestStarted,
    DeviceRequestState,
    FormerIdentityRead,
    NoticeRead,
    OfficerCopy,
    OfficerRead,
    PendingRecoveryRead,
    PinnedKeysCopy,
    RecoveryKeyCreate,
    RecoveryKeyRead,
    ResealRequest,
    RotationItemRead,
    RotationRead,
    VouchCreate,
)
from eportfolio.kit.audit import Action, personal_data, record_access
from eportfolio.kit.auth import Caller
from eportfolio.kit.clock import utcnow
from eportfolio.kit.errors import N_, Conflict, Forbidden, Gone, InvalidInput, NotFound
from eportfolio.kit.uow import UnitOfWork
from eportfolio.programmes import service as programmes
from eportfolio.recovery.repository import RecoveryRepository
from eportfolio.recovery.tables import (
    AccountReset,
    DeviceRequest,
    FormerIdentity,
    ProgrammeRecoveryKey,
    RecoveryConsent,
    RecoveryNotice,
    RecoveryOfficerCopy,
)
from eportfolio.trust import service as trust

DEVICE_REQUEST_HOURS = 24
RESET_CODE_DAYS = 3
RESET_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

# SealedBox (docs/crypto-spec.md 4.2): version, tag, purpose, 32-byte ephemeral key, 32 + 16 bytes.
_SEALED_KEY_BYTES = 83
PURPOSE_PROGRAMME_RECOVERY = 0x02
PURPOSE_RECOVERY_DEVICE = 0x03
PURPOSE_RECOVERY_OFFICER = 0x05

NOTICE_PROGRAMME = "programme"
NOTICE_RESET = "coach_assisted"


# Checking what browsers send ---------------------------------------------------------------


def _decode(value: str, field: str) -> bytes:
    try:
        return crypto.b64u_decode(value)
    except crypto.CryptoError:
        raise InvalidInput(N_("This is not valid base64url."), field=field) from None


def _bad(field: str) -> InvalidInput:
    return InvalidInput(N_("This key structure is malformed or does not fit; nothing was saved."), field=field)


def _sealed_key(value: str, purpose: int, field: str) -> bytes:
    box = _decode(value, field)
    if len(box) != _SEALED_KEY_BYTES or box[:3] != bytes([0x01, 0x03, purpose]):
        raise _bad(field)
    return box


def _hash(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def _fingerprint(kind: crypto.FingerprintKind, subject: uuid.UUID, public: bytes) -> bytes:
    return crypto.fingerprint(kind, str(subject), public)


# The programme recovery key ----------------------------------------------------------------


async def _programme_public(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> bytes:
    """The programme key, checked against its certificate and the organisation key."""
    try:
        organisation = await trust.organisation_key(uow, caller)
        programme = await trust.programme_key(uow, caller, programme_id)
    except NotFound:
        raise Conflict(N_("This programme has no key yet; make the programme key first.")) from None
    assert programme.certificate is not None
    try:
        return crypto.verify_programme_key(
            crypto.b64u_decode(programme.certificate), crypto.b64u_decode(organisation.ed25519_public),
            str(programme_id),
        )
    except crypto.CryptoError:
        raise Conflict(N_("This programme's key does not check out; ask an administrator.")) from None


def _key_read(row: ProgrammeRecoveryKey, copies: list[RecoveryOfficerCopy], caller: Caller) -> RecoveryKeyRead:
    mine = next((c for c in copies if c.holder_id == caller.person_id), None)
    return RecoveryKeyRead(
        programme_id=row.programme_id,
        x25519_public=crypto.b64u_encode(row.x25519_public),
        signed_record=crypto.b64u_encode(row.signed_record),
        fingerprint=crypto.fingerprint_text(
            _fingerprint(crypto.FingerprintKind.PROGRAMME_RECOVERY_KEY, row.programme_id, row.x25519_public)
        ),
        holders=[c.holder_id for c in copies],
        sealed_copy=crypto.b64u_encode(mine.sealed_box) if mine else None,
    )


async def recovery_key(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> RecoveryKeyRead:
    """The signed recovery key record (every member checks it) and the caller's own copy, if any."""
    access = await programmes.authorize(uow, caller, programme_id, Role)
    repo = RecoveryRepository(uow.session)
    row = await repo.recovery_key(access.scope.organisation_id, programme_id)
    if row is None:
        raise NotFound(N_("This programme has no recovery key yet."))
    return _key_read(row, await repo.officer_copies(access.scope.organisation_id, programme_id), caller)


async def list_officers(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> list[OfficerRead]:
    """Recovery officers of the programme, their public keys (to seal to) and whether they hold the key."""
    access = await programmes.authorize(uow, caller, programme_id, {*MANAGING_ROLES, Role.recovery_officer})
    repo = RecoveryRepository(uow.session)
    organisation_id = access.scope.organisation_id
    holders = {c.holder_id for c in await repo.officer_copies(organisation_id, programme_id)}
    answers = []
    for person_id, name in await repo.people_with_role(organisation_id, programme_id, Role.recovery_officer.value):
        account = await accounts.account_of_person(uow, person_id)
        public = account.public_identity if account is not None and account.public_identity else None
        answers.append(OfficerRead(
            person_id=person_id, display_name=name,
            public_identity=crypto.b64u_encode(public) if public else None, holds_key=person_id in holders,
        ))
    return answers


async def _officer_with_account(
    uow: UnitOfWork, repo: RecoveryRepository, organisation_id: uuid.UUID, programme_id: uuid.UUID,
    holder_id: uuid.UUID,
) -> None:
    officers = {p for p, _ in await repo.people_with_role(organisation_id, programme_id, Role.recovery_officer.value)}
    account = await accounts.account_of_person(uow, holder_id)
    if holder_id not in officers or account is None:
        raise InvalidInput(N_("Only recovery officers of this programme with an account hold this key."),
                           field="holder_id")


def _officer_copy(
    organisation_id: uuid.UUID, programme_id: uuid.UUID, caller: Caller, copy: OfficerCopy
) -> RecoveryOfficerCopy:
    return RecoveryOfficerCopy(
        organisation_id=organisation_id,
        programme_id=programme_id,
        holder_id=copy.holder_id,
        sealed_box=_sealed_key(copy.sealed_copy, PURPOSE_RECOVERY_OFFICER, "sealed_copy"),
        created_by=caller.person_id,
    )


async def create_recovery_key(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, data: RecoveryKeyCreate
) -> RecoveryKeyRead:
    """Store the recovery key a staff browser made: its record signed with the programme key, and
    its private half sealed to each recovery officer."""
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    organisation_id = access.scope.organisation_id
    repo = RecoveryRepository(uow.session)
    if await repo.recovery_key(organisation_id, programme_id) is not None:
        raise Conflict(N_("This programme has a recovery key already."))
    programme_public = await _programme_public(uow, caller, programme_id)
    record_bytes = _decode(data.signed_record, "signed_record")
    try:
        record = crypto.verify_record(record_bytes, programme_public, crypto.RecordKind.PROGRAMME_RECOVERY_KEY)
    except crypto.CryptoError:
        raise _bad("signed_record") from None
    body = record.body
    if (
        not isinstance(body, crypto.ProgrammeRecoveryKeyRecord)
        or record.organisation_id != str(organisation_id)
        or record.programme_id != str(programme_id)
        or record.signed_by != str(caller.person_id)
    ):
        raise _bad("signed_record")
    if len({c.holder_id for c in data.copies}) != len(data.copies):
        raise InvalidInput(N_("Each recovery officer gets one copy."), field="copies")
    for copy in data.copies:
        await _officer_with_account(uow, repo, organisation_id, programme_id, copy.holder_id)
    uow.session.add(ProgrammeRecoveryKey(
        programme_id=programme_id, organisation_id=organisation_id, x25519_public=body.x25519_public,
        signed_record=record_bytes, created_by=caller.person_id,
    ))
    for copy in data.copies:
        uow.session.add(_officer_copy(organisation_id, programme_id, caller, copy))
    await uow.flush()
    return await recovery_key(uow, caller, programme_id)


async def add_officer_copy(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, data: OfficerCopy) -> None:
    """An officer's browser passes the recovery key on to another recovery officer."""
    access = await programmes.authorize(uow, caller, programme_id, {Role.recovery_officer})
    organisation_id = access.scope.organisation_id
    repo = RecoveryRepository(uow.session)
    copies = await repo.officer_copies(organisation_id, programme_id)
    if caller.person_id not in {c.holder_id for c in copies}:
        raise Forbidden(N_("Only someone who holds this key can pass it on."))
    if data.holder_id in {c.holder_id for c in copies}:
        raise Conflict(N_("She holds this key already."), field="holder_id")
    await _officer_with_account(uow, repo, organisation_id, programme_id, data.holder_id)
    uow.session.add(_officer_copy(organisation_id, programme_id, caller, data))
    await uow.flush()


# Her consent -------------------------------------------------------------------------------


@personal_data("recovery_consent")
async def my_consent(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> ConsentRead:
    access = await programmes.authorize(uow, caller, programme_id, {Role.participant})
    repo = RecoveryRepository(uow.session)
    consent = await repo.consent(access.scope.organisation_id, programme_id, caller.person_id)
    record_access(uow, caller, role=access.role, subjects=[caller.person_id], record_kind="recovery_consent",
                  action=Action.read, programme_id=programme_id)
    return ConsentRead(
        programme_id=programme_id,
        consented=consent is not None,
        given_at=consent.given_at if consent else None,
        has_recovery_key=await repo.recovery_key(access.scope.organisation_id, programme_id) is not None,
    )


@personal_data("recovery_consent")
async def give_consent(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, data: ConsentCreate) -> ConsentRead:
    """Her browser verified the signed recovery key and sealed her user key to it."""
    access = await programmes.authorize(uow, caller, programme_id, {Role.participant})
    organisation_id = access.scope.organisation_id
    repo = RecoveryRepository(uow.session)
    if await repo.recovery_key(organisation_id, programme_id) is None:
        raise Conflict(N_("This programme has no recovery key yet, so it cannot help you recover."))
    account = await accounts.account_of_person(uow, caller.person_id)
    if account is None:
        raise Forbidden(N_("Log in with your own account to do this."))
    box = _sealed_key(data.sealed_user_key, PURPOSE_PROGRAMME_RECOVERY, "sealed_user_key")
    user_key_id = crypto.KeyBundle.from_bytes(account.key_bundle).user_key_id
    consent = await repo.consent(organisation_id, programme_id, caller.person_id)
    if consent is None:
        consent = RecoveryConsent(
            person_id=caller.person_id, programme_id=programme_id, organisation_id=organisation_id
        )
        uow.session.add(consent)
    consent.user_key_id = user_key_id
    consent.sealed_user_key = box
    consent.given_at = utcnow()
    record_access(uow, caller, role=access.role, subjects=[caller.person_id], record_kind="recovery_consent",
                  action=Action.create, programme_id=programme_id)
    await uow.flush()
    return await my_consent(uow, caller, programme_id)


# Withdrawing consent: a new user key (docs/crypto-spec.md 5.4) --------------------------------

_ITEM_WRAP_BYTES = 79  # SecretBox purpose 0x05 holding a 32-byte item key


def _changed_meanwhile(field: str) -> Conflict:
    return Conflict(
        N_("Something of yours was added or changed in the meantime. Nothing was saved; please try again."),
        field=field,
    )


def _user_wrap(value: str, new_key_id: bytes) -> str:
    data = _decode(value, "items")
    if len(data) != _ITEM_WRAP_BYTES or data[:3] != b"\x01\x02\x05" or data[3:19] != new_key_id:
        raise InvalidInput(N_("An item key is not wrapped under your new key; nothing was saved."), field="items")
    return value


def _pinned_record(value: str, revision: int, owner_public: bytes, new_key_id: bytes) -> None:
    """PinnedKeys (spec section 9) at ``revision``, signed by her, its box under the new user key."""
    data = _decode(value, "pinned_keys")
    box_length = int.from_bytes(data[10:12], "big") if len(data) >= 12 else 0
    box = data[12 : 12 + box_length]
    signed, signature = data[: 12 + box_length], data[12 + box_length :]
    if (
        data[:2] != b"\x01\x0a"
        or int.from_bytes(data[2:10], "big") != revision
        or len(box) != box_length
        or box_length < 31 + 16
        or box[:3] != b"\x01\x02\x04"
        or box[3:19] != new_key_id
        or len(signature) != 64
    ):
        raise _bad("pinned_keys")
    try:
        verify_signature(owner_public, "eportfolio/v1/sig/pinned-keys", signed, signature)
    except crypto.CryptoError:
        raise _bad("pinned_keys") from None


@personal_data("key_bundle")
async def rotation_plan(uow: UnitOfWork, caller: Caller) -> RotationRead:
    """What her browser re-wraps under a new user key: her bundle, every item key under her user key,
    her pinned-keys record, and her consents with each programme's signed recovery key record."""
    account = await accounts.account_of_person(uow, caller.person_id)
    if account is None:
        raise Forbidden(N_("Log in with your own account to do this."))
    repo = RecoveryRepository(uow.session)
    items = [
        RotationItemRead(item_id=item.id, portfolio_id=item.portfolio_id, key_id=item.key_id, user_wrap=key.blob)
        for key, item in await repo.user_wraps_of(caller.person_id)
    ]
    pinned = await repo.pinned_keys_of(caller.person_id)
    consents = []
    for consent in await repo.consents_of(caller.organisation_id, caller.person_id):
        key = await repo.recovery_key(caller.organisation_id, consent.programme_id)
        if key is not None:
            consents.append(ConsentKeyRead(
                programme_id=consent.programme_id, x25519_public=crypto.b64u_encode(key.x25519_public),
                signed_record=crypto.b64u_encode(key.signed_record),
            ))
    record_access(uow, caller, role="self", subjects=[caller.person_id], record_kind="key_bundle",
                  action=Action.read)
    return RotationRead(
        user_key_id=crypto.b64u_encode(crypto.KeyBundle.from_bytes(account.key_bundle).user_key_id),
        key_bundle=crypto.b64u_encode(account.key_bundle),
        items=items,
        pinned_keys=PinnedKeysCopy(revision=pinned.revision, record=pinned.record) if pinned else None,
        consents=consents,
    )


@personal_data("recovery_consent")
async def withdraw_consent(
    uow: UnitOfWork, client: accounts.Client, caller: Caller, programme_id: uuid.UUID, data: ConsentWithdrawal
) -> ConsentRead | accounts.LoginFailed:
    """Delete the programme's copy of her user key and, because a copy may have been kept, store the new
    user key her browser made, with everything that was under the old one re-wrapped. All or nothing."""
    access = await programmes.authorize(uow, caller, programme_id, {Role.participant})
    organisation_id = access.scope.organisation_id
    repo = RecoveryRepository(uow.session)
    consent = await repo.consent(organisation_id, programme_id, caller.person_id)
    if consent is None:
        raise NotFound(N_("You had not given permission, so there is nothing to withdraw."))
    bundle = await accounts.rotate_user_key(
        uow, client, caller, old_user_key_id=data.old_user_key_id, current_auth_proof=data.current_auth_proof,
        key_bundle=data.key_bundle, recovery_proof=data.recovery_proof, new_recovery_code=data.new_recovery_code,
    )
    if isinstance(bundle, accounts.LoginFailed):
        return bundle
    new_key_id = bundle.user_key_id

    # Every item key under her user key, each once, none of anyone else's.
    wraps: dict[uuid.UUID, str] = {}
    for item in data.items:
        if item.item_id in wraps:
            raise InvalidInput(N_("Each item comes once."), field="items")
        wraps[item.item_id] = _user_wrap(item.user_wrap, new_key_id)
    rows = {key.item_id: key for key, _item in await repo.user_wraps_of(caller.person_id)}
    if set(wraps) - set(rows):
        raise InvalidInput(
            N_("Some of these items are not yours or not under your own key; nothing was saved."), field="items"
        )
    if set(rows) - set(wraps):
        raise _changed_meanwhile("items")

    # Her pinned-keys record, one revision on.
    pinned = await repo.pinned_keys_of(caller.person_id)
    if data.pinned_keys is not None and pinned is None:
        raise InvalidInput(N_("You have no record of trusted keys to replace."), field="pinned_keys")
    if pinned is not None and (data.pinned_keys is None or data.pinned_keys.revision != pinned.revision + 1):
        raise _changed_meanwhile("pinned_keys")
    if pinned is not None and data.pinned_keys is not None:
        _pinned_record(data.pinned_keys.record, data.pinned_keys.revision, bundle.ed25519_public, new_key_id)

    # The consents she keeps in other programmes, sealed to each programme's recovery key again.
    others = {c.programme_id: c for c in await repo.consents_of(organisation_id, caller.person_id)
              if c.programme_id != programme_id}
    kept: dict[uuid.UUID, bytes] = {}
    for copy in data.kept_consents:
        if copy.programme_id in kept or copy.programme_id not in others:
            raise InvalidInput(N_("You have no other permission in that programme."), field="kept_consents")
        kept[copy.programme_id] = _sealed_key(copy.sealed_user_key, PURPOSE_PROGRAMME_RECOVERY, "kept_consents")
    if set(others) - set(kept):
        raise _changed_meanwhile("kept_consents")

    now = utcnow()
    for item_id, wrap in wraps.items():
        rows[item_id].blob = wrap
    if pinned is not None and data.pinned_keys is not None:
        pinned.revision, pinned.record, pinned.updated_at = data.pinned_keys.revision, data.pinned_keys.record, now
    for other_id, box in kept.items():
        others[other_id].user_key_id, others[other_id].sealed_user_key = new_key_id, box
    await uow.session.delete(consent)
    # A copy an officer already re-sealed to a waiting phone holds the old key: that request ends.
    await repo.expire_device_requests_of(caller.person_id, now)
    await sessions.end_other_sessions(uow, caller.person_id, caller.session_id, "keys_rotated")
    record_access(uow, caller, role=access.role, subjects=[caller.person_id], record_kind="recovery_consent",
                  action=Action.delete, programme_id=programme_id)
    record_access(uow, caller, role=access.role, subjects=[caller.person_id], record_kind="key_bundle",
                  action=Action.update, programme_id=programme_id)
    await uow.flush()
    return await my_consent(uow, caller, programme_id)


# Recovery on a new device ------------------------------------------------------------------


def _made_up_person(settings: Settings, login: str) -> uuid.UUID:
    # Same answer every time for a login nobody has, so the answer does not reveal who has an account.
    mac = hmac.new(settings.secret_key.encode(), b"eportfolio/v1/recovery-device\x00" + login.encode(), hashlib.sha256)
    return uuid.UUID(bytes=mac.digest()[:16], version=4)


async def start_device_request(
    uow: UnitOfWork, settings: Settings, data: DeviceRequestCreate
) -> DeviceRequestStarted:
    """Her new device shows its fresh key's fingerprint; an officer checks it with her in person."""
    device_public = _decode(data.device_public, "device_public")
    if len(device_public) != 32:
        raise _bad("device_public")
    account = await accounts.account_by_login(uow, data.login)
    token = secrets.token_urlsafe(32)
    request_id = uuid.uuid4()
    if account is None:
        person_id = _made_up_person(settings, data.login.strip().lower())
    else:
        person_id = account.person_id
        organisation_id = await RecoveryRepository(uow.session).organisation_of(person_id)
        now = utcnow()
        uow.session.add(DeviceRequest(
            id=request_id, organisation_id=organisation_id, person_id=person_id, token_hash=_hash(token),
            device_public=device_public, created_at=now, expires_at=now + timedelta(hours=DEVICE_REQUEST_HOURS),
        ))
        await uow.flush()
    fingerprint = _fingerprint(crypto.FingerprintKind.RECOVERY_DEVICE_KEY, person_id, device_public)
    return DeviceRequestStarted(
        request_id=request_id, token=token, person_id=person_id,
        fingerprint=crypto.fingerprint_text(fingerprint), fingerprint_qr=crypto.fingerprint_qr(fingerprint),
    )


async def _device_request(uow: UnitOfWork, token: str) -> DeviceRequest | None:
    row = await RecoveryRepository(uow.session).device_request_by_token(_hash(token))
    if row is None or row.completed_at is not None or row.expires_at <= utcnow():
        return None
    return row


async def device_request_state(uow: UnitOfWork, token: str) -> DeviceRequestState:
    """Whether an officer has re-sealed her user key to this device yet (the device asks again)."""
    row = await _device_request(uow, token)
    if row is None or row.sealed_user_key is None:
        return DeviceRequestState(ready=False)
    account = await accounts.account_of_person(uow, row.person_id)
    assert account is not None
    return DeviceRequestState(
        ready=True, login=account.login, person_id=row.person_id,
        key_bundle=crypto.b64u_encode(account.key_bundle), sealed_user_key=crypto.b64u_encode(row.sealed_user_key),
    )


async def complete_device_recovery(
    uow: UnitOfWork, client: accounts.Client, data: DeviceRecoveryComplete
) -> accounts.Started:
    """She set a new password on the recovered device: every other session ends and she is told."""
    row = await _device_request(uow, data.token)
    if row is None or row.sealed_user_key is None:
        raise Gone(N_("This recovery has expired or was finished already. Start again on this phone."))
    started = await accounts.set_password_after_device_recovery(
        uow, client, row.person_id, data.key_bundle, data.auth_proof
    )
    now = utcnow()
    row.completed_at = now
    uow.session.add(RecoveryNotice(person_id=row.person_id, kind=NOTICE_PROGRAMME, recovered_at=now))
    stand_in = Caller(person_id=row.person_id, organisation_id=row.organisation_id, session_id=None)
    record_access(uow, stand_in, role=Role.participant, subjects=[row.person_id], record_kind="key_bundle",
                  action=Action.update, programme_id=row.programme_id)
    await uow.flush()
    return started


@personal_data("recovery_request")
async def pending_recoveries(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> list[PendingRecoveryRead]:
    """New devices waiting, of participants who consented to programme recovery (for officers)."""
    access = await programmes.authorize(uow, caller, programme_id, {Role.recovery_officer})
    organisation_id = access.scope.organisation_id
    repo = RecoveryRepository(uow.session)
    consents = {c.person_id: c for c in await repo.consents_in_programme(organisation_id, programme_id)}
    rows = await repo.open_device_requests(organisation_id, list(consents), utcnow())
    answers = []
    for row in rows:
        consent = consents[row.person_id]
        answers.append(PendingRecoveryRead(
            request_id=row.id, person_id=row.person_id,
            display_name=await repo.display_name(organisation_id, row.person_id) or "",
            device_public=crypto.b64u_encode(row.device_public), created_at=row.created_at,
            sealed_user_key=crypto.b64u_encode(consent.sealed_user_key),
            user_key_id=crypto.b64u_encode(consent.user_key_id),
        ))
    record_access(uow, caller, role=access.role, subjects=[r.person_id for r in rows],
                  record_kind="recovery_request", action=Action.read, programme_id=programme_id)
    return answers


@personal_data("recovery_request")
async def reseal_to_device(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, request_id: uuid.UUID, data: ResealRequest
) -> None:
    """The officer checked her identity in person and compared the device fingerprint; her browser
    re-sealed the user key to the device key."""
    access = await programmes.authorize(uow, caller, programme_id, {Role.recovery_officer})
    organisation_id = access.scope.organisation_id
    repo = RecoveryRepository(uow.session)
    if not data.identity_checked:
        raise InvalidInput(N_("First check her identity in person, then tick the box."), field="identity_checked")
    if caller.person_id not in {c.holder_id for c in await repo.officer_copies(organisation_id, programme_id)}:
        raise Forbidden(N_("You do not hold the programme's recovery key yet; another officer can give it to you."))
    row = await repo.device_request(organisation_id, request_id)
    if row is None or await repo.consent(organisation_id, programme_id, row.person_id) is None:
        raise NotFound(N_("This recovery request does not exist (any more)."))
    if row.completed_at is not None or row.sealed_user_key is not None or row.expires_at <= utcnow():
        raise Conflict(N_("This recovery request was handled already or has expired."))
    row.sealed_user_key = _sealed_key(data.sealed_user_key, PURPOSE_RECOVERY_DEVICE, "sealed_user_key")
    row.programme_id = programme_id
    row.resealed_by = caller.person_id
    row.resealed_at = utcnow()
    record_access(uow, caller, role=access.role, subjects=[row.person_id], record_kind="recovery_request",
                  action=Action.update, programme_id=programme_id)
    await uow.flush()


# Coach-assisted recovery -------------------------------------------------------------------


def _normal_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


@personal_data("account_reset")
async def create_account_reset(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, person_id: uuid.UUID
) -> AccountResetCreated:
    """A one-time code that lets her reset her account to new keys; staff hand it over in person."""
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    _person, memberships = await programmes.get_person(uow, caller, programme_id, person_id)
    if not any(m.role is Role.participant and m.active for m in memberships):
        raise InvalidInput(N_("Only a participant's account can be reset this way."), field="person_id")
    if await accounts.account_of_person(uow, person_id) is None:
        raise Conflict(N_("She has no account yet; invite her instead."))
    code = "-".join("".join(secrets.choice(RESET_ALPHABET) for _ in range(4)) for _ in range(4))
    now = utcnow()
    row = AccountReset(
        organisation_id=access.scope.organisation_id, programme_id=programme_id, person_id=person_id,
        code_hash=_hash(_normal_code(code)), created_by=caller.person_id, created_at=now,
        expires_at=now + timedelta(days=RESET_CODE_DAYS),
    )
    uow.session.add(row)
    record_access(uow, caller, role=access.role, subjects=[person_id], record_kind="account_reset",
                  action=Action.create, programme_id=programme_id)
    await uow.flush()
    return AccountResetCreated(reset_id=row.id, code=code, expires_at=row.expires_at)


async def _live_reset(uow: UnitOfWork, code: str) -> AccountReset:
    row = await RecoveryRepository(uow.session).reset_by_code(_hash(_normal_code(code)))
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise NotFound(N_("We do not know this reset code, or it was used or has expired. Ask the programme."),
                       field="code")
    return row


async def preview_account_reset(uow: UnitOfWork, code: str) -> AccountResetPreview:
    row = await _live_reset(uow, code)
    account = await accounts.account_of_person(uow, row.person_id)
    name = await RecoveryRepository(uow.session).display_name(row.organisation_id, row.person_id)
    assert account is not None
    return AccountResetPreview(person_id=row.person_id, login=account.login, display_name=name or "")


async def complete_account_reset(
    uow: UnitOfWork, client: accounts.Client, data: AccountResetComplete
) -> accounts.Started:
    """Her browser made new keys. Her former public identity is kept so that what she signed
    with it still verifies; the programme's copy of her old user key and her pinned-keys record,
    both useless now, go."""
    if not data.understood_only_me_lost:
        raise InvalidInput(N_("Please read the warning and tick the box first."), field="understood_only_me_lost")
    row = await _live_reset(uow, data.code)
    former, started = await accounts.reset_to_new_keys(
        uow, client, row.person_id, key_bundle=data.key_bundle, public_identity=data.public_identity,
        auth_proof=data.auth_proof, recovery_proof=data.recovery_proof,
    )
    now = utcnow()
    row.used_at = now
    repo = RecoveryRepository(uow.session)
    if former:
        uow.session.add(FormerIdentity(
            organisation_id=row.organisation_id, person_id=row.person_id, public_identity=former,
            superseded_at=now, reason=NOTICE_RESET, replaced_by=row.created_by,
        ))
    await repo.delete_consents_of(row.organisation_id, row.person_id)
    # Her pinned-keys record is sealed and signed under the keys she lost: her new keys cannot
    # open it, so her browser starts a new one (pinning again what it meets first).
    await repo.delete_pinned_keys_of(row.organisation_id, row.person_id)
    uow.session.add(RecoveryNotice(person_id=row.person_id, kind=NOTICE_RESET, recovered_at=now))
    stand_in = Caller(person_id=row.person_id, organisation_id=row.organisation_id, session_id=None)
    record_access(uow, stand_in, role=Role.participant, subjects=[row.person_id], record_kind="key_bundle",
                  action=Action.update, programme_id=row.programme_id)
    await uow.flush()
    return started


# Her former identities ---------------------------------------------------------------------


def _former_read(row: FormerIdentity) -> FormerIdentityRead:
    person = crypto.Person.from_public_identity(row.public_identity)
    return FormerIdentityRead(
        public_identity=crypto.b64u_encode(row.public_identity), fingerprint=person.fingerprint_text,
        superseded_at=row.superseded_at, reason=row.reason, replaced_by=row.replaced_by, vouched_by=row.vouched_by,
        vouch=crypto.b64u_encode(row.vouch) if row.vouch else None,
    )


@personal_data("public_identity")
async def former_identities(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, person_id: uuid.UUID
) -> list[FormerIdentityRead]:
    """Public identities she held before, newest first: what she signed with them still verifies."""
    await trust.public_identity(uow, caller, programme_id, person_id)  # same scope; logs the read
    rows = await RecoveryRepository(uow.session).former_identities(caller.organisation_id, person_id)
    return [_former_read(r) for r in rows]


def _checked_vouch(data: str, *, voucher: crypto.Person, former: crypto.Person, current: crypto.Person) -> bytes:
    """The vouch, signed by the caller's registered key, from the key she held last to the one she has now."""
    raw = _decode(data, "vouch")
    try:
        vouch = crypto.verify_vouch(raw, [voucher.ed25519_public])
    except crypto.CryptoError:
        raise InvalidInput(
            N_("This confirmation is not signed with your current key; reload the page and try again."), field="vouch"
        ) from None
    if vouch.voucher_id != voucher.user_id or vouch.subject_id != current.user_id:
        raise _bad("vouch")
    if vouch.former_fingerprint != former.fingerprint or vouch.new_fingerprint != current.fingerprint:
        raise InvalidInput(
            N_("This confirmation is for another key than hers; compare her fingerprint again."), field="vouch"
        )
    return raw


@personal_data("public_identity")
async def vouch(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, person_id: uuid.UUID, data: VouchCreate
) -> None:
    """Her coach checked her new fingerprint in person and signed that he did: kept on the identity it
    replaced, so her other coaches' browsers can verify it and take her new key."""
    access = await programmes.authorize(uow, caller, programme_id, {Role.coach})
    assignments = await programmes.list_assignments(uow, caller, programme_id, participant_id=person_id, counting=True)
    if not any(a.coach_id == caller.person_id for a in assignments):
        # Her other coaches' browsers take the word of her coaches only (docs/crypto-spec.md 9.1).
        raise Forbidden(N_("Only one of her own coaches can confirm her new key."))
    rows = await RecoveryRepository(uow.session).former_identities(access.scope.organisation_id, person_id)
    if not rows:
        raise NotFound(N_("Her keys were not reset, so there is nothing to confirm."))
    her = await trust.public_identity(uow, caller, programme_id, person_id)
    mine = await accounts.account_of_person(uow, caller.person_id)
    if mine is None or not mine.public_identity:
        raise Conflict(N_("You have no keys yet; finish signing up first."))
    raw = _checked_vouch(
        data.vouch,
        voucher=accounts.person_fingerprint(mine),
        former=crypto.Person.from_public_identity(rows[0].public_identity),
        current=crypto.Person.from_public_identity(crypto.b64u_decode(her.public_identity)),
    )
    if rows[0].vouch is None:
        rows[0].vouched_by, rows[0].vouched_at, rows[0].vouch = caller.person_id, utcnow(), raw
    record_access(uow, caller, role=access.role, subjects=[person_id], record_kind="public_identity",
                  action=Action.update, programme_id=programme_id)
    await uow.flush()


# Notices -----------------------------------------------------------------------------------


async def my_notices(uow: UnitOfWork, caller: Caller) -> list[NoticeRead]:
    rows = await RecoveryRepository(uow.session).unseen_notices(caller.person_id)
    return [NoticeRead(id=r.id, kind=r.kind, recovered_at=r.recovered_at) for r in rows]


async def dismiss_notices(uow: UnitOfWork, caller: Caller) -> None:
    now = utcnow()
    for row in await RecoveryRepository(uow.session).unseen_notices(caller.person_id):
        row.seen_at = now
    await uow.flush()
