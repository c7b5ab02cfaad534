"""The access log: who read or changed whose data, in which role, when, from which session.

Append-only and without content. Every service function that touches a person's data is marked
with ``@personal_data(kind)`` and calls ``record_access``; a test walks the register below and
checks that each one logs.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from eportfolio.kit.auth import Caller
from eportfolio.kit.clock import utcnow
from eportfolio.kit.db import Base, UTCDateTime, new_id
from eportfolio.kit.uow import UnitOfWork


class Action(StrEnum):
    read = "read"
    create = "create"
    update = "update"
    delete = "delete"


class AccessLogEntry(Base):
    __tablename__ = "access_log"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_person_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    actor_role: Mapped[str] = mapped_column(String(32))
    subject_person_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    programme_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    record_kind: Mapped[str] = mapped_column(String(48))
    action: Mapped[str] = mapped_column(String(16))
    session_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    __table_args__ = (
        Index("ix_access_log_subject_at", "subject_person_id", "at"),
        Index("ix_access_log_actor_at", "actor_person_id", "at"),
    )


# Qualified function name -> record kind; filled by @personal_data at import time.
PERSONAL_DATA_SERVICES: dict[str, str] = {}

F = TypeVar("F", bound=Callable[..., Any])


def personal_data(record_kind: str) -> Callable[[F], F]:
    """Mark a service function as reading or changing a person's data (see the module docstring)."""

    def mark(function: F) -> F:
        PERSONAL_DATA_SERVICES[f"{function.__module__}.{function.__qualname__}"] = record_kind
        function.__personal_data__ = record_kind  # type: ignore[attr-defined]  # a marker attribute on the function object, read by the audit test
        return function

    return mark


def record_access(
    uow: UnitOfWork,
    caller: Caller | None,
    *,
    role: str,
    subjects: Iterable[uuid.UUID],
    record_kind: str,
    action: Action,
    programme_id: uuid.UUID | None = None,
) -> None:
    """Add one row per person whose data was touched; committed with the use case's transaction.

    Plain rows written in one INSERT with the next flush or the commit, not ORM objects: a page
    listing a thousand people logs a thousand rows."""
    at = utcnow()
    table = AccessLogEntry.__table__
    for subject in dict.fromkeys(subjects):
        uow.add_row(
            table,  # type: ignore[arg-type]  # a Table, typed as FromClause
            {
                "id": new_id(),
                "at": at,
                "actor_person_id": caller.person_id if caller else None,
                "actor_role": role,
                "subject_person_id": subject,
                "organisation_id": caller.organisation_id if caller else None,
                "programme_id": programme_id,
                "record_kind": record_kind,
                "action": action.value,
                "session_id": caller.session_id if caller else None,
            },
        )
