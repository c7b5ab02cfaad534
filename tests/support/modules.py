"""Helpers for module tests: a published module to work with, and opaque envelopes."""

from __future__ import annotations

import base64
import os
import struct
import uuid
from typing import Any

from fastapi import FastAPI

from eportfolio.kit.uow import UnitOfWork, unit_of_work
from tests.support.client import Browser
from tests.support.world import World

# The id of the portfolio key the opaque envelopes below are wrapped under: `portfolios_at_epoch`
# gives every participant of the test world a portfolio whose current key has this id.
EPOCH_KEY_ID = bytes(range(16))


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def envelope(
    base_revision: int = 0, size: int = 48, row_id: uuid.UUID | None = None, epoch_key_id: bytes = EPOCH_KEY_ID
) -> dict[str, Any]:
    """Random bytes in the shape of an envelope and of its item key wrapped under a portfolio key.

    The server can check only that shape (and that the envelope names the key it gives); what is
    inside stays opaque to it. ``row_id`` is the id a browser makes and binds into the envelope.
    """
    key_id = os.urandom(16)
    body = b"\x01\x06" + key_id + os.urandom(12) + struct.pack(">I", size) + os.urandom(size) + os.urandom(64)
    wrap = b"\x01\x02\x05" + epoch_key_id + os.urandom(12) + os.urandom(48)
    sent: dict[str, Any] = {
        "envelope": _b64u(body),
        "key_id": _b64u(key_id),
        "item_key_wrap": _b64u(wrap),
        "base_revision": base_revision,
    }
    if row_id is not None:
        sent["id"] = str(row_id)
    return sent


async def add_portfolios(uow: UnitOfWork, world: World) -> None:
    """Portfolios at epoch 1 under `EPOCH_KEY_ID` for the participants, as their browsers make them."""
    from eportfolio.portfolio.tables import Portfolio

    for participant, programme in (
        (world.participant_a, world.programme_a),
        (world.participant_a2, world.programme_a),
        (world.participant_b, world.programme_b),
    ):
        uow.session.add(
            Portfolio(
                organisation_id=world.organisation_id,
                programme_id=programme,
                participant_id=participant,
                epoch=1,
                epoch_key_id=_b64u(EPOCH_KEY_ID),
            )
        )
    await uow.flush()


async def portfolios_at_epoch(app: FastAPI, world: World) -> None:
    async with unit_of_work(app.state.sessionmaker) as uow:
        await add_portfolios(uow, world)


def module_url(world: World, module_id: str | uuid.UUID | None = None, programme: uuid.UUID | None = None) -> str:
    base = f"/api/v1/programmes/{programme or world.programme_a}/modules"
    return base if module_id is None else f"{base}/{module_id}"


async def published_module(browser: Browser, world: World) -> dict[str, Any]:
    """As staff A: "Kiezen voor werk" with one lesson and one assignment of two questions, published.

    Returns ids: module_id, template_key, questions (keys), and logs staff A out again.
    """
    await browser.log_in_as(world.staff_a)
    response = await browser.api(
        "POST", module_url(world), json={"title": "Kiezen voor werk", "theme": "werk", "language_level": "A2"}
    )
    assert response.status_code == 201, response.text
    module_id = response.json()["id"]
    url = module_url(world, module_id)
    response = await browser.api(
        "POST", url + "/lessons", json={"title": "Wat wil jij?", "body": "Denk aan **drie** dingen."}
    )
    assert response.status_code == 201, response.text
    response = await browser.api("POST", url + "/templates", json={"title": "Mijn werkwensen"})
    assert response.status_code == 201, response.text
    template_key = response.json()["key"]
    questions = []
    for question in (
        {"kind": "open_text", "prompt": "Welk werk past bij jou?"},
        {"kind": "scale", "prompt": "Hoe zeker ben je?", "scale_min": 1, "scale_max": 5},
    ):
        response = await browser.api("POST", f"{url}/templates/{template_key}/questions", json=question)
        assert response.status_code == 201, response.text
        questions.append(response.json()["key"])
    response = await browser.api("POST", url + "/publish")
    assert response.status_code == 200, response.text
    browser.log_out()
    return {"module_id": module_id, "template_key": template_key, "questions": questions}


async def assign_to_participant_a(browser: Browser, world: World, module: dict[str, Any]) -> str:
    """As coach A (who coaches participant A): give the template; returns the assignment id."""
    await browser.log_in_as(world.coach_a)
    response = await browser.api(
        "POST",
        f"/api/v1/programmes/{world.programme_a}/assignments",
        json={
            "module_id": module["module_id"],
            "template_key": module["template_key"],
            "participant_id": str(world.participant_a),
            "due_on": "2099-01-31",
        },
    )
    assert response.status_code == 201, response.text
    browser.log_out()
    return str(response.json()[0]["id"])
