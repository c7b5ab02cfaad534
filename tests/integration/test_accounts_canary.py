"""The canary: what she types as a password or recovery code never reaches the server, its
database or its logs; only proofs and ciphertext do."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

import eportfolio.tables  # noqa: F401  - registers every table on Base.metadata
from eportfolio.kit.db import Base
from eportfolio.kit.uow import unit_of_work
from tests.support.client import Browser
from tests.support.keyring_client import KeyringClient, invitation_for
from tests.support.world import World

MARKER = "CANARY-q7Zx-Tweet"
NEW_MARKER = "CANARY-after-change-9k"
RESET_MARKER = "CANARY-after-reset-3m"


async def _everything_in_the_database(app: FastAPI) -> bytes:
    dump = bytearray()
    async with unit_of_work(app.state.sessionmaker) as uow:
        for table in Base.metadata.sorted_tables:
            for row in (await uow.session.execute(select(table))).all():
                for value in row:
                    dump += value if isinstance(value, bytes) else str(value).encode()
                    dump += b"\x00"
    return bytes(dump)


async def test_passwords_and_recovery_codes_never_reach_the_server(
    app: FastAPI, browser: Browser, world: World, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    bodies: list[bytes] = []

    async def keep_body(request: httpx.Request) -> None:
        bodies.append(request.read() + request.url.raw_path)

    browser.http.event_hooks["request"].append(keep_body)
    client = KeyringClient(browser)
    code = await invitation_for(app, world.participant_a, "participant", world.programme_a)
    member = await client.sign_up(code, "mother.a", MARKER)
    identity = await client.login("mother.a", MARKER)
    member.identity = identity
    assert (await client.change_password(member, NEW_MARKER)).status_code == 204
    done, _ = await client.recover("mother.a", member.recovery_code, RESET_MARKER)
    assert done.status_code == 200
    await client.login("mother.a", RESET_MARKER)

    secrets = [MARKER, NEW_MARKER, RESET_MARKER, member.recovery_code, member.recovery_code.replace("-", "")]
    database = await _everything_in_the_database(app)
    assert b"mother.a" in database, "the dump does see what the server stores"
    captured = capsys.readouterr()
    logs = caplog.text + captured.out + captured.err
    assert bodies, "the hook saw the requests"
    for secret in secrets:
        assert secret.encode() not in database, secret
        assert secret not in logs, secret
        for body in bodies:
            assert secret.encode() not in body, secret
    # Nor does the key that unlocks her data, in any form the server keeps.
    assert identity.user_key not in database
    for body in bodies:
        assert identity.user_key not in body
