"""Pages of the caseload feature: a coach's participants, one participant's assignments, and the
"More" menu. None of them carries content anyone wrote, so all work without JavaScript."""

from __future__ import annotations

import uuid

from fastapi import Request
from fastapi.responses import Response

from eportfolio.assignments import service as assignments_service
from eportfolio.assignments.pages import STATUS_LABELS
from eportfolio.caseload import service
from eportfolio.kit.auth import CallerDep
from eportfolio.kit.clock import utcnow
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import page_router, render
from eportfolio.programmes import service as programmes

router = page_router()


def days_ago(caseloads: list[service.ProgrammeCaseload]) -> dict[uuid.UUID, int | None]:
    """Whole days since each participant last did something (None: nothing yet)."""
    now = utcnow()
    return {
        entry.participant_id: None if entry.last_activity is None else max(0, (now - entry.last_activity).days)
        for programme in caseloads
        for entry in programme.entries
    }


@router.get("/caseload")
async def caseload_page(request: Request, uow: UowDep, caller: CallerDep) -> Response:
    caseloads = await service.caseload(uow, caller)
    return render(request, "caseload/caseload.html", {"caseloads": caseloads, "days_ago": days_ago(caseloads)})


@router.get("/caseload/programmes/{programme_id}/participants/{participant_id}/assignments")
async def participant_assignments(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, participant_id: uuid.UUID
) -> Response:
    """What was given to one participant of his caseload, each opening her answers."""
    assignments = await assignments_service.list_participant_assignments(uow, caller, programme_id, participant_id)
    names = await programmes.display_names(uow, caller, programme_id, [participant_id])
    return render(
        request,
        "caseload/assignments.html",
        {
            "programme_id": programme_id,
            "participant_id": participant_id,
            "name": names.get(participant_id, ""),
            "assignments": assignments,
            "status_labels": STATUS_LABELS,
        },
    )


@router.get("/menu")
async def menu(request: Request, caller: CallerDep) -> Response:
    """Everything of her menu that did not fit the bar, her account and logging out."""
    return render(request, "caseload/menu.html")
