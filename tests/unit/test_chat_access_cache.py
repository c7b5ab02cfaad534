"""The socket's cache of memberships: entries filled together expire at spread moments (no crowd of
checks one TTL later), one check per key at a time, and an invalidation wins over a check that
began before it (a removed member cannot send once the change is known)."""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace
from typing import Any

import pytest

from eportfolio.chat.repository import Member
from eportfolio.chat.service import AccessCache, ConversationAccess
from eportfolio.domain.chat import MemberRole
from eportfolio.kit.errors import Forbidden

PROGRAMME = uuid.uuid4()


def _access(conversation_id: uuid.UUID, person_id: uuid.UUID) -> Any:
    conversation = SimpleNamespace(
        id=conversation_id,
        organisation_id=uuid.uuid4(),
        programme_id=PROGRAMME,
        kind="coaching",
        participant_id=person_id,
        coach_id=None,
        epoch=1,
        rotation_due_since=None,
    )
    member = Member(person_id, MemberRole.participant)
    return ConversationAccess(conversation, SimpleNamespace(settings={}), member, [member], "participant")  # type: ignore[arg-type]  # stand-ins for the rows


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_entries_filled_together_expire_at_spread_moments() -> None:
    clock = Clock()
    cache = AccessCache(10.0, jitter=0.25, timer=clock)
    keys = [(uuid.uuid4(), uuid.uuid4()) for _ in range(200)]
    for conversation_id, person_id in keys:
        cache.put(_access(conversation_id, person_id))

    def alive() -> int:
        return sum(cache.get(*key) is not None for key in keys)

    clock.now = 7.4
    assert alive() == 200, "none before ttl less the jitter"
    clock.now = 8.75
    assert 0 < alive() < 200, "some expired, not all at once"
    clock.now = 10.01
    assert alive() == 0


async def test_one_check_per_key_at_a_time() -> None:
    cache = AccessCache()
    key = (uuid.uuid4(), uuid.uuid4())
    checks = 0
    release = asyncio.Event()

    async def check() -> ConversationAccess:
        nonlocal checks
        checks += 1
        await release.wait()
        return _access(*key)  # type: ignore[no-any-return]  # a stand-in access

    waiting = [asyncio.create_task(cache.fill(key, check)) for _ in range(5)]
    await asyncio.sleep(0)
    release.set()
    entries = await asyncio.gather(*waiting)
    assert checks == 1
    assert all(entry is entries[0] for entry in entries)
    assert cache.get(*key) is entries[0]


async def test_a_refusal_is_shared_and_not_cached() -> None:
    cache = AccessCache()
    key = (uuid.uuid4(), uuid.uuid4())
    release = asyncio.Event()

    async def check() -> ConversationAccess:
        await release.wait()
        raise Forbidden("not a member")

    waiting = [asyncio.create_task(cache.fill(key, check)) for _ in range(3)]
    await asyncio.sleep(0)
    release.set()
    for task in waiting:
        with pytest.raises(Forbidden):
            await task
    assert cache.get(*key) is None


async def test_an_invalidation_during_a_check_wins() -> None:
    cache = AccessCache()
    key = (uuid.uuid4(), uuid.uuid4())
    started, release = asyncio.Event(), asyncio.Event()

    async def check() -> ConversationAccess:
        started.set()
        await release.wait()
        return _access(*key)  # type: ignore[no-any-return]  # a stand-in access

    filling = asyncio.create_task(cache.fill(key, check))
    await started.wait()
    cache.invalidate(conversation_id=key[0])  # her membership changed while it was read
    release.set()
    await filling
    assert cache.get(*key) is None, "what was read before the change is not kept"


def test_invalidation_by_conversation_and_by_programme() -> None:
    cache = AccessCache()
    first, second = (uuid.uuid4(), uuid.uuid4()), (uuid.uuid4(), uuid.uuid4())
    cache.put(_access(*first))
    cache.put(_access(*second))
    cache.invalidate(conversation_id=first[0])
    assert cache.get(*first) is None
    assert cache.get(*second) is not None
    cache.invalidate(programme_id=PROGRAMME)
    assert len(cache) == 0
