"""Measurement instruments over the JSON API, on SQLite and PostgreSQL: every programme has the
shipped ones, staff add their organisation's own instruments and versions, and a malformed or
taken definition is refused with the place to fix, nothing stored."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.client import Browser
from tests.support.measurements import own_instrument
from tests.support.world import World

SHIPPED = [["bridge-to-self-sufficiency", 1], ["self-reliance-matrix", 1]]


def base(programme_id: uuid.UUID) -> str:
    return f"/api/v1/measurements/programmes/{programme_id}/instruments"


async def listed(browser: Browser, programme_id: uuid.UUID) -> list[list[Any]]:
    response = await browser.api("GET", base(programme_id))
    assert response.status_code == 200, response.text
    return [[row["key"], row["version"]] for row in response.json()]


async def test_everyone_in_a_programme_has_the_shipped_instruments(browser: Browser, world: World) -> None:
    for person in (world.participant_a, world.coach_a, world.staff_a, world.admin):
        await browser.log_in_as(person)
        assert await listed(browser, world.programme_a) == SHIPPED
        browser.log_out()
    await browser.log_in_as(world.participant_a)
    rows = (await browser.api("GET", base(world.programme_a))).json()
    assert rows[1]["name"] == {"nl": "Zelfredzaamheidsmatrix", "en": "Self-reliance matrix"}
    assert (rows[1]["domain_count"], rows[1]["lowest"], rows[1]["highest"], rows[1]["shipped"]) == (13, 1, 5, True)
    response = await browser.api("GET", f"{base(world.programme_a)}/bridge-to-self-sufficiency/versions/1")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["shipped"] is True
    assert [domain["key"] for domain in body["definition"]["domains"]][-1] == "children"


async def test_staff_add_an_instrument_for_every_programme_of_their_organisation(
    browser: Browser, world: World
) -> None:
    await browser.log_in_as(world.staff_a)
    response = await browser.api("POST", base(world.programme_a), json=own_instrument())
    assert response.status_code == 201, response.text
    added = response.json()
    assert (added["shipped"], added["added_by"]) == (False, str(world.staff_a))
    assert added["definition"] == own_instrument(), "stored as given, nothing dropped or added"
    browser.log_out()

    await browser.log_in_as(world.participant_b)  # another programme of the same organisation
    assert await listed(browser, world.programme_b) == [*SHIPPED, ["weekly-check", 1]]
    response = await browser.api("GET", f"{base(world.programme_b)}/weekly-check/versions/1")
    assert response.status_code == 200
    assert response.json()["definition"] == own_instrument()
    browser.log_out()

    await browser.log_in_as(world.outsider_org_admin)
    response = await browser.api("GET", f"{base(world.programme_a)}/weekly-check/versions/1")
    assert response.status_code == 404, "another organisation sees neither the programme nor its instruments"


async def test_only_staff_and_admins_add_instruments(browser: Browser, world: World) -> None:
    for person in (world.participant_a, world.coach_a, world.supervisor_a):
        await browser.log_in_as(person)
        response = await browser.api("POST", base(world.programme_a), json=own_instrument())
        assert response.status_code == 403, person
        browser.log_out()
    await browser.log_in_as(world.staff_b)
    response = await browser.api("POST", base(world.programme_a), json=own_instrument())
    assert response.status_code == 404, "staff of programme B hold no role in A"
    browser.log_out()
    await browser.log_in_as(world.admin)
    response = await browser.api("POST", base(world.programme_a), json=own_instrument())
    assert response.status_code == 201, response.text
    assert await listed(browser, world.programme_a) == [*SHIPPED, ["weekly-check", 1]]


async def test_a_malformed_definition_is_refused_at_the_place_to_fix(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.staff_a)
    url = base(world.programme_a)
    malformed = own_instrument()
    del malformed["domains"][1]["name"]["en"]
    response = await browser.api("POST", url, json=malformed)
    assert response.status_code == 422
    problems = response.json()["error"]["problems"]
    assert problems == [{"field": "domains.1.name", "message": "Schrijf deze tekst ook in het Engels (en)."}]

    cases: list[tuple[dict[str, Any], str]] = [
        (own_instrument(version=0), "version"),
        (own_instrument(domains=[own_instrument()["domains"][0]] * 2), "domains"),
        (own_instrument(levels=own_instrument()["levels"][::2]), "levels"),
        (own_instrument(colour="red"), "colour"),
        (own_instrument(key="Weekly Check"), "key"),
    ]
    for definition, field in cases:
        response = await browser.api("POST", url, json=definition)
        assert response.status_code == 422, field
        assert [problem["field"] for problem in response.json()["error"]["problems"]] == [field]
        assert all(problem["message"] for problem in response.json()["error"]["problems"])
    assert await listed(browser, world.programme_a) == SHIPPED, "nothing was stored"


async def test_a_version_is_never_changed_or_taken_twice(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.staff_a)
    url = base(world.programme_a)
    assert (await browser.api("POST", url, json=own_instrument())).status_code == 201

    again = own_instrument(name={"nl": "Andere naam", "en": "Other name"})
    response = await browser.api("POST", url, json=again)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "version"
    assert error["message"] == (
        "Dit instrument heeft al versie 1, en een versie verandert nooit meer. Voeg je wijzigingen toe als versie 2."
    )

    shipped_again = own_instrument(key="self-reliance-matrix")
    response = await browser.api("POST", url, json=shipped_again)
    assert (response.status_code, response.json()["error"]["field"]) == (422, "version")

    # A newer version of a shipped instrument or of her own is welcome; the old one stays.
    for key in ("weekly-check", "self-reliance-matrix"):
        response = await browser.api("POST", url, json=own_instrument(key=key, version=2, name=again["name"]))
        assert response.status_code == 201, response.text
    response = await browser.api("POST", url, json=again)
    assert response.status_code == 422
    assert "versie 3" in response.json()["error"]["message"], "an older number is refused too"
    first = (await browser.api("GET", f"{url}/weekly-check/versions/1")).json()
    assert first["definition"] == own_instrument(), "version 1 is as it was first added"
    matrix = (await browser.api("GET", f"{url}/self-reliance-matrix/versions/1")).json()
    assert (matrix["shipped"], len(matrix["definition"]["domains"])) == (True, 13)
    assert await listed(browser, world.programme_a) == [
        ["bridge-to-self-sufficiency", 1],
        ["self-reliance-matrix", 1],
        ["self-reliance-matrix", 2],
        ["weekly-check", 1],
        ["weekly-check", 2],
    ]


async def test_an_unknown_instrument_or_version_is_not_found(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.coach_a)
    for path in ("self-reliance-matrix/versions/2", "no-such-thing/versions/1"):
        response = await browser.api("GET", f"{base(world.programme_a)}/{path}")
        assert response.status_code == 404, path
        assert response.json()["error"]["message"] == "Dit instrument of deze versie ervan bestaat niet."
    response = await browser.api("GET", f"{base(world.programme_a)}/self-reliance-matrix/versions/0")
    assert response.status_code == 422
