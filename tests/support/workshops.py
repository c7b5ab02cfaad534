"""Helpers for the workshops tests: more mothers in programme A, a training made through the API,
and time moved on by moving a training's sessions (the server's clock is real)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eportfolio.kit.clock import utcnow
from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.tables import Programme
from eportfolio.workshops.tables import TrainingSession
from tests.support.client import Browser
from tests.support.factories import MembershipFactory, PersonFactory, flush_in_order
from tests.support.world import World

ZONE = ZoneInfo("Europe/Amsterdam")


def local_today() -> date:
    return utcnow().astimezone(ZONE).date()


def trainings_url(world: World, programme: uuid.UUID | None = None) -> str:
    return f"/api/v1/workshops/programmes/{programme or world.programme_a}/trainings"


async def add_people(
    sessionmaker: async_sessionmaker[AsyncSession],
    world: World,
    names: list[str],
    role: str = "participant",
    language: str = "nl",
) -> list[uuid.UUID]:
    """People of programme A in this role (mothers, unless told)."""
    async with unit_of_work(sessionmaker) as uow:
        programme = (await uow.session.execute(select(Programme).where(Programme.id == world.programme_a))).scalar_one()
        people = [
            PersonFactory.add(uow.session, organisation_id=world.organisation_id, display_name=n, language=language)
            for n in names
        ]
        for person in people:
            MembershipFactory.add(uow.session, programme=programme, person_id=person.id, role=role)
        await flush_in_order(uow.session)
        return [p.id for p in people]


def series(world: World, **extra: Any) -> dict[str, Any]:
    """Ten weekly sessions of 150 minutes from tomorrow at 09:30 for group A, trained by coach A."""
    return {
        "title": "Het begint bij mij",
        "group_id": str(world.group_a),
        "trainer_id": str(world.coach_a),
        "place": "Buurtcentrum De Brug",
        "first_date": (local_today() + timedelta(days=1)).isoformat(),
        "start_time": "09:30",
        "duration_minutes": 150,
        "count": 10,
        **extra,
    }


async def make_training(browser: Browser, world: World, **extra: Any) -> dict[str, Any]:
    """Staff A makes a training (logged in as staff A afterwards)."""
    await browser.log_in_as(world.staff_a)
    response = await browser.api("POST", trainings_url(world), json=series(world, **extra))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def enrol(browser: Browser, world: World, training_id: str, person: uuid.UUID) -> dict[str, Any]:
    await browser.log_in_as(world.staff_a)
    response = await browser.api(
        "POST", f"{trainings_url(world)}/{training_id}/enrolments", json={"person_id": str(person)}
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def move_session(sessionmaker: async_sessionmaker[AsyncSession], session_id: str, starts_at: datetime) -> None:
    """Time passes: this session starts (or started) at ``starts_at``."""
    async with unit_of_work(sessionmaker) as uow:
        await uow.session.execute(
            update(TrainingSession).where(TrainingSession.id == uuid.UUID(session_id)).values(starts_at=starts_at)
        )


def an_hour_ago() -> datetime:
    return utcnow() - timedelta(hours=1)
