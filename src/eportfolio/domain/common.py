"""Building blocks shared by every area of the domain model."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, field_validator

LANGUAGE_CODES = {"nl", "en", "ar", "pap", "tr", "pl", "so", "ti", "uk", "es", "fr", "de", "fy"}


# Control characters (NUL and the like) have no place in anything a person types: PostgreSQL
# cannot store a NUL in text, and the others only hide what a text says. Tab, line feed and
# carriage return stay allowed in texts of several lines; a name is one line.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_IN_LINE = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_MESSAGE = "this text holds an invisible control character; please type it again without it"


def _no_control(value: object) -> object:
    """Refuses a control character in a string, also inside lists, tuples, sets and dicts."""
    if isinstance(value, str):
        if _CONTROL.search(value):
            raise ValueError(CONTROL_MESSAGE)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _no_control(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _no_control(key)
            _no_control(item)
    return value


def _one_line(value: str) -> str:
    if _CONTROL_IN_LINE.search(value):
        raise ValueError(CONTROL_MESSAGE)
    return value


class DomainModel(BaseModel):
    """Strict by default: unknown fields are an error a client can act on, not silently dropped.
    No field takes a control character (see ``_CONTROL``)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=False)

    @field_validator("*", mode="after")
    @classmethod
    def _refuse_control_characters(cls, value: object) -> object:
        return _no_control(value)


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _language(value: str) -> str:
    if value not in LANGUAGE_CODES:
        raise ValueError(f"unknown language code {value!r}")
    return value


def _time_zone(value: str) -> str:
    from zoneinfo import available_timezones

    if value not in available_timezones():
        raise ValueError(f"unknown time zone {value!r} (use a name such as Europe/Amsterdam)")
    return value


_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


def _slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError("use 2 to 63 lower-case letters, digits and dashes")
    return value


Name = Annotated[str, StringConstraints(min_length=1, max_length=120), AfterValidator(_one_line)]
ShortText = Annotated[str, StringConstraints(max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=4000)]
LanguageCode = Annotated[str, AfterValidator(_language)]
TimeZoneName = Annotated[str, AfterValidator(_time_zone)]
Slug = Annotated[str, AfterValidator(_slug)]
