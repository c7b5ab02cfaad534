"""Periodic work on the whole database, one registry for the commands and the development server.

Each job is an ``eportfolio`` command (``eportfolio escalate``) that a timer runs
(``deploy/systemd/eportfolio-<name>.timer``), so it runs once per interval however many workers
serve, and a failure shows in the timer's journal. ``eportfolio periodic`` runs every job at its
interval in one process, for a host without timers (the compose file). Outside production the app
runs the same jobs itself (``in_process``), so ``make run`` keeps the 24/7 chain going without a
timer; ``EPORTFOLIO_PERIODIC_JOBS_IN_APP`` says otherwise.

Work that belongs to one server process stays in that process: closing its own sockets whose
session ended and renewing its people's presence (``chat.ws.running``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog

from eportfolio.config import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from eportfolio.kit.uow import UnitOfWork

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Job:
    name: str  # the command's name
    help: str
    run: Callable[[UnitOfWork], Awaitable[int]]  # one transaction; returns how many things it did
    interval: Callable[[Settings], float]  # seconds between runs, in the app and in `periodic`
    done: str  # what the returned count counts, for the command's output


# The features are imported when a job runs, not when this registry is read: the `eportfolio`
# command lists the jobs as subcommands and must start quickly (`serve` imports the app only in
# its workers).


async def _escalate(uow: UnitOfWork) -> int:
    from eportfolio.duty import service as duty

    return await duty.escalate_due(uow)


async def _trajectory_reminders(uow: UnitOfWork) -> int:
    from eportfolio.trajectory import service as trajectory

    return await trajectory.send_reminders(uow)


async def _remind_appointments(uow: UnitOfWork) -> int:
    from eportfolio.appointments import service as appointments

    return await appointments.send_reminders(uow)


async def _workshop_reminders(uow: UnitOfWork) -> int:
    from eportfolio.workshops import service as workshops

    return await workshops.send_reminders(uow)


JOBS: tuple[Job, ...] = (
    Job(
        name="escalate",
        help="pass on unanswered chat messages to whoever is on duty (for a timer, every minute)",
        run=_escalate,
        interval=lambda settings: settings.escalation_sweep_seconds,
        done="conversations escalated",
    ),
    Job(
        name="trajectory-reminders",
        help="remind participants and coaches of an end measurement or follow-up due (for a timer, hourly)",
        run=_trajectory_reminders,
        interval=lambda settings: 3600.0,
        done="trajectory reminders made",
    ),
    Job(
        name="remind-appointments",
        help="remind of appointments the day before and an hour before, once each (for a timer, every 5 minutes)",
        run=_remind_appointments,
        interval=lambda settings: 300.0,
        done="appointment reminders made",
    ),
    Job(
        name="workshop-reminders",
        help="remind everyone enrolled of tomorrow's group session, once (for a timer, every 15 minutes)",
        run=_workshop_reminders,
        interval=lambda settings: 900.0,
        done="session reminders made",
    ),
)


async def run_job(app: FastAPI, job: Job) -> int:
    """Run the job once, in one transaction; its events go out through the app's event bus after
    commit (the chat's broker: through Redis to every worker's sockets)."""
    from eportfolio.kit.uow import unit_of_work

    async with unit_of_work(app.state.sessionmaker, app.state.event_bus) as uow:
        return await job.run(uow)


async def repeat(app: FastAPI, job: Job) -> None:
    """Run the job at its interval until cancelled; a failing run is logged and the next one comes."""
    interval = job.interval(app.state.settings)
    while True:
        await asyncio.sleep(interval)
        try:
            await run_job(app, job)
        except Exception:
            log.exception("periodic_job_failed", job=job.name)


@asynccontextmanager
async def in_process(app: FastAPI) -> AsyncIterator[None]:
    """For the app's lifespan outside production (or when the setting asks for it): every job at
    its interval while the app runs."""
    settings: Settings = app.state.settings
    if not settings.runs_periodic_jobs:
        yield
        return
    tasks = [asyncio.create_task(repeat(app, job)) for job in JOBS]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
