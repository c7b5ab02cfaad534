"""JSON routes of the appointments feature under /api/v1/appointments, mirroring the pages."""

from __future__ import annotations

import uuid

from fastapi import Request
from fastapi.responses import Response

from eportfolio.appointments import service
from eportfolio.appointments.models import AppointmentMove, AppointmentRead, OwnCreate, SeriesCreate
from eportfolio.appointments.pages import ics_response
from eportfolio.kit.auth import CallerDep
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import api_router, request_language

router = api_router("/appointments", "appointments")


@router.get("")
async def my_calendar(uow: UowDep, caller: CallerDep) -> list[service.ProgrammeCalendar]:
    """Her calendar per programme (and a coach's meetings), from the start of this week."""
    return await service.my_calendar(uow, caller)


@router.get("/programmes/{programme_id}/participants/{participant_id}")
async def of_participant(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, participant_id: uuid.UUID
) -> list[AppointmentRead]:
    return await service.of_participant(uow, caller, programme_id, participant_id)


@router.post("/programmes/{programme_id}/participants/{participant_id}/series", status_code=201)
async def create_series(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, participant_id: uuid.UUID, data: SeriesCreate
) -> list[AppointmentRead]:
    return await service.create_series(uow, caller, programme_id, participant_id, data)


@router.post("/programmes/{programme_id}/own", status_code=201)
async def create_own(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, data: OwnCreate) -> AppointmentRead:
    return await service.create_own(uow, caller, programme_id, data)


@router.get("/programmes/{programme_id}/participants/{participant_id}/calendar.ics")
async def participant_ics(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, participant_id: uuid.UUID
) -> Response:
    body = await service.ics_upcoming(uow, caller, programme_id, participant_id, request_language(request))
    return ics_response(body, "afspraken.ics")


@router.get("/{appointment_id}.ics")
async def appointment_ics(request: Request, uow: UowDep, caller: CallerDep, appointment_id: uuid.UUID) -> Response:
    return ics_response(await service.ics_one(uow, caller, appointment_id, request_language(request)), "afspraak.ics")


@router.get("/{appointment_id}")
async def get(uow: UowDep, caller: CallerDep, appointment_id: uuid.UUID) -> AppointmentRead:
    return await service.get(uow, caller, appointment_id)


@router.patch("/{appointment_id}")
async def move(uow: UowDep, caller: CallerDep, appointment_id: uuid.UUID, data: AppointmentMove) -> AppointmentRead:
    return await service.move(uow, caller, appointment_id, data)


@router.post("/{appointment_id}/cancel")
async def cancel(uow: UowDep, caller: CallerDep, appointment_id: uuid.UUID) -> AppointmentRead:
    return await service.cancel(uow, caller, appointment_id)
