"""Organisations, programmes (the tenant) and groups."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from eportfolio.domain.common import (
    DomainModel,
    LanguageCode,
    LongText,
    Name,
    ReadModel,
    ShortText,
    Slug,
    TimeZoneName,
)

# A signed record as base64url text (the group's member list, docs/crypto-spec.md 8).
SignedGroupRecord = Annotated[str, StringConstraints(min_length=4, max_length=64 * 1024, pattern=r"^[A-Za-z0-9_-]+$")]


class OrganisationBase(DomainModel):
    name: Name


class OrganisationCreate(OrganisationBase):
    pass


class OrganisationRead(ReadModel):
    id: uuid.UUID
    name: str
    created_at: datetime


class ProgrammeSettings(DomainModel):
    """Per-programme settings that features read; all have safe defaults."""

    first_escalation_minutes: int = Field(default=30, ge=1, le=7 * 24 * 60)
    second_escalation_minutes: int = Field(default=120, ge=1, le=7 * 24 * 60)
    out_of_hours_reply: LongText = ""
    crisis_numbers: Annotated[str, StringConstraints(max_length=500)] = ""
    attachment_quota_mb: int = Field(default=200, ge=1, le=10_000)
    max_group_size: int = Field(default=8, ge=1, le=200)

    @model_validator(mode="after")
    def _second_after_first(self) -> ProgrammeSettings:
        if self.second_escalation_minutes <= self.first_escalation_minutes:
            raise ValueError("the second escalation must come after the first")
        return self


class ProgrammeBase(DomainModel):
    name: Name
    slug: Slug
    municipality: Name
    funder: ShortText = ""
    time_zone: TimeZoneName = "Europe/Amsterdam"
    languages: list[LanguageCode] = Field(default_factory=lambda: ["nl", "en"], min_length=1, max_length=12)
    trajectory_months: int = Field(default=24, ge=1, le=120)

    @model_validator(mode="after")
    def _dutch_first(self) -> ProgrammeBase:
        # Content always exists in Dutch; other languages come on top.
        if "nl" not in self.languages:
            self.languages = ["nl", *self.languages]
        self.languages = list(dict.fromkeys(self.languages))
        return self


class ProgrammeCreate(ProgrammeBase):
    settings: ProgrammeSettings = Field(default_factory=ProgrammeSettings)


class ProgrammeUpdate(DomainModel):
    name: Name | None = None
    municipality: Name | None = None
    funder: ShortText | None = None
    time_zone: TimeZoneName | None = None
    languages: list[LanguageCode] | None = Field(default=None, min_length=1, max_length=12)
    trajectory_months: int | None = Field(default=None, ge=1, le=120)
    settings: ProgrammeSettings | None = None


class ProgrammeRead(ReadModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    name: str
    slug: str
    municipality: str
    funder: str
    time_zone: str
    languages: list[str]
    trajectory_months: int
    settings: ProgrammeSettings
    archived: bool
    created_at: datetime


class LanguageLevel(StrEnum):
    """CEFR levels, as group trainings are grouped by Dutch language level."""

    a0 = "A0"
    a1 = "A1"
    a2 = "A2"
    b1 = "B1"
    b2 = "B2"
    c1 = "C1"
    mixed = "mixed"


class GroupBase(DomainModel):
    name: Name
    capacity: int = Field(default=8, ge=1, le=200)
    language_level: LanguageLevel = LanguageLevel.mixed
    description: Annotated[str, StringConstraints(max_length=1000)] = ""


class GroupCreate(GroupBase):
    pass


class GroupUpdate(DomainModel):
    name: Name | None = None
    capacity: int | None = Field(default=None, ge=1, le=200)
    language_level: LanguageLevel | None = None
    description: Annotated[str, StringConstraints(max_length=1000)] | None = None


class GroupRole(StrEnum):
    participant = "participant"
    trainer = "trainer"  # the group's trainer or coach: programme staff or a coach


class GroupMemberChange(DomainModel):
    """Add someone to a group; ``signed_record`` signs the group as it is after the change."""

    role: GroupRole = GroupRole.participant
    signed_record: SignedGroupRecord | None = None


class GroupRecordCreate(DomainModel):
    signed_record: SignedGroupRecord


class GroupPersonRead(ReadModel):
    person_id: uuid.UUID
    display_name: str
    role: GroupRole
    # Has an account with keys: only then can a signed member list name her.
    has_key: bool


class GroupRecordRead(ReadModel):
    """The group's people and its newest signed member list (base64url, kind 0x05), if any."""

    group_id: uuid.UUID
    serial: int
    signed_record: str | None
    status: str
    members: list[GroupPersonRead]


class GroupRead(ReadModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    programme_id: uuid.UUID
    name: str
    capacity: int
    language_level: LanguageLevel
    description: str
    member_count: int = 0
    created_at: datetime
