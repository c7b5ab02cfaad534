"""A ``ProgrammeScope`` is made only by a check: ``authorize`` for a caller, ``system_scope`` and
``loaded_scope`` for the named paths without one. Built directly it raises, so a repository method
that requires one cannot be reached by forgetting the check."""

from __future__ import annotations

import uuid

import pytest
from fastapi import FastAPI

from eportfolio.domain.people import Role
from eportfolio.kit.auth import Caller
from eportfolio.kit.errors import Forbidden, NotFound
from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.repository import ProgrammeRepository, ProgrammeScope, loaded_scope, system_scope
from eportfolio.programmes.service import authorize
from tests.support.world import World


def test_a_scope_built_directly_raises() -> None:
    with pytest.raises(TypeError):
        ProgrammeScope(uuid.uuid4(), uuid.uuid4())
    with pytest.raises(TypeError):
        ProgrammeScope(uuid.uuid4(), uuid.uuid4(), object())


def test_the_named_paths_make_the_same_scope() -> None:
    organisation_id, programme_id = uuid.uuid4(), uuid.uuid4()
    scope = system_scope(organisation_id, programme_id)
    assert (scope.organisation_id, scope.programme_id) == (organisation_id, programme_id)
    assert loaded_scope(scope) == scope
    with pytest.raises(AttributeError):
        scope.programme_id = uuid.uuid4()  # type: ignore[misc]  # frozen: the test checks it refuses


async def test_authorize_returns_a_scope_that_reads_her_programme(app: FastAPI, world: World) -> None:
    caller = Caller(world.participant_a, world.organisation_id, None)
    async with unit_of_work(app.state.sessionmaker) as uow:
        access = await authorize(uow, caller, world.programme_a, [Role.participant])
        assert access.scope == system_scope(world.organisation_id, world.programme_a)
        assert access.role is Role.participant
        assert access.programme.id == world.programme_a
        group = await ProgrammeRepository(uow.session).find_group_by_name(access.scope, "Group A")
        assert group is not None
        assert group.id == world.group_a
        with pytest.raises(Forbidden):
            await authorize(uow, caller, world.programme_a, [Role.staff])
        with pytest.raises(NotFound):
            await authorize(uow, caller, world.programme_b, [Role.participant])
