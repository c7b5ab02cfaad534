"""The unit of work: one transaction per request or per chat frame, committed once.

Services never commit. They add rows to ``uow.session`` and queue events with ``uow.emit``;
the owner of the unit of work commits and only then publishes the events.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eportfolio.kit.errors import Conflict
from eportfolio.kit.events import Event, EventBus


class UnitOfWork:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._events: list[Event] = []

    def emit(self, event: Event) -> None:
        self._events.append(event)

    def take_events(self) -> list[Event]:
        events, self._events = self._events, []
        return events

    async def flush(self) -> None:
        """Flush now so that a constraint violation becomes a clear 409 inside the use case."""
        try:
            await self.session.flush()
        except IntegrityError as exc:
            await self.session.rollback()
            raise Conflict() from exc


@asynccontextmanager
async def unit_of_work(
    sessionmaker: async_sessionmaker[AsyncSession], bus: EventBus | None = None
) -> AsyncIterator[UnitOfWork]:
    """Open a transaction; commit if the block succeeds, roll back otherwise; then publish events."""
    async with sessionmaker() as session:
        uow = UnitOfWork(session)
        try:
            yield uow
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
