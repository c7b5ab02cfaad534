"""The only primitives the scheme uses, from `cryptography`, with refusals made uniform."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .encoding import lp
from .errors import refuse

Rng = Callable[[int], bytes]
"""Where random bytes come from: the platform CSPRNG, or a fixed stream when making vectors."""

system_rng: Rng = os.urandom

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_ID_BYTES = 16
SIGNATURE_BYTES = 64
PUBLIC_KEY_BYTES = 32


def draw(rng: Rng, size: int) -> bytes:
    data = rng(size)
    if not isinstance(data, bytes) or len(data) != size:
        raise refuse()
    return data


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def hkdf(ikm: bytes, info: str, length: int, salt: bytes = b"") -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt or None, info=info.encode("ascii")).derive(ikm)


def key_id(key: bytes) -> bytes:
    """A key commits to its id: the id is derived from the key itself."""
    if len(key) != KEY_BYTES:
        raise refuse()
    return hkdf(key, "eportfolio/v1/key-id", KEY_ID_BYTES)


def aead_encrypt(key: bytes, nonce: bytes, plaintext: bytes, ad: bytes) -> bytes:
    if len(key) != KEY_BYTES or len(nonce) != NONCE_BYTES:
        raise refuse()
    return AESGCM(key).encrypt(nonce, plaintext, ad)


def aead_decrypt(key: bytes, nonce: bytes, ciphertext: bytes, ad: bytes) -> bytes:
    if len(key) != KEY_BYTES or len(nonce) != NONCE_BYTES or len(ciphertext) < TAG_BYTES:
        raise refuse()
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, ad)
    except InvalidTag:
        raise refuse() from None


def x25519_public(private: bytes) -> bytes:
    return x25519.X25519PrivateKey.from_private_bytes(private).public_key().public_bytes_raw()


def x25519_shared(private: bytes, public: bytes) -> bytes:
    """X25519, refusing the all-zero result that low-order points give."""
    if len(private) != KEY_BYTES or len(public) != PUBLIC_KEY_BYTES:
        raise refuse()
    peer = x25519.X25519PublicKey.from_public_bytes(public)
    try:
        shared = x25519.X25519PrivateKey.from_private_bytes(private).exchange(peer)
    except ValueError:
        raise refuse() from None
    if hmac.compare_digest(shared, bytes(32)):
        raise refuse()
    return shared


def ed25519_public(seed: bytes) -> bytes:
    return ed25519.Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()


def sign(seed: bytes, label: str, message: bytes) -> bytes:
    signing_key = ed25519.Ed25519PrivateKey.from_private_bytes(seed)
    return signing_key.sign(lp(label.encode("ascii")) + message)


def verify(public: bytes, label: str, message: bytes, signature: bytes) -> None:
    ed25519_verify_raw(public, lp(label.encode("ascii")) + message, signature)


def ed25519_verify_raw(public: bytes, message: bytes, signature: bytes) -> None:
    """Plain Ed25519 verification (no label); the Wycheproof tests go through here."""
    if len(public) != PUBLIC_KEY_BYTES or len(signature) != SIGNATURE_BYTES:
        raise refuse()
    try:
        ed25519.Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except (InvalidSignature, ValueError):
        raise refuse() from None


def argon2id(password: bytes, salt: bytes, memory_kib: int, iterations: int, parallelism: int) -> bytes:
    return Argon2id(salt=salt, length=64, iterations=iterations, lanes=parallelism, memory_cost=memory_kib).derive(
        password
    )
