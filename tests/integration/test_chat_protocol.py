"""The chat WebSocket protocol against real uvicorn: acknowledged only after commit, resends stored
once, resume without gaps or duplicates, limits, and the Origin and membership checks."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY
from sqlalchemy import func, select
from websockets.exceptions import ConnectionClosed, InvalidStatus

from eportfolio.chat.envelope import Envelope
from eportfolio.chat.hub import Limits
from eportfolio.chat.tables import Message
from tests.support.chat import ChatClient, body, client_id, serve, session_token
from tests.support.client import Browser
from tests.support.conversations import Chat, open_coaching
from tests.support.world import World


@pytest.fixture
async def chat(app: FastAPI, world: World, browser: Browser) -> AsyncIterator[Chat]:
    conversation = await open_coaching(browser, world)
    async with serve(app) as url:
        yield Chat(
            url,
            app,
            world,
            conversation,
            await session_token(app, world.participant_a),
            await session_token(app, world.coach_a),
        )


async def drain(client: ChatClient) -> None:
    while True:
        await client.recv()


async def stored_count(app: FastAPI, conversation: str) -> int:
    async with app.state.sessionmaker() as session:
        result = await session.execute(
            select(func.count()).select_from(Message).where(Message.conversation_id == uuid.UUID(conversation))
        )
        return int(result.scalar_one())


async def test_a_message_is_acknowledged_after_commit_and_reaches_her_coach(chat: Chat) -> None:
    async with (
        ChatClient.connect(chat.url, chat.coach, resume={}) as coach,
        ChatClient.connect(chat.url, chat.mother, resume={}) as mother,
    ):
        assert chat.conversation in [c["id"] for c in mother.welcome["conversations"]]
        ack = await mother.message(chat.conversation)
        assert (ack["type"], ack["seq"], ack["duplicate"]) == ("ack", 1, False)
        # When she holds the ack, the message is committed: another session sees it.
        assert await stored_count(chat.app, chat.conversation) == 1
        received = await coach.until("message")
        assert received["message"]["seq"] == 1
        assert received["message"]["author_id"] == str(chat.world.participant_a)
        assert received["message"]["kind"] == "person"


async def test_a_refused_message_gets_no_ack_and_leaves_no_gap(chat: Chat) -> None:
    async with ChatClient.connect(chat.url, chat.mother, resume={}) as mother:
        refused = await mother.message(chat.conversation, epoch=7)
        assert (refused["type"], refused["code"]) == ("error", "stale_epoch")
        first = await mother.message(chat.conversation)
        assert (first["type"], first["seq"]) == ("ack", 1)


async def test_the_sending_socket_gets_the_ack_for_her_message_and_her_other_sockets_the_message(
    chat: Chat,
) -> None:
    async with (
        ChatClient.connect(chat.url, chat.coach, resume={}) as coach,
        ChatClient.connect(chat.url, chat.mother, resume={}) as mother,
        ChatClient.connect(chat.url, await chat.token(chat.world.participant_a), resume={}) as other_phone,
    ):
        ack = await mother.message(chat.conversation)
        assert ack["created_at"] is not None
        on_her_other_phone = await other_phone.until("message")
        assert (on_her_other_phone["message"]["seq"], on_her_other_phone["message"]["id"]) == (
            ack["seq"],
            ack["message_id"],
        )
        assert on_her_other_phone["message"]["created_at"] == ack["created_at"]
        # His answer follows her message on the socket that sent it, with no gap and no copy of hers.
        await coach.message(chat.conversation)
        answer = await mother.until("message")
        assert answer["message"]["seq"] == ack["seq"] + 1
        assert [f for f in await mother.quiet() if f["type"] == "message"] == []


async def test_an_ack_after_a_gap_sends_the_missing_messages_first(chat: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = chat.app.state.chat
    publish = runtime.broker.publish

    async def lose_seq_1(envelope: Envelope) -> None:
        if envelope.seq != 1:
            await publish(envelope)

    monkeypatch.setattr(runtime.broker, "publish", lose_seq_1)
    async with (
        ChatClient.connect(chat.url, chat.coach, resume={}) as coach,
        ChatClient.connect(chat.url, chat.mother, resume={}) as mother,
    ):
        await coach.message(chat.conversation)  # seq 1: its event is lost on the way to her
        cid = client_id()
        await mother.send(
            {"type": "send", "conversation_id": chat.conversation, "client_id": cid, "body": body(), "epoch": 1}
        )
        frames = []
        while not any(f["type"] == "ack" for f in frames):
            frames.append(await mother.recv())
        got = [(f["type"], f["message"]["seq"] if f["type"] == "message" else f["seq"]) for f in frames]
        assert [g for g in got if g[0] in ("message", "ack")] == [("message", 1), ("ack", 2)]


async def test_a_resend_is_stored_once_and_acknowledged_each_time(chat: Chat) -> None:
    async with (
        ChatClient.connect(chat.url, chat.coach, resume={}) as coach,
        ChatClient.connect(chat.url, chat.mother, resume={}) as mother,
    ):
        cid = client_id()
        first = await mother.message(chat.conversation, cid=cid)
        again = await mother.message(chat.conversation, cid=cid)
        assert (first["seq"], first["duplicate"]) == (1, False)
        assert (again["seq"], again["duplicate"]) == (1, True)
        assert again["message_id"] == first["message_id"]
        frames = await coach.quiet()
        assert [f["message"]["seq"] for f in frames if f["type"] == "message"] == [1]
    assert await stored_count(chat.app, chat.conversation) == 1


async def test_after_a_reconnect_she_gets_what_she_missed_then_live_without_gaps_or_duplicates(chat: Chat) -> None:
    async with ChatClient.connect(chat.url, chat.mother, resume={}) as mother:
        async with ChatClient.connect(chat.url, chat.coach, resume={}) as coach:
            for _ in range(3):
                await mother.message(chat.conversation)
            seen = [(await coach.until("message"))["message"]["seq"] for _ in range(3)]
            assert seen == [1, 2, 3]
        for _ in range(5):  # while the coach is away
            await mother.message(chat.conversation)
        async with ChatClient.connect(chat.url, chat.coach) as coach:
            welcome = {c["id"]: c["last_seq"] for c in coach.welcome["conversations"]}
            assert welcome[chat.conversation] == 8
            await coach.send({"type": "resume", "since": {chat.conversation: 3}})
            await mother.message(chat.conversation)  # live, while the replay may still run
            frames = []
            while len([f for f in frames if f["type"] == "message"]) < 6:
                frames.append(await coach.recv())
            frames += await coach.quiet()
            seqs = [f["message"]["seq"] for f in frames if f["type"] == "message"]
            assert seqs == [4, 5, 6, 7, 8, 9]
            assert any(f["type"] == "caught_up" for f in frames)


async def test_a_lost_live_event_is_filled_from_the_database(chat: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = chat.app.state.chat
    publish = runtime.broker.publish

    async def lose_seq_2(envelope: Envelope) -> None:
        if envelope.seq != 2:
            await publish(envelope)

    monkeypatch.setattr(runtime.broker, "publish", lose_seq_2)
    async with (
        ChatClient.connect(chat.url, chat.coach, resume={}) as coach,
        ChatClient.connect(chat.url, chat.mother, resume={}) as mother,
    ):
        for _ in range(3):
            await mother.message(chat.conversation)
        seqs = [(await coach.until("message"))["message"]["seq"] for _ in range(3)]
        assert seqs == [1, 2, 3]


async def test_a_socket_from_another_site_is_refused_at_the_handshake(chat: Chat) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with ChatClient.connect(chat.url, chat.mother, origin="https://evil.example"):
            pass
    assert refused.value.response.status_code == 403


async def test_without_a_session_the_socket_closes_with_log_in_first(chat: Chat) -> None:
    from websockets.asyncio.client import connect

    async with connect(chat.url, origin="http://testserver") as socket:  # type: ignore[arg-type]  # websockets types origin as its Origin NewType of str
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401


async def test_only_members_can_send_read_or_type(chat: Chat) -> None:
    outsider = await chat.token(chat.world.participant_a2)
    other_programme = await chat.token(chat.world.participant_b)
    async with ChatClient.connect(chat.url, outsider, resume={}) as stranger:
        assert chat.conversation not in [c["id"] for c in stranger.welcome["conversations"]]
        refused = await stranger.message(chat.conversation)
        assert (refused["type"], refused["code"]) == ("error", "forbidden")
        await stranger.send({"type": "typing", "conversation_id": chat.conversation})
        assert (await stranger.until("error"))["code"] == "forbidden"
        await stranger.send({"type": "ping"})
        assert (await stranger.until("pong"))["type"] == "pong", "the connection keeps working"
    async with ChatClient.connect(chat.url, other_programme, resume={}) as elsewhere:
        assert (await elsewhere.message(chat.conversation))["code"] == "not_found"
        await elsewhere.send({"type": "resume", "since": {chat.conversation: 0}})
        assert (await elsewhere.until("error"))["code"] == "not_found"
    assert await stored_count(chat.app, chat.conversation) == 0


async def test_bad_frames_get_an_error_frame_and_nobody_else_notices(chat: Chat) -> None:
    async with (
        ChatClient.connect(chat.url, chat.coach, resume={}) as coach,
        ChatClient.connect(chat.url, chat.mother, resume={}) as mother,
    ):
        await mother.socket.send("this is not json")
        assert (await mother.until("error"))["code"] == "invalid"
        await mother.send({"type": "shout", "conversation_id": chat.conversation})
        unknown = await mother.until("error")
        assert (unknown["code"], unknown["ref"]) == ("unknown_frame", "shout")
        await mother.send({"type": "send", "conversation_id": chat.conversation, "client_id": "x", "body": "%%%"})
        assert (await mother.until("error"))["code"] == "invalid"
        await mother.send(
            {
                "type": "send",
                "conversation_id": chat.conversation,
                "client_id": client_id(),
                "body": body(40_000),  # about 53,000 characters: over the limit, under ws_max_size
                "epoch": 1,
            }
        )
        assert (await mother.until("error"))["code"] == "too_large"
        ack = await mother.message(chat.conversation)
        assert ack["seq"] == 1, "after all that, her next message is the first one stored"
        assert (await coach.until("message"))["message"]["seq"] == 1


async def test_a_flood_is_refused_with_retry_after(chat: Chat) -> None:
    chat.app.state.chat.limits = dataclasses.replace(Limits(), frames_per_second=1, burst=3)
    async with ChatClient.connect(chat.url, chat.mother, resume={}) as mother:
        for _ in range(8):
            await mother.send({"type": "ping"})
        frames = await mother.quiet()
        # A burst of 3 frames: the resume frame took one, two pings pass, the rest are refused.
        assert [f["type"] for f in frames].count("pong") == 2
        refused = [f for f in frames if f["type"] == "error"]
        assert refused
        assert all((f["code"], f["retry_after"]) == ("too_many_requests", 1) for f in refused)
        assert all(f["ref"] == "ping" for f in refused), "the refusal names the frame it refused"


async def test_a_refused_send_is_named_by_its_client_id(chat: Chat) -> None:
    chat.app.state.chat.limits = dataclasses.replace(Limits(), frames_per_second=0.01, burst=2)
    async with ChatClient.connect(chat.url, chat.mother, resume={}) as mother:
        sent = [client_id() for _ in range(4)]
        for cid in sent:
            await mother.send(
                {"type": "send", "conversation_id": chat.conversation, "client_id": cid, "body": body(), "epoch": 1}
            )
        frames = []
        async with asyncio.timeout(10):
            while not any(f["type"] == "ack" for f in frames):  # the one that passed is committed first
                frames.append(await mother.recv(10))
        frames += await mother.quiet()
        acked = [f["client_id"] for f in frames if f["type"] == "ack"]
        refused = [f["ref"] for f in frames if f["type"] == "error" and f["code"] == "too_many_requests"]
        # The resume frame took one of the burst of 2: one send passes, the rest are refused by name.
        assert acked == sent[:1]
        assert refused == sent[1:], "she can tell which sends to make again"


async def test_a_client_too_slow_to_keep_up_is_closed_and_catches_up_after_reconnecting(chat: Chat) -> None:
    runtime = chat.app.state.chat
    runtime.limits = dataclasses.replace(Limits(), queue_size=5)
    async with ChatClient.connect(chat.url, chat.mother, resume={}) as mother:
        async with ChatClient.connect(chat.url, chat.coach, resume={}) as coach:
            await mother.message(chat.conversation)
            # More frames for her than her queue holds, faster than any socket drains them.
            notice = Envelope(recipients=(str(chat.world.coach_a),), text='{"type":"pong"}')
            for _ in range(20):
                await runtime.hub.deliver(notice)
            with pytest.raises(ConnectionClosed) as closed:
                await drain(coach)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4008
        await mother.message(chat.conversation)
        async with ChatClient.connect(chat.url, chat.coach) as coach:
            await coach.send({"type": "resume", "since": {chat.conversation: 0}})
            frames = await coach.quiet(0.5)
            assert [f["message"]["seq"] for f in frames if f["type"] == "message"] == [1, 2]


async def test_read_markers_and_typing_reach_the_others(chat: Chat) -> None:
    async with (
        ChatClient.connect(chat.url, chat.coach, resume={}) as coach,
        ChatClient.connect(chat.url, chat.mother, resume={}) as mother,
    ):
        await mother.message(chat.conversation)
        await coach.until("message")
        await coach.send({"type": "delivered", "conversation_id": chat.conversation, "seq": 1})
        delivered = await mother.until("marker", lambda f: f["marker"]["person_id"] == str(chat.world.coach_a))
        assert (delivered["marker"]["delivered_seq"], delivered["marker"]["read_seq"]) == (1, 0)
        await coach.send({"type": "read", "conversation_id": chat.conversation, "seq": 1})
        read = await mother.until(
            "marker", lambda f: f["marker"]["read_seq"] == 1 and f["marker"]["person_id"] == str(chat.world.coach_a)
        )
        assert read["marker"]["delivered_seq"] == 1
        await coach.send({"type": "typing", "conversation_id": chat.conversation})
        typing = await mother.until("typing")
        assert typing["person_id"] == str(chat.world.coach_a)
        await coach.send({"type": "read", "conversation_id": chat.conversation, "seq": 99})
        assert (await coach.until("error"))["code"] == "invalid"


async def test_the_chat_metrics_follow_sockets_and_sends(chat: Chat) -> None:
    def value(name: str) -> float:
        return REGISTRY.get_sample_value(name) or 0.0

    sockets, sent = value("eportfolio_chat_open_sockets"), value("eportfolio_chat_messages_sent_total")
    batches = value("eportfolio_chat_group_commit_batch_size_count")
    async with ChatClient.connect(chat.url, chat.mother, resume={}) as mother:
        assert value("eportfolio_chat_open_sockets") == sockets + 1
        ack = await mother.message(chat.conversation)
        assert ack["type"] == "ack"
        assert value("eportfolio_chat_messages_sent_total") == sent + 1
        assert value("eportfolio_chat_group_commit_batch_size_count") == batches + 1
        await mother.message(chat.conversation, cid=ack["client_id"])  # a resend is not a message
        assert value("eportfolio_chat_messages_sent_total") == sent + 1
    for _ in range(100):  # the server sees the close a moment later
        if value("eportfolio_chat_open_sockets") == sockets:
            break
        await asyncio.sleep(0.05)
    assert value("eportfolio_chat_open_sockets") == sockets, "a closed socket is no longer counted"
