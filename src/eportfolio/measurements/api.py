"""JSON routes of the measurements feature under /api/v1/measurements: the instruments a programme
measures with, and staff adding an instrument or a new version of one."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Path

from eportfolio.domain.measurements import (
    MAX_VERSION,
    InstrumentDefinition,
    InstrumentVersionRead,
    InstrumentVersionSummary,
)
from eportfolio.kit.auth import CallerDep
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import api_router
from eportfolio.measurements import service

router = api_router("/measurements", "measurements")

P = "/programmes/{programme_id}"


@router.get(P + "/instruments")
async def list_instruments(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> list[InstrumentVersionSummary]:
    return await service.list_instruments(uow, caller, programme_id)


@router.post(P + "/instruments", status_code=201)
async def add_instrument_version(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, definition: InstrumentDefinition
) -> InstrumentVersionRead:
    return await service.add_version(uow, caller, programme_id, definition)


@router.get(P + "/instruments/{key}/versions/{version}")
async def get_instrument(
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    key: Annotated[str, Path(max_length=63)],
    version: Annotated[int, Path(ge=1, le=MAX_VERSION)],
) -> InstrumentVersionRead:
    return await service.get_instrument(uow, caller, programme_id, key, version)
