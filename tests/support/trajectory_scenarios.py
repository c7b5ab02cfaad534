"""Access-log scenarios of the trajectory feature (registered in ``access_scenarios``)."""

from __future__ import annotations

from datetime import timedelta

from eportfolio.domain.trajectory import OutcomeCreate, OutcomeKind, Phase, PhaseUpdate
from eportfolio.kit.auth import Caller
from eportfolio.kit.clock import utcnow
from eportfolio.kit.uow import UnitOfWork
from eportfolio.trajectory import service as trajectory
from tests.support.access_scenarios import scenario
from tests.support.world import World

T = "eportfolio.trajectory.service."


@scenario(T + "get_trajectory", lambda w: w.participant_a)
async def _get(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await trajectory.get_trajectory(uow, caller, w.programme_a, w.participant_a)


@scenario(T + "set_phase", lambda w: w.staff_a)
async def _set_phase(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await trajectory.set_phase(
        uow, caller, w.programme_a, w.participant_a, Phase.intake, PhaseUpdate(started_on=utcnow().date())
    )


@scenario(T + "add_outcome", lambda w: w.staff_a)
async def _add_outcome(uow: UnitOfWork, caller: Caller, w: World) -> object:
    data = OutcomeCreate(kind=OutcomeKind.paid_work, occurred_on=utcnow().date() - timedelta(days=1))
    return await trajectory.add_outcome(uow, caller, w.programme_a, w.participant_a, data)


@scenario(T + "overview", lambda w: w.staff_a)
async def _overview(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await trajectory.overview(uow, caller, w.programme_a)
