"""Loading golden vector files and the people in them, for the crypto tests."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from eportfolio import crypto as c

VECTORS = Path(__file__).parent / "vectors"
ORIGINS = ("python", "js")


def load(origin: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / origin / f"{name}.json").read_text("utf-8"))
    return data


def b(value: str) -> bytes:
    return bytes.fromhex(value)


@functools.cache
def person(origin: str, name: str) -> c.Identity:
    """Unlock a person of a vector set the way her browser does: bundle plus password."""
    entry = load(origin, "identities")["people"][name]
    return c.Identity.unlock(
        b(entry["bundle"]),
        entry["login"],
        entry["password"],
        user_id=entry["user_id"],
        allow_test_params=True,
    )
