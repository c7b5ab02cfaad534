"""The `eportfolio` command: serve, migrate, demo, create-admin, check, send-reminders, report-uploads,
the periodic jobs (escalate; see `eportfolio.jobs`) and periodic (all of them at their intervals)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import Sequence

from sqlalchemy import text

from eportfolio.config import (
    BASE_URL_VARIABLE,
    WILDCARD_HOSTS,
    Environment,
    Settings,
    get_settings,
    served_url,
)


def follow_served_address(host: str, port: int) -> str | None:
    """Outside production, without EPORTFOLIO_BASE_URL, the site's address is the one served on.

    Invitation links, QR codes and the Origin the chat socket accepts then follow
    ``--host``/``--port`` (``make run PORT=8123``). It is passed on in the environment, so every
    worker process reads the same address. Returns the address it set, or None."""
    settings = get_settings()
    if settings.env is Environment.production or "base_url" in settings.model_fields_set:
        return None
    url = served_url(host, port)
    os.environ[BASE_URL_VARIABLE] = url
    get_settings.cache_clear()
    return url


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from eportfolio.chat.hub import UVICORN_WEBSOCKET_OPTIONS

    followed = follow_served_address(args.host, args.port)
    settings = get_settings()
    problems = settings.problems()
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    print(f"eportfolio: open {settings.base_url}", flush=True)
    if followed is not None and args.host in WILDCARD_HOSTS:
        print(
            f"eportfolio: links and the chat use {followed}; to open it from another device, "
            f"set {BASE_URL_VARIABLE}=http://<this computer's address>:{args.port}",
            flush=True,
        )
    uvicorn.run(
        "eportfolio.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        forwarded_allow_ips=args.forwarded_allow_ips,
        log_level="info",
        **UVICORN_WEBSOCKET_OPTIONS,
    )
    return 0


def _migrate(_: argparse.Namespace) -> int:
    from eportfolio.kit.migrations import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    print("database is at the newest migration")
    return 0


def _demo(_: argparse.Namespace) -> int:
    settings = get_settings()
    if not settings.is_development:
        print("error: the demo refuses to run outside development (EPORTFOLIO_ENV=development)", file=sys.stderr)
        return 2
    from eportfolio import demo
    from eportfolio.kit.db import make_engine, make_sessionmaker

    async def run() -> tuple[demo.DemoReport, list[tuple[str, str, str]]]:
        engine = make_engine(settings.database_url)
        try:
            sessionmaker = make_sessionmaker(engine)
            report = await demo.load(sessionmaker)
            return report, await demo.demo_logins(sessionmaker)
        finally:
            await engine.dispose()

    report, logins = asyncio.run(run())
    for line in report.created:
        print(f"created  {line}")
    # Every run, not only the first: `make run` shows them again each time it starts.
    if logins:
        print("\nDemo logins (development only; anyone who reads this can log in):")
        for login, password, role in logins:
            print(f"  {login:<22} {password:<30} {role}")
        print()
    print(f"{len(report.created)} created, {len(report.skipped)} already there")
    return 0


def _create_admin(args: argparse.Namespace) -> int:
    from eportfolio.invitations.codes import join_link
    from eportfolio.invitations.service import create_first_admin_invitation
    from eportfolio.kit.db import make_engine, make_sessionmaker

    settings = get_settings()

    async def run() -> tuple[str, str]:
        engine = make_engine(settings.database_url)
        try:
            return await create_first_admin_invitation(
                make_sessionmaker(engine), organisation_name=args.organisation, display_name=args.name
            )
        finally:
            await engine.dispose()

    from eportfolio.kit.errors import DomainError

    try:
        code, expires = asyncio.run(run())
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    print("One-time invitation for the first organisation administrator.")
    print("Hand it over in person; it works once and expires on", expires)
    print()
    print(f"  code: {code}")
    print(f"  open: {join_link(settings.base_url, code)}")
    print()
    print("She chooses her own password in her browser; it is never typed here.")
    return 0


def check_settings(settings: Settings) -> list[str]:
    """Every problem, one line each: settings, database, migrations."""
    problems = list(settings.problems())
    from eportfolio.kit.db import make_engine
    from eportfolio.kit.migrations import heads, is_at_head

    async def database_problems() -> list[str]:
        engine = make_engine(settings.database_url)
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:  # any failure to connect is reported as one line
            await engine.dispose()
            return [f"database unreachable at {_redact(settings.database_url)}: {type(exc).__name__}"]
        try:
            if len(heads()) != 1:
                return [f"migrations have {len(heads())} heads; there must be exactly one"]
            if not await is_at_head(engine):
                return ["database is not at the newest migration; run `eportfolio migrate`"]
            return []
        finally:
            await engine.dispose()

    problems += asyncio.run(database_problems())
    if settings.redis_url:
        problems += _redis_problems(settings.redis_url)
    return problems


def _redis_problems(url: str) -> list[str]:
    try:
        import redis
    except ImportError:
        return ["EPORTFOLIO_REDIS_URL is set but the redis package is not installed (pip install 'eportfolio[redis]')"]
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:  # reported as one line
        return [f"redis unreachable at {_redact(url)}: {type(exc).__name__}"]
    return []


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def _check(_: argparse.Namespace) -> int:
    try:
        settings = Settings()
    except Exception as exc:  # pydantic names each invalid setting
        for error in getattr(exc, "errors", lambda: [])() or [{"loc": ["settings"], "msg": str(exc)}]:
            name = "EPORTFOLIO_" + str(error["loc"][0]).upper()
            print(f"problem: {name}: {error['msg']}")
        return 1
    problems = check_settings(settings)
    for problem in problems:
        print(f"problem: {problem}")
    if problems:
        return 1
    print("ok: settings valid, database reachable, migrations at head")
    return 0


def _send_reminders(args: argparse.Namespace) -> int:
    """For a timer (cron, a systemd timer): remind each participant once of what is due soon."""
    from datetime import date

    from eportfolio.assignments.service import send_due_reminders
    from eportfolio.kit.clock import utcnow
    from eportfolio.kit.db import make_engine, make_sessionmaker
    from eportfolio.kit.uow import unit_of_work

    settings = get_settings()
    today = date.fromisoformat(args.today) if args.today else utcnow().date()

    async def run() -> int:
        engine = make_engine(settings.database_url)
        try:
            async with unit_of_work(make_sessionmaker(engine)) as uow:
                return await send_due_reminders(uow, today)
        finally:
            await engine.dispose()

    print(f"reminders made: {asyncio.run(run())}")
    return 0


def _report_uploads(args: argparse.Namespace) -> int:
    """List portfolio files that stopped arriving more than --days ago (reported, never removed)."""
    from datetime import timedelta

    from eportfolio.kit.db import make_engine, make_sessionmaker
    from eportfolio.kit.uow import unit_of_work
    from eportfolio.portfolio.service import StalledUpload, stalled_uploads

    settings = get_settings()

    async def run() -> list[StalledUpload]:
        engine = make_engine(settings.database_url)
        try:
            async with unit_of_work(make_sessionmaker(engine)) as uow:
                return await stalled_uploads(uow, timedelta(days=args.days))
        finally:
            await engine.dispose()

    found = asyncio.run(run())
    for upload in found:
        print(
            f"{upload.since:%Y-%m-%d} {upload.programme}: portfolio {upload.portfolio_id} item {upload.item_id}, "
            f"{upload.received} of {upload.parts} parts, {upload.size} bytes"
        )
    print(f"files that did not arrive in {args.days} days: {len(found)} (nothing removed; the item says so to her)")
    return 0


def _run_job(args: argparse.Namespace) -> int:
    """For a timer (a systemd timer, cron): run one periodic job once. It runs in an app of its own
    so that its events leave the way a worker's do: through the broker (Redis) to the sockets of
    every worker, and as a notice and a push to whoever has no socket."""
    from eportfolio.app import create_app
    from eportfolio.jobs import Job, run_job

    job: Job = args.job
    settings = get_settings()

    async def run() -> int:
        app = create_app(settings)
        try:
            count = await run_job(app, job)
            await app.state.chat.pushes_settled()
            return count
        finally:
            await app.state.chat.close()
            await app.state.engine.dispose()

    print(f"{job.done}: {asyncio.run(run())}")
    return 0


def _periodic(_: argparse.Namespace) -> int:
    """Every periodic job at its interval, in this one process, until stopped: for a host without
    timers (the compose file). Never beside the timers: both would run the jobs."""
    from eportfolio.app import create_app
    from eportfolio.jobs import JOBS, repeat

    settings = get_settings()

    async def run() -> None:
        app = create_app(settings)
        try:
            await asyncio.gather(*(repeat(app, job) for job in JOBS))
        finally:
            await app.state.chat.close()
            await app.state.engine.dispose()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="eportfolio", description="eportfolio: e-portfolio and e-coaching")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    # The proxy's address (or addresses, comma-separated): only from there are X-Forwarded-For and
    # -Proto believed, so the per-address limits see the real client. A proxy in another container
    # has an address of its own (deploy/compose.yaml sets it through the environment).
    serve.add_argument(
        "--forwarded-allow-ips", default=os.environ.get("EPORTFOLIO_FORWARDED_ALLOW_IPS", "127.0.0.1")
    )
    serve.set_defaults(run=_serve)

    commands.add_parser("migrate", help="bring the database to the newest migration").set_defaults(run=_migrate)
    commands.add_parser("demo", help="load the demo organisation (development only; idempotent)").set_defaults(
        run=_demo
    )

    admin = commands.add_parser("create-admin", help="print a one-time invitation for the first organisation admin")
    admin.add_argument("--name", default="Organisation administrator", help="her display name")
    admin.add_argument("--organisation", default=None, help="organisation name (when there is none yet)")
    admin.set_defaults(run=_create_admin)

    commands.add_parser("check", help="check settings, database and migrations").set_defaults(run=_check)
    reminders = commands.add_parser("send-reminders", help="remind participants of assignments due soon (for a timer)")
    reminders.add_argument("--today", default=None, help="the date to count from (YYYY-MM-DD; default: today)")
    reminders.set_defaults(run=_send_reminders)

    uploads = commands.add_parser(
        "report-uploads", help="list portfolio files that stopped arriving long ago (nothing is removed)"
    )
    uploads.add_argument("--days", type=int, default=30, help="stopped more than this many days ago (default 30)")
    uploads.set_defaults(run=_report_uploads)

    from eportfolio.jobs import JOBS

    for job in JOBS:
        commands.add_parser(job.name, help=job.help).set_defaults(run=_run_job, job=job)
    commands.add_parser(
        "periodic", help="run every periodic job at its interval until stopped (where no timer runs them)"
    ).set_defaults(run=_periodic)

    args = parser.parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
