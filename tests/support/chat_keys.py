"""Conversation keys as a member's browser handles them (frontend/static/js/chat/keys.js), in Python.

A ``Talker`` is one person at her browser: her unlocked keys, the keys she approved for others,
and the steps her browser takes on opening a group or supervision conversation: take the key per
epoch from the grant to her and back along the signed chain; make the first epoch or the next one
when the server says rotation is due (compare-and-set; on 409 take the other browser's epoch and
look again); give the current key only to the members whose key is the one she approved after
seeing name and fingerprint (``approve``); the server's member list alone vouches for nobody.
(keys.js also takes readers named with their key in a verified signed coach assignment, and in
her coaching conversation only the readers on duty now or next in a verified signed duty roster;
these tests post none, and tests/crypto/js/chat-keys.test.mjs and lying-roster-reach.test.mjs cover
that.) Messages
are sealed and opened with the real envelopes; the server only ever sees ciphertext.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from eportfolio import crypto
from eportfolio.crypto import b64u_decode, b64u_encode
from tests.support.portfolio import Hand

RESOURCE = "conversation"


@dataclass
class Talker:
    hand: Hand
    # person id -> the public key material she approved (confirmed in her pinned-keys record)
    approved: dict[str, bytes] = field(default_factory=dict)
    # person id -> why her browser gives no key: 'unapproved' or 'key_changed'
    waiting: dict[str, str] = field(default_factory=dict)

    @property
    def person_id(self) -> str:
        return self.hand.person_id

    async def conversation(self, conversation_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.hand.ok("GET", f"/api/v1/chat/conversations/{conversation_id}")
        return result

    async def fresh_person(self, person_id: str) -> crypto.Person:
        """Her keys as the server serves them now (not as first seen)."""
        self.hand.known.pop(person_id, None)
        return await self.hand.person(person_id)

    async def accepted(self, conversation: dict[str, Any], epochs: list[dict[str, Any]]) -> list[bytes]:
        ids = {self.person_id, *(m["person_id"] for m in conversation["members"])}
        ids |= {e["created_by"] for e in epochs}
        keys = []
        for person_id in ids:
            try:
                keys.append((await self.hand.person(person_id)).ed25519_public)
            except AssertionError:
                continue  # someone without keys signs nothing we could accept
        return keys

    async def epoch_keys(self, conversation_id: str) -> dict[int, bytes]:
        conversation = await self.conversation(conversation_id)
        epochs = await self.hand.ok("GET", f"/api/v1/chat/conversations/{conversation_id}/epochs")
        grants = await self.hand.ok("GET", f"/api/v1/chat/conversations/{conversation_id}/grants/mine")
        accepted = await self.accepted(conversation, epochs)
        keys: dict[int, bytes] = {}
        for grant in grants:
            try:
                opened, key = crypto.open_grant(b64u_decode(grant["grant"]), self.hand.identity, accepted)
            except crypto.CryptoError:
                continue
            assert opened.resource_type == RESOURCE
            assert opened.resource_id == conversation_id
            assert opened.epoch == grant["epoch"]
            keys[grant["epoch"]] = key
        records = {e["epoch"]: b64u_decode(e["record"]) for e in epochs}
        if keys:
            for epoch in range(max(keys), 1, -1):
                if epoch - 1 not in keys and epoch in records:
                    keys[epoch - 1] = crypto.open_previous_key(records[epoch], keys[epoch], accepted)
        return keys

    async def vouched_members(self, conversation: dict[str, Any]) -> list[str]:
        """The members whose key served now is the one she approved; the others wait."""
        verified: list[str] = []
        self.waiting = {}
        for member in conversation["members"]:
            person_id = member["person_id"]
            if person_id == self.person_id or member["role"] == "on_duty":
                continue
            try:
                person = await self.fresh_person(person_id)
            except AssertionError:
                continue  # no keys yet
            material = person.x25519_public + person.ed25519_public
            approved = self.approved.get(person_id)
            if approved == material:
                verified.append(person_id)
            else:
                self.waiting[person_id] = "unapproved" if approved is None else "key_changed"
        return verified

    async def approve(self, conversation_id: str, person_id: str, expected: bytes | None = None) -> bool:
        """She saw the name and fingerprint (`expected`, default: the one served now) and gave
        access: the key is approved, then her browser grants as on opening. False when the key
        served now is not the one she saw."""
        person = await self.fresh_person(person_id)
        if expected is not None and person.fingerprint != expected:
            return False
        self.approved[person_id] = person.x25519_public + person.ed25519_public
        return await self.ensure_access(conversation_id)

    async def grant(self, conversation_id: str, epoch: int, key: bytes, recipient_id: str) -> dict[str, str]:
        made = crypto.make_grant(
            self.hand.identity,
            resource_type=RESOURCE,
            resource_id=conversation_id,
            epoch=epoch,
            key=key,
            recipient=await self.hand.person(recipient_id),
        )
        return {"recipient_id": recipient_id, "grant": b64u_encode(made)}

    async def epoch_body(
        self, conversation_id: str, epoch: int, previous: bytes | None, recipients: list[str]
    ) -> dict[str, Any]:
        made = crypto.new_epoch(
            self.hand.identity, resource_type=RESOURCE, resource_id=conversation_id, epoch=epoch, previous_key=previous
        )
        grants = [await self.grant(conversation_id, epoch, made.key, r) for r in dict.fromkeys(recipients)]
        return {"epoch": epoch, "record": b64u_encode(made.record), "grants": grants}

    async def ensure_access(self, conversation_id: str) -> bool:
        """What her browser does on opening the conversation; True when she holds the current key."""
        conversation = await self.conversation(conversation_id)
        keys = await self.epoch_keys(conversation_id) if conversation["epoch"] else {}
        current = keys.get(conversation["epoch"])
        if current is None and conversation["epoch"] > 0:
            return False
        verified = await self.vouched_members(conversation)
        for _attempt in range(3):
            if not (conversation["epoch"] == 0 or conversation["rotation_due"]):
                break
            body = await self.epoch_body(
                conversation_id, conversation["epoch"] + 1, current, [self.person_id, *verified]
            )
            made = await self.hand.api("POST", f"/api/v1/chat/conversations/{conversation_id}/epochs", body)
            if made.status_code != 409:
                assert made.status_code == 201, made.text
            conversation = await self.conversation(conversation_id)
            keys = await self.epoch_keys(conversation_id)
            current = keys.get(conversation["epoch"])
            if current is None:
                return False
        await self.grant_missing(conversation_id, conversation, current, verified)
        return current is not None

    async def grant_missing(
        self, conversation_id: str, conversation: dict[str, Any], key: bytes, verified: list[str]
    ) -> None:
        reading = {m["person_id"] for m in conversation["members"] if m["can_read"]}
        missing = [p for p in verified if p not in reading]
        if not missing:
            return
        grants = [await self.grant(conversation_id, conversation["epoch"], key, p) for p in missing]
        await self.hand.ok(
            "POST",
            f"/api/v1/chat/conversations/{conversation_id}/grants",
            {"epoch": conversation["epoch"], "grants": grants},
            status=201,
        )

    async def say(self, conversation_id: str, text: str) -> dict[str, Any]:
        """Seal and send over HTTP under the current key."""
        conversation = await self.conversation(conversation_id)
        key = (await self.epoch_keys(conversation_id))[conversation["epoch"]]
        client_id = uuid.uuid4().hex
        envelope = crypto.encrypt_message(
            self.hand.identity,
            key,
            conversation_id=conversation_id,
            message_id=client_id,
            plaintext=text.encode(),
        )
        sent = await self.hand.api(
            "POST",
            f"/api/v1/chat/conversations/{conversation_id}/messages",
            {"client_id": client_id, "epoch": conversation["epoch"], "body": b64u_encode(envelope)},
        )
        assert sent.status_code == 201, sent.text
        result: dict[str, Any] = sent.json()
        return result

    async def read_all(self, conversation_id: str) -> list[str | None]:
        """Every person's message in order: its text, or None where she has no key for its epoch."""
        keys = await self.epoch_keys(conversation_id)
        page = await self.hand.ok("GET", f"/api/v1/chat/conversations/{conversation_id}/messages?after=0")
        texts: list[str | None] = []
        for message in page["messages"]:
            if message["kind"] != "person":
                continue
            key = keys.get(message["epoch"])
            if key is None:
                texts.append(None)
                continue
            texts.append(
                crypto.decrypt_message(
                    b64u_decode(message["body"]),
                    key,
                    conversation_id=conversation_id,
                    message_id=message["client_id"],
                    author=await self.hand.person(message["author_id"]),
                ).decode()
            )
        return texts
