"""Access-log scenarios for the modules feature (imported by tests/support/access_scenarios.py)."""

from __future__ import annotations

import uuid
from datetime import date

from eportfolio.assignments import service as assignments
from eportfolio.assignments.tables import ModuleAssignment
from eportfolio.domain.modules import (
    AssignmentCreate,
    EnvelopeWrite,
    LessonCreate,
    ModuleCreate,
    PersonalAssignmentCreate,
    QuestionCreate,
    QuestionKind,
    TemplateCreate,
)
from eportfolio.kit.auth import Caller
from eportfolio.kit.uow import UnitOfWork
from eportfolio.modules import service as modules
from tests.support.access_scenarios import scenario
from tests.support.modules import add_portfolios, envelope
from tests.support.world import World
from tests.support.world_keys import keys_in

S = "eportfolio.assignments.service."
ENVELOPE = EnvelopeWrite.model_validate(envelope(0))


def _as(world: World, person_id: uuid.UUID) -> Caller:
    return Caller(person_id=person_id, organisation_id=world.organisation_id, session_id=None)


async def _published(uow: UnitOfWork, w: World) -> tuple[uuid.UUID, str]:
    staff = _as(w, w.staff_a)
    module = await modules.create_module(uow, staff, w.programme_a, ModuleCreate(title="Budget"))
    await modules.add_lesson(uow, staff, w.programme_a, module.id, LessonCreate(title="Les"))
    template = await modules.add_template(uow, staff, w.programme_a, module.id, TemplateCreate(title="Opdracht"))
    question = await modules.add_question(
        uow, staff, w.programme_a, module.id, template.key, QuestionCreate(kind=QuestionKind.open_text, prompt="?")
    )
    await modules.publish_module(uow, staff, w.programme_a, module.id)
    return module.id, question.key


async def _given(uow: UnitOfWork, w: World, *, answered: bool = False, submitted: bool = False) -> uuid.UUID:
    await add_portfolios(uow, w)
    await keys_in(uow, w)  # Coach A coaches her: his assignment is signed by Staff A
    module_id, question_key = await _published(uow, w)
    given = await assignments.assign(
        uow,
        _as(w, w.coach_a),
        w.programme_a,
        AssignmentCreate(module_id=module_id, participant_id=w.participant_a, due_on=date(2099, 1, 1)),
    )
    assignment_id = given[0].id
    if answered or submitted:
        participant = _as(w, w.participant_a)
        await assignments.save_answer(uow, participant, w.programme_a, assignment_id, question_key, ENVELOPE)
    if submitted:
        await assignments.submit(uow, _as(w, w.participant_a), w.programme_a, assignment_id)
    return assignment_id


async def _only_assignment(uow: UnitOfWork) -> uuid.UUID:
    from sqlalchemy import select

    return (await uow.session.execute(select(ModuleAssignment.id))).scalar_one()


async def _setup_given(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await _given(uow, w)


async def _setup_submitted(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await _given(uow, w, submitted=True)


async def _setup_with_feedback(uow: UnitOfWork, caller: Caller, w: World) -> object:
    assignment_id = await _given(uow, w, submitted=True)
    return await assignments.give_feedback(uow, _as(w, w.coach_a), w.programme_a, assignment_id, ENVELOPE)


async def _setup_published(uow: UnitOfWork, caller: Caller, w: World) -> object:
    await keys_in(uow, w)
    return await _published(uow, w)


@scenario(S + "assign", lambda w: w.coach_a, _setup_published)
async def _assign(uow: UnitOfWork, caller: Caller, w: World) -> object:
    from sqlalchemy import select

    from eportfolio.modules.tables import Module

    module_id = (await uow.session.execute(select(Module.id))).scalar_one()
    data = AssignmentCreate(module_id=module_id, participant_id=w.participant_a)
    return await assignments.assign(uow, caller, w.programme_a, data)


async def _setup_portfolios(uow: UnitOfWork, caller: Caller, w: World) -> object:
    await add_portfolios(uow, w)
    await keys_in(uow, w)
    return None


@scenario(S + "assign_personal", lambda w: w.coach_a, _setup_portfolios)
async def _assign_personal(uow: UnitOfWork, caller: Caller, w: World) -> object:
    data = PersonalAssignmentCreate(participant_id=w.participant_a, content=ENVELOPE)
    return await assignments.assign_personal(uow, caller, w.programme_a, data)


@scenario(S + "list_my_assignments", lambda w: w.participant_a, _setup_given)
async def _list_mine(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await assignments.list_my_assignments(uow, caller, w.programme_a)


@scenario(S + "list_participant_assignments", lambda w: w.coach_a, _setup_given)
async def _list_hers(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await assignments.list_participant_assignments(uow, caller, w.programme_a, w.participant_a)


@scenario(S + "get_assignment", lambda w: w.coach_a, _setup_submitted)
async def _get(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await assignments.get_assignment(uow, caller, w.programme_a, await _only_assignment(uow))


@scenario(S + "save_answer", lambda w: w.participant_a, _setup_given)
async def _save(uow: UnitOfWork, caller: Caller, w: World) -> object:
    assignment_id = await _only_assignment(uow)
    detail = await assignments.get_assignment(uow, caller, w.programme_a, assignment_id)
    assert detail.template is not None
    key = detail.template.questions[0].key
    return await assignments.save_answer(uow, caller, w.programme_a, assignment_id, key, ENVELOPE)


@scenario(S + "submit", lambda w: w.participant_a)
async def _submit(uow: UnitOfWork, caller: Caller, w: World) -> object:
    assignment_id = await _given(uow, w, answered=True)
    return await assignments.submit(uow, caller, w.programme_a, assignment_id)


@scenario(S + "give_feedback", lambda w: w.coach_a, _setup_submitted)
async def _feedback(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await assignments.give_feedback(uow, caller, w.programme_a, await _only_assignment(uow), ENVELOPE)


@scenario(S + "update_feedback", lambda w: w.coach_a, _setup_with_feedback)
async def _update_feedback(uow: UnitOfWork, caller: Caller, w: World) -> object:
    assignment_id = await _only_assignment(uow)
    detail = await assignments.get_assignment(uow, caller, w.programme_a, assignment_id)
    data = ENVELOPE.model_copy(update={"base_revision": 1})
    return await assignments.update_feedback(uow, caller, w.programme_a, assignment_id, detail.feedback[0].id, data)


@scenario(S + "complete", lambda w: w.coach_a, _setup_submitted)
async def _complete(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await assignments.complete(uow, caller, w.programme_a, await _only_assignment(uow))


@scenario(S + "review_queue", lambda w: w.coach_a, _setup_submitted)
async def _queue(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await assignments.review_queue(uow, caller)


@scenario(S + "list_notifications", lambda w: w.participant_a, _setup_given)
async def _notifications(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await assignments.list_notifications(uow, caller)


@scenario(S + "mark_lesson_read", lambda w: w.participant_a, _setup_given)
async def _lesson_read(uow: UnitOfWork, caller: Caller, w: World) -> object:
    assignment_id = await _only_assignment(uow)
    detail = await assignments.get_assignment(uow, caller, w.programme_a, assignment_id)
    return await assignments.mark_lesson_read(uow, caller, w.programme_a, assignment_id, detail.lessons[0].key)
