"""JSON routes of the workshops feature under /api/v1/workshops, mirroring its pages."""

from __future__ import annotations

import uuid

from pydantic import BaseModel

from eportfolio.kit.auth import CallerDep
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import api_router
from eportfolio.workshops import service
from eportfolio.workshops.models import (
    AttendanceSheet,
    AttendanceWrite,
    EnrolmentCreate,
    EnrolmentRead,
    EvaluationCreate,
    EvaluationSummary,
    MyTraining,
    SessionRead,
    SessionUpdate,
    TrainerSession,
    TrainingCreate,
    TrainingDetail,
    TrainingRead,
    TrainingUpdate,
)

router = api_router("/workshops", "workshops")


class Promoted(BaseModel):
    """Who got a place from the waiting list when someone withdrew."""

    promoted: list[uuid.UUID]


class Recorded(BaseModel):
    recorded: int


class MakeUp(BaseModel):
    assignment_id: uuid.UUID


class Evaluations(BaseModel):
    training: TrainingRead
    rounds: list[EvaluationSummary]


P = "/programmes/{programme_id}"


@router.get(P + "/trainings")
async def list_trainings(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> list[TrainingRead]:
    return await service.list_trainings(uow, caller, programme_id)


@router.post(P + "/trainings", status_code=201)
async def create_training(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, data: TrainingCreate
) -> TrainingRead:
    return await service.create_training(uow, caller, programme_id, data)


@router.get(P + "/trainings/{training_id}")
async def training(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, training_id: uuid.UUID) -> TrainingDetail:
    return await service.training_detail(uow, caller, programme_id, training_id)


@router.patch(P + "/trainings/{training_id}")
async def update_training(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, training_id: uuid.UUID, data: TrainingUpdate
) -> TrainingRead:
    return await service.update_training(uow, caller, programme_id, training_id, data)


@router.patch(P + "/sessions/{session_id}")
async def update_session(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, session_id: uuid.UUID, data: SessionUpdate
) -> SessionRead:
    return await service.update_session(uow, caller, programme_id, session_id, data)


@router.post(P + "/sessions/{session_id}/cancel")
async def cancel_session(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, session_id: uuid.UUID) -> SessionRead:
    return await service.cancel_session(uow, caller, programme_id, session_id)


@router.post(P + "/trainings/{training_id}/enrolments", status_code=201)
async def enrol(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, training_id: uuid.UUID, data: EnrolmentCreate
) -> EnrolmentRead:
    return await service.enrol(uow, caller, programme_id, training_id, data)


@router.delete(P + "/trainings/{training_id}/enrolments/{person_id}")
async def withdraw(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, training_id: uuid.UUID, person_id: uuid.UUID
) -> Promoted:
    return Promoted(promoted=await service.withdraw(uow, caller, programme_id, training_id, person_id))


@router.get(P + "/mine")
async def mine(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> list[MyTraining]:
    return await service.my_trainings(uow, caller, programme_id)


@router.get("/trainer/sessions")
async def trainer_sessions(uow: UowDep, caller: CallerDep) -> list[TrainerSession]:
    return await service.trainer_sessions(uow, caller)


@router.get(P + "/sessions/{session_id}/attendance")
async def attendance(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, session_id: uuid.UUID) -> AttendanceSheet:
    return await service.attendance_sheet(uow, caller, programme_id, session_id)


@router.put(P + "/sessions/{session_id}/attendance")
async def record_attendance(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, session_id: uuid.UUID, data: AttendanceWrite
) -> Recorded:
    return Recorded(recorded=await service.record_attendance(uow, caller, programme_id, session_id, data))


@router.post(P + "/sessions/{session_id}/attendance/{person_id}/makeup", status_code=201)
async def give_makeup(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, session_id: uuid.UUID, person_id: uuid.UUID
) -> MakeUp:
    return MakeUp(assignment_id=await service.give_makeup(uow, caller, programme_id, session_id, person_id))


@router.post(P + "/trainings/{training_id}/evaluations", status_code=201)
async def evaluate(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, training_id: uuid.UUID, data: EvaluationCreate
) -> dict[str, bool]:
    await service.evaluate(uow, caller, programme_id, training_id, data)
    return {"saved": True}


@router.get(P + "/trainings/{training_id}/evaluations")
async def evaluations(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, training_id: uuid.UUID) -> Evaluations:
    training, rounds = await service.evaluation_summary(uow, caller, programme_id, training_id)
    return Evaluations(training=training, rounds=rounds)
