"""The domain model refuses what makes no sense, before anything reaches the database."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from pydantic import ValidationError

from eportfolio.domain.common import CONTROL_MESSAGE, DomainModel, LongText, Name
from eportfolio.domain.people import CoachAssignmentCreate, CoachKind, MembershipCreate, PersonWithRoleCreate, Role
from eportfolio.domain.programmes import GroupCreate, ProgrammeCreate, ProgrammeSettings


def test_programme_always_includes_dutch_first_without_duplicates() -> None:
    programme = ProgrammeCreate(name="P", slug="p1", municipality="Emmen", languages=["ar", "en", "ar"])
    assert programme.languages == ["nl", "ar", "en"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("slug", "Has Spaces"),
        ("slug", "-leading-dash"),
        ("time_zone", "Europe/Atlantis"),
        ("languages", ["xx"]),
        ("trajectory_months", 0),
        ("name", ""),
    ],
)
def test_programme_refuses_bad_fields(field: str, value: object) -> None:
    data = {"name": "P", "slug": "p1", "municipality": "Emmen", field: value}
    with pytest.raises(ValidationError):
        ProgrammeCreate.model_validate(data)


def test_second_escalation_must_follow_the_first() -> None:
    with pytest.raises(ValidationError, match="second escalation"):
        ProgrammeSettings(first_escalation_minutes=60, second_escalation_minutes=60)


def test_coach_fields_belong_to_coaches() -> None:
    person = uuid.uuid4()
    assert MembershipCreate(person_id=person, role=Role.coach).coach_kind is CoachKind.individual
    with pytest.raises(ValidationError, match="coaches only"):
        MembershipCreate(person_id=person, role=Role.participant, peer_coach=True)
    with pytest.raises(ValidationError, match="organisation"):
        MembershipCreate(person_id=person, role=Role.org_admin)
    assert PersonWithRoleCreate(display_name="C", role=Role.coach, peer_coach=True).coach_kind is CoachKind.individual


def test_assignment_dates_in_order_and_not_her_own_coach() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    with pytest.raises(ValidationError, match="before the start"):
        CoachAssignmentCreate(participant_id=a, coach_id=b, starts_on=date(2026, 2, 1), ends_on=date(2026, 1, 1))
    with pytest.raises(ValidationError, match="her own coach"):
        CoachAssignmentCreate(participant_id=a, coach_id=a, starts_on=date(2026, 2, 1))


def test_unknown_fields_are_refused_not_dropped() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        GroupCreate.model_validate({"name": "G", "colour": "red"})


def test_no_field_of_the_domain_model_takes_a_control_character() -> None:
    """Checked once for every model: in a plain text, in a list or a mapping of texts; a text of
    several lines keeps its line breaks and tabs, a name is one line."""

    class Sample(DomainModel):
        name: Name
        text: LongText = ""
        tags: list[str] = []
        labels: dict[str, str] = {}

    assert Sample(name="Noor", text="regel 1\nregel 2\tmet tab\r\n").text == "regel 1\nregel 2\tmet tab"
    for bad in (
        {"name": "No\x00or"},
        {"name": "Noor\nBakker"},
        {"name": "Noor", "text": "bel\x07"},
        {"name": "Noor", "tags": ["ok", "es\x1bc"]},
        {"name": "Noor", "labels": {"k\x00": "v"}},
        {"name": "Noor", "labels": {"k": "\x7f"}},
    ):
        with pytest.raises(ValidationError) as raised:
            Sample.model_validate(bad)
        assert CONTROL_MESSAGE in str(raised.value), bad
