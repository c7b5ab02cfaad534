"""Pages of the measurements feature: her growth (her measurements, the chart of the distance she
travelled, the bridge, her consent to report scores) and one measurement, where she or her coach
scores and both then see the scores side by side.

Scores and notes are hers and arrive encrypted: these pages are shells for the browser's
encryption code (``frontend/static/js/measurements/``) and never post a score in plaintext. Opening
a measurement and giving or withdrawing consent carry nothing secret, so they are plain forms that
work without JavaScript.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError

from eportfolio.assignments import service as assignments
from eportfolio.domain.measurements import (
    InstrumentDefinition,
    MeasurementCreate,
    MeasurementRead,
    MeasurementSideName,
    ScoreConsentWithdraw,
    ScoreConsentWrite,
)
from eportfolio.domain.people import Role
from eportfolio.kit.auth import CallerDep
from eportfolio.kit.errors import DomainError
from eportfolio.kit.forms import form_error, read_form, submit_form
from eportfolio.kit.i18n import gettext
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import page_router, redirect, render, request_language
from eportfolio.measurements import service
from eportfolio.programmes import service as programmes

router = page_router()


def local(texts: dict[str, str], language: str) -> str:
    """A text of an instrument definition in her language (Dutch where it has none)."""
    return texts.get(language) or texts.get("nl") or next(iter(texts.values()), "")


def localised(definition: InstrumentDefinition, language: str) -> dict[str, Any]:
    """The definition in one language, as the scoring form and the scripts use it."""
    scale = {level.value: level for level in definition.levels}
    return {
        "key": definition.key,
        "version": definition.version,
        "name": local(definition.name, language),
        "description": local(definition.description, language),
        "lowest": definition.lowest,
        "highest": definition.highest,
        "levels": [{"value": v, "name": local(level.name, language)} for v, level in scale.items()],
        "domains": [
            {
                "key": domain.key,
                "name": local(domain.name, language),
                "description": local(domain.description, language),
                "levels": [
                    {
                        "value": value,
                        "name": local(level.name, language),
                        "description": local(
                            next((d.description for d in domain.levels if d.value == value), level.description),
                            language,
                        ),
                    }
                    for value, level in scale.items()
                ],
            }
            for domain in definition.domains
        ],
    }


def _state(m: MeasurementRead) -> dict[str, bool]:
    sides = {s.side for s in m.sides}
    return {"self": MeasurementSideName.self in sides, "coach": MeasurementSideName.coach in sides}


@router.get("/my/growth")
async def my_growth(request: Request, uow: UowDep, caller: CallerDep) -> Response:
    """Her growth: straight to her programme's page, or a choice when she is in more than one."""
    where = await assignments.programmes_as(uow, caller, {Role.participant})
    if len(where) == 1:
        return redirect(f"/growth/programmes/{where[0].scope.programme_id}/participants/{caller.person_id}")
    return render(request, "measurements/my_growth.html", {"programmes": [a.programme for a in where]})



def _newest_first(instruments: list[Any], measurements: list[Any], language: str) -> list[tuple[str, str, int]]:
    newest: dict[str, Any] = {}
    for instrument in instruments:
        if instrument.key not in newest or instrument.version > newest[instrument.key].version:
            newest[instrument.key] = instrument
    last = measurements[-1].instrument_key if measurements else None
    ordered = sorted(newest.values(), key=lambda i: (i.key != last, i.key))
    return [(f"{i.key}:{i.version}", local(i.name, language), i.version) for i in ordered]

async def _growth_page(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    participant_id: uuid.UUID,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    measurements = await service.list_measurements(uow, caller, programme_id, participant_id)
    access = await programmes.authorize(uow, caller, programme_id, service.SCORERS)
    is_her = participant_id == caller.person_id
    instruments = await service.list_instruments(uow, caller, programme_id)
    language = request_language(request)
    name = (
        ""
        if is_her
        else (await programmes.display_names(uow, caller, programme_id, [participant_id])).get(participant_id, "")
    )
    return render(
        request,
        "measurements/growth.html",
        {
            "programme": access.programme,
            "participant_id": participant_id,
            "is_her": is_her,
            "name": name,
            "measurements": list(reversed(measurements)),
            "states": {m.id: _state(m) for m in measurements},
            "names": {
                m.id: local(m.instrument_name, language) if m.instrument_name else m.instrument_key
                for m in measurements
            },
            # A new measurement uses the newest version of each instrument (older versions stay
            # for the measurements made with them); the instrument measured last comes first.
            "instruments": _newest_first(instruments, measurements, language),
            "consent": await service.get_consent(uow, caller, programme_id) if is_her else None,
            "consent_text": service.consent_text(language),
            "values": values or {},
            "errors": errors or {},
            "api": f"/api/v1/measurements/programmes/{programme_id}",
        },
        status_code=status_code,
    )


@router.get("/growth/programmes/{programme_id}/participants/{participant_id}")
async def growth(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, participant_id: uuid.UUID
) -> Response:
    return await _growth_page(request, uow, caller, programme_id, participant_id)


@router.post("/growth/programmes/{programme_id}/participants/{participant_id}/measurements")
async def open_measurement(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, participant_id: uuid.UUID
) -> Response:
    values = await read_form(request)
    key, _, version = str(values.get("instrument", "")).partition(":")
    fields = {"instrument_key": key, "instrument_version": version}

    async def act(data: MeasurementCreate) -> str:
        opened = await service.open_measurement(uow, caller, programme_id, participant_id, data)
        return f"/growth/programmes/{programme_id}/measurements/{opened.id}"

    async def show(errors: dict[str, str]) -> Response:
        if "instrument_key" in errors or "instrument_version" in errors:
            errors["instrument"] = errors.pop("instrument_version", "") or errors.pop("instrument_key", "")
        return await _growth_page(request, uow, caller, programme_id, participant_id, values, errors, 422)

    return await submit_form(request, uow, MeasurementCreate, fields, act, show)


@router.post("/growth/programmes/{programme_id}/consent")
async def give_consent(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    values = await read_form(request)
    fields = {
        "language": request_language(request),
        "text": values.get("text", ""),
        "statement": values.get("statement", ""),
    }

    async def act(data: ScoreConsentWrite) -> str:
        await service.give_consent(uow, caller, programme_id, data)
        return f"/growth/programmes/{programme_id}/participants/{caller.person_id}#consent"

    async def show(errors: dict[str, str]) -> Response:
        errors = {"consent": " ".join(errors.values())}
        return await _growth_page(request, uow, caller, programme_id, caller.person_id, values, errors, 422)

    return await submit_form(request, uow, ScoreConsentWrite, fields, act, show)


@router.post("/growth/programmes/{programme_id}/consent/withdraw")
async def withdraw_consent(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    values = await read_form(request)
    try:
        data = ScoreConsentWithdraw.model_validate({"statement": values.get("statement", "")})
    except ValidationError:
        errors = {"consent": gettext(request_language(request), service.NOT_SIGNED)}
        return await _growth_page(request, uow, caller, programme_id, caller.person_id, None, errors, 422)
    try:
        await service.withdraw_consent(uow, caller, programme_id, data)
    except DomainError as exc:
        await uow.session.rollback()
        errors = {"consent": " ".join(form_error(request, exc).values())}
        return await _growth_page(request, uow, caller, programme_id, caller.person_id, None, errors, exc.status_code)
    return redirect(f"/growth/programmes/{programme_id}/participants/{caller.person_id}#consent")


@router.get("/growth/programmes/{programme_id}/measurements/{measurement_id}")
async def measurement_page(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, measurement_id: uuid.UUID
) -> Response:
    """Score (her side or her coach's, once), then both scores side by side."""
    measurement, definition, role = await service.get_measurement(uow, caller, programme_id, measurement_id)
    access = await programmes.authorize(uow, caller, programme_id, service.SCORERS)
    language = request_language(request)
    mine = service.SIDE_OF_ROLE[role]
    state = _state(measurement)
    instrument = localised(definition, language) if definition else None
    is_her = role is Role.participant
    name = (
        ""
        if is_her
        else (await programmes.display_names(uow, caller, programme_id, [measurement.participant_id])).get(
            measurement.participant_id, ""
        )
    )
    consent = await service.get_consent(uow, caller, programme_id) if is_her else None
    return render(
        request,
        "measurements/measurement.html",
        {
            "programme": access.programme,
            "m": measurement,
            "is_her": is_her,
            "name": name,
            "mine": mine.value,
            "state": state,
            "instrument": instrument,
            "instrument_json": json.dumps(instrument, ensure_ascii=False),
            "consenting": bool(consent and consent.consenting),
            "consent_statement": consent.statement if consent else None,
            "api": f"/api/v1/measurements/programmes/{programme_id}",
            "back": f"/growth/programmes/{programme_id}/participants/{measurement.participant_id}",
        },
    )
