"""The WebSocket connections of this process, by person, and what is waiting to be sent to each.

Every connection has a bounded queue of outgoing frames. Delivery never waits for a client: a
frame that does not fit marks the connection as too slow, and its writer closes it with code 4008;
the client reconnects and resumes from its last seq, so nothing is lost.
"""

from __future__ import annotations

import itertools
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eportfolio.chat.envelope import Envelope
from eportfolio.config import Settings
from eportfolio.kit.auth import Caller

# Close codes (4000-4999 are ours; see docs/chat-protocol.md).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_TOO_SLOW = 4008
CLOSE_FLOODING = 4029
CLOSE_TOO_MANY_SOCKETS = 4429
CLOSE_RESTART = 1012
# Sent by the WebSocket layer itself (RFC 6455) for a frame over MAX_FRAME_BYTES.
CLOSE_TOO_BIG = 1009

MAX_FRAME_CHARS = 48 * 1024
# The largest frame the server reads at all (uvicorn's ``ws_max_size``): a bit over
# MAX_FRAME_CHARS, so a frame just over that limit still gets the ``too_large`` error frame (the
# client's frames are ASCII JSON). A bigger one closes the socket with 1009 as soon as its header
# says how long it is, before it is buffered (uvicorn's default would buffer 16 MiB per socket).
MAX_FRAME_BYTES = 64 * 1024

# How ``eportfolio serve`` (and the tests' server) runs uvicorn's WebSocket side.
UVICORN_WEBSOCKET_OPTIONS: dict[str, Any] = {
    "ws": "websockets-sansio",  # what "auto" picks now; the legacy one runs extra tasks per socket
    "ws_per_message_deflate": False,  # memory per connection; ciphertext does not compress
    "ws_max_size": MAX_FRAME_BYTES,
}


@dataclass(frozen=True, slots=True)
class Limits:
    """One connection's limits: the defaults of the ``EPORTFOLIO_CHAT_…`` settings (``from_settings``)."""

    max_frame_chars: int = MAX_FRAME_CHARS
    frames_per_second: float = 20.0
    burst: int = 40
    # Frames refused for flooding in a row before the connection is closed.
    flood_strikes: int = 100
    queue_size: int = 500
    send_timeout_seconds: float = 10.0
    resume_wait_seconds: float = 10.0
    session_check_seconds: float = 60.0
    # Open sockets of one login session in this process (EPORTFOLIO_CHAT_SOCKETS_PER_SESSION);
    # the next is closed at once with 4429.
    sockets_per_session: int = 5

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            max_frame_chars=settings.chat_max_frame_chars,
            frames_per_second=settings.chat_frames_per_second,
            burst=settings.chat_burst,
            flood_strikes=settings.chat_flood_strikes,
            queue_size=settings.chat_queue_size,
            send_timeout_seconds=settings.chat_send_timeout_seconds,
            resume_wait_seconds=settings.chat_resume_wait_seconds,
            session_check_seconds=settings.chat_session_check_seconds,
            sockets_per_session=settings.chat_sockets_per_session,
        )


@dataclass(slots=True)
class Resume:
    since: dict[uuid.UUID, int]


@dataclass(frozen=True, slots=True)
class Reply:
    """A frame for this connection alone (a welcome, a pong, an error), as JSON."""

    text: str


@dataclass(frozen=True, slots=True)
class Close:
    """Queued last when a connection must close; tells its writer to stop."""


CLOSE = Close()

# Names this process in an envelope's ``origin`` (the connection a message came from), so the
# hub of the process that has that connection skips it; another process has no such connection.
PROCESS = uuid.uuid4().hex[:12]
_numbers = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Acked:
    """The acknowledgement of one of her sends on this connection: it stands for her message
    (this connection gets no ``message`` frame for it), so its seq counts as sent here."""

    conversation_id: str
    seq: int
    text: str


# What a connection's outbox holds: live events, its own frames, a resume, an ack, the end.
Item = Envelope | Reply | Resume | Acked | Close


@dataclass(eq=False, slots=True)
class Connection:
    """One socket: what waits to be sent to it, and what it has been sent.

    An idle connection holds as little as possible (memory per connection): a plain deque, and
    no task of its own. ``wake`` (set by the endpoint) starts a writer when there is something to
    send, once she has resumed; the writer sends what is queued, in order, and ends.
    """

    caller: Caller
    limits: Limits
    outbox: deque[Item] = field(default_factory=deque)
    # The newest seq sent on this connection, per conversation (the gap and duplicate check).
    last_seq: dict[str, int] = field(default_factory=dict)
    resumed: bool = False
    first_resume: Resume | None = None
    close_code: int | None = None
    close_reason: str = ""
    wake: Callable[[], None] | None = None
    number: int = field(default_factory=lambda: next(_numbers))

    @property
    def person_key(self) -> str:
        return str(self.caller.person_id)

    @property
    def origin(self) -> str:
        """This connection, as an envelope's ``origin`` names it."""
        return f"{PROCESS}:{self.number}"

    def _signal(self) -> None:
        if self.resumed and self.wake is not None:
            self.wake()

    def offer(self, item: Item) -> bool:
        """Queue a frame without waiting; a full queue means the client is too slow."""
        if self.close_code is not None:
            return False
        if len(self.outbox) >= self.limits.queue_size:
            self.request_close(CLOSE_TOO_SLOW, "too slow: reconnect and resume")
            return False
        self.outbox.append(item)
        self._signal()
        return True

    def resume(self, resume: Resume) -> None:
        """Her first resume (or none: ``Resume({})``); the writer starts replaying."""
        if not self.resumed:
            self.first_resume, self.resumed = resume, True
            self._signal()

    def request_close(self, code: int, reason: str) -> None:
        if self.close_code is not None:
            return
        self.close_code, self.close_reason = code, reason
        # What is still queued need not be sent: the client resumes from its last seq.
        self.outbox.clear()
        self.outbox.append(CLOSE)
        self.resumed = True
        self._signal()


class Hub:
    def __init__(self) -> None:
        self._by_person: dict[str, set[Connection]] = {}
        self._by_session: dict[uuid.UUID | None, int] = {}

    def add(self, connection: Connection) -> bool:
        """Add the connection, unless its session has ``limits.sockets_per_session`` open already."""
        session = connection.caller.session_id
        open_now = self._by_session.get(session, 0)
        if open_now >= connection.limits.sockets_per_session:
            return False
        self._by_session[session] = open_now + 1
        self._by_person.setdefault(connection.person_key, set()).add(connection)
        return True

    def remove(self, connection: Connection) -> bool:
        """Remove the connection; False when it was not here."""
        connections = self._by_person.get(connection.person_key)
        if connections is None or connection not in connections:
            return False
        connections.discard(connection)
        if not connections:
            del self._by_person[connection.person_key]
        session = connection.caller.session_id
        left = self._by_session.get(session, 1) - 1
        if left > 0:
            self._by_session[session] = left
        else:
            self._by_session.pop(session, None)
        return True

    def sockets_of_session(self, session_id: uuid.UUID | None) -> int:
        return self._by_session.get(session_id, 0)

    def people(self) -> set[str]:
        return set(self._by_person)

    def has(self, person_key: str) -> bool:
        return person_key in self._by_person

    def connections(self) -> list[Connection]:
        return [c for connections in self._by_person.values() for c in connections]

    def count(self) -> int:
        return sum(len(c) for c in self._by_person.values())

    async def deliver(self, envelope: Envelope) -> None:
        """Queue the envelope for every connection of its recipients, except the one her message
        came from (``origin``): that one gets the acknowledgement instead."""
        origin = envelope.origin
        skip = 0
        if origin is not None and origin.startswith(PROCESS + ":"):
            skip = int(origin[len(PROCESS) + 1 :])
        for recipient in envelope.recipients:
            for connection in tuple(self._by_person.get(recipient, ())):
                if connection.number != skip:
                    connection.offer(envelope)

    async def close_all(self, code: int = CLOSE_RESTART, reason: str = "reconnect and resume") -> None:
        for connections in list(self._by_person.values()):
            for connection in connections:
                connection.request_close(code, reason)
