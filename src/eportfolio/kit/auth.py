"""Who is calling: the signed-in person behind a request or a WebSocket.

The accounts feature resolves the session cookie into a ``Caller``; ``app.py`` wires the resolver
into ``app.state.resolve_caller`` so that kit depends on no feature.
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from eportfolio.kit.errors import Unauthenticated
from eportfolio.kit.uow import UnitOfWork, UowDep


class HeldRoles:
    """Her roles as read in one unit of work (``programmes.service.load_roles``), not part of who
    she is: read again in the next unit of work, so a socket open for hours sees a role taken away
    at its next frame, and a request reads them at most once."""

    __slots__ = ("by_programme", "org_admin", "unit")

    def __init__(self) -> None:
        # programme id -> roles held there; whether she administers her organisation.
        self.by_programme: dict[uuid.UUID, frozenset[str]] | None = None
        self.org_admin: bool | None = None
        self.unit: weakref.ref[object] | None = None  # the unit of work they were read in

    def read_in(self, unit: object) -> bool:
        """Whether they were read in this unit of work."""
        return self.unit is not None and self.unit() is unit and self.by_programme is not None

    def keep(self, unit: object, by_programme: dict[uuid.UUID, frozenset[str]], org_admin: bool) -> None:
        self.by_programme, self.org_admin, self.unit = by_programme, org_admin, weakref.ref(unit)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who she is, for the life of a request or a socket (never changed once made)."""

    person_id: uuid.UUID
    organisation_id: uuid.UUID
    session_id: uuid.UUID | None
    display_name: str = ""
    language: str = "nl"
    roles: HeldRoles = field(default_factory=HeldRoles, compare=False, repr=False)

    @property
    def roles_by_programme(self) -> dict[uuid.UUID, frozenset[str]] | None:
        """Programme id -> roles held there, as read in the current unit of work."""
        return self.roles.by_programme

    @property
    def is_org_admin(self) -> bool | None:
        return self.roles.org_admin


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
