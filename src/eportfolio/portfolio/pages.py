"""Pages of the portfolio. They show and write her content, so they are shells for the browser's
encryption code (`frontend/static/js/portfolio/`): the server renders the frame and the words,
the browser fetches ciphertext over the JSON API, opens it, and seals what is typed. Nothing here
ever receives or renders plaintext content; without JavaScript the pages say why they need it.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from eportfolio.domain.people import Role
from eportfolio.domain.portfolio import GoalStatus, ItemKind, LifeArea
from eportfolio.kit.auth import CallerDep
from eportfolio.kit.errors import N_
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import page_router, render, translate
from eportfolio.portfolio import service
from eportfolio.programmes import service as programmes

router = page_router()

KIND_LABELS = {
    ItemKind.diary: N_("Diary or reflection"),
    ItemKind.document: N_("Document"),
    ItemKind.motivation_letter: N_("Motivation letter"),
    ItemKind.life_story: N_("Life story"),
    ItemKind.photo: N_("Photo"),
    ItemKind.video: N_("Short video"),
    ItemKind.voice_note: N_("Voice note"),
    ItemKind.sociogram: N_("People around me"),
    ItemKind.genogram: N_("My family"),
    ItemKind.goal_plan: N_("Goal plan"),
    ItemKind.assignment_answer: N_("Assignment answer"),
}
AUDIENCE_LABELS = {
    "only_me": N_("Only me"),
    "my_coaches": N_("My coaches"),
    "chosen": N_("People I choose"),
}
AREA_LABELS = {
    LifeArea.psychosocial: N_("Wellbeing and support"),
    LifeArea.housing: N_("Housing"),
    LifeArea.income: N_("Income"),
    LifeArea.budget_and_debts: N_("Budget and debts"),
    LifeArea.education: N_("Education"),
    LifeArea.work: N_("Work"),
    LifeArea.children: N_("Children"),
}
STATUS_LABELS = {
    GoalStatus.open: N_("Not started"),
    GoalStatus.in_progress: N_("Working on it"),
    GoalStatus.done: N_("Done"),
    GoalStatus.paused: N_("Paused"),
}
CLOSENESS_LABELS = {"1": N_("Very close"), "2": N_("Close"), "3": N_("Further away")}
SUPPORT_LABELS = {
    "practical": N_("Practical help"),
    "emotional": N_("Someone to talk to"),
    "money": N_("Money"),
    "advice": N_("Advice"),
    "childcare": N_("Looks after the children"),
    "none": N_("No help"),
}
# Relation -> generation (0 = hers, -1 = her parents, 1 = her children).
RELATION_LABELS = {
    "grandmother": (N_("Grandmother"), -2),
    "grandfather": (N_("Grandfather"), -2),
    "mother": (N_("Mother"), -1),
    "father": (N_("Father"), -1),
    "aunt_uncle": (N_("Aunt or uncle"), -1),
    "sister": (N_("Sister"), 0),
    "brother": (N_("Brother"), 0),
    "partner": (N_("Partner"), 0),
    "ex_partner": (N_("Former partner"), 0),
    "child": (N_("Child"), 1),
    "other": (N_("Other"), 0),
}
# Kinds she can make herself in the editor (answers come from modules).
NEW_KINDS = [k for k in ItemKind if k is not ItemKind.assignment_answer]


@router.get("/portfolio")
async def index(request: Request, uow: UowDep, caller: CallerDep) -> Response:
    """Her portfolio, or the portfolios of the people she coaches now, per programme."""
    await programmes.load_roles(uow, caller)
    assert caller.roles_by_programme is not None
    entries = []
    for programme in await programmes.list_programmes(uow, caller):
        held = caller.roles_by_programme.get(programme.id, frozenset())
        if not held & {Role.participant.value, Role.coach.value}:
            continue
        portfolios = await service.list_portfolios(uow, caller, programme.id)
        entries.append(
            {
                "programme": programme,
                "participant": Role.participant.value in held,
                "portfolios": [p for p in portfolios if p.my_role == service.COACH],
            }
        )
    return render(request, "portfolio/index.html", {"entries": entries})


def _labels(request: Request) -> dict[str, object]:
    """Translated words for the scripts (kinds, areas, statuses, diagram choices)."""

    def words(labels: dict[Any, str]) -> dict[str, str]:
        return {str(getattr(k, "value", k)): translate(request, v) for k, v in labels.items()}

    return {
        "kinds": words(KIND_LABELS),
        "areas": words(AREA_LABELS),
        "statuses": words(STATUS_LABELS),
        "audiences": words(AUDIENCE_LABELS),
        "closeness": words(CLOSENESS_LABELS),
        "supports": words(SUPPORT_LABELS),
        "relations": {k: {"label": translate(request, v[0]), "generation": v[1]} for k, v in RELATION_LABELS.items()},
    }


def _shell(
    request: Request,
    *,
    programme_id: uuid.UUID,
    portfolio_id: uuid.UUID | None,
    caller_id: uuid.UUID,
    hers: bool = True,
) -> Response:
    return render(
        request,
        "portfolio/portfolio.html",
        {
            "programme_id": programme_id,
            "portfolio_id": portfolio_id,
            "me": caller_id,
            "hers": hers,  # she looks at her own portfolio; else her coach: words about her
            "kind_labels": KIND_LABELS,
            "new_kinds": NEW_KINDS,
            "audience_labels": AUDIENCE_LABELS,
            "area_labels": AREA_LABELS,
            "status_labels": STATUS_LABELS,
            "labels": _labels(request),
        },
    )


@router.get("/portfolio/programmes/{programme_id}")
async def my_portfolio(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    await programmes.authorize(uow, caller, programme_id, {Role.participant})
    return _shell(request, programme_id=programme_id, portfolio_id=None, caller_id=caller.person_id)


@router.get("/portfolio/{portfolio_id}")
async def coached_portfolio(request: Request, uow: UowDep, caller: CallerDep, portfolio_id: uuid.UUID) -> Response:
    access = await service.access_portfolio(uow, caller, portfolio_id)
    return _shell(
        request,
        programme_id=access.portfolio.programme_id,
        portfolio_id=portfolio_id,
        caller_id=caller.person_id,
        hers=access.portfolio.participant_id == caller.person_id,
    )
