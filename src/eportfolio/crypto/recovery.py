"""The recovery code: 128 random bits shown once, with a typing check, and what derives from it."""

from __future__ import annotations

from dataclasses import dataclass

from .encoding import crockford_decode, crockford_encode, lp
from .errors import refuse, refusing
from .kdf import AUTH_RECOVERY, encode_auth_proof
from .primitives import KEY_BYTES, Rng, draw, hkdf, sha256, system_rng

CODE_BYTES = 16
CODE_CHARS = 28
CHECK_BITS = 12
_CROCKFORD_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _check(code: bytes) -> int:
    return int.from_bytes(sha256(lp(b"eportfolio/v1/recovery-code") + code)[:2], "big") >> 4


@dataclass(frozen=True)
class RecoveryCode:
    secret: bytes

    @classmethod
    @refusing
    def generate(cls, *, rng: Rng = system_rng) -> RecoveryCode:
        return cls(draw(rng, CODE_BYTES))

    @classmethod
    @refusing
    def parse(cls, text: str) -> RecoveryCode:
        """Read what a person typed: spaces, hyphens, case and O/I/L are forgiven; typos are not."""
        if not isinstance(text, str):
            raise refuse()
        compact = text.replace(" ", "").replace("-", "").upper().translate(_CROCKFORD_ALIASES)
        if len(compact) != CODE_CHARS or not compact.isascii():
            raise refuse()
        number = crockford_decode(compact)
        secret = (number >> CHECK_BITS).to_bytes(CODE_BYTES, "big")
        if number & (2**CHECK_BITS - 1) != _check(secret):
            raise refuse()
        return cls(secret)

    @property
    def text(self) -> str:
        """Seven groups of four Crockford base32 characters joined by hyphens."""
        packed = int.from_bytes(self.secret, "big") << CHECK_BITS | _check(self.secret)
        chars = crockford_encode(packed, CODE_CHARS)
        return "-".join(chars[i : i + 4] for i in range(0, CODE_CHARS, 4))

    @property
    def kek(self) -> bytes:
        return hkdf(self.secret, "eportfolio/v1/recovery-kek", KEY_BYTES)

    @property
    def auth_secret(self) -> bytes:
        return hkdf(self.secret, "eportfolio/v1/recovery-auth", 32)

    @refusing
    def auth_proof(self) -> bytes:
        """What the browser sends to prove the code before a password reset."""
        return encode_auth_proof(AUTH_RECOVERY, self.auth_secret)
