"""Staff pages for the instruments a programme measures with: the list, one version read in the
reader's language, and adding an instrument or a new version by pasting or uploading its JSON
definition. They work without JavaScript."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import Path, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from eportfolio.domain.measurements import MAX_VERSION, InstrumentDefinition
from eportfolio.domain.people import MANAGING_ROLES
from eportfolio.kit.auth import CallerDep
from eportfolio.kit.errors import N_, DomainError
from eportfolio.kit.forms import FORM_REFUSALS, describe
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import page_router, redirect, render, request_language, translate
from eportfolio.measurements import service
from eportfolio.programmes import service as programmes

router = page_router()

P = "/manage/programmes/{programme_id}/instruments"

# A definition is a few kilobytes; the largest allowed (40 domains, 11 levels, long texts in a
# few languages) stays well under this.
MAX_DEFINITION_BYTES = 512 * 1024

NOT_JSON = N_(
    "This is not valid JSON. Look at line %(line)s, around character %(column)s: a comma, quote or "
    "bracket may be missing or too many."
)
EMPTY = N_("Paste the definition, or choose a .json file.")
TOO_LARGE = N_("This definition is too large (at most %(kb)s kB).")
NOT_AN_OBJECT = N_("A definition is one JSON object, starting with { and ending with }.")
NOT_TEXT = N_("This file is not a text file. Choose the .json file of the definition.")


def local(texts: dict[str, str], language: str) -> str:
    """A text of a definition in the reader's language, else Dutch (always there)."""
    return texts.get(language) or texts.get("nl") or next(iter(texts.values()), "")


@router.get(P)
async def instruments_index(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    return render(
        request,
        "measurements/instruments.html",
        {
            "programme": programmes.programme_read(access.programme),
            "instruments": await service.list_instruments(uow, caller, programme_id),
            "language": request_language(request),
            "local": local,
        },
    )


@router.get(P + "/{key}/versions/{version}.json")
async def instrument_json(
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    key: Annotated[str, Path(max_length=63)],
    version: Annotated[int, Path(ge=1, le=MAX_VERSION)],
) -> Response:
    """The definition as a file, to start a new version from."""
    instrument = await service.get_instrument(uow, caller, programme_id, key, version)
    body = json.dumps(instrument.definition.model_dump(mode="json"), ensure_ascii=False, indent=2)
    return Response(
        body.encode(),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{key}.v{version}.json"'},
    )


@router.get(P + "/{key}/versions/{version}")
async def instrument_detail(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    key: Annotated[str, Path(max_length=63)],
    version: Annotated[int, Path(ge=1, le=MAX_VERSION)],
) -> Response:
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    instrument = await service.get_instrument(uow, caller, programme_id, key, version)
    definition = instrument.definition
    return render(
        request,
        "measurements/instrument.html",
        {
            "programme": programmes.programme_read(access.programme),
            "instrument": instrument,
            "definition": definition,
            "language": request_language(request),
            "local": local,
            # Each domain's description per level: its own where it has one, else the scale's.
            "grid": [
                (domain, {level.value: level.description for level in domain.levels}) for domain in definition.domains
            ],
            "json": json.dumps(definition.model_dump(mode="json"), ensure_ascii=False, indent=2),
        },
    )


async def _new_page(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    text: str,
    problems: list[dict[str, str]],
    status_code: int = 200,
) -> Response:
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    return render(
        request,
        "measurements/instrument_new.html",
        {"programme": programmes.programme_read(access.programme), "text": text, "problems": problems},
        status_code=status_code,
    )


@router.get(P + "/new")
async def new_instrument_form(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, start: str = ""
) -> Response:
    """The form, empty or (``?start=key.version``) with a version's definition to change into the
    next version."""
    text = ""
    if start:
        key, _, number = start.rpartition(".")
        if key and number.isdigit() and 1 <= int(number) <= MAX_VERSION:
            instrument = await service.get_instrument(uow, caller, programme_id, key[:63], int(number))
            data = instrument.definition.model_dump(mode="json")
            data["version"] = instrument.version + 1
            text = json.dumps(data, ensure_ascii=False, indent=2)
    return await _new_page(request, uow, caller, programme_id, text, [])


async def _submitted_text(request: Request) -> tuple[str, list[dict[str, str]]]:
    """The definition from the uploaded file if one was chosen, else from the text box."""
    form = await request.form()
    try:
        upload = form.get("file")
        raw = (
            await upload.read(MAX_DEFINITION_BYTES + 1) if isinstance(upload, UploadFile) and upload.filename else None
        )
        pasted = form.get("definition")
    finally:
        await form.close()  # an upload's temporary file
    too_large = [{"field": "", "message": translate(request, TOO_LARGE, kb=MAX_DEFINITION_BYTES // 1024)}]
    if raw is not None:
        if len(raw) > MAX_DEFINITION_BYTES:
            return "", too_large
        try:
            return raw.decode("utf-8-sig"), []
        except UnicodeDecodeError:
            return "", [{"field": "", "message": translate(request, NOT_TEXT)}]
    text = pasted if isinstance(pasted, str) else ""
    if len(text.encode()) > MAX_DEFINITION_BYTES:
        return text, too_large
    return text, []


def _check(request: Request, text: str) -> tuple[InstrumentDefinition | None, list[dict[str, str]]]:
    if not text.strip():
        return None, [{"field": "", "message": translate(request, EMPTY)}]
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        message = translate(request, NOT_JSON, line=exc.lineno, column=exc.colno)
        return None, [{"field": "", "message": message}]
    if not isinstance(data, dict):
        return None, [{"field": "", "message": translate(request, NOT_AN_OBJECT)}]
    try:
        return InstrumentDefinition.model_validate(data), []
    except ValidationError as exc:
        return None, [
            {"field": ".".join(str(part) for part in error.get("loc", ())), "message": describe(request, error)}
            for error in exc.errors()
        ]


@router.post(P + "/new")
async def add_instrument(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    text, problems = await _submitted_text(request)
    definition = None
    if not problems:
        definition, problems = _check(request, text)
    if definition is not None:
        try:
            added = await service.add_version(uow, caller, programme_id, definition)
        except DomainError as exc:
            if exc.status_code not in FORM_REFUSALS:
                raise
            await uow.session.rollback()
            uow.take_events()
            problems = [{"field": exc.field or "", "message": translate(request, exc.message, **exc.params)}]
        else:
            return redirect(
                f"/manage/programmes/{programme_id}/instruments/{added.key}/versions/{added.version}?added=1"
            )
    return await _new_page(request, uow, caller, programme_id, text, problems, status_code=422)
