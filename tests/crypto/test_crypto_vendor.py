"""The vendored Argon2id build is the pinned one: file, README, licence and code agree."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "frontend" / "static" / "vendor"
ARGON2 = VENDOR / "hash-wasm" / "argon2.umd.min.js"


def sri(path: Path) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode()


def test_the_readme_lists_the_file_with_its_version_licence_and_sri_value() -> None:
    readme = (VENDOR / "README.md").read_text("utf-8")
    row = next(line for line in readme.splitlines() if "`hash-wasm/argon2.umd.min.js`" in line)
    assert "| 4.12.0 |" in row
    assert "MIT" in row
    assert f"`{sri(ARGON2)}`" in row


def test_the_kdf_pins_the_same_sri_value_and_file() -> None:
    kdf = (ROOT / "frontend" / "static" / "js" / "crypto" / "kdf.js").read_text("utf-8")
    match = re.search(r"ARGON2_INTEGRITY =\s*'(sha384-[A-Za-z0-9+/=]+)'", kdf)
    assert match is not None
    assert match.group(1) == sri(ARGON2)
    assert "vendor/hash-wasm/argon2.umd.min.js" in kdf


def test_the_licence_ships_beside_the_file() -> None:
    licence = (VENDOR / "hash-wasm" / "LICENSE").read_text("utf-8")
    assert "MIT License" in licence
    assert "Dani Bir" in licence
