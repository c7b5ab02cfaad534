"""Who is calling: the signed-in person behind a request or a WebSocket.

The accounts feature resolves the session cookie into a ``Caller``; ``app.py`` wires the resolver
into ``app.state.resolve_caller`` so that kit depends on no feature.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from eportfolio.kit.errors import Unauthenticated
from eportfolio.kit.uow import UnitOfWork, UowDep


@dataclass(slots=True)
class Caller:
    person_id: uuid.UUID
    organisation_id: uuid.UUID
    session_id: uuid.UUID | None
    display_name: str = ""
    language: str = "nl"
    # Filled lazily by the programmes service: programme id -> roles held there.
    roles_by_programme: dict[uuid.UUID, frozenset[str]] | None = field(default=None)
    is_org_admin: bool | None = None


CallerResolver = Callable[[Request, UnitOfWork], Awaitable[Caller | None]]


async def optional_caller(request: Request, uow: UowDep) -> Caller | None:
    cached: Caller | None = getattr(request.state, "caller", None)
    if cached is not None:
        return cached
    resolver: CallerResolver | None = getattr(request.app.state, "resolve_caller", None)
    if resolver is None:
        return None
    caller = await resolver(request, uow)
    request.state.caller = caller
    return caller


async def current_caller(caller: Annotated[Caller | None, Depends(optional_caller)]) -> Caller:
    if caller is None:
        raise Unauthenticated()
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]
OptionalCallerDep = Annotated[Caller | None, Depends(optional_caller)]
