"""The chat WebSocket at ``/ws`` (protocol: docs/chat-protocol.md).

One reader per connection handles her frames one at a time and queues the acknowledgement only
after the commit; her sends are committed together with the other sockets' (``GroupCommit``).
One writer per connection, started only while something waits to be sent, is the only task that
sends: it replays what she missed, then live events without gaps or duplicates (a seq gap is
filled from the database; a seq she has is skipped).

``/ws`` is a plain ASGI endpoint served before the HTTP middleware: an idle socket holds its
reader's coroutine and a few small objects, nothing of the handshake.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any, TypeVar

import structlog
from fastapi import APIRouter, FastAPI
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.requests import cookie_parser
from starlette.routing import WebSocketRoute
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect

from eportfolio.accounts.sessions import SESSION_COOKIE, session_for_token
from eportfolio.chat import service
from eportfolio.chat.broker import PRESENCE_RENEW, Broker, make_broker
from eportfolio.chat.hub import (
    CLOSE,
    CLOSE_FLOODING,
    CLOSE_TOO_MANY_SOCKETS,
    CLOSE_TOO_SLOW,
    CLOSE_UNAUTHENTICATED,
    Acked,
    Connection,
    Hub,
    Limits,
    Resume,
)
from eportfolio.config import Settings
from eportfolio.domain.chat import (
    AckFrame,
    CaughtUpFrame,
    ClientFrame,
    DeliveredFrame,
    ErrorFrame,
    MessageCreate,
    MessageFrame,
    MessagePage,
    PingFrame,
    PongFrame,
    ReadFrame,
    ResumeFrame,
    SendFrame,
    SendResult,
    TypingFrame,
    WelcomeFrame,
)
from eportfolio.kit import i18n
from eportfolio.kit.auth import Caller
from eportfolio.kit.errors import N_, Conflict, DomainError
from eportfolio.kit.events import Event
from eportfolio.kit.uow import UnitOfWork, unit_of_work
from eportfolio.programmes.tables import Person

log = structlog.get_logger(__name__)
router = APIRouter()
client_frames: TypeAdapter[ClientFrame] = TypeAdapter(ClientFrame)
T = TypeVar("T")

CLOSE_POLICY = 1008


class ChatRuntime:
    """This process's hub and broker; started on first use, closed with the app."""

    def __init__(self, app: FastAPI, settings: Settings, limits: Limits | None = None) -> None:
        self.app = app
        self.settings = settings
        self.limits = limits or Limits(sockets_per_session=settings.chat_sockets_per_session)
        self.hub = Hub()
        self.access = service.AccessCache()
        self.sends = GroupCommit(app, self.access)
        self.broker: Broker = make_broker(settings.redis_url)
        self._started = False
        self._lock = asyncio.Lock()
        self._pushes: set[asyncio.Task[int]] = set()

    async def ensure_started(self) -> None:
        if self._started:
            return
        async with self._lock:
            if not self._started:
                await self.broker.start(self.deliver, self.hub.close_all)
                self._started = True

    async def deliver(self, envelope: dict[str, Any]) -> None:
        """An envelope from the broker (this process's or another's): forget what it invalidates,
        then hand it to the hub."""
        invalidate = envelope.get("invalidate")
        if invalidate:
            self.invalidate(invalidate)
        if envelope.get("recipients"):
            await self.hub.deliver(envelope)

    def invalidate(self, what: dict[str, str]) -> None:
        conversation_id, programme_id = what.get("conversation_id"), what.get("programme_id")
        self.access.invalidate(
            conversation_id=uuid.UUID(conversation_id) if conversation_id else None,
            programme_id=uuid.UUID(programme_id) if programme_id else None,
            everything=not (conversation_id or programme_id),
        )

    async def on_event(self, event: Event) -> None:
        await self.ensure_started()
        invalidate = event.payload.get("invalidate")
        if invalidate:
            # At once in this process (before the request that changed it answers); the broker
            # tells the others.
            self.invalidate(invalidate)
        await self.broker.publish(event.payload)
        if event.name in PUSHED_EVENTS and not all(map(self.hub.has, event.payload.get("recipients", ()))):
            # Never holds up delivery: the push runs beside it (one process publishes each event).
            # Not started when every recipient has a socket here: it would find nobody offline.
            task = asyncio.create_task(self.push(event))
            self._pushes.add(task)
            task.add_done_callback(self._pushes.discard)

    async def push(self, event: Event) -> int:
        """For the recipients who have no socket on any process: a notice in their in-app list
        (always: push may be off, impossible or lost) and a Web Push to the browsers of those who
        have push on; returns how many pushes were sent.

        Both say only that there is a new message, in her language: no content, no names; the push
        not even the conversation (the in-app notice links to it).
        """
        recipients = set(event.payload.get("recipients", ()))
        if event.name == "chat.message":
            message = json.loads(event.payload["text"])["message"]
            if message.get("kind") != "person":
                return 0
            recipients.discard(str(message.get("author_id")))
            conversation_id = message["conversation_id"]
        else:
            conversation_id = json.loads(event.payload["text"])["entry"]["conversation_id"]
        offline = {r for r in recipients if not self.hub.has(r)}
        if offline:
            offline -= await self.broker.online_elsewhere(offline)
        if not offline:
            return 0
        if event.name == "chat.message":
            # (An escalation made its in-app notice in its own transaction, online or not.)
            async with unit_of_work(self.app.state.sessionmaker) as uow:
                await service.notify_offline(uow, uuid.UUID(conversation_id), [uuid.UUID(p) for p in sorted(offline)])
        if not self.settings.vapid_private_key:
            return 0
        async with unit_of_work(self.app.state.sessionmaker) as uow:
            targets = await service.push_targets(uow, [uuid.UUID(p) for p in offline])
        # An escalation says someone waits; a tap opens her notifications, whose entry links on.
        waiting = event.name == "chat.escalation"
        sent, gone = 0, []
        for target in targets:
            message, url = (WAITING, "/notifications") if waiting else (NEW_MESSAGE, "/chat")
            outcome = await asyncio.to_thread(send_push, self.settings, target, message, url)
            if outcome == "gone":
                gone.append(target.endpoint)
            sent += outcome == "sent"
        if gone:
            async with unit_of_work(self.app.state.sessionmaker) as uow:
                for endpoint in gone:
                    await service.drop_push_subscription(uow, endpoint)
        return sent

    async def pushes_settled(self) -> None:
        """Wait for the pushes under way (tests; a graceful stop)."""
        while self._pushes:
            await asyncio.gather(*list(self._pushes), return_exceptions=True)

    async def connected(self, connection: Connection) -> bool:
        """Add the connection; False (and nothing added) when its session has too many open."""
        if not self.hub.add(connection):
            return False
        await self.broker.present({connection.person_key})
        return True

    async def disconnected(self, connection: Connection) -> None:
        self.hub.remove(connection)
        if not self.hub.has(connection.person_key):
            with contextlib.suppress(Exception):  # presence expires by itself if Redis is away
                await self.broker.absent(connection.person_key)

    async def close(self) -> None:
        await self.hub.close_all()
        for task in list(self._pushes):
            task.cancel()
        await self.broker.close()
        self._started = False


PUSHED_EVENTS = ("chat.message", "chat.escalation")
NEW_MESSAGE = N_("You have a new message")
WAITING = N_("Someone is waiting for an answer. You are on duty.")


def send_push(settings: Settings, target: service.PushTarget, message: str = NEW_MESSAGE, url: str = "/chat") -> str:
    """One Web Push (blocking; run in a thread): "sent", "gone" (the subscription ended) or "failed"."""
    import requests
    from pywebpush import WebPushException, webpush

    try:
        webpush(
            subscription_info={"endpoint": target.endpoint, "keys": {"p256dh": target.p256dh, "auth": target.auth}},
            data=json.dumps({"body": i18n.gettext(target.language, message), "url": url}),
            vapid_private_key=settings.vapid_private_key,
            vapid_claims={"sub": settings.vapid_subject},
            ttl=3600,
            timeout=10,
        )
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status in (404, 410):
            return "gone"
        log.warning("chat_push_failed", status=status)
        return "failed"
    except requests.RequestException as exc:
        log.warning("chat_push_failed", error=type(exc).__name__)
        return "failed"
    return "sent"


def install(app: FastAPI) -> ChatRuntime:
    runtime = ChatRuntime(app, app.state.settings)
    app.state.chat = runtime
    app.state.event_bus.subscribe("chat.", runtime.on_event)

    async def assignment_ended(event: Event) -> None:
        programme_id, participant_id = event.payload["programme_id"], event.payload["participant_id"]
        async with unit_of_work(app.state.sessionmaker, app.state.event_bus) as uow:
            await service.reader_left(uow, uuid.UUID(programme_id), uuid.UUID(participant_id))

    app.state.event_bus.subscribe("programmes.assignment_ended", assignment_ended)

    async def readers_changed(event: Event) -> None:
        # A group member added or removed, a role switched off: a reader who left means a new
        # key epoch; a member who joined gets the key from the next member browser.
        payload = event.payload
        group_id = payload.get("group_id")
        async with unit_of_work(app.state.sessionmaker, app.state.event_bus) as uow:
            await service.readers_changed(
                uow,
                uuid.UUID(payload["programme_id"]),
                uuid.UUID(payload["person_id"]),
                group_id=uuid.UUID(group_id) if group_id else None,
                joined=event.name == "programmes.group_member_added",
            )

    for name in ("group_member_added", "group_member_removed", "membership_updated"):
        app.state.event_bus.subscribe(f"programmes.{name}", readers_changed)

    async def group_record_signed(event: Event) -> None:
        # Staff signed a group's member list: open member pages look again at who counts.
        payload = event.payload
        async with unit_of_work(app.state.sessionmaker, app.state.event_bus) as uow:
            await service.group_record_signed(uow, uuid.UUID(payload["programme_id"]), uuid.UUID(payload["group_id"]))

    app.state.event_bus.subscribe("programmes.group_membership_signed", group_record_signed)

    async def programme_changed(event: Event) -> None:
        # Assignments, memberships: who belongs to the programme's conversations may have changed.
        programme_id = event.payload.get("programme_id")
        what = {"programme_id": str(programme_id)} if programme_id else {}
        runtime.invalidate(what)
        await runtime.ensure_started()
        await runtime.broker.publish({"recipients": [], "invalidate": what})

    app.state.event_bus.subscribe("programmes.", programme_changed)
    _serve_socket_outside_middleware(app)
    return runtime


def _serve_socket_outside_middleware(app: FastAPI) -> None:
    """Serve ``/ws`` straight from the app's entry, before the HTTP middleware and routing.

    An open socket then holds only its own coroutine, not the frames of every middleware and of
    the router (memory per idle connection). The HTTP middleware passes WebSockets through
    anyway; what applies to a socket (Origin, size, the session cookie) the endpoint checks.
    """
    build = app.build_middleware_stack

    def build_with_socket() -> Any:
        stack = build()

        async def entry(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "websocket" and scope["path"] == "/ws":
                await chat_socket(scope, receive, send)
            else:
                await stack(scope, receive, send)

        return entry

    app.build_middleware_stack = build_with_socket  # type: ignore[method-assign]


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[None]:
    """For the app's lifespan: the escalation and session sweeps run while the app does; the
    broker closes after."""
    sweeps = [
        asyncio.create_task(_sweep_escalations(app, app.state.settings.escalation_sweep_seconds)),
        asyncio.create_task(_sweep_sessions(app)),
        asyncio.create_task(_renew_presence(app)),
    ]
    try:
        yield
    finally:
        for sweep in sweeps:
            sweep.cancel()
        for sweep in sweeps:
            with contextlib.suppress(asyncio.CancelledError):
                await sweep
        await app.state.chat.close()


async def close_ended_sessions(app: FastAPI) -> int:
    """Close every socket of this process whose session ended (logout elsewhere, idle or absolute
    timeout) with 4401; returns how many. Reads the sessions without touching them, so an open
    but idle socket does not keep its session alive."""
    runtime: ChatRuntime = app.state.chat
    connections = runtime.hub.connections()
    sessions = {c.caller.session_id for c in connections if c.caller.session_id is not None}
    if not sessions:
        return 0
    async with unit_of_work(app.state.sessionmaker) as uow:
        live = await service.live_sessions(uow, app.state.settings, sessions)
    closed = 0
    for connection in connections:
        if connection.caller.session_id not in live:
            connection.request_close(CLOSE_UNAUTHENTICATED, "session ended: log in again")
            closed += 1
    return closed


async def _renew_presence(app: FastAPI) -> None:
    runtime: ChatRuntime = app.state.chat
    while True:
        await asyncio.sleep(PRESENCE_RENEW)
        try:
            await runtime.broker.present(runtime.hub.people())
        except Exception:
            log.exception("chat_presence_failed")


async def _sweep_sessions(app: FastAPI) -> None:
    while True:
        await asyncio.sleep(app.state.chat.limits.session_check_seconds)
        try:
            await close_ended_sessions(app)
        except Exception:
            log.exception("chat_session_sweep_failed")


async def _sweep_escalations(app: FastAPI, interval: float = 30.0) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            async with unit_of_work(app.state.sessionmaker, app.state.event_bus) as uow:
                await service.escalate_due(uow)
        except Exception:
            log.exception("chat_escalation_sweep_failed")


# Group commit ------------------------------------------------------------------------------------


class GroupCommit:
    """The sends of every socket of this process, committed together.

    Sends that arrive while earlier ones commit wait and go together into one transaction (at
    most ``max_batch`` sends, one per conversation). Up to ``parallel`` transactions are under way
    at once, on conversations none of the others has: a conversation's sends are committed, and
    their events published, one transaction after the other, in the order they arrived, so its
    seqs and frames keep their order. When nothing else is under way a send commits at once, so
    a quiet server adds no delay; under load the waits of the commits (round trips, the flush to
    disk) overlap instead of adding up. Each send is acknowledged only after its commit. If a
    transaction fails (a changed conversation, a conflict, the database), nothing of it is kept
    and each of its sends is made again on its own with the full membership check.
    """

    def __init__(self, app: FastAPI, cache: service.AccessCache, max_batch: int = 100, parallel: int = 3) -> None:
        self.app, self.cache, self.max_batch = app, cache, max_batch
        settings = app.state.settings
        pool = settings.db_pool_size
        # Checks and batches together never take the whole pool. SQLite has one writer at a time:
        # a second transaction would only wait for it (or fail to upgrade its read to a write).
        self.parallel = 1 if settings.is_sqlite else max(1, min(parallel, pool // 3))
        self._waiting: deque[tuple[service.PendingSend, asyncio.Future[SendResult]]] = deque()
        self._busy: set[uuid.UUID] = set()  # conversations in a transaction under way
        self._running: set[asyncio.Task[None]] = set()
        self._checks = asyncio.Semaphore(max(1, pool // 2))
        self.batches = 0

    async def send(self, pending: service.PendingSend) -> SendResult:
        if self.cache.get(pending.conversation_id, pending.caller.person_id) is None:
            # Checked before it joins a batch, in a read-only transaction of its own: checks run
            # side by side on the pool instead of one after another inside the batch, but never
            # on every connection of the pool, so the batches always find one.
            async with self._checks:
                await in_transaction(
                    self.app,
                    lambda uow: service.cached_access(uow, self.cache, pending.caller, pending.conversation_id),
                )
        future: asyncio.Future[SendResult] = asyncio.get_running_loop().create_future()
        self._waiting.append((pending, future))
        self._start()
        return await future

    def _start(self) -> None:
        """Start transactions for what waits, while fewer than ``parallel`` are under way."""
        while self._waiting and len(self._running) < self.parallel:
            batch: list[tuple[service.PendingSend, asyncio.Future[SendResult]]] = []
            later: deque[tuple[service.PendingSend, asyncio.Future[SendResult]]] = deque()
            taken: set[uuid.UUID] = set()
            while self._waiting and len(batch) < self.max_batch:
                item = self._waiting.popleft()
                if item[1].done():
                    continue  # her socket closed meanwhile: nothing to send
                conversation_id = item[0].conversation_id
                if conversation_id in taken or conversation_id in self._busy:
                    # Keeps its place: a later send to the same conversation never overtakes it.
                    taken.add(conversation_id)
                    later.append(item)
                else:
                    taken.add(conversation_id)
                    batch.append(item)
            later.extend(self._waiting)
            self._waiting = later
            if not batch:
                return
            conversations = {pending.conversation_id for pending, _ in batch}
            self._busy |= conversations
            self.batches += 1
            task = asyncio.create_task(self._run(batch, conversations))
            self._running.add(task)

    async def _run(
        self, batch: list[tuple[service.PendingSend, asyncio.Future[SendResult]]], conversations: set[uuid.UUID]
    ) -> None:
        cancelled = False
        try:
            await self._commit(batch)
        except asyncio.CancelledError:
            cancelled = True
            for _, future in batch:
                future.cancel()
            raise
        finally:
            self._busy -= conversations
            self._running.discard(asyncio.current_task())
            if not cancelled:
                self._start()

    async def _commit(self, batch: list[tuple[service.PendingSend, asyncio.Future[SendResult]]]) -> None:
        sends = [pending for pending, _ in batch]
        try:
            async with unit_of_work(self.app.state.sessionmaker, self.app.state.event_bus) as uow:
                results = await service.send_messages(uow, sends, cache=self.cache)
        except Exception as exc:
            if not isinstance(exc, service.StaleAccess | Conflict | OperationalError):
                log.warning("chat_batch_failed", size=len(batch), error=type(exc).__name__)
            for pending, future in batch:
                await self._one(pending, future)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(result, DomainError):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def _one(self, pending: service.PendingSend, future: asyncio.Future[SendResult]) -> None:
        """One send in its own transaction, its membership checked against the database."""
        caller = replace(pending.caller, roles_by_programme=None, is_org_admin=None)
        try:
            result = await in_transaction(
                self.app, lambda uow: service.send_message(uow, caller, pending.conversation_id, pending.data)
            )
        except Exception as exc:
            if not future.done():
                future.set_exception(exc)
            return
        if not future.done():
            future.set_result(result)


# Running a frame in its own unit of work ------------------------------------------------------------


async def in_transaction(app: FastAPI, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """Run one use case and commit it; events leave after the commit, before this returns.

    Retried (at most three times) when SQLite is busy or when a concurrent resend of the same
    client id won the race for the unique key: the retry finds the stored message.
    """
    for attempt in range(3):
        try:
            async with unit_of_work(app.state.sessionmaker, app.state.event_bus) as uow:
                return await work(uow)
        except Conflict as exc:
            if attempt == 2 or not isinstance(exc.__cause__, IntegrityError):
                raise
        except OperationalError:
            if attempt == 2 or not app.state.settings.is_sqlite:
                raise
            await asyncio.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


class Socket:
    """The little the endpoint needs of an ASGI WebSocket: no request objects, no headers kept
    after the handshake (memory per idle connection), only the session cookie for the checks."""

    __slots__ = ("_closed", "_receive", "_send", "app", "connected", "token")

    def __init__(self, app: FastAPI, token: str | None, receive: Receive, send: Send) -> None:
        self.app, self.token = app, token
        self.connected = False
        self._closed = False
        self._receive, self._send = receive, send

    async def accept(self) -> None:
        await self._send({"type": "websocket.accept"})
        self.connected = True

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "websocket.disconnect":
            self.connected = False
        return message

    async def send_text(self, text: str) -> None:
        if not self.connected:
            raise WebSocketDisconnect(1006)
        try:
            await self._send({"type": "websocket.send", "text": text})
        except OSError as exc:
            self.connected = False
            raise WebSocketDisconnect(1006) from exc

    async def close(self, code: int, reason: str = "") -> None:
        """Before ``accept`` this refuses the handshake (HTTP 403)."""
        if self._closed:
            return
        self._closed = True
        self.connected = False
        await self._send({"type": "websocket.close", "code": code, "reason": reason})


async def _caller_for(websocket: Socket) -> Caller | None:
    app = websocket.app
    async with unit_of_work(app.state.sessionmaker) as uow:
        row = await session_for_token(uow, app.state.settings, websocket.token)
        if row is None:
            return None
        person = await uow.session.get(Person, row.person_id)
        if person is None:
            return None
        return Caller(
            person_id=person.id,
            organisation_id=person.organisation_id,
            session_id=row.id,
            display_name=person.display_name,
            language=person.language,
        )


async def _session_alive(websocket: Socket) -> bool:
    """Her session is still live (and marked as used, as a request would): the check while frames
    arrive. Who she is does not change for the socket's life, so only the session is read."""
    app = websocket.app
    async with unit_of_work(app.state.sessionmaker) as uow:
        return await session_for_token(uow, app.state.settings, websocket.token) is not None


def _handshake(app: FastAPI, scope: Scope) -> tuple[bool, str | None]:
    """Whether the Origin is ours, and the session cookie."""
    origin: str | None = None
    token: str | None = None
    for name, value in scope.get("headers", ()):
        if name == b"origin":
            origin = value.decode("latin-1")
        elif name == b"cookie":
            token = cookie_parser(value.decode("latin-1")).get(SESSION_COOKIE, token)
    allowed: set[str] = app.state.settings.allowed_origins
    return origin is not None and origin.rstrip("/") in allowed, token


# The endpoint ------------------------------------------------------------------------------------


async def chat_socket(scope: Scope, receive: Receive, send: Send) -> None:
    """The ASGI application of ``/ws`` (served before the HTTP middleware, see ``install``)."""
    app: FastAPI = scope["app"]
    origin_ok, token = _handshake(app, scope)
    if (await receive())["type"] != "websocket.connect":
        return
    websocket = Socket(app, token, receive, send)
    if not origin_ok:
        # Refused at the handshake (HTTP 403): a page of another site never gets a socket.
        await websocket.close(code=CLOSE_POLICY, reason="origin not allowed")
        return
    caller = await _caller_for(websocket)
    await websocket.accept()
    _forget_handshake(scope, send)
    del scope
    if caller is None:
        await websocket.close(code=CLOSE_UNAUTHENTICATED, reason="log in first")
        return
    runtime: ChatRuntime = app.state.chat
    await runtime.ensure_started()
    connection = Connection(caller, runtime.limits)
    if not await runtime.connected(connection):
        await websocket.close(code=CLOSE_TOO_MANY_SOCKETS, reason="too many open connections: close another chat tab")
        return
    writer = _Writer(websocket, connection)
    try:
        await _welcome(websocket, connection)
        connection.wake = writer.start
        # Without a resume frame within the wait, she gets live events from now on.
        no_resume = asyncio.get_running_loop().call_later(
            runtime.limits.resume_wait_seconds, connection.resume, Resume({})
        )
        try:
            await _read(websocket, connection)
        finally:
            no_resume.cancel()
    except WebSocketDisconnect:
        pass
    finally:
        connection.wake = None
        await runtime.disconnected(connection)
        await writer.stop()
        if websocket.connected and connection.close_code:
            # The peer may be gone already; there is nothing left to tell it.
            with contextlib.suppress(Exception):
                await websocket.close(code=connection.close_code, reason=connection.close_reason)


def _forget_handshake(scope: Scope, send: Send) -> None:
    """Once the socket is accepted, drop what the server keeps of its handshake for the socket's
    whole life and never uses again (memory per idle connection): the scope's headers and its copy
    of the app state (the dict is shared with the frames that called this endpoint), and uvicorn's
    parsed request and response with all their headers (the request's are emptied in place:
    websockets' parser keeps the request itself)."""
    kept = {key: scope[key] for key in ("type", "path") if key in scope}
    scope.clear()
    scope.update(kept)
    protocol = getattr(send, "__self__", None)
    if protocol is not None and getattr(protocol, "handshake_complete", False):
        attributes = vars(protocol)
        for name in ("request", "response"):
            handshake = attributes.get(name)
            headers = getattr(handshake, "headers", None)
            if headers is not None and callable(getattr(headers, "clear", None)):
                headers.clear()
            if name in attributes:
                attributes[name] = None


class _AsgiEndpoint:
    """``chat_socket`` as a plain ASGI app (Starlette would wrap a function in a ``WebSocket``)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await chat_socket(scope, receive, send)


# Also routed, for an app whose entry was not replaced (the same ASGI endpoint either way).
router.routes.append(WebSocketRoute("/ws", _AsgiEndpoint()))


async def _welcome(websocket: Socket, connection: Connection) -> None:
    """Her conversations and newest seqs, and this connection's limits. A function of its own so
    nothing of it stays referenced while the socket is open (memory per idle connection)."""
    caller, limits = connection.caller, connection.limits
    summaries = await in_transaction(websocket.app, lambda uow: service.summaries(uow, caller))
    for summary in summaries:
        connection.last_seq[str(summary.id)] = summary.last_seq
    welcome = WelcomeFrame(
        person_id=caller.person_id,
        conversations=summaries,
        limits={
            "max_frame_chars": limits.max_frame_chars,
            "frames_per_second": int(limits.frames_per_second),
            "burst": limits.burst,
            "queue_size": limits.queue_size,
        },
    )
    await websocket.send_text(welcome.model_dump_json())


# Reading -----------------------------------------------------------------------------------------


class _Bucket:
    """Token bucket: ``rate`` frames per second with bursts up to ``burst``."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, float(burst)
        self.tokens, self.at = float(burst), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def _error(caller: Caller, code: str, message: str, ref: str | None = None, **params: Any) -> str:
    retry_after = params.pop("retry_after", None)
    text = i18n.gettext(caller.language, message, **params)
    return ErrorFrame(code=code, message=text, ref=ref, retry_after=retry_after).model_dump_json()


async def _read(websocket: Socket, connection: Connection) -> None:
    caller, limits = connection.caller, connection.limits
    bucket = _Bucket(limits.frames_per_second, limits.burst)
    strikes = 0
    checked_at = time.monotonic()
    while connection.close_code is None:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text is None:
            raw = message.get("bytes") or b""
            text = raw.decode("utf-8", "replace") if len(raw) <= limits.max_frame_chars else None
        if text is None or len(text) > limits.max_frame_chars:
            connection.offer(
                _error(
                    caller,
                    "too_large",
                    N_("This frame is too large (at most %(limit)s characters)."),
                    limit=limits.max_frame_chars,
                )
            )
            continue
        if not bucket.take():
            strikes += 1
            if strikes >= limits.flood_strikes:
                connection.request_close(CLOSE_FLOODING, "too many frames")
                return
            connection.offer(
                _error(
                    caller, "too_many_requests", N_("You are sending too fast. Please wait a moment."), retry_after=1
                )
            )
            continue
        strikes = 0
        if time.monotonic() - checked_at > limits.session_check_seconds:
            checked_at = time.monotonic()
            if not await _session_alive(websocket):
                connection.request_close(CLOSE_UNAUTHENTICATED, "session ended: log in again")
                return
        await _handle(websocket.app, connection, text)


def _frame_type(text: str) -> str | None:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than Python's parser goes
        return None
    kind = value.get("type") if isinstance(value, dict) else None
    return kind if isinstance(kind, str) else None


async def _handle(app: FastAPI, connection: Connection, text: str) -> None:
    caller = connection.caller
    try:
        frame = client_frames.validate_json(text)
    except ValidationError as exc:
        errors = exc.errors(include_input=False)
        # Not JSON to pydantic (which also refuses nesting deeper than it parses): no second parse.
        readable = not any(e["type"] == "json_invalid" for e in errors)
        kind = _frame_type(text) if readable else None
        known = ("resume", "send", "read", "delivered", "typing", "ping")
        if kind is not None and kind not in known:
            connection.offer(_error(caller, "unknown_frame", N_("This kind of frame is unknown."), ref=kind))
        else:
            problems = "; ".join(
                ": ".join(part for part in (".".join(str(p) for p in e["loc"][1:]), e["msg"]) if part)
                for e in errors[:5]
            )
            connection.offer(
                ErrorFrame(
                    code="invalid",
                    ref=kind,
                    message=i18n.gettext(caller.language, "This frame is not right: %(problems)s", problems=problems),
                ).model_dump_json()
            )
        return
    if not isinstance(frame, ResumeFrame) and not connection.resumed:
        connection.resume(Resume({}))
    ref = frame.client_id if isinstance(frame, SendFrame) else frame.type
    try:
        await _dispatch(app, connection, frame)
    except DomainError as exc:
        connection.offer(
            ErrorFrame(
                code=exc.code,
                ref=ref,
                retry_after=exc.retry_after,
                message=i18n.gettext(caller.language, exc.message, **exc.params),
            ).model_dump_json()
        )
    except Exception:
        log.exception("chat_frame_failed", frame=frame.type)
        connection.offer(
            _error(caller, "server_error", N_("Something went wrong on our side. Please send it again."), ref=ref)
        )


async def _dispatch(app: FastAPI, connection: Connection, frame: ClientFrame) -> None:
    caller = connection.caller
    if isinstance(frame, ResumeFrame):
        resume = Resume(dict(frame.since))
        if connection.resumed:
            connection.offer(resume)
        else:
            connection.resume(resume)
    elif isinstance(frame, SendFrame):
        data = MessageCreate(client_id=frame.client_id, body=frame.body, epoch=frame.epoch)
        runtime: ChatRuntime = app.state.chat
        pending = service.PendingSend(caller, frame.conversation_id, data, origin=connection.origin)
        result = await runtime.sends.send(pending)
        # Only now, after the commit, is it acknowledged. The ack stands for her message on this
        # socket: the others get the message frame, this one does not.
        ack = AckFrame(
            conversation_id=frame.conversation_id,
            client_id=frame.client_id,
            seq=result.message.seq,
            message_id=result.message.id,
            duplicate=result.duplicate,
            created_at=result.message.created_at,
        )
        connection.offer(Acked(str(frame.conversation_id), result.message.seq, ack.model_dump_json()))
    elif isinstance(frame, ReadFrame | DeliveredFrame):
        is_read = isinstance(frame, ReadFrame)
        await in_transaction(
            app, lambda uow: service.move_marker(uow, caller, frame.conversation_id, frame.seq, read=is_read)
        )
    elif isinstance(frame, TypingFrame):
        await in_transaction(app, lambda uow: service.typing(uow, caller, frame.conversation_id))
    elif isinstance(frame, PingFrame):
        connection.offer(PongFrame().model_dump_json())


# Writing -----------------------------------------------------------------------------------------


async def _send(websocket: Socket, connection: Connection, text: str) -> None:
    try:
        async with asyncio.timeout(connection.limits.send_timeout_seconds):  # no task per frame
            await websocket.send_text(text)
    except TimeoutError:
        connection.request_close(CLOSE_TOO_SLOW, "too slow: reconnect and resume")
        raise


async def _catch_up(
    websocket: Socket, connection: Connection, conversation_id: str, after: int, until: int | None
) -> int:
    """Send the messages after ``after`` (up to ``until``, or all) from the database; returns the last seq."""
    app, caller = websocket.app, connection.caller
    cid = uuid.UUID(conversation_id)
    last = after

    async def page_after(start: int) -> MessagePage:
        return await in_transaction(app, lambda uow: service.list_messages(uow, caller, cid, after=start))

    while until is None or last < until:
        page = await page_after(last)
        for message in page.messages:
            if until is not None and message.seq > until:
                return last
            await _send(websocket, connection, MessageFrame(message=message).model_dump_json())
            last = message.seq
        if not page.more or not page.messages:
            break
    return last


async def _replay(websocket: Socket, connection: Connection, resume: Resume) -> None:
    """Everything after each given seq; a second resume gets what it asks for again."""
    caller = connection.caller
    for conversation_id, since in resume.since.items():
        key = str(conversation_id)
        try:
            last = await _catch_up(websocket, connection, key, since, None)
        except DomainError as exc:
            connection.offer(
                ErrorFrame(
                    code=exc.code, ref=key, message=i18n.gettext(caller.language, exc.message, **exc.params)
                ).model_dump_json()
            )
            continue
        connection.last_seq[key] = max(last, connection.last_seq.get(key, 0))
    caught_up = CaughtUpFrame(last_seq={uuid.UUID(k): v for k, v in connection.last_seq.items()})
    await _send(websocket, connection, caught_up.model_dump_json())


async def _deliver_event(websocket: Socket, connection: Connection, envelope: dict[str, Any]) -> None:
    conversation_id = envelope.get("conversation_id")
    seq = envelope.get("seq")
    if conversation_id is None or not isinstance(seq, int):
        await _send(websocket, connection, envelope["text"])
        return
    last = connection.last_seq.get(conversation_id, 0)
    if seq <= last:
        return  # she has it already
    if seq > last + 1:
        try:
            last = await _catch_up(websocket, connection, conversation_id, last, seq - 1)
        except DomainError:
            return  # no longer a member: nothing more of this conversation
    await _send(websocket, connection, envelope["text"])
    connection.last_seq[conversation_id] = seq


async def _deliver_ack(websocket: Socket, connection: Connection, acked: Acked) -> None:
    """Her ack stands for her message: what came before it in the conversation is sent first
    (a gap is filled from the database, as for a live message), then the ack, and its seq counts
    as sent on this connection."""
    last = connection.last_seq.get(acked.conversation_id, 0)
    if acked.seq > last:
        if acked.seq > last + 1:
            with contextlib.suppress(DomainError):  # no longer a member: the ack still tells her
                await _catch_up(websocket, connection, acked.conversation_id, last, acked.seq - 1)
        connection.last_seq[acked.conversation_id] = acked.seq
    await _send(websocket, connection, acked.text)


class _Writer:
    """Sends what is queued for one connection, in order, then ends: an idle connection has no
    writer task. Replays her first resume before anything else."""

    __slots__ = ("connection", "replayed", "task", "websocket")

    def __init__(self, websocket: Socket, connection: Connection) -> None:
        self.websocket, self.connection = websocket, connection
        self.replayed = False
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.task is None:
            self.task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        task, self.task = self.task, None
        if task is not None:
            task.cancel()
            # The writer ends by cancellation or because the peer went away; either is the end.
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _run(self) -> None:
        websocket, connection = self.websocket, self.connection
        try:
            if not self.replayed:
                self.replayed = True
                if connection.close_code is None:
                    await _replay(websocket, connection, connection.first_resume or Resume({}))
            while connection.outbox:
                item = connection.outbox.popleft()
                if item == CLOSE:
                    break
                if isinstance(item, Resume):
                    await _replay(websocket, connection, item)
                elif isinstance(item, Acked):
                    await _deliver_ack(websocket, connection, item)
                elif isinstance(item, str):
                    await _send(websocket, connection, item)
                else:
                    await _deliver_event(websocket, connection, item)
        except (TimeoutError, WebSocketDisconnect, RuntimeError):
            pass
        finally:
            # Nothing left (or the end): the next frame starts a new writer.
            self.task = None
            if connection.close_code is not None:
                connection.outbox.clear()
                # Closing a socket whose peer is gone may fail; the connection ends either way.
                with contextlib.suppress(Exception):
                    await websocket.close(code=connection.close_code, reason=connection.close_reason)
