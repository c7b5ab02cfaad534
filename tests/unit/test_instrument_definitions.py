"""Instrument definitions (Hypothesis): any valid definition survives JSON unchanged, and each kind
of mistake is refused at the place it is, saying what to fix. The shipped instruments load."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from eportfolio.domain import measurements as m
from eportfolio.domain.common import LANGUAGE_CODES
from eportfolio.measurements import service
from eportfolio.measurements.shipped import ShippedInstrumentError, load_shipped, shipped

FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Raw = dict[str, Any]
Location = tuple[str | int, ...]

OTHER_LANGUAGES = sorted(LANGUAGE_CODES - set(m.REQUIRED_LANGUAGES))
# Dutch, English and Arabic letters, digits, punctuation and spaces; a text is never blank and has
# no space at either end (those are stripped, so the round trip would not give back the same text).
TEXT_CHARACTERS = "aeijnoszAEZ0159 .,:;!?'()-\"éëïöüçñ€ابتجدسلمنهوي"
slugs = st.from_regex(r"[a-z0-9][a-z0-9-]{1,20}", fullmatch=True)


def plain(max_size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=TEXT_CHARACTERS, min_size=1, max_size=max_size).map(str.strip).filter(bool)


@st.composite
def local_texts(draw: st.DrawFn, max_size: int = 30) -> dict[str, str]:
    extra = draw(st.lists(st.sampled_from(OTHER_LANGUAGES), unique=True, max_size=1))
    return {language: draw(plain(max_size)) for language in ["nl", "en", *extra]}


@st.composite
def definitions(draw: st.DrawFn) -> Raw:
    """A valid definition as its JSON would hold it: a contiguous scale, unique domain keys, and
    some domains that describe some of the levels in their own words."""
    lowest = draw(st.integers(min_value=0, max_value=3))
    values = list(range(lowest, lowest + draw(st.integers(min_value=2, max_value=6))))
    levels = [{"value": v, "name": draw(local_texts(20)), "description": draw(local_texts())} for v in values]
    domains = []
    for key in draw(st.lists(slugs, min_size=1, max_size=4, unique=True)):
        described = draw(st.lists(st.sampled_from(values), unique=True, max_size=len(values)))
        domains.append(
            {
                "key": key,
                "name": draw(local_texts(20)),
                "description": draw(local_texts()),
                "levels": [{"value": v, "description": draw(local_texts())} for v in described],
            }
        )
    return {
        "key": draw(slugs),
        "version": draw(st.integers(min_value=1, max_value=m.MAX_VERSION)),
        "name": draw(local_texts(20)),
        "description": draw(local_texts()),
        "levels": levels,
        "domains": domains,
    }


def text_places(raw: Raw) -> Iterator[Location]:
    """Where the definition holds a text per language."""
    yield ("name",)
    yield ("description",)
    for i, _ in enumerate(raw["levels"]):
        yield ("levels", i, "name")
        yield ("levels", i, "description")
    for j, domain in enumerate(raw["domains"]):
        yield ("domains", j, "name")
        yield ("domains", j, "description")
        for k, _ in enumerate(domain["levels"]):
            yield ("domains", j, "levels", k, "description")


def object_places(raw: Raw) -> Iterator[Location]:
    """Where the definition holds an object with named fields."""
    yield ()
    for i, _ in enumerate(raw["levels"]):
        yield ("levels", i)
    for j, domain in enumerate(raw["domains"]):
        yield ("domains", j)
        for k, _ in enumerate(domain["levels"]):
            yield ("domains", j, "levels", k)


def at(raw: Raw, place: Location) -> Any:
    found: Any = raw
    for step in place:
        found = found[step]
    return found


def refused(raw: Raw) -> list[tuple[Location, str, str]]:
    """Each problem the definition has: where, what kind, and the message."""
    with pytest.raises(ValidationError) as caught:
        m.InstrumentDefinition.model_validate(raw)
    return [(tuple(error["loc"]), error["type"], error["msg"]) for error in caught.value.errors()]


def refused_only_at(raw: Raw, place: Location, message: str | None = None, kind: str | None = None) -> None:
    problems = refused(raw)
    assert [where for where, _, _ in problems] == [place], problems
    _, found_kind, found_message = problems[0]
    if message is not None:
        assert message in found_message
    if kind is not None:
        assert found_kind == kind


# Valid definitions -------------------------------------------------------------------------


@FAST
@given(definitions())
def test_a_valid_definition_round_trips_through_json_unchanged(raw: Raw) -> None:
    definition = m.InstrumentDefinition.model_validate(raw)
    text = definition.model_dump_json()
    assert json.loads(text) == raw
    again = m.InstrumentDefinition.model_validate_json(text)
    assert again == definition
    assert again.domain_keys() == [domain["key"] for domain in raw["domains"]]
    assert (again.lowest, again.highest) == (raw["levels"][0]["value"], raw["levels"][-1]["value"])


# Mistakes, each refused where it is --------------------------------------------------------


@FAST
@given(definitions(), st.data())
def test_a_missing_dutch_or_english_text_is_refused_where_it_is_missing(raw: Raw, data: st.DataObject) -> None:
    place = data.draw(st.sampled_from(list(text_places(raw))))
    language = data.draw(st.sampled_from(m.REQUIRED_LANGUAGES))
    del at(raw, place)[language]
    refused_only_at(raw, place, m.MISSING_TEXT[language])


@FAST
@given(definitions(), st.data(), st.sampled_from(["", "   ", "\n\t"]))
def test_an_empty_text_is_refused_in_its_language(raw: Raw, data: st.DataObject, blank: str) -> None:
    place = data.draw(st.sampled_from(list(text_places(raw))))
    language = data.draw(st.sampled_from(sorted(at(raw, place))))
    at(raw, place)[language] = blank
    refused_only_at(raw, (*place, language), kind="string_too_short")


@FAST
@given(definitions(), st.data())
def test_a_text_in_an_unknown_language_is_refused(raw: Raw, data: st.DataObject) -> None:
    place = data.draw(st.sampled_from(list(text_places(raw))))
    at(raw, place)["xx"] = "Tekst"
    problems = refused(raw)
    assert [where[: len(place)] for where, _, _ in problems] == [place], problems
    assert "unknown language code 'xx'" in problems[0][2]


@FAST
@given(definitions(), st.data())
def test_a_duplicate_domain_key_is_refused(raw: Raw, data: st.DataObject) -> None:
    twin = copy.deepcopy(data.draw(st.sampled_from(raw["domains"])))
    twin["name"] = {"nl": "Nog een", "en": "Another"}
    raw["domains"].insert(data.draw(st.integers(min_value=0, max_value=len(raw["domains"]))), twin)
    refused_only_at(raw, ("domains",), m.DUPLICATE_DOMAIN_KEY)


@FAST
@given(definitions(), st.data())
def test_a_duplicate_level_value_is_refused(raw: Raw, data: st.DataObject) -> None:
    twin = copy.deepcopy(data.draw(st.sampled_from(raw["levels"])))
    raw["levels"].insert(data.draw(st.integers(min_value=0, max_value=len(raw["levels"]))), twin)
    refused_only_at(raw, ("levels",), m.DUPLICATE_LEVEL)


@FAST
@given(definitions(), st.data())
def test_a_gap_in_the_levels_is_refused(raw: Raw, data: st.DataObject) -> None:
    # Every level from one chosen upwards moves one up: the scale skips a number there. Domain
    # levels move along, so the gap is the only mistake.
    start = data.draw(st.integers(min_value=1, max_value=len(raw["levels"]) - 1))
    moved = raw["levels"][start]["value"]
    for level in raw["levels"][start:]:
        level["value"] += 1
    for domain in raw["domains"]:
        for level in domain["levels"]:
            level["value"] += 1 if level["value"] >= moved else 0
    refused_only_at(raw, ("levels",), m.LEVELS_OUT_OF_ORDER)


@FAST
@given(definitions(), st.data())
def test_levels_out_of_order_are_refused(raw: Raw, data: st.DataObject) -> None:
    i = data.draw(st.integers(min_value=0, max_value=len(raw["levels"]) - 2))
    j = data.draw(st.integers(min_value=i + 1, max_value=len(raw["levels"]) - 1))
    raw["levels"][i], raw["levels"][j] = raw["levels"][j], raw["levels"][i]
    refused_only_at(raw, ("levels",), m.LEVELS_OUT_OF_ORDER)


@FAST
@given(definitions(), st.integers(max_value=0))
def test_a_version_below_one_is_refused(raw: Raw, version: int) -> None:
    raw["version"] = version
    refused_only_at(raw, ("version",), kind="greater_than_equal")


@FAST
@given(definitions(), st.data())
def test_an_unknown_field_is_refused_by_name(raw: Raw, data: st.DataObject) -> None:
    place = data.draw(st.sampled_from(list(object_places(raw))))
    at(raw, place)["colour"] = "red"
    refused_only_at(raw, (*place, "colour"), kind="extra_forbidden")


@FAST
@given(definitions(), st.data())
def test_a_domain_describing_a_level_off_the_scale_is_refused(raw: Raw, data: st.DataObject) -> None:
    domain = data.draw(st.sampled_from(raw["domains"]))
    off = data.draw(st.sampled_from([raw["levels"][0]["value"] - 1, raw["levels"][-1]["value"] + 1]))
    domain["levels"].append({"value": off, "description": {"nl": "Buiten de schaal", "en": "Off the scale"}})
    if off < 0:
        refused_only_at(raw, ("domains", raw["domains"].index(domain), "levels", len(domain["levels"]) - 1, "value"))
    else:
        refused_only_at(raw, ("domains",), m.LEVEL_NOT_ON_SCALE)


@FAST
@given(definitions(), st.data())
def test_a_domain_describing_one_level_twice_is_refused(raw: Raw, data: st.DataObject) -> None:
    j = data.draw(st.integers(min_value=0, max_value=len(raw["domains"]) - 1))
    domain = raw["domains"][j]
    value = data.draw(st.sampled_from([level["value"] for level in raw["levels"]]))
    others = [level for level in domain["levels"] if level["value"] != value]
    domain["levels"] = [*others, *[{"value": value, "description": {"nl": "Een", "en": "One"}}] * 2]
    refused_only_at(raw, ("domains", j, "levels"), m.DUPLICATE_DOMAIN_LEVEL)


def test_every_validator_message_can_be_translated() -> None:
    assert sorted(service.VALIDATOR_MESSAGES) == sorted(m.VALIDATOR_MESSAGES)


# The shipped instruments -------------------------------------------------------------------


def test_both_shipped_instruments_load() -> None:
    instruments = shipped()
    assert sorted(instruments) == [("bridge-to-self-sufficiency", 1), ("self-reliance-matrix", 1)]
    bridge = instruments[("bridge-to-self-sufficiency", 1)]
    assert bridge.domain_keys() == [
        "family-stability",
        "well-being",
        "education-and-training",
        "financial-management",
        "employment-and-career",
        "children",
    ]
    assert all(len(domain.levels) == len(bridge.levels) for domain in bridge.domains), "every pillar says each step"
    matrix = instruments[("self-reliance-matrix", 1)]
    assert len(matrix.domains) == 13
    assert [level.value for level in matrix.levels] == [1, 2, 3, 4, 5]
    assert [level.name["en"] for level in matrix.levels] == [
        "Acute problems",
        "Not self-reliant",
        "Limited self-reliance",
        "Sufficiently self-reliant",
        "Fully self-reliant",
    ]


def _shipped_file(directory: Path, name: str, raw: Raw) -> None:
    (directory / name).write_text(json.dumps(raw), encoding="utf-8")


def test_two_shipped_files_with_the_same_key_and_version_are_refused(tmp_path: Path) -> None:
    raw = shipped()[("self-reliance-matrix", 1)].model_dump(mode="json")
    _shipped_file(tmp_path, "a.json", raw)
    _shipped_file(tmp_path, "b.json", {**raw, "name": {"nl": "Anders", "en": "Different"}})
    with pytest.raises(ShippedInstrumentError, match=r"b\.json: version 1 of 'self-reliance-matrix'.*a\.json"):
        load_shipped(tmp_path)
    _shipped_file(tmp_path, "b.json", {**raw, "version": 2})
    assert sorted(load_shipped(tmp_path)) == [("self-reliance-matrix", 1), ("self-reliance-matrix", 2)]


def test_a_malformed_shipped_file_is_refused_by_name(tmp_path: Path) -> None:
    raw = shipped()[("bridge-to-self-sufficiency", 1)].model_dump(mode="json")
    del raw["domains"][5]["name"]["en"]
    _shipped_file(tmp_path, "bridge.json", raw)
    with pytest.raises(ShippedInstrumentError, match=r"(?s)bridge\.json.*domains\.5\.name") as caught:
        load_shipped(tmp_path)
    assert m.MISSING_TEXT["en"] in str(caught.value)
    (tmp_path / "bridge.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ShippedInstrumentError, match=r"bridge\.json"):
        load_shipped(tmp_path)
