"""Measurements over the JSON API, on SQLite and PostgreSQL: she and her coach each hand in a
sealed score once, the server withholds the other side's envelope until both are in, bad input is
refused with nothing stored, and her consent to report scores is recorded with its text and
withdrawn with the reported scores deleted."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import delete, func, select, update

from eportfolio import crypto
from eportfolio.kit.audit import AccessLogEntry
from eportfolio.kit.clock import utcnow
from eportfolio.kit.uow import unit_of_work
from eportfolio.measurements.service import consent_text
from eportfolio.measurements.tables import Measurement, MeasurementSide, ReportedScores, ScoreConsent
from tests.support.client import Browser
from tests.support.modules import envelope, portfolios_at_epoch
from tests.support.world import World
from tests.support.world_keys import world_keys

BRIDGE = {"instrument_key": "bridge-to-self-sufficiency", "instrument_version": 1}


@pytest.fixture(autouse=True)
async def _portfolios(app: FastAPI, world: World) -> None:
    """Scores are sealed under her portfolio's current key; Coach A coaches her through an
    assignment Staff A signed."""
    await portfolios_at_epoch(app, world)
    KEYS[world.participant_a] = (await world_keys(app, world)).identities[world.participant_a]


KEYS: dict[uuid.UUID, Any] = {}
SERIAL = iter(range(1_780_000_000_000, 1_790_000_000_000))


def signed(world: World, kind: str, *, text: str | None = None, language: str = "nl", **fields: Any) -> str:
    """Her statement as her browser signs it (crypto/consent.js), each one newer than the last."""
    her = fields.pop("identity", None) or KEYS[world.participant_a]
    statement = crypto.sign_score_consent(
        her,
        programme_id=str(fields.pop("programme", world.programme_a)),
        kind=kind,
        text=consent_text(language) if text is None else text,
        language=language,
        serial=fields.pop("serial", None) or next(SERIAL),
    )
    return crypto.b64u_encode(statement)


def agreement(world: World, **fields: Any) -> dict[str, str]:
    return {"language": "nl", "text": consent_text("nl"), "statement": signed(world, "agree", **fields)}


def withdrawal(world: World, **fields: Any) -> dict[str, str]:
    return {"statement": signed(world, "withdraw", **fields)}


def base(world: World, programme: uuid.UUID | None = None) -> str:
    return f"/api/v1/measurements/programmes/{programme or world.programme_a}"


def hers(world: World, participant: uuid.UUID | None = None) -> str:
    return f"{base(world)}/participants/{participant or world.participant_a}/measurements"


async def count(app: FastAPI, table: Any) -> int:
    async with unit_of_work(app.state.sessionmaker) as uow:
        return int((await uow.session.execute(select(func.count()).select_from(table))).scalar_one())


async def opened(browser: Browser, world: World, person: uuid.UUID, body: dict[str, Any] = BRIDGE) -> dict[str, Any]:
    await browser.log_in_as(person)
    response = await browser.api("POST", hers(world), json=body)
    assert response.status_code == 201, response.text
    browser.log_out()
    return response.json()


async def pillars(browser: Browser, world: World) -> list[str]:
    await browser.log_in_as(world.participant_a)
    url = f"{base(world)}/instruments/bridge-to-self-sufficiency/versions/1"
    keys = [d["key"] for d in (await browser.api("GET", url)).json()["definition"]["domains"]]
    browser.log_out()
    return keys


async def test_she_and_her_coach_see_each_other_only_when_both_are_in(
    app: FastAPI, browser: Browser, world: World
) -> None:
    measurement = await opened(browser, world, world.coach_a)
    assert measurement["instrument_name"]["nl"] == "Brug naar zelfredzaamheid"
    assert (measurement["instrument_key"], measurement["instrument_version"]) == ("bridge-to-self-sufficiency", 1)
    url = f"{base(world)}/measurements/{measurement['id']}"

    await browser.log_in_as(world.participant_a)
    mine = envelope(0, row_id=uuid.uuid4())
    response = await browser.api("POST", f"{url}/sides", json=mine)
    assert response.status_code == 201, response.text
    body = response.json()
    assert [s["side"] for s in body["sides"]] == ["self"]
    assert body["sides"][0]["envelope"]["envelope"] == mine["envelope"]
    assert body["both_submitted"] is False
    browser.log_out()

    # Her coach sees that she handed in, and when, but not her envelope.
    await browser.log_in_as(world.coach_a)
    body = (await browser.api("GET", url)).json()
    assert [(s["side"], s["envelope"]) for s in body["sides"]] == [("self", None)]
    his = envelope(0, row_id=uuid.uuid4())
    response = await browser.api("POST", f"{url}/sides", json=his)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["both_submitted"] is True
    assert [s["envelope"]["envelope"] for s in body["sides"]] == [mine["envelope"], his["envelope"]]
    # A second score of the same side is refused; nothing changes.
    again = await browser.api("POST", f"{url}/sides", json=envelope(0))
    assert again.status_code == 409
    assert "één keer" in again.json()["error"]["message"]
    browser.log_out()

    await browser.log_in_as(world.participant_a)
    listed = (await browser.api("GET", hers(world))).json()
    assert [[s["envelope"]["envelope"] for s in m["sides"]] for m in listed] == [[mine["envelope"], his["envelope"]]]
    assert (await browser.api("POST", f"{url}/sides", json=envelope(0))).status_code == 409
    assert await count(app, MeasurementSide) == 2
    async with unit_of_work(app.state.sessionmaker) as uow:
        kinds = (
            await uow.session.execute(
                select(AccessLogEntry.record_kind, AccessLogEntry.action).where(
                    AccessLogEntry.subject_person_id == world.participant_a
                )
            )
        ).all()
    assert ("measurement", "create") in kinds
    assert ("measurement", "read") in kinds


async def test_her_coach_withholding_works_the_other_way_round(browser: Browser, world: World) -> None:
    measurement = await opened(browser, world, world.participant_a)
    url = f"{base(world)}/measurements/{measurement['id']}"
    await browser.log_in_as(world.coach_a)
    assert (await browser.api("POST", f"{url}/sides", json=envelope(0))).status_code == 201
    browser.log_out()
    await browser.log_in_as(world.participant_a)
    body = (await browser.api("GET", url)).json()
    assert [(s["side"], s["envelope"]) for s in body["sides"]] == [("coach", None)]


async def test_only_she_and_her_counting_coach_take_part(app: FastAPI, browser: Browser, world: World) -> None:
    measurement = await opened(browser, world, world.participant_a)
    url = f"{base(world)}/measurements/{measurement['id']}"
    # Staff and the supervisor: refused with a reason; another mother: as if it were not there.
    for person, status in ((world.staff_a, 403), (world.supervisor_a, 403), (world.participant_a2, 404)):
        await browser.log_in_as(person)
        assert (await browser.api("GET", url)).status_code == status
        assert (await browser.api("GET", hers(world))).status_code == status
        assert (await browser.api("POST", hers(world), json=BRIDGE)).status_code == status
        assert (await browser.api("POST", f"{url}/sides", json=envelope(0))).status_code == status
        browser.log_out()
    # Someone of another programme, and an admin of another organisation.
    for person in (world.participant_b, world.outsider_org_admin):
        await browser.log_in_as(person)
        assert (await browser.api("GET", url)).status_code in (403, 404)
        assert (await browser.api("POST", hers(world), json=BRIDGE)).status_code in (403, 404)
        browser.log_out()
    # Her coach cannot open one for a mother he does not coach.
    await browser.log_in_as(world.coach_a)
    assert (await browser.api("POST", hers(world, world.participant_a2), json=BRIDGE)).status_code == 404
    assert (await browser.api("POST", hers(world, world.participant_b), json=BRIDGE)).status_code == 404
    assert await count(app, Measurement) == 1
    assert await count(app, MeasurementSide) == 0


async def test_bad_input_is_refused_with_nothing_stored(app: FastAPI, browser: Browser, world: World) -> None:
    await browser.log_in_as(world.participant_a)
    for body, field in (
        ({"instrument_key": "bridge-to-self-sufficiency", "instrument_version": 7}, "instrument_version"),
        ({"instrument_key": "no-such-thing", "instrument_version": 1}, "instrument_version"),
        ({"instrument_key": "Bad Key", "instrument_version": 1}, "instrument_key"),
    ):
        response = await browser.api("POST", hers(world), json=body)
        assert response.status_code == 422, response.text
        assert field in response.text
    assert await count(app, Measurement) == 0
    measurement = (await browser.api("POST", hers(world), json=BRIDGE)).json()
    url = f"{base(world)}/measurements/{measurement['id']}/sides"
    broken = envelope(0)
    broken["key_id"] = envelope(0)["key_id"]  # not the key the envelope names
    assert (await browser.api("POST", url, json=broken)).status_code == 422
    assert (await browser.api("POST", url, json=envelope(1))).status_code == 409
    stale = envelope(0, epoch_key_id=bytes(16))
    response = await browser.api("POST", url, json=stale)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "stale_epoch"
    assert await count(app, MeasurementSide) == 0


async def test_consent_is_recorded_with_its_text_and_withdrawal_deletes_the_reported_scores(
    app: FastAPI, browser: Browser, world: World
) -> None:
    keys = await pillars(browser, world)
    measurement = await opened(browser, world, world.participant_a)
    url = f"{base(world)}/measurements/{measurement['id']}"
    await browser.log_in_as(world.participant_a)
    assert (await browser.api("POST", f"{url}/sides", json=envelope(0))).status_code == 201
    scores = dict.fromkeys(keys, 3)

    # Without consent the numbers are refused.
    response = await browser.api("POST", f"{url}/reported", json={"side": "self", "scores": scores})
    assert response.status_code == 403
    assert (await browser.api("GET", f"{base(world)}/score-consent")).json()["consenting"] is False

    # A text other than the one this version shows is refused; the real one is recorded.
    wrong = {**agreement(world), "text": "Ja hoor"}
    assert (await browser.api("POST", f"{base(world)}/score-consent", json=wrong)).status_code == 422
    text = consent_text("nl")
    assert text.startswith("Ik ")
    assert "aantekeningen" in text
    agreed = await browser.api("POST", f"{base(world)}/score-consent", json=agreement(world))
    assert agreed.status_code == 200, agreed.text
    assert agreed.json()["consenting"] is True
    assert agreed.json()["text"] == text

    # Scores outside the scale, a domain the version lacks, a domain left out: refused.
    for bad, message in (
        ({**scores, keys[0]: 6}, "1"),
        ({**scores, keys[0]: 0}, "1"),
        ({**scores, "dreams": 3}, "dreams"),
        ({k: v for k, v in scores.items() if k != keys[0]}, ""),
    ):
        response = await browser.api("POST", f"{url}/reported", json={"side": "self", "scores": bad})
        assert response.status_code == 422, response.text
        assert message in response.json()["error"]["message"]
    # Her coach's side is not in yet.
    response = await browser.api("POST", f"{url}/reported", json={"side": "coach", "scores": scores})
    assert response.status_code == 409
    assert await count(app, ReportedScores) == 0
    response = await browser.api("POST", f"{url}/reported", json={"side": "self", "scores": scores})
    assert response.status_code == 200, response.text
    assert response.json()["reported_sides"] == ["self"]
    browser.log_out()

    # Her coach cannot report for her, and cannot read or change her consent.
    await browser.log_in_as(world.coach_a)
    assert (await browser.api("POST", f"{url}/reported", json={"side": "self", "scores": scores})).status_code == 403
    assert (await browser.api("GET", f"{base(world)}/score-consent")).status_code == 403
    assert (await browser.api("DELETE", f"{base(world)}/score-consent", json=withdrawal(world))).status_code == 403
    browser.log_out()

    await browser.log_in_as(world.participant_a)
    withdrawn = await browser.api("DELETE", f"{base(world)}/score-consent", json=withdrawal(world))
    assert withdrawn.status_code == 200
    assert withdrawn.json()["consenting"] is False
    assert withdrawn.json()["withdrawn_at"]
    assert await count(app, ReportedScores) == 0
    # Reporting stops at once.
    response = await browser.api("POST", f"{url}/reported", json={"side": "self", "scores": scores})
    assert response.status_code == 403
    assert await count(app, ReportedScores) == 0
    async with unit_of_work(app.state.sessionmaker) as uow:
        row = (await uow.session.execute(select(ScoreConsent))).scalar_one()
    assert (row.text, row.language, row.withdrawn_at is not None) == (text, "nl", True)


async def test_staff_see_reported_totals_only_for_groups_large_enough(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.staff_a)
    response = await browser.api("GET", f"{base(world)}/reported-scores")
    assert response.status_code == 200
    assert response.json() == []
    browser.log_out()
    await browser.log_in_as(world.coach_a)
    assert (await browser.api("GET", f"{base(world)}/reported-scores")).status_code == 403


# Pages -----------------------------------------------------------------------------------------


async def test_her_growth_page_is_under_more_and_opens_a_measurement(
    app: FastAPI, browser: Browser, world: World
) -> None:
    await browser.log_in_as(world.participant_a)
    menu = (await browser.get("/menu")).text
    assert 'href="/my/growth"' in menu
    assert "Mijn groei" in menu
    response = await browser.get("/my/growth")
    assert response.status_code in (302, 303)
    page_url = response.headers["location"]
    assert page_url == f"/growth/programmes/{world.programme_a}/participants/{world.participant_a}"
    page = (await browser.get(page_url)).text
    assert "Nog geen metingen" in page
    assert "Brug naar zelfredzaamheid" in page
    assert consent_text("nl") in page
    # An unknown instrument version from the form: the page again with the reason, nothing stored.
    form = f"{page_url}/measurements"
    refused = await browser.post_form(form, {"instrument": "bridge-to-self-sufficiency:9"})
    assert refused.status_code == 422
    assert "bestaat niet" in refused.text
    assert await count(app, Measurement) == 0
    opened = await browser.post_form(form, {"instrument": "bridge-to-self-sufficiency:1"})
    assert opened.status_code in (302, 303)
    measurement = (await browser.get(opened.headers["location"])).text
    assert 'id="score-form"' in measurement
    assert "Gezin en wonen" in measurement
    # Consent through the plain form: recorded with the text; withdrawn again.
    unsigned = await browser.post_form(f"/growth/programmes/{world.programme_a}/consent", {"text": consent_text("nl")})
    assert unsigned.status_code == 422
    assert await count(app, ScoreConsent) == 0
    agreed = await browser.post_form(f"/growth/programmes/{world.programme_a}/consent", agreement(world))
    assert agreed.status_code in (302, 303)
    page = (await browser.get(page_url)).text
    assert "Stop met het melden van mijn scores" in page
    unsigned = await browser.post_form(f"/growth/programmes/{world.programme_a}/consent/withdraw")
    assert unsigned.status_code == 422
    assert "met je eigen sleutel ondertekend" in unsigned.text
    withdrawn = await browser.post_form(f"/growth/programmes/{world.programme_a}/consent/withdraw", withdrawal(world))
    assert withdrawn.status_code in (302, 303)
    async with unit_of_work(app.state.sessionmaker) as uow:
        row = (await uow.session.execute(select(ScoreConsent))).scalar_one()
    assert row.withdrawn_at is not None


async def test_her_coach_reaches_her_growth_from_his_caseload(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.coach_a)
    caseload = (await browser.get("/caseload")).text
    url = f"/growth/programmes/{world.programme_a}/participants/{world.participant_a}"
    assert f'href="{url}"' in caseload
    page = await browser.get(url)
    assert page.status_code == 200
    assert "Mother A" in page.text
    await browser.log_in_as(world.staff_a)
    assert (await browser.get(url)).status_code == 403


async def test_an_old_measurement_keeps_its_instrument_version(browser: Browser, world: World) -> None:
    old = await opened(browser, world, world.participant_a)
    await browser.log_in_as(world.staff_a)
    url = f"{base(world)}/instruments/bridge-to-self-sufficiency/versions/1"
    definition = (await browser.api("GET", url)).json()["definition"]
    definition["version"] = 2
    definition["domains"] = definition["domains"][:5]  # version 2 without the children pillar
    definition["name"] = {"nl": "Brug 2027", "en": "Bridge 2027"}
    assert (await browser.api("POST", f"{base(world)}/instruments", json=definition)).status_code == 201
    browser.log_out()
    newer = await opened(browser, world, world.coach_a, {**BRIDGE, "instrument_version": 2})
    await browser.log_in_as(world.participant_a)
    listed = (await browser.api("GET", hers(world))).json()
    assert [(m["id"], m["instrument_version"], m["instrument_name"]["nl"]) for m in listed] == [
        (old["id"], 1, "Brug naar zelfredzaamheid"),
        (newer["id"], 2, "Brug 2027"),
    ]
    page = (await browser.get(f"/growth/programmes/{world.programme_a}/measurements/{old['id']}")).text
    assert 'data-domain="children"' in page, "the old measurement is scored on its own version"
    page = (await browser.get(f"/growth/programmes/{world.programme_a}/measurements/{newer['id']}")).text
    assert 'data-domain="children"' not in page
    assert "versie 2" in page
    # A new measurement is offered in the newest version only, the instrument measured last first.
    growth = (await browser.get(f"/growth/programmes/{world.programme_a}/participants/{world.participant_a}")).text
    offered = re.findall(r'<option value="([^"]+)"', growth)
    assert offered == ["bridge-to-self-sufficiency:2", "self-reliance-matrix:1"]


async def test_staff_totals_leave_out_groups_under_five(app: FastAPI, browser: Browser, world: World) -> None:
    """Rows as her browser would have reported them, for four and then five mothers."""
    people = [world.participant_a, world.participant_a2, world.participant_b, world.supervisor_a, world.staff_b]

    async def reported_by(person: uuid.UUID, score: int) -> None:
        async with unit_of_work(app.state.sessionmaker) as uow:
            common = {"organisation_id": world.organisation_id, "programme_id": world.programme_a}
            consent = ScoreConsent(**common, participant_id=person, language="nl", text=consent_text("nl"))
            measurement = Measurement(
                **common,
                participant_id=person,
                instrument_key="bridge-to-self-sufficiency",
                instrument_version=1,
                opened_by=person,
            )
            uow.session.add_all([consent, measurement])
            await uow.flush()
            uow.session.add(
                ReportedScores(
                    **common,
                    participant_id=person,
                    measurement_id=measurement.id,
                    side="self",
                    instrument_key="bridge-to-self-sufficiency",
                    instrument_version=1,
                    scores={"children": score, "well-being": 2},
                    consent_id=consent.id,
                )
            )

    for person, score in zip(people[:4], [1, 2, 3, 4], strict=True):
        await reported_by(person, score)
    await browser.log_in_as(world.staff_a)
    url = f"{base(world)}/reported-scores"
    assert (await browser.api("GET", url)).json() == []
    await reported_by(people[4], 5)
    totals = {row["domain"]: row for row in (await browser.api("GET", url)).json()}
    assert set(totals) == {"children", "well-being"}
    assert (totals["children"]["people"], totals["children"]["average"]) == (5, 3.0)
    assert totals["children"]["side"] == "self"


async def _five_reported(app: FastAPI, world: World) -> list[uuid.UUID]:
    """Five mothers' self scores as their browsers would have reported them; their consent ids."""
    people = [world.participant_a, world.participant_a2, world.participant_b, world.supervisor_a, world.staff_b]
    consents = []
    async with unit_of_work(app.state.sessionmaker) as uow:
        for score, person in enumerate(people, start=1):
            common = {"organisation_id": world.organisation_id, "programme_id": world.programme_a}
            consent = ScoreConsent(**common, participant_id=person, language="nl", text=consent_text("nl"))
            measurement = Measurement(
                **common,
                participant_id=person,
                instrument_key="bridge-to-self-sufficiency",
                instrument_version=1,
                opened_by=person,
            )
            uow.session.add_all([consent, measurement])
            await uow.flush()
            uow.session.add(
                ReportedScores(
                    **common,
                    participant_id=person,
                    measurement_id=measurement.id,
                    side="self",
                    instrument_key="bridge-to-self-sufficiency",
                    instrument_version=1,
                    scores={"children": score, "well-being": 2},
                    consent_id=consent.id,
                )
            )
            consents.append(consent.id)
    return consents


async def test_scores_under_a_withdrawn_consent_never_count(app: FastAPI, browser: Browser, world: World) -> None:
    """A report that slipped in beside her withdrawal (its row outlived the delete) is not counted."""
    consents = await _five_reported(app, world)
    await browser.log_in_as(world.staff_a)
    url = f"{base(world)}/reported-scores"
    assert {row["people"] for row in (await browser.api("GET", url)).json()} == {5}
    async with unit_of_work(app.state.sessionmaker) as uow:
        consent = await uow.session.get(ScoreConsent, consents[0])
        assert consent is not None
        consent.withdrawn_at = utcnow()
    assert (await browser.api("GET", url)).json() == [], "four left: under five, nothing shown"


async def test_a_report_at_the_moment_she_withdraws_is_not_kept(
    app: FastAPI, browser: Browser, world: World, backend: str
) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite writes one transaction at a time; the race needs two writers at once")
    keys = await pillars(browser, world)
    measurement = await opened(browser, world, world.participant_a)
    url = f"{base(world)}/measurements/{measurement['id']}"
    await browser.log_in_as(world.participant_a)
    assert (await browser.api("POST", f"{url}/sides", json=envelope(0))).status_code == 201
    agreed = await browser.api("POST", f"{base(world)}/score-consent", json=agreement(world))
    assert agreed.status_code == 200, agreed.text
    await browser.csrf()
    # Her withdrawal has begun in another transaction (on another of her devices) and not ended.
    withdrawal = app.state.sessionmaker()
    try:
        await withdrawal.execute(
            update(ScoreConsent).where(ScoreConsent.participant_id == world.participant_a).values(withdrawn_at=utcnow())
        )
        await withdrawal.execute(delete(ReportedScores).where(ReportedScores.participant_id == world.participant_a))
        report = asyncio.create_task(
            browser.api("POST", f"{url}/reported", json={"side": "self", "scores": dict.fromkeys(keys, 3)})
        )
        await asyncio.sleep(1.5)
        assert not report.done(), "the report waits for the withdrawal under way"
        await withdrawal.commit()
    finally:
        await withdrawal.close()
    answer = await asyncio.wait_for(report, 30)
    assert answer.status_code == 403, answer.text
    assert await count(app, ReportedScores) == 0


# Her signed consent ----------------------------------------------------------------------------


async def test_a_consent_or_withdrawal_without_her_valid_signature_is_refused(
    app: FastAPI, browser: Browser, world: World
) -> None:
    """Only her own signed statement, for this programme, this kind, and newer than what is kept,
    changes her consent; anything else is a 4xx with nothing stored."""
    coach = (await world_keys(app, world)).identities[world.coach_a]
    url = f"{base(world)}/score-consent"
    await browser.log_in_as(world.participant_a)
    refusals = [
        {"language": "nl", "text": consent_text("nl")},  # not signed at all
        {**agreement(world), "statement": "bm90IGEgc3RhdGVtZW50"},  # not a statement
        agreement(world, identity=coach),  # signed by another key (her coach's)
        agreement(world, programme=world.programme_b),  # for another programme
        {**agreement(world), "statement": withdrawal(world)["statement"]},  # a 'withdraw' to agree
        {**agreement(world), "statement": signed(world, "agree", text="Ja hoor")},  # over another text
        {**agreement(world), "statement": signed(world, "agree", language="en")},  # in another language
    ]
    for body in refusals:
        response = await browser.api("POST", url, json=body)
        assert response.status_code == 422, response.text
    # A statement with one bit changed no longer verifies.
    raw = bytearray(crypto.b64u_decode(agreement(world)["statement"]))
    raw[-1] ^= 1
    tampered = {**agreement(world), "statement": crypto.b64u_encode(bytes(raw))}
    assert (await browser.api("POST", url, json=tampered)).status_code == 422
    assert await count(app, ScoreConsent) == 0

    # Her own signed 'agree' is kept, and served as the newest statement.
    first = agreement(world)
    agreed = await browser.api("POST", url, json=first)
    assert agreed.status_code == 200, agreed.text
    assert agreed.json()["statement"] == first["statement"]
    assert (await browser.api("GET", url)).json()["statement"] == first["statement"]

    # Withdrawing: unsigned, signed by her coach, an 'agree', or older than her 'agree': refused.
    old = signed(world, "withdraw", serial=1_000)
    refused = (None, {}, withdrawal(world, identity=coach), {"statement": signed(world, "agree")}, {"statement": old})
    for body in refused:
        response = await browser.api("DELETE", url, **({} if body is None else {"json": body}))
        assert response.status_code in (409, 422), response.text
    assert (await browser.api("GET", url)).json()["consenting"] is True

    stop = withdrawal(world)
    withdrawn = await browser.api("DELETE", url, json=stop)
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["consenting"] is False
    assert withdrawn.json()["statement"] == stop["statement"]
    # Her old 'agree' sent again is not a new word of hers.
    assert (await browser.api("POST", url, json=first)).status_code == 409
    assert (await browser.api("GET", url)).json()["consenting"] is False
    async with unit_of_work(app.state.sessionmaker) as uow:
        row = (await uow.session.execute(select(ScoreConsent))).scalar_one()
    assert row.statement == crypto.b64u_decode(first["statement"])
    assert row.withdrawal == crypto.b64u_decode(stop["statement"])
    assert row.serial is not None
    assert row.withdrawal_serial is not None
    assert row.serial < row.withdrawal_serial

    # A new 'agree' makes a new consent; a second phone's 'agree' replaces the served statement.
    again = await browser.api("POST", url, json=agreement(world))
    assert again.status_code == 200
    assert again.json()["consenting"] is True
    other_phone = agreement(world)
    assert (await browser.api("POST", url, json=other_phone)).json()["statement"] == other_phone["statement"]
    assert await count(app, ScoreConsent) == 2


async def test_a_consent_kept_without_her_signature_reports_nothing(
    app: FastAPI, browser: Browser, world: World
) -> None:
    """A consent row from before signed consent (or written by the server itself) lets no number in;
    her signed 'agree' ends it and takes its place."""
    keys = await pillars(browser, world)
    measurement = await opened(browser, world, world.participant_a)
    url = f"{base(world)}/measurements/{measurement['id']}"
    async with unit_of_work(app.state.sessionmaker) as uow:
        uow.session.add(
            ScoreConsent(
                organisation_id=world.organisation_id, programme_id=world.programme_a,
                participant_id=world.participant_a, language="nl", text=consent_text("nl"),
            )
        )
    await browser.log_in_as(world.participant_a)
    assert (await browser.api("POST", f"{url}/sides", json=envelope(0))).status_code == 201
    scores = {"side": "self", "scores": dict.fromkeys(keys, 3)}
    assert (await browser.api("POST", f"{url}/reported", json=scores)).status_code == 403
    served = (await browser.api("GET", f"{base(world)}/score-consent")).json()
    assert served["consenting"] is True
    assert served["statement"] is None
    assert (await browser.api("POST", f"{base(world)}/score-consent", json=agreement(world))).status_code == 200
    assert (await browser.api("POST", f"{url}/reported", json=scores)).status_code == 200
    async with unit_of_work(app.state.sessionmaker) as uow:
        rows = (await uow.session.execute(select(ScoreConsent).order_by(ScoreConsent.agreed_at))).scalars().all()
    assert [r.statement is None for r in rows] == [True, False]
    assert rows[0].withdrawn_at is not None
    assert rows[1].withdrawn_at is None
