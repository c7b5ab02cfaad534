"""A ``ProgrammeScope`` is made only by a check: ``authorize`` for a caller, ``system_scope`` and
``loaded_scope`` for the named paths without one. Built directly it raises, so a repository method
that requires one cannot be reached by forgetting the check."""

from __future__ import annotations

import uuid

import pytest
from fastapi import FastAPI

from eportfolio.domain.people import Role
from eportfolio.domain.portfolio import Audience, ItemKind
from eportfolio.kit.auth import Caller
from eportfolio.kit.errors import Forbidden, NotFound
from eportfolio.kit.uow import unit_of_work
from eportfolio.portfolio.repository import PortfolioRepository, readable_items
from eportfolio.portfolio.tables import Portfolio, PortfolioItem
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


async def test_readable_items_filters_tenancy_and_audience_in_the_statement(app: FastAPI, world: World) -> None:
    """Her items are all hers to read; a coach reads only those whose audience includes him; a
    scope of another programme reads none of them, even by id."""
    async with unit_of_work(app.state.sessionmaker) as uow:
        portfolio = Portfolio(
            organisation_id=world.organisation_id, programme_id=world.programme_a, participant_id=world.participant_a
        )
        uow.session.add(portfolio)
        await uow.flush()
        items = {}
        for audience in (Audience.only_me, Audience.my_coaches, Audience.chosen):
            item = PortfolioItem(
                organisation_id=world.organisation_id,
                programme_id=world.programme_a,
                portfolio_id=portfolio.id,
                kind=ItemKind.diary.value,
                audience=audience.value,
                created_by=world.participant_a,
                author_id=world.participant_a,
                key_id="k",
                envelope="e",
            )
            uow.session.add(item)
            items[audience] = item
        await uow.flush()
        portfolio_id = portfolio.id
        ids = {audience: item.id for audience, item in items.items()}

    async def readable(scope: ProgrammeScope, coach_id: uuid.UUID | None) -> set[uuid.UUID]:
        async with unit_of_work(app.state.sessionmaker) as uow:
            rows = await uow.session.execute(readable_items(scope, portfolio_id, coach_id))
            return {item.id for item in rows.scalars()}

    scope_a = system_scope(world.organisation_id, world.programme_a)
    assert await readable(scope_a, None) == set(ids.values())
    assert await readable(scope_a, world.coach_a) == {ids[Audience.my_coaches]}
    assert await readable(system_scope(world.organisation_id, world.programme_b), None) == set()
    async with unit_of_work(app.state.sessionmaker) as uow:
        repo = PortfolioRepository(uow.session)
        other = system_scope(world.organisation_id, world.programme_b)
        assert await repo.get_item(other, portfolio_id, ids[Audience.only_me], None) is None
        assert await repo.get_item(scope_a, portfolio_id, ids[Audience.only_me], world.coach_a) is None
        mine = await repo.get_item(scope_a, portfolio_id, ids[Audience.only_me], None)
        assert mine is not None
        assert mine.id == ids[Audience.only_me]
