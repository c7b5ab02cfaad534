"""Pages of the assignments feature.

Coach assigning, the review queue and staff completion counts work without JavaScript: they carry
no personal content. The participant's answering page and the coach's reading page show and write
her content, so they are shells for the browser's encryption code (see docs/modules.md); they
never post plaintext.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from eportfolio.assignments import service
from eportfolio.domain.modules import (
    AssignmentCreate,
    AssignmentKind,
    AssignmentStatus,
    LocalisedQuestion,
    QuestionKind,
    UploadKind,
)
from eportfolio.domain.people import MANAGING_ROLES, Role
from eportfolio.kit import dates
from eportfolio.kit.auth import CallerDep
from eportfolio.kit.errors import N_, DomainError
from eportfolio.kit.forms import FORM_REFUSALS, read_form, submit_form
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import LANGUAGE_COOKIE, page_router, redirect, render, request_language, translate
from eportfolio.modules import service as modules
from eportfolio.programmes import service as programmes

router = page_router()

STATUS_LABELS = {
    AssignmentStatus.assigned: N_("To do"),
    AssignmentStatus.in_progress: N_("Started"),
    AssignmentStatus.submitted: N_("Handed in"),
    AssignmentStatus.feedback_given: N_("Feedback received"),
    AssignmentStatus.completed: N_("Done"),
}
# While she may still change her answers (after feedback she may revise and hand in again).
EDITABLE = (AssignmentStatus.assigned, AssignmentStatus.in_progress, AssignmentStatus.feedback_given)
UPLOAD_ACCEPT = {
    UploadKind.photo: "image/*",
    UploadKind.document: ".pdf,.doc,.docx,.odt,.txt,.rtf,image/*",
    UploadKind.voice: "audio/*",
}
NOTIFICATION_TEXTS = {
    "assignment_given": N_("You have a new assignment: %(title)s"),
    "assignment_given_personal": N_("Your coach wrote a new assignment for you."),
    "due_soon": N_("An assignment is due on %(due_on)s."),
    "feedback_given": N_("%(name)s gave feedback on your assignment."),
    "submitted": N_("%(name)s handed in an assignment."),
    # Added by the chat: neutral, never who wrote or what.
    "chat_message": N_("You have a new message in the chat."),
    "chat_waiting": N_("Someone is waiting for an answer in the chat. You are on duty."),
    # Added by the portfolio on a comment: neutral (the comment is encrypted), never who or what.
    "portfolio_comment": N_("Your coach replied in your portfolio."),
    "portfolio_comment_coach": N_("There is a new reply in a portfolio you coach."),
    # Added by the trajectory's reminders: neutral, never which phase or why.
    "trajectory_due": N_("A date in your trajectory is coming up."),
    "trajectory_due_coach": N_("A date in a participant's trajectory is coming up."),
    "measurement_due": N_("It is time to look together at how far you have come."),
    "measurement_due_coach": N_("A participant's measurement is due."),
    # Added by the appointments: neutral, the time only (in the programme's time zone).
    "appointment_day": N_("Reminder: you have an appointment tomorrow at %(time)s."),
    "appointment_hour": N_("Reminder: your appointment starts at %(time)s."),
    # Added by the workshops: a freed place (neutral), and the reminder the day before.
    "workshop_place": N_("A place became free for you in a training. You are enrolled now."),
    "workshop_reminder": N_("Reminder: your group session is on %(when)s at %(place)s."),
    # Added by the intake: neutral, never her name.
    "intake_application": N_("There is a new application."),
}


def _her_language(request: Request, caller_language: str) -> str:
    return request.cookies.get(LANGUAGE_COOKIE) or caller_language


def _status_text(request: Request, status: AssignmentStatus) -> str:
    return translate(request, STATUS_LABELS[status])


# Staff: completion --------------------------------------------------------------------------------


@router.get("/manage/programmes/{programme_id}/completion")
async def completion(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    rows = await service.completion(uow, caller, programme_id)
    return render(
        request,
        "assignments/completion.html",
        {
            "programme": programmes.programme_read(access.programme),
            "rows": rows,
            "statuses": [(status, _status_text(request, status)) for status in AssignmentStatus],
        },
    )


# Coaches: assigning and the review queue -----------------------------------------------------------


async def _assign_page(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    access = await programmes.authorize(uow, caller, programme_id, modules.ASSIGNERS)
    choices: list[tuple[str, str]] = []
    for module in await modules.list_modules(uow, caller, programme_id):
        if module.status != "published":
            continue
        choices.append((str(module.id), translate(request, N_("%(title)s (whole module)"), title=module.working.title)))
        choices.extend(
            (f"{module.id}:{t.key}", f"{module.working.title} · {t.title}") for t in module.working.templates
        )
    participants = await service.my_caseload(uow, caller, programme_id)
    if access.role in MANAGING_ROLES:
        people = await programmes.list_people(uow, caller, programme_id)
        participants = [
            (p.id, p.display_name) for p, ms in people if any(m.role == Role.participant and m.active for m in ms)
        ]
    groups = await programmes.list_groups(uow, caller, programme_id)
    return render(
        request,
        "assignments/assign.html",
        {
            "programme": programmes.programme_read(access.programme),
            "choices": choices,
            "participants": [("", "—"), *((str(i), name) for i, name in participants)],
            "groups": [("", "—"), *((str(g.id), g.name) for g in groups)],
            # A personal assignment is written by her coach, encrypted in the coach's browser.
            "caseload": [("", "—"), *((str(i), name) for i, name in participants)]
            if access.role in service.COACHING
            else [],
            "values": values or {},
            "errors": errors or {},
        },
        status_code=422 if errors else 200,
    )


@router.get("/programmes/{programme_id}/assign")
async def assign_form(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    # Prefilled from a link (a make-up assignment for a missed group session: her and the module).
    values = {k: request.query_params[k] for k in ("choice", "participant_id") if k in request.query_params}
    return await _assign_page(request, uow, caller, programme_id, values)


@router.post("/programmes/{programme_id}/assign")
async def assign(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    values = await read_form(request)
    module_id, _, template_key = str(values.get("choice", "")).partition(":")
    fields = {
        "module_id": module_id,
        "template_key": template_key,
        "participant_id": values.get("participant_id", ""),
        "group_id": values.get("group_id", ""),
        "due_on": values.get("due_on", ""),
    }

    async def act(data: AssignmentCreate) -> str:
        given = await service.assign(uow, caller, programme_id, data)
        return f"/programmes/{programme_id}/assign?given={len(given)}"

    async def show(errors: dict[str, str]) -> Response:
        if "module_id" in errors:
            errors["choice"] = errors.pop("module_id")  # the form has one list for module and template
        return await _assign_page(request, uow, caller, programme_id, values, errors)

    return await submit_form(request, uow, AssignmentCreate, fields, act, show, shown={403, 409, 422})


async def _time_zones(uow: UowDep, caller: CallerDep) -> dict[uuid.UUID, str]:
    """Programme id -> its time zone, for pages that list rows of several programmes."""
    return {p.id: p.time_zone for p in await programmes.list_programmes(uow, caller)}


@router.get("/review")
async def review_queue(request: Request, uow: UowDep, caller: CallerDep) -> Response:
    queue = await service.review_queue(uow, caller)
    return render(request, "assignments/review.html", {"queue": queue, "zones": await _time_zones(uow, caller)})


# Participants: what is due, one question per screen ----------------------------------------------


@router.get("/my/assignments")
async def my_assignments(request: Request, uow: UowDep, caller: CallerDep) -> Response:
    language = _her_language(request, caller.language)
    sections = []
    for access in await service.programmes_as(uow, caller, {Role.participant}):
        assignments = await service.list_my_assignments(uow, caller, access.scope.programme_id, language)
        sections.append((access.programme, assignments))
    return render(
        request,
        "assignments/my_assignments.html",
        {"sections": sections, "status_labels": STATUS_LABELS},
    )


@router.get("/programmes/{programme_id}/assignments/{assignment_id}")
async def assignment_page(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    assignment_id: uuid.UUID,
    q: int | None = None,
    les: int | None = None,
) -> Response:
    """The shell: lessons and question texts are programme content; answers are opened and sealed
    by the browser.

    She reads the module's lessons first, one per screen (``?les=``), then answers one question per
    screen (``?q=``); without either she lands on the first lesson she has not read, else on the
    questions. Her coach sees her progress and every question with its answer on one page.
    """
    detail = await service.get_assignment(
        uow, caller, programme_id, assignment_id, _her_language(request, caller.language)
    )
    questions = detail.template.questions if detail.template else []
    if detail.assignment.kind == AssignmentKind.personal:
        questions = [_personal_question(request)]
    progress = detail.assignment.progress
    read = set(progress.lessons_read) if progress else set()
    lessons = detail.lessons
    is_participant = detail.assignment.participant_id == caller.person_id
    if is_participant and les is None and q is None:
        les = next((i for i, lesson in enumerate(lessons) if lesson.key not in read), None)
    lesson_position = max(0, min(les, len(lessons) - 1)) if is_participant and les is not None and lessons else None
    position = max(0, min(q or 0, max(len(questions) - 1, 0)))
    answers = {a.question_key: a.envelope.revision for a in detail.answers}
    # Her coach sees whose work this is (the title alone, "Mijn maandbudget", does not say).
    participant_id = detail.assignment.participant_id
    whose = (
        ""
        if is_participant
        else (await programmes.display_names(uow, caller, programme_id, [participant_id])).get(participant_id, "")
    )
    return render(
        request,
        "assignments/assignment.html",
        {
            "programme_id": programme_id,
            "whose": whose,
            "detail": detail,
            "questions": questions,
            "question": questions[position] if questions and lesson_position is None else None,
            "position": position,
            "count": len(questions),
            "lessons": lessons,
            "lesson": lessons[lesson_position] if lesson_position is not None else None,
            "lesson_position": lesson_position,
            "read": read,
            "answered": set(answers),
            "progress": progress,
            "revisions": answers,
            "is_participant": is_participant,
            "me": caller.person_id,
            "editable": is_participant and detail.assignment.status in EDITABLE,
            "status_labels": STATUS_LABELS,
            "upload_accept": UPLOAD_ACCEPT,
            "api": f"/api/v1/programmes/{programme_id}/assignments/{assignment_id}",
        },
    )


@router.post("/programmes/{programme_id}/assignments/{assignment_id}/lessons/{lesson_key}/read")
async def lesson_read(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    assignment_id: uuid.UUID,
    lesson_key: str,
) -> Response:
    """ "Read, next": marks the lesson read and goes on to the next lesson, or to the first question.

    A plain form, so it works without JavaScript (a lesson carries no personal content).
    """
    await service.mark_lesson_read(uow, caller, programme_id, assignment_id, lesson_key)
    detail = await service.get_assignment(uow, caller, programme_id, assignment_id)
    keys = [lesson.key for lesson in detail.lessons]
    after = keys.index(lesson_key) + 1 if lesson_key in keys else len(keys)
    url = f"/programmes/{programme_id}/assignments/{assignment_id}"
    return redirect(f"{url}?les={after}" if after < len(keys) else f"{url}?q=0")


def _personal_question(request: Request) -> LocalisedQuestion:
    """A personal assignment has one open answer (its question is the coach's encrypted text)."""
    return LocalisedQuestion(
        key=service.PERSONAL_QUESTION_KEY,
        kind=QuestionKind.open_text,
        prompt=translate(request, N_("Your answer")),
        help="",
        options=[],
        scale_min=1,
        scale_max=5,
        scale_min_label="",
        scale_max_label="",
        upload_kind=None,
        required=True,
    )


@router.post("/programmes/{programme_id}/assignments/{assignment_id}/submit")
async def submit(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, assignment_id: uuid.UUID
) -> Response:
    # Handing in carries no content: it only changes the status, so it works without JavaScript.
    try:
        await service.submit(uow, caller, programme_id, assignment_id)
    except DomainError as exc:
        if exc.status_code not in FORM_REFUSALS:
            raise
        await uow.session.rollback()
        return render(
            request,
            "errors/error.html",
            {"status": exc.status_code, "code": exc.code, "message": translate(request, exc.message, **exc.params)},
            status_code=exc.status_code,
        )
    return redirect("/my/assignments?handed_in=1")


@router.post("/programmes/{programme_id}/assignments/{assignment_id}/complete")
async def complete(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, assignment_id: uuid.UUID
) -> Response:
    await service.complete(uow, caller, programme_id, assignment_id)
    return redirect("/review")


# Notifications -----------------------------------------------------------------------------------


@router.get("/notifications")
async def notifications(request: Request, uow: UowDep, caller: CallerDep) -> Response:
    rows = await service.list_notifications(uow, caller)
    zones = await _time_zones(uow, caller)
    language = request_language(request)
    items = []
    for row in rows:
        params = {"title": "", "name": "", "due_on": "", **{k: str(v) for k, v in row.params.items()}}
        params.update(_dates_for_her(row.params, language, zones.get(row.programme_id) if row.programme_id else None))
        kind = "assignment_given_personal" if row.kind == "assignment_given" and not params["title"] else row.kind
        text = NOTIFICATION_TEXTS.get(kind, N_("Something new for you."))
        items.append((row, translate(request, text, **params)))
    return render(request, "assignments/notifications.html", {"items": items, "zones": zones})


def _dates_for_her(params: dict[str, Any], language: str, time_zone: str | None) -> dict[str, str]:
    """A notice's dates as she reads them ("8 december", "dinsdag 8 december, 09:30"), in the
    language of the page and the programme's time zone, from the day or moment the notice keeps."""
    shown: dict[str, str] = {}
    try:
        if params.get("due_on"):
            shown["due_on"] = dates.format_day(date.fromisoformat(str(params["due_on"])), language, time_zone)
        if params.get("starts_at"):
            starts = datetime.fromisoformat(str(params["starts_at"]))
            shown["time"] = dates.format_clock(starts, language, time_zone)
            shown["when"] = dates.format_weekday_and_time(starts, language, time_zone)
    except ValueError:
        return {}  # an older notice without a readable date keeps its own words
    return shown


@router.post("/notifications/{notification_id}/read")
async def mark_read(request: Request, uow: UowDep, caller: CallerDep, notification_id: uuid.UUID) -> Response:
    row = await service.mark_notification_read(uow, caller, notification_id)
    target = row.link if row.link.startswith("/") and not row.link.startswith("//") else "/notifications"
    return redirect(target)
