"""Chat test helpers: the app served by real uvicorn in the test's event loop, a WebSocket client
that speaks the frame protocol, and ciphertext-shaped message bodies."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection, connect

from eportfolio.accounts.sessions import SESSION_COOKIE, start_session
from eportfolio.chat.hub import UVICORN_WEBSOCKET_OPTIONS
from eportfolio.kit.uow import unit_of_work

ORIGIN = "http://testserver"


def body(size: int = 300) -> str:
    """A message body shaped like an Envelope (scheme 1, tag 0x06) of realistic size; the server
    never opens it, so random bytes after the header are as good as real ciphertext here."""
    return base64.urlsafe_b64encode(b"\x01\x06" + os.urandom(size)).rstrip(b"=").decode()


def blob(size: int = 200) -> str:
    return base64.urlsafe_b64encode(os.urandom(size)).rstrip(b"=").decode()


def client_id() -> str:
    return uuid.uuid4().hex


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[str]:
    """Serve the app with real uvicorn on 127.0.0.1 (a free port); yields the ws:// URL of /ws."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan="on", log_level="warning", **UVICORN_WEBSOCKET_OPTIONS
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"ws://127.0.0.1:{port}/ws"
    finally:
        server.should_exit = True
        await task


async def session_token(app: FastAPI, person_id: uuid.UUID) -> str:
    async with unit_of_work(app.state.sessionmaker) as uow:
        _, token = await start_session(uow, app.state.settings, person_id)
    return token


class ChatClient:
    def __init__(self, socket: ClientConnection, welcome: dict[str, Any]) -> None:
        self.socket = socket
        self.welcome = welcome

    @classmethod
    @asynccontextmanager
    async def connect(
        cls, url: str, token: str | None, *, origin: str = ORIGIN, resume: dict[str, int] | None = None
    ) -> AsyncIterator[ChatClient]:
        headers = {"Cookie": f"{SESSION_COOKIE}={token}"} if token else {}
        async with connect(url, origin=origin, additional_headers=headers, compression=None) as socket:  # type: ignore[arg-type]  # websockets types origin as its Origin NewType of str
            welcome = json.loads(await asyncio.wait_for(socket.recv(), 5))
            client = cls(socket, welcome)
            if resume is not None:
                await client.send({"type": "resume", "since": resume})
                await client.until("caught_up")
            yield client

    async def send(self, frame: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(frame))

    async def recv(self, wait: float = 5) -> dict[str, Any]:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(self.socket.recv(), wait))
        return frame

    async def until(
        self, kind: str, where: Callable[[dict[str, Any]], bool] = lambda _: True, wait: float = 5
    ) -> dict[str, Any]:
        """The next frame of this type (and matching ``where``); other frames are skipped."""
        async with asyncio.timeout(wait):
            while True:
                frame = await self.recv(wait)
                if frame["type"] == kind and where(frame):
                    return frame

    async def message(self, conversation_id: str, epoch: int = 1, cid: str | None = None) -> dict[str, Any]:
        """Send a message and wait for its acknowledgement (or an error frame). Sent again, as a
        client does, after the wait a ``too_many_requests`` refusal of it asks for."""
        cid = cid or client_id()
        send = {"type": "send", "conversation_id": conversation_id, "client_id": cid, "body": body(), "epoch": epoch}
        await self.send(send)
        async with asyncio.timeout(5):
            while True:
                frame = await self.recv()
                if frame["type"] == "ack" and frame["client_id"] == cid:
                    return frame
                if frame["type"] == "error" and frame.get("ref") == cid:
                    if frame["code"] != "too_many_requests":
                        return frame
                    await asyncio.sleep(frame.get("retry_after") or 1)
                    await self.send(send)

    async def quiet(self, seconds: float = 0.3) -> list[dict[str, Any]]:
        """Every frame that arrives within ``seconds``."""
        frames = []
        try:
            while True:
                frames.append(await self.recv(seconds))
        except TimeoutError:
            return frames
