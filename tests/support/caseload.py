"""A coach with many participants, each with a little of everything the caseload counts: a coaching
conversation with her messages (some unread, some waiting), answers handed in, a late assignment,
goal plans due (one kept "only me"). Rows are written directly (tests/support/factories.py): it is
set-up, not what is tested."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eportfolio.kit.clock import utcnow
from eportfolio.kit.uow import unit_of_work
from tests.support.factories import (
    CoachAssignmentFactory,
    ConversationFactory,
    MarkerFactory,
    MembershipFactory,
    MessageFactory,
    ModuleAssignmentFactory,
    PersonFactory,
    PortfolioFactory,
    PortfolioItemFactory,
    flush_in_order,
)


@dataclass(frozen=True)
class Seeded:
    participants: list[uuid.UUID]
    # Who should come first: her message waits longest for an answer (none with fewer than 3).
    first: uuid.UUID | None


async def seed_caseload(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    organisation_id: uuid.UUID,
    programme_id: uuid.UUID,
    coach_id: uuid.UUID,
    signer_id: uuid.UUID,
    count: int,
    name: str = "Deelnemer",
    names: list[str] | None = None,
) -> Seeded:
    """``count`` participants of ``coach_id``; participant i has:

    - a coach assignment signed by ``signer_id`` (the sixth of every six: signed by the coach
      himself, so it waits for a second signature; the fifth of every five: not signed);
    - a coaching conversation with ``i % 4`` messages of hers, of which her coach read none;
      every other one waits for an answer (the first the longest);
    - every other one an answer handed in; every third an assignment due yesterday;
    - every third a goal plan with a step due yesterday, and every one an "only me" plan also due.
    """
    now = utcnow()
    today = now.date()
    programme = SimpleNamespace(id=programme_id, organisation_id=organisation_id)
    participants: list[uuid.UUID] = []
    async with unit_of_work(sessionmaker) as uow:
        session = uow.session
        for i in range(count):
            display = names[i] if names and i < len(names) else f"{name} {i:02d}"
            her = PersonFactory.add(session, organisation_id=organisation_id, display_name=display)
            participants.append(her.id)
            MembershipFactory.add(session, programme=programme, person_id=her.id, role="participant")
            signed = i % 5 != 4
            CoachAssignmentFactory.add(
                session, programme=programme, participant_id=her.id, coach_id=coach_id,
                signed=signed, signed_by=(coach_id if i % 6 == 5 else signer_id) if signed else None,
            )
            messages = i % 4
            conversation = ConversationFactory.add(
                session, programme=programme, participant_id=her.id, last_seq=messages,
                waiting_since=(now - timedelta(hours=count - i)) if i % 2 == 0 and messages else None,
            )
            for seq in range(1, messages + 1):
                MessageFactory.add(
                    session, programme=programme, conversation_id=conversation.id, seq=seq, author_id=her.id,
                    created_at=now - timedelta(days=i, minutes=seq),
                )
            MarkerFactory.add(session, programme=programme, conversation_id=conversation.id, person_id=her.id,
                              delivered_seq=messages, read_seq=messages)
            if i % 2 == 0:
                ModuleAssignmentFactory.add(session, programme=programme, participant_id=her.id,
                                            assigned_by=coach_id, status="submitted", submitted_at=now)
            if i % 3 == 0:
                ModuleAssignmentFactory.add(session, programme=programme, participant_id=her.id,
                                            assigned_by=coach_id, due_on=today - timedelta(days=1))
            portfolio = PortfolioFactory.add(session, programme=programme, participant_id=her.id)
            plans = [("only_me", today - timedelta(days=1))]
            if i % 3 == 0:
                plans.append(("my_coaches", today - timedelta(days=1)))
            for audience, due in plans:
                PortfolioItemFactory.add(
                    session, programme=programme, portfolio_id=portfolio.id, kind="goal_plan", audience=audience,
                    author_id=her.id, occurred_on=due, status="in_progress", progress=40,
                )
        await flush_in_order(session)
    return Seeded(participants=participants, first=participants[2] if count > 2 else None)
