"""Server-side forms that keep what she typed and say in plain words what to fix."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from eportfolio.kit.errors import N_, DomainError
from eportfolio.kit.uow import UnitOfWork
from eportfolio.kit.web import redirect, translate

M = TypeVar("M", bound=BaseModel)

_MESSAGES = {
    "missing": N_("Please fill this in."),
    "string_too_short": N_("Please fill this in."),
    "string_too_long": N_("This is too long (at most %(max_length)s characters)."),
    "too_long": N_("Too many chosen (at most %(max_length)s)."),
    "too_short": N_("Choose at least one."),
    "int_parsing": N_("Please enter a whole number."),
    "int_from_float": N_("Please enter a whole number."),
    "greater_than_equal": N_("Please enter %(ge)s or more."),
    "less_than_equal": N_("Please enter %(le)s or less."),
    "date_from_datetime_parsing": N_("Please enter a date like 2026-03-31."),
    "date_parsing": N_("Please enter a date like 2026-03-31."),
    "uuid_parsing": N_("Please choose from the list."),
    "enum": N_("Please choose from the list."),
    "literal_error": N_("Please choose from the list."),
    "bool_parsing": N_("Please choose yes or no."),
    "extra_forbidden": N_("This field is not expected here."),
}

# Messages our own validators raise; listed so they are extracted and translated.
VALIDATOR_MESSAGES = (
    N_("the end date is before the start date"),
    N_("a participant cannot be her own coach"),
    N_("use 2 to 63 lower-case letters, digits and dashes"),
    N_("the second escalation must come after the first"),
    N_("coach kind and peer coach apply to coaches only"),
    N_("organisation admins are added to the organisation, not to a programme"),
    N_("this text holds an invisible control character; please type it again without it"),
)


def describe(request: Request, error: Mapping[str, Any]) -> str:
    """One pydantic error as a sentence in her language."""
    kind = error.get("type", "")
    raw_ctx = error.get("ctx") or {}
    if kind == "value_error":
        return translate(request, str(raw_ctx.get("error", error.get("msg", ""))))
    general = "Some of what you entered is not right. Please check it."
    if kind not in _MESSAGES:
        return translate(request, general)
    ctx = {k: v for k, v in raw_ctx.items() if isinstance(v, int | float | str)}
    try:
        return translate(request, _MESSAGES[kind], **ctx)
    except (KeyError, ValueError, TypeError):
        # pydantic did not give the number the sentence needs: say the general sentence instead.
        return translate(request, general)


def explain(request: Request, exc: ValidationError) -> dict[str, str]:
    """Field name -> one translated sentence (the first problem per field)."""
    problems: dict[str, str] = {}
    for error in exc.errors():
        location = [str(p) for p in error.get("loc", ())]
        field = location[0] if location else "__all__"
        if field not in problems:
            problems[field] = describe(request, error)
    return problems


async def read_form(request: Request) -> dict[str, Any]:
    """The submitted fields (lists where a field repeats), without the CSRF token."""
    form = await request.form()
    values: dict[str, Any] = {}
    for key in form:
        if key == "csrf_token":
            continue
        items = [v for v in form.getlist(key) if isinstance(v, str)]
        values[key] = items if len(items) > 1 or key.endswith("[]") else (items[0] if items else "")
    return {k.removesuffix("[]"): v for k, v in values.items()}


def parse(request: Request, model: type[M], values: dict[str, Any]) -> tuple[M | None, dict[str, str]]:
    # Empty optional fields from HTML forms mean "not given".
    cleaned = {k: v for k, v in values.items() if v != ""}
    try:
        return model.model_validate(cleaned), {}
    except ValidationError as exc:
        return None, explain(request, exc)


# Refusals a person can act on from the form itself (a conflict, a value the service refused);
# anything else goes to the error page.
FORM_REFUSALS = frozenset({409, 422})


def form_error(request: Request, exc: DomainError) -> dict[str, str]:
    """A service's refusal as the sentence beside the field it is about (or above the form)."""
    return {exc.field or "__all__": translate(request, exc.message, **exc.params)}


async def submit_form(
    request: Request,
    uow: UnitOfWork,
    model: type[M],
    fields: dict[str, Any],
    act: Callable[[M], Awaitable[str]],
    show: Callable[[dict[str, str]], Awaitable[Response]],
    *,
    shown: Collection[int] = FORM_REFUSALS,
) -> Response:
    """One form post: check the fields, act, then go to the page ``act`` names; or show the form
    again with what she typed and what to fix.

    A refusal undoes whatever the service wrote before it refused (and drops its events), so the
    request never commits half of a change.
    """
    data, errors = parse(request, model, fields)
    if data is not None:
        try:
            return redirect(await act(data))
        except DomainError as exc:
            if exc.status_code not in shown:
                raise
            await uow.session.rollback()
            uow.take_events()
            errors = form_error(request, exc)
    return await show(errors)
