"""Key epoch records and grants as the server checks them, the same for every feature that shares
keys (the portfolio, the chat).

The server never opens a key. What it checks is what it can check with public keys alone, so that
nothing is stored in someone else's name or for another resource: a record or grant is well-formed
and signed with the registered key of the person who sends it, names this resource, this epoch and
this key, chains to the previous epoch's key, and is made out to the recipient it is stored for,
under the key that recipient has now. Who may make an epoch, grant or receive a key is the
feature's rule (its members), decided before these checks.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from eportfolio import crypto
from eportfolio.kit.errors import N_, InvalidInput


@dataclass(frozen=True, slots=True)
class SharedResource:
    """The resource records and grants must name, and what to tell her when they name another."""

    type: str
    id: str
    # Shown when a record or grant is signed by her but for another resource, epoch, key or person.
    wrong_record: str
    wrong_grant: str


def checked_epoch(
    record: str,
    resource: SharedResource,
    *,
    epoch: int,
    creator_id: uuid.UUID,
    creator: crypto.Person,
    previous_key_id: bytes | None,
) -> crypto.EpochRecord:
    """The epoch record, if it is signed by ``creator`` (her registered key) and names this
    resource, epoch, creator and the previous epoch's key id (all zero for the first epoch).

    ``previous_key_id`` None: the previous epoch's key id is not known to the server (a record
    stored before these checks); that one link is then left to the clients, which check it anyway.
    """
    try:
        parsed = crypto.verify_epoch(crypto.b64u_decode(record), [creator.ed25519_public])
    except (crypto.CryptoError, ValueError):
        raise InvalidInput(N_("The key record is damaged or not signed by you."), field="record") from None
    if (
        parsed.resource_type != resource.type
        or parsed.resource_id != resource.id
        or parsed.epoch != epoch
        or parsed.creator_id != str(creator_id)
        or (previous_key_id is not None and parsed.previous_key_id != previous_key_id)
    ):
        raise InvalidInput(resource.wrong_record, field="record")
    return parsed


def check_grant(
    grant: str,
    resource: SharedResource,
    *,
    epoch: int,
    key_id: bytes | None,
    granter_id: uuid.UUID,
    granter: crypto.Person,
    recipient_id: uuid.UUID,
    recipient: crypto.Person,
) -> crypto.Grant:
    """The grant, if it is signed by ``granter`` (her registered key) and names this resource,
    epoch and key id, and the recipient by id and by the fingerprint of the key she has now.

    ``key_id`` None: the epoch's key id is not known to the server (see ``checked_epoch``).
    """
    try:
        parsed = crypto.verify_grant(crypto.b64u_decode(grant), [granter.ed25519_public])
    except (crypto.CryptoError, ValueError):
        raise InvalidInput(N_("A key grant is damaged or not signed by you."), field="grant") from None
    if (
        parsed.resource_type != resource.type
        or parsed.resource_id != resource.id
        or parsed.epoch != epoch
        or (key_id is not None and parsed.key_id != key_id)
        or parsed.recipient_id != str(recipient_id)
        or parsed.recipient_fingerprint != recipient.fingerprint
        or parsed.granter_id != str(granter_id)
    ):
        raise InvalidInput(resource.wrong_grant, field="grant")
    return parsed


def epoch_key_id(record: str, creator: crypto.Person | None) -> bytes | None:
    """The key id a stored epoch record names, read from the record as its creator signed it;
    None when that no longer verifies (a record from before these checks, or a creator who has
    had her keys reset since)."""
    if creator is None:
        return None
    try:
        return crypto.verify_epoch(crypto.b64u_decode(record), [creator.ed25519_public]).key_id
    except (crypto.CryptoError, ValueError):
        return None
