"""Use cases of the accounts feature: invitations, sign-up, login, recovery, sessions and keys.

The server never sees a password, a recovery code or a private key: it checks proofs (hashes of
secrets the browser derived), stores wrapped keys it cannot open, and checks every signature it
can so that a broken record is refused early; clients check them again themselves.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eportfolio import crypto
from eportfolio.accounts import invitations, sessions
from eportfolio.accounts.hashing import SecretHasher
from eportfolio.accounts.repository import AccountRepository
from eportfolio.accounts.tables import (
    Account,
    Invitation,
    LoginThrottle,
    OrganisationKey,
    ProgrammeKey,
    SigningKeyCopy,
)
from eportfolio.config import Settings
from eportfolio.crypto.kdf import AUTH_LOGIN, AUTH_RECOVERY, MINIMUM
from eportfolio.domain.accounts import (
    AccountRead,
    AdminInvitationChoices,
    AdminInvitationCreate,
    AssignmentFacts,
    AssignmentSigningRead,
    AssignmentTrustRead,
    InvitationCreate,
    InvitationCreated,
    InvitationPreview,
    InvitationRead,
    KeyCopyCreate,
    OrganisationAdminRead,
    OrganisationKeyCreate,
    PasswordChangeRequest,
    PreloginRead,
    ProgrammeKeyCreate,
    PublicIdentityRead,
    RecoveryBundleRead,
    RecoveryCodeChange,
    RecoveryCompleteRequest,
    SessionRead,
    SessionStarted,
    SignatureStatus,
    SigningKeyRead,
    SignUpRequest,
)
from eportfolio.domain.people import MANAGING_ROLES, CoachAssignmentRead, CoachKind, Role
from eportfolio.kit.audit import Action, personal_data, record_access
from eportfolio.kit.auth import Caller
from eportfolio.kit.clock import utcnow
from eportfolio.kit.errors import N_, Conflict, Forbidden, Gone, InvalidInput, NotFound, TooManyRequests
from eportfolio.kit.uow import UnitOfWork, unit_of_work
from eportfolio.programmes import service as programmes
from eportfolio.programmes.service import ensure_organisation
from eportfolio.programmes.tables import OrganisationAdmin, Person

DEFAULT_ORGANISATION = "Our organisation"

# Back-off: this many failures are free, then the wait doubles per failure up to the cap. An
# account is never locked: after the wait the right password always works.
FREE_FAILURES_PER_ACCOUNT = 5
FREE_FAILURES_PER_ADDRESS = 30
MAX_WAIT_SECONDS = 15 * 60
KNOWN_DEVICE_ENTRIES = 4

_SEALED_SIGNING_KEY_BYTES = 83  # SealedBox purpose 0x04: 35-byte header, 32-byte seed, 16-byte tag
_SEALED_SIGNING_KEY_PREFIX = b"\x01\x03\x04"


@dataclass(frozen=True)
class Client:
    """Where a login or sign-up comes from: for back-off, the session list and settings."""

    settings: Settings
    hasher: SecretHasher
    address: str
    user_agent: str = ""
    # The known-device cookie as the browser sent it (empty when it has none).
    known_devices: str = ""


@dataclass(frozen=True)
class Started:
    read: SessionStarted
    token: str
    # The known-device cookie to set: this browser has now logged in to this account.
    device_cookie: str = ""


@dataclass(frozen=True)
class LoginFailed:
    """A wrong login name or password; the caller answers 401 after the failure is committed."""


# Decoding what browsers send ---------------------------------------------------------------


def _decode(value: str, field: str) -> bytes:
    try:
        return crypto.b64u_decode(value)
    except crypto.CryptoError:
        raise InvalidInput(N_("This is not valid base64url."), field=field) from None


def _bad_structure(field: str) -> InvalidInput:
    return InvalidInput(N_("This key structure is malformed or does not fit; nothing was saved."), field=field)


def _proof(value: str, kind: int, field: str) -> bytes:
    try:
        found, secret = crypto.parse_auth_proof(_decode(value, field))
    except crypto.CryptoError:
        raise _bad_structure(field) from None
    if found != kind:
        raise _bad_structure(field)
    return secret


def _bundle(value: str, settings: Settings, field: str = "key_bundle") -> crypto.KeyBundle:
    try:
        bundle = crypto.KeyBundle.from_bytes(_decode(value, field))
        bundle.params.check(allow_test_params=settings.is_test)
        bundle.verify()  # signed by her own Ed25519 key: a bundle nobody tampered with
    except crypto.CryptoError:
        raise _bad_structure(field) from None
    return bundle


def _login(value: str) -> str:
    try:
        return crypto.normalise_login(value)
    except crypto.CryptoError:
        raise InvalidInput(
            N_("A login name has 3 to 32 letters (a to z), digits, dots, dashes or underscores."), field="login"
        ) from None


def _sealed_signing_key(value: str, field: str) -> bytes:
    box = _decode(value, field)
    if len(box) != _SEALED_SIGNING_KEY_BYTES or not box.startswith(_SEALED_SIGNING_KEY_PREFIX):
        raise _bad_structure(field)
    return box


def _public_key(value: str, field: str) -> bytes:
    key = _decode(value, field)
    if len(key) != 32:
        raise _bad_structure(field)
    return key


def _kdf_columns(account: Account, bundle: crypto.KeyBundle) -> None:
    account.salt_seed = bundle.params.seed
    account.kdf_params = {
        "algorithm": "argon2id",
        "memory_kib": bundle.params.memory_kib,
        "iterations": bundle.params.iterations,
        "parallelism": bundle.params.parallelism,
    }


async def current_user_key_id(uow: UnitOfWork, person_id: uuid.UUID) -> bytes | None:
    """The id of the user key her key bundle is under now (it changes when she withdraws recovery consent)."""
    account = await AccountRepository(uow.session).account_of(person_id)
    if account is None or not account.key_bundle:
        return None
    return crypto.KeyBundle.from_bytes(account.key_bundle).user_key_id


def person_fingerprint(account: Account) -> crypto.Person:
    return crypto.Person.from_public_identity(account.public_identity)


# Back-off ----------------------------------------------------------------------------------


def _device_epoch(account: Account | None) -> str:
    """Changes with her password: a changed or reset password forgets every known device."""
    if account is None:
        return ""
    changed = account.password_changed_at
    return f"{int(changed.timestamp())}.{changed.microsecond:06d}"


def _device_mac(settings: Settings, login: str, nonce: str, epoch: str) -> str:
    mac = hmac.new(
        settings.secret_key.encode(),
        f"eportfolio/v1/known-device\x00{login}\x00{nonce}\x00{epoch}".encode(),
        hashlib.sha256,
    )
    return crypto.b64u_encode(mac.digest()[:16])


def _device_entries(cookie: str) -> list[tuple[str, str]]:
    entries = []
    for entry in cookie.split("~")[:KNOWN_DEVICE_ENTRIES]:
        nonce, _, mac = entry.partition(".")
        if nonce and mac and len(entry) <= 64:
            entries.append((nonce, mac))
    return entries


def known_device(settings: Settings, cookie: str, account: Account | None) -> str | None:
    """The device id when this browser logged in to this account since its password last changed."""
    if account is None:
        return None
    epoch = _device_epoch(account)
    for nonce, mac in _device_entries(cookie):
        if hmac.compare_digest(mac, _device_mac(settings, account.login, nonce, epoch)):
            return nonce
    return None


def device_cookie_after_login(settings: Settings, cookie: str, account: Account) -> str:
    """The known-device cookie with an entry for this account first (a shared phone keeps a few)."""
    nonce = known_device(settings, cookie, account) or secrets.token_urlsafe(12)
    entries = [(n, m) for n, m in _device_entries(cookie) if n != nonce]
    kept = [(nonce, _device_mac(settings, account.login, nonce, _device_epoch(account))), *entries]
    return "~".join(f"{n}.{m}" for n, m in kept[:KNOWN_DEVICE_ENTRIES])


def _throttle_keys(client: Client, login: str, account: Account | None) -> list[tuple[str, int]]:
    """The counters a login attempt is checked against and counts on, with their free failures.

    A browser that logged in to her account before (a known-device cookie signed for this
    account since its password last changed) counts its failures on its own counter only
    (OWASP's device cookies): someone failing on purpose from elsewhere, or from the same
    address (shared Wi-Fi, carrier NAT), slows down unknown devices only, never her own phone.
    This is safe to exempt from both counters because the cookie is minted only by a successful
    login (or recovery) of this very account and its own counter still backs it off; anyone
    without it (a forged or another account's cookie is no known device) counts on the account's
    and the address's counters as before. A new password (changed, or reset with the recovery
    code) forgets every device, so a browser that knew the old one is no longer exempt.
    """
    device = known_device(client.settings, client.known_devices, account)
    if device:
        return [(f"device:{device}"[:120], FREE_FAILURES_PER_ACCOUNT)]
    return [
        (f"login:{login}"[:120], FREE_FAILURES_PER_ACCOUNT),
        (f"address:{client.address}"[:120], FREE_FAILURES_PER_ADDRESS),
    ]


def _own_counter(client: Client, login: str, account: Account | None) -> str:
    """The counter her success clears: this device's, or the account's (never the address's)."""
    return _throttle_keys(client, login, account)[0][0]


async def _check_back_off(repo: AccountRepository, client: Client, login: str, account: Account | None) -> None:
    now = utcnow()
    rows = await repo.throttles([key for key, _ in _throttle_keys(client, login, account)])
    waits = [row.blocked_until for row in rows.values() if row.blocked_until and row.blocked_until > now]
    if not waits:
        return
    seconds = max(1, int((max(waits) - now).total_seconds() + 0.999))
    if seconds < 90:
        raise TooManyRequests(
            N_("Too many attempts. Please wait %(seconds)s seconds, then try again."),
            params={"seconds": seconds},
            retry_after=seconds,
        )
    raise TooManyRequests(
        N_("Too many attempts. Please wait %(minutes)s minutes, then try again."),
        params={"minutes": (seconds + 59) // 60},
        retry_after=seconds,
    )


async def _record_failure(uow: UnitOfWork, client: Client, login: str, account: Account | None) -> None:
    repo = AccountRepository(uow.session)
    counters = _throttle_keys(client, login, account)
    rows = await repo.throttles([key for key, _ in counters])
    now = utcnow()
    for key, free in counters:
        row = rows.get(key)
        if row is None:
            row = LoginThrottle(key=key, failures=0, last_failure_at=now)
            uow.session.add(row)
        row.failures += 1
        row.last_failure_at = now
        if row.failures >= free:
            wait = min(2 ** (row.failures - free), MAX_WAIT_SECONDS)
            row.blocked_until = now + timedelta(seconds=wait)
    await uow.flush()


# Rate limits of what anyone may try without logging in ------------------------------------


@dataclass(frozen=True)
class TryCounter:
    """One rate limit: at most ``limit`` tries per window on ``key``. ``counts``: this try counts
    on it now; otherwise it is only checked here (its failures are counted with ``count_tries``)."""

    key: str
    limit: int
    counts: bool = True


def tries_key(kind: str, subject: str) -> str:
    return f"tries:{kind}:{subject}"[:120]


def code_digest(settings: Settings, code: str) -> str:
    """A code as a rate limit's key names it: normalised and keyed, so the table holds no code."""
    normal = "".join(code.split()).replace("-", "").upper()
    mac = hmac.new(settings.secret_key.encode(), b"eportfolio/v1/code-tries\x00" + normal.encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def _too_many_tries(seconds: int) -> TooManyRequests:
    return TooManyRequests(N_("Too many tries. Wait a few minutes and try again."), retry_after=seconds)


async def take_try(uow: UnitOfWork, counters: list[TryCounter], window: timedelta) -> None:
    """Refuse (429) when a counter is at its limit in its current window; else count this try on
    the counters it counts on. A refused try counts nowhere, so waiting always helps."""
    repo = AccountRepository(uow.session)
    rows = await repo.throttles([c.key for c in counters])
    now = utcnow()
    waits = [
        row.blocked_until
        for counter in counters
        if (row := rows.get(counter.key)) is not None
        and row.blocked_until is not None
        and row.blocked_until > now
        and row.failures >= counter.limit
    ]
    if waits:
        raise _too_many_tries(max(1, int((max(waits) - now).total_seconds() + 0.999)))
    await _count(uow, rows, [c.key for c in counters if c.counts], window, now)


async def count_tries(uow: UnitOfWork, keys: list[str], window: timedelta) -> None:
    """Count one try (a failed one, for the counters that count failures only) on these keys."""
    rows = await AccountRepository(uow.session).throttles(keys)
    await _count(uow, rows, keys, window, utcnow())


async def _count(
    uow: UnitOfWork, rows: dict[str, LoginThrottle], keys: list[str], window: timedelta, now: datetime
) -> None:
    for key in keys:
        row = rows.get(key)
        if row is None:
            row = LoginThrottle(key=key, failures=0, last_failure_at=now)
            uow.session.add(row)
        if row.blocked_until is None or row.blocked_until <= now:  # a new window
            row.failures, row.blocked_until = 0, now + window
        row.failures += 1
        row.last_failure_at = now
    await uow.flush()


# Pre-login, login, logout ------------------------------------------------------------------


def _unknown_login_params(settings: Settings, login: str) -> crypto.KdfParams:
    seed = hmac.new(settings.secret_key.encode(), b"eportfolio/v1/prelogin\x00" + login.encode(), hashlib.sha256)
    return crypto.KdfParams(MINIMUM.memory_kib, MINIMUM.iterations, MINIMUM.parallelism, seed.digest()[:16])


async def prelogin(uow: UnitOfWork, client: Client, login_name: str) -> PreloginRead:
    """The KDF parameters for a login name; for an unknown one, made-up ones that look the same."""
    login = _login(login_name)
    account = await AccountRepository(uow.session).account_by_login(login)
    if account is None or not account.key_bundle:
        params = _unknown_login_params(client.settings, login)
    else:
        params = crypto.KeyBundle.from_bytes(account.key_bundle).params
    return PreloginRead(kdf_params=crypto.b64u_encode(params.to_bytes()))


async def _start(
    uow: UnitOfWork, client: Client, account: Account, person: Person, *, ending: uuid.UUID | None
) -> Started:
    if ending is not None:
        await sessions.end_session(uow, ending, "rotated")
    _, token = await sessions.start_session(uow, client.settings, person.id, user_agent=client.user_agent)
    return Started(
        SessionStarted(
            person_id=person.id,
            organisation_id=person.organisation_id,
            login=account.login,
            display_name=person.display_name,
            key_bundle=crypto.b64u_encode(account.key_bundle),
            public_identity=crypto.b64u_encode(account.public_identity),
        ),
        token,
        device_cookie_after_login(client.settings, client.known_devices, account),
    )


async def login(
    uow: UnitOfWork, client: Client, login_name: str, auth_proof: str, *, ending: uuid.UUID | None
) -> Started | LoginFailed:
    """Check the auth secret; on success a new session (the old one ends) and the key bundle."""
    login_value = _login(login_name)
    secret = _proof(auth_proof, AUTH_LOGIN, "auth_proof")
    repo = AccountRepository(uow.session)
    account = await repo.account_by_login(login_value)
    await _check_back_off(repo, client, login_value, account)
    stored = account.auth_hash if account is not None and account.auth_hash else None
    if not await client.hasher.verify(stored, secret) or account is None:
        await _record_failure(uow, client, login_value, account)
        return LoginFailed()
    person = await repo.person(account.person_id)
    if person is None:
        return LoginFailed()
    await repo.clear_throttle(_own_counter(client, login_value, account))
    return await _start(uow, client, account, person, ending=ending)


async def logout(uow: UnitOfWork, caller: Caller | None) -> None:
    if caller is not None and caller.session_id is not None:
        await sessions.end_session(uow, caller.session_id, "logout")


# Password change and recovery --------------------------------------------------------------


def _same_keys(
    old: crypto.KeyBundle, new: crypto.KeyBundle, *, field: str = "key_bundle", new_recovery_copy: bool = False
) -> None:
    """A new password re-wraps the user key only (a new recovery code only its recovery copy)."""
    if (
        new.user_key_id != old.user_key_id
        or new.x25519_public != old.x25519_public
        or new.ed25519_public != old.ed25519_public
        or (new.recovery_box == old.recovery_box) is new_recovery_copy
        or new.private_keys_box != old.private_keys_box
    ):
        raise _bad_structure(field)
    # The password's copy stays as it is: a stale bundle must not undo a password change.
    if new_recovery_copy and (new.kek_box != old.kek_box or new.params.to_bytes() != old.params.to_bytes()):
        raise _bad_structure(field)


async def change_password(
    uow: UnitOfWork, client: Client, caller: Caller, data: PasswordChangeRequest
) -> LoginFailed | None:
    repo = AccountRepository(uow.session)
    account = await repo.account_of(caller.person_id)
    if account is None:
        raise NotFound()
    current = _proof(data.current_auth_proof, AUTH_LOGIN, "current_auth_proof")
    new_secret = _proof(data.auth_proof, AUTH_LOGIN, "auth_proof")
    bundle = _bundle(data.key_bundle, client.settings)
    _same_keys(crypto.KeyBundle.from_bytes(account.key_bundle), bundle)
    await _check_back_off(repo, client, account.login, account)
    if not await client.hasher.verify(account.auth_hash, current):
        await _record_failure(uow, client, account.login, account)
        return LoginFailed()
    account.key_bundle = bundle.to_bytes()
    account.auth_hash = await client.hasher.hash(new_secret)
    account.password_changed_at = utcnow()
    _kdf_columns(account, bundle)
    await sessions.end_other_sessions(uow, caller.person_id, caller.session_id, "password_changed")
    await uow.flush()
    return None


async def new_recovery_code(
    uow: UnitOfWork, client: Client, caller: Caller, data: RecoveryCodeChange
) -> LoginFailed | None:
    """Her browser made a new recovery code: keep its recovery copy and proof; the old code stops working."""
    repo = AccountRepository(uow.session)
    account = await repo.account_of(caller.person_id)
    if account is None:
        raise NotFound()
    current = _proof(data.current_auth_proof, AUTH_LOGIN, "current_auth_proof")
    recovery_secret = _proof(data.recovery_proof, AUTH_RECOVERY, "recovery_proof")
    bundle = _bundle(data.key_bundle, client.settings)
    _same_keys(crypto.KeyBundle.from_bytes(account.key_bundle), bundle, new_recovery_copy=True)
    await _check_back_off(repo, client, account.login, account)
    if not await client.hasher.verify(account.auth_hash, current):
        await _record_failure(uow, client, account.login, account)
        return LoginFailed()
    account.key_bundle = bundle.to_bytes()
    account.recovery_hash = await client.hasher.hash(recovery_secret)
    await uow.flush()
    return None


async def _recovery_account(
    uow: UnitOfWork, client: Client, login_name: str, recovery_proof: str
) -> Account | LoginFailed:
    login_value = _login(login_name)
    secret = _proof(recovery_proof, AUTH_RECOVERY, "recovery_proof")
    repo = AccountRepository(uow.session)
    account = await repo.account_by_login(login_value)
    await _check_back_off(repo, client, login_value, account)
    stored = account.recovery_hash if account is not None and account.recovery_hash else None
    if not await client.hasher.verify(stored, secret) or account is None:
        await _record_failure(uow, client, login_value, account)
        return LoginFailed()
    return account


async def start_recovery(
    uow: UnitOfWork, client: Client, login_name: str, recovery_proof: str
) -> RecoveryBundleRead | LoginFailed:
    """The recovery code is proven: her bundle, so her browser can open the recovery copy."""
    account = await _recovery_account(uow, client, login_name, recovery_proof)
    if isinstance(account, LoginFailed):
        return account
    return RecoveryBundleRead(
        person_id=account.person_id, login=account.login, key_bundle=crypto.b64u_encode(account.key_bundle)
    )


async def complete_recovery(
    uow: UnitOfWork, client: Client, data: RecoveryCompleteRequest, *, ending: uuid.UUID | None
) -> Started | LoginFailed:
    """A new password after proving the recovery code again; every other session ends."""
    bundle = _bundle(data.key_bundle, client.settings)
    new_secret = _proof(data.auth_proof, AUTH_LOGIN, "auth_proof")
    account = await _recovery_account(uow, client, data.login, data.recovery_proof)
    if isinstance(account, LoginFailed):
        return account
    _same_keys(crypto.KeyBundle.from_bytes(account.key_bundle), bundle)
    # Her proven code clears the back-off it counted against (this device's, or the account's).
    counted = _own_counter(client, account.login, account)
    account.key_bundle = bundle.to_bytes()
    account.auth_hash = await client.hasher.hash(new_secret)
    account.password_changed_at = utcnow()
    _kdf_columns(account, bundle)
    await sessions.end_other_sessions(uow, account.person_id, None, "recovered")
    person = await AccountRepository(uow.session).person(account.person_id)
    assert person is not None
    await AccountRepository(uow.session).clear_throttle(counted)
    return await _start(uow, client, account, person, ending=ending)


# Invitations -------------------------------------------------------------------------------


async def create_first_admin_invitation(
    sessionmaker: async_sessionmaker[AsyncSession], *, organisation_name: str | None, display_name: str
) -> tuple[str, str]:
    """Make the person and a one-time invitation for the first organisation admin.

    Refuses when an organisation admin already has an account: from then on admins invite admins,
    so nobody with shell access can quietly add a reader (see docs/crypto-spec.md, root of trust).
    """
    async with unit_of_work(sessionmaker) as uow:
        organisation = await ensure_organisation(uow, organisation_name or DEFAULT_ORGANISATION)
        existing = await uow.session.execute(
            select(Account.person_id)
            .join(OrganisationAdmin, OrganisationAdmin.person_id == Account.person_id)
            .where(OrganisationAdmin.organisation_id == organisation.id)
            .limit(1)
        )
        if existing.scalar_one_or_none() is not None:
            raise Conflict(N_("An organisation administrator exists already; she can invite other administrators."))
        person = Person(organisation_id=organisation.id, display_name=display_name[:120], language="nl")
        uow.session.add(person)
        await uow.flush()
        code, invitation = _new_invitation(organisation.id, None, person.id, Role.org_admin, None)
        uow.session.add(invitation)
    return code, invitation.expires_at.date().isoformat()


def _new_invitation(
    organisation_id: uuid.UUID,
    programme_id: uuid.UUID | None,
    person_id: uuid.UUID,
    role: Role,
    created_by: uuid.UUID | None,
) -> tuple[str, Invitation]:
    code = invitations.new_code()
    code_hash = invitations.code_hash(code)
    assert code_hash is not None
    now = utcnow()
    return code, Invitation(
        code_hash=code_hash,
        organisation_id=organisation_id,
        programme_id=programme_id,
        person_id=person_id,
        role=role.value,
        created_by=created_by,
        created_at=now,
        expires_at=now + timedelta(days=invitations.VALID_DAYS),
    )


def _check_role_grant(acting: Role, granted: Role) -> None:
    # The same rule as for giving a role: staff do not make new staff or recovery officers.
    if granted in (Role.staff, Role.recovery_officer) and acting is not Role.org_admin:
        raise Forbidden(N_("Only an organisation administrator can give this role."))


def _fingerprint_text(kind: crypto.FingerprintKind, subject: uuid.UUID, public: bytes) -> str:
    return crypto.fingerprint_text(crypto.fingerprint(kind, str(subject), public))


@personal_data("invitation")
async def create_invitation(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, data: InvitationCreate
) -> InvitationCreated:
    """Invite a person of this programme to join in the role she holds there."""
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    if data.role is Role.org_admin:
        raise InvalidInput(N_("Organisation administrators are invited by another administrator."), field="role")
    _check_role_grant(access.role, data.role)
    repo = AccountRepository(uow.session)
    person, memberships = await programmes.get_person(uow, caller, programme_id, data.person_id)
    if not any(m.role is data.role and m.active for m in memberships):
        raise InvalidInput(
            N_("She does not have this role in this programme yet; give her the role first."), field="role"
        )
    if await repo.account_of(person.id) is not None:
        raise Conflict(N_("She has an account already; she can log in with it."), field="person_id")
    code, invitation = _new_invitation(
        access.scope.organisation_id, programme_id, person.id, data.role, caller.person_id
    )
    uow.session.add(invitation)
    record_access(
        uow, caller, role=access.role, subjects=[person.id],
        record_kind="invitation", action=Action.create, programme_id=programme_id,
    )
    await uow.flush()
    org_key = await repo.organisation_key(access.scope.organisation_id)
    return InvitationCreated(
        invitation=InvitationRead.model_validate(invitation),
        code=code,
        organisation_fingerprint=_fingerprint_text(
            crypto.FingerprintKind.ORGANISATION_KEY, org_key.organisation_id, org_key.ed25519_public
        ) if org_key else None,
    )


@personal_data("invitation")
async def list_invitations(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> list[InvitationRead]:
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    rows = await AccountRepository(uow.session).list_invitations(access.scope.organisation_id, programme_id)
    record_access(
        uow, caller, role=access.role, subjects=[r.person_id for r in rows],
        record_kind="invitation", action=Action.read, programme_id=programme_id,
    )
    return [InvitationRead.model_validate(r) for r in rows]


@personal_data("invitation")
async def withdraw_invitation(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, invitation_id: uuid.UUID
) -> None:
    """Withdraw an unused invitation (lost, or handed to the wrong person): its code stops working."""
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    repo = AccountRepository(uow.session)
    invitation = await repo.invitation_in_programme(access.scope.organisation_id, programme_id, invitation_id)
    if invitation is None:
        raise NotFound(N_("This invitation does not exist (any more)."))
    if invitation.used_at is not None:
        raise Conflict(N_("She has joined with this invitation already, so it cannot be withdrawn."))
    await uow.session.delete(invitation)
    record_access(
        uow, caller, role=access.role, subjects=[invitation.person_id],
        record_kind="invitation", action=Action.delete, programme_id=programme_id,
    )
    await uow.flush()


# Inviting organisation administrators (admins only) ----------------------------------------


def _invitation_created(code: str, invitation: Invitation, org_key: OrganisationKey | None) -> InvitationCreated:
    return InvitationCreated(
        invitation=InvitationRead.model_validate(invitation),
        code=code,
        organisation_fingerprint=_fingerprint_text(
            crypto.FingerprintKind.ORGANISATION_KEY, org_key.organisation_id, org_key.ed25519_public
        ) if org_key else None,
    )


@personal_data("invitation")
async def invite_org_admin(uow: UnitOfWork, caller: Caller, data: AdminInvitationCreate) -> InvitationCreated:
    """An admin invites a person of the organisation (or a new person) to become an administrator.

    She becomes one only when she signs up with the invitation; she then pins the organisation
    key that exists, and an admin's browser passes it to her.
    """
    await programmes.require_org_admin(uow, caller)
    repo = AccountRepository(uow.session)
    organisation_id = caller.organisation_id
    org_key = await repo.organisation_key(organisation_id)
    if org_key is None:
        raise Conflict(N_("The organisation key has not been made yet; an administrator logs in first."))
    if data.person_id is not None:
        person = await repo.person_in_organisation(organisation_id, data.person_id)
        if person is None:
            raise NotFound(N_("This person is not part of your organisation."), field="person_id")
        if await repo.account_of(person.id) is not None:
            raise Conflict(N_("She has an account already, so she cannot be invited."), field="person_id")
    elif data.display_name:
        person = Person(organisation_id=organisation_id, display_name=data.display_name, language="nl")
        uow.session.add(person)
        await uow.flush()
    else:
        raise InvalidInput(N_("Choose a person or write the name of a new person."), field="display_name")
    code, invitation = _new_invitation(organisation_id, None, person.id, Role.org_admin, caller.person_id)
    uow.session.add(invitation)
    record_access(
        uow, caller, role=Role.org_admin, subjects=[person.id], record_kind="invitation", action=Action.create,
    )
    await uow.flush()
    return _invitation_created(code, invitation, org_key)


@personal_data("invitation")
async def admin_invitation_choices(uow: UnitOfWork, caller: Caller) -> AdminInvitationChoices:
    """The administrators, staff without an account who could be invited, and open admin invitations."""
    admins = await organisation_key_holders(uow, caller)
    repo = AccountRepository(uow.session)
    pending = await repo.open_admin_invitations(caller.organisation_id, utcnow())
    names = {a.person_id: a.display_name for a in admins}
    for invitation in pending:
        if invitation.person_id not in names:
            person = await repo.person(invitation.person_id)
            names[invitation.person_id] = person.display_name if person else ""
    admin_ids = {a.person_id for a in admins if a.has_account}
    candidates = [
        OrganisationAdminRead(person_id=p.id, display_name=p.display_name, has_account=False, holds_key=False)
        for p in await repo.staff_without_account(caller.organisation_id)
        if p.id not in admin_ids
    ]
    candidates += [a for a in admins if not a.has_account and a.person_id not in {c.person_id for c in candidates}]
    all_admins = {a.person_id for a in admins}
    promotable = [
        OrganisationAdminRead(person_id=p.id, display_name=p.display_name, has_account=True, holds_key=False)
        for p in await repo.staff_with_account(caller.organisation_id)
        if p.id not in all_admins
    ]
    record_access(
        uow,
        caller,
        role=Role.org_admin,
        subjects=[i.person_id for i in pending] + [c.person_id for c in [*candidates, *promotable]],
        record_kind="invitation",
        action=Action.read,
    )
    return AdminInvitationChoices(
        admins=admins,
        candidates=sorted(candidates, key=lambda c: c.display_name),
        pending=[InvitationRead.model_validate(i) for i in pending],
        names=names,
        promotable=promotable,
    )


@personal_data("org_admin")
async def promote_org_admin(uow: UnitOfWork, caller: Caller, person_id: uuid.UUID) -> None:
    """Make a staff member who has an account an administrator, without a new invitation.

    She pinned the organisation key when she signed up, so an administrator's browser that holds
    the key can pass it to her on the organisation key page; until then she manages the
    organisation but cannot sign with its key.
    """
    await programmes.require_org_admin(uow, caller)
    repo = AccountRepository(uow.session)
    staff = {p.id: p for p in await repo.staff_with_account(caller.organisation_id)}
    if person_id not in staff:
        raise NotFound(
            N_("Only a staff member of your organisation who has an account can be made administrator here."),
            field="person_id",
        )
    if person_id in {a.person_id for a in await organisation_key_holders(uow, caller)}:
        raise Conflict(N_("She is an administrator already."), field="person_id")
    await programmes.add_org_admin(uow, caller.organisation_id, person_id)
    record_access(
        uow, caller, role=Role.org_admin, subjects=[person_id], record_kind="org_admin", action=Action.create
    )
    await uow.flush()


@personal_data("invitation")
async def withdraw_admin_invitation(uow: UnitOfWork, caller: Caller, invitation_id: uuid.UUID) -> None:
    """Withdraw an unused administrator invitation: its code stops working."""
    await programmes.require_org_admin(uow, caller)
    repo = AccountRepository(uow.session)
    invitation = next(
        (i for i in await repo.open_admin_invitations(caller.organisation_id, utcnow()) if i.id == invitation_id), None
    )
    if invitation is None:
        raise NotFound(N_("This invitation does not exist (any more)."))
    await uow.session.delete(invitation)
    record_access(
        uow, caller, role=Role.org_admin, subjects=[invitation.person_id], record_kind="invitation",
        action=Action.delete,
    )
    await uow.flush()


async def _live_invitation(repo: AccountRepository, code: str) -> Invitation:
    code_hash = invitations.code_hash(code)
    invitation = await repo.invitation_by_hash(code_hash) if code_hash else None
    if invitation is None:
        raise NotFound(
            N_("We do not know this invitation code. Check it, or ask the programme for a new invitation."),
            field="invitation_code",
        )
    if invitation.used_at is not None:
        raise Gone(N_("This invitation has been used already. Log in, or ask for a new invitation."),
                   field="invitation_code")
    if invitation.expires_at <= utcnow():
        raise Gone(N_("This invitation has expired. Ask the programme for a new one."), field="invitation_code")
    return invitation


async def preview_invitation(uow: UnitOfWork, code: str) -> InvitationPreview:
    """What the sign-up page needs: who is invited, and the organisation key to check and pin."""
    repo = AccountRepository(uow.session)
    invitation = await _live_invitation(repo, code)
    person = await repo.person(invitation.person_id)
    organisation = await repo.organisation(invitation.organisation_id)
    assert person is not None
    assert organisation is not None
    programme = (
        await repo.programme(invitation.organisation_id, invitation.programme_id)
        if invitation.programme_id else None
    )
    org_key = await repo.organisation_key(invitation.organisation_id)
    return InvitationPreview(
        person_id=person.id,
        display_name=person.display_name,
        organisation_id=organisation.id,
        organisation_name=organisation.name,
        programme_id=programme.id if programme else None,
        programme_name=programme.name if programme else None,
        role=Role(invitation.role),
        expires_at=invitation.expires_at,
        organisation_key=crypto.b64u_encode(org_key.ed25519_public) if org_key else None,
        organisation_fingerprint=_fingerprint_text(
            crypto.FingerprintKind.ORGANISATION_KEY, org_key.organisation_id, org_key.ed25519_public
        ) if org_key else None,
    )


# Sign-up -----------------------------------------------------------------------------------


async def sign_up(uow: UnitOfWork, client: Client, data: SignUpRequest) -> Started:
    """One transaction: if anything is refused, nothing is kept and the invitation still works."""
    repo = AccountRepository(uow.session)
    invitation = await _live_invitation(repo, data.invitation_code)
    login_value = _login(data.login)
    bundle = _bundle(data.key_bundle, client.settings)
    try:
        identity = crypto.Person.from_public_identity(_decode(data.public_identity, "public_identity"))
    except crypto.CryptoError:
        raise _bad_structure("public_identity") from None
    if (
        identity.user_id != str(invitation.person_id)
        or identity.x25519_public != bundle.x25519_public
        or identity.ed25519_public != bundle.ed25519_public
    ):
        raise _bad_structure("public_identity")
    auth_secret = _proof(data.auth_proof, AUTH_LOGIN, "auth_proof")
    recovery_secret = _proof(data.recovery_proof, AUTH_RECOVERY, "recovery_proof")
    person = await repo.person(invitation.person_id)
    assert person is not None
    if await repo.account_of(person.id) is not None:
        raise Conflict(N_("You have an account already. Please log in."))
    if await repo.account_by_login(login_value) is not None:
        raise Conflict(N_("This login name is taken. Please choose another."), field="login")

    if invitation.role == Role.org_admin:
        await _first_admin_keys(uow, repo, invitation, data.organisation_key)
    elif data.organisation_key is not None:
        raise InvalidInput(N_("Only the first organisation administrator makes the organisation key."),
                           field="organisation_key")

    now = utcnow()
    if not await repo.use_invitation(invitation.id, now):
        raise Gone(N_("This invitation has been used already. Log in, or ask for a new invitation."),
                   field="invitation_code")
    account = Account(
        person_id=person.id,
        login=login_value,
        auth_hash=await client.hasher.hash(auth_secret),
        recovery_hash=await client.hasher.hash(recovery_secret),
        key_bundle=bundle.to_bytes(),
        public_identity=_decode(data.public_identity, "public_identity"),
        created_at=now,
        password_changed_at=now,
    )
    _kdf_columns(account, bundle)
    uow.session.add(account)
    await uow.flush()
    return await _start(uow, client, account, person, ending=None)


async def _first_admin_keys(
    uow: UnitOfWork, repo: AccountRepository, invitation: Invitation, key: OrganisationKeyCreate | None
) -> None:
    """She becomes an administrator with this sign-up; only the very first one makes the organisation key.

    An invitation from another administrator (created_by is set) never makes one: she pins the
    organisation key that exists, checked against the fingerprint on her invitation paper.
    """
    if not await repo.is_org_admin(invitation.organisation_id, invitation.person_id):
        repo.add_org_admin(invitation.organisation_id, invitation.person_id)
    if invitation.created_by is not None and key is not None:
        raise Conflict(N_("The organisation key exists already."), field="organisation_key")
    if await repo.organisation_key(invitation.organisation_id) is not None:
        if key is not None:
            raise Conflict(N_("The organisation key exists already."), field="organisation_key")
        return
    if key is None:
        raise InvalidInput(N_("The first administrator's browser makes the organisation key; it is missing."),
                           field="organisation_key")
    uow.session.add(
        OrganisationKey(
            organisation_id=invitation.organisation_id,
            ed25519_public=_public_key(key.ed25519_public, "organisation_key"),
            created_by=invitation.person_id,
        )
    )
    uow.session.add(
        SigningKeyCopy(
            organisation_id=invitation.organisation_id,
            kind="organisation",
            subject_id=invitation.organisation_id,
            holder_id=invitation.person_id,
            sealed_box=_sealed_signing_key(key.sealed_copy, "organisation_key"),
            created_by=invitation.person_id,
        )
    )


# Her account and sessions ------------------------------------------------------------------


async def my_account(uow: UnitOfWork, caller: Caller) -> AccountRead:
    repo = AccountRepository(uow.session)
    account = await repo.account_of(caller.person_id)
    person = await repo.person(caller.person_id)
    if account is None or person is None or not account.public_identity:
        raise NotFound(N_("This person has no account with keys yet."))
    identity = person_fingerprint(account)
    return AccountRead(
        person_id=person.id,
        login=account.login,
        display_name=person.display_name,
        language=person.language,
        fingerprint=identity.fingerprint_text,
        fingerprint_qr=crypto.fingerprint_qr(identity.fingerprint),
    )


async def my_sessions(uow: UnitOfWork, caller: Caller) -> list[SessionRead]:
    rows = await AccountRepository(uow.session).live_sessions(caller.person_id, utcnow())
    return [
        SessionRead(
            id=r.id, created_at=r.created_at, last_seen_at=r.last_seen_at, user_agent=r.user_agent,
            current=r.id == caller.session_id,
        )
        for r in rows
    ]


async def end_my_session(uow: UnitOfWork, caller: Caller, session_id: uuid.UUID) -> None:
    row = await AccountRepository(uow.session).session_of(caller.person_id, session_id)
    if row is None or row.ended_at is not None:
        raise NotFound(N_("This session has ended already."))
    await sessions.end_session(uow, session_id, "ended_by_owner")


async def set_my_language(uow: UnitOfWork, caller: Caller, language: str) -> None:
    person = await AccountRepository(uow.session).person(caller.person_id)
    if person is None:
        raise NotFound()
    person.language = language
    await uow.flush()


# Organisation and programme keys -----------------------------------------------------------


def _signing_key_read(
    subject_id: uuid.UUID,
    kind: crypto.FingerprintKind,
    public: bytes,
    copies: list[SigningKeyCopy],
    holder: uuid.UUID,
    certificate: bytes | None = None,
) -> SigningKeyRead:
    mine = next((c for c in copies if c.holder_id == holder), None)
    return SigningKeyRead(
        subject_id=subject_id,
        ed25519_public=crypto.b64u_encode(public),
        fingerprint=_fingerprint_text(kind, subject_id, public),
        certificate=crypto.b64u_encode(certificate) if certificate else None,
        sealed_copy=crypto.b64u_encode(mine.sealed_box) if mine else None,
        holders=[c.holder_id for c in copies],
    )


async def organisation_key(uow: UnitOfWork, caller: Caller) -> SigningKeyRead:
    repo = AccountRepository(uow.session)
    key = await repo.organisation_key(caller.organisation_id)
    if key is None:
        raise NotFound(N_("The organisation key has not been made yet."))
    copies = await repo.key_copies(caller.organisation_id, caller.organisation_id)
    return _signing_key_read(
        caller.organisation_id, crypto.FingerprintKind.ORGANISATION_KEY, key.ed25519_public, copies, caller.person_id
    )


async def _holder_with_account(repo: AccountRepository, organisation_id: uuid.UUID, holder_id: uuid.UUID) -> None:
    person = await repo.person_in_organisation(organisation_id, holder_id)
    if person is None or await repo.account_of(holder_id) is None:
        raise InvalidInput(N_("She needs an account before she can hold this key."), field="holder_id")


async def _add_copy(
    uow: UnitOfWork,
    caller: Caller,
    repo: AccountRepository,
    *,
    kind: str,
    subject_id: uuid.UUID,
    data: KeyCopyCreate,
) -> None:
    copies = await repo.key_copies(caller.organisation_id, subject_id)
    if caller.person_id not in {c.holder_id for c in copies}:
        raise Forbidden(N_("Only someone who holds this key can pass it on."))
    if data.holder_id in {c.holder_id for c in copies}:
        raise Conflict(N_("She holds this key already."), field="holder_id")
    uow.session.add(
        SigningKeyCopy(
            organisation_id=caller.organisation_id,
            kind=kind,
            subject_id=subject_id,
            holder_id=data.holder_id,
            sealed_box=_sealed_signing_key(data.sealed_copy, "sealed_copy"),
            created_by=caller.person_id,
        )
    )
    await uow.flush()


async def add_organisation_key_copy(uow: UnitOfWork, caller: Caller, data: KeyCopyCreate) -> None:
    """An admin's browser passes the organisation key on to another admin."""
    await programmes.require_org_admin(uow, caller)
    repo = AccountRepository(uow.session)
    if not await repo.is_org_admin(caller.organisation_id, data.holder_id):
        raise InvalidInput(N_("Only organisation administrators hold the organisation key."), field="holder_id")
    await _holder_with_account(repo, caller.organisation_id, data.holder_id)
    await _add_copy(uow, caller, repo, kind="organisation", subject_id=caller.organisation_id, data=data)


@personal_data("public_identity")
async def admin_public_identity(uow: UnitOfWork, caller: Caller, person_id: uuid.UUID) -> PublicIdentityRead:
    """Another organisation admin's public keys, so that an admin's browser can seal the organisation key to her."""
    await programmes.require_org_admin(uow, caller)
    repo = AccountRepository(uow.session)
    person = await repo.person_in_organisation(caller.organisation_id, person_id)
    if person is None or not await repo.is_org_admin(caller.organisation_id, person_id):
        raise NotFound()
    account = await repo.account_of(person_id)
    if account is None or not account.public_identity:
        raise NotFound(N_("She has no account yet."))
    record_access(
        uow, caller, role=Role.org_admin, subjects=[person_id], record_kind="public_identity", action=Action.read,
    )
    return PublicIdentityRead(
        person_id=person_id,
        display_name=person.display_name,
        public_identity=crypto.b64u_encode(account.public_identity),
        fingerprint=person_fingerprint(account).fingerprint_text,
    )


async def organisation_key_holders(uow: UnitOfWork, caller: Caller) -> list[OrganisationAdminRead]:
    """Every organisation admin: whether she has an account and whether she holds the organisation key."""
    await programmes.require_org_admin(uow, caller)
    repo = AccountRepository(uow.session)
    admin_ids = await repo.org_admin_ids(caller.organisation_id)
    holders = {c.holder_id for c in await repo.key_copies(caller.organisation_id, caller.organisation_id)}
    accounts = await repo.accounts_in_organisation(caller.organisation_id, admin_ids)
    answers = []
    for admin_id in admin_ids:
        person = await repo.person(admin_id)
        if person is not None:
            answers.append(OrganisationAdminRead(
                person_id=admin_id, display_name=person.display_name,
                has_account=admin_id in accounts, holds_key=admin_id in holders,
            ))
    return sorted(answers, key=lambda a: a.display_name)


async def programme_key(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> SigningKeyRead:
    access = await programmes.authorize(uow, caller, programme_id, Role)
    repo = AccountRepository(uow.session)
    key = await repo.programme_key(access.scope.organisation_id, programme_id)
    if key is None:
        raise NotFound(N_("This programme's key has not been made yet."))
    copies = await repo.key_copies(access.scope.organisation_id, programme_id)
    return _signing_key_read(
        programme_id, crypto.FingerprintKind.PROGRAMME_KEY, key.ed25519_public, copies, caller.person_id,
        key.certificate,
    )


async def create_programme_key(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, data: ProgrammeKeyCreate
) -> SigningKeyRead:
    """Store a programme key made in a staff member's browser, certified by the organisation key."""
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    repo = AccountRepository(uow.session)
    if await repo.account_of(caller.person_id) is None:
        raise Forbidden(N_("Log in with your own account to do this."))
    if await repo.programme_key(access.scope.organisation_id, programme_id) is not None:
        raise Conflict(N_("This programme has a key already."))
    org_key = await repo.organisation_key(access.scope.organisation_id)
    if org_key is None:
        raise Conflict(N_("The organisation key has not been made yet; an administrator logs in first."))
    public = _public_key(data.ed25519_public, "ed25519_public")
    certificate = _decode(data.certificate, "certificate")
    try:
        record = crypto.verify_record(
            certificate, org_key.ed25519_public, crypto.RecordKind.PROGRAMME_KEY_CERTIFICATE
        )
        certified = crypto.verify_programme_key(certificate, org_key.ed25519_public, str(programme_id))
    except crypto.CryptoError:
        raise _bad_structure("certificate") from None
    if certified != public or record.organisation_id != str(access.scope.organisation_id):
        raise _bad_structure("certificate")
    uow.session.add(
        ProgrammeKey(
            programme_id=programme_id,
            organisation_id=access.scope.organisation_id,
            ed25519_public=public,
            certificate=certificate,
            created_by=caller.person_id,
        )
    )
    uow.session.add(
        SigningKeyCopy(
            organisation_id=access.scope.organisation_id,
            kind="programme",
            subject_id=programme_id,
            holder_id=caller.person_id,
            sealed_box=_sealed_signing_key(data.sealed_copy, "sealed_copy"),
            created_by=caller.person_id,
        )
    )
    await uow.flush()
    return await programme_key(uow, caller, programme_id)


async def add_programme_key_copy(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, data: KeyCopyCreate
) -> None:
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    repo = AccountRepository(uow.session)
    holder_roles = await _roles_of(uow, access.scope.organisation_id, programme_id, data.holder_id)
    if not holder_roles & {Role.staff, Role.org_admin}:
        raise InvalidInput(N_("Only staff of this programme hold its key."), field="holder_id")
    await _holder_with_account(repo, access.scope.organisation_id, data.holder_id)
    await _add_copy(uow, caller, repo, kind="programme", subject_id=programme_id, data=data)


async def _roles_of(
    uow: UnitOfWork, organisation_id: uuid.UUID, programme_id: uuid.UUID, person_id: uuid.UUID
) -> set[Role]:
    person = await AccountRepository(uow.session).person_in_organisation(organisation_id, person_id)
    if person is None:
        return set()
    stand_in = Caller(person_id=person.id, organisation_id=organisation_id, session_id=None)
    return await programmes.roles_in(uow, stand_in, programme_id)


@personal_data("public_identity")
async def public_identity(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, person_id: uuid.UUID
) -> PublicIdentityRead:
    """Someone's public keys, to seal a key to her or to check a record about her."""
    access = await programmes.authorize(uow, caller, programme_id, Role)
    repo = AccountRepository(uow.session)
    person = await repo.person_in_organisation(access.scope.organisation_id, person_id)
    if person is None or not await _roles_of(uow, access.scope.organisation_id, programme_id, person_id):
        raise NotFound()
    account = await repo.account_of(person_id)
    if account is None or not account.public_identity:
        raise NotFound(N_("She has no account yet."))
    identity = person_fingerprint(account)
    record_access(
        uow, caller, role=access.role, subjects=[person_id],
        record_kind="public_identity", action=Action.read, programme_id=programme_id,
    )
    return PublicIdentityRead(
        person_id=person_id,
        display_name=person.display_name,
        public_identity=crypto.b64u_encode(account.public_identity),
        fingerprint=identity.fingerprint_text,
    )


# Signed coach assignments ------------------------------------------------------------------


COACH_ROLES = {
    CoachKind.individual: crypto.CoachRole.INDIVIDUAL,
    CoachKind.budget: crypto.CoachRole.BUDGET,
    CoachKind.work: crypto.CoachRole.WORK,
}


def assignment_validity(starts_on: date, ends_on: date | None) -> tuple[int, int]:
    """valid_from and valid_until of a coach assignment record (docs/crypto-spec.md, Deviations).

    Dates are whole days: from 00:00 UTC of the first day to 00:00 UTC of the day after the last;
    0 means open-ended.
    """
    start = int(datetime.combine(starts_on, time(), tzinfo=UTC).timestamp())
    if ends_on is None:
        return start, 0
    return start, int(datetime.combine(ends_on + timedelta(days=1), time(), tzinfo=UTC).timestamp())


def _stored_serials(assignments: list[CoachAssignmentRead], programme_public: bytes) -> list[int]:
    serials = []
    for a in assignments:
        if not a.signed_record:
            continue
        try:
            record = crypto.verify_record(
                crypto.b64u_decode(a.signed_record), programme_public, crypto.RecordKind.COACH_ASSIGNMENT
            )
        except crypto.CryptoError:
            continue
        serials.append(record.serial)
    return serials


async def assignment_signing(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> AssignmentSigningRead:
    """What a staff browser needs to sign coach assignments: whether she holds the key, the next serial."""
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    repo = AccountRepository(uow.session)
    organisation_id = access.scope.organisation_id
    programme_public = await _certified_programme_key(repo, organisation_id, programme_id)
    if programme_public is None:
        return AssignmentSigningRead(has_key=False, holds_key=False, next_serial=1)
    holders = {c.holder_id for c in await repo.key_copies(organisation_id, programme_id)}
    assignments = await programmes.list_assignments(uow, caller, programme_id)
    return AssignmentSigningRead(
        has_key=True,
        holds_key=caller.person_id in holders,
        next_serial=max(_stored_serials(assignments, programme_public), default=0) + 1,
    )


def _not_valid() -> InvalidInput:
    return InvalidInput(
        N_("The signature on this coach assignment does not check out, so nothing was saved. "
           "Reload the page and try again."),
        field="signed_record",
    )


async def check_assignment_record(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, facts: AssignmentFacts, signed_record: str
) -> None:
    """Refuse a coach assignment record that does not carry exactly these facts, signed by her.

    The chain organisation key -> certificate -> programme key -> record must hold, the coach's
    fingerprint must be that of her public identity, and the serial must be newer than every
    record stored for the programme (clients refuse older ones).
    """
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    repo = AccountRepository(uow.session)
    organisation_id = access.scope.organisation_id
    programme_public = await _certified_programme_key(repo, organisation_id, programme_id)
    if programme_public is None:
        raise InvalidInput(N_("This programme has no key yet, so nothing can be signed."), field="signed_record")
    coach = (await repo.accounts_in_organisation(organisation_id, [facts.coach_id])).get(facts.coach_id)
    if coach is None or not coach.public_identity:
        raise InvalidInput(N_("This coach has no account yet; sign the assignment after she joins."),
                           field="signed_record")
    try:
        record = crypto.verify_record(
            crypto.b64u_decode(signed_record), programme_public, crypto.RecordKind.COACH_ASSIGNMENT
        )
    except crypto.CryptoError:
        raise _not_valid() from None
    valid_from, valid_until = assignment_validity(facts.starts_on, facts.ends_on)
    body = record.body
    if not (
        _assignment_checks(signed_record, programme_public, organisation_id, programme_id, facts.participant_id, coach)
        and isinstance(body, crypto.CoachAssignment)
        and body.role == COACH_ROLES[facts.kind]
        and (body.valid_from, body.valid_until) == (valid_from, valid_until)
        and record.signed_by == str(caller.person_id)
    ):
        raise _not_valid()
    assignments = await programmes.list_assignments(uow, caller, programme_id)
    if record.serial <= max(_stored_serials(assignments, programme_public), default=0):
        raise Conflict(
            N_("Someone signed another coach assignment at the same time. Reload the page and try again."),
            field="signed_record",
        )


async def assignment_trust(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> list[AssignmentTrustRead]:
    """Each coach assignment she may see, with whether its signed record checks out.

    The server checks what it can (programme key, certificate, ids, the coach's fingerprint, and
    whether the coach signed it himself); browsers check again against the keys they pinned.
    """
    assignments = await programmes.list_assignments(uow, caller, programme_id)
    repo = AccountRepository(uow.session)
    organisation_id = caller.organisation_id
    programme_public = await _certified_programme_key(repo, organisation_id, programme_id)
    accounts = await repo.accounts_in_organisation(organisation_id, list({a.coach_id for a in assignments}))
    answers = []
    for a in assignments:
        status = SignatureStatus.unsigned
        if a.signed_record:
            coach = accounts.get(a.coach_id)
            ok = programme_public is not None and coach is not None and _assignment_checks(
                a.signed_record, programme_public, organisation_id, programme_id, a.participant_id, coach
            )
            status = SignatureStatus.signed if ok else SignatureStatus.invalid
            if ok and programme_public is not None and a.ends_on is not None:
                status = _end_status(a, programme_public)
            if ok and programme_public is not None and a.ended_at is None and _self_signed(a, programme_public):
                status = SignatureStatus.awaiting_second_signature
        answers.append(
            AssignmentTrustRead(assignment_id=a.id, participant_id=a.participant_id, coach_id=a.coach_id, status=status)
        )
    return answers


def _self_signed(assignment: CoachAssignmentRead, programme_public: bytes) -> bool:
    """Whether the record's signer is the coach it names (read from the record, not the row)."""
    assert assignment.signed_record is not None
    try:
        record = crypto.verify_record(
            crypto.b64u_decode(assignment.signed_record), programme_public, crypto.RecordKind.COACH_ASSIGNMENT
        )
    except crypto.CryptoError:
        return False
    body = record.body
    return isinstance(body, crypto.CoachAssignment) and record.signed_by == body.coach_id


async def programme_public_key(uow: UnitOfWork, organisation_id: uuid.UUID, programme_id: uuid.UUID) -> bytes | None:
    """The programme's signing key as stored, if its certificate verifies with the organisation
    key as stored (organisation key -> programme certificate): what a record it signed is
    checked against. None when the programme has no (valid) key."""
    return await _certified_programme_key(AccountRepository(uow.session), organisation_id, programme_id)


async def _certified_programme_key(
    repo: AccountRepository, organisation_id: uuid.UUID, programme_id: uuid.UUID
) -> bytes | None:
    org_key = await repo.organisation_key(organisation_id)
    key = await repo.programme_key(organisation_id, programme_id)
    if org_key is None or key is None:
        return None
    try:
        public = crypto.verify_programme_key(key.certificate, org_key.ed25519_public, str(programme_id))
    except crypto.CryptoError:
        return None
    return public if public == key.ed25519_public else None


def _end_status(assignment: CoachAssignmentRead, programme_public: bytes) -> SignatureStatus:
    """An assignment with an end date is signed only when its record carries that end."""
    assert assignment.signed_record is not None
    try:
        body = crypto.verify_record(
            crypto.b64u_decode(assignment.signed_record), programme_public, crypto.RecordKind.COACH_ASSIGNMENT
        ).body
    except crypto.CryptoError:
        return SignatureStatus.invalid
    _, until = assignment_validity(assignment.starts_on, assignment.ends_on)
    if isinstance(body, crypto.CoachAssignment) and body.valid_until == until:
        return SignatureStatus.signed
    return SignatureStatus.outdated


def _assignment_checks(
    signed_record: str,
    programme_public: bytes,
    organisation_id: uuid.UUID,
    programme_id: uuid.UUID,
    participant_id: uuid.UUID,
    coach: Account,
) -> bool:
    try:
        record = crypto.verify_record(
            crypto.b64u_decode(signed_record), programme_public, crypto.RecordKind.COACH_ASSIGNMENT
        )
        coach_fingerprint = person_fingerprint(coach).fingerprint
    except crypto.CryptoError:
        return False
    body = record.body
    return (
        isinstance(body, crypto.CoachAssignment)
        and record.organisation_id == str(organisation_id)
        and record.programme_id == str(programme_id)
        and body.participant_id == str(participant_id)
        and body.coach_id == str(coach.person_id)
        and body.coach_fingerprint == coach_fingerprint
    )



# Hooks for the recovery feature (programme recovery and coach-assisted recovery) -----------


async def account_by_login(uow: UnitOfWork, login_name: str) -> Account | None:
    """Her account by login name, or None (also for a name that is not a valid login)."""
    try:
        login_value = crypto.normalise_login(login_name)
    except crypto.CryptoError:
        return None
    return await AccountRepository(uow.session).account_by_login(login_value)


async def account_of_person(uow: UnitOfWork, person_id: uuid.UUID) -> Account | None:
    return await AccountRepository(uow.session).account_of(person_id)


async def set_password_after_device_recovery(
    uow: UnitOfWork, client: Client, person_id: uuid.UUID, key_bundle: str, auth_proof: str
) -> Started:
    """Her recovered device set a new password: same keys, new password copy; every other session ends."""
    repo = AccountRepository(uow.session)
    account = await repo.account_of(person_id)
    person = await repo.person(person_id)
    if account is None or person is None:
        raise NotFound()
    bundle = _bundle(key_bundle, client.settings)
    new_secret = _proof(auth_proof, AUTH_LOGIN, "auth_proof")
    _same_keys(crypto.KeyBundle.from_bytes(account.key_bundle), bundle)
    account.key_bundle = bundle.to_bytes()
    account.auth_hash = await client.hasher.hash(new_secret)
    account.password_changed_at = utcnow()
    _kdf_columns(account, bundle)
    await sessions.end_other_sessions(uow, person_id, None, "recovered")
    return await _start(uow, client, account, person, ending=None)


async def rotate_user_key(
    uow: UnitOfWork,
    client: Client,
    caller: Caller,
    *,
    old_user_key_id: str,
    current_auth_proof: str,
    key_bundle: str,
    recovery_proof: str,
    new_recovery_code: bool,
) -> crypto.KeyBundle | LoginFailed:
    """Her browser made a new user key under the same password and recovery code (docs/crypto-spec.md
    5.4): store the new bundle, compare-and-set on the user key it replaces. The caller (withdrawing
    programme-recovery consent) re-wraps the rest and ends her other sessions in the same transaction.
    """
    repo = AccountRepository(uow.session)
    account = await repo.account_of(caller.person_id)
    if account is None:
        raise NotFound()
    old = crypto.KeyBundle.from_bytes(account.key_bundle)
    if _decode(old_user_key_id, "old_user_key_id") != old.user_key_id:
        raise Conflict(
            N_("Your keys were changed in the meantime, perhaps on another device. Reload the page and try again."),
            field="old_user_key_id",
        )
    current = _proof(current_auth_proof, AUTH_LOGIN, "current_auth_proof")
    recovery_secret = _proof(recovery_proof, AUTH_RECOVERY, "recovery_proof")
    bundle = _bundle(key_bundle, client.settings)
    if (
        bundle.x25519_public != old.x25519_public
        or bundle.ed25519_public != old.ed25519_public
        or bundle.params.to_bytes() != old.params.to_bytes()
        or bundle.user_key_id == old.user_key_id
        or bundle.kek_box == old.kek_box
        or bundle.recovery_box == old.recovery_box
        or bundle.private_keys_box == old.private_keys_box
    ):
        raise _bad_structure("key_bundle")
    await _check_back_off(repo, client, account.login, account)
    if not await client.hasher.verify(account.auth_hash, current):
        await _record_failure(uow, client, account.login, account)
        return LoginFailed()
    values: dict[str, object] = {}
    if new_recovery_code:
        values["recovery_hash"] = await client.hasher.hash(recovery_secret)
    elif not await client.hasher.verify(account.recovery_hash or None, recovery_secret):
        raise InvalidInput(
            N_("This is not your recovery code. Type it again, or choose to get a new code."), field="recovery_code"
        )
    if not await repo.swap_key_bundle(caller.person_id, account.key_bundle, bundle.to_bytes(), **values):
        raise Conflict(
            N_("Your keys were changed in the meantime, perhaps on another device. Reload the page and try again."),
            field="old_user_key_id",
        )
    return bundle


async def reset_to_new_keys(
    uow: UnitOfWork,
    client: Client,
    person_id: uuid.UUID,
    *,
    key_bundle: str,
    public_identity: str,
    auth_proof: str,
    recovery_proof: str,
) -> tuple[bytes, Started]:
    """Coach-assisted recovery: her account gets new keys made in her browser; every session ends.

    Returns her former public identity (kept by the recovery feature) and the new session.
    """
    repo = AccountRepository(uow.session)
    account = await repo.account_of(person_id)
    person = await repo.person(person_id)
    if account is None or person is None:
        raise NotFound()
    bundle = _bundle(key_bundle, client.settings)
    raw_identity = _decode(public_identity, "public_identity")
    try:
        identity = crypto.Person.from_public_identity(raw_identity)
    except crypto.CryptoError:
        raise _bad_structure("public_identity") from None
    if (
        identity.user_id != str(person_id)
        or identity.x25519_public != bundle.x25519_public
        or identity.ed25519_public != bundle.ed25519_public
        or bundle.user_key_id == crypto.KeyBundle.from_bytes(account.key_bundle).user_key_id
    ):
        raise _bad_structure("public_identity")
    former = account.public_identity
    account.key_bundle = bundle.to_bytes()
    account.public_identity = raw_identity
    account.auth_hash = await client.hasher.hash(_proof(auth_proof, AUTH_LOGIN, "auth_proof"))
    account.recovery_hash = await client.hasher.hash(_proof(recovery_proof, AUTH_RECOVERY, "recovery_proof"))
    account.password_changed_at = utcnow()
    _kdf_columns(account, bundle)
    await sessions.end_other_sessions(uow, person_id, None, "keys_reset")
    return former, await _start(uow, client, account, person, ending=None)
