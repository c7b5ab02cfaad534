"""JSON routes of the measurements feature under /api/v1/measurements: the instruments a programme
measures with, staff adding an instrument or a new version of one, her measurements with their
sealed sides, her consent to report scores and the scores reported under it."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Path

from eportfolio.domain.measurements import (
    MAX_VERSION,
    InstrumentDefinition,
    InstrumentVersionRead,
    InstrumentVersionSummary,
    MeasurementCreate,
    MeasurementRead,
    ReportedScoresWrite,
    ReportedTotal,
    ScoreConsentRead,
    ScoreConsentWithdraw,
    ScoreConsentWrite,
)
from eportfolio.domain.modules import EnvelopeWrite
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


# Measurements ------------------------------------------------------------------------------------


@router.get(P + "/participants/{participant_id}/measurements")
async def list_measurements(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, participant_id: uuid.UUID
) -> list[MeasurementRead]:
    return await service.list_measurements(uow, caller, programme_id, participant_id)


@router.post(P + "/participants/{participant_id}/measurements", status_code=201)
async def open_measurement(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, participant_id: uuid.UUID, data: MeasurementCreate
) -> MeasurementRead:
    return await service.open_measurement(uow, caller, programme_id, participant_id, data)


@router.get(P + "/measurements/{measurement_id}")
async def get_measurement(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, measurement_id: uuid.UUID
) -> MeasurementRead:
    read, _definition, _role = await service.get_measurement(uow, caller, programme_id, measurement_id)
    return read


@router.post(P + "/measurements/{measurement_id}/sides", status_code=201)
async def submit_side(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, measurement_id: uuid.UUID, data: EnvelopeWrite
) -> MeasurementRead:
    return await service.submit_side(uow, caller, programme_id, measurement_id, data)


@router.post(P + "/measurements/{measurement_id}/reported")
async def report_scores(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, measurement_id: uuid.UUID, data: ReportedScoresWrite
) -> MeasurementRead:
    return await service.report_scores(uow, caller, programme_id, measurement_id, data)


@router.get(P + "/score-consent")
async def get_consent(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> ScoreConsentRead:
    return await service.get_consent(uow, caller, programme_id)


@router.post(P + "/score-consent")
async def give_consent(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, data: ScoreConsentWrite
) -> ScoreConsentRead:
    return await service.give_consent(uow, caller, programme_id, data)


@router.delete(P + "/score-consent")
async def withdraw_consent(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, data: ScoreConsentWithdraw
) -> ScoreConsentRead:
    return await service.withdraw_consent(uow, caller, programme_id, data)


@router.get(P + "/reported-scores")
async def reported_totals(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> list[ReportedTotal]:
    return await service.reported_totals(uow, caller, programme_id)
