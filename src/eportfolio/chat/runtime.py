"""This process's chat runtime: its hub of sockets and its broker to the other processes, the
group commit of its sockets' sends, and what follows a committed chat event (delivery to sockets,
the cache of memberships forgotten, a notice and a Web Push for those offline)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid

import structlog
from fastapi import FastAPI

from eportfolio.chat import metrics, service
from eportfolio.chat.broker import Broker, make_broker
from eportfolio.chat.envelope import Envelope, Invalidate
from eportfolio.chat.group_commit import GroupCommit
from eportfolio.chat.hub import Connection, Hub, Limits
from eportfolio.config import Settings
from eportfolio.kit import i18n
from eportfolio.kit.errors import N_
from eportfolio.kit.events import Event
from eportfolio.kit.uow import unit_of_work

log = structlog.get_logger(__name__)


class ChatRuntime:
    """This process's hub and broker; started on first use, closed with the app."""

    def __init__(self, app: FastAPI, settings: Settings, limits: Limits | None = None) -> None:
        self.app = app
        self.settings = settings
        self.limits = limits or Limits.from_settings(settings)
        self.hub = Hub()
        self.access = service.AccessCache(settings.chat_membership_cache_seconds)
        self.sends = GroupCommit(
            app, self.access, max_batch=settings.chat_commit_batch, parallel=settings.chat_parallel_commits
        )
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

    async def deliver(self, envelope: Envelope) -> None:
        """An envelope from the broker (this process's or another's): forget what it invalidates,
        then hand it to the hub."""
        if envelope.invalidate is not None:
            self.invalidate(envelope.invalidate)
        if envelope.recipients:
            await self.hub.deliver(envelope)

    def invalidate(self, what: Invalidate) -> None:
        conversation_id, programme_id = what.conversation_id, what.programme_id
        self.access.invalidate(
            conversation_id=uuid.UUID(conversation_id) if conversation_id else None,
            programme_id=uuid.UUID(programme_id) if programme_id else None,
            everything=not (conversation_id or programme_id),
        )

    async def on_event(self, event: Event) -> None:
        await self.ensure_started()
        envelope = Envelope.from_payload(event.payload)
        if event.name == "chat.message" and envelope.author is not None:
            metrics.MESSAGES_SENT.inc()  # after its commit, once: only this process publishes it
        if envelope.invalidate is not None:
            # At once in this process (before the request that changed it answers); the broker
            # tells the others.
            self.invalidate(envelope.invalidate)
        await self.broker.publish(envelope)
        if event.name in PUSHED_EVENTS and not all(map(self.hub.has, envelope.recipients)):
            # Never holds up delivery: the push runs beside it (one process publishes each event).
            # Not started when every recipient has a socket here: it would find nobody offline.
            task = asyncio.create_task(self.push(event.name, envelope))
            self._pushes.add(task)
            task.add_done_callback(self._pushes.discard)

    async def push(self, name: str, envelope: Envelope) -> int:
        """For the recipients who have no socket on any process: a notice in their in-app list
        (always: push may be off, impossible or lost) and a Web Push to the browsers of those who
        have push on; returns how many pushes were sent.

        Both say only that there is a new message, in her language: no content, no names; the push
        not even the conversation (the in-app notice links to it).
        """
        recipients = set(envelope.recipients)
        conversation_id = envelope.about
        if conversation_id is None:
            return 0
        if name == "chat.message":
            if envelope.author is None:
                return 0  # a system message: no notice
            recipients.discard(envelope.author)
        offline = {r for r in recipients if not self.hub.has(r)}
        if offline:
            offline -= await self.broker.online_elsewhere(offline)
        if not offline:
            return 0
        if name == "chat.message":
            # (An escalation made its in-app notice in its own transaction, online or not.)
            async with unit_of_work(self.app.state.sessionmaker) as uow:
                await service.notify_offline(uow, uuid.UUID(conversation_id), [uuid.UUID(p) for p in sorted(offline)])
        if not self.settings.vapid_private_key:
            return 0
        async with unit_of_work(self.app.state.sessionmaker) as uow:
            targets = await service.push_targets(uow, [uuid.UUID(p) for p in offline])
        # An escalation says someone waits; a tap opens her notifications, whose entry links on.
        waiting = name == "chat.escalation"
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
        metrics.OPEN_SOCKETS.inc()
        await self.broker.present({connection.person_key})
        return True

    async def disconnected(self, connection: Connection) -> None:
        if self.hub.remove(connection):
            metrics.OPEN_SOCKETS.dec()
        if not self.hub.has(connection.person_key):
            with contextlib.suppress(Exception):  # presence expires by itself if Redis is away
                await self.broker.absent(connection.person_key)

    async def close(self) -> None:
        await self.hub.close_all()
        pushes = list(self._pushes)
        for task in pushes:
            task.cancel()
        # Wait for them to unwind, so a push holding a database connection gives it back before
        # the engine is disposed instead of leaving it to the garbage collector.
        await asyncio.gather(*pushes, return_exceptions=True)
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


def install_runtime(app: FastAPI) -> ChatRuntime:
    """This process's runtime on ``app.state.chat``, fed by the events of the chat and of the
    programmes (who belongs where)."""
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
        what = Invalidate(programme_id=str(programme_id) if programme_id else None)
        runtime.invalidate(what)
        await runtime.ensure_started()
        await runtime.broker.publish(Envelope(invalidate=what))

    app.state.event_bus.subscribe("programmes.", programme_changed)
    return runtime
