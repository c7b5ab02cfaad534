"""Use cases of the modules feature: authoring, translating, publishing and copying modules, and
showing them as a participant reads them.

Authorisation comes first in every use case. A published version is never changed: an edit makes
a new draft version, and assignments (the ``assignments`` feature) keep pointing at the version
they were given from; they reach modules and versions only through the functions at the end.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from typing import Any

from pydantic import ValidationError

from eportfolio.domain.modules import (
    LessonCreate,
    LessonRead,
    LessonUpdate,
    LocalisedLesson,
    LocalisedModule,
    LocalisedQuestion,
    LocalisedTemplate,
    ModuleCopy,
    ModuleCreate,
    ModuleRead,
    ModuleStatus,
    ModuleUpdate,
    ModuleVersionRead,
    QuestionCreate,
    QuestionRead,
    QuestionUpdate,
    TemplateCreate,
    TemplateRead,
    TemplateUpdate,
    TranslationUpdate,
    VersionState,
)
from eportfolio.domain.people import MANAGING_ROLES, Role
from eportfolio.domain.programmes import LanguageLevel
from eportfolio.kit.auth import Caller
from eportfolio.kit.clock import utcnow
from eportfolio.kit.errors import N_, Conflict, InvalidInput, NotFound
from eportfolio.kit.events import Event
from eportfolio.kit.uow import UnitOfWork
from eportfolio.modules.markdown import render_markdown
from eportfolio.modules.repository import ModuleRepository
from eportfolio.modules.tables import Module as Module
from eportfolio.modules.tables import ModuleVersion as ModuleVersion
from eportfolio.programmes.repository import ProgrammeScope, loaded_scope
from eportfolio.programmes.service import Access, authorize

AUTHORS = MANAGING_ROLES
ASSIGNERS = MANAGING_ROLES | {Role.coach, Role.supervisor}

TRANSLATABLE_FIELDS = {
    "module": ("title", "theme", "summary"),
    "lesson": ("title", "body"),
    "template": ("title", "intro"),
    "question": ("prompt", "help", "options", "scale_min_label", "scale_max_label"),
}


def new_key() -> str:
    return uuid.uuid4().hex[:12]


# Read models -------------------------------------------------------------------------------


def _lessons(version: ModuleVersion) -> list[LessonRead]:
    return [LessonRead.model_validate(item) for item in version.lessons or []]


def _templates(version: ModuleVersion) -> list[TemplateRead]:
    return [TemplateRead.model_validate(item) for item in version.templates or []]


def version_read(version: ModuleVersion) -> ModuleVersionRead:
    return ModuleVersionRead(
        id=version.id,
        number=version.number,
        state=VersionState(version.state),
        title=version.title,
        theme=version.theme,
        language_level=LanguageLevel(version.language_level),
        summary=version.summary,
        translations=dict(version.translations or {}),
        lessons=_lessons(version),
        templates=_templates(version),
        created_at=version.created_at,
        published_at=version.published_at,
    )


def _working(versions: list[ModuleVersion]) -> ModuleVersion:
    drafts = [v for v in versions if v.state == VersionState.draft]
    published = [v for v in versions if v.state == VersionState.published]
    return (drafts or published or versions)[-1]


def module_read(module: Module, versions: list[ModuleVersion]) -> ModuleRead:
    published = [v for v in versions if v.state == VersionState.published]
    return ModuleRead(
        id=module.id,
        organisation_id=module.organisation_id,
        programme_id=module.programme_id,
        status=ModuleStatus(module.status),
        copied_from_id=module.copied_from_id,
        created_at=module.created_at,
        updated_at=module.updated_at,
        working=version_read(_working(versions)),
        published_number=published[-1].number if published else None,
        has_draft=any(v.state == VersionState.draft for v in versions),
    )


def localised_text(obj: dict[str, Any], field: str, language: str) -> Any:
    """The field in her language where a translation exists, Dutch otherwise."""
    if language != "nl":
        translated = (obj.get("translations") or {}).get(language, {}).get(field)
        if field == "options":
            if isinstance(translated, list) and len(translated) == len(obj.get("options") or []):
                return translated
        elif translated:
            return translated
    return obj.get(field)


def localised_template(template: dict[str, Any], language: str) -> LocalisedTemplate:
    return LocalisedTemplate(
        key=template["key"],
        title=localised_text(template, "title", language),
        intro=localised_text(template, "intro", language) or "",
        questions=[
            LocalisedQuestion(
                key=q["key"],
                kind=q["kind"],
                prompt=localised_text(q, "prompt", language),
                help=localised_text(q, "help", language) or "",
                options=list(localised_text(q, "options", language) or []),
                scale_min=q.get("scale_min", 1),
                scale_max=q.get("scale_max", 5),
                scale_min_label=localised_text(q, "scale_min_label", language) or "",
                scale_max_label=localised_text(q, "scale_max_label", language) or "",
                upload_kind=q.get("upload_kind"),
                required=q.get("required", True),
            )
            for q in template.get("questions") or []
        ],
    )


def localise(version: ModuleVersion, language: str) -> LocalisedModule:
    """The module as a participant sees it: one language, lessons as sanitised HTML."""
    module_texts = {
        "title": version.title,
        "theme": version.theme,
        "summary": version.summary,
        "translations": version.translations or {},
    }
    return LocalisedModule(
        module_id=version.module_id,
        version_id=version.id,
        number=version.number,
        language=language,
        title=localised_text(module_texts, "title", language),
        theme=localised_text(module_texts, "theme", language) or "",
        language_level=LanguageLevel(version.language_level),
        summary=localised_text(module_texts, "summary", language) or "",
        lessons=localised_lessons(version, language),
        templates=[localised_template(t, language) for t in version.templates or []],
    )


def localised_lessons(version: ModuleVersion, language: str) -> list[LocalisedLesson]:
    return [
        LocalisedLesson(
            key=lesson["key"],
            title=localised_text(lesson, "title", language),
            html=render_markdown(localised_text(lesson, "body", language) or ""),
            video_url=lesson.get("video_url"),
        )
        for lesson in version.lessons or []
    ]


def find_template(version: ModuleVersion, key: str | None) -> dict[str, Any] | None:
    return next((t for t in version.templates or [] if t["key"] == key), None)


# Authoring ---------------------------------------------------------------------------------


async def _module(
    repo: ModuleRepository, scope: ProgrammeScope, module_id: uuid.UUID
) -> tuple[Module, list[ModuleVersion]]:
    module = await repo.get_module(scope, module_id)
    if module is None:
        raise NotFound()
    return module, await repo.versions(scope, [module.id])


async def list_modules(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> list[ModuleRead]:
    """All modules of the programme for staff; the published ones for coaches."""
    access = await authorize(uow, caller, programme_id, ASSIGNERS)
    repo = ModuleRepository(uow.session)
    modules = await repo.list_modules(access.scope)
    if access.role not in AUTHORS:
        modules = [m for m in modules if m.status == ModuleStatus.published]
    versions = await repo.versions(access.scope, [m.id for m in modules])
    by_module: dict[uuid.UUID, list[ModuleVersion]] = {}
    for version in versions:
        by_module.setdefault(version.module_id, []).append(version)
    reads = [module_read(m, by_module[m.id]) for m in modules if m.id in by_module]
    if access.role not in AUTHORS:
        # Coaches work from what is published, never from a draft in progress.
        for read in reads:
            published = [v for v in by_module[read.id] if v.state == VersionState.published]
            read.working = version_read(published[-1])
    return reads


async def get_module(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, module_id: uuid.UUID) -> ModuleRead:
    access = await authorize(uow, caller, programme_id, AUTHORS)
    module, versions = await _module(ModuleRepository(uow.session), access.scope, module_id)
    return module_read(module, versions)


async def list_versions(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, module_id: uuid.UUID
) -> list[ModuleVersionRead]:
    access = await authorize(uow, caller, programme_id, AUTHORS)
    _, versions = await _module(ModuleRepository(uow.session), access.scope, module_id)
    return [version_read(v) for v in versions]


async def create_module(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, data: ModuleCreate) -> ModuleRead:
    access = await authorize(uow, caller, programme_id, AUTHORS)
    now = utcnow()
    module = Module(
        organisation_id=access.scope.organisation_id,
        programme_id=access.scope.programme_id,
        status=ModuleStatus.draft.value,
        created_by=caller.person_id,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(module)
    await uow.flush()
    version = ModuleVersion(
        organisation_id=module.organisation_id,
        programme_id=module.programme_id,
        module_id=module.id,
        number=1,
        state=VersionState.draft.value,
        title=data.title,
        theme=data.theme,
        language_level=data.language_level.value,
        summary=data.summary,
        translations={},
        lessons=[],
        templates=[],
        created_at=now,
    )
    uow.session.add(version)
    await uow.flush()
    return module_read(module, [version])


async def _editable(uow: UnitOfWork, access: Access, module_id: uuid.UUID) -> tuple[Module, ModuleVersion]:
    """The draft to change; when only published versions exist, a new draft copied from the latest.

    This is what keeps given assignments stable: a published version is never written again.
    """
    repo = ModuleRepository(uow.session)
    module, versions = await _module(repo, access.scope, module_id)
    if module.status == ModuleStatus.archived:
        raise Conflict(N_("This module is archived. Restore it before you change it."))
    module.updated_at = utcnow()
    drafts = [v for v in versions if v.state == VersionState.draft]
    if drafts:
        return module, drafts[-1]
    latest = versions[-1]
    draft = ModuleVersion(
        organisation_id=latest.organisation_id,
        programme_id=latest.programme_id,
        module_id=module.id,
        number=latest.number + 1,
        state=VersionState.draft.value,
        title=latest.title,
        theme=latest.theme,
        language_level=latest.language_level,
        summary=latest.summary,
        translations=dict(latest.translations or {}),
        lessons=list(latest.lessons or []),
        templates=list(latest.templates or []),
        created_at=utcnow(),
    )
    uow.session.add(draft)
    await uow.flush()
    return module, draft


async def _finish_edit(uow: UnitOfWork, module: Module) -> ModuleRead:
    await uow.flush()
    versions = await ModuleRepository(uow.session).versions(
        loaded_scope(module), [module.id]
    )
    return module_read(module, versions)


async def update_module(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, module_id: uuid.UUID, data: ModuleUpdate
) -> ModuleRead:
    access = await authorize(uow, caller, programme_id, AUTHORS)
    module, draft = await _editable(uow, access, module_id)
    for name, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(draft, name, value.value if isinstance(value, LanguageLevel) else value)
    return await _finish_edit(uow, module)


def _replace(items: list[dict[str, Any]], key: str, new: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A new list (JSON columns only notice assignment) with the item replaced, or removed if None."""
    if not any(item["key"] == key for item in items):
        raise NotFound()
    if new is None:
        return [item for item in items if item["key"] != key]
    return [new if item["key"] == key else item for item in items]


async def add_lesson(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, module_id: uuid.UUID, data: LessonCreate
) -> LessonRead:
    access = await authorize(uow, caller, programme_id, AUTHORS)
    module, draft = await _editable(uow, access, module_id)
    lesson = LessonRead(key=new_key(), **data.model_dump())
    draft.lessons = [*(draft.lessons or []), lesson.model_dump(mode="json")]
    await _finish_edit(uow, module)
    return lesson


async def update_lesson(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, module_id: uuid.UUID, key: str, data: LessonUpdate
) -> LessonRead:
    access = await authorize(uow, caller, programme_id, AUTHORS)
    module, draft = await _editable(uow, access, module_id)
    current = next((item for item in draft.lessons or [] if item["key"] == key), None)
    if current is None:
        raise NotFound()
    lesson = LessonRead.model_validate({**current, **data.model_dump(exclude_unset=True)})
    draft.lessons = _replace(list(draft.lessons), key, lesson.model_dump(mode="json"))
    await _finish_edit(uow, module)
    return lesson


async def delete_lesson(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, module_id: uuid.UUID, key: str
) -> None:
    access = await authorize(uow, caller, programme_id, AUTHORS)
    module, draft = await _editable(uow, access, module_id)
    draft.lessons = _replace(list(draft.lessons or []), key, None)
    await _finish_edit(uow, module)


async def add_template(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, module_id: uuid.UUID, data: TemplateCreate
) -> TemplateRead:
    access = await authorize(uow, caller, programme_id, AUTHORS)
    module, draft = await _editable(uow, access, module_id)
    template = TemplateRead(key=new_key(), **data.model_dump())
    draft.templates = [*(draft.templates or []), template.model_dump(mode="json")]
    await _finish_edit(uow, module)
    return template


def _template_in(draft: ModuleVersion, key: str) -> dict[str, Any]:
    template = find_template(draft, key)
    if template is None:
        raise NotFound()
    return template


async def update_template(
    uow: UnitOfWork,
    caller: Caller,
    programme_id: uuid.UUID,
    module_id: uuid.UUID,
    key: str,
    data: TemplateUpdate,
) -> TemplateRead:
    access = await authorize(uow, caller, programme_id, AUTHORS)
    module, draft = await _editable(uow, access, module_id)
    template = TemplateRead.model_validate({**_template_in(draft, key), **data.model_dump(exclude_unset=True)})
    draft.templates = _replace(list(draft.templates), key, template.model_dump(mode="json"))
    await _finish_edit(uow, module)
    return template


async def delete_template(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, module_id: uuid.UUID, key: str
) -> None:
    access = await authorize(uow, caller, programme_id, AUTHORS)
    module, draft = await _editable(uow, access, module_id)
    draft.templates = _replace(list(draft.templates or []), key, None)
    await _finish_edit(uow, module)


async def add_question(
    uow: UnitOfWork,
    caller: Caller,
    programme_id: uuid.UUID,
    module_id: uuid.UUID,
    template_key: str,
    data: QuestionCreate,
) -> QuestionRead:
    access = await authorize(uow, caller, programme_id, AUTHORS)
    module, draft = await _editable(uow, access, module_id)
    template = dict(_template_in(draft, template_key))
    if len(template.get("questions") or []) >= 60:
        raise InvalidInput(N_("An assignment can have at most 60 questions."))
    question = QuestionRead(key=new_key(), **data.model_dump())
    template["questions"] = [*(template.get("questions") or []), question.model_dump(mode="json")]
    draft.templates = _replace(list(draft.templates), template_key, template)
    await _finish_edit(uow, module)
    return question


async def update_question(
    uow: UnitOfWork,
    caller: Caller,
    programme_id: uuid.UUID,
    module_id: uuid.UUID,
    template_key: str,
    key: str,
    data: QuestionUpdate,
) -> QuestionRead:
    access = await authorize(uow, caller, programme_id, AUTHORS)
    module, draft = await _editable(uow, access, module_id)
    template = dict(_template_in(draft, template_key))
    current = next((q for q in template.get("questions") or [] if q["key"] == key), None)
    if current is None:
        raise NotFound()
    try:
        # Checked as a whole: a kind change must fit the options, scale and upload kind it now has.
        question = QuestionRead.model_validate({**current, **data.model_dump(exclude_unset=True)})
    except ValidationError as exc:
        raise InvalidInput(_first_problem(exc)) from exc
    template["questions"] = _replace(list(template["questions"]), key, question.model_dump(mode="json"))
    draft.templates = _replace(list(draft.templates), template_key, template)
    await _finish_edit(uow, module)
    return question


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    if error.get("type") == "value_error":
        return str((error.get("ctx") or {}).get("error", error.get("msg", "")))
    return N_("Some of what you entered is not right. Please check it.")


async def delete_question(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, module_id: uuid.UUID, template_key: str, key: str
) -> None:
    access = await authorize(uow, caller, programme_id, AUTHORS)
    module, draft = await _editable(uow, access, module_id)
    template = dict(_template_in(draft, template_key))
    template["questions"] = _replace(list(template.get("questions") or []), key, None)
    draft.templates = _replace(list(draft.templates), template_key, template)
    await _finish_edit(uow, module)


def translatable_texts(version: ModuleVersionRead) -> list[tuple[str, str, str | list[str]]]:
    """Every translatable text of a version as (path, field, Dutch text), in reading order."""
    rows: list[tuple[str, str, str | list[str]]] = []
    module = version.model_dump()
    for field in TRANSLATABLE_FIELDS["module"]:
        rows.append((f"module.{field}", field, module[field]))
    for lesson in module["lessons"]:
        rows.extend((f"{lesson['key']}.{f}", f, lesson[f]) for f in TRANSLATABLE_FIELDS["lesson"])
    for template in module["templates"]:
        rows.extend((f"{template['key']}.{f}", f, template[f]) for f in TRANSLATABLE_FIELDS["template"])
        for q in template["questions"]:
            rows.extend((f"{q['key']}.{f}", f, q[f]) for f in TRANSLATABLE_FIELDS["question"] if q[f] not in ("", []))
    return [row for row in rows if row[2] not in ("", [])]


def _apply_translation(obj: dict[str, Any], language: str, field: str, text: str) -> dict[str, Any]:
    translations = {k: dict(v) for k, v in (obj.get("translations") or {}).items()}
    entry = translations.setdefault(language, {})
    if field == "options":
        options = [line.strip() for line in text.splitlines() if line.strip()]
        if options and len(options) != len(obj.get("options") or []):
            raise InvalidInput(
                N_("Translate every option, one per line: %(count)s lines are needed."),
                params={"count": len(obj.get("options") or [])},
            )
        value: Any = options
    else:
        value = text.strip()
    if value:
        entry[field] = value
    else:
        entry.pop(field, None)
    if not entry:
        translations.pop(language)
    return {**obj, "translations": translations}


async def set_translation(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, module_id: uuid.UUID, data: TranslationUpdate
) -> ModuleRead:
    """Store translated texts for one of the programme's languages; an empty text falls back to Dutch."""
    access = await authorize(uow, caller, programme_id, AUTHORS)
    if data.language == "nl" or data.language not in access.programme.languages:
        raise InvalidInput(
            N_("This programme does not use this language. Add it in the programme settings first."),
            field="language",
        )
    module, draft = await _editable(uow, access, module_id)
    module_texts: dict[str, Any] = {"translations": draft.translations or {}}
    lessons = list(draft.lessons or [])
    templates = [dict(t, questions=list(t.get("questions") or [])) for t in draft.templates or []]
    for path, text in data.texts.items():
        key, _, field = path.partition(".")
        if key == "module" and field in TRANSLATABLE_FIELDS["module"]:
            module_texts = _apply_translation(module_texts, data.language, field, text)
            continue
        lesson_at = next((i for i, item in enumerate(lessons) if item["key"] == key), None)
        if lesson_at is not None and field in TRANSLATABLE_FIELDS["lesson"]:
            lessons[lesson_at] = _apply_translation(lessons[lesson_at], data.language, field, text)
            continue
        placed = False
        for template in templates:
            if template["key"] == key and field in TRANSLATABLE_FIELDS["template"]:
                template.update(_apply_translation(template, data.language, field, text))
                placed = True
            for i, question in enumerate(template["questions"]):
                if question["key"] == key and field in TRANSLATABLE_FIELDS["question"]:
                    template["questions"][i] = _apply_translation(question, data.language, field, text)
                    placed = True
        if not placed:
            raise InvalidInput(N_("This text is not part of the module any more. Reload the page."))
    draft.translations = module_texts["translations"]
    draft.lessons = lessons
    draft.templates = templates
    return await _finish_edit(uow, module)


async def publish_module(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, module_id: uuid.UUID) -> ModuleRead:
    access = await authorize(uow, caller, programme_id, AUTHORS)
    module, versions = await _module(ModuleRepository(uow.session), access.scope, module_id)
    if module.status == ModuleStatus.archived:
        raise Conflict(N_("This module is archived. Restore it before you change it."))
    drafts = [v for v in versions if v.state == VersionState.draft]
    if not drafts:
        raise Conflict(N_("There are no changes to publish."))
    draft = drafts[-1]
    if not draft.lessons and not draft.templates:
        raise InvalidInput(N_("Add a lesson or an assignment before you publish."))
    empty = [t["title"] for t in draft.templates or [] if not t.get("questions")]
    if empty:
        raise InvalidInput(N_("The assignment “%(title)s” has no questions yet."), params={"title": empty[0]})
    for version in versions:
        if version.state == VersionState.published:
            version.state = VersionState.superseded.value
    now = utcnow()
    draft.state, draft.published_at, draft.published_by = VersionState.published.value, now, caller.person_id
    module.status, module.updated_at = ModuleStatus.published.value, now
    await uow.flush()
    uow.emit(Event("modules.published", {"programme_id": str(programme_id), "module_id": str(module.id)}))
    return module_read(module, versions)


async def archive_module(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, module_id: uuid.UUID) -> ModuleRead:
    """Nobody can be given an archived module; assignments already given go on as they were."""
    access = await authorize(uow, caller, programme_id, AUTHORS)
    module, versions = await _module(ModuleRepository(uow.session), access.scope, module_id)
    if module.status == ModuleStatus.archived:
        raise Conflict(N_("This module is archived already."))
    module.status, module.updated_at = ModuleStatus.archived.value, utcnow()
    await uow.flush()
    return module_read(module, versions)


async def restore_module(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, module_id: uuid.UUID) -> ModuleRead:
    access = await authorize(uow, caller, programme_id, AUTHORS)
    module, versions = await _module(ModuleRepository(uow.session), access.scope, module_id)
    if module.status != ModuleStatus.archived:
        raise Conflict(N_("This module is not archived."))
    published = any(v.state == VersionState.published for v in versions)
    module.status = (ModuleStatus.published if published else ModuleStatus.draft).value
    module.updated_at = utcnow()
    await uow.flush()
    return module_read(module, versions)


def _keep_languages(obj: dict[str, Any], languages: set[str]) -> dict[str, Any]:
    kept = {k: v for k, v in (obj.get("translations") or {}).items() if k in languages}
    result = {**obj, "translations": kept}
    if "questions" in obj:
        result["questions"] = [_keep_languages(q, languages) for q in obj["questions"] or []]
    return result


async def copy_module(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, module_id: uuid.UUID, data: ModuleCopy
) -> ModuleRead:
    """A new draft module in another programme of the organisation, from the latest published content."""
    source_access = await authorize(uow, caller, programme_id, AUTHORS)
    target_access = await authorize(uow, caller, data.target_programme_id, AUTHORS)
    repo = ModuleRepository(uow.session)
    module, versions = await _module(repo, source_access.scope, module_id)
    published = [v for v in versions if v.state == VersionState.published]
    source = (published or versions)[-1]
    languages = set(target_access.programme.languages) - {"nl"}
    now = utcnow()
    copy = Module(
        organisation_id=target_access.scope.organisation_id,
        programme_id=target_access.scope.programme_id,
        status=ModuleStatus.draft.value,
        copied_from_id=module.id,
        created_by=caller.person_id,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(copy)
    await uow.flush()
    version = ModuleVersion(
        organisation_id=copy.organisation_id,
        programme_id=copy.programme_id,
        module_id=copy.id,
        number=1,
        state=VersionState.draft.value,
        title=source.title,
        theme=source.theme,
        language_level=source.language_level,
        summary=source.summary,
        translations={k: v for k, v in (source.translations or {}).items() if k in languages},
        lessons=[_keep_languages(item, languages) for item in source.lessons or []],
        templates=[_keep_languages(item, languages) for item in source.templates or []],
        created_at=now,
    )
    uow.session.add(version)
    await uow.flush()
    return module_read(copy, [version])


def content_language(requested: str | None, languages: Iterable[str]) -> str:
    """Her language where the programme offers it, Dutch otherwise."""
    return requested if requested in set(languages) else "nl"


async def preview_module(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, module_id: uuid.UUID, language: str | None
) -> LocalisedModule:
    """The working version (draft included) exactly as a participant would see it."""
    access = await authorize(uow, caller, programme_id, AUTHORS)
    _, versions = await _module(ModuleRepository(uow.session), access.scope, module_id)
    return localise(_working(versions), content_language(language, access.programme.languages))


async def view_module(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, module_id: uuid.UUID, language: str | None
) -> LocalisedModule:
    """A published module for anyone in the programme (programme content is not about a person)."""
    access = await authorize(uow, caller, programme_id, Role)
    module, versions = await _module(ModuleRepository(uow.session), access.scope, module_id)
    published = [v for v in versions if v.state == VersionState.published]
    if not published or (module.status == ModuleStatus.archived and access.role not in AUTHORS):
        raise NotFound()
    return localise(published[-1], content_language(language, access.programme.languages))


# For the assignments feature: modules and versions by an access it already holds --------------


async def published_version(uow: UnitOfWork, access: Access, module_id: uuid.UUID) -> ModuleVersion:
    """The version of a module that can be given to participants now: its latest published one."""
    module, versions = await _module(ModuleRepository(uow.session), access.scope, module_id)
    published = [v for v in versions if v.state == VersionState.published]
    if module.status != ModuleStatus.published or not published:
        raise Conflict(N_("This module is not published, so it cannot be given to anyone."), field="module_id")
    return published[-1]


async def versions_by_id(
    uow: UnitOfWork, access: Access, version_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, ModuleVersion]:
    """Versions of the programme's modules by id (those assignments point at)."""
    return await ModuleRepository(uow.session).get_versions(access.scope, version_ids)


async def module_titles(uow: UnitOfWork, access: Access) -> dict[uuid.UUID, str]:
    """Module id -> the title of its latest version, for every module of the programme."""
    repo = ModuleRepository(uow.session)
    modules = await repo.list_modules(access.scope)
    versions = await repo.versions(access.scope, [m.id for m in modules])
    return {v.module_id: v.title for v in versions}  # ordered by number: the latest wins
