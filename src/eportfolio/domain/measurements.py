"""Measurement instruments as data: a definition format that says what an instrument measures
(its domains or pillars) and on which scale (its levels, each described in plain words per
language), checked whenever a definition is read.

An instrument is known by its ``key`` and ``version``; a version is never changed once people
have scored with it, so a changed text or an added domain is a new version. Every text exists at
least in Dutch and English. Scores, notes and consent are not part of the definition.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, ValidationInfo, field_validator

from eportfolio.domain.common import DomainModel, LanguageCode, ReadModel, Slug
from eportfolio.domain.modules import EnvelopeRead

REQUIRED_LANGUAGES = ("nl", "en")
MAX_LEVELS = 11  # a 0-10 scale at most
MAX_DOMAINS = 40
MAX_VERSION = 10_000

# What the validators say. Fixed sentences without parameters, so that each can be translated
# (``measurements.service.VALIDATOR_MESSAGES`` lists them for the catalogues); where the problem
# is, the error's location says.
MISSING_TEXT = {
    "nl": "Give this text in Dutch (nl) as well.",
    "en": "Give this text in English (en) as well.",
}
DUPLICATE_DOMAIN_KEY = "Two domains have the same key. Give each domain its own key."
DUPLICATE_LEVEL = "Two levels have the same value. Give each level its own value."
LEVELS_OUT_OF_ORDER = "Number the levels one after the other, from low to high, without gaps."
DUPLICATE_DOMAIN_LEVEL = "This domain describes the same level twice."
LEVEL_NOT_ON_SCALE = "A domain describes a level that is not on the scale."
VALIDATOR_MESSAGES = (
    *MISSING_TEXT.values(),
    DUPLICATE_DOMAIN_KEY,
    DUPLICATE_LEVEL,
    LEVELS_OUT_OF_ORDER,
    DUPLICATE_DOMAIN_LEVEL,
    LEVEL_NOT_ON_SCALE,
)


def _in_required_languages(texts: dict[str, str]) -> dict[str, str]:
    for language in REQUIRED_LANGUAGES:
        if language not in texts:
            raise ValueError(MISSING_TEXT[language])
    return texts


# One text per language: {"nl": "...", "en": "..."}; empty or blank texts are refused.
NameText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
PlainText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
LocalName = Annotated[dict[LanguageCode, NameText], AfterValidator(_in_required_languages)]
LocalText = Annotated[dict[LanguageCode, PlainText], AfterValidator(_in_required_languages)]

LevelValue = Annotated[int, Field(ge=0, le=100)]


class ScaleLevel(DomainModel):
    """One step of the scale, the same for every domain: "3: limited" with what that means."""

    value: LevelValue
    name: LocalName
    description: LocalText


class DomainLevel(DomainModel):
    """What a level of the scale means in one domain, where the instrument says so."""

    value: LevelValue
    description: LocalText


class InstrumentDomain(DomainModel):
    """A domain (or pillar) that is scored on the scale."""

    key: Slug
    name: LocalName
    description: LocalText
    levels: list[DomainLevel] = Field(default_factory=list, max_length=MAX_LEVELS)

    @field_validator("levels")
    @classmethod
    def _each_level_once(cls, levels: list[DomainLevel]) -> list[DomainLevel]:
        values = [level.value for level in levels]
        if len(set(values)) != len(values):
            raise ValueError(DUPLICATE_DOMAIN_LEVEL)
        return levels


class InstrumentDefinition(DomainModel):
    """A whole instrument in one version, as shipped in a JSON file or added by staff.

    The scale comes before the domains: the domains' own level descriptions are checked against it.
    """

    key: Slug
    version: int = Field(ge=1, le=MAX_VERSION)
    name: LocalName
    description: LocalText
    levels: list[ScaleLevel] = Field(min_length=2, max_length=MAX_LEVELS)
    domains: list[InstrumentDomain] = Field(min_length=1, max_length=MAX_DOMAINS)

    @field_validator("levels")
    @classmethod
    def _levels_in_order(cls, levels: list[ScaleLevel]) -> list[ScaleLevel]:
        values = [level.value for level in levels]
        if len(set(values)) != len(values):
            raise ValueError(DUPLICATE_LEVEL)
        if values != list(range(values[0], values[0] + len(values))):
            raise ValueError(LEVELS_OUT_OF_ORDER)
        return levels

    @field_validator("domains")
    @classmethod
    def _domains_fit_the_scale(cls, domains: list[InstrumentDomain], info: ValidationInfo) -> list[InstrumentDomain]:
        keys = [domain.key for domain in domains]
        if len(set(keys)) != len(keys):
            raise ValueError(DUPLICATE_DOMAIN_KEY)
        levels: list[ScaleLevel] | None = info.data.get("levels")
        if levels is None:
            return domains  # the scale itself was refused; that error says why
        scale = {level.value for level in levels}
        if any(level.value not in scale for domain in domains for level in domain.levels):
            raise ValueError(LEVEL_NOT_ON_SCALE)
        return domains

    @property
    def lowest(self) -> int:
        return self.levels[0].value

    @property
    def highest(self) -> int:
        return self.levels[-1].value

    def domain_keys(self) -> list[str]:
        return [domain.key for domain in self.domains]


class InstrumentVersionSummary(ReadModel):
    """One version of an instrument in a list: enough to choose it."""

    key: str
    version: int
    name: dict[str, str]
    domain_count: int
    lowest: int
    highest: int
    shipped: bool  # comes with the software (for every programme) rather than added by staff
    added_at: datetime | None = None


class InstrumentVersionRead(ReadModel):
    key: str
    version: int
    shipped: bool
    added_at: datetime | None = None
    added_by: uuid.UUID | None = None
    definition: InstrumentDefinition


# Measurements: her self-score beside her coach's ---------------------------------------------

InstrumentKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]


class MeasurementSideName(StrEnum):
    self = "self"  # her own score
    coach = "coach"  # her coach's score


class MeasurementCreate(DomainModel):
    """Open a measurement of her with one instrument version."""

    instrument_key: InstrumentKey
    instrument_version: int = Field(ge=1, le=MAX_VERSION)


class SideRead(ReadModel):
    """One side of a measurement. ``envelope`` is withheld (None) from the other side until both
    sides are submitted: a courtesy the server keeps, not a cryptographic guarantee."""

    id: uuid.UUID
    side: MeasurementSideName
    author_id: uuid.UUID
    submitted_at: datetime
    envelope: EnvelopeRead | None = None


class MeasurementRead(ReadModel):
    id: uuid.UUID
    programme_id: uuid.UUID
    participant_id: uuid.UUID
    instrument_key: str
    instrument_version: int
    instrument_name: dict[str, str]
    opened_by: uuid.UUID
    opened_at: datetime
    sides: list[SideRead]
    both_submitted: bool
    # The sides whose numeric scores her browser sent for reporting (under her consent).
    reported_sides: list[MeasurementSideName] = []


class ScoreConsentWrite(DomainModel):
    """She agrees to report her scores: the language and the exact text her page showed her."""

    language: LanguageCode
    text: Annotated[str, StringConstraints(min_length=1, max_length=4000)]
    # Her signed 'agree' (docs/crypto-spec.md, kind 0x0F), base64url, made by her browser.
    statement: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class ScoreConsentWithdraw(DomainModel):
    """She stops reporting: her signed 'withdraw', base64url, made by her browser."""

    statement: Annotated[str, StringConstraints(min_length=1, max_length=1000)]


class ScoreConsentRead(ReadModel):
    consenting: bool
    id: uuid.UUID | None = None
    language: str | None = None
    text: str | None = None
    agreed_at: datetime | None = None
    withdrawn_at: datetime | None = None
    # The newest statement she signed on this consent (her 'withdraw' once she stopped, else her
    # 'agree'), base64url; her browser verifies it and reports only under her own 'agree'.
    statement: str | None = None


class ReportedScoresWrite(DomainModel):
    """The numeric scores of one side, domain key -> level, without notes."""

    side: MeasurementSideName
    scores: dict[Annotated[str, StringConstraints(max_length=63)], int] = Field(max_length=MAX_DOMAINS)


class ReportedTotal(ReadModel):
    """For programme reports: reported scores of one domain, totalled over enough mothers."""

    instrument_key: str
    instrument_version: int
    side: MeasurementSideName
    domain: str
    scores: int
    people: int
    average: float
