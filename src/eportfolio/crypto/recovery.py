"""The recovery code: 128 random bits shown once, with a typing check, and what derives from it."""

from __future__ import annotations

from dataclasses import dataclass

from .encoding import CROCKFORD
from .errors import refuse, refusing
from .kdf import AUTH_RECOVERY, encode_auth_proof
from .primitives import KEY_BYTES, Rng, draw, hkdf, system_rng

CODE_BYTES = 16
DATA_SYMBOLS = 26
CODE_CHARS = 28
_CROCKFORD_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})

# GF(32) with the primitive polynomial x^5 + x^2 + 1; alpha = 2.
_EXP = [0] * 62
_LOG = [0] * 32
_value = 1
for _power in range(31):
    _EXP[_power] = _EXP[_power + 31] = _value
    _LOG[_value] = _power
    _value <<= 1
    if _value & 32:
        _value ^= 0b100101
_ALPHA = 2
# g(x) = (x - alpha)(x - alpha^2) = x^2 + (alpha + alpha^2) x + alpha^3
_G1 = _ALPHA ^ 4
_G0 = 8


def _mul(a: int, b: int) -> int:
    if a == 0 or b == 0:
        return 0
    return _EXP[_LOG[a] + _LOG[b]]


def _check_symbols(data: list[int]) -> list[int]:
    """Two Reed-Solomon check symbols: every single typo and neighbour swap is caught."""
    high, low = 0, 0
    for symbol in data:
        feedback = symbol ^ high
        high, low = low ^ _mul(feedback, _G1), _mul(feedback, _G0)
    return [high, low]


def _is_codeword(symbols: list[int]) -> bool:
    for point in (_ALPHA, _mul(_ALPHA, _ALPHA)):
        value = 0
        for symbol in symbols:
            value = _mul(value, point) ^ symbol
        if value != 0:
            return False
    return True


@dataclass(frozen=True)
class RecoveryCode:
    secret: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.secret, bytes) or len(self.secret) != CODE_BYTES:
            raise refuse()

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
        if len(compact) != CODE_CHARS:
            raise refuse()
        symbols = [CROCKFORD.index(char) for char in compact if char in CROCKFORD]
        if len(symbols) != CODE_CHARS or symbols[0] >= 8 or not _is_codeword(symbols):
            raise refuse()
        number = 0
        for symbol in symbols[:DATA_SYMBOLS]:
            number = number << 5 | symbol
        return cls(number.to_bytes(CODE_BYTES, "big"))

    @property
    def text(self) -> str:
        """Seven groups of four Crockford base32 characters joined by hyphens."""
        number = int.from_bytes(self.secret, "big")
        data = [(number >> (5 * i)) & 31 for i in range(DATA_SYMBOLS - 1, -1, -1)]
        chars = "".join(CROCKFORD[s] for s in data + _check_symbols(data))
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
