"""Staff pages for measurement instruments, on SQLite and PostgreSQL: the list, one version in the
reader's language, and adding an instrument or a new version by pasting or uploading its JSON,
with every problem named and what was typed kept; nothing stored on a refusal."""

from __future__ import annotations

import json
import uuid

from tests.support.client import Browser
from tests.support.measurements import own_instrument
from tests.support.world import World


def pages(programme_id: uuid.UUID) -> str:
    return f"/manage/programmes/{programme_id}/instruments"


async def test_staff_find_the_instruments_from_the_programme_and_read_one(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.staff_a)
    overview = await browser.get(f"/manage/programmes/{world.programme_a}")
    assert f'href="{pages(world.programme_a)}"' in overview.text
    listing = await browser.get(pages(world.programme_a))
    assert listing.status_code == 200
    assert "Zelfredzaamheidsmatrix" in listing.text
    assert "Brug naar zelfredzaamheid" in listing.text
    assert "13 onderwerpen" in listing.text
    detail = await browser.get(f"{pages(world.programme_a)}/self-reliance-matrix/versions/1")
    assert detail.status_code == 200
    assert "Financiën" in detail.text
    assert "Werk en opleiding" in detail.text
    browser.http.cookies.set("ep_lang", "en")
    english = await browser.get(f"{pages(world.programme_a)}/self-reliance-matrix/versions/1")
    assert "Work and education" in english.text
    assert "Werk en opleiding" not in english.text
    browser.http.cookies.delete("ep_lang")
    downloaded = await browser.get(f"{pages(world.programme_a)}/self-reliance-matrix/versions/1.json")
    assert downloaded.status_code == 200
    assert downloaded.headers["content-disposition"] == 'attachment; filename="self-reliance-matrix.v1.json"'
    assert json.loads(downloaded.text)["key"] == "self-reliance-matrix"


async def test_pasting_a_definition_adds_it_and_it_shows_in_the_list(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.staff_a)
    added = await browser.post_form(f"{pages(world.programme_a)}/new", {"definition": json.dumps(own_instrument())})
    assert added.status_code == 303, added.text
    assert added.headers["location"] == f"{pages(world.programme_a)}/weekly-check/versions/1?added=1"
    detail = await browser.get(added.headers["location"])
    assert "Het instrument is toegevoegd" in detail.text
    assert "Geen geld voor eten." in detail.text  # the domain's own words for level 1
    assert "Weekcheck" in (await browser.get(pages(world.programme_a))).text
    # 'Make a new version' starts from this one with the next number.
    start = await browser.get(f"{pages(world.programme_a)}/new", params={"start": "weekly-check.1"})
    assert "&#34;version&#34;: 2" in start.text or '"version": 2' in start.text


async def test_an_uploaded_file_is_added_too(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.staff_a)
    body = json.dumps(own_instrument(key="upload-check")).encode()
    added = await browser.post_form(
        f"{pages(world.programme_a)}/new", {"definition": ""}, files={"file": ("check.json", body, "application/json")}
    )
    assert added.status_code == 303, added.text
    listed = await browser.api("GET", f"/api/v1/measurements/programmes/{world.programme_a}/instruments")
    assert ["upload-check", 1] in [[row["key"], row["version"]] for row in listed.json()]


async def test_a_broken_definition_names_each_problem_keeps_the_text_and_stores_nothing(
    browser: Browser, world: World
) -> None:
    await browser.log_in_as(world.staff_a)
    url = f"{pages(world.programme_a)}/new"

    not_json = '{"key": "weekly-check",\n "version": 1,,}'
    refused = await browser.post_form(url, {"definition": not_json})
    assert refused.status_code == 422
    assert "Dit is geen geldige JSON. Kijk op regel 2" in refused.text
    assert "regel 2" in refused.text
    assert "&#34;version&#34;: 1,," in refused.text  # what she typed is still in the box

    wrong = own_instrument()
    wrong["levels"][2]["value"] = 5  # a gap in the scale
    wrong["domains"][1]["key"] = "rest"  # two domains with one key
    del wrong["name"]["en"]
    refused = await browser.post_form(url, {"definition": json.dumps(wrong)})
    assert refused.status_code == 422
    assert "De definitie heeft 3 problemen. Er is niets toegevoegd." in refused.text
    assert "<code>levels</code>" in refused.text
    assert "<code>domains</code>" in refused.text
    assert "<code>name</code>" in refused.text

    for text in ("", "[1, 2]"):
        refused = await browser.post_form(url, {"definition": text})
        assert refused.status_code == 422
    binary = await browser.post_form(url, {}, files={"file": ("x.json", b"\xff\xfe\x00bad", "application/json")})
    assert binary.status_code == 422
    assert "geen tekstbestand" in binary.text

    # A version that is taken: the shipped matrix has version 1.
    taken = own_instrument(key="self-reliance-matrix")
    refused = await browser.post_form(url, {"definition": json.dumps(taken)})
    assert refused.status_code == 422
    assert "Voeg je wijzigingen toe als versie 2" in refused.text

    listed = await browser.api("GET", f"/api/v1/measurements/programmes/{world.programme_a}/instruments")
    assert [[row["key"], row["version"]] for row in listed.json()] == [
        ["bridge-to-self-sufficiency", 1],
        ["self-reliance-matrix", 1],
    ]


async def test_only_staff_of_the_programme_reach_the_pages(browser: Browser, world: World) -> None:
    for person in (world.participant_a, world.coach_a, world.staff_b):
        await browser.log_in_as(person)
        for url in (pages(world.programme_a), f"{pages(world.programme_a)}/new"):
            response = await browser.get(url)
            assert response.status_code in (403, 404), (person, url, response.status_code)
        posted = await browser.post_form(
            f"{pages(world.programme_a)}/new", {"definition": json.dumps(own_instrument())}
        )
        assert posted.status_code in (403, 404)
        browser.log_out()
    await browser.log_in_as(world.staff_a)
    listed = await browser.api("GET", f"/api/v1/measurements/programmes/{world.programme_a}/instruments")
    assert len(listed.json()) == 2
