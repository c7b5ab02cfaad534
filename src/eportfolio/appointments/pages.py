"""Pages of the appointments feature: her calendar on her phone (a list grouped by day), her own
appointment form, a coach's view of a participant's appointments with the weekly series form, one
appointment with move and cancel, and the iCalendar downloads. All work without JavaScript."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from babel.dates import format_skeleton
from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel

from eportfolio.appointments import service
from eportfolio.appointments.models import AppointmentMove, AppointmentRead, OwnCreate, SeriesCreate
from eportfolio.domain.people import Role
from eportfolio.kit import dates
from eportfolio.kit.auth import Caller, CallerDep
from eportfolio.kit.errors import N_, DomainError
from eportfolio.kit.forms import form_error, parse, read_form
from eportfolio.kit.uow import UnitOfWork, UowDep
from eportfolio.kit.web import page_router, redirect, render, request_language, translate
from eportfolio.programmes import service as programmes

router = page_router()

M = TypeVar("M", bound=BaseModel)

THIS_WEEK = N_("This week")
NEXT_WEEK = N_("Next week")
WEEK_OF = N_("Week of %(date)s")


def _locale(request: Request) -> str:
    return dates.BABEL_LOCALES.get(request_language(request), dates.BABEL_LOCALES["nl"])


def _clock(request: Request, moment: datetime, zone: str) -> str:
    return str(format_skeleton("Hm", moment.astimezone(dates.zone(zone)), locale=_locale(request)))


def _day_label(request: Request, day: date) -> str:
    return str(format_skeleton("MMMMEEEEd", day, locale=_locale(request)))


def _row(request: Request, a: AppointmentRead) -> dict[str, Any]:
    return {
        "a": a,
        "start": _clock(request, a.starts_at, a.time_zone),
        "end": _clock(request, a.ends_at, a.time_zone),
        "local_day": a.starts_at.astimezone(dates.zone(a.time_zone)).date(),
    }


def calendar_days(request: Request, appointments: list[AppointmentRead], today: date) -> list[dict[str, Any]]:
    """Weeks (from this one) of the days that have appointments, each day with its rows in order;
    today is always there (marked), also when nothing is planned."""
    monday = today - timedelta(days=today.weekday())
    weeks: dict[int, dict[str, Any]] = {}
    rows = [_row(request, a) for a in appointments]
    for row in [{"local_day": today, "a": None}, *rows]:
        day: date = row["local_day"]
        number = (day - monday).days // 7
        if number not in weeks:
            start = monday + timedelta(weeks=number)
            label = (
                translate(request, THIS_WEEK)
                if number == 0
                else translate(request, NEXT_WEEK)
                if number == 1
                else translate(request, WEEK_OF, date=dates.format_day(start, request_language(request)))
            )
            weeks[number] = {"label": label, "days": {}}
        days = weeks[number]["days"]
        entry = days.setdefault(
            day,
            {
                "iso": day.isoformat(),
                "label": _day_label(request, day),
                "today": day == today,
                "past": day < today,
                "rows": [],
            },
        )
        if row["a"] is not None:
            entry["rows"].append(row)
    return [{"label": w["label"], "days": [w["days"][d] for d in sorted(w["days"])]} for _, w in sorted(weeks.items())]


# Forms -------------------------------------------------------------------------------------


async def _submit(
    request: Request,
    uow: UnitOfWork,
    model: type[M],
    values: dict[str, Any],
    act: Callable[[M], Awaitable[str]],
    show: Callable[[dict[str, str], int], Awaitable[Response]],
) -> Response:
    """One form post: check, act and go on; or the form again with what she typed, the problem in
    words and the refusal's own status (422 for what she typed, 403 or 404 for who may). A refusal
    rolls back whatever was written before it: a series is stored whole or not at all."""
    data, errors = parse(request, model, values)
    if data is None:
        return await show(errors, 422)
    try:
        return redirect(await act(data))
    except DomainError as exc:
        await uow.session.rollback()
        uow.take_events()
        return await show(form_error(request, exc), exc.status_code)


# Her calendar ------------------------------------------------------------------------------


@router.get("/appointments")
async def calendar(request: Request, uow: UowDep, caller: CallerDep) -> Response:
    """Her calendar (and, for a coach, his meetings with the participants he coaches)."""
    sections = []
    for found in await service.my_calendar(uow, caller):
        sections.append({"cal": found, "weeks": calendar_days(request, found.appointments, found.today)})
    return render(request, "appointments/calendar.html", {"sections": sections})


async def _own_page(
    request: Request,
    uow: UnitOfWork,
    caller: Caller,
    programme_id: uuid.UUID,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    access = await programmes.authorize(uow, caller, programme_id, {Role.participant})
    return render(
        request,
        "appointments/own_form.html",
        {
            "programme": programmes.programme_read(access.programme),
            "values": values or {},
            "errors": errors or {},
            "today": programmes.programme_today(access.programme).isoformat(),
        },
        status_code=status,
    )


@router.get("/appointments/programmes/{programme_id}/new")
async def own_form(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    return await _own_page(request, uow, caller, programme_id)


@router.post("/appointments/programmes/{programme_id}/new")
async def own_create(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    values = await read_form(request)

    async def act(data: OwnCreate) -> str:
        made = await service.create_own(uow, caller, programme_id, data)
        return f"/appointments?added={made.id}#day-{made.starts_at.astimezone(dates.zone(made.time_zone)).date()}"

    async def show(errors: dict[str, str], status: int) -> Response:
        return await _own_page(request, uow, caller, programme_id, values, errors, status)

    return await _submit(request, uow, OwnCreate, values, act, show)


# A coach's view of one participant ---------------------------------------------------------


def _participant_url(programme_id: uuid.UUID, participant_id: uuid.UUID) -> str:
    return f"/appointments/programmes/{programme_id}/participants/{participant_id}"


@router.get("/appointments/programmes/{programme_id}/participants/{participant_id}")
async def participant_calendar(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, participant_id: uuid.UUID
) -> Response:
    found = await service.of_participant(uow, caller, programme_id, participant_id)
    access = await programmes.authorize(uow, caller, programme_id, {Role.participant, Role.coach})
    names = await programmes.display_names(uow, caller, programme_id, [participant_id])
    today = programmes.programme_today(access.programme)
    return render(
        request,
        "appointments/participant.html",
        {
            "programme": programmes.programme_read(access.programme),
            "participant_id": participant_id,
            "name": names.get(participant_id, ""),
            "weeks": calendar_days(request, found, today),
            "has_any": bool(found),
            "mine": participant_id == caller.person_id,
        },
    )


@router.get("/appointments/programmes/{programme_id}/participants/{participant_id}/calendar.ics")
async def participant_ics(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, participant_id: uuid.UUID
) -> Response:
    body = await service.ics_upcoming(uow, caller, programme_id, participant_id, request_language(request))
    return ics_response(body, "afspraken.ics")


async def _series_page(
    request: Request,
    uow: UnitOfWork,
    caller: Caller,
    programme_id: uuid.UUID,
    participant_id: uuid.UUID,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    access = await programmes.authorize(uow, caller, programme_id, {Role.coach})
    names = await programmes.display_names(uow, caller, programme_id, [participant_id])
    return render(
        request,
        "appointments/series_form.html",
        {
            "programme": programmes.programme_read(access.programme),
            "participant_id": participant_id,
            "name": names.get(participant_id, ""),
            "values": values or {"weeks": "12", "duration": ""},
            "errors": errors or {},
            "today": programmes.programme_today(access.programme).isoformat(),
        },
        status_code=status,
    )


@router.get("/appointments/programmes/{programme_id}/participants/{participant_id}/series")
async def series_form(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, participant_id: uuid.UUID
) -> Response:
    return await _series_page(request, uow, caller, programme_id, participant_id)


@router.post("/appointments/programmes/{programme_id}/participants/{participant_id}/series")
async def series_create(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, participant_id: uuid.UUID
) -> Response:
    values = await read_form(request)

    async def act(data: SeriesCreate) -> str:
        made = await service.create_series(uow, caller, programme_id, participant_id, data)
        return f"{_participant_url(programme_id, participant_id)}?planned={len(made)}"

    async def show(errors: dict[str, str], status: int) -> Response:
        return await _series_page(request, uow, caller, programme_id, participant_id, values, errors, status)

    return await _submit(request, uow, SeriesCreate, values, act, show)


# One appointment ---------------------------------------------------------------------------


def ics_response(body: bytes, filename: str) -> Response:
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@router.get("/appointments/{appointment_id}.ics")
async def appointment_ics(request: Request, uow: UowDep, caller: CallerDep, appointment_id: uuid.UUID) -> Response:
    return ics_response(await service.ics_one(uow, caller, appointment_id, request_language(request)), "afspraak.ics")


@router.get("/appointments/{appointment_id}")
async def appointment_page(request: Request, uow: UowDep, caller: CallerDep, appointment_id: uuid.UUID) -> Response:
    a = await service.get(uow, caller, appointment_id)
    back = (
        "/appointments" if a.participant_id == caller.person_id else _participant_url(a.programme_id, a.participant_id)
    )
    return render(
        request,
        "appointments/appointment.html",
        {
            "row": _row(request, a),
            "back": back,
            "time_zone": a.time_zone,
            "day": _day_label(request, _row(request, a)["local_day"]),
        },
    )


async def _move_page(
    request: Request,
    uow: UnitOfWork,
    caller: Caller,
    appointment_id: uuid.UUID,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    a = await service.get(uow, caller, appointment_id)
    row = _row(request, a)
    if values is None:
        values = {
            "date": row["local_day"].isoformat(),
            "start": row["start"],
            "end": row["end"],
            "place": a.place,
            "remote": "true" if a.remote else "",
        }
    return render(
        request,
        "appointments/move_form.html",
        {"row": row, "values": values, "errors": errors or {}, "time_zone": a.time_zone},
        status_code=status,
    )


@router.get("/appointments/{appointment_id}/move")
async def move_form(request: Request, uow: UowDep, caller: CallerDep, appointment_id: uuid.UUID) -> Response:
    return await _move_page(request, uow, caller, appointment_id)


@router.post("/appointments/{appointment_id}/move")
async def move(request: Request, uow: UowDep, caller: CallerDep, appointment_id: uuid.UUID) -> Response:
    values = await read_form(request)

    async def act(data: AppointmentMove) -> str:
        await service.move(uow, caller, appointment_id, data)
        return f"/appointments/{appointment_id}?moved=1"

    async def show(errors: dict[str, str], status: int) -> Response:
        return await _move_page(request, uow, caller, appointment_id, values, errors, status)

    return await _submit(request, uow, AppointmentMove, values, act, show)


@router.post("/appointments/{appointment_id}/cancel")
async def cancel(request: Request, uow: UowDep, caller: CallerDep, appointment_id: uuid.UUID) -> Response:
    await service.cancel(uow, caller, appointment_id)
    return redirect(f"/appointments/{appointment_id}?cancelled=1")
