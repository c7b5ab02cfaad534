"""A committed chat event on its way to sockets, typed from the event bus to the writer.

A use case emits an ``Event`` whose payload is an envelope's plain form (``to_payload``: the event
bus of ``kit`` knows no feature); the runtime turns it into an ``Envelope`` once, and from there
the broker, the hub and every connection's outbox hold the typed envelope. Between processes
(Redis) it travels as JSON (``to_json``/``from_json``). The frame's JSON is made once by the use
case and sent as it is: nothing on the way parses it again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Invalidate:
    """What every process must forget of the membership it cached: a conversation's, a
    programme's, or (neither given) everything."""

    conversation_id: str | None = None
    programme_id: str | None = None


@dataclass(frozen=True, slots=True)
class Envelope:
    # Whose sockets get ``text`` (person ids as text; none for an invalidation only).
    recipients: tuple[str, ...] = ()
    # The frame's JSON (ciphertext bodies only).
    text: str = ""
    # A message's place in its conversation: a connection fills a gap before it, skips a copy.
    conversation_id: str | None = None
    seq: int | None = None
    # The connection a person's message came from: it gets the ack instead (``Connection.origin``).
    origin: str | None = None
    invalidate: Invalidate | None = None
    # For the notices of those offline: the conversation it is about, and the author of a
    # person's message (who gets no notice of her own; a system message has none and is not pushed).
    about: str | None = None
    author: str | None = None

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Envelope:
        invalidate = payload.get("invalidate")
        seq = payload.get("seq")
        return cls(
            recipients=tuple(payload.get("recipients", ())),
            text=payload.get("text", ""),
            conversation_id=payload.get("conversation_id"),
            seq=seq if isinstance(seq, int) else None,
            origin=payload.get("origin"),
            invalidate=None
            if invalidate is None
            else Invalidate(invalidate.get("conversation_id"), invalidate.get("programme_id")),
            about=payload.get("about"),
            author=payload.get("author"),
        )

    def to_payload(self) -> dict[str, Any]:
        """The plain form, without the fields not set."""
        payload: dict[str, Any] = {"recipients": list(self.recipients)}
        for name in ("text", "conversation_id", "seq", "origin", "about", "author"):
            value = getattr(self, name)
            if value is not None and value != "":
                payload[name] = value
        if self.invalidate is not None:
            payload["invalidate"] = {
                key: value
                for key, value in (
                    ("conversation_id", self.invalidate.conversation_id),
                    ("programme_id", self.invalidate.programme_id),
                )
                if value is not None
            }
        return payload

    def to_json(self) -> str:
        return json.dumps(self.to_payload(), separators=(",", ":"))

    @classmethod
    def from_json(cls, data: str | bytes) -> Envelope:
        return cls.from_payload(json.loads(data))
