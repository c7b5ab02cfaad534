"""Queries of the notification list, each scoped to the person the notices are for."""

from __future__ import annotations

import functools
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from eportfolio.notifications.tables import Notification


@functools.cache
def _collapsing_insert(dialect: str) -> Any:
    """Insert a notice, or bring back the one with the same ``dedupe_key`` as new and unread."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = Notification.__table__
    statement = insert(table)  # type: ignore[arg-type]  # __table__ is typed as FromClause; on a mapped class it is the Table insert/update want
    return statement.on_conflict_do_update(
        index_elements=[table.c.dedupe_key],
        set_={"created_at": statement.excluded.created_at, "read_at": None, "link": statement.excluded.link},
    )


class NotificationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert(self, row: dict[str, Any]) -> None:
        """One statement, so two processes notifying her at once still leave one entry."""
        await self.session.execute(_collapsing_insert(self.session.get_bind().dialect.name), [row])

    async def mark_read(
        self, organisation_id: uuid.UUID, person_id: uuid.UUID, kind: str, subject_id: uuid.UUID, at: datetime
    ) -> int:
        result = await self.session.execute(
            update(Notification)
            .where(
                Notification.organisation_id == organisation_id,
                Notification.person_id == person_id,
                Notification.kind == kind,
                Notification.subject_id == subject_id,
                Notification.read_at.is_(None),
            )
            .values(read_at=at)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def unread_count(self, organisation_id: uuid.UUID, person_id: uuid.UUID) -> int:
        result = await self.session.execute(
            select(func.count())
            .select_from(Notification)
            .where(
                Notification.organisation_id == organisation_id,
                Notification.person_id == person_id,
                Notification.read_at.is_(None),
            )
        )
        return int(result.scalar_one())
