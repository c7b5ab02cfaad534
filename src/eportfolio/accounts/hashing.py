"""Hashing the secrets browsers send (auth secret, recovery proof) with light argon2id.

The browser's 64 MiB Argon2id already makes guessing costly; this hash only stops a copy of the
database from being used to log in (CRYPTO.md, identity and login). Hashing runs in worker threads
behind a semaphore so that a burst of logins cannot exhaust memory or stall the event loop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from eportfolio.kit.metrics import KDF_RUNNING, KDF_SECONDS, KDF_WAITING

# t=1, 8 MiB, p=1 (CRYPTO.md): about 10 ms per hash.
_HASHER = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1, hash_len=32, salt_len=16)
# Compared against for unknown logins, so that they take as long as known ones.
_DUMMY_HASH = _HASHER.hash(b"\x00" * 32)
CONCURRENT_HASHES = 4
T = TypeVar("T")


class SecretHasher:
    def __init__(self, concurrency: int = CONCURRENT_HASHES) -> None:
        self._slots = asyncio.Semaphore(concurrency)

    async def hash(self, secret: bytes) -> str:
        return await self._in_a_slot(_HASHER.hash, secret)

    async def verify(self, stored: str | None, secret: bytes) -> bool:
        """True when ``secret`` matches; an unknown account (None) is checked against a dummy."""
        return await self._in_a_slot(_verify, stored or _DUMMY_HASH, secret, stored is not None)

    async def _in_a_slot(self, work: Callable[..., T], *args: object) -> T:
        """Run ``work`` in a thread once a slot is free, counted in the KDF queue metrics."""
        started = time.perf_counter()
        KDF_WAITING.inc()
        try:
            await self._slots.acquire()
        finally:
            KDF_WAITING.dec()
        KDF_RUNNING.inc()
        try:
            return await asyncio.to_thread(work, *args)
        finally:
            KDF_RUNNING.dec()
            self._slots.release()
            KDF_SECONDS.observe(time.perf_counter() - started)


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
