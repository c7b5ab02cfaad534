"""Server-side sessions behind an HttpOnly cookie, with idle and absolute timeouts."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import select, update

from eportfolio.accounts.tables import Session
from eportfolio.config import Settings
from eportfolio.kit.auth import Caller
from eportfolio.kit.clock import utcnow
from eportfolio.kit.uow import UnitOfWork
from eportfolio.programmes.tables import Person

SESSION_COOKIE = "ep_session"
# Signed per account by the server (accounts.service.known_device): exempts her own browsers from
# the back-off that someone else's failed logins put on her account or on her address.
KNOWN_DEVICE_COOKIE = "ep_device"
KNOWN_DEVICE_DAYS = 180
# last_seen_at is written at most this often, so reading pages does not write on every request.
TOUCH_INTERVAL = timedelta(seconds=60)


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def start_session(
    uow: UnitOfWork, settings: Settings, person_id: uuid.UUID, *, user_agent: str = ""
) -> tuple[Session, str]:
    """A new session with a fresh random token (so a login always rotates the cookie)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = Session(
        token_hash=_hash(token),
        person_id=person_id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=settings.session_absolute_hours),
        user_agent=user_agent[:200],
    )
    uow.session.add(row)
    await uow.flush()
    return row, token


def set_session_cookie(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_absolute_hours * 3600,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        path="/",
    )


def set_known_device_cookie(response: Response, settings: Settings, value: str) -> None:
    response.set_cookie(
        KNOWN_DEVICE_COOKIE,
        value,
        max_age=KNOWN_DEVICE_DAYS * 24 * 3600,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        path="/",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", secure=settings.secure_cookies, httponly=True, samesite="lax")


async def session_for_token(uow: UnitOfWork, settings: Settings, token: str | None) -> Session | None:
    """The live session behind a cookie value, or None when it is unknown, ended or timed out."""
    if not token or len(token) > 100:
        return None
    result = await uow.session.execute(select(Session).where(Session.token_hash == _hash(token)))
    return _live(result.scalar_one_or_none(), settings)


def _live(row: Session | None, settings: Settings) -> Session | None:
    """The session if it is still live: a timed-out one is ended here (written with the request's
    commit), and a live one's ``last_seen_at`` moves on at most every ``TOUCH_INTERVAL``."""
    if row is None or row.ended_at is not None:
        return None
    now = utcnow()
    if now >= row.expires_at:
        row.ended_at, row.ended_reason = now, "absolute_timeout"
        return None
    if now - row.last_seen_at > timedelta(minutes=settings.session_idle_minutes):
        row.ended_at, row.ended_reason = now, "idle_timeout"
        return None
    if now - row.last_seen_at > TOUCH_INTERVAL:
        row.last_seen_at = now
    return row


async def caller_for_token(uow: UnitOfWork, settings: Settings, token: str | None) -> Caller | None:
    """Who is behind a session cookie's value (a request's or a WebSocket's), or None: her session
    and her person row in one statement."""
    if not token or len(token) > 100:
        return None
    result = await uow.session.execute(
        select(Session, Person).join(Person, Person.id == Session.person_id).where(Session.token_hash == _hash(token))
    )
    found = result.one_or_none()
    if found is None:
        return None
    row, person = found
    if _live(row, settings) is None:
        return None
    return Caller(
        person_id=person.id,
        organisation_id=person.organisation_id,
        session_id=row.id,
        display_name=person.display_name,
        language=person.language,
    )


async def resolve_caller(request: Request, uow: UnitOfWork) -> Caller | None:
    return await caller_for_token(uow, request.app.state.settings, request.cookies.get(SESSION_COOKIE))


async def end_session(uow: UnitOfWork, session_id: uuid.UUID, reason: str) -> None:
    await uow.session.execute(
        update(Session)
        .where(Session.id == session_id, Session.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_reason=reason)
    )


async def end_other_sessions(uow: UnitOfWork, person_id: uuid.UUID, keep: uuid.UUID | None, reason: str) -> None:
    query = update(Session).where(Session.person_id == person_id, Session.ended_at.is_(None))
    if keep is not None:
        query = query.where(Session.id != keep)
    await uow.session.execute(query.values(ended_at=utcnow(), ended_reason=reason))
