"""A person's keys: public identity, the wrapped key bundle, and the unlocked Identity."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .boxes import (
    SealedPurpose,
    SecretPurpose,
    open_sealed,
    open_secret,
    seal_secret,
    seal_to,
    unwrap_key,
    wrap_key,
)
from .encoding import Reader, Writer, check_id
from .errors import refuse, refusing
from .fingerprints import FingerprintKind, fingerprint, fingerprint_text
from .kdf import KdfParams, LoginSecrets, derive_login_secrets, normalise_login
from .primitives import (
    KEY_BYTES,
    KEY_ID_BYTES,
    SIGNATURE_BYTES,
    Rng,
    draw,
    ed25519_public,
    key_id,
    sign,
    system_rng,
    verify,
    x25519_public,
)
from .recovery import RecoveryCode

TAG_KEY_BUNDLE = 0x04
TAG_PUBLIC_IDENTITY = 0x05
_KDF_PARAMS_BYTES = 31


@dataclass(frozen=True)
class Person:
    """Someone's public keys, as her browser published them (or as pinned)."""

    user_id: str
    x25519_public: bytes
    ed25519_public: bytes

    @property
    @refusing
    def fingerprint(self) -> bytes:
        return fingerprint(FingerprintKind.PERSON, self.user_id, self.x25519_public + self.ed25519_public)

    @property
    def fingerprint_text(self) -> str:
        return fingerprint_text(self.fingerprint)

    def _unsigned(self) -> bytes:
        return (
            Writer(TAG_PUBLIC_IDENTITY)
            .str16(check_id(self.user_id))
            .raw(self.x25519_public, 32)
            .raw(self.ed25519_public, 32)
            .getvalue()
        )

    @classmethod
    @refusing
    def from_public_identity(cls, data: bytes) -> Person:
        """Parse a PublicIdentity and check its self-signature."""
        reader = Reader(data, TAG_PUBLIC_IDENTITY)
        person = cls(reader.id16(), reader.raw(32), reader.raw(32))
        signed = reader.consumed()
        signature = reader.raw(SIGNATURE_BYTES)
        reader.end()
        verify(person.ed25519_public, "eportfolio/v1/sig/identity", signed, signature)
        return person


@dataclass(frozen=True)
class KeyBundle:
    """What the server keeps for a person: her keys, each wrapped."""

    params: KdfParams
    user_key_id: bytes
    x25519_public: bytes
    ed25519_public: bytes
    kek_box: bytes
    recovery_box: bytes
    private_keys_box: bytes
    signature: bytes = b""

    @refusing
    def to_bytes(self) -> bytes:
        return self.signed_bytes() + self.signature

    def signed_bytes(self) -> bytes:
        """What her Ed25519 signature covers: everything but the signature."""
        return (
            Writer(TAG_KEY_BUNDLE)
            .raw(self.params.to_bytes(), _KDF_PARAMS_BYTES)
            .raw(self.user_key_id, KEY_ID_BYTES)
            .raw(self.x25519_public, 32)
            .raw(self.ed25519_public, 32)
            .bytes16(self.kek_box)
            .bytes16(self.recovery_box)
            .bytes16(self.private_keys_box)
            .getvalue()
        )

    @classmethod
    @refusing
    def from_bytes(cls, data: bytes) -> KeyBundle:
        reader = Reader(data, TAG_KEY_BUNDLE)
        bundle = cls(
            KdfParams.from_bytes(reader.raw(_KDF_PARAMS_BYTES)),
            reader.raw(KEY_ID_BYTES),
            reader.raw(32),
            reader.raw(32),
            reader.bytes16(),
            reader.bytes16(),
            reader.bytes16(),
            b"",
        )
        bundle = replace(bundle, signature=reader.raw(SIGNATURE_BYTES))
        reader.end()
        return bundle

    def kek_context(self) -> bytes:
        return self.params.to_bytes() + self.user_key_id

    def signed_by(self, ed25519_seed: bytes) -> KeyBundle:
        signature = sign(ed25519_seed, "eportfolio/v1/sig/key-bundle", self.signed_bytes())
        return replace(self, signature=signature)

    def verify(self) -> None:
        """Refuse a bundle whose parts were changed, even parts this unlock does not open."""
        verify(self.ed25519_public, "eportfolio/v1/sig/key-bundle", self.signed_bytes(), self.signature)


@dataclass(frozen=True)
class SignUp:
    """Everything sign-up produces: the identity, and what goes to the server."""

    identity: Identity
    bundle: bytes
    recovery_code: RecoveryCode
    auth_proof: bytes
    recovery_auth_proof: bytes
    public_identity: bytes


@dataclass(frozen=True)
class PasswordChange:
    bundle: bytes
    auth_proof: bytes


class UserKeyRotation:
    """A new user key (docs/crypto-spec.md 5.4): the new bundle, and what re-wraps her other keys.

    Holds the old and the new user key until the caller has re-wrapped everything; nothing here
    is sent but the new bundle, the re-wrapped boxes and the recovery proof.
    """

    def __init__(
        self,
        *,
        identity: Identity,
        old_user_key: bytes,
        recovery_code: RecoveryCode | None,
        recovery_auth_proof: bytes,
    ) -> None:
        self.identity = identity
        self.bundle = identity.bundle.to_bytes()
        self.old_user_key_id = key_id(old_user_key)
        self.new_user_key_id = identity.user_key_id
        self.recovery_code = recovery_code
        self.recovery_auth_proof = recovery_auth_proof
        self._old_user_key = old_user_key

    def __repr__(self) -> str:
        return f"UserKeyRotation(user_id={self.identity.user_id!r})"

    @refusing
    def rewrap_item_key(self, wrap: bytes, item_key_id: bytes, *, rng: Rng = system_rng) -> bytes:
        """An item (or draft) key wrapped under the old user key, wrapped again under the new one."""
        item_key = unwrap_key(wrap, self._old_user_key, SecretPurpose.ITEM_KEY, item_key_id, item_key_id)
        return wrap_key(self.identity.user_key, SecretPurpose.ITEM_KEY, item_key, item_key_id, rng=rng)

    @refusing
    def reseal_pinned_keys(self, record: bytes, *, min_revision: int = 0, rng: Rng = system_rng) -> tuple[int, bytes]:
        """Her pinned-keys record under the new user key, one revision higher: (revision, record)."""
        from .pinned import open_pinned_keys, seal_pinned_keys

        old = _OldKeyOwner(self.identity.person, self._old_user_key)
        revision, entries = open_pinned_keys(old, record, min_revision=min_revision)  # type: ignore[arg-type]  # _OldKeyOwner has the person and key open_pinned_keys reads, not a whole Identity
        return revision + 1, seal_pinned_keys(self.identity, revision + 1, entries, rng=rng)

    @refusing
    def seal_for_programme_recovery(self, recovery_public: bytes, *, rng: Rng = system_rng) -> bytes:
        """A programme recovery copy of the new user key (for a consent she keeps elsewhere)."""
        return self.identity.seal_for_programme_recovery(recovery_public, rng=rng)


@dataclass(frozen=True)
class _OldKeyOwner:
    """Enough of an Identity for opening a pinned-keys record under her old user key."""

    person: Person
    user_key: bytes


class Identity:
    """An unlocked person: holds her user key and private keys, acts as her browser does."""

    @refusing
    def __init__(
        self,
        *,
        user_id: str,
        login: str,
        user_key: bytes,
        x25519_private: bytes,
        ed25519_seed: bytes,
        bundle: KeyBundle,
    ) -> None:
        self.user_id = check_id(user_id)
        self.login = login
        self.user_key = user_key
        self.user_key_id = key_id(user_key)
        self._x25519_private = x25519_private
        self._ed25519_seed = ed25519_seed
        self.person = Person(user_id, x25519_public(x25519_private), ed25519_public(ed25519_seed))
        self.bundle = bundle

    def __repr__(self) -> str:
        return f"Identity(user_id={self.user_id!r}, fingerprint={self.person.fingerprint_text!r})"

    # -- creating and unlocking -------------------------------------------------------------

    @classmethod
    @refusing
    def create(
        cls,
        login: str,
        password: str,
        *,
        user_id: str,
        params: KdfParams | None = None,
        allow_test_params: bool = False,
        rng: Rng = system_rng,
    ) -> SignUp:
        """Sign-up: new keys, wrapped under the password and a new recovery code."""
        params = params if params is not None else KdfParams.new(rng=rng)
        secrets = derive_login_secrets(login, password, params, allow_test_params=allow_test_params)
        return cls.create_with_secrets(secrets, user_id=user_id, rng=rng)

    @classmethod
    @refusing
    def create_with_secrets(cls, secrets: LoginSecrets, *, user_id: str, rng: Rng = system_rng) -> SignUp:
        """Sign-up after the KDF already ran (the browser runs it in a worker)."""
        user_key = draw(rng, KEY_BYTES)
        x25519_private = draw(rng, KEY_BYTES)
        ed25519_seed = draw(rng, KEY_BYTES)
        code = RecoveryCode.generate(rng=rng)
        user_key_id = key_id(user_key)
        publics = x25519_public(x25519_private) + ed25519_public(ed25519_seed)
        unsealed = KeyBundle(secrets.params, user_key_id, publics[:32], publics[32:], b"", b"", b"")
        bundle = replace(
            unsealed,
            kek_box=wrap_key(
                secrets.kek,
                SecretPurpose.USER_KEY_KEK,
                user_key,
                unsealed.kek_context(),
                rng=rng,
            ),
            recovery_box=wrap_key(code.kek, SecretPurpose.USER_KEY_RECOVERY, user_key, user_key_id, rng=rng),
            private_keys_box=seal_secret(
                user_key,
                SecretPurpose.PRIVATE_KEYS,
                x25519_private + ed25519_seed,
                publics,
                rng=rng,
            ),
        ).signed_by(ed25519_seed)
        identity = cls._from_user_key(bundle, user_key, user_id=user_id, login=secrets.login)
        return SignUp(
            identity=identity,
            bundle=bundle.to_bytes(),
            recovery_code=code,
            auth_proof=secrets.auth_proof(),
            recovery_auth_proof=code.auth_proof(),
            public_identity=identity.public_identity(),
        )

    @classmethod
    @refusing
    def unlock(
        cls,
        bundle: bytes,
        login: str,
        password: str,
        *,
        user_id: str,
        allow_test_params: bool = False,
    ) -> Identity:
        """Log in: run the KDF with the bundle's parameters and unwrap everything."""
        parsed = KeyBundle.from_bytes(bundle)
        secrets = derive_login_secrets(login, password, parsed.params, allow_test_params=allow_test_params)
        return cls.unlock_with_secrets(bundle, secrets, user_id=user_id)

    @classmethod
    @refusing
    def unlock_with_secrets(cls, bundle: bytes, secrets: LoginSecrets, *, user_id: str) -> Identity:
        """Log in with secrets from the one KDF run whose auth secret the server accepted."""
        parsed = KeyBundle.from_bytes(bundle)
        if parsed.params != secrets.params:
            raise refuse()
        user_key = unwrap_key(
            parsed.kek_box,
            secrets.kek,
            SecretPurpose.USER_KEY_KEK,
            parsed.user_key_id,
            parsed.kek_context(),
        )
        return cls._from_user_key(parsed, user_key, user_id=user_id, login=secrets.login)

    @classmethod
    @refusing
    def recover(cls, bundle: bytes, recovery_code: str, *, user_id: str, login: str) -> Identity:
        """Unlock with the recovery code; follow with `change_password`."""
        parsed = KeyBundle.from_bytes(bundle)
        code = RecoveryCode.parse(recovery_code)
        user_key = unwrap_key(
            parsed.recovery_box,
            code.kek,
            SecretPurpose.USER_KEY_RECOVERY,
            parsed.user_key_id,
            parsed.user_key_id,
        )
        return cls._from_user_key(parsed, user_key, user_id=user_id, login=normalise_login(login))

    @classmethod
    @refusing
    def recover_on_device(
        cls,
        bundle: bytes,
        sealed_user_key: bytes,
        device_private: bytes,
        *,
        user_id: str,
        login: str,
    ) -> Identity:
        """Programme recovery: the officer sealed her user key to this device's fresh key."""
        parsed = KeyBundle.from_bytes(bundle)
        context = Writer().raw(parsed.user_key_id).str16(user_id).getvalue()
        user_key = open_sealed(sealed_user_key, device_private, SealedPurpose.RECOVERY_DEVICE, context)
        if key_id(user_key) != parsed.user_key_id:
            raise refuse()
        return cls._from_user_key(parsed, user_key, user_id=user_id, login=normalise_login(login))

    @classmethod
    def _from_user_key(cls, bundle: KeyBundle, user_key: bytes, *, user_id: str, login: str) -> Identity:
        publics = bundle.x25519_public + bundle.ed25519_public
        private = open_secret(bundle.private_keys_box, user_key, SecretPurpose.PRIVATE_KEYS, publics)
        if x25519_public(private[:32]) + ed25519_public(private[32:]) != publics:
            raise refuse()
        bundle.verify()
        return cls(
            user_id=user_id,
            login=login,
            user_key=user_key,
            x25519_private=private[:32],
            ed25519_seed=private[32:],
            bundle=bundle,
        )

    # -- changing the wrapping -------------------------------------------------------------

    @refusing
    def change_password(
        self,
        new_password: str,
        *,
        params: KdfParams | None = None,
        allow_test_params: bool = False,
        rng: Rng = system_rng,
    ) -> PasswordChange:
        """Re-wrap the user key only: new KDF parameters and seed, a new KEK box."""
        params = params if params is not None else KdfParams.new(rng=rng)
        secrets = derive_login_secrets(self.login, new_password, params, allow_test_params=allow_test_params)
        bundle = replace(self.bundle, params=params)
        bundle = replace(
            bundle,
            kek_box=wrap_key(
                secrets.kek,
                SecretPurpose.USER_KEY_KEK,
                self.user_key,
                bundle.kek_context(),
                rng=rng,
            ),
        ).signed_by(self._ed25519_seed)
        self.bundle = bundle
        return PasswordChange(bundle.to_bytes(), secrets.auth_proof())

    @refusing
    def new_recovery_code(self, *, rng: Rng = system_rng) -> tuple[bytes, RecoveryCode]:
        """Replace the recovery copy: returns the new bundle and the code to show once."""
        code = RecoveryCode.generate(rng=rng)
        box = wrap_key(
            code.kek,
            SecretPurpose.USER_KEY_RECOVERY,
            self.user_key,
            self.user_key_id,
            rng=rng,
        )
        self.bundle = replace(self.bundle, recovery_box=box).signed_by(self._ed25519_seed)
        return self.bundle.to_bytes(), code

    @refusing
    def rotate_user_key(
        self, secrets: LoginSecrets, *, recovery_code: str | None, rng: Rng = system_rng
    ) -> UserKeyRotation:
        """A new user key under her password and recovery code (spec 5.4); she keeps both.

        `secrets` (her password, typed again) must open the current password copy, and a typed
        `recovery_code` the current recovery copy, so that neither copy of the new key is made
        under something she does not have. Without her code, a new one is made (shown once).
        """
        bundle = self.bundle
        bundle.verify()
        if secrets.params != bundle.params or secrets.login != self.login:
            raise refuse()
        if (
            unwrap_key(
                bundle.kek_box, secrets.kek, SecretPurpose.USER_KEY_KEK, bundle.user_key_id, bundle.kek_context()
            )
            != self.user_key
        ):
            raise refuse()
        code = RecoveryCode.parse(recovery_code) if recovery_code is not None else None
        if (
            code is not None
            and unwrap_key(
                bundle.recovery_box, code.kek, SecretPurpose.USER_KEY_RECOVERY, bundle.user_key_id, bundle.user_key_id
            )
            != self.user_key
        ):
            raise refuse()
        new_user_key = draw(rng, KEY_BYTES)
        new_code = RecoveryCode.generate(rng=rng) if code is None else None
        kept = code if code is not None else new_code
        assert kept is not None
        new_id = key_id(new_user_key)
        publics = bundle.x25519_public + bundle.ed25519_public
        unsealed = replace(bundle, user_key_id=new_id)
        rotated = replace(
            unsealed,
            kek_box=wrap_key(secrets.kek, SecretPurpose.USER_KEY_KEK, new_user_key, unsealed.kek_context(), rng=rng),
            recovery_box=wrap_key(kept.kek, SecretPurpose.USER_KEY_RECOVERY, new_user_key, new_id, rng=rng),
            private_keys_box=seal_secret(
                new_user_key,
                SecretPurpose.PRIVATE_KEYS,
                self._x25519_private + self._ed25519_seed,
                publics,
                rng=rng,
            ),
        ).signed_by(self._ed25519_seed)
        identity = Identity._from_user_key(rotated, new_user_key, user_id=self.user_id, login=self.login)
        return UserKeyRotation(
            identity=identity,
            old_user_key=self.user_key,
            recovery_code=new_code,
            recovery_auth_proof=kept.auth_proof(),
        )

    @refusing
    def seal_for_programme_recovery(self, recovery_public: bytes, *, rng: Rng = system_rng) -> bytes:
        """With her consent: the third copy of her user key, for the programme recovery key.

        The caller has verified the signed programme recovery key record first.
        """
        context = Writer().raw(self.user_key_id).str16(self.user_id).getvalue()
        return seal_to(
            recovery_public,
            SealedPurpose.PROGRAMME_RECOVERY,
            self.user_key,
            context,
            rng=rng,
        )

    # -- what others see -------------------------------------------------------------------

    @property
    def fingerprint(self) -> bytes:
        return self.person.fingerprint

    @refusing
    def public_identity(self) -> bytes:
        signed = self.person._unsigned()  # noqa: SLF001 - the identity signs its own person's unsigned form
        return signed + self.sign("eportfolio/v1/sig/identity", signed)

    # -- primitives bound to her keys (used by the other modules) ----------------------------

    @refusing
    def sign(self, label: str, message: bytes) -> bytes:
        return sign(self._ed25519_seed, label, message)

    @refusing
    def open_sealed(self, box: bytes, purpose: SealedPurpose, context: bytes) -> bytes:
        return open_sealed(box, self._x25519_private, purpose, context)

    @refusing
    def wrap_under_user_key(
        self, purpose: SecretPurpose, key: bytes, context: bytes, *, rng: Rng = system_rng
    ) -> bytes:
        return wrap_key(self.user_key, purpose, key, context, rng=rng)


@refusing
def new_device_key(*, rng: Rng = system_rng) -> tuple[bytes, bytes]:
    """A fresh X25519 key for a device that is being recovered: (private, public)."""
    private = draw(rng, KEY_BYTES)
    return private, x25519_public(private)
