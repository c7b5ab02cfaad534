"""A server that lies to her browser: a fixture between Chromium and the real server that rewrites
chosen JSON answers and records every request body the browser sends, and the attacker's side of
it (its own keys, and whatever it can open of what the browser sent).

The browser decides who may read; these tests hold it to that when the server lies. The honest
server behind stays as it is, so what it refuses or accepts does not decide the outcome: the
check is on what left the browser.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from eportfolio import crypto
from eportfolio.crypto import b64u_decode, b64u_encode
from tests.support.keyring_client import test_params

# A rule's answer: the status and JSON body to serve instead (204 serves no body).
Rewrite = Callable[[int, Any], tuple[int, Any]]


@dataclass
class Rule:
    method: str
    pattern: re.Pattern[str]
    rewrite: Rewrite


@dataclass
class Liar:
    """Rewrites answers to her browser, and keeps what the browser sent (method, path, body)."""

    rules: list[Rule] = field(default_factory=list)
    sent: list[tuple[str, str, str]] = field(default_factory=list)

    def lie(self, path_regex: str, rewrite: Rewrite, method: str = "GET") -> None:
        self.rules.append(Rule(method, re.compile(path_regex), rewrite))

    async def install(self, context: Any) -> None:
        await context.route(re.compile(r".*/api/v1/.*"), self._handle)

    async def _handle(self, route: Any, request: Any) -> None:
        path = request.url.split("://", 1)[1].split("/", 1)[1]
        path = "/" + path.split("?", 1)[0]
        if request.method != "GET" and request.post_data:
            self.sent.append((request.method, path, request.post_data))
        # Every rule for this request applies, in the order the test added them: a test that says
        # "the epoch is current" and then "and she has an extra member" gets both lies.
        rules = [r for r in self.rules if r.method == request.method and r.pattern.fullmatch(path)]
        if not rules:
            await route.continue_()
            return
        response = await route.fetch()
        try:
            data = await response.json()
        except Exception:  # a 204 or a non-JSON answer is rewritten from nothing
            data = None
        status, answer = response.status, data
        for rule in rules:
            status, answer = rule.rewrite(status, answer)
        if status == 204:
            await route.fulfill(status=204, body="")
        else:
            await route.fulfill(status=status, json=answer)

    def bodies(self) -> Iterator[tuple[str, str, Any]]:
        for method, path, raw in self.sent:
            try:
                yield method, path, json.loads(raw)
            except ValueError:
                continue


def _strings(value: Any, name: str) -> Iterator[str]:
    """Every string under a key called `name`, anywhere in a JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == name and isinstance(item, str):
                yield item
            yield from _strings(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, name)


@dataclass
class Attacker:
    """The server's own identity (Mallory) and the keys it made; what it can open is what it gets."""

    identity: crypto.Identity
    own_keys: list[bytes] = field(default_factory=list)

    @classmethod
    def make(cls, user_id: str | None = None) -> Attacker:
        user = user_id or str(uuid.uuid4())
        made = crypto.Identity.create("mallory", "mallory's password", user_id=user, params=test_params(),
                                      allow_test_params=True)
        return cls(made.identity)

    @property
    def user_id(self) -> str:
        return self.identity.user_id

    def public_identity(self) -> str:
        return b64u_encode(self.identity.public_identity())

    def epoch_and_grant(
        self, resource_type: str, resource_id: str, epoch: int, recipient: crypto.Person
    ) -> dict[str, Any]:
        """An epoch record and a grant of its key to her, both signed by Mallory: what a server
        that adds a member of its own would serve."""
        made = crypto.new_epoch(self.identity, resource_type=resource_type, resource_id=resource_id, epoch=epoch,
                                previous_key=None if epoch == 1 else os.urandom(32))
        self.own_keys.append(made.key)
        grant = crypto.make_grant(self.identity, resource_type=resource_type, resource_id=resource_id, epoch=epoch,
                                  key=made.key, recipient=recipient)
        return {"epoch": epoch, "record": b64u_encode(made.record), "grant": b64u_encode(grant),
                "created_by": self.user_id}

    def granted(self, liar: Liar) -> list[tuple[str, bytes]]:
        """Every key in a grant the browser sent that opens with Mallory's keys, with where it went."""
        keys = []
        for method, path, body in liar.bodies():
            for blob in _strings(body, "grant"):
                try:
                    data = b64u_decode(blob)
                    granter = crypto.read_grant(data).granter_public
                    keys.append((f"{method} {path}", crypto.open_grant(data, self.identity, [granter])[1]))
                except (crypto.CryptoError, ValueError):
                    continue
        return keys

    def keys_from(self, liar: Liar) -> list[bytes]:
        """Its own keys, and every key the browser granted to Mallory."""
        return [*self.own_keys, *(key for _where, key in self.granted(liar))]

    def opened(self, liar: Liar, marker: str) -> list[str]:
        """What of the browser's requests Mallory can open: a key granted to her, the item keys she
        could unwrap, an envelope under a key she holds, and any body that carries the marker in
        plaintext. Empty is what we want."""
        keys = self.keys_from(liar)
        key_ids = {crypto.key_id(k) for k in keys}
        found = [f"{where}: a key granted to the attacker" for where, _key in self.granted(liar)]
        for method, path, body in liar.bodies():
            if marker in json.dumps(body):
                found.append(f"{method} {path}: the marker in plaintext")
            for wrap in _strings(body, "epoch_wrap"):
                for key in keys:
                    try:
                        crypto.unwrap_item_key(b64u_decode(wrap), key, b64u_decode(body["key_id"]))
                        found.append(f"{method} {path}: an item key under a key the attacker holds")
                    except (crypto.CryptoError, KeyError, ValueError):
                        continue
            for envelope in _strings(body, "envelope"):
                try:
                    if crypto.envelope_key_id(b64u_decode(envelope)) in key_ids:
                        found.append(f"{method} {path}: an envelope under a key the attacker holds")
                except (crypto.CryptoError, ValueError):
                    continue
        return found

    def opens_message(self, envelope: bytes) -> bool:
        return crypto.envelope_key_id(envelope) in {crypto.key_id(k) for k in self.own_keys}
