"""Use cases of the modules feature: authoring and publishing modules, giving assignments,
answering them (as encrypted envelopes), feedback, the review queue and notifications.

Authorisation comes first in every use case. A published version is never changed: an edit makes
a new draft version, and assignments keep pointing at the version they were given from. The server
never sees what a participant answers or what a coach writes back: both arrive encrypted.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from eportfolio import crypto
from eportfolio.domain.modules import (
    AnswerRead,
    AssignmentCreate,
    AssignmentDetail,
    AssignmentKind,
    AssignmentProgress,
    AssignmentRead,
    AssignmentStatus,
    CompletionRow,
    EnvelopeRead,
    EnvelopeWrite,
    FeedbackRead,
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
    NotificationKind,
    NotificationRead,
    PersonalAssignmentCreate,
    QuestionCreate,
    QuestionRead,
    QuestionUpdate,
    ReviewItem,
    TemplateCreate,
    TemplateRead,
    TemplateUpdate,
    TranslationUpdate,
    VersionState,
)
from eportfolio.domain.people import MANAGING_ROLES, Role
from eportfolio.domain.programmes import LanguageLevel
from eportfolio.kit.audit import Action, personal_data, record_access
from eportfolio.kit.auth import Caller
from eportfolio.kit.clock import utcnow
from eportfolio.kit.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from eportfolio.kit.events import Event
from eportfolio.kit.uow import UnitOfWork
from eportfolio.modules.markdown import render_markdown
from eportfolio.modules.repository import ModuleRepository
from eportfolio.modules.tables import (
    AssignmentAnswer,
    AssignmentFeedback,
    Module,
    ModuleAssignment,
    ModuleVersion,
)
from eportfolio.notifications import service as notifications
from eportfolio.notifications.tables import Notification
from eportfolio.portfolio.repository import PortfolioRepository
from eportfolio.portfolio.service import StaleEpoch
from eportfolio.programmes import service as programmes
from eportfolio.programmes.repository import ProgrammeScope
from eportfolio.programmes.service import Access, authorize

AUTHORS = MANAGING_ROLES
ASSIGNERS = MANAGING_ROLES | {Role.coach, Role.supervisor}
COACHING = frozenset({Role.coach, Role.supervisor})
READERS = frozenset({Role.participant, Role.coach, Role.supervisor})
PERSONAL_QUESTION_KEY = "answer"  # a personal assignment has one answer
REMINDER_DAYS = 2  # remind her this many days before the due date
OPEN_STATUSES = (AssignmentStatus.assigned.value, AssignmentStatus.in_progress.value)
# An item key wrapped under a portfolio epoch key: version, secret-box tag, item-key purpose,
# then the wrapping key's id (which names the epoch), nonce, key and tag (docs/crypto-spec.md).
ITEM_WRAP_BYTES = 79
ITEM_WRAP_PREFIX = b"\x01\x02\x05"

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


def _text(obj: dict[str, Any], field: str, language: str) -> Any:
    """The field in her language where a translation exists, Dutch otherwise."""
    if language != "nl":
        translated = (obj.get("translations") or {}).get(language, {}).get(field)
        if field == "options":
            if isinstance(translated, list) and len(translated) == len(obj.get("options") or []):
                return translated
        elif translated:
            return translated
    return obj.get(field)


def _localised_template(template: dict[str, Any], language: str) -> LocalisedTemplate:
    return LocalisedTemplate(
        key=template["key"],
        title=_text(template, "title", language),
        intro=_text(template, "intro", language) or "",
        questions=[
            LocalisedQuestion(
                key=q["key"],
                kind=q["kind"],
                prompt=_text(q, "prompt", language),
                help=_text(q, "help", language) or "",
                options=list(_text(q, "options", language) or []),
                scale_min=q.get("scale_min", 1),
                scale_max=q.get("scale_max", 5),
                scale_min_label=_text(q, "scale_min_label", language) or "",
                scale_max_label=_text(q, "scale_max_label", language) or "",
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
        title=_text(module_texts, "title", language),
        theme=_text(module_texts, "theme", language) or "",
        language_level=LanguageLevel(version.language_level),
        summary=_text(module_texts, "summary", language) or "",
        lessons=_localised_lessons(version, language),
        templates=[_localised_template(t, language) for t in version.templates or []],
    )


def _localised_lessons(version: ModuleVersion, language: str) -> list[LocalisedLesson]:
    return [
        LocalisedLesson(
            key=lesson["key"],
            title=_text(lesson, "title", language),
            html=render_markdown(_text(lesson, "body", language) or ""),
            video_url=lesson.get("video_url"),
        )
        for lesson in version.lessons or []
    ]


def check_envelope(data: EnvelopeWrite, field: str = "envelope") -> None:
    """The envelope must be one, encrypted under the key it names, with its key wrapped for her coaches.

    The server cannot open it; it checks the shape only, as the portfolio service does, so that a
    row here can become a portfolio item without re-encrypting anything.
    """
    try:
        inside = crypto.envelope_key_id(crypto.b64u_decode(data.envelope))
        named = crypto.b64u_decode(data.key_id)
    except (crypto.CryptoError, ValueError):
        raise InvalidInput(
            N_("This is not a valid encrypted answer. Reload the page and try again."), field=field
        ) from None
    if inside != named:
        raise InvalidInput(N_("The text is not encrypted under the key it names."), field=field)
    try:
        wrap = crypto.b64u_decode(data.item_key_wrap or "")
    except (crypto.CryptoError, ValueError):
        wrap = b""
    if len(wrap) != ITEM_WRAP_BYTES or not wrap.startswith(ITEM_WRAP_PREFIX):
        raise InvalidInput(
            N_("The key of this text is missing or damaged, so her coaches could not read it."), field="item_key_wrap"
        )


async def check_current_epoch(
    uow: UnitOfWork, scope: ProgrammeScope, participant_id: uuid.UUID, data: EnvelopeWrite
) -> None:
    """The item key must be wrapped under her portfolio's current key, as for a portfolio item.

    After a coach left, her portfolio has a new key he never got; a browser still holding the
    old one gets 409 ``stale_epoch``, fetches the new key and seals again, so nothing written
    after he left is readable with what he kept.
    """
    portfolio = await PortfolioRepository(uow.session).find_portfolio(scope, participant_id)
    current = crypto.b64u_decode(portfolio.epoch_key_id) if portfolio and portfolio.epoch_key_id else None
    wrap = crypto.b64u_decode(data.item_key_wrap or "")
    if portfolio is None or current is None or wrap[3:19] != current:
        raise StaleEpoch(portfolio.epoch if portfolio else 0)


async def _new_row_id(repo: ModuleRepository, data: EnvelopeWrite) -> uuid.UUID:
    if data.id is None:
        return uuid.uuid4()
    if await repo.id_in_use(data.id):
        raise Conflict(N_("This was saved already. Reload the page to see it."), field="id")
    return data.id


def _same_row(existing_id: uuid.UUID, data: EnvelopeWrite) -> None:
    if data.id is not None and data.id != existing_id:
        raise Conflict(N_("This was saved already. Reload the page to see it."), field="id")


def _find_template(version: ModuleVersion, key: str | None) -> dict[str, Any] | None:
    return next((t for t in version.templates or [] if t["key"] == key), None)


def _envelope(envelope: str | None, key_id: str | None, wrap: str | None, revision: int) -> EnvelopeRead:
    return EnvelopeRead(envelope=envelope or "", key_id=key_id or "", item_key_wrap=wrap, revision=revision)


def assignment_read(row: ModuleAssignment, version: ModuleVersion | None, language: str) -> AssignmentRead:
    template = _find_template(version, row.template_key) if version is not None else None
    content = None
    if row.kind == AssignmentKind.personal:
        content = _envelope(row.content_envelope, row.content_key_id, row.content_key_wrap, row.content_revision)
    module_texts = {"title": version.title, "translations": version.translations or {}} if version is not None else {}
    return AssignmentRead(
        id=row.id,
        organisation_id=row.organisation_id,
        programme_id=row.programme_id,
        participant_id=row.participant_id,
        assigned_by=row.assigned_by,
        kind=AssignmentKind(row.kind),
        module_id=row.module_id,
        module_version_id=row.module_version_id,
        template_key=row.template_key,
        group_id=row.group_id,
        title=_text(template, "title", language) if template else "",
        module_title=_text(module_texts, "title", language) if module_texts else "",
        due_on=row.due_on,
        status=AssignmentStatus(row.status),
        assigned_at=row.assigned_at,
        started_at=row.started_at,
        submitted_at=row.submitted_at,
        feedback_at=row.feedback_at,
        completed_at=row.completed_at,
        content=content,
    )


def progress_of(
    row: ModuleAssignment, version: ModuleVersion | None, read: set[str], answered: set[str]
) -> AssignmentProgress:
    """Her progress through one assignment: only lessons and questions of the version she was given count."""
    lesson_keys = [lesson["key"] for lesson in (version.lessons or [])] if version is not None else []
    question_keys = _question_keys(row, version)
    return AssignmentProgress(
        lessons_total=len(lesson_keys),
        lessons_read=[key for key in lesson_keys if key in read],
        questions_total=len(question_keys),
        questions_answered=len(answered & question_keys.keys()),
    )


async def _assignment_reads(
    repo: ModuleRepository,
    scope: ProgrammeScope,
    rows: list[ModuleAssignment],
    language: str,
    *,
    with_progress: bool = False,
) -> list[AssignmentRead]:
    """Read models for a list, in a fixed number of queries however long the list is."""
    versions = await repo.get_versions(scope, {r.module_version_id for r in rows if r.module_version_id})
    reads: list[AssignmentRead] = []
    if with_progress:
        ids = [r.id for r in rows]
        read, answered = await repo.lessons_read(scope, ids), await repo.answered_keys(scope, ids)
    for r in rows:
        version = versions.get(r.module_version_id) if r.module_version_id else None
        item = assignment_read(r, version, language)
        if with_progress:
            item.progress = progress_of(r, version, read.get(r.id, set()), answered.get(r.id, set()))
        reads.append(item)
    return reads


def answer_read(row: AssignmentAnswer) -> AnswerRead:
    return AnswerRead(
        id=row.id,
        assignment_id=row.assignment_id,
        question_key=row.question_key,
        author_id=row.author_id,
        envelope=_envelope(row.envelope, row.key_id, row.item_key_wrap, row.revision),
        updated_at=row.updated_at,
    )


def feedback_read(row: AssignmentFeedback) -> FeedbackRead:
    return FeedbackRead(
        id=row.id,
        assignment_id=row.assignment_id,
        author_id=row.author_id,
        envelope=_envelope(row.envelope, row.key_id, row.item_key_wrap, row.revision),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def notification_read(row: Notification) -> NotificationRead:
    return NotificationRead.model_validate(row)


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
        ProgrammeScope(module.organisation_id, module.programme_id), [module.id]
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
    template = _find_template(draft, key)
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


# Assigning ---------------------------------------------------------------------------------


def _today(access: Access) -> date:
    return utcnow().astimezone(ZoneInfo(access.programme.time_zone)).date()


async def caseload(uow: UnitOfWork, caller: Caller, access: Access) -> set[uuid.UUID]:
    """The participants this coach coaches today: his coach assignments that count (signed by
    someone other than himself, current; ``programmes.repository.counting_assignment``)."""
    if access.role not in COACHING:
        return set()
    rows = await programmes.list_assignments(uow, caller, access.scope.programme_id, counting=True)
    return {r.participant_id for r in rows if r.coach_id == caller.person_id}


async def _coaches_of(uow: UnitOfWork, caller: Caller, access: Access, participant_id: uuid.UUID) -> set[uuid.UUID]:
    """Her coaches today: those whose assignment for her counts."""
    rows = await programmes.list_assignments(
        uow, caller, access.scope.programme_id, participant_id=participant_id, counting=True
    )
    return {r.coach_id for r in rows if r.participant_id == participant_id}


async def _notify(
    uow: UnitOfWork,
    access: Access,
    person_id: uuid.UUID,
    kind: NotificationKind,
    subject_id: uuid.UUID,
    link: str,
    params: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> None:
    await notifications.notify(
        uow,
        organisation_id=access.scope.organisation_id,
        programme_id=access.scope.programme_id,
        person_id=person_id,
        kind=kind.value,
        subject_id=subject_id,
        link=link,
        params=params,
        dedupe_key=dedupe_key,
    )


def _assignment_link(programme_id: uuid.UUID, assignment_id: uuid.UUID) -> str:
    return f"/programmes/{programme_id}/assignments/{assignment_id}"


@personal_data("module_assignment")
async def assign(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, data: AssignmentCreate
) -> list[AssignmentRead]:
    """Give a template, or every template of a module, to one participant or each member of a group."""
    access = await authorize(uow, caller, programme_id, ASSIGNERS)
    repo = ModuleRepository(uow.session)
    module, versions = await _module(repo, access.scope, data.module_id)
    published = [v for v in versions if v.state == VersionState.published]
    if module.status != ModuleStatus.published or not published:
        raise Conflict(N_("This module is not published, so it cannot be given to anyone."), field="module_id")
    version = published[-1]
    if data.template_key is None:
        templates = list(version.templates or [])
    else:
        template = _find_template(version, data.template_key)
        templates = [template] if template is not None else []
        if template is None:
            raise InvalidInput(N_("This assignment is not part of the published module."), field="template_key")
    if not templates:
        raise InvalidInput(N_("This module has no assignments to give."), field="module_id")
    if data.due_on is not None and data.due_on < _today(access):
        raise InvalidInput(N_("The due date is in the past."), field="due_on")
    participants = await _audience(uow, caller, access, data)
    now = utcnow()
    rows = [
        ModuleAssignment(
            organisation_id=access.scope.organisation_id,
            programme_id=access.scope.programme_id,
            participant_id=participant_id,
            assigned_by=caller.person_id,
            kind=AssignmentKind.template.value,
            module_id=module.id,
            module_version_id=version.id,
            template_key=template["key"],
            group_id=data.group_id,
            due_on=data.due_on,
            status=AssignmentStatus.assigned.value,
            assigned_at=now,
        )
        for participant_id in participants
        for template in templates
    ]
    uow.session.add_all(rows)
    await uow.flush()
    for row in rows:
        await _notify(
            uow,
            access,
            row.participant_id,
            NotificationKind.assignment_given,
            row.id,
            _assignment_link(programme_id, row.id),
            {"title": _text(_find_template(version, row.template_key) or {}, "title", "nl")},
        )
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=participants,
        record_kind="module_assignment",
        action=Action.create,
        programme_id=programme_id,
    )
    await uow.flush()
    uow.emit(
        Event("modules.assigned", {"programme_id": str(programme_id), "assignment_ids": [str(r.id) for r in rows]})
    )
    return [assignment_read(r, version, "nl") for r in rows]


async def _audience(uow: UnitOfWork, caller: Caller, access: Access, data: AssignmentCreate) -> list[uuid.UUID]:
    if data.group_id is not None:
        members = await programmes.list_group_members(uow, caller, access.scope.programme_id, data.group_id)
        if not members:
            raise InvalidInput(N_("This group has no members yet."), field="group_id")
        return [m.id for m in members]
    assert data.participant_id is not None
    await _check_can_assign_to(uow, caller, access, data.participant_id)
    return [data.participant_id]


async def _check_can_assign_to(uow: UnitOfWork, caller: Caller, access: Access, participant_id: uuid.UUID) -> None:
    if access.role in COACHING:
        if participant_id not in await caseload(uow, caller, access):
            raise Forbidden(N_("You can only give assignments to participants you coach."), field="participant_id")
        return
    people = await programmes.list_people(uow, caller, access.scope.programme_id)
    if not any(p.id == participant_id and any(m.role == Role.participant and m.active for m in ms) for p, ms in people):
        raise InvalidInput(N_("Choose a participant of this programme."), field="participant_id")


@personal_data("module_assignment")
async def assign_personal(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, data: PersonalAssignmentCreate
) -> AssignmentRead:
    """An assignment her coach wrote for her alone; the server stores only its ciphertext."""
    access = await authorize(uow, caller, programme_id, COACHING)
    await _check_can_assign_to(uow, caller, access, data.participant_id)
    if data.content.base_revision != 0:
        raise Conflict(N_("A new assignment starts at revision 0."))
    check_envelope(data.content, "content")
    await check_current_epoch(uow, access.scope, data.participant_id, data.content)
    if data.due_on is not None and data.due_on < _today(access):
        raise InvalidInput(N_("The due date is in the past."), field="due_on")
    row = ModuleAssignment(
        id=await _new_row_id(ModuleRepository(uow.session), data.content),
        organisation_id=access.scope.organisation_id,
        programme_id=access.scope.programme_id,
        participant_id=data.participant_id,
        assigned_by=caller.person_id,
        kind=AssignmentKind.personal.value,
        due_on=data.due_on,
        status=AssignmentStatus.assigned.value,
        assigned_at=utcnow(),
        content_envelope=data.content.envelope,
        content_key_id=data.content.key_id,
        content_key_wrap=data.content.item_key_wrap,
        content_revision=1,
    )
    uow.session.add(row)
    await uow.flush()
    await _notify(
        uow,
        access,
        row.participant_id,
        NotificationKind.assignment_given,
        row.id,
        _assignment_link(programme_id, row.id),
    )
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[data.participant_id],
        record_kind="module_assignment",
        action=Action.create,
        programme_id=programme_id,
    )
    await uow.flush()
    return assignment_read(row, None, "nl")


# Her assignments, answers and feedback ----------------------------------------------------


async def _reader_access(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> Access:
    try:
        return await authorize(uow, caller, programme_id, READERS)
    except Forbidden:
        raise Forbidden(
            N_("Answers are only for her and her coaches. Staff see how far people are, not what they wrote.")
        ) from None


async def _readable_assignment(
    uow: UnitOfWork, caller: Caller, access: Access, assignment_id: uuid.UUID
) -> ModuleAssignment:
    """Her own assignment, or one of a participant this coach coaches today; otherwise not found."""
    row = await ModuleRepository(uow.session).get_assignment(access.scope, assignment_id)
    if row is None:
        raise NotFound()
    if access.role is Role.participant:
        if row.participant_id != caller.person_id:
            raise NotFound()
    elif row.participant_id not in await caseload(uow, caller, access):
        raise NotFound()
    return row


@personal_data("module_assignment")
async def list_my_assignments(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, language: str | None = None
) -> list[AssignmentRead]:
    """What is given to her, soonest due first; reminds her once of what is due soon."""
    access = await authorize(uow, caller, programme_id, {Role.participant})
    repo = ModuleRepository(uow.session)
    await _remind(uow, repo, access.scope, _today(access), person_id=caller.person_id)
    rows = await repo.assignments_of(access.scope, [caller.person_id])
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[caller.person_id],
        record_kind="module_assignment",
        action=Action.read,
        programme_id=programme_id,
    )
    return await _assignment_reads(
        repo,
        access.scope,
        rows,
        content_language(language or caller.language, access.programme.languages),
        with_progress=True,
    )


@personal_data("module_assignment")
async def list_participant_assignments(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, participant_id: uuid.UUID
) -> list[AssignmentRead]:
    """For her coach: everything given to one participant of her caseload, with its status."""
    access = await authorize(uow, caller, programme_id, COACHING)
    if participant_id not in await caseload(uow, caller, access):
        raise NotFound()
    repo = ModuleRepository(uow.session)
    rows = await repo.assignments_of(access.scope, [participant_id])
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[participant_id],
        record_kind="module_assignment",
        action=Action.read,
        programme_id=programme_id,
    )
    return await _assignment_reads(repo, access.scope, rows, "nl", with_progress=True)


@personal_data("assignment_answer")
async def get_assignment(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, assignment_id: uuid.UUID, language: str | None = None
) -> AssignmentDetail:
    """The assignment with its questions, her encrypted answers and her coaches' encrypted feedback."""
    access = await _reader_access(uow, caller, programme_id)
    row = await _readable_assignment(uow, caller, access, assignment_id)
    repo = ModuleRepository(uow.session)
    versions = await repo.get_versions(access.scope, [row.module_version_id] if row.module_version_id else [])
    version = versions.get(row.module_version_id) if row.module_version_id else None
    lang = content_language(language or caller.language, access.programme.languages)
    template = _find_template(version, row.template_key) if version is not None else None
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[row.participant_id],
        record_kind="assignment_answer",
        action=Action.read,
        programme_id=programme_id,
    )
    answers = await repo.answers(access.scope, row.id)
    read = await repo.lessons_read(access.scope, [row.id])
    assignment = assignment_read(row, version, lang)
    assignment.progress = progress_of(row, version, read.get(row.id, set()), {a.question_key for a in answers})
    return AssignmentDetail(
        assignment=assignment,
        template=_localised_template(template, lang) if template else None,
        lessons=_localised_lessons(version, lang) if version is not None else [],
        answers=[answer_read(a) for a in answers],
        feedback=[feedback_read(f) for f in await repo.feedback(access.scope, row.id)],
    )


@personal_data("assignment_progress")
async def mark_lesson_read(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, assignment_id: uuid.UUID, lesson_key: str
) -> AssignmentProgress:
    """She read one lesson of the module of her assignment (opened it to the end, or tapped "read").

    Only she marks her own lessons. Marking one again changes nothing; reading counts as starting.
    """
    access = await authorize(uow, caller, programme_id, {Role.participant})
    row = await _readable_assignment(uow, caller, access, assignment_id)
    repo = ModuleRepository(uow.session)
    versions = await repo.get_versions(access.scope, [row.module_version_id] if row.module_version_id else [])
    version = versions.get(row.module_version_id) if row.module_version_id else None
    if version is None or lesson_key not in {lesson["key"] for lesson in version.lessons or []}:
        raise NotFound(N_("This lesson is not part of this assignment."))
    now = utcnow()
    await repo.mark_lesson_read(access.scope, row, lesson_key, now)
    if row.status == AssignmentStatus.assigned:
        row.status = AssignmentStatus.in_progress.value
        row.started_at = row.started_at or now
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[row.participant_id],
        record_kind="assignment_progress",
        action=Action.update,
        programme_id=programme_id,
    )
    await uow.flush()
    read = await repo.lessons_read(access.scope, [row.id])
    answered = await repo.answered_keys(access.scope, [row.id])
    return progress_of(row, version, read.get(row.id, set()), answered.get(row.id, set()))


def _question_keys(row: ModuleAssignment, version: ModuleVersion | None) -> dict[str, bool]:
    """Question key -> required, for the version she was given."""
    if row.kind == AssignmentKind.personal:
        return {PERSONAL_QUESTION_KEY: True}
    template = _find_template(version, row.template_key) if version is not None else None
    return {q["key"]: bool(q.get("required", True)) for q in (template or {}).get("questions") or []}


async def _own_open_assignment(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, assignment_id: uuid.UUID
) -> tuple[Access, ModuleAssignment, ModuleVersion | None]:
    access = await authorize(uow, caller, programme_id, {Role.participant})
    row = await _readable_assignment(uow, caller, access, assignment_id)
    if row.status == AssignmentStatus.completed:
        raise Conflict(N_("This assignment is completed. Answers can no longer be changed."))
    if row.status == AssignmentStatus.submitted:
        raise Conflict(N_("You have handed this in. Wait for your coach's feedback before you change it."))
    versions = await ModuleRepository(uow.session).get_versions(
        access.scope, [row.module_version_id] if row.module_version_id else []
    )
    return access, row, versions.get(row.module_version_id) if row.module_version_id else None


@personal_data("assignment_answer")
async def save_answer(
    uow: UnitOfWork,
    caller: Caller,
    programme_id: uuid.UUID,
    assignment_id: uuid.UUID,
    question_key: str,
    data: EnvelopeWrite,
) -> AnswerRead:
    """Store a new revision of her encrypted answer to one question (her autosaved draft)."""
    access, row, version = await _own_open_assignment(uow, caller, programme_id, assignment_id)
    if question_key not in _question_keys(row, version):
        raise NotFound(N_("This question is not part of this assignment."))
    check_envelope(data)
    await check_current_epoch(uow, access.scope, row.participant_id, data)
    repo = ModuleRepository(uow.session)
    existing = await repo.get_answer(access.scope, row.id, question_key)
    current = existing.revision if existing is not None else 0
    if existing is not None:
        _same_row(existing.id, data)
    if data.base_revision != current:
        raise Conflict(N_("This answer was saved somewhere else in the meantime. Reload to see the latest version."))
    now = utcnow()
    values: dict[str, object] = {
        "envelope": data.envelope,
        "key_id": data.key_id,
        "item_key_wrap": data.item_key_wrap,
        "revision": current + 1,
        "size": len(data.envelope),
        "updated_at": now,
        "author_id": caller.person_id,
    }
    if existing is None:
        existing = AssignmentAnswer(
            id=await _new_row_id(repo, data),
            organisation_id=access.scope.organisation_id,
            programme_id=access.scope.programme_id,
            assignment_id=row.id,
            participant_id=row.participant_id,
            question_key=question_key,
            created_at=now,
            **values,
        )
        uow.session.add(existing)
    elif not await repo.compare_and_set_answer(existing.id, current, values):
        raise Conflict(N_("This answer was saved somewhere else in the meantime. Reload to see the latest version."))
    if row.status in (AssignmentStatus.assigned, AssignmentStatus.feedback_given):
        row.status = AssignmentStatus.in_progress.value
        row.started_at = row.started_at or now
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[row.participant_id],
        record_kind="assignment_answer",
        action=Action.update if current else Action.create,
        programme_id=programme_id,
    )
    await uow.flush()
    await uow.session.refresh(existing)
    return answer_read(existing)


@personal_data("module_assignment")
async def submit(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, assignment_id: uuid.UUID) -> AssignmentRead:
    """She hands it in; her coaches find it in their review queue."""
    access, row, version = await _own_open_assignment(uow, caller, programme_id, assignment_id)
    answered = {a.question_key for a in await ModuleRepository(uow.session).answers(access.scope, row.id)}
    missing = [key for key, required in _question_keys(row, version).items() if required and key not in answered]
    if missing:
        raise InvalidInput(
            N_("Please answer every question before you hand this in. Still open: %(count)s."),
            params={"count": len(missing)},
        )
    now = utcnow()
    row.status, row.submitted_at = AssignmentStatus.submitted.value, now
    row.started_at = row.started_at or now
    for coach_id in await _coaches_of(uow, caller, access, row.participant_id):
        await _notify(
            uow,
            access,
            coach_id,
            NotificationKind.submitted,
            row.id,
            _assignment_link(programme_id, row.id),
            {"name": caller.display_name},
        )
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[row.participant_id],
        record_kind="module_assignment",
        action=Action.update,
        programme_id=programme_id,
    )
    await uow.flush()
    uow.emit(Event("modules.submitted", {"programme_id": str(programme_id), "assignment_id": str(row.id)}))
    return assignment_read(row, version, "nl")


async def _coached_assignment(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, assignment_id: uuid.UUID
) -> tuple[Access, ModuleAssignment]:
    try:
        access = await authorize(uow, caller, programme_id, COACHING)
    except Forbidden:
        raise Forbidden(N_("Only her coach can give feedback or mark an assignment as done.")) from None
    return access, await _readable_assignment(uow, caller, access, assignment_id)


@personal_data("assignment_feedback")
async def give_feedback(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, assignment_id: uuid.UUID, data: EnvelopeWrite
) -> FeedbackRead:
    access, row = await _coached_assignment(uow, caller, programme_id, assignment_id)
    if row.status not in (AssignmentStatus.submitted, AssignmentStatus.feedback_given):
        raise Conflict(N_("She has not handed this in yet, or it is already completed."))
    if data.base_revision != 0:
        raise Conflict(N_("New feedback starts at revision 0."))
    check_envelope(data)
    await check_current_epoch(uow, access.scope, row.participant_id, data)
    now = utcnow()
    feedback = AssignmentFeedback(
        id=await _new_row_id(ModuleRepository(uow.session), data),
        organisation_id=access.scope.organisation_id,
        programme_id=access.scope.programme_id,
        assignment_id=row.id,
        participant_id=row.participant_id,
        author_id=caller.person_id,
        envelope=data.envelope,
        key_id=data.key_id,
        item_key_wrap=data.item_key_wrap,
        revision=1,
        size=len(data.envelope),
        created_at=now,
        updated_at=now,
    )
    uow.session.add(feedback)
    row.status, row.feedback_at = AssignmentStatus.feedback_given.value, now
    await _notify(
        uow,
        access,
        row.participant_id,
        NotificationKind.feedback_given,
        row.id,
        _assignment_link(programme_id, row.id),
        {"name": caller.display_name},
    )
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[row.participant_id],
        record_kind="assignment_feedback",
        action=Action.create,
        programme_id=programme_id,
    )
    await uow.flush()
    uow.emit(Event("modules.feedback_given", {"programme_id": str(programme_id), "assignment_id": str(row.id)}))
    return feedback_read(feedback)


@personal_data("assignment_feedback")
async def update_feedback(
    uow: UnitOfWork,
    caller: Caller,
    programme_id: uuid.UUID,
    assignment_id: uuid.UUID,
    feedback_id: uuid.UUID,
    data: EnvelopeWrite,
) -> FeedbackRead:
    access, row = await _coached_assignment(uow, caller, programme_id, assignment_id)
    repo = ModuleRepository(uow.session)
    feedback = await repo.get_feedback(access.scope, row.id, feedback_id)
    if feedback is None:
        raise NotFound()
    if feedback.author_id != caller.person_id:
        raise Forbidden(N_("Only the coach who wrote this feedback can change it."))
    if row.status == AssignmentStatus.completed:
        raise Conflict(N_("This assignment is completed. Feedback can no longer be changed."))
    check_envelope(data)
    await check_current_epoch(uow, access.scope, row.participant_id, data)
    _same_row(feedback.id, data)
    values: dict[str, object] = {
        "envelope": data.envelope,
        "key_id": data.key_id,
        "item_key_wrap": data.item_key_wrap,
        "revision": data.base_revision + 1,
        "size": len(data.envelope),
        "updated_at": utcnow(),
    }
    if data.base_revision != feedback.revision or not await repo.compare_and_set_feedback(
        feedback.id, data.base_revision, values
    ):
        raise Conflict(N_("This feedback was changed somewhere else in the meantime. Reload to see it."))
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[row.participant_id],
        record_kind="assignment_feedback",
        action=Action.update,
        programme_id=programme_id,
    )
    await uow.flush()
    await uow.session.refresh(feedback)
    return feedback_read(feedback)


@personal_data("module_assignment")
async def complete(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, assignment_id: uuid.UUID
) -> AssignmentRead:
    access, row = await _coached_assignment(uow, caller, programme_id, assignment_id)
    if row.status not in (AssignmentStatus.submitted, AssignmentStatus.feedback_given):
        raise Conflict(N_("She has not handed this in yet, or it is already completed."))
    row.status, row.completed_at = AssignmentStatus.completed.value, utcnow()
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[row.participant_id],
        record_kind="module_assignment",
        action=Action.update,
        programme_id=programme_id,
    )
    await uow.flush()
    return assignment_read(row, None, "nl")


@personal_data("module_assignment")
async def review_queue(uow: UnitOfWork, caller: Caller) -> list[ReviewItem]:
    """Everything handed in by the participants she coaches, in every programme, oldest first."""
    await programmes.load_roles(uow, caller)
    assert caller.roles_by_programme is not None
    repo = ModuleRepository(uow.session)
    items: list[ReviewItem] = []
    for programme_id, roles in caller.roles_by_programme.items():
        if not roles & {Role.coach.value, Role.supervisor.value}:
            continue
        access = await authorize(uow, caller, programme_id, COACHING)
        participants = await caseload(uow, caller, access)
        rows = await repo.waiting_for_review(access.scope, participants)
        if not rows:
            continue
        names = await programmes.display_names(uow, caller, programme_id, {r.participant_id for r in rows})
        reads = await _assignment_reads(repo, access.scope, rows, "nl")
        items.extend(
            ReviewItem(
                assignment=read,
                participant_name=names.get(read.participant_id, ""),
                programme_name=access.programme.name,
            )
            for read in reads
        )
        record_access(
            uow,
            caller,
            role=access.role,
            subjects=[r.participant_id for r in rows],
            record_kind="module_assignment",
            action=Action.read,
            programme_id=programme_id,
        )
    items.sort(key=lambda item: item.assignment.submitted_at or item.assignment.assigned_at)
    return items


# Completion for staff: counts, never content ------------------------------------------------


async def completion(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> list[CompletionRow]:
    access = await authorize(uow, caller, programme_id, AUTHORS)
    repo = ModuleRepository(uow.session)
    counts = await repo.completion_counts(access.scope)
    modules = {m.id: m for m in await repo.list_modules(access.scope)}
    versions = await repo.versions(access.scope, list(modules))
    titles = {v.module_id: v.title for v in versions}  # ordered by number: the latest wins
    groups = {g.id: g.name for g in await programmes.list_groups(uow, caller, programme_id)}
    rows: dict[tuple[uuid.UUID, uuid.UUID | None], CompletionRow] = {}
    for module_id, group_id, status, number in counts:
        row = rows.setdefault(
            (module_id, group_id),
            CompletionRow(
                module_id=module_id,
                module_title=titles.get(module_id, ""),
                group_id=group_id,
                group_name=groups.get(group_id, "") if group_id else "",
                counts=dict.fromkeys(AssignmentStatus, 0),
                total=0,
            ),
        )
        row.counts[AssignmentStatus(status)] += number
        row.total += number
    return sorted(rows.values(), key=lambda r: (r.module_title, r.group_name))


# Notifications and reminders ----------------------------------------------------------------


async def _remind(
    uow: UnitOfWork,
    repo: ModuleRepository,
    scope: ProgrammeScope | None,
    today: date,
    person_id: uuid.UUID | None = None,
) -> int:
    due = await repo.due_before(scope, today + timedelta(days=REMINDER_DAYS))
    if person_id is not None:
        due = [row for row in due if row.participant_id == person_id]
    keys = {f"due_soon:{row.id}": row for row in due}
    made = 0
    for key in set(keys) - await repo.existing_dedupe_keys(list(keys)):
        row = keys[key]
        uow.session.add(
            Notification(
                organisation_id=row.organisation_id,
                programme_id=row.programme_id,
                person_id=row.participant_id,
                kind=NotificationKind.due_soon.value,
                subject_id=row.id,
                link=_assignment_link(row.programme_id, row.id),
                params={"due_on": row.due_on.isoformat() if row.due_on else ""},
                dedupe_key=key,
                created_at=utcnow(),
            )
        )
        uow.emit(Event("notifications.created", {"person_id": str(row.participant_id), "kind": "due_soon"}))
        made += 1
    await uow.flush()
    return made


async def send_due_reminders(uow: UnitOfWork, today: date) -> int:
    """For a scheduler (acting as the system): remind everyone once of what is due soon."""
    return await _remind(uow, ModuleRepository(uow.session), None, today)


@personal_data("notification")
async def list_notifications(uow: UnitOfWork, caller: Caller) -> list[NotificationRead]:
    """Her own notices, newest first."""
    repo = ModuleRepository(uow.session)
    await programmes.load_roles(uow, caller)
    assert caller.roles_by_programme is not None
    for programme_id, roles in caller.roles_by_programme.items():
        if Role.participant.value in roles:
            access = await authorize(uow, caller, programme_id, {Role.participant})
            await _remind(uow, repo, access.scope, _today(access), person_id=caller.person_id)
    rows = await repo.notifications_for(caller.organisation_id, caller.person_id)
    record_access(
        uow,
        caller,
        role="self",
        subjects=[caller.person_id],
        record_kind="notification",
        action=Action.read,
    )
    return [notification_read(r) for r in rows]


async def mark_notification_read(uow: UnitOfWork, caller: Caller, notification_id: uuid.UUID) -> NotificationRead:
    repo = ModuleRepository(uow.session)
    row = await repo.get_notification(caller.organisation_id, caller.person_id, notification_id)
    if row is None:
        raise NotFound()
    row.read_at = row.read_at or utcnow()
    await uow.flush()
    return notification_read(row)


async def my_caseload(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    """(id, name) of the participants this coach coaches today, by name: the people she can assign to."""
    access = await authorize(uow, caller, programme_id, ASSIGNERS)
    participants = await caseload(uow, caller, access)
    if not participants:
        return []
    names = await programmes.display_names(uow, caller, programme_id, participants)
    return sorted(names.items(), key=lambda item: item[1])


async def programmes_as(uow: UnitOfWork, caller: Caller, roles: Iterable[Role]) -> list[Access]:
    """The caller's programmes where she holds one of these roles (for pages that span programmes)."""
    await programmes.load_roles(uow, caller)
    assert caller.roles_by_programme is not None
    wanted = {r.value for r in roles}
    return [
        await authorize(uow, caller, programme_id, roles)
        for programme_id, held in caller.roles_by_programme.items()
        if held & wanted
    ]
