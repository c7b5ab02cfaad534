"""One transaction per use case: committed once, events leave only after the commit."""

from __future__ import annotations

import pytest
from fastapi import FastAPI, Response
from sqlalchemy import select

from eportfolio.kit.events import Event, EventBus
from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.tables import Organisation


async def test_events_leave_after_commit_and_never_after_a_rollback(app: FastAPI) -> None:
    bus = EventBus()
    seen: list[tuple[str, bool]] = []

    async def subscriber(event: Event) -> None:
        async with unit_of_work(app.state.sessionmaker) as uow:
            stored = (
                await uow.session.execute(select(Organisation).where(Organisation.name == event.payload["name"]))
            ).scalar_one_or_none()
        seen.append((event.name, stored is not None))

    bus.subscribe("test.", subscriber)
    async with unit_of_work(app.state.sessionmaker, bus) as uow:
        uow.session.add(Organisation(name="Committed"))
        uow.emit(Event("test.created", {"name": "Committed"}))
        assert seen == [], "nothing leaves before the commit"
    assert seen == [("test.created", True)], "the subscriber saw the committed row"

    async def failing_use_case() -> None:
        async with unit_of_work(app.state.sessionmaker, bus) as uow:
            uow.session.add(Organisation(name="Rolled back"))
            uow.emit(Event("test.created", {"name": "Rolled back"}))
            raise RuntimeError("use case failed")

    with pytest.raises(RuntimeError):
        await failing_use_case()
    assert len(seen) == 1, "a rolled-back use case sends no events"
    async with unit_of_work(app.state.sessionmaker) as uow:
        names = set((await uow.session.execute(select(Organisation.name))).scalars())
    assert "Rolled back" not in names


async def test_a_failing_subscriber_does_not_undo_the_commit(app: FastAPI) -> None:
    bus = EventBus()

    async def broken(event: Event) -> None:
        raise ValueError("subscriber bug")

    bus.subscribe("", broken)
    async with unit_of_work(app.state.sessionmaker, bus) as uow:
        uow.session.add(Organisation(name="Kept"))
        uow.emit(Event("anything"))
    async with unit_of_work(app.state.sessionmaker) as uow:
        names = set((await uow.session.execute(select(Organisation.name))).scalars())
    assert "Kept" in names


async def test_a_form_refused_after_a_write_keeps_what_she_typed_and_stores_nothing(app: FastAPI) -> None:
    from pydantic import BaseModel
    from starlette.requests import Request

    from eportfolio.kit.errors import Conflict
    from eportfolio.kit.forms import submit_form

    class NameForm(BaseModel):
        name: str

    bus = EventBus()
    sent: list[str] = []

    async def note(event: Event) -> None:
        sent.append(event.name)

    bus.subscribe("test.", note)
    request = Request({"type": "http", "method": "POST", "path": "/", "headers": [], "query_string": b""})
    shown: list[dict[str, str]] = []

    async def act(data: NameForm) -> str:
        uow.session.add(Organisation(name=data.name))
        await uow.flush()
        uow.emit(Event("test.created"))
        raise Conflict(field="name")

    async def show(errors: dict[str, str]) -> Response:
        shown.append(errors)
        return Response(status_code=422)

    async with unit_of_work(app.state.sessionmaker, bus) as uow:
        answer = await submit_form(request, uow, NameForm, {"name": "Half"}, act, show)
        assert answer.status_code == 422
        uow.session.add(Organisation(name="After"))  # the rest of the request still works
    assert list(shown[0]) == ["name"], "the refusal is shown beside the field"
    assert sent == [], "the refused change's event does not leave"
    async with unit_of_work(app.state.sessionmaker) as uow:
        names = set((await uow.session.execute(select(Organisation.name))).scalars())
    assert "Half" not in names, "nothing of the refused change is stored"
    assert "After" in names
