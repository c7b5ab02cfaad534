"""People and the roles they hold in programmes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import Field, model_validator

from eportfolio.domain.common import DomainModel, LanguageCode, Name, ReadModel


class Role(StrEnum):
    org_admin = "org_admin"
    staff = "staff"
    participant = "participant"
    coach = "coach"
    supervisor = "supervisor"
    recovery_officer = "recovery_officer"
    funder_viewer = "funder_viewer"


# Roles held per programme (an organisation admin is an admin of every programme of the organisation).
PROGRAMME_ROLES = tuple(r for r in Role if r is not Role.org_admin)
MANAGING_ROLES = frozenset({Role.org_admin, Role.staff})


class CoachKind(StrEnum):
    individual = "individual"
    budget = "budget"
    work = "work"


class PersonBase(DomainModel):
    display_name: Name
    language: LanguageCode = "nl"


class PersonCreate(PersonBase):
    pass


class PersonUpdate(DomainModel):
    display_name: Name | None = None
    language: LanguageCode | None = None


class PersonRead(ReadModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    display_name: str
    language: str
    created_at: datetime
    has_account: bool = False


def checked_coach_fields(role: Role, coach_kind: CoachKind | None, peer_coach: bool) -> CoachKind | None:
    """Coach kind and the peer-coach flag belong to coaches; a coach is individual unless told."""
    if role is Role.org_admin:
        raise ValueError("organisation admins are added to the organisation, not to a programme")
    if role is Role.coach:
        return coach_kind or CoachKind.individual
    if coach_kind is not None or peer_coach:
        raise ValueError("coach kind and peer coach apply to coaches only")
    return None


class MembershipBase(DomainModel):
    role: Role
    coach_kind: CoachKind | None = None
    peer_coach: bool = False

    @model_validator(mode="after")
    def _coach_fields_only_for_coaches(self) -> MembershipBase:
        self.coach_kind = checked_coach_fields(self.role, self.coach_kind, self.peer_coach)
        return self


class MembershipCreate(MembershipBase):
    person_id: uuid.UUID


class MembershipUpdate(DomainModel):
    coach_kind: CoachKind | None = None
    peer_coach: bool | None = None
    active: bool | None = None


class MembershipRead(ReadModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    programme_id: uuid.UUID
    person_id: uuid.UUID
    role: Role
    coach_kind: CoachKind | None
    peer_coach: bool
    active: bool
    created_at: datetime


class CoachAssignmentBase(DomainModel):
    participant_id: uuid.UUID
    coach_id: uuid.UUID
    kind: CoachKind = CoachKind.individual
    starts_on: date
    ends_on: date | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> CoachAssignmentBase:
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise ValueError("the end date is before the start date")
        if self.participant_id == self.coach_id:
            raise ValueError("a participant cannot be her own coach")
        return self


class CoachAssignmentCreate(CoachAssignmentBase):
    # The signed record (docs/crypto-spec.md 8) made by the staff member's browser. The JSON API
    # refuses an assignment without one; the page keeps it "waiting for a signature" (it gives no
    # access anywhere) until someone who holds the programme key signs it.
    signed_record: str | None = Field(default=None, max_length=8192)


class CoachAssignmentUpdate(DomainModel):
    ends_on: date | None = None


class CoachAssignmentRead(ReadModel):
    id: uuid.UUID
    organisation_id: uuid.UUID
    programme_id: uuid.UUID
    participant_id: uuid.UUID
    coach_id: uuid.UUID
    kind: CoachKind
    starts_on: date
    ends_on: date | None
    signed_record: str | None
    # Who signed the stored record (its signer, checked when it was stored) and her name.
    signed_by: uuid.UUID | None
    signer_name: str | None = None
    created_at: datetime
    ended_at: datetime | None


class PersonWithRoleCreate(PersonBase):
    """A new person and her first role in a programme, as staff enter it."""

    role: Role = Role.participant
    coach_kind: CoachKind | None = None
    peer_coach: bool = False

    @model_validator(mode="after")
    def _coach_fields_only_for_coaches(self) -> PersonWithRoleCreate:
        self.coach_kind = checked_coach_fields(self.role, self.coach_kind, self.peer_coach)
        return self


class PersonWithMemberships(ReadModel):
    person: PersonRead
    memberships: list[MembershipRead]
