"""The chat keeps up with what happens outside it: a socket closes when its session ends or times
out, even while nobody writes; a coach leaving makes the conversation's key due for a change."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import logging
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import update
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from eportfolio.accounts.sessions import SESSION_COOKIE, end_session, start_session
from eportfolio.accounts.tables import Session
from eportfolio.chat.hub import CLOSE_TOO_BIG, CLOSE_TOO_MANY_SOCKETS, MAX_FRAME_BYTES
from eportfolio.chat.runtime import ChatRuntime
from eportfolio.chat.ws import close_ended_sessions
from eportfolio.config import Settings
from eportfolio.kit.clock import utcnow
from eportfolio.kit.uow import unit_of_work
from tests.support.chat import ORIGIN, ChatClient, serve, session_token
from tests.support.client import Browser
from tests.support.conversations import Chat, open_coaching
from tests.support.world import World
from tests.support.world_keys import world_keys


@pytest.fixture
async def chat(app: FastAPI, world: World, browser: Browser) -> AsyncIterator[Chat]:
    conversation = await open_coaching(browser, world)
    async with serve(app) as url:
        mother, coach = await session_token(app, world.participant_a), await session_token(app, world.coach_a)
        yield Chat(url, app, world, conversation, mother, coach)


async def _session(chat: Chat) -> tuple[str, object]:
    async with unit_of_work(chat.app.state.sessionmaker) as uow:
        row, token = await start_session(uow, chat.app.state.settings, chat.world.participant_a)
    return token, row.id


async def _drain(client: ChatClient) -> None:
    while True:
        await client.recv(5)


async def _closed_with(client: ChatClient) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        await _drain(client)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def test_an_idle_socket_closes_when_her_session_is_ended_elsewhere(chat: Chat) -> None:
    token, session_id = await _session(chat)
    async with (
        ChatClient.connect(chat.url, token, resume={}) as ended,
        ChatClient.connect(chat.url, chat.coach, resume={}) as other,
    ):
        async with unit_of_work(chat.app.state.sessionmaker) as uow:
            await end_session(uow, session_id, "logout")  # type: ignore[arg-type]  # the session id as the socket test holds it, a str
        assert await close_ended_sessions(chat.app) == 1
        assert await _closed_with(ended) == 4401
        # Everyone else keeps their socket.
        await other.send({"type": "ping"})
        assert (await other.until("pong"))["type"] == "pong"


async def test_a_frame_after_her_session_ended_closes_the_socket_and_a_live_session_is_kept_in_use(
    chat: Chat,
) -> None:
    runtime = chat.app.state.chat
    runtime.limits = dataclasses.replace(runtime.limits, session_check_seconds=0.0)  # checked on every frame
    token, session_id = await _session(chat)
    async with ChatClient.connect(chat.url, token, resume={}) as mother:
        async with unit_of_work(chat.app.state.sessionmaker) as uow:
            await uow.session.execute(
                update(Session).where(Session.id == session_id).values(last_seen_at=utcnow() - timedelta(minutes=10))
            )
        await mother.send({"type": "ping"})
        assert (await mother.until("pong"))["type"] == "pong"
        async with unit_of_work(chat.app.state.sessionmaker) as uow:
            seen = (await uow.session.get(Session, session_id)).last_seen_at  # type: ignore[union-attr]  # the session row exists while the socket is open
        assert utcnow() - seen < timedelta(minutes=1), "a frame counts as her using the session"
        async with unit_of_work(chat.app.state.sessionmaker) as uow:
            await end_session(uow, session_id, "logout")  # type: ignore[arg-type]  # the session id as the socket test holds it, a str
        await mother.send({"type": "ping"})
        assert await _closed_with(mother) == 4401


async def test_an_idle_socket_closes_when_her_session_times_out(chat: Chat) -> None:
    token, session_id = await _session(chat)
    async with ChatClient.connect(chat.url, token, resume={}) as idle:
        # Still live: the sweep leaves it open (and does not count as her using the session).
        assert await close_ended_sessions(chat.app) == 0
        idle_minutes = chat.app.state.settings.session_idle_minutes
        async with unit_of_work(chat.app.state.sessionmaker) as uow:
            await uow.session.execute(
                update(Session)
                .where(Session.id == session_id)
                .values(last_seen_at=utcnow() - timedelta(minutes=idle_minutes + 1))
            )
        assert await close_ended_sessions(chat.app) == 1
        assert await _closed_with(idle) == 4401


async def test_when_her_coach_assignment_ends_the_key_is_due_for_a_change(chat: Chat, browser: Browser) -> None:
    world = chat.world
    async with ChatClient.connect(chat.url, chat.mother, resume={}) as mother:
        await browser.log_in_as(world.staff_a)
        ended = await browser.api(
            "POST", f"/api/v1/programmes/{world.programme_a}/coach-assignments/{world.assignment_a}/end"
        )
        assert ended.status_code == 200, ended.text
        frame = await mother.until("epoch")
        assert frame == {"type": "epoch", "conversation_id": chat.conversation, "epoch": 1, "rotation_due": True}

    await browser.log_in_as(world.participant_a)
    url = f"/api/v1/chat/conversations/{chat.conversation}"
    conversation = (await browser.get(url)).json()
    assert conversation["rotation_due"] is True
    assert [m["role"] for m in conversation["members"]] == ["participant"], "the coach who left is not a member"

    # Her browser makes the new epoch for the members she has now; the flag is gone.
    keys = await world_keys(chat.app, world)
    new_epoch = await keys.post_epoch(browser, chat.conversation, 2, world.participant_a, [world.participant_a])
    assert new_epoch.status_code == 201, new_epoch.text
    assert (await browser.get(url)).json()["rotation_due"] is False


async def test_an_assignment_ending_without_a_conversation_changes_nothing(chat: Chat) -> None:
    """Her coach leaves before she ever chatted: nothing to rotate, and the end still succeeds."""
    from eportfolio.chat import service

    async with unit_of_work(chat.app.state.sessionmaker) as uow:
        flagged = await service.reader_left(uow, chat.world.programme_b, chat.world.participant_b)
    assert flagged is False


@contextmanager
def _server_errors() -> Iterator[list[logging.LogRecord]]:
    """What uvicorn logs as errors meanwhile (a failing socket shows up there with its traceback)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append  # type: ignore[method-assign]  # captures log records instead of writing them
    logger = logging.getLogger("uvicorn.error")
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


async def test_a_deeply_nested_frame_gets_an_error_frame_and_the_socket_stays_open(
    chat: Chat, capfd: pytest.CaptureFixture[str]
) -> None:
    deep = "[" * 20_000 + "]" * 20_000
    deep_in_a_frame = '{"type": "ping", "x": ' + "[" * 300 + "]" * 300 + "}"
    deep_objects = '{"a":' * 7_000 + "1" + "}" * 7_000
    with _server_errors() as errors:
        async with ChatClient.connect(chat.url, chat.mother, resume={}) as mother:
            for text in (deep, deep_in_a_frame, deep_objects):
                await mother.socket.send(text)
                frame = await mother.until("error")
                assert frame["code"] == "invalid"
                assert frame["message"]
                assert len(frame["message"]) < 500, "the problem in a sentence, not the frame echoed back"
            await mother.send({"type": "ping"})
            assert (await mother.until("pong"))["type"] == "pong", "the socket is still open"
            ack = await mother.message(chat.conversation)
            assert ack["type"] == "ack"
    assert not errors, [r.getMessage() for r in errors]
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
    assert "RecursionError" not in out + err


# Size and number of sockets ---------------------------------------------------------------------


async def _raw_socket(url: str, token: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A WebSocket opened by hand, so a test can send a frame header without its payload."""
    host, port = url.removeprefix("ws://").split("/", 1)[0].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: {ORIGIN}\r\n"
            f"Cookie: {SESSION_COOKIE}={token}\r\n\r\n"
        ).encode()
    )
    answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert answer.startswith(b"HTTP/1.1 101"), answer
    return reader, writer


async def _server_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readexactly(2)
    length = head[1] & 0x7F
    if length == 126:
        length = int.from_bytes(await reader.readexactly(2), "big")
    elif length == 127:
        length = int.from_bytes(await reader.readexactly(8), "big")
    return head[0] & 0x0F, await reader.readexactly(length)


async def test_a_frame_over_the_size_limit_closes_the_socket_before_its_payload_is_read(chat: Chat) -> None:
    reader, writer = await _raw_socket(chat.url, chat.mother)
    try:
        opcode, welcome = await asyncio.wait_for(_server_frame(reader), 5)
        assert opcode == 0x1
        assert b'"welcome"' in welcome
        # A text frame that says it is 15 MiB long, and only its first KiB: the server must not
        # wait for (and buffer) the rest before it says no.
        announced = 15 * 1024 * 1024
        writer.write(bytes([0x81, 0x80 | 127]) + announced.to_bytes(8, "big") + b"\0\0\0\0" + b"x" * 1024)
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        async with asyncio.timeout(5):
            while True:
                opcode, payload = await _server_frame(reader)
                if opcode == 0x8:
                    break
        assert int.from_bytes(payload[:2], "big") == CLOSE_TOO_BIG
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    # A frame just under the server's read limit is still read, and answered with an error frame.
    async with ChatClient.connect(chat.url, chat.mother, resume={}) as mother:
        await mother.send({"type": "ping", "padding": "x" * (MAX_FRAME_BYTES - 1024)})
        assert (await mother.until("error"))["code"] == "too_large"
        await mother.send({"type": "ping"})
        assert (await mother.until("pong"))["type"] == "pong"


async def _open_sockets(chat: Chat, session_id: object, count: int) -> None:
    """Wait until the server has seen her sockets close (it learns so a moment after the client)."""
    for _ in range(500):
        if chat.app.state.chat.hub.sockets_of_session(session_id) == count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"still {chat.app.state.chat.hub.sockets_of_session(session_id)} sockets open")


async def test_one_session_has_at_most_so_many_sockets_open_and_the_next_is_refused(chat: Chat) -> None:
    runtime = chat.app.state.chat
    runtime.limits = dataclasses.replace(runtime.limits, sockets_per_session=2)
    token, session_id = await _session(chat)
    headers = {"Cookie": f"{SESSION_COOKIE}={token}"}
    async with (
        ChatClient.connect(chat.url, token, resume={}),
        ChatClient.connect(chat.url, token, resume={}) as second,
    ):
        async with connect(chat.url, origin=ORIGIN, additional_headers=headers, compression=None) as third:  # type: ignore[arg-type]  # websockets types origin as its Origin NewType of str
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(third.recv(), 5)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == CLOSE_TOO_MANY_SOCKETS
        assert "too many" in closed.value.rcvd.reason
        assert runtime.hub.sockets_of_session(session_id) == 2, "the refused one is not counted"
        # Her other sessions (another phone) are not affected, and the open ones keep working.
        async with ChatClient.connect(chat.url, chat.mother, resume={}) as elsewhere:
            await elsewhere.send({"type": "ping"})
            assert (await elsewhere.until("pong"))["type"] == "pong"
        await second.send({"type": "ping"})
        assert (await second.until("pong"))["type"] == "pong"
    await _open_sockets(chat, session_id, 0)
    async with ChatClient.connect(chat.url, token, resume={}) as again:
        await again.send({"type": "ping"})
        assert (await again.until("pong"))["type"] == "pong", "a closed socket frees its place"


def test_the_number_of_sockets_per_session_is_a_setting(
    app: FastAPI, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert app.state.chat.limits.sockets_per_session == 5
    monkeypatch.setenv("EPORTFOLIO_CHAT_SOCKETS_PER_SESSION", "3")
    configured = Settings(**settings.model_dump(exclude={"chat_sockets_per_session"}))
    assert configured.chat_sockets_per_session == 3
    assert ChatRuntime(app, configured).limits.sockets_per_session == 3


def test_the_chat_limits_are_settings(app: FastAPI, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = app.state.chat.limits
    assert (defaults.frames_per_second, defaults.burst) == (20.0, 40), "20 frames a second, bursts of 40"
    for name, value in {
        "FRAMES_PER_SECOND": "5",
        "BURST": "8",
        "FLOOD_STRIKES": "12",
        "QUEUE_SIZE": "50",
        "MAX_FRAME_CHARS": "4096",
        "MEMBERSHIP_CACHE_SECONDS": "7",
        "COMMIT_BATCH": "9",
    }.items():
        monkeypatch.setenv(f"EPORTFOLIO_CHAT_{name}", value)
    chat_settings = {name for name in Settings.model_fields if name.startswith("chat_")}
    configured = Settings(**settings.model_dump(exclude=chat_settings))
    runtime = ChatRuntime(app, configured)
    limits = runtime.limits
    assert (limits.frames_per_second, limits.burst, limits.flood_strikes) == (5.0, 8, 12)
    assert (limits.queue_size, limits.max_frame_chars) == (50, 4096)
    assert runtime.access.ttl == 7.0
    assert runtime.sends.max_batch == 9
