"""Who is online across processes (for Web Push to the offline only), through real Redis."""

from __future__ import annotations

import uuid

import pytest

from eportfolio.chat.broker import PRESENCE, RedisBroker
from tests.support.services import REDIS_URL, absent

pytestmark = [pytest.mark.redis]


async def _noop(*_: object) -> None:
    return None


async def test_a_person_with_a_socket_on_another_process_is_online_until_her_last_socket_closes() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        absent("Redis", f"{type(exc).__name__} connecting to {REDIS_URL}")
    worker_a, worker_b = RedisBroker(REDIS_URL, channel=f"test:{uuid.uuid4().hex}"), RedisBroker(REDIS_URL)
    await worker_a.start(_noop, _noop)
    await worker_b.start(_noop, _noop)
    her, someone_else = uuid.uuid4().hex, uuid.uuid4().hex
    try:
        await worker_a.present({her})
        assert await worker_b.online_elsewhere({her, someone_else}) == {her}
        assert await worker_a.online_elsewhere({her}) == set(), "her socket on this process is the hub's business"

        await worker_a.absent(her)
        assert await worker_b.online_elsewhere({her}) == set()

        # A process that died without saying so stops counting once its entry has expired.
        await worker_a._redis.hset(PRESENCE + her, "dead-process", "1.0")
        assert await worker_b.online_elsewhere({her}) == set()
    finally:
        await worker_a._redis.delete(PRESENCE + her)
        await worker_a.close()
        await worker_b.close()
