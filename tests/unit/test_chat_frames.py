"""A message body must be base64url without padding (checked on every send, so it is one scan)."""

from __future__ import annotations

import base64
import os

import pytest
from pydantic import TypeAdapter, ValidationError

from eportfolio.domain.chat import ClientFrame

frames: TypeAdapter[ClientFrame] = TypeAdapter(ClientFrame)


def _send(body: str) -> dict[str, object]:
    return {
        "type": "send",
        "conversation_id": "6f1c3b7e-3f1e-4a7e-9f9b-3c2a1d0e5f4a",
        "client_id": "abcdefgh12345678",
        "epoch": 1,
        "body": body,
    }


def _envelope() -> str:
    return base64.urlsafe_b64encode(b"\x01\x06" + os.urandom(300)).decode().rstrip("=")


def test_an_envelope_in_base64url_is_a_body() -> None:
    body = _envelope()
    assert frames.validate_python(_send(body)).body == body  # type: ignore[union-attr]  # this frame is a send, which has a body


@pytest.mark.parametrize("other", ["\n", "=", "+", "/", " ", "é", "\x00"])
def test_anything_else_in_a_body_is_refused(other: str) -> None:
    body = _envelope()
    with pytest.raises(ValidationError):
        frames.validate_python(_send(body[:100] + other + body[100:]))


def test_padding_at_the_end_is_refused() -> None:
    with pytest.raises(ValidationError):
        frames.validate_python(_send(_envelope() + "=="))
