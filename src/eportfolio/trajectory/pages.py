"""Pages of the trajectory feature: her timeline ("Mijn traject"), a coach's view of one
participant's trajectory with forms to set dates and record outcomes, and the staff overview per
programme. None carries content anyone wrote, so all work without JavaScript."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from eportfolio.domain.trajectory import PHASES, OutcomeCreate, OutcomeKind, Phase, PhaseUpdate
from eportfolio.kit.auth import CallerDep
from eportfolio.kit.errors import N_
from eportfolio.kit.forms import read_form, submit_form
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import page_router, render, translate
from eportfolio.programmes import service as programmes
from eportfolio.trajectory import service

router = page_router()

PHASE_LABELS = {
    Phase.application: N_("Application"),
    Phase.intake: N_("Intake and analysis"),
    Phase.coaching: N_("Coaching"),
    Phase.end_measurement: N_("End measurement"),
    Phase.follow_up_6: N_("Follow-up after 6 months"),
    Phase.follow_up_12: N_("Follow-up after 12 months"),
    Phase.closed: N_("Closed"),
}
NOT_STARTED = N_("Not started yet")
OUTCOME_LABELS = {
    OutcomeKind.education: N_("Started education"),
    OutcomeKind.internship: N_("Started an internship"),
    OutcomeKind.paid_work: N_("Started paid work"),
    OutcomeKind.volunteer_work: N_("Started volunteer work"),
    OutcomeKind.diploma: N_("Got a diploma"),
    OutcomeKind.left_programme: N_("Left the programme"),
}


def _labels(request: Request) -> dict[str, Any]:
    return {
        "phase_labels": {phase.value: translate(request, label) for phase, label in PHASE_LABELS.items()},
        "outcome_labels": {kind.value: translate(request, label) for kind, label in OUTCOME_LABELS.items()},
        "not_started": translate(request, NOT_STARTED),
    }


@router.get("/my/trajectory")
async def my_trajectory(request: Request, uow: UowDep, caller: CallerDep) -> Response:
    """Her phases with their dates, where she is now, and her outcomes, per programme."""
    mine = await service.my_trajectories(uow, caller)
    return render(request, "trajectory/mine.html", {"trajectories": mine, **_labels(request)})


def _base(programme_id: uuid.UUID, participant_id: uuid.UUID) -> str:
    return service.coach_link(programme_id, participant_id)


async def _coach_page(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    participant_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    form: str = "",
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    trajectory = await service.get_trajectory(uow, caller, programme_id, participant_id)
    programme = await programmes.get_programme(uow, caller, programme_id)
    return render(
        request,
        "trajectory/participant.html",
        {
            "trajectory": trajectory,
            "programme": programme,
            "base": _base(programme_id, participant_id),
            "errors": errors or {},
            # Which form the errors and the typed values belong to ("phase-<phase>" or "outcome").
            "form": form,
            "values": values or {},
            "outcome_options": [("", translate(request, N_("Choose")))]
            + [(kind.value, translate(request, label)) for kind, label in OUTCOME_LABELS.items()],
            **_labels(request),
        },
        status_code=status_code,
    )


@router.get("/caseload/programmes/{programme_id}/participants/{participant_id}/trajectory")
async def participant_trajectory(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, participant_id: uuid.UUID
) -> Response:
    """Her trajectory as her coach (or staff) sees it, with the forms to change it."""
    return await _coach_page(request, uow, caller, programme_id, participant_id)


@router.post("/caseload/programmes/{programme_id}/participants/{participant_id}/trajectory/phases/{phase}")
async def set_phase(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, participant_id: uuid.UUID, phase: Phase
) -> Response:
    values = await read_form(request)
    fields = {key: values.get(key, "") for key in ("planned_on", "started_on")}
    if values.get("clear_started"):
        fields["clear_started"] = "true"

    async def act(data: PhaseUpdate) -> str:
        await service.set_phase(uow, caller, programme_id, participant_id, phase, data)
        return f"{_base(programme_id, participant_id)}#phase-{phase.value}"

    async def show(errors: dict[str, str]) -> Response:
        return await _coach_page(
            request,
            uow,
            caller,
            programme_id,
            participant_id,
            errors=errors,
            form=f"phase-{phase.value}",
            values=fields,
            status_code=422,
        )

    return await submit_form(request, uow, PhaseUpdate, fields, act, show)


@router.post("/caseload/programmes/{programme_id}/participants/{participant_id}/trajectory/outcomes")
async def add_outcome(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, participant_id: uuid.UUID
) -> Response:
    values = await read_form(request)
    fields = {key: values.get(key, "") for key in ("kind", "occurred_on", "reason")}

    async def act(data: OutcomeCreate) -> str:
        await service.add_outcome(uow, caller, programme_id, participant_id, data)
        return f"{_base(programme_id, participant_id)}#outcomes"

    async def show(errors: dict[str, str]) -> Response:
        return await _coach_page(
            request,
            uow,
            caller,
            programme_id,
            participant_id,
            errors=errors,
            form="outcome",
            values=fields,
            status_code=422,
        )

    return await submit_form(request, uow, OutcomeCreate, fields, act, show)


@router.get("/manage/programmes/{programme_id}/trajectory")
async def overview(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    """Staff: how many participants are in each phase, and who is overdue."""
    found = await service.overview(uow, caller, programme_id)
    programme = await programmes.get_programme(uow, caller, programme_id)
    return render(
        request,
        "trajectory/overview.html",
        {"overview": found, "programme": programme, "phases": PHASES, **_labels(request)},
    )
