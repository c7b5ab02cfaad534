"""Access-log scenarios of the caseload feature (registered in ``access_scenarios``)."""

from __future__ import annotations

from eportfolio.caseload import service as caseload
from eportfolio.kit.auth import Caller
from eportfolio.kit.uow import UnitOfWork
from tests.support.access_scenarios import scenario
from tests.support.world import World

C = "eportfolio.caseload.service."


@scenario(C + "caseload", lambda w: w.coach_a)
async def _caseload(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await caseload.caseload(uow, caller)


@scenario(C + "participant_today", lambda w: w.participant_a)
async def _today(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await caseload.participant_today(uow, caller, w.programme_a)
