"""Fan-out of committed chat events to every server process: in memory (one process, the default)
or through Redis pub/sub (several processes or hosts, ``EPORTFOLIO_REDIS_URL``).

A broker only moves envelopes (``chat.envelope.Envelope``; as JSON between processes). Nothing is
stored in it. Pub/sub can drop an envelope while a process is reconnecting;
that is safe because every message is committed before it is published, and a connection that
sees a seq gap, or reconnects, reads the missing messages from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import structlog

from eportfolio.chat.envelope import Envelope

log = structlog.get_logger(__name__)

Deliver = Callable[[Envelope], Awaitable[None]]
# Called when the broker lost events it cannot name (Redis went away): connections must resume.
Lost = Callable[[], Awaitable[None]]

CHANNEL = "eportfolio:chat"


PRESENCE = "eportfolio:chat:presence:"
# A process renews its people's presence every PRESENCE_RENEW seconds; an entry older than
# PRESENCE_TTL is ignored, so a killed process does not keep anyone "online" for long.
PRESENCE_RENEW = 30.0
PRESENCE_TTL = 90.0


class Broker(Protocol):
    async def start(self, deliver: Deliver, lost: Lost) -> None: ...

    async def publish(self, envelope: Envelope) -> None: ...

    async def close(self) -> None: ...

    async def present(self, person_ids: set[str]) -> None:
        """These people have a socket on this process (renewed every ``PRESENCE_RENEW`` s)."""

    async def absent(self, person_id: str) -> None:
        """Her last socket on this process closed."""

    async def online_elsewhere(self, person_ids: set[str]) -> set[str]:
        """Which of these people have a socket on another process."""


class InMemoryBroker:
    """Hands every envelope straight to this process's hub."""

    def __init__(self) -> None:
        self._deliver: Deliver | None = None

    async def start(self, deliver: Deliver, lost: Lost) -> None:
        self._deliver = deliver

    async def publish(self, envelope: Envelope) -> None:
        if self._deliver is not None:
            await self._deliver(envelope)

    async def close(self) -> None:
        self._deliver = None

    async def present(self, person_ids: set[str]) -> None:
        return None

    async def absent(self, person_id: str) -> None:
        return None

    async def online_elsewhere(self, person_ids: set[str]) -> set[str]:
        return set()  # one process: its hub knows everyone


class RedisBroker:
    """Publishes to one Redis channel that every process subscribes to; each delivers locally."""

    def __init__(self, url: str, channel: str = CHANNEL) -> None:
        self.url = url
        self.channel = channel
        self.process_id = uuid.uuid4().hex
        self._redis: Any = None
        self._listener: asyncio.Task[None] | None = None

    async def start(self, deliver: Deliver, lost: Lost) -> None:
        import redis.asyncio as aioredis

        self._redis = aioredis.Redis.from_url(self.url, socket_connect_timeout=5, health_check_interval=30)
        ready = asyncio.get_running_loop().create_future()
        self._listener = asyncio.create_task(self._listen(deliver, lost, ready))
        await ready

    async def _listen(self, deliver: Deliver, lost: Lost, ready: asyncio.Future[None]) -> None:
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                if not ready.done():
                    ready.set_result(None)
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    try:
                        await deliver(Envelope.from_json(message["data"]))
                    except Exception:
                        log.exception("chat_broker_deliver_failed")
            except asyncio.CancelledError:
                await pubsub.aclose()
                raise
            except Exception as exc:
                if not ready.done():
                    ready.set_exception(exc)
                    return
                # Events published while we were away are lost to us: every connection resumes.
                log.warning("chat_broker_reconnecting", error=type(exc).__name__)
                await lost()
                await asyncio.sleep(1)
            finally:
                await pubsub.aclose()

    async def publish(self, envelope: Envelope) -> None:
        await self._redis.publish(self.channel, envelope.to_json())

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    # Presence: one hash per person, a field per process holding when its entry expires.

    async def present(self, person_ids: set[str]) -> None:
        if self._redis is None or not person_ids:
            return
        expires = str(time.time() + PRESENCE_TTL)
        async with self._redis.pipeline(transaction=False) as pipe:
            for person_id in person_ids:
                pipe.hset(PRESENCE + person_id, self.process_id, expires)
                pipe.expire(PRESENCE + person_id, int(PRESENCE_TTL))
            await pipe.execute()

    async def absent(self, person_id: str) -> None:
        if self._redis is not None:
            await self._redis.hdel(PRESENCE + person_id, self.process_id)

    async def online_elsewhere(self, person_ids: set[str]) -> set[str]:
        if self._redis is None or not person_ids:
            return set()
        ordered = sorted(person_ids)
        async with self._redis.pipeline(transaction=False) as pipe:
            for person_id in ordered:
                pipe.hgetall(PRESENCE + person_id)
            entries = await pipe.execute()
        now = time.time()
        return {
            person_id
            for person_id, fields in zip(ordered, entries, strict=True)
            if any(
                float(expires) > now
                for process, expires in fields.items()
                if (process.decode() if isinstance(process, bytes) else process) != self.process_id
            )
        }


def make_broker(redis_url: str | None) -> Broker:
    return RedisBroker(redis_url) if redis_url else InMemoryBroker()
