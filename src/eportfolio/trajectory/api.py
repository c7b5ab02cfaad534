"""JSON routes of the trajectory feature under /api/v1/trajectory, mirroring its pages: her own
trajectories, one participant's trajectory with its phase dates and outcomes, and the staff
overview of a programme."""

from __future__ import annotations

import uuid

from eportfolio.domain.trajectory import (
    OutcomeCreate,
    OutcomeRead,
    Phase,
    PhaseUpdate,
    TrajectoryOverview,
    TrajectoryRead,
)
from eportfolio.kit.auth import CallerDep
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import api_router
from eportfolio.trajectory import service

router = api_router("/trajectory", "trajectory")

P = "/programmes/{programme_id}"
HER = P + "/participants/{participant_id}"


@router.get("/mine")
async def mine(uow: UowDep, caller: CallerDep) -> list[TrajectoryRead]:
    return [read for _, _, read in await service.my_trajectories(uow, caller)]


@router.get(HER)
async def get_trajectory(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, participant_id: uuid.UUID
) -> TrajectoryRead:
    return await service.get_trajectory(uow, caller, programme_id, participant_id)


@router.patch(HER + "/phases/{phase}")
async def set_phase(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, participant_id: uuid.UUID, phase: Phase, data: PhaseUpdate
) -> TrajectoryRead:
    return await service.set_phase(uow, caller, programme_id, participant_id, phase, data)


@router.post(HER + "/outcomes", status_code=201)
async def add_outcome(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, participant_id: uuid.UUID, data: OutcomeCreate
) -> OutcomeRead:
    return await service.add_outcome(uow, caller, programme_id, participant_id, data)


@router.get(P + "/overview")
async def overview(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> TrajectoryOverview:
    return await service.overview(uow, caller, programme_id)
