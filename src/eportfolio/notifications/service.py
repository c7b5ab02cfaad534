"""Adding to and clearing a person's in-app notification list; any feature may call these.

A notice names what happened and links to where it happened, never what anyone wrote: for a chat
message it says only that there is a new message. The list itself is shown by the modules
feature's page (``/notifications``), which also adds its due-date reminders.
"""

from __future__ import annotations

import uuid
from typing import Any

from eportfolio.kit.auth import Caller
from eportfolio.kit.clock import utcnow
from eportfolio.kit.events import Event
from eportfolio.kit.uow import UnitOfWork
from eportfolio.notifications.repository import NotificationRepository
from eportfolio.notifications.tables import Notification

# A new message in a conversation (chat): neutral, one unread entry per conversation.
CHAT_MESSAGE = "chat_message"
# Someone waits for an answer and it passed to you on duty (an escalation): one entry per conversation.
CHAT_WAITING = "chat_waiting"
# A new comment on a portfolio item (end-to-end encrypted, so never its words): one unread entry
# per item and person. Hers says her coach replied; a coach's says she did.
PORTFOLIO_COMMENT = "portfolio_comment"
PORTFOLIO_COMMENT_COACH = "portfolio_comment_coach"


async def notify(
    uow: UnitOfWork,
    *,
    organisation_id: uuid.UUID,
    programme_id: uuid.UUID | None,
    person_id: uuid.UUID,
    kind: str,
    subject_id: uuid.UUID | None,
    link: str,
    params: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
    collapse: bool = False,
) -> None:
    """Add a notice for her, in this unit of work.

    ``collapse``: at most one entry per (person, kind, subject): a repeat brings the existing one
    back to the top as unread instead of adding another. ``dedupe_key`` (without ``collapse``)
    is for notices that are made once ever; the caller checks it first.
    """
    now = utcnow()
    if collapse:
        assert subject_id is not None, "a collapsing notice needs its subject"
        await NotificationRepository(uow.session).upsert(
            {
                "id": uuid.uuid4(),
                "organisation_id": organisation_id,
                "programme_id": programme_id,
                "person_id": person_id,
                "kind": kind,
                "subject_id": subject_id,
                "link": link,
                "params": params or {},
                "dedupe_key": f"{kind}:{subject_id}:{person_id}",
                "created_at": now,
                "read_at": None,
            }
        )
    else:
        uow.session.add(
            Notification(
                organisation_id=organisation_id,
                programme_id=programme_id,
                person_id=person_id,
                kind=kind,
                subject_id=subject_id,
                link=link,
                params=params or {},
                dedupe_key=dedupe_key,
                created_at=now,
            )
        )
    uow.emit(Event("notifications.created", {"person_id": str(person_id), "kind": kind}))


async def mark_subject_read(uow: UnitOfWork, caller: Caller, kind: str, subject_id: uuid.UUID) -> int:
    """She has seen it where it happened (she opened the conversation): her notices about it are read."""
    return await NotificationRepository(uow.session).mark_read(
        caller.organisation_id, caller.person_id, kind, subject_id, utcnow()
    )


async def unread_count(uow: UnitOfWork, caller: Caller) -> int:
    """How many of her own notices are unread (a count only, for the page header)."""
    return await NotificationRepository(uow.session).unread_count(caller.organisation_id, caller.person_id)
