"""Events that a use case raises; they leave the process only after its transaction commits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened. ``name`` is dotted (``chat.message``); ``payload`` holds no content."""

    name: str
    payload: dict[str, Any] = field(default_factory=dict)


Subscriber = Callable[[Event], Awaitable[None]]


class EventBus:
    """Delivers committed events to subscribers (the chat broker, push, notifications)."""

    def __init__(self) -> None:
        self._subscribers: list[tuple[str, Subscriber]] = []

    def subscribe(self, prefix: str, subscriber: Subscriber) -> None:
        self._subscribers.append((prefix, subscriber))

    async def publish(self, events: list[Event]) -> None:
        for event in events:
            for prefix, subscriber in self._subscribers:
                if not event.name.startswith(prefix):
                    continue
                try:
                    await subscriber(event)
                except Exception:
                    # The transaction is committed already; a failing subscriber must not turn
                    # the request into an error. It is logged (without payload) and skipped.
                    log.exception("event_subscriber_failed", event_name=event.name)
