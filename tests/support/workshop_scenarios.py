"""Access-log scenarios of the workshops feature (registered in ``access_scenarios``)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import update

from eportfolio.kit.auth import Caller
from eportfolio.kit.clock import utcnow
from eportfolio.kit.uow import UnitOfWork
from eportfolio.workshops import service
from eportfolio.workshops.models import AttendanceEntry, AttendanceWrite, EnrolmentCreate, Presence, TrainingCreate
from eportfolio.workshops.tables import TrainingSession
from tests.support.access_scenarios import scenario
from tests.support.workshops import local_today
from tests.support.world import World

W = "eportfolio.workshops.service."


async def _training(uow: UnitOfWork, caller: Caller, w: World, enrolled: bool = True) -> tuple[uuid.UUID, uuid.UUID]:
    """A training of two sessions with mother A enrolled; its first session started an hour ago."""
    created = await service.create_training(
        uow,
        caller,
        w.programme_a,
        TrainingCreate.model_validate(
            {
                "title": "Het begint bij mij",
                "group_id": w.group_a,
                "trainer_id": w.coach_a,
                "place": "Buurtcentrum",
                "first_date": local_today() + timedelta(days=1),
                "start_time": "09:30",
                "count": 2,
            }
        ),
    )
    first = created.sessions[0].id
    await uow.session.execute(
        update(TrainingSession).where(TrainingSession.id == first).values(starts_at=utcnow() - timedelta(hours=1))
    )
    if enrolled:
        await service.enrol(uow, caller, w.programme_a, created.id, EnrolmentCreate(person_id=w.participant_a))
    return created.id, first


@scenario(W + "training_detail", lambda w: w.staff_a)
async def _training_detail(uow: UnitOfWork, caller: Caller, w: World) -> object:
    training, _ = await _training(uow, caller, w)
    return await service.training_detail(uow, caller, w.programme_a, training)


@scenario(W + "enrol", lambda w: w.staff_a)
async def _enrol(uow: UnitOfWork, caller: Caller, w: World) -> object:
    training, _ = await _training(uow, caller, w, enrolled=False)
    return await service.enrol(uow, caller, w.programme_a, training, EnrolmentCreate(person_id=w.participant_a))


@scenario(W + "withdraw", lambda w: w.staff_a)
async def _withdraw(uow: UnitOfWork, caller: Caller, w: World) -> object:
    training, _ = await _training(uow, caller, w)
    return await service.withdraw(uow, caller, w.programme_a, training, w.participant_a)


@scenario(W + "attendance_sheet", lambda w: w.staff_a)
async def _attendance_sheet(uow: UnitOfWork, caller: Caller, w: World) -> object:
    _, session = await _training(uow, caller, w)
    return await service.attendance_sheet(uow, caller, w.programme_a, session)


@scenario(W + "record_attendance", lambda w: w.staff_a)
async def _record_attendance(uow: UnitOfWork, caller: Caller, w: World) -> object:
    _, session = await _training(uow, caller, w)
    entries = [AttendanceEntry(person_id=w.participant_a, status=Presence.present)]
    return await service.record_attendance(uow, caller, w.programme_a, session, AttendanceWrite(entries=entries))
