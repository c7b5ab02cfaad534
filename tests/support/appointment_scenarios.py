"""Access-log scenarios of the appointments feature (registered in ``access_scenarios``)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from eportfolio.appointments import service as appointments
from eportfolio.appointments.models import AppointmentMove, OwnCreate, SeriesCreate
from eportfolio.appointments.tables import Appointment
from eportfolio.kit.auth import Caller
from eportfolio.kit.clock import utcnow
from eportfolio.kit.uow import UnitOfWork
from eportfolio.programmes.tables import CoachAssignment
from tests.support.access_scenarios import scenario
from tests.support.appointments import local, local_day
from tests.support.factories import SIGNED
from tests.support.world import World

A = "eportfolio.appointments.service."


def _series() -> SeriesCreate:
    return SeriesCreate.model_validate(
        {"first_date": local_day(2), "start": "10:00", "end": "11:00", "weeks": 2, "place": "Buurthuis"}
    )


def _own() -> OwnCreate:
    return OwnCreate.model_validate({"title": "Huisarts", "date": local_day(3), "start": "09:00", "end": "09:30"})


async def _counting(uow: UnitOfWork, caller: Caller, w: World) -> None:
    """Coach A's assignment for Mother A counts (signed by Staff A)."""
    await uow.session.execute(
        update(CoachAssignment)
        .where(CoachAssignment.id == w.assignment_a)
        .values(signed_record=SIGNED, signed_by=w.staff_a)
    )


async def _planned(uow: UnitOfWork, caller: Caller, w: World) -> None:
    """A counting assignment and a planned series (made as the system, by Coach A)."""
    await _counting(uow, caller, w)
    start = local(local_day(2), "10:00")
    uow.session.add(
        Appointment(
            organisation_id=w.organisation_id,
            programme_id=w.programme_a,
            participant_id=w.participant_a,
            coach_id=w.coach_a,
            kind="coach",
            title="",
            place="Buurthuis",
            remote=False,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            sequence=0,
            created_by=w.coach_a,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
    )


async def _first(uow: UnitOfWork) -> Appointment:
    return (await uow.session.execute(select(Appointment))).scalars().first()  # type: ignore[return-value]


@scenario(A + "create_series", lambda w: w.coach_a, setup=_counting)
async def _create_series(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await appointments.create_series(uow, caller, w.programme_a, w.participant_a, _series())


@scenario(A + "create_own", lambda w: w.participant_a)
async def _create_own(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await appointments.create_own(uow, caller, w.programme_a, _own())


@scenario(A + "move", lambda w: w.coach_a, setup=_planned)
async def _move(uow: UnitOfWork, caller: Caller, w: World) -> object:
    row = await _first(uow)
    data = AppointmentMove.model_validate({"date": local_day(4), "start": "12:00", "end": "13:00", "place": "Bieb"})
    return await appointments.move(uow, caller, row.id, data)


@scenario(A + "cancel", lambda w: w.coach_a, setup=_planned)
async def _cancel(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await appointments.cancel(uow, caller, (await _first(uow)).id)


@scenario(A + "get", lambda w: w.participant_a, setup=_planned)
async def _get(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await appointments.get(uow, caller, (await _first(uow)).id)


@scenario(A + "of_participant", lambda w: w.coach_a, setup=_planned)
async def _of_participant(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await appointments.of_participant(uow, caller, w.programme_a, w.participant_a)


@scenario(A + "my_calendar", lambda w: w.participant_a, setup=_planned)
async def _my_calendar(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await appointments.my_calendar(uow, caller)


@scenario(A + "next_appointment", lambda w: w.participant_a, setup=_planned)
async def _next_appointment(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await appointments.next_appointment(uow, caller, w.programme_a)


@scenario(A + "ics_one", lambda w: w.coach_a, setup=_planned)
async def _ics_one(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await appointments.ics_one(uow, caller, (await _first(uow)).id, "nl")


@scenario(A + "ics_upcoming", lambda w: w.participant_a, setup=_planned)
async def _ics_upcoming(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await appointments.ics_upcoming(uow, caller, w.programme_a, w.participant_a, "nl")
