"""JSON routes of the intake feature under /api/v1/intake.

Public (no account): the programme's intake team and what her browser checks it with, and sending
an application (counted per address and per programme first). Staff: signing the intake team and
the letter of an application to open in their browser.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request

from eportfolio.crypto import b64u_encode
from eportfolio.intake import service
from eportfolio.kit.auth import CallerDep
from eportfolio.kit.uow import UnitOfWork, UowDep, unit_of_work
from eportfolio.kit.web import api_router, request_language

router = api_router("/intake", "intake")


def team_json(intake: service.PublicIntake) -> dict[str, Any]:
    return {
        "programme_id": str(intake.programme_id),
        "organisation_id": str(intake.organisation_id),
        "organisation_public": b64u_encode(intake.organisation_public),
        "certificate": b64u_encode(intake.certificate),
        "team_serial": intake.team_serial,
        "team_record": intake.team_record,
        "readers": [
            {"person_id": str(person_id), "public_identity": b64u_encode(identity)}
            for person_id, identity in intake.readers.items()
        ],
    }


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _count_try(request: Request, programme_id: uuid.UUID) -> None:
    """Counted and committed on its own, before the application is checked: a refused one counts."""

    async def work(uow: UnitOfWork) -> None:
        await service.take_try(uow, programme_id, _address(request))

    async with unit_of_work(request.app.state.sessionmaker) as uow:
        await work(uow)


def _status_url(submitted: service.Submitted) -> str:
    return f"/apply/status/{submitted.status_token}"


@router.get("/programmes/{programme_id}/team")
async def public_team(uow: UowDep, programme_id: uuid.UUID) -> dict[str, Any]:
    return team_json(await service.public_intake(uow, programme_id))


@router.post("/programmes/{programme_id}/applications", status_code=201, responses={404: {}, 429: {}})
async def apply(
    request: Request, uow: UowDep, programme_id: uuid.UUID, data: service.ApplicationCreate
) -> dict[str, str]:
    await service.check_open(uow, programme_id)
    await _count_try(request, programme_id)
    submitted = await service.submit(uow, programme_id, data, language=request_language(request))
    return {"application_id": str(submitted.application_id), "status_url": _status_url(submitted)}


@router.get("/referrals/{token}/team")
async def referral_team(uow: UowDep, token: str) -> dict[str, Any]:
    _, intake = await service.referral_intake(uow, token)
    return team_json(intake)


@router.post("/referrals/{token}/applications", status_code=201, responses={404: {}, 429: {}})
async def refer(request: Request, uow: UowDep, token: str, data: service.ApplicationCreate) -> dict[str, str]:
    referrer = await service.referrer_by_token(uow, token)
    await _count_try(request, referrer.programme_id)
    submitted = await service.submit(
        uow, referrer.programme_id, data, language=request_language(request), referrer=referrer
    )
    return {"application_id": str(submitted.application_id), "status_url": _status_url(submitted)}


@router.post("/programmes/{programme_id}/team", status_code=204)
async def sign_team(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, data: service.TeamCreate) -> None:
    await service.sign_team(uow, caller, programme_id, data)


@router.get("/programmes/{programme_id}/applications/{application_id}")
async def application_letter(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, application_id: uuid.UUID
) -> dict[str, Any]:
    opened = await service.open_application(uow, caller, programme_id, application_id)
    return {
        "application_id": str(opened.id),
        "programme_id": str(opened.programme_id),
        "letter": opened.letter,
        "sealed_key": opened.sealed_key,
    }
