"""Use cases of the assignments feature: giving a module's templates (or a personal assignment) to
participants, her encrypted answers, her coaches' encrypted feedback, the review queue, completion
counts for staff, reminders and her notices.

Authorisation comes first in every use case. Assignments point at the module version they were
given from (``modules`` owns modules and versions; this feature asks its service for them). The
server never sees what a participant answers or what a coach writes back: both arrive encrypted.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from eportfolio import crypto
from eportfolio.assignments.repository import AssignmentRepository
from eportfolio.assignments.tables import AssignmentAnswer, AssignmentFeedback, ModuleAssignment
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
    NotificationKind,
    NotificationRead,
    PersonalAssignmentCreate,
    ReviewItem,
)
from eportfolio.domain.people import Role
from eportfolio.kit.audit import Action, personal_data, record_access
from eportfolio.kit.auth import Caller
from eportfolio.kit.clock import utcnow
from eportfolio.kit.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from eportfolio.kit.events import Event
from eportfolio.kit.uow import UnitOfWork
from eportfolio.modules import service as modules
from eportfolio.notifications import service as notifications
from eportfolio.notifications.tables import Notification
from eportfolio.portfolio import service as portfolio
from eportfolio.programmes import service as programmes
from eportfolio.programmes.repository import ProgrammeScope
from eportfolio.programmes.service import Access, authorize

COACHING = frozenset({Role.coach, Role.supervisor})
READERS = frozenset({Role.participant, Role.coach, Role.supervisor})
PERSONAL_QUESTION_KEY = "answer"  # a personal assignment has one answer
REMINDER_DAYS = 2  # remind her this many days before the due date
OPEN_STATUSES = (AssignmentStatus.assigned.value, AssignmentStatus.in_progress.value)
# An item key wrapped under a portfolio epoch key: version, secret-box tag, item-key purpose,
# then the wrapping key's id (which names the epoch), nonce, key and tag (docs/crypto-spec.md).
ITEM_WRAP_BYTES = 79
ITEM_WRAP_PREFIX = b"\x01\x02\x05"


# Read models and checks ----------------------------------------------------------------------


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
    await portfolio.check_current_epoch(uow, scope, participant_id, data.item_key_wrap)


async def _new_row_id(repo: AssignmentRepository, data: EnvelopeWrite) -> uuid.UUID:
    if data.id is None:
        return uuid.uuid4()
    if await repo.id_in_use(data.id):
        raise Conflict(N_("This was saved already. Reload the page to see it."), field="id")
    return data.id


def _same_row(existing_id: uuid.UUID, data: EnvelopeWrite) -> None:
    if data.id is not None and data.id != existing_id:
        raise Conflict(N_("This was saved already. Reload the page to see it."), field="id")


def _envelope(envelope: str | None, key_id: str | None, wrap: str | None, revision: int) -> EnvelopeRead:
    return EnvelopeRead(envelope=envelope or "", key_id=key_id or "", item_key_wrap=wrap, revision=revision)


def assignment_read(row: ModuleAssignment, version: modules.ModuleVersion | None, language: str) -> AssignmentRead:
    template = modules.find_template(version, row.template_key) if version is not None else None
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
        title=modules.localised_text(template, "title", language) if template else "",
        module_title=modules.localised_text(module_texts, "title", language) if module_texts else "",
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
    row: ModuleAssignment, version: modules.ModuleVersion | None, read: set[str], answered: set[str]
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
    uow: UnitOfWork,
    access: Access,
    rows: list[ModuleAssignment],
    language: str,
    *,
    with_progress: bool = False,
) -> list[AssignmentRead]:
    """Read models for a list, in a fixed number of queries however long the list is."""
    versions = await modules.versions_by_id(uow, access, {r.module_version_id for r in rows if r.module_version_id})
    reads: list[AssignmentRead] = []
    if with_progress:
        ids, repo = [r.id for r in rows], AssignmentRepository(uow.session)
        read, answered = await repo.lessons_read(access.scope, ids), await repo.answered_keys(access.scope, ids)
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
    access = await authorize(uow, caller, programme_id, modules.ASSIGNERS)
    version = await modules.published_version(uow, access, data.module_id)
    if data.template_key is None:
        templates = list(version.templates or [])
    else:
        template = modules.find_template(version, data.template_key)
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
            module_id=version.module_id,
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
            {"title": modules.localised_text(modules.find_template(version, row.template_key) or {}, "title", "nl")},
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
        id=await _new_row_id(AssignmentRepository(uow.session), data.content),
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
    row = await AssignmentRepository(uow.session).get_assignment(access.scope, assignment_id)
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
    repo = AssignmentRepository(uow.session)
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
        uow,
        access,
        rows,
        modules.content_language(language or caller.language, access.programme.languages),
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
    repo = AssignmentRepository(uow.session)
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
    return await _assignment_reads(uow, access, rows, "nl", with_progress=True)


@personal_data("assignment_answer")
async def get_assignment(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, assignment_id: uuid.UUID, language: str | None = None
) -> AssignmentDetail:
    """The assignment with its questions, her encrypted answers and her coaches' encrypted feedback."""
    access = await _reader_access(uow, caller, programme_id)
    row = await _readable_assignment(uow, caller, access, assignment_id)
    repo = AssignmentRepository(uow.session)
    versions = await modules.versions_by_id(uow, access, [row.module_version_id] if row.module_version_id else [])
    version = versions.get(row.module_version_id) if row.module_version_id else None
    lang = modules.content_language(language or caller.language, access.programme.languages)
    template = modules.find_template(version, row.template_key) if version is not None else None
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
        template=modules.localised_template(template, lang) if template else None,
        lessons=modules.localised_lessons(version, lang) if version is not None else [],
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
    repo = AssignmentRepository(uow.session)
    versions = await modules.versions_by_id(uow, access, [row.module_version_id] if row.module_version_id else [])
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


def _question_keys(row: ModuleAssignment, version: modules.ModuleVersion | None) -> dict[str, bool]:
    """Question key -> required, for the version she was given."""
    if row.kind == AssignmentKind.personal:
        return {PERSONAL_QUESTION_KEY: True}
    template = modules.find_template(version, row.template_key) if version is not None else None
    return {q["key"]: bool(q.get("required", True)) for q in (template or {}).get("questions") or []}


async def _own_open_assignment(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, assignment_id: uuid.UUID
) -> tuple[Access, ModuleAssignment, modules.ModuleVersion | None]:
    access = await authorize(uow, caller, programme_id, {Role.participant})
    row = await _readable_assignment(uow, caller, access, assignment_id)
    if row.status == AssignmentStatus.completed:
        raise Conflict(N_("This assignment is completed. Answers can no longer be changed."))
    if row.status == AssignmentStatus.submitted:
        raise Conflict(N_("You have handed this in. Wait for your coach's feedback before you change it."))
    versions = await modules.versions_by_id(uow, access, [row.module_version_id] if row.module_version_id else [])
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
    repo = AssignmentRepository(uow.session)
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
    answered = {a.question_key for a in await AssignmentRepository(uow.session).answers(access.scope, row.id)}
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
        id=await _new_row_id(AssignmentRepository(uow.session), data),
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
    repo = AssignmentRepository(uow.session)
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
    repo = AssignmentRepository(uow.session)
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
        reads = await _assignment_reads(uow, access, rows, "nl")
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
    access = await authorize(uow, caller, programme_id, modules.AUTHORS)
    counts = await AssignmentRepository(uow.session).completion_counts(access.scope)
    titles = await modules.module_titles(uow, access)
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
    repo: AssignmentRepository,
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
    return await _remind(uow, AssignmentRepository(uow.session), None, today)


@personal_data("notification")
async def list_notifications(uow: UnitOfWork, caller: Caller) -> list[NotificationRead]:
    """Her own notices, newest first."""
    repo = AssignmentRepository(uow.session)
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
    repo = AssignmentRepository(uow.session)
    row = await repo.get_notification(caller.organisation_id, caller.person_id, notification_id)
    if row is None:
        raise NotFound()
    row.read_at = row.read_at or utcnow()
    await uow.flush()
    return notification_read(row)


async def my_caseload(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    """(id, name) of the participants this coach coaches today, by name: the people she can assign to."""
    access = await authorize(uow, caller, programme_id, modules.ASSIGNERS)
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
