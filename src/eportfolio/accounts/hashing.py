"""Hashing the secrets browsers send (auth secret, recovery proof) with light argon2id.

The browser's 64 MiB Argon2id already makes guessing costly; this hash only stops a copy of the
database from being used to log in (CRYPTO.md, identity and login). Hashing runs in worker threads
behind a semaphore so that a burst of logins cannot exhaust memory or stall the event loop.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# t=1, 8 MiB, p=1 (CRYPTO.md): about 10 ms per hash.
_HASHER = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1, hash_len=32, salt_len=16)
# Compared against for unknown logins, so that they take as long as known ones.
_DUMMY_HASH = _HASHER.hash(b"\x00" * 32)
CONCURRENT_HASHES = 4


class SecretHasher:
    def __init__(self, concurrency: int = CONCURRENT_HASHES) -> None:
        self._slots = asyncio.Semaphore(concurrency)

    async def hash(self, secret: bytes) -> str:
        async with self._slots:
            return await asyncio.to_thread(_HASHER.hash, secret)

    async def verify(self, stored: str | None, secret: bytes) -> bool:
        """True when ``secret`` matches; an unknown account (None) is checked against a dummy."""
        async with self._slots:
            return await asyncio.to_thread(_verify, stored or _DUMMY_HASH, secret, stored is not None)


def _verify(stored: str, secret: bytes, real: bool) -> bool:
    try:
        _HASHER.verify(stored, secret)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return real


def hasher_for(state: object) -> SecretHasher:
    """The app's hasher (one semaphore per app), made on first use."""
    hasher: SecretHasher | None = getattr(state, "secret_hasher", None)
    if hasher is None:
        hasher = SecretHasher()
        state.secret_hasher = hasher  # type: ignore[attr-defined]  # Starlette's State takes any attribute; its stub declares none
    return hasher
