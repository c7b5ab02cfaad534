"""Wycheproof vectors through the scheme's own primitive wrappers (AES-256-GCM, X25519, Ed25519).

"valid" must work with the expected output and "invalid" must be refused. For "acceptable" cases
the outcome is pinned (`wycheproof/acceptable.json`) so the browser code is held to the same
answer: two twins that disagree about a signature would disagree about who wrote something.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eportfolio.crypto import CryptoError
from eportfolio.crypto.primitives import (
    aead_decrypt,
    aead_encrypt,
    ed25519_verify_raw,
    x25519_shared,
)

FOLDER = Path(__file__).parent / "wycheproof"


def load_cases(name: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    data = json.loads((FOLDER / name).read_text("utf-8"))
    return [(group, test) for group in data["testGroups"] for test in group["tests"]]


def acceptable() -> dict[str, dict[str, bool]]:
    data: dict[str, dict[str, bool]] = json.loads((FOLDER / "acceptable.json").read_text("utf-8"))
    return data


def test_aes_256_gcm() -> None:
    cases = [
        (group, test)
        for group, test in load_cases("aes_gcm_test.json")
        if group["keySize"] == 256 and group["ivSize"] == 96 and group["tagSize"] == 128
    ]
    assert len(cases) > 50
    for _group, test in cases:
        key, iv = bytes.fromhex(test["key"]), bytes.fromhex(test["iv"])
        aad, msg = bytes.fromhex(test["aad"]), bytes.fromhex(test["msg"])
        sealed = bytes.fromhex(test["ct"] + test["tag"])
        if test["result"] == "valid":
            assert aead_encrypt(key, iv, msg, aad) == sealed, test["tcId"]
            assert aead_decrypt(key, iv, sealed, aad) == msg, test["tcId"]
        else:
            assert test["result"] == "invalid"
            with pytest.raises(CryptoError):
                aead_decrypt(key, iv, sealed, aad)


def x25519_outcome(test: dict[str, Any]) -> str | None:
    try:
        return x25519_shared(bytes.fromhex(test["private"]), bytes.fromhex(test["public"])).hex()
    except CryptoError:
        return None


def test_x25519() -> None:
    pinned = acceptable()["x25519"]
    cases = load_cases("x25519_test.json")
    assert len(cases) > 500
    for _group, test in cases:
        outcome = x25519_outcome(test)
        if test["result"] == "valid":
            assert outcome == test["shared"], test["tcId"]
        elif test["result"] == "invalid":
            assert outcome is None, test["tcId"]
        else:
            # The all-zero secret of a low-order point is always refused; others are pinned.
            if "ZeroSharedSecret" in test["flags"]:
                assert outcome is None, test["tcId"]
            assert (outcome is not None) == pinned[str(test["tcId"])], test["tcId"]
            if outcome is not None:
                assert outcome == test["shared"], test["tcId"]


def ed25519_accepts(group: dict[str, Any], test: dict[str, Any]) -> bool:
    try:
        ed25519_verify_raw(
            bytes.fromhex(group["publicKey"]["pk"]),
            bytes.fromhex(test["msg"]),
            bytes.fromhex(test["sig"]),
        )
    except CryptoError:
        return False
    return True


def test_ed25519() -> None:
    pinned = acceptable()["ed25519"]
    cases = load_cases("ed25519_test.json")
    assert len(cases) > 200
    for group, test in cases:
        accepted = ed25519_accepts(group, test)
        if test["result"] == "acceptable":
            assert accepted == pinned[str(test["tcId"])], test["tcId"]
        else:
            assert accepted == (test["result"] == "valid"), test["tcId"]
