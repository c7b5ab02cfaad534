"""The access log: every service that reads or changes a person's data records who, in which role,
when, whose data, what kind of record and from which session; and the log cannot be rewritten."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from fastapi import FastAPI
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DBAPIError

import eportfolio
from eportfolio.kit.audit import PERSONAL_DATA_SERVICES, AccessLogEntry
from eportfolio.kit.auth import Caller
from eportfolio.kit.errors import Conflict
from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.tables import Person
from tests.support.access_scenarios import SCENARIOS
from tests.support.world import World


def _import_every_service_module() -> None:
    for module in pkgutil.walk_packages(eportfolio.__path__, "eportfolio."):
        if module.name.endswith(".service"):
            importlib.import_module(module.name)


_import_every_service_module()


def test_every_personal_data_service_has_a_scenario() -> None:
    missing = sorted(set(PERSONAL_DATA_SERVICES) - set(SCENARIOS))
    assert not missing, f"add a scenario to tests/support/access_scenarios.py for: {missing}"
    assert len(PERSONAL_DATA_SERVICES) >= 10


async def _caller(app: FastAPI, person_id: object) -> Caller:
    async with unit_of_work(app.state.sessionmaker) as uow:
        person = await uow.session.get(Person, person_id)
        assert person is not None
        from eportfolio.accounts.sessions import start_session

        session_row, _ = await start_session(uow, app.state.settings, person.id)
    return Caller(person_id=person.id, organisation_id=person.organisation_id, session_id=session_row.id)


@pytest.mark.parametrize("name", sorted(PERSONAL_DATA_SERVICES))
async def test_service_writes_the_access_log(name: str, app: FastAPI, world: World) -> None:
    scenario = SCENARIOS[name]
    record_kind = PERSONAL_DATA_SERVICES[name]
    caller = await _caller(app, scenario.actor(world))
    if scenario.setup is not None:
        async with unit_of_work(app.state.sessionmaker) as uow:
            await scenario.setup(uow, caller, world)
    async with unit_of_work(app.state.sessionmaker) as uow:
        before = (await uow.session.execute(select(func.count()).select_from(AccessLogEntry))).scalar_one()
    caller = await _caller(app, scenario.actor(world))
    async with unit_of_work(app.state.sessionmaker) as uow:
        await scenario.call(uow, caller, world)
    async with unit_of_work(app.state.sessionmaker) as uow:
        rows = (await uow.session.execute(select(AccessLogEntry).order_by(AccessLogEntry.at))).scalars().all()[before:]
    mine = [r for r in rows if r.record_kind == record_kind and r.actor_person_id == caller.person_id]
    assert mine, f"{name} did not log a {record_kind!r} access"
    for row in mine:
        assert row.session_id == caller.session_id
        assert row.actor_role
        assert row.subject_person_id is not None
        assert row.action in {"read", "create", "update", "delete"}


async def test_the_access_log_is_append_only(app: FastAPI, world: World) -> None:
    from eportfolio.programmes import service

    caller = await _caller(app, world.staff_a)
    async with unit_of_work(app.state.sessionmaker) as uow:
        await service.list_people(uow, caller, world.programme_a)
    for statement in (update(AccessLogEntry).values(actor_role="nobody"), delete(AccessLogEntry)):
        # PostgreSQL raises from the trigger; SQLite's RAISE(ABORT) surfaces as a constraint error.
        with pytest.raises((DBAPIError, Conflict)):
            async with unit_of_work(app.state.sessionmaker) as uow:
                await uow.session.execute(statement)
    async with unit_of_work(app.state.sessionmaker) as uow:
        roles = set((await uow.session.execute(select(AccessLogEntry.actor_role))).scalars())
    assert roles == {"staff"}, "no row was changed or deleted"


async def test_a_refused_request_logs_no_access(app: FastAPI, world: World) -> None:
    from eportfolio.kit.errors import NotFound
    from eportfolio.programmes import service

    caller = await _caller(app, world.staff_b)
    with pytest.raises(NotFound):
        async with unit_of_work(app.state.sessionmaker) as uow:
            await service.list_people(uow, caller, world.programme_a)
    async with unit_of_work(app.state.sessionmaker) as uow:
        count = (await uow.session.execute(select(func.count()).select_from(AccessLogEntry))).scalar_one()
    assert count == 0
