"""A coach with many participants, each with a little of everything the caseload counts: a coaching
conversation with her messages (some unread, some waiting), answers handed in, a late assignment,
goal plans due (one kept "only me"). Rows are written directly: it is set-up, not what is tested."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eportfolio.assignments.tables import ModuleAssignment
from eportfolio.chat.tables import Conversation, Marker, Message
from eportfolio.kit.clock import utcnow
from eportfolio.kit.uow import unit_of_work
from eportfolio.portfolio.tables import Portfolio, PortfolioItem
from eportfolio.programmes.tables import CoachAssignment, Membership, Person
from tests.support.chat import body, client_id


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
    participants: list[uuid.UUID] = []
    async with unit_of_work(sessionmaker) as uow:
        add = uow.session.add
        for i in range(count):
            display = names[i] if names and i < len(names) else f"{name} {i:02d}"
            her = Person(organisation_id=organisation_id, display_name=display, language="nl")
            add(her)
            await uow.session.flush()
            participants.append(her.id)
            add(Membership(organisation_id=organisation_id, programme_id=programme_id, person_id=her.id,
                           role="participant"))
            signed = i % 5 != 4
            add(CoachAssignment(
                organisation_id=organisation_id, programme_id=programme_id, participant_id=her.id,
                coach_id=coach_id, kind="individual", starts_on=today - timedelta(days=30),
                signed_record="c2lnbmVk" if signed else None,
                signed_by=(coach_id if i % 6 == 5 else signer_id) if signed else None,
            ))
            messages = i % 4
            conversation = Conversation(
                organisation_id=organisation_id, programme_id=programme_id, kind="coaching",
                subject_key=f"coaching:{her.id}", participant_id=her.id, last_seq=messages, epoch=1,
                waiting_since=(now - timedelta(hours=count - i)) if i % 2 == 0 and messages else None,
            )
            add(conversation)
            await uow.session.flush()
            for seq in range(1, messages + 1):
                add(Message(
                    organisation_id=organisation_id, programme_id=programme_id, conversation_id=conversation.id,
                    seq=seq, kind="text", author_id=her.id, client_id=client_id(), body=body(120), epoch=1,
                    created_at=now - timedelta(days=i, minutes=seq),
                ))
            add(Marker(conversation_id=conversation.id, person_id=her.id, programme_id=programme_id,
                       delivered_seq=messages, read_seq=messages))
            if i % 2 == 0:
                add(ModuleAssignment(
                    organisation_id=organisation_id, programme_id=programme_id, participant_id=her.id,
                    assigned_by=coach_id, kind="personal", status="submitted", submitted_at=now,
                ))
            if i % 3 == 0:
                add(ModuleAssignment(
                    organisation_id=organisation_id, programme_id=programme_id, participant_id=her.id,
                    assigned_by=coach_id, kind="personal", status="assigned", due_on=today - timedelta(days=1),
                ))
            portfolio = Portfolio(organisation_id=organisation_id, programme_id=programme_id, participant_id=her.id,
                                  epoch=1, epoch_key_id="k" * 16)
            add(portfolio)
            await uow.session.flush()
            plans = [("only_me", today - timedelta(days=1))]
            if i % 3 == 0:
                plans.append(("my_coaches", today - timedelta(days=1)))
            for audience, due in plans:
                add(PortfolioItem(
                    organisation_id=organisation_id, programme_id=programme_id, portfolio_id=portfolio.id,
                    kind="goal_plan", audience=audience, created_by=her.id, author_id=her.id, key_id="k" * 16,
                    envelope=body(200), occurred_on=due, status="in_progress", progress=40,
                ))
    return Seeded(participants=participants, first=participants[2] if count > 2 else None)
