"""VAPID keys for Web Push.

Production sets ``EPORTFOLIO_VAPID_PRIVATE_KEY`` and ``EPORTFOLIO_VAPID_PUBLIC_KEY`` (see the
README). In development a key pair is made at the first start and kept in the instance's ``var/``
directory (``EPORTFOLIO_VAPID_KEY_FILE``), never in the repository, so that push works in the demo
and survives a restart (browsers subscribed with the public key keep working).
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import structlog
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from eportfolio.config import Settings

log = structlog.get_logger(__name__)


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def new_key_pair() -> tuple[str, str]:
    """(private, public): the raw P-256 private value and the uncompressed public point, base64url,
    as pywebpush and a browser's ``applicationServerKey`` take them."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return _b64u(private), _b64u(public)


def _load_or_make(path: Path) -> tuple[str, str]:
    if path.exists():
        stored = json.loads(path.read_text())
        return str(stored["private_key"]), str(stored["public_key"])
    private, public = new_key_pair()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump({"private_key": private, "public_key": public}, file)
    log.info("vapid_development_keys_made", path=str(path))
    return private, public


def with_development_keys(settings: Settings) -> Settings:
    """In development without configured keys: the settings with the instance's own key pair.
    Elsewhere (tests, production) the settings as they are: push is on only when configured."""
    if not settings.is_development or settings.vapid_private_key:
        return settings
    try:
        private, public = _load_or_make(settings.vapid_key_file)
    except (OSError, ValueError, KeyError) as exc:
        log.warning("vapid_development_keys_unavailable", error=type(exc).__name__)
        return settings
    return settings.model_copy(update={"vapid_private_key": private, "vapid_public_key": public})
