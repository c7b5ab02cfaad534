"""Access-log scenarios for measurements (imported by tests/support/access_scenarios.py)."""

from __future__ import annotations

import time
import uuid

from eportfolio import crypto
from eportfolio.domain.measurements import (
    MeasurementCreate,
    ReportedScoresWrite,
    ScoreConsentWithdraw,
    ScoreConsentWrite,
)
from eportfolio.domain.modules import EnvelopeWrite
from eportfolio.kit.auth import Caller
from eportfolio.kit.uow import UnitOfWork
from eportfolio.measurements import service as measurements
from tests.support.access_scenarios import scenario
from tests.support.modules import add_portfolios, envelope
from tests.support.world import World
from tests.support.world_keys import keys_in

S = "eportfolio.measurements.service."
BRIDGE = MeasurementCreate(instrument_key="bridge-to-self-sufficiency", instrument_version=1)


def _as(world: World, person_id: uuid.UUID) -> Caller:
    return Caller(person_id=person_id, organisation_id=world.organisation_id, session_id=None)


async def _ready(uow: UnitOfWork, caller: Caller, w: World) -> None:
    await add_portfolios(uow, w)
    await keys_in(uow, w)  # Coach A coaches her: his assignment is signed by Staff A


async def _opened(uow: UnitOfWork, w: World, caller: Caller | None = None) -> uuid.UUID:
    her = caller or _as(w, w.participant_a)
    return (await measurements.open_measurement(uow, her, w.programme_a, w.participant_a, BRIDGE)).id


async def _signed(uow: UnitOfWork, w: World, kind: str, language: str = "nl") -> str:
    """Her statement as her browser signs it (crypto-spec 9.2), newer than any before."""
    her = (await keys_in(uow, w)).identities[w.participant_a]
    text = measurements.consent_text(language)
    statement = crypto.sign_score_consent(
        her, programme_id=str(w.programme_a), kind=kind, text=text, language=language, serial=time.time_ns() // 1000
    )
    return crypto.b64u_encode(statement)


async def _agreement(uow: UnitOfWork, w: World, language: str = "nl") -> ScoreConsentWrite:
    text = measurements.consent_text(language)
    return ScoreConsentWrite(language=language, text=text, statement=await _signed(uow, w, "agree", language))


async def _consenting(uow: UnitOfWork, caller: Caller, w: World) -> None:
    await _ready(uow, caller, w)
    her = _as(w, w.participant_a)
    await measurements.give_consent(uow, her, w.programme_a, await _agreement(uow, w))


@scenario(S + "list_measurements", lambda w: w.coach_a, _ready)
async def _list(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await measurements.list_measurements(uow, caller, w.programme_a, w.participant_a)


@scenario(S + "get_measurement", lambda w: w.coach_a, _ready)
async def _get(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await measurements.get_measurement(uow, caller, w.programme_a, await _opened(uow, w))


@scenario(S + "open_measurement", lambda w: w.coach_a, _ready)
async def _open(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await measurements.open_measurement(uow, caller, w.programme_a, w.participant_a, BRIDGE)


@scenario(S + "submit_side", lambda w: w.participant_a, _ready)
async def _submit(uow: UnitOfWork, caller: Caller, w: World) -> object:
    measurement_id = await _opened(uow, w, caller)
    return await measurements.submit_side(
        uow, caller, w.programme_a, measurement_id, EnvelopeWrite.model_validate(envelope(0))
    )


@scenario(S + "get_consent", lambda w: w.participant_a)
async def _get_consent(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await measurements.get_consent(uow, caller, w.programme_a)


@scenario(S + "give_consent", lambda w: w.participant_a, _ready)
async def _give_consent(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await measurements.give_consent(uow, caller, w.programme_a, await _agreement(uow, w, "en"))


@scenario(S + "withdraw_consent", lambda w: w.participant_a, _consenting)
async def _withdraw(uow: UnitOfWork, caller: Caller, w: World) -> object:
    data = ScoreConsentWithdraw(statement=await _signed(uow, w, "withdraw"))
    return await measurements.withdraw_consent(uow, caller, w.programme_a, data)


@scenario(S + "report_scores", lambda w: w.participant_a, _consenting)
async def _report(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await _reported(uow, caller, w)


async def _reported(uow: UnitOfWork, caller: Caller, w: World) -> object:
    measurement_id = await _opened(uow, w, caller)
    sealed = EnvelopeWrite.model_validate(envelope(0))
    await measurements.submit_side(uow, caller, w.programme_a, measurement_id, sealed)
    read, definition, _ = await measurements.get_measurement(uow, caller, w.programme_a, measurement_id)
    assert definition is not None
    scores = dict.fromkeys(definition.domain_keys(), definition.lowest)
    data = ReportedScoresWrite(side="self", scores=scores)
    return await measurements.report_scores(uow, caller, w.programme_a, read.id, data)


async def _consenting_and_reported(uow: UnitOfWork, caller: Caller, w: World) -> None:
    await _consenting(uow, caller, w)
    await _reported(uow, _as(w, w.participant_a), w)


@scenario(S + "reported_totals", lambda w: w.staff_a, _consenting_and_reported)
async def _totals(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await measurements.reported_totals(uow, caller, w.programme_a)
