"""Access-log scenarios of the intake feature: opening, accepting and declining an application."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from eportfolio.intake import service as intake
from eportfolio.intake.tables import Application
from eportfolio.kit.auth import Caller
from eportfolio.kit.uow import UnitOfWork
from tests.support.access_scenarios import scenario
from tests.support.intake import plain_application
from tests.support.world import World

INTAKE = "eportfolio.intake.service."


async def _one_application(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await plain_application(uow, w)


async def _the_application(uow: UnitOfWork) -> uuid.UUID:
    return (await uow.session.execute(select(Application.id))).scalar_one()


@scenario(INTAKE + "open_application", lambda w: w.staff_a, setup=_one_application)
async def _open(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await intake.open_application(uow, caller, w.programme_a, await _the_application(uow))


@scenario(INTAKE + "accept", lambda w: w.staff_a, setup=_one_application)
async def _accept(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await intake.accept(uow, caller, w.programme_a, await _the_application(uow))


@scenario(INTAKE + "decline", lambda w: w.staff_a, setup=_one_application)
async def _decline(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await intake.decline(uow, caller, w.programme_a, await _the_application(uow), intake.Decline(reason="Vol."))
