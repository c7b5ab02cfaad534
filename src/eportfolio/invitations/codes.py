"""Invitation codes: 80 random bits, Crockford base32 in groups of four, single use, 14 days."""

from __future__ import annotations

import hashlib
import secrets

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_BITS = 80
VALID_DAYS = 14
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


def new_code() -> str:
    value = secrets.randbits(CODE_BITS)
    chars = [CROCKFORD[(value >> (5 * i)) & 31] for i in range(CODE_BITS // 5)]
    raw = "".join(reversed(chars))
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def normalise(code: str) -> str | None:
    """Upper-case, drop spaces and dashes, fold look-alike letters; None when it cannot be a code."""
    cleaned = "".join(code.split()).replace("-", "").upper().translate(_ALIASES)
    if len(cleaned) != CODE_BITS // 5 or any(c not in CROCKFORD for c in cleaned):
        return None
    return cleaned


def code_hash(code: str) -> bytes | None:
    normal = normalise(code)
    if normal is None:
        return None
    return hashlib.sha256(b"eportfolio/v1/invitation\x00" + normal.encode()).digest()


def join_link(base_url: str, code: str) -> str:
    """The printed invitation link (and its QR code): the site's address with ``/join?code=``.

    ``base_url`` is EPORTFOLIO_BASE_URL, or in development the address `eportfolio serve` serves
    on, so a link made on ``make run PORT=8123`` opens port 8123."""
    return f"{base_url.rstrip('/')}/join?code={code}"
