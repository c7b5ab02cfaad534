"""Rate limits of the routes anyone may use without logging in: looking at an invitation or reset
code (and using one), and asking to recover an account on a new phone.

Each try is checked and counted in a transaction of its own, before the route's use case runs: a
wrong code makes the use case raise and its transaction roll back, and the try must count all the
same. The counters are rows of the login back-off's table (``accounts.service.take_try``).

- Codes: per address only the wrong ones count (a group joining on one Wi-Fi is not slowed down
  by its own right codes); per code every look counts.
- New-phone requests: every request counts, per address and per login name (also an unknown one,
  so the answer says nothing about which login names exist).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

import structlog
from fastapi import Request

from eportfolio.accounts import service
from eportfolio.accounts.service import TryCounter, tries_key
from eportfolio.config import Settings
from eportfolio.kit.errors import Conflict, DomainError
from eportfolio.kit.uow import UnitOfWork, unit_of_work

log = structlog.get_logger(__name__)


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _window(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.limit_window_minutes)


async def _on_its_own(request: Request, work: Callable[[UnitOfWork], Awaitable[None]]) -> None:
    """Run and commit now; once more if two first tries made the same counter at once."""
    for attempt in range(2):
        try:
            async with unit_of_work(request.app.state.sessionmaker) as uow:
                await work(uow)
            return
        except Conflict:
            if attempt:
                raise


@asynccontextmanager
async def code_tries(request: Request, code: str, *, field: str) -> AsyncIterator[None]:
    """Around a use case that looks up an invitation or reset code (``field`` is the name its
    errors give the code): refused with 429 over a limit; a wrong code counts on the address."""
    settings: Settings = request.app.state.settings
    window = _window(settings)
    address = tries_key("code-address", _address(request))
    counters = [
        TryCounter(address, settings.code_failures_per_address, counts=False),
        TryCounter(tries_key("code", service.code_digest(settings, code)), settings.code_tries_per_code),
    ]
    await _on_its_own(request, lambda uow: service.take_try(uow, counters, window))
    try:
        yield
    except DomainError as exc:
        # A code nobody made (a used or expired one is a real code, and gets its own answer). The
        # use cases look the code up before anything else, so the request's transaction holds
        # no write lock here that this count would wait for.
        if exc.status_code == 404 and exc.field == field:
            try:
                await _on_its_own(request, lambda uow: service.count_tries(uow, [address], window))
            except Exception as failure:  # the refusal she gets matters more than the count
                log.warning("code_try_not_counted", error=type(failure).__name__)
        raise


async def device_request_try(request: Request, login: str) -> None:
    """Before a new phone asks to recover an account: refused with 429 over a limit."""
    settings: Settings = request.app.state.settings
    counters = [
        TryCounter(tries_key("device-address", _address(request)), settings.device_requests_per_address),
        TryCounter(tries_key("device-login", login.strip().lower()), settings.device_requests_per_login),
    ]
    await _on_its_own(request, lambda uow: service.take_try(uow, counters, _window(settings)))
