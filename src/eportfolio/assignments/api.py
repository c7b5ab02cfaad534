"""JSON routes of the assignments feature under /api/v1: giving assignments, answers, feedback,
the review queue, completion counts and notices."""

from __future__ import annotations

import uuid

from eportfolio.assignments import service
from eportfolio.domain.modules import (
    AnswerRead,
    AssignmentCreate,
    AssignmentDetail,
    AssignmentProgress,
    AssignmentRead,
    CompletionRow,
    EnvelopeWrite,
    FeedbackRead,
    NotificationRead,
    PersonalAssignmentCreate,
    ReviewItem,
)
from eportfolio.kit.auth import CallerDep
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import api_router

router = api_router("", "assignments")

P = "/programmes/{programme_id}"
A = P + "/assignments/{assignment_id}"


@router.get(P + "/module-completion")
async def completion(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> list[CompletionRow]:
    return await service.completion(uow, caller, programme_id)


@router.post(P + "/assignments", status_code=201)
async def assign(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, data: AssignmentCreate
) -> list[AssignmentRead]:
    return await service.assign(uow, caller, programme_id, data)


@router.post(P + "/personal-assignments", status_code=201)
async def assign_personal(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, data: PersonalAssignmentCreate
) -> AssignmentRead:
    return await service.assign_personal(uow, caller, programme_id, data)


@router.get(P + "/my-assignments")
async def list_my_assignments(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, lang: str | None = None
) -> list[AssignmentRead]:
    return await service.list_my_assignments(uow, caller, programme_id, lang)


@router.get(P + "/participants/{participant_id}/assignments")
async def list_participant_assignments(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, participant_id: uuid.UUID
) -> list[AssignmentRead]:
    return await service.list_participant_assignments(uow, caller, programme_id, participant_id)


@router.get(A)
async def get_assignment(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, assignment_id: uuid.UUID, lang: str | None = None
) -> AssignmentDetail:
    return await service.get_assignment(uow, caller, programme_id, assignment_id, lang)


@router.put(A + "/answers/{question_key}")
async def save_answer(
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    assignment_id: uuid.UUID,
    question_key: str,
    data: EnvelopeWrite,
) -> AnswerRead:
    return await service.save_answer(uow, caller, programme_id, assignment_id, question_key, data)


@router.put(A + "/lessons/{lesson_key}/read")
async def mark_lesson_read(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, assignment_id: uuid.UUID, lesson_key: str
) -> AssignmentProgress:
    return await service.mark_lesson_read(uow, caller, programme_id, assignment_id, lesson_key)


@router.post(A + "/submit")
async def submit(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, assignment_id: uuid.UUID) -> AssignmentRead:
    return await service.submit(uow, caller, programme_id, assignment_id)


@router.post(A + "/feedback", status_code=201)
async def give_feedback(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, assignment_id: uuid.UUID, data: EnvelopeWrite
) -> FeedbackRead:
    return await service.give_feedback(uow, caller, programme_id, assignment_id, data)


@router.put(A + "/feedback/{feedback_id}")
async def update_feedback(
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    assignment_id: uuid.UUID,
    feedback_id: uuid.UUID,
    data: EnvelopeWrite,
) -> FeedbackRead:
    return await service.update_feedback(uow, caller, programme_id, assignment_id, feedback_id, data)


@router.post(A + "/complete")
async def complete(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, assignment_id: uuid.UUID) -> AssignmentRead:
    return await service.complete(uow, caller, programme_id, assignment_id)


@router.get("/review-queue")
async def review_queue(uow: UowDep, caller: CallerDep) -> list[ReviewItem]:
    return await service.review_queue(uow, caller)


@router.get("/notifications")
async def list_notifications(uow: UowDep, caller: CallerDep) -> list[NotificationRead]:
    return await service.list_notifications(uow, caller)


@router.post("/notifications/{notification_id}/read")
async def mark_notification_read(uow: UowDep, caller: CallerDep, notification_id: uuid.UUID) -> NotificationRead:
    return await service.mark_notification_read(uow, caller, notification_id)
