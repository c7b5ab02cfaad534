"""The unit of work: one transaction per request or per chat frame, committed once.

Services never commit. They add rows to ``uow.session`` and queue events with ``uow.emit``;
the owner of the unit of work commits and only then publishes the events.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any
from weakref import WeakKeyDictionary

from fastapi import Depends, Request
from sqlalchemy import Table, event, insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction

from eportfolio.kit.errors import Conflict
from eportfolio.kit.events import Event, EventBus

# Rows waiting in ``session.info`` to be written in one INSERT (the access log's: plain rows, not
# ORM objects, which cost a fifth of a page listing a thousand people), keyed by their table.
_ROWS = "eportfolio.rows"


@event.listens_for(Session, "after_soft_rollback")
def _forget_rows(session: Session, _previous: SessionTransaction) -> None:
    """A rollback forgets the rows waiting, as it forgets the ORM objects added but not flushed."""
    session.info.pop(_ROWS, None)


class UnitOfWork:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._events: list[Event] = []

    def add_row(self, table: Table, row: dict[str, Any]) -> None:
        """Queue a row to be written with the next flush or the commit, in one statement per table."""
        self.session.info.setdefault(_ROWS, {}).setdefault(table, []).append(row)

    async def write_rows(self) -> None:
        waiting: dict[Table, list[dict[str, Any]]] | None = self.session.info.pop(_ROWS, None)
        for table, rows in (waiting or {}).items():
            await self.session.execute(insert(table), rows)

    def emit(self, event: Event) -> None:
        self._events.append(event)

    def take_events(self) -> list[Event]:
        events, self._events = self._events, []
        return events

    async def flush(self) -> None:
        """Flush now so that a constraint violation becomes a clear 409 inside the use case."""
        try:
            await self.session.flush()
            await self.write_rows()
        except IntegrityError as exc:
            await self.session.rollback()
            raise Conflict() from exc


class _OneWriter:
    """SQLite's units of work, one at a time per process and event loop.

    SQLite has one writer. A transaction that reads first and writes at its end (every page writes
    its access-log rows) cannot upgrade its read once another writer committed meanwhile: SQLite
    answers "database is locked" at once, whatever the busy timeout, and the request fails. Taken
    in turn, no unit of work finds its snapshot overtaken. A unit of work opened inside another one
    of the same task (a counter committed on its own during a request) goes ahead: waiting for the
    outer one would wait for itself.
    """

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.owner: asyncio.Task[object] | None = None


_writers: WeakKeyDictionary[Engine, WeakKeyDictionary[asyncio.AbstractEventLoop, _OneWriter]] = WeakKeyDictionary()


@asynccontextmanager
async def _in_turn(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[None]:
    bind = sessionmaker.kw.get("bind")
    if bind is None or bind.dialect.name != "sqlite":
        yield
        return
    per_loop = _writers.setdefault(bind.sync_engine, WeakKeyDictionary())
    writer = per_loop.setdefault(asyncio.get_running_loop(), _OneWriter())
    task = asyncio.current_task()
    if task is not None and writer.owner is task:
        yield
        return
    async with writer.lock:
        writer.owner = task
        try:
            yield
        finally:
            writer.owner = None


@asynccontextmanager
async def unit_of_work(
    sessionmaker: async_sessionmaker[AsyncSession], bus: EventBus | None = None
) -> AsyncIterator[UnitOfWork]:
    """Open a transaction; commit if the block succeeds, roll back otherwise; then publish events."""
    async with _in_turn(sessionmaker), sessionmaker() as session:
        uow = UnitOfWork(session)
        try:
            yield uow
            await uow.write_rows()
            await session.commit()
        except IntegrityError as exc:
            await session.rollback()
            raise Conflict() from exc
        except BaseException:
            await session.rollback()
            raise
    events = uow.take_events()
    if bus is not None and events:
        await bus.publish(events)


async def _request_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    state = request.app.state
    async with unit_of_work(state.sessionmaker, state.event_bus) as uow:
        yield uow


# scope="function": the commit happens after the handler returns but before the response is
# sent, so a person never sees "saved" for something that was not committed.
UowDep = Annotated[UnitOfWork, Depends(_request_uow, scope="function")]
