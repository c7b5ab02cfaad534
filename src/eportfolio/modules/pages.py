"""Pages of the modules feature: staff author, translate, publish and preview modules.

They carry no personal content and work without JavaScript.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from eportfolio.domain.modules import (
    LessonCreate,
    LessonUpdate,
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
from eportfolio.domain.people import MANAGING_ROLES
from eportfolio.domain.programmes import LanguageLevel
from eportfolio.kit import i18n
from eportfolio.kit.auth import CallerDep
from eportfolio.kit.errors import N_, DomainError, NotFound
from eportfolio.kit.forms import FORM_REFUSALS, form_error, read_form, submit_form
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import page_router, redirect, render, request_language, translate
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
MODULE_STATUS_LABELS = {"draft": N_("Draft"), "published": N_("Published"), "archived": N_("Archived")}
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


def _levels(request: Request) -> list[tuple[str, str]]:
    """Language levels for a select, as people read them ("Mixed levels", not "mixed")."""
    language = request_language(request)
    return [(level.value, i18n.level_label(level.value, language)) for level in LanguageLevel]


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
