"""Login names, KDF parameters and the password KDF that gives the master key and auth secret."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .encoding import Reader, Writer, lp
from .errors import refuse, refusing
from .primitives import KEY_BYTES, Rng, argon2id, draw, hkdf, sha256, system_rng

TAG_KDF_PARAMS = 0x01
TAG_AUTH_PROOF = 0x0B
ARGON2ID = 0x01
SEED_BYTES = 16

AUTH_LOGIN = 0x01
AUTH_RECOVERY = 0x02

_LOGIN = re.compile(r"[a-z0-9._-]{3,32}")


@refusing
def normalise_login(login: str) -> str:
    """NFKC, lower-case, then `[a-z0-9._-]{3,32}`; anything else is refused."""
    if not isinstance(login, str):
        raise refuse()
    normalised = unicodedata.normalize("NFKC", login).lower()
    if not _LOGIN.fullmatch(normalised):
        raise refuse()
    return normalised


def password_bytes(password: str) -> bytes:
    if not isinstance(password, str) or not password:
        raise refuse()
    return unicodedata.normalize("NFC", password).encode("utf-8")


@dataclass(frozen=True)
class KdfLimits:
    memory_kib: int
    iterations: int
    parallelism: int


MINIMUM = KdfLimits(memory_kib=65536, iterations=3, parallelism=1)
TEST_MINIMUM = KdfLimits(memory_kib=8, iterations=1, parallelism=1)
MAXIMUM = KdfLimits(memory_kib=1048576, iterations=16, parallelism=4)


@dataclass(frozen=True)
class KdfParams:
    """Argon2id parameters and salt seed, stored per user so they can be raised later."""

    memory_kib: int
    iterations: int
    parallelism: int
    seed: bytes

    @classmethod
    @refusing
    def new(
        cls,
        memory_kib: int = MINIMUM.memory_kib,
        iterations: int = MINIMUM.iterations,
        parallelism: int = MINIMUM.parallelism,
        *,
        rng: Rng = system_rng,
    ) -> KdfParams:
        """Fresh parameters with a random seed (the defaults are the minimum)."""
        return cls(memory_kib, iterations, parallelism, draw(rng, SEED_BYTES))

    @refusing
    def to_bytes(self) -> bytes:
        return (
            Writer(TAG_KDF_PARAMS)
            .u8(ARGON2ID)
            .u32(self.memory_kib)
            .u32(self.iterations)
            .u32(self.parallelism)
            .raw(self.seed, SEED_BYTES)
            .getvalue()
        )

    @classmethod
    @refusing
    def from_bytes(cls, data: bytes) -> KdfParams:
        reader = Reader(data, TAG_KDF_PARAMS)
        if reader.u8() != ARGON2ID:
            raise refuse()
        params = cls(reader.u32(), reader.u32(), reader.u32(), reader.raw(SEED_BYTES))
        reader.end()
        return params

    @refusing
    def check(self, *, allow_test_params: bool = False) -> None:
        """Refuse parameters below the minimum (or the test minimum) or above the maximum."""
        floor = TEST_MINIMUM if allow_test_params else MINIMUM
        if not (
            floor.memory_kib <= self.memory_kib <= MAXIMUM.memory_kib
            and floor.iterations <= self.iterations <= MAXIMUM.iterations
            and floor.parallelism <= self.parallelism <= MAXIMUM.parallelism
            and self.memory_kib >= 8 * self.parallelism
            and len(self.seed) == SEED_BYTES
        ):
            raise refuse()


def login_salt(login: str, seed: bytes) -> bytes:
    name = normalise_login(login).encode("ascii")
    return sha256(lp(b"eportfolio/v1/salt") + lp(name) + lp(seed))[:16]


@dataclass(frozen=True)
class LoginSecrets:
    """One Argon2id run: the master key stays here, the auth secret goes to the server."""

    login: str
    params: KdfParams
    master_key: bytes
    auth_secret: bytes

    @property
    @refusing
    def kek(self) -> bytes:
        return hkdf(self.master_key, "eportfolio/v1/kek", KEY_BYTES)

    @refusing
    def auth_proof(self) -> bytes:
        return encode_auth_proof(AUTH_LOGIN, self.auth_secret)


@refusing
def derive_login_secrets(
    login: str, password: str, params: KdfParams, *, allow_test_params: bool = False
) -> LoginSecrets:
    """Run the login KDF once; refuses parameters outside the accepted range first."""
    if not isinstance(params, KdfParams):
        raise refuse()
    params.check(allow_test_params=allow_test_params)
    name = normalise_login(login)
    out = argon2id(
        password_bytes(password),
        login_salt(name, params.seed),
        params.memory_kib,
        params.iterations,
        params.parallelism,
    )
    return LoginSecrets(name, params, out[:32], out[32:])


def encode_auth_proof(kind: int, secret: bytes) -> bytes:
    return Writer(TAG_AUTH_PROOF).u8(kind).raw(secret, 32).getvalue()


@refusing
def parse_auth_proof(data: bytes) -> tuple[int, bytes]:
    """Server side: (kind, secret) of an AuthProof, for hashing the secret."""
    reader = Reader(data, TAG_AUTH_PROOF)
    kind = reader.u8()
    if kind not in (AUTH_LOGIN, AUTH_RECOVERY):
        raise refuse()
    secret = reader.raw(32)
    reader.end()
    return kind, secret
