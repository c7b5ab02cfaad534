"""Pages of the modules feature.

Staff authoring, coach assigning and the review queue work without JavaScript: they carry no
personal content. The participant's answering page and the coach's reading page show and write
her content, so they are shells for the browser's encryption code (see docs/modules.md); they
never post plaintext.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from eportfolio.domain.modules import (
    AssignmentCreate,
    AssignmentKind,
    AssignmentStatus,
    LessonCreate,
    LessonUpdate,
    LocalisedQuestion,
    ModuleCopy,
    ModuleCreate,
    ModuleUpdate,
    QuestionCreate,
    QuestionKind,
    QuestionUpdate,
    TemplateCreate,
    TemplateUpdate,
    TranslationUpdate,
    UploadKind,
)
from eportfolio.domain.people import MANAGING_ROLES, Role
from eportfolio.domain.programmes import LanguageLevel
from eportfolio.kit import i18n
from eportfolio.kit.auth import CallerDep
from eportfolio.kit.errors import N_, DomainError, NotFound
from eportfolio.kit.forms import FORM_REFUSALS, form_error, read_form, submit_form
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import LANGUAGE_COOKIE, page_router, redirect, render, request_language, translate
from eportfolio.modules import service
from eportfolio.programmes import service as programmes

router = page_router()

KIND_LABELS = {
    QuestionKind.open_text: N_("Open answer"),
    QuestionKind.choice: N_("Choose one"),
    QuestionKind.scale: N_("Scale"),
    QuestionKind.checklist: N_("Checklist"),
    QuestionKind.upload: N_("Upload"),
    QuestionKind.session_reflection: N_("Reflect on a workshop session"),
}
UPLOAD_LABELS = {
    UploadKind.photo: N_("Photo"),
    UploadKind.document: N_("Document"),
    UploadKind.voice: N_("Voice note"),
}
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
MODULE_STATUS_LABELS = {"draft": N_("Draft"), "published": N_("Published"), "archived": N_("Archived")}
NOTIFICATION_TEXTS = {
    "assignment_given": N_("You have a new assignment: %(title)s"),
    "assignment_given_personal": N_("Your coach wrote a new assignment for you."),
    "due_soon": N_("An assignment is due on %(due_on)s."),
    "feedback_given": N_("%(name)s gave feedback on your assignment."),
    "submitted": N_("%(name)s handed in an assignment."),
    # Added by the chat: neutral, never who wrote or what.
    "chat_message": N_("You have a new message in the chat."),
    "chat_waiting": N_("Someone is waiting for an answer in the chat. You are on duty."),
}
# Messages of the domain model's validators, listed so they are extracted and translated.
VALIDATOR_MESSAGES = (
    N_("give at least two options, one per line"),
    N_("only choice and checklist questions have options"),
    N_("the lowest point of the scale must be below the highest"),
    N_("choose what she uploads: a photo, a document or a voice note"),
    N_("use a full link that starts with https://"),
    N_("choose either one participant or one group"),
    N_("not a known key"),
)


def _labels(request: Request, labels: dict[Any, str]) -> list[tuple[str, str]]:
    return [(getattr(key, "value", key), translate(request, label)) for key, label in labels.items()]


def _her_language(request: Request, caller_language: str) -> str:
    return request.cookies.get(LANGUAGE_COOKIE) or caller_language


def _levels(request: Request) -> list[tuple[str, str]]:
    """Language levels for a select, as people read them ("Mixed levels", not "mixed")."""
    language = request_language(request)
    return [(level.value, i18n.level_label(level.value, language)) for level in LanguageLevel]


def _status_text(request: Request, status: AssignmentStatus) -> str:
    return translate(request, STATUS_LABELS[status])


# Staff: modules --------------------------------------------------------------------------------


async def _index_page(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    modules = await service.list_modules(uow, caller, programme_id)
    return render(
        request,
        "modules/index.html",
        {
            "programme": programmes.programme_read(access.programme),
            "modules": modules,
            "values": values or {"language_level": "B1"},
            "errors": errors or {},
            "levels": _levels(request),
            "status_labels": MODULE_STATUS_LABELS,
        },
        status_code=422 if errors else 200,
    )


@router.get("/manage/programmes/{programme_id}/modules")
async def modules_index(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    return await _index_page(request, uow, caller, programme_id)


@router.post("/manage/programmes/{programme_id}/modules")
async def create_module(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    values = await read_form(request)

    async def act(data: ModuleCreate) -> str:
        module = await service.create_module(uow, caller, programme_id, data)
        return _module_url(programme_id, module.id)

    return await submit_form(
        request, uow, ModuleCreate, values, act, lambda e: _index_page(request, uow, caller, programme_id, values, e)
    )


async def _module_page(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    module_id: uuid.UUID,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    form: str = "",
) -> Response:
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    module = await service.get_module(uow, caller, programme_id, module_id)
    versions = await service.list_versions(uow, caller, programme_id, module_id)
    targets = [p for p in await programmes.list_programmes(uow, caller) if p.id != programme_id and not p.archived]
    return render(
        request,
        "modules/module.html",
        {
            "programme": programmes.programme_read(access.programme),
            "module": module,
            "versions": versions,
            "values": values or module.working.model_dump(mode="json"),
            "errors": errors or {},
            "form": form,
            "levels": _levels(request),
            "targets": [(str(p.id), p.name) for p in targets],
            "status_labels": MODULE_STATUS_LABELS,
            "other_languages": [code for code in access.programme.languages if code != "nl"],
            "language_names": {
                code: i18n.language_name(code, request_language(request)) for code in access.programme.languages
            },
        },
        status_code=422 if errors else 200,
    )


def _module_url(programme_id: uuid.UUID, module_id: uuid.UUID, rest: str = "") -> str:
    return f"/manage/programmes/{programme_id}/modules/{module_id}{rest}"


def _again(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    module_id: uuid.UUID,
    values: dict[str, Any],
    form: str,
) -> Callable[[dict[str, str]], Awaitable[Response]]:
    """The module page again, with what she typed in ``form`` and what to fix."""
    return lambda errors: _module_page(request, uow, caller, programme_id, module_id, values, errors, form)


@router.get("/manage/programmes/{programme_id}/modules/{module_id}")
async def module_detail(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID
) -> Response:
    return await _module_page(request, uow, caller, programme_id, module_id)


@router.post("/manage/programmes/{programme_id}/modules/{module_id}")
async def update_module(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID
) -> Response:
    values = await read_form(request)

    async def act(data: ModuleUpdate) -> str:
        await service.update_module(uow, caller, programme_id, module_id, data)
        return _module_url(programme_id, module_id)

    return await submit_form(
        request, uow, ModuleUpdate, values, act, _again(request, uow, caller, programme_id, module_id, values, "module")
    )


@router.post("/manage/programmes/{programme_id}/modules/{module_id}/lessons")
async def add_lesson(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID
) -> Response:
    values = await read_form(request)

    async def act(data: LessonCreate) -> str:
        lesson = await service.add_lesson(uow, caller, programme_id, module_id, data)
        return _module_url(programme_id, module_id, f"/lessons/{lesson.key}")

    return await submit_form(
        request, uow, LessonCreate, values, act, _again(request, uow, caller, programme_id, module_id, values, "lesson")
    )


@router.post("/manage/programmes/{programme_id}/modules/{module_id}/templates")
async def add_template(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID
) -> Response:
    values = await read_form(request)

    async def act(data: TemplateCreate) -> str:
        template = await service.add_template(uow, caller, programme_id, module_id, data)
        return _module_url(programme_id, module_id, f"/templates/{template.key}")

    return await submit_form(
        request,
        uow,
        TemplateCreate,
        values,
        act,
        _again(request, uow, caller, programme_id, module_id, values, "template"),
    )


async def _module_action(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID, action: str
) -> Response:
    actions = {
        "publish": service.publish_module,
        "archive": service.archive_module,
        "restore": service.restore_module,
    }
    try:
        await actions[action](uow, caller, programme_id, module_id)
    except DomainError as exc:
        if exc.status_code not in FORM_REFUSALS:
            raise
        await uow.session.rollback()
        return await _module_page(request, uow, caller, programme_id, module_id, errors=form_error(request, exc))
    return redirect(_module_url(programme_id, module_id))


@router.post("/manage/programmes/{programme_id}/modules/{module_id}/publish")
async def publish_module(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID
) -> Response:
    return await _module_action(request, uow, caller, programme_id, module_id, "publish")


@router.post("/manage/programmes/{programme_id}/modules/{module_id}/archive")
async def archive_module(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID
) -> Response:
    return await _module_action(request, uow, caller, programme_id, module_id, "archive")


@router.post("/manage/programmes/{programme_id}/modules/{module_id}/restore")
async def restore_module(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID
) -> Response:
    return await _module_action(request, uow, caller, programme_id, module_id, "restore")


@router.post("/manage/programmes/{programme_id}/modules/{module_id}/copy")
async def copy_module(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID
) -> Response:
    values = await read_form(request)

    async def act(data: ModuleCopy) -> str:
        copy = await service.copy_module(uow, caller, programme_id, module_id, data)
        return _module_url(copy.programme_id, copy.id)

    return await submit_form(
        request, uow, ModuleCopy, values, act, _again(request, uow, caller, programme_id, module_id, values, "copy")
    )


# Staff: lessons --------------------------------------------------------------------------------


async def _lesson_page(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    module_id: uuid.UUID,
    key: str,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    module = await service.get_module(uow, caller, programme_id, module_id)
    lesson = next((item for item in module.working.lessons if item.key == key), None)
    if lesson is None:
        raise NotFound()
    return render(
        request,
        "modules/lesson.html",
        {
            "programme": programmes.programme_read(access.programme),
            "module": module,
            "lesson": lesson,
            "values": values or lesson.model_dump(mode="json"),
            "errors": errors or {},
        },
        status_code=422 if errors else 200,
    )


@router.get("/manage/programmes/{programme_id}/modules/{module_id}/lessons/{key}")
async def lesson_detail(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID, key: str
) -> Response:
    return await _lesson_page(request, uow, caller, programme_id, module_id, key)


@router.post("/manage/programmes/{programme_id}/modules/{module_id}/lessons/{key}")
async def update_lesson(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID, key: str
) -> Response:
    values = await read_form(request)

    async def act(data: LessonUpdate) -> str:
        if not values.get("video_url"):
            data.video_url = None  # an emptied video field removes the video
        await service.update_lesson(uow, caller, programme_id, module_id, key, data)
        return _module_url(programme_id, module_id)

    return await submit_form(
        request,
        uow,
        LessonUpdate,
        values,
        act,
        lambda errors: _lesson_page(request, uow, caller, programme_id, module_id, key, values, errors),
    )


@router.post("/manage/programmes/{programme_id}/modules/{module_id}/lessons/{key}/delete")
async def delete_lesson(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID, key: str
) -> Response:
    await service.delete_lesson(uow, caller, programme_id, module_id, key)
    return redirect(_module_url(programme_id, module_id))


# Staff: assignment templates and their questions -------------------------------------------------


async def _template_page(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    module_id: uuid.UUID,
    key: str,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    form: str = "",
) -> Response:
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    module = await service.get_module(uow, caller, programme_id, module_id)
    template = next((item for item in module.working.templates if item.key == key), None)
    if template is None:
        raise NotFound()
    return render(
        request,
        "modules/template.html",
        {
            "programme": programmes.programme_read(access.programme),
            "module": module,
            "template": template,
            "values": values or {},
            "errors": errors or {},
            "form": form,
            "kinds": _labels(request, KIND_LABELS),
            "kind_labels": KIND_LABELS,
            "upload_kinds": [("", "—"), *_labels(request, UPLOAD_LABELS)],
        },
        status_code=422 if errors else 200,
    )


def _template_again(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    module_id: uuid.UUID,
    key: str,
    values: dict[str, Any],
    form: str,
) -> Callable[[dict[str, str]], Awaitable[Response]]:
    """The template page again, with what she typed in ``form`` and what to fix."""
    return lambda errors: _template_page(request, uow, caller, programme_id, module_id, key, values, errors, form)


def _question_values(values: dict[str, Any]) -> dict[str, Any]:
    options = values.get("options", "")
    lines = options if isinstance(options, list) else str(options).splitlines()
    cleaned = {k: v for k, v in values.items() if k not in ("options", "required")}
    if not cleaned.get("upload_kind"):
        cleaned.pop("upload_kind", None)
    return {**cleaned, "options": [line.strip() for line in lines if line.strip()], "required": "required" in values}


@router.get("/manage/programmes/{programme_id}/modules/{module_id}/templates/{key}")
async def template_detail(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID, key: str
) -> Response:
    return await _template_page(request, uow, caller, programme_id, module_id, key)


@router.post("/manage/programmes/{programme_id}/modules/{module_id}/templates/{key}")
async def update_template(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID, key: str
) -> Response:
    values = await read_form(request)

    async def act(data: TemplateUpdate) -> str:
        await service.update_template(uow, caller, programme_id, module_id, key, data)
        return _module_url(programme_id, module_id, f"/templates/{key}")

    return await submit_form(
        request,
        uow,
        TemplateUpdate,
        values,
        act,
        _template_again(request, uow, caller, programme_id, module_id, key, values, "template"),
    )


@router.post("/manage/programmes/{programme_id}/modules/{module_id}/templates/{key}/delete")
async def delete_template(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID, key: str
) -> Response:
    await service.delete_template(uow, caller, programme_id, module_id, key)
    return redirect(_module_url(programme_id, module_id))


@router.post("/manage/programmes/{programme_id}/modules/{module_id}/templates/{key}/questions")
async def add_question(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID, key: str
) -> Response:
    raw = await read_form(request)

    async def act(data: QuestionCreate) -> str:
        await service.add_question(uow, caller, programme_id, module_id, key, data)
        return _module_url(programme_id, module_id, f"/templates/{key}")

    return await submit_form(
        request,
        uow,
        QuestionCreate,
        _question_values(raw),
        act,
        _template_again(request, uow, caller, programme_id, module_id, key, raw, "new-question"),
    )


@router.post("/manage/programmes/{programme_id}/modules/{module_id}/templates/{key}/questions/{question_key}")
async def update_question(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    module_id: uuid.UUID,
    key: str,
    question_key: str,
) -> Response:
    raw = await read_form(request)

    async def act(data: QuestionCreate) -> str:
        update = QuestionUpdate(**data.model_dump())
        await service.update_question(uow, caller, programme_id, module_id, key, question_key, update)
        return _module_url(programme_id, module_id, f"/templates/{key}")

    return await submit_form(
        request,
        uow,
        QuestionCreate,
        _question_values(raw),
        act,
        _template_again(request, uow, caller, programme_id, module_id, key, raw, question_key),
    )


@router.post("/manage/programmes/{programme_id}/modules/{module_id}/templates/{key}/questions/{question_key}/delete")
async def delete_question(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    module_id: uuid.UUID,
    key: str,
    question_key: str,
) -> Response:
    await service.delete_question(uow, caller, programme_id, module_id, key, question_key)
    return redirect(_module_url(programme_id, module_id, f"/templates/{key}"))


# Staff: translations, preview, completion ------------------------------------------------------


async def _translations_page(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    module_id: uuid.UUID,
    language: str,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    if language == "nl" or language not in access.programme.languages:
        raise NotFound()
    module = await service.get_module(uow, caller, programme_id, module_id)
    rows = service.translatable_texts(module.working)
    current = {path: _translated(module.working.model_dump(), path, language) for path, _, _ in rows}
    return render(
        request,
        "modules/translations.html",
        {
            "programme": programmes.programme_read(access.programme),
            "module": module,
            "language": language,
            "language_name": i18n.language_name(language, request_language(request)),
            "rows": rows,
            "values": values or current,
            "errors": errors or {},
        },
        status_code=422 if errors else 200,
    )


def _translated(version: dict[str, Any], path: str, language: str) -> str:
    key, _, field = path.partition(".")
    objects: list[dict[str, Any]] = [version, *version["lessons"]]
    for template in version["templates"]:
        objects.extend([template, *template["questions"]])
    for obj in objects:
        if (key == "module" and obj is version) or obj.get("key") == key:
            value = (obj.get("translations") or {}).get(language, {}).get(field, "")
            return "\n".join(value) if isinstance(value, list) else str(value)
    return ""


@router.get("/manage/programmes/{programme_id}/modules/{module_id}/translations/{language}")
async def translations_form(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID, language: str
) -> Response:
    return await _translations_page(request, uow, caller, programme_id, module_id, language)


@router.post("/manage/programmes/{programme_id}/modules/{module_id}/translations/{language}")
async def save_translations(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, module_id: uuid.UUID, language: str
) -> Response:
    values = await read_form(request)
    texts = {k: v for k, v in values.items() if isinstance(v, str)}

    async def act(data: TranslationUpdate) -> str:
        # Empty texts are meaningful here ("show the Dutch"), so they are passed on as they are.
        data.texts = texts
        await service.set_translation(uow, caller, programme_id, module_id, data)
        return _module_url(programme_id, module_id)

    return await submit_form(
        request,
        uow,
        TranslationUpdate,
        {"language": language, "texts": texts},
        act,
        lambda errors: _translations_page(request, uow, caller, programme_id, module_id, language, values, errors),
    )


@router.get("/manage/programmes/{programme_id}/modules/{module_id}/preview")
async def preview_module(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    module_id: uuid.UUID,
    lang: str | None = None,
) -> Response:
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    shown = await service.preview_module(uow, caller, programme_id, module_id, lang)
    return render(
        request,
        "modules/preview.html",
        {
            "programme": programmes.programme_read(access.programme),
            "module_id": module_id,
            "shown": shown,
            "languages": [(code, i18n.own_language_name(code)) for code in access.programme.languages],
            "kind_labels": KIND_LABELS,
        },
    )


@router.get("/manage/programmes/{programme_id}/completion")
async def completion(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    rows = await service.completion(uow, caller, programme_id)
    return render(
        request,
        "modules/completion.html",
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
    access = await programmes.authorize(uow, caller, programme_id, service.ASSIGNERS)
    modules = await service.list_modules(uow, caller, programme_id)
    choices: list[tuple[str, str]] = []
    for module in modules:
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
        "modules/assign.html",
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
    return await _assign_page(request, uow, caller, programme_id)


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
    return render(request, "modules/review.html", {"queue": queue, "zones": await _time_zones(uow, caller)})


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
        "modules/my_assignments.html",
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
        "modules/assignment.html",
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
    items = []
    for row in rows:
        params = {"title": "", "name": "", "due_on": "", **{k: str(v) for k, v in row.params.items()}}
        kind = "assignment_given_personal" if row.kind == "assignment_given" and not params["title"] else row.kind
        text = NOTIFICATION_TEXTS.get(kind, N_("Something new for you."))
        items.append((row, translate(request, text, **params)))
    return render(request, "modules/notifications.html", {"items": items, "zones": await _time_zones(uow, caller)})


@router.post("/notifications/{notification_id}/read")
async def mark_read(request: Request, uow: UowDep, caller: CallerDep, notification_id: uuid.UUID) -> Response:
    row = await service.mark_notification_read(uow, caller, notification_id)
    target = row.link if row.link.startswith("/") and not row.link.startswith("//") else "/notifications"
    return redirect(target)
