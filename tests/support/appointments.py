"""A world for appointment tests: Coach A's assignment for Mother A counts (signed by Staff A), and
a second coach in programme A coaches Mother A2, not her."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eportfolio.kit.clock import utcnow
from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.tables import CoachAssignment
from tests.support.factories import SIGNED, CoachAssignmentFactory, MembershipFactory, PersonFactory, flush_in_order
from tests.support.world import World

ZONE = ZoneInfo("Europe/Amsterdam")


@dataclass(frozen=True)
class AppointmentWorld:
    world: World
    other_coach: uuid.UUID


async def appointment_world(sessionmaker: async_sessionmaker[AsyncSession], world: World) -> AppointmentWorld:
    async with unit_of_work(sessionmaker) as uow:
        await uow.session.execute(
            update(CoachAssignment)
            .where(CoachAssignment.id == world.assignment_a)
            .values(signed_record=SIGNED, signed_by=world.staff_a)
        )
        programme = SimpleNamespace(id=world.programme_a, organisation_id=world.organisation_id)
        other = PersonFactory.add(uow.session, organisation_id=world.organisation_id, display_name="Coach Other")
        MembershipFactory.add(uow.session, programme=programme, person_id=other.id, role="coach")
        CoachAssignmentFactory.add(
            uow.session,
            programme=programme,
            participant_id=world.participant_a2,
            coach_id=other.id,
            signed=True,
            signed_by=world.staff_a,
        )
        await flush_in_order(uow.session)
    return AppointmentWorld(world, other.id)


def local_day(days: int) -> date:
    """A day this many days from today in the programme's time zone."""
    return (utcnow().astimezone(ZONE) + timedelta(days=days)).date()


def local(day: date, clock: str) -> datetime:
    hours, minutes = (int(p) for p in clock.split(":"))
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=ZONE)
