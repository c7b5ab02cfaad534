"""Building blocks shared by every area of the domain model."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

LANGUAGE_CODES = {"nl", "en", "ar", "pap", "tr", "pl", "so", "ti", "uk", "es", "fr", "de", "fy"}


class DomainModel(BaseModel):
    """Strict by default: unknown fields are an error a client can act on, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=False)


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


Name = Annotated[str, StringConstraints(min_length=1, max_length=120)]
ShortText = Annotated[str, StringConstraints(max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=4000)]
LanguageCode = Annotated[str, AfterValidator(_language)]
TimeZoneName = Annotated[str, AfterValidator(_time_zone)]
Slug = Annotated[str, AfterValidator(_slug)]
