"""``chat.ws.forget_uvicorn_handshake`` reaches into uvicorn's WebSocket protocol (memory per idle
connection). This drives a handshake through the protocol uvicorn runs for us and fails when the
insides it relies on change (the ASGI ``send`` a method of the protocol; its ``handshake_complete``,
``request`` and ``response``)."""

from __future__ import annotations

import asyncio
import base64
import os
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState

from eportfolio.chat.hub import UVICORN_WEBSOCKET_OPTIONS
from eportfolio.chat.ws import forget_uvicorn_handshake


class _Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        return None

    def resume_reading(self) -> None:
        return None


async def test_the_handshake_uvicorn_keeps_is_found_and_dropped() -> None:
    outcome: asyncio.Future[tuple[bool, Any]] = asyncio.get_running_loop().create_future()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        assert (await receive())["type"] == "websocket.connect"
        await send({"type": "websocket.accept"})
        protocol = getattr(send, "__self__", None)
        outcome.set_result((forget_uvicorn_handshake(send), protocol))
        await send({"type": "websocket.close", "code": 1000})

    assert UVICORN_WEBSOCKET_OPTIONS["ws"] == "websockets-sansio", "the protocol this test drives"
    config = Config(app=app, lifespan="off", **UVICORN_WEBSOCKET_OPTIONS)
    config.load()
    state = ServerState()
    protocol = WebSocketsSansIOProtocol(config, state, app_state={})
    transport = _Transport()
    protocol.connection_made(transport)
    key = base64.b64encode(os.urandom(16)).decode()
    protocol.data_received(
        (
            "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nCookie: s=secret\r\n\r\n"
        ).encode()
    )
    found, seen = await asyncio.wait_for(outcome, 5)
    assert seen is protocol, "uvicorn's ASGI send is a method of its protocol"
    assert found, "the protocol kept its parsed request and response"
    assert protocol.request is None, "the request dropped"
    assert protocol.response is None, "the response dropped"
    assert b"101" in transport.written.split(b"\r\n", 1)[0], "the socket was accepted all the same"
    protocol.connection_lost(None)
    await asyncio.gather(*state.tasks, return_exceptions=True)
