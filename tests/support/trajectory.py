"""Set-up for the trajectory tests: her coach's assignment signed by staff (so it counts), and a
second coach of the programme who does not coach her. Rows are written directly: set-up, not
what is tested."""

from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.tables import CoachAssignment
from tests.support.factories import SIGNED, MembershipFactory, PersonFactory, flush_in_order
from tests.support.world import World


async def sign_coach_a(sessionmaker: async_sessionmaker[AsyncSession], world: World) -> None:
    """Coach A's assignment for Mother A, signed by Staff A: it counts."""
    async with unit_of_work(sessionmaker) as uow:
        await uow.session.execute(
            update(CoachAssignment)
            .where(CoachAssignment.id == world.assignment_a)
            .values(signed_record=SIGNED, signed_by=world.staff_a)
        )


async def other_coach(sessionmaker: async_sessionmaker[AsyncSession], world: World, role: str = "coach") -> uuid.UUID:
    """A coach of programme A without an assignment for Mother A (or someone else in ``role``)."""
    from types import SimpleNamespace

    programme = SimpleNamespace(id=world.programme_a, organisation_id=world.organisation_id)
    async with unit_of_work(sessionmaker) as uow:
        coach = PersonFactory.add(uow.session, organisation_id=world.organisation_id, display_name=f"Other {role}")
        MembershipFactory.add(
            uow.session,
            programme=programme,
            person_id=coach.id,
            role=role,
            coach_kind="individual" if role == "coach" else None,
        )
        await flush_in_order(uow.session)
        return coach.id
