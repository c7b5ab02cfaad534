"""Pages of the workshops feature.

- ``/trainings`` (the menu's "Trainings", and a button on the home page): for her, the trainings
  open to her, her sessions and what she may evaluate; for a trainer, his sessions of today and
  the coming days with the attendance list; for staff, the way to the programme's trainings.
- ``/manage/programmes/{id}/trainings`` (the programme's menu): staff make a training as a series,
  change one session, enrol someone and see the waiting list.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from eportfolio.domain.people import MANAGING_ROLES, Role
from eportfolio.domain.programmes import LanguageLevel
from eportfolio.kit import i18n
from eportfolio.kit.auth import CallerDep
from eportfolio.kit.clock import utcnow
from eportfolio.kit.dates import zone
from eportfolio.kit.errors import N_, DomainError
from eportfolio.kit.forms import FORM_REFUSALS, form_error, parse, read_form, submit_form
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import page_router, redirect, render, request_language, translate
from eportfolio.programmes import service as programmes
from eportfolio.workshops import service
from eportfolio.workshops.models import (
    END,
    MIN_ANSWERS,
    MISSED,
    AbsenceReason,
    AttendanceEntry,
    AttendanceWrite,
    EnrolmentCreate,
    EvaluationCreate,
    Presence,
    SessionUpdate,
    TrainingCreate,
)

router = page_router()

PRESENCE_LABELS = {
    Presence.present: N_("Present"),
    Presence.late: N_("Late"),
    Presence.excused: N_("Excused"),
    Presence.absent: N_("Absent"),
}
REASON_LABELS = {
    AbsenceReason.ill: N_("Ill"),
    AbsenceReason.sick_child: N_("Sick child"),
    AbsenceReason.course: N_("Clashing course"),
    AbsenceReason.other: N_("Other reason"),
}
STATUS_LABELS = {"enrolled": N_("You are enrolled"), "waiting": N_("On the waiting list")}
# Shown to the trainer and staff instead of an average from too few answers.
TOO_FEW = N_("Too few answers to show (at least %(num)s are needed).")


def _labels(request: Request, labels: dict[Any, str]) -> list[tuple[str, str]]:
    return [(str(getattr(key, "value", key)), translate(request, label)) for key, label in labels.items()]


# The hub: her trainings, his sessions ---------------------------------------------------------------


@router.get("/trainings")
async def trainings(request: Request, uow: UowDep, caller: CallerDep) -> Response:
    await programmes.load_roles(uow, caller)
    assert caller.roles_by_programme is not None
    sections: list[dict[str, Any]] = []
    for programme in await programmes.list_programmes(uow, caller):
        roles = caller.roles_by_programme.get(programme.id, frozenset())
        managing = bool({r.value for r in MANAGING_ROLES} & roles) or caller.is_org_admin
        mine = await service.my_trainings(uow, caller, programme.id) if Role.participant.value in roles else None
        if mine is None and not managing:
            continue  # a trainer's sessions are listed above, across programmes
        sections.append({"programme": programme, "mine": mine, "managing": managing})
    sessions = await service.trainer_sessions(uow, caller)
    zones = {p.id: p.time_zone for p in await programmes.list_programmes(uow, caller)}
    today = utcnow()
    return render(
        request,
        "workshops/trainings.html",
        {
            "sections": sections,
            "sessions": sessions,
            "zones": zones,
            "today": today,
            "status_labels": STATUS_LABELS,
            "END": END,
            "notice": request.query_params.get("done", ""),
        },
    )


@router.post("/trainings/programmes/{programme_id}/{training_id}/enrol")
async def enrol_self(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, training_id: uuid.UUID
) -> Response:
    read = await service.enrol(uow, caller, programme_id, training_id, EnrolmentCreate())
    return redirect(f"/trainings?done={read.status.value}#training-{training_id}")


@router.post("/trainings/programmes/{programme_id}/{training_id}/withdraw")
async def withdraw_self(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, training_id: uuid.UUID
) -> Response:
    await service.withdraw(uow, caller, programme_id, training_id, caller.person_id)
    return redirect("/trainings?done=withdrawn")


async def _evaluation_page(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    training_id: uuid.UUID,
    round_: str,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    training, session = await service.evaluation_round(uow, caller, programme_id, training_id, round_)
    programme = await programmes.get_programme(uow, caller, programme_id)
    return render(
        request,
        "workshops/evaluate.html",
        {
            "programme": programme,
            "training": training,
            "session": session,
            "round": round_,
            "values": values or {},
            "errors": errors or {},
        },
        status_code=422 if errors else 200,
    )


@router.get("/trainings/programmes/{programme_id}/{training_id}/evaluate/{round_}")
async def evaluation_form(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, training_id: uuid.UUID, round_: str
) -> Response:
    return await _evaluation_page(request, uow, caller, programme_id, training_id, round_)


@router.post("/trainings/programmes/{programme_id}/{training_id}/evaluate/{round_}")
async def evaluate(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, training_id: uuid.UUID, round_: str
) -> Response:
    values = await read_form(request)
    fields = {"round": round_, "grade": values.get("grade", ""), "comment": values.get("comment", "")}

    async def act(data: EvaluationCreate) -> str:
        await service.evaluate(uow, caller, programme_id, training_id, data)
        return "/trainings?done=evaluated"

    async def show(errors: dict[str, str]) -> Response:
        return await _evaluation_page(request, uow, caller, programme_id, training_id, round_, values, errors)

    return await submit_form(request, uow, EvaluationCreate, fields, act, show, shown={403, 409, 422})


@router.get("/trainings/programmes/{programme_id}/{training_id}/evaluations")
async def evaluations(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, training_id: uuid.UUID
) -> Response:
    training, summaries = await service.evaluation_summary(uow, caller, programme_id, training_id)
    programme = await programmes.get_programme(uow, caller, programme_id)
    return render(
        request,
        "workshops/evaluations.html",
        {"programme": programme, "training": training, "summaries": summaries, "min_answers": MIN_ANSWERS},
    )


# Attendance in the room -------------------------------------------------------------------------------


async def _attendance_page(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    session_id: uuid.UUID,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    sheet = await service.attendance_sheet(uow, caller, programme_id, session_id)
    programme = await programmes.get_programme(uow, caller, programme_id)
    return render(
        request,
        "workshops/attendance.html",
        {
            "programme": programme,
            "sheet": sheet,
            "presences": _labels(request, PRESENCE_LABELS),
            "reasons": [("", "—"), *_labels(request, REASON_LABELS)],
            "reason_labels": REASON_LABELS,
            "missed": {m.value for m in MISSED},
            "values": values or {},
            "errors": errors or {},
            "saved": request.query_params.get("saved", ""),
        },
        status_code=422 if errors else 200,
    )


@router.get("/trainings/programmes/{programme_id}/sessions/{session_id}/attendance")
async def attendance(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, session_id: uuid.UUID
) -> Response:
    return await _attendance_page(request, uow, caller, programme_id, session_id)


@router.post("/trainings/programmes/{programme_id}/sessions/{session_id}/attendance")
async def record_attendance(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, session_id: uuid.UUID
) -> Response:
    values = await read_form(request)
    entries: list[AttendanceEntry] = []
    errors: dict[str, str] = {}
    for key, value in values.items():
        if not key.startswith("status-") or not value:
            continue
        person = key.removeprefix("status-")
        data, problems = parse(
            request,
            AttendanceEntry,
            {"person_id": person, "status": value, "reason": values.get(f"reason-{person}", "")},
        )
        if data is None:
            errors[f"reason-{person}"] = next(iter(problems.values()))
        else:
            entries.append(data)
    if not entries and not errors:
        errors["__all__"] = translate(request, N_("Choose for at least one person whether she came."))
    if not errors:
        try:
            count = await service.record_attendance(
                uow, caller, programme_id, session_id, AttendanceWrite(entries=entries)
            )
            return redirect(f"/trainings/programmes/{programme_id}/sessions/{session_id}/attendance?saved={count}")
        except DomainError as exc:
            if exc.status_code not in FORM_REFUSALS:
                raise
            await uow.session.rollback()
            uow.take_events()
            errors = {"__all__": translate(request, exc.message, **exc.params)}
    return await _attendance_page(request, uow, caller, programme_id, session_id, values, errors)


@router.post("/trainings/programmes/{programme_id}/sessions/{session_id}/attendance/{person_id}/makeup")
async def give_makeup(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    session_id: uuid.UUID,
    person_id: uuid.UUID,
) -> Response:
    try:
        await service.give_makeup(uow, caller, programme_id, session_id, person_id)
    except DomainError as exc:
        if exc.status_code not in {403, 409, 422}:
            raise
        await uow.session.rollback()
        uow.take_events()
        refused = {"__all__": translate(request, exc.message, **exc.params), "makeup_for": str(person_id)}
        return await _attendance_page(request, uow, caller, programme_id, session_id, errors=refused)
    return redirect(f"/trainings/programmes/{programme_id}/sessions/{session_id}/attendance?saved=makeup")


# Staff: the programme's trainings ---------------------------------------------------------------------


@router.get("/manage/programmes/{programme_id}/trainings")
async def manage_trainings(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    rows = await service.list_trainings(uow, caller, programme_id)
    return render(
        request,
        "workshops/manage_list.html",
        {"programme": programmes.programme_read(access.programme), "trainings": rows},
    )


async def _new_page(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    groups = await programmes.list_groups(uow, caller, programme_id)
    trainers = await service.trainer_choices(uow, caller, programme_id)
    modules = await service.module_choices(uow, caller, programme_id)
    tomorrow = utcnow().astimezone(zone(access.programme.time_zone)).date().isoformat()
    defaults = {
        "count": "10",
        "every_days": "7",
        "duration_minutes": "150",
        "start_time": "09:30",
        "first_date": tomorrow,
    }
    return render(
        request,
        "workshops/manage_new.html",
        {
            "programme": programmes.programme_read(access.programme),
            "groups": [("", "—"), *((str(g.id), g.name) for g in groups)],
            "trainers": [("", "—"), *((str(p), name) for p, name in trainers)],
            "modules": [("", "—"), *((str(m), title) for m, title in modules)],
            "levels": [("", translate(request, N_("As the group")))]
            + [(level.value, i18n.level_label(level.value, request_language(request))) for level in LanguageLevel],
            "values": {**defaults, **(values or {})},
            "errors": errors or {},
        },
        status_code=422 if errors else 200,
    )


@router.get("/manage/programmes/{programme_id}/trainings/new")
async def new_training(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    return await _new_page(request, uow, caller, programme_id)


@router.post("/manage/programmes/{programme_id}/trainings/new")
async def create_training(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    values = await read_form(request)
    fields = {k: values.get(k, "") for k in TrainingCreate.model_fields if k != "open_for_enrolment"}
    fields["open_for_enrolment"] = "true" if values.get("open_for_enrolment") else "false"

    async def act(data: TrainingCreate) -> str:
        created = await service.create_training(uow, caller, programme_id, data)
        return f"/manage/programmes/{programme_id}/trainings/{created.id}"

    async def show(errors: dict[str, str]) -> Response:
        return await _new_page(request, uow, caller, programme_id, values, errors)

    return await submit_form(request, uow, TrainingCreate, fields, act, show)


async def _detail_page(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    training_id: uuid.UUID,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    detail = await service.training_detail(uow, caller, programme_id, training_id)
    choices = await service.enrol_choices(uow, caller, programme_id, training_id)
    return render(
        request,
        "workshops/manage_training.html",
        {
            "programme": programmes.programme_read(access.programme),
            "detail": detail,
            "training": detail.training,
            "choices": [("", "—"), *((str(p), name) for p, name in choices)],
            "values": values or {},
            "errors": errors or {},
        },
        status_code=422 if errors else 200,
    )


@router.get("/manage/programmes/{programme_id}/trainings/{training_id}")
async def training(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, training_id: uuid.UUID
) -> Response:
    return await _detail_page(request, uow, caller, programme_id, training_id)


@router.post("/manage/programmes/{programme_id}/trainings/{training_id}/enrol")
async def enrol_someone(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, training_id: uuid.UUID
) -> Response:
    values = await read_form(request)
    fields = {
        "person_id": values.get("person_id", ""),
        "waiting_list": "true" if values.get("waiting_list") else "false",
    }

    async def act(data: EnrolmentCreate) -> str:
        await service.enrol(uow, caller, programme_id, training_id, data)
        return f"/manage/programmes/{programme_id}/trainings/{training_id}#enrolments"

    async def show(errors: dict[str, str]) -> Response:
        return await _detail_page(request, uow, caller, programme_id, training_id, values, errors)

    return await submit_form(request, uow, EnrolmentCreate, fields, act, show)


@router.post("/manage/programmes/{programme_id}/trainings/{training_id}/withdraw/{person_id}")
async def withdraw_someone(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    training_id: uuid.UUID,
    person_id: uuid.UUID,
) -> Response:
    await service.withdraw(uow, caller, programme_id, training_id, person_id)
    return redirect(f"/manage/programmes/{programme_id}/trainings/{training_id}#enrolments")


async def _session_page(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    session_id: uuid.UUID,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    session, training_read = await service.get_session(uow, caller, programme_id, session_id)
    local = session.starts_at.astimezone(zone(access.programme.time_zone))
    current = {
        "day": local.date().isoformat(),
        "start_time": local.strftime("%H:%M"),
        "duration_minutes": str(session.duration_minutes),
        "place": session.place,
    }
    return render(
        request,
        "workshops/manage_session.html",
        {
            "programme": programmes.programme_read(access.programme),
            "session": session,
            "training": training_read,
            "values": values or current,
            "errors": errors or {},
        },
        status_code=422 if errors else 200,
    )


@router.get("/manage/programmes/{programme_id}/trainings/sessions/{session_id}")
async def session_form(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, session_id: uuid.UUID
) -> Response:
    return await _session_page(request, uow, caller, programme_id, session_id)


@router.post("/manage/programmes/{programme_id}/trainings/sessions/{session_id}")
async def change_session(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, session_id: uuid.UUID
) -> Response:
    values = await read_form(request)
    fields = {k: values.get(k, "") for k in SessionUpdate.model_fields}

    async def act(data: SessionUpdate) -> str:
        changed = await service.update_session(uow, caller, programme_id, session_id, data)
        return f"/manage/programmes/{programme_id}/trainings/{changed.training_id}#sessions"

    async def show(errors: dict[str, str]) -> Response:
        return await _session_page(request, uow, caller, programme_id, session_id, values, errors)

    return await submit_form(request, uow, SessionUpdate, fields, act, show)


@router.post("/manage/programmes/{programme_id}/trainings/sessions/{session_id}/cancel")
async def cancel_session(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, session_id: uuid.UUID
) -> Response:
    try:
        cancelled = await service.cancel_session(uow, caller, programme_id, session_id)
    except DomainError as exc:
        if exc.status_code not in FORM_REFUSALS:
            raise
        await uow.session.rollback()
        uow.take_events()
        return await _session_page(request, uow, caller, programme_id, session_id, errors=form_error(request, exc))
    return redirect(f"/manage/programmes/{programme_id}/trainings/{cancelled.training_id}#sessions")
