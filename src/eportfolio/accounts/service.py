"""Use cases of the accounts feature: sign-up, login with back-off, recovery, sessions and devices.

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
from datetime import datetime, timedelta

from sqlalchemy import select

from eportfolio import crypto
from eportfolio.accounts import sessions
from eportfolio.accounts.hashing import SecretHasher
from eportfolio.accounts.repository import AccountRepository
from eportfolio.accounts.tables import Account as Account
from eportfolio.accounts.tables import LoginThrottle
from eportfolio.config import Settings
from eportfolio.crypto.kdf import AUTH_LOGIN, AUTH_RECOVERY, MINIMUM
from eportfolio.domain.accounts import (
    AccountRead,
    PasswordChangeRequest,
    PreloginRead,
    RecoveryBundleRead,
    RecoveryCodeChange,
    RecoveryCompleteRequest,
    SessionRead,
    SessionStarted,
    SignUpRequest,
)
from eportfolio.kit.auth import Caller
from eportfolio.kit.clock import utcnow
from eportfolio.kit.errors import N_, Conflict, InvalidInput, NotFound, TooManyRequests
from eportfolio.kit.uow import UnitOfWork
from eportfolio.programmes.tables import Organisation, OrganisationAdmin, Programme
from eportfolio.programmes.tables import Person as Person

# Back-off: this many failures are free, then the wait doubles per failure up to the cap. An
# account is never locked: after the wait the right password always works.
FREE_FAILURES_PER_ACCOUNT = 5
FREE_FAILURES_PER_ADDRESS = 30
MAX_WAIT_SECONDS = 15 * 60
KNOWN_DEVICE_ENTRIES = 4


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


def decode(value: str, field: str) -> bytes:
    try:
        return crypto.b64u_decode(value)
    except crypto.CryptoError:
        raise InvalidInput(N_("This is not valid base64url."), field=field) from None


def bad_structure(field: str) -> InvalidInput:
    return InvalidInput(N_("This key structure is malformed or does not fit; nothing was saved."), field=field)


def _proof(value: str, kind: int, field: str) -> bytes:
    try:
        found, secret = crypto.parse_auth_proof(decode(value, field))
    except crypto.CryptoError:
        raise bad_structure(field) from None
    if found != kind:
        raise bad_structure(field)
    return secret


def _bundle(value: str, settings: Settings, field: str = "key_bundle") -> crypto.KeyBundle:
    try:
        bundle = crypto.KeyBundle.from_bytes(decode(value, field))
        bundle.params.check(allow_test_params=settings.is_test)
        bundle.verify()  # signed by her own Ed25519 key: a bundle nobody tampered with
    except crypto.CryptoError:
        raise bad_structure(field) from None
    return bundle


def _login(value: str) -> str:
    try:
        return crypto.normalise_login(value)
    except crypto.CryptoError:
        raise InvalidInput(
            N_("A login name has 3 to 32 letters (a to z), digits, dots, dashes or underscores."), field="login"
        ) from None


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
        raise bad_structure(field)
    # The password's copy stays as it is: a stale bundle must not undo a password change.
    if new_recovery_copy and (new.kek_box != old.kek_box or new.params.to_bytes() != old.params.to_bytes()):
        raise bad_structure(field)


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


# Sign-up -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewAccount:
    """A sign-up whose own parts all check out (login name, keys, proofs); nothing is stored yet.

    The invitations feature makes one for the person an invitation names, and opens it with
    ``open_account`` once the invitation is taken.
    """

    person: Person
    login: str
    bundle: crypto.KeyBundle
    public_identity: bytes
    auth_secret: bytes
    recovery_secret: bytes


async def check_sign_up(uow: UnitOfWork, client: Client, person_id: uuid.UUID, data: SignUpRequest) -> NewAccount:
    """Refuse a sign-up for this person whose login name, keys or proofs do not fit."""
    repo = AccountRepository(uow.session)
    login_value = _login(data.login)
    bundle = _bundle(data.key_bundle, client.settings)
    try:
        identity = crypto.Person.from_public_identity(decode(data.public_identity, "public_identity"))
    except crypto.CryptoError:
        raise bad_structure("public_identity") from None
    if (
        identity.user_id != str(person_id)
        or identity.x25519_public != bundle.x25519_public
        or identity.ed25519_public != bundle.ed25519_public
    ):
        raise bad_structure("public_identity")
    auth_secret = _proof(data.auth_proof, AUTH_LOGIN, "auth_proof")
    recovery_secret = _proof(data.recovery_proof, AUTH_RECOVERY, "recovery_proof")
    person = await repo.person(person_id)
    assert person is not None
    if await repo.account_of(person.id) is not None:
        raise Conflict(N_("You have an account already. Please log in."))
    if await repo.account_by_login(login_value) is not None:
        raise Conflict(N_("This login name is taken. Please choose another."), field="login")
    return NewAccount(
        person=person,
        login=login_value,
        bundle=bundle,
        public_identity=decode(data.public_identity, "public_identity"),
        auth_secret=auth_secret,
        recovery_secret=recovery_secret,
    )


async def open_account(uow: UnitOfWork, client: Client, new: NewAccount, now: datetime) -> Started:
    """Store the account and start her first session."""
    account = Account(
        person_id=new.person.id,
        login=new.login,
        auth_hash=await client.hasher.hash(new.auth_secret),
        recovery_hash=await client.hasher.hash(new.recovery_secret),
        key_bundle=new.bundle.to_bytes(),
        public_identity=new.public_identity,
        created_at=now,
        password_changed_at=now,
    )
    _kdf_columns(account, new.bundle)
    uow.session.add(account)
    await uow.flush()
    return await _start(uow, client, account, new.person, ending=None)


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
    if decode(old_user_key_id, "old_user_key_id") != old.user_key_id:
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
        raise bad_structure("key_bundle")
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
    raw_identity = decode(public_identity, "public_identity")
    try:
        identity = crypto.Person.from_public_identity(raw_identity)
    except crypto.CryptoError:
        raise bad_structure("public_identity") from None
    if (
        identity.user_id != str(person_id)
        or identity.x25519_public != bundle.x25519_public
        or identity.ed25519_public != bundle.ed25519_public
        or bundle.user_key_id == crypto.KeyBundle.from_bytes(account.key_bundle).user_key_id
    ):
        raise bad_structure("public_identity")
    former = account.public_identity
    account.key_bundle = bundle.to_bytes()
    account.public_identity = raw_identity
    account.auth_hash = await client.hasher.hash(_proof(auth_proof, AUTH_LOGIN, "auth_proof"))
    account.recovery_hash = await client.hasher.hash(_proof(recovery_proof, AUTH_RECOVERY, "recovery_proof"))
    account.password_changed_at = utcnow()
    _kdf_columns(account, bundle)
    await sessions.end_other_sessions(uow, person_id, None, "keys_reset")
    return former, await _start(uow, client, account, person, ending=None)


# For the features built on accounts (invitations, trust): people and their accounts ----------


async def accounts_in_organisation(
    uow: UnitOfWork, organisation_id: uuid.UUID, person_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Account]:
    """Person id -> account, for those of these people of the organisation who have one."""
    return await AccountRepository(uow.session).accounts_in_organisation(organisation_id, person_ids)


async def person(uow: UnitOfWork, person_id: uuid.UUID) -> Person | None:
    return await AccountRepository(uow.session).person(person_id)


async def person_in_organisation(uow: UnitOfWork, organisation_id: uuid.UUID, person_id: uuid.UUID) -> Person | None:
    return await AccountRepository(uow.session).person_in_organisation(organisation_id, person_id)


async def organisation(uow: UnitOfWork, organisation_id: uuid.UUID) -> Organisation | None:
    return await AccountRepository(uow.session).organisation(organisation_id)


async def programme(uow: UnitOfWork, organisation_id: uuid.UUID, programme_id: uuid.UUID) -> Programme | None:
    return await AccountRepository(uow.session).programme(organisation_id, programme_id)


async def is_org_admin(uow: UnitOfWork, organisation_id: uuid.UUID, person_id: uuid.UUID) -> bool:
    return await AccountRepository(uow.session).is_org_admin(organisation_id, person_id)


async def org_admin_ids(uow: UnitOfWork, organisation_id: uuid.UUID) -> list[uuid.UUID]:
    return await AccountRepository(uow.session).org_admin_ids(organisation_id)


def add_org_admin(uow: UnitOfWork, organisation_id: uuid.UUID, person_id: uuid.UUID) -> None:
    AccountRepository(uow.session).add_org_admin(organisation_id, person_id)


async def has_admin_with_account(uow: UnitOfWork, organisation_id: uuid.UUID) -> bool:
    """Whether an administrator of the organisation has an account (then admins invite admins)."""
    existing = await uow.session.execute(
        select(Account.person_id)
        .join(OrganisationAdmin, OrganisationAdmin.person_id == Account.person_id)
        .where(OrganisationAdmin.organisation_id == organisation_id)
        .limit(1)
    )
    return existing.scalar_one_or_none() is not None


async def staff_without_account(uow: UnitOfWork, organisation_id: uuid.UUID) -> list[Person]:
    """Staff of any programme of the organisation who have no account yet (may be invited as admins)."""
    return await AccountRepository(uow.session).staff_without_account(organisation_id)


async def staff_with_account(uow: UnitOfWork, organisation_id: uuid.UUID) -> list[Person]:
    """Staff of any programme of the organisation who have an account (may be made admins at once)."""
    return await AccountRepository(uow.session).staff_with_account(organisation_id)
