"""The sends of every socket of this process, committed together (``GroupCommit``), and the
unit of work a socket's other frames run in (``in_transaction``)."""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog
from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError, OperationalError

from eportfolio.chat import metrics, service
from eportfolio.domain.chat import SendResult
from eportfolio.kit.errors import Conflict, DomainError
from eportfolio.kit.uow import UnitOfWork, unit_of_work

log = structlog.get_logger(__name__)
T = TypeVar("T")


class GroupCommit:
    """The sends of every socket of this process, committed together.

    Sends that arrive while earlier ones commit wait and go together into one transaction (at
    most ``max_batch`` sends, one per conversation). Up to ``parallel`` transactions are under way
    at once, on conversations none of the others has: a conversation's sends are committed, and
    their events published, one transaction after the other, in the order they arrived, so its
    seqs and frames keep their order. When nothing else is under way a send commits at once, so
    a quiet server adds no delay; under load the waits of the commits (round trips, the flush to
    disk) overlap instead of adding up. Each send is acknowledged only after its commit. If a
    transaction fails (a changed conversation, a conflict, the database), nothing of it is kept
    and each of its sends is made again on its own with the full membership check.
    """

    def __init__(self, app: FastAPI, cache: service.AccessCache, max_batch: int = 100, parallel: int = 3) -> None:
        self.app, self.cache, self.max_batch = app, cache, max_batch
        settings = app.state.settings
        pool = settings.db_pool_size
        # Checks and batches together never take the whole pool. SQLite has one writer at a time:
        # a second transaction would only wait for it (or fail to upgrade its read to a write).
        self.parallel = 1 if settings.is_sqlite else max(1, min(parallel, pool // 3))
        self._waiting: deque[tuple[service.PendingSend, asyncio.Future[SendResult]]] = deque()
        self._busy: set[uuid.UUID] = set()  # conversations in a transaction under way
        self._running: set[asyncio.Task[None]] = set()
        self._checks = asyncio.Semaphore(max(1, pool // 2))
        self.batches = 0

    async def send(self, pending: service.PendingSend) -> SendResult:
        if self.cache.get(pending.conversation_id, pending.caller.person_id) is None:
            # Checked before it joins a batch, in a read-only transaction of its own: checks run
            # side by side on the pool instead of one after another inside the batch, but never
            # on every connection of the pool, so the batches always find one.
            async with self._checks:
                await in_transaction(
                    self.app,
                    lambda uow: service.cached_access(uow, self.cache, pending.caller, pending.conversation_id),
                )
        future: asyncio.Future[SendResult] = asyncio.get_running_loop().create_future()
        self._waiting.append((pending, future))
        self._start()
        return await future

    def _start(self) -> None:
        """Start transactions for what waits, while fewer than ``parallel`` are under way."""
        while self._waiting and len(self._running) < self.parallel:
            batch: list[tuple[service.PendingSend, asyncio.Future[SendResult]]] = []
            later: deque[tuple[service.PendingSend, asyncio.Future[SendResult]]] = deque()
            taken: set[uuid.UUID] = set()
            while self._waiting and len(batch) < self.max_batch:
                item = self._waiting.popleft()
                if item[1].done():
                    continue  # her socket closed meanwhile: nothing to send
                conversation_id = item[0].conversation_id
                if conversation_id in taken or conversation_id in self._busy:
                    # Keeps its place: a later send to the same conversation never overtakes it.
                    taken.add(conversation_id)
                    later.append(item)
                else:
                    taken.add(conversation_id)
                    batch.append(item)
            later.extend(self._waiting)
            self._waiting = later
            if not batch:
                return
            conversations = {pending.conversation_id for pending, _ in batch}
            self._busy |= conversations
            self.batches += 1
            task = asyncio.create_task(self._run(batch, conversations))
            self._running.add(task)

    async def _run(
        self, batch: list[tuple[service.PendingSend, asyncio.Future[SendResult]]], conversations: set[uuid.UUID]
    ) -> None:
        cancelled = False
        try:
            await self._commit(batch)
        except asyncio.CancelledError:
            cancelled = True
            for _, future in batch:
                future.cancel()
            raise
        finally:
            self._busy -= conversations
            self._running.discard(asyncio.current_task())
            if not cancelled:
                self._start()

    async def _commit(self, batch: list[tuple[service.PendingSend, asyncio.Future[SendResult]]]) -> None:
        sends = [pending for pending, _ in batch]
        metrics.BATCH_SIZE.observe(len(sends))
        try:
            async with unit_of_work(self.app.state.sessionmaker, self.app.state.event_bus) as uow:
                results = await service.send_messages(uow, sends, cache=self.cache)
        except Exception as exc:
            if not isinstance(exc, service.StaleAccess | Conflict | OperationalError):
                log.warning("chat_batch_failed", size=len(batch), error=type(exc).__name__)
            for pending, future in batch:
                await self._one(pending, future)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(result, DomainError):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def _one(self, pending: service.PendingSend, future: asyncio.Future[SendResult]) -> None:
        """One send in its own transaction, its membership checked against the database."""
        caller = pending.caller
        try:
            result = await in_transaction(
                self.app, lambda uow: service.send_message(uow, caller, pending.conversation_id, pending.data)
            )
        except Exception as exc:
            if not future.done():
                future.set_exception(exc)
            return
        if not future.done():
            future.set_result(result)


async def in_transaction(app: FastAPI, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """Run one use case and commit it; events leave after the commit, before this returns.

    Retried (at most three times) when SQLite is busy or when a concurrent resend of the same
    client id won the race for the unique key: the retry finds the stored message.
    """
    for attempt in range(3):
        try:
            async with unit_of_work(app.state.sessionmaker, app.state.event_bus) as uow:
                return await work(uow)
        except Conflict as exc:
            if attempt == 2 or not isinstance(exc.__cause__, IntegrityError):
                raise
        except OperationalError:
            if attempt == 2 or not app.state.settings.is_sqlite:
                raise
            await asyncio.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")
