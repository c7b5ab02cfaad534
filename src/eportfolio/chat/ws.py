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
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI
from pydantic import TypeAdapter, ValidationError
from starlette.requests import cookie_parser
from starlette.routing import WebSocketRoute
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect

from eportfolio.accounts.sessions import SESSION_COOKIE, caller_for_token, session_for_token
from eportfolio.chat import service
from eportfolio.chat.broker import PRESENCE_RENEW
from eportfolio.chat.envelope import Envelope
from eportfolio.chat.group_commit import in_transaction
from eportfolio.chat.hub import (
    CLOSE_FLOODING,
    CLOSE_TOO_MANY_SOCKETS,
    CLOSE_TOO_SLOW,
    CLOSE_UNAUTHENTICATED,
    Acked,
    Close,
    Connection,
    Reply,
    Resume,
)
from eportfolio.chat.runtime import ChatRuntime, install_runtime
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
    TypingFrame,
    WelcomeFrame,
)
from eportfolio.kit import i18n
from eportfolio.kit.auth import Caller
from eportfolio.kit.errors import N_, DomainError
from eportfolio.kit.uow import unit_of_work

log = structlog.get_logger(__name__)
router = APIRouter()
client_frames: TypeAdapter[ClientFrame] = TypeAdapter(ClientFrame)

CLOSE_POLICY = 1008


def install(app: FastAPI) -> ChatRuntime:
    """The chat runtime on ``app.state.chat``, and ``/ws`` served before the HTTP middleware."""
    runtime = install_runtime(app)
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

    app.build_middleware_stack = build_with_socket  # type: ignore[method-assign]  # the socket route goes in front of the app's middleware stack


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[None]:
    """For the app's lifespan: this process's own sweeps (its sockets' sessions, its people's
    presence) run while the app does; the broker closes after. Work on the whole database runs
    as an ``eportfolio`` command instead (``eportfolio.jobs``)."""
    sweeps = [
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
        return await caller_for_token(uow, app.state.settings, websocket.token)


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
    """Once the socket is accepted, drop what is kept of its handshake for the socket's whole life
    and never used again (memory per idle connection): the scope's headers and its copy of the app
    state (the dict is shared with the frames that called this endpoint), and the server's."""
    kept = {key: scope[key] for key in ("type", "path") if key in scope}
    scope.clear()
    scope.update(kept)
    forget_uvicorn_handshake(send)


def forget_uvicorn_handshake(send: Send) -> bool:
    """The one piece of this endpoint that knows uvicorn's insides (its ``websockets-sansio``
    protocol, ``UVICORN_WEBSOCKET_OPTIONS``): drop its parsed request and response with all their
    headers (the request's are emptied in place: websockets' parser keeps the request itself).

    Relies on the ASGI ``send`` being a method of the protocol, which has ``handshake_complete``,
    ``request`` and ``response`` (tests/unit/test_chat_uvicorn.py fails when that changes).
    Returns whether it found them; under another server it does nothing.
    """
    protocol = getattr(send, "__self__", None)
    if protocol is None or not getattr(protocol, "handshake_complete", False):
        return False
    attributes = vars(protocol)
    found = False
    for name in ("request", "response"):
        handshake = attributes.get(name)
        headers = getattr(handshake, "headers", None)
        if headers is not None and callable(getattr(headers, "clear", None)):
            headers.clear()
        if name in attributes:
            attributes[name] = None
            found = True
    return found


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


def _error(caller: Caller, code: str, message: str, ref: str | None = None, **params: Any) -> Reply:
    retry_after = params.pop("retry_after", None)
    text = i18n.gettext(caller.language, message, **params)
    return Reply(ErrorFrame(code=code, message=text, ref=ref, retry_after=retry_after).model_dump_json())


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
                    caller,
                    "too_many_requests",
                    N_("You are sending too fast. Please wait a moment."),
                    ref=_frame_ref(text),
                    retry_after=1,
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


def _frame_fields(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than Python's parser goes
        return {}
    return value if isinstance(value, dict) else {}


def _frame_type(text: str) -> str | None:
    kind = _frame_fields(text).get("type")
    return kind if isinstance(kind, str) else None


def _frame_ref(text: str) -> str | None:
    """What an error frame names a frame by, as for a handled one: a send's client id, else its type."""
    fields = _frame_fields(text)
    kind, client_id = fields.get("type"), fields.get("client_id")
    if kind == "send" and isinstance(client_id, str):
        return client_id
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
            invalid = ErrorFrame(
                code="invalid",
                ref=kind,
                message=i18n.gettext(caller.language, "This frame is not right: %(problems)s", problems=problems),
            )
            connection.offer(Reply(invalid.model_dump_json()))
        return
    if not isinstance(frame, ResumeFrame) and not connection.resumed:
        connection.resume(Resume({}))
    ref = frame.client_id if isinstance(frame, SendFrame) else frame.type
    try:
        await _dispatch(app, connection, frame)
    except DomainError as exc:
        refused = ErrorFrame(
            code=exc.code,
            ref=ref,
            retry_after=exc.retry_after,
            message=i18n.gettext(caller.language, exc.message, **exc.params),
        )
        connection.offer(Reply(refused.model_dump_json()))
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
        connection.offer(Reply(PongFrame().model_dump_json()))


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
            refused = ErrorFrame(
                code=exc.code, ref=key, message=i18n.gettext(caller.language, exc.message, **exc.params)
            )
            connection.offer(Reply(refused.model_dump_json()))
            continue
        connection.last_seq[key] = max(last, connection.last_seq.get(key, 0))
    caught_up = CaughtUpFrame(last_seq={uuid.UUID(k): v for k, v in connection.last_seq.items()})
    await _send(websocket, connection, caught_up.model_dump_json())


async def _deliver_event(websocket: Socket, connection: Connection, envelope: Envelope) -> None:
    conversation_id, seq = envelope.conversation_id, envelope.seq
    if conversation_id is None or seq is None:
        await _send(websocket, connection, envelope.text)
        return
    last = connection.last_seq.get(conversation_id, 0)
    if seq <= last:
        return  # she has it already
    if seq > last + 1:
        try:
            last = await _catch_up(websocket, connection, conversation_id, last, seq - 1)
        except DomainError:
            return  # no longer a member: nothing more of this conversation
    await _send(websocket, connection, envelope.text)
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
                if isinstance(item, Close):
                    break
                if isinstance(item, Envelope):
                    await _deliver_event(websocket, connection, item)
                elif isinstance(item, Reply):
                    await _send(websocket, connection, item.text)
                elif isinstance(item, Acked):
                    await _deliver_ack(websocket, connection, item)
                else:
                    await _replay(websocket, connection, item)
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
