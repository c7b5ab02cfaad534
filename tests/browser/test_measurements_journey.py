"""A six-month measurement in real Chromium on a 360 px phone: she finds "Mijn groei" under the
menu, starts the bridge and scores herself (her browser refuses a score that is not on the scale
or a part the version lacks before anything is sent), her coach reaches her from his caseload and
scores without seeing hers, then both see the scores side by side with the differences and the
notes; she sees the chart over time and the bridge, agrees to report the numbers and withdraws
again. A marker she types in a note reaches the server only as ciphertext.
"""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, literal_column, select, table

from eportfolio.kit.db import make_engine
from tests.support.live import LiveServer
from tests.support.portfolio_journey import cast, phone_page
from tests.support.world import World

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("EPORTFOLIO_SCREENSHOTS")  # a folder to keep screenshots in, when set
CANARY = "CANARY-brug-9d2e"
READY_MEASUREMENT = "#measurement[data-ready=true]"
READY_GROWTH = "#growth[data-ready=true]"
PILLARS = [
    "family-stability",
    "well-being",
    "education-and-training",
    "financial-management",
    "employment-and-career",
    "children",
]
HERS = dict(zip(PILLARS, [2, 3, 2, 1, 2, 4], strict=True))
HIS = dict(zip(PILLARS, [3, 3, 2, 2, 1, 4], strict=True))


async def _fits(page: Any, name: str) -> None:
    if SHOTS:
        await page.screenshot(path=str(Path(SHOTS) / f"measurement-{name}.png"), full_page=True)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{name}: the page is {width}px wide on a 360px phone"


async def _everything_stored(database_url: str) -> str:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
            parts = []
            for name in names:
                rows = await connection.execute(select(literal_column("*")).select_from(table(name)))
                parts.extend(repr(tuple(row)) for row in rows)
    finally:
        await engine.dispose()
    return "\n".join(parts)


async def _score(page: Any, scores: dict[str, int], note: tuple[str, str]) -> None:
    for key, value in scores.items():
        await page.check(f"fieldset[data-domain='{key}'] input[value='{value}']")
    await page.fill(f"#note-{note[0]}", note[1])
    async with page.expect_navigation(timeout=30_000):  # handed in, the page opens again
        await page.click("#score-form button[type=submit]")
    await page.wait_for_selector(READY_MEASUREMENT, timeout=30_000)


async def _reported(page: Any) -> list[list[str]]:
    return list(
        await page.evaluate(
            """async () => {
                const root = document.getElementById('growth');
                const r = await fetch(`${root.dataset.api}/participants/${root.dataset.participantId}/measurements`);
                return (await r.json()).map((m) => m.reported_sides);
            }"""
        )
    )


async def _bridge_reads_on_a_phone(page: Any) -> None:
    """Each pillar carries its name under it (not a number to look up in a list), the names stay
    apart and inside the picture, the coach's mark is big enough to see and looks like its key in
    the legend, and the chart's dates have the whole year in her language."""
    names = await page.eval_on_selector_all(
        "#bridge svg.chart g.bridge__pillar",
        """(groups) => groups.map((g) => ({
          key: g.dataset.pillar,
          text: [...g.querySelectorAll('text.bridge__name')].map((t) => t.textContent).join(' '),
          box: [...g.querySelectorAll('text.bridge__name')].map((t) => t.getBoundingClientRect())
            .reduce((a, r) => ({ left: Math.min(a.left, r.left), right: Math.max(a.right, r.right) }),
                    { left: Infinity, right: -Infinity }),
          mark: (() => { const m = g.querySelector('path.bridge__coach'); const r = m && m.getBoundingClientRect();
                         return r ? { w: r.width, h: r.height, fill: getComputedStyle(m).fill } : null; })(),
        }))""",
    )
    assert [n["text"] for n in names] == [
        "Gezin en wonen", "Welzijn", "Opleiding en training", "Omgaan met geld", "Werk en loopbaan", "Kinderen"
    ], names
    assert await page.locator("#bridge svg.chart text.bridge__number").count() == 0
    picture = await page.eval_on_selector(
        "#bridge svg.chart", "(s) => { const r = s.getBoundingClientRect(); return [r.left, r.right]; }"
    )
    for a, b in itertools.pairwise(names):
        assert a["box"]["right"] <= b["box"]["left"] + 0.5, (a, b)
    assert picture[0] - 0.5 <= names[0]["box"]["left"]
    assert names[-1]["box"]["right"] <= picture[1] + 0.5
    key = await page.eval_on_selector(
        "#bridge [data-key=coach] path",
        "(m) => { const r = m.getBoundingClientRect();"
        " return { w: r.width, h: r.height, fill: getComputedStyle(m).fill }; }",
    )
    for n in names:
        assert n["mark"] is not None, n
        assert n["mark"]["h"] >= 12, n
        assert n["mark"]["w"] >= 10, n
        assert n["mark"]["fill"] == key["fill"], (n, key)
    assert abs(key["h"] - names[0]["mark"]["h"]) <= 4, (key, names[0]["mark"])
    dates = [t for t in await page.locator("#charts text.chart__axis").all_text_contents() if not t.strip().isdigit()]
    assert dates, "the charts have dates under them"
    for text in dates:
        assert re.fullmatch(r"\d{1,2} [a-z]+ \d{4}", text), text


async def test_a_six_month_measurement_side_by_side(
    chromium: Any, world_and_server: tuple[World, LiveServer], database_url: str
) -> None:
    world, server = world_and_server
    await cast(server, database_url, world)
    errors: list[str] = []
    bodies: list[str] = []

    # She finds her growth under "More" and starts the six-month bridge.
    her = await phone_page(chromium, server, "mother.a", errors)
    her.on("request", lambda r: bodies.append(f"{r.url} {r.post_data or ''}"))
    await her.click("a[href='/menu']")
    await her.click("a[href='/my/growth']")
    await her.wait_for_selector(READY_GROWTH, timeout=30_000)
    assert "Mijn groei" in await her.inner_text("h1")
    assert "Nog geen metingen" in await her.inner_text("main")
    await _fits(her, "growth-empty")
    await her.select_option("#f-instrument", "bridge-to-self-sufficiency:1")
    await her.click("#new-measurement button[type=submit]")
    await her.wait_for_selector(READY_MEASUREMENT, timeout=30_000)
    assert "Brug naar zelfredzaamheid" in await her.inner_text("h1")
    assert await her.locator("#score-form fieldset[data-domain]").count() == 6
    await _fits(her, "self-score-form")

    # Her browser refuses before anything is sent: parts left open, a score off the scale, a part
    # the version lacks.
    await her.click("#score-form button[type=submit]")
    assert "Nog open: 6" in await her.inner_text("#measurement-status")
    await her.check("fieldset[data-domain='children'] input[value='4']")
    await her.eval_on_selector("fieldset[data-domain='children'] input[value='4']", "el => { el.value = '9'; }")
    for key, value in HERS.items():
        if key != "children":
            await her.check(f"fieldset[data-domain='{key}'] input[value='{value}']")
    await her.click("#score-form button[type=submit]")
    assert "Een score moet van 1 tot en met 5 zijn." in await her.inner_text("#measurement-status")
    assert "1 tot en met 5" in await her.inner_text("fieldset[data-domain='children'] [data-domain-error]")
    await her.eval_on_selector("fieldset[data-domain='children'] input[value='9']", "el => { el.value = '4'; }")
    await her.eval_on_selector("fieldset[data-domain='children']", "el => { el.dataset.domain = 'dreams'; }")
    await her.click("#score-form button[type=submit]")
    assert "geen onderdeel dreams" in await her.inner_text("#measurement-status")
    await _fits(her, "self-score-refused")
    assert not [b for b in bodies if "/sides" in b], "nothing was sent while the score was not right"
    await her.reload()
    await her.wait_for_selector(READY_MEASUREMENT, timeout=30_000)
    await _score(her, HERS, ("children", f"Mijn zoon gaat graag naar de opvang. {CANARY}"))
    assert "De score van je coach is er nog niet" in await her.inner_text("#waiting")
    assert await her.locator("#comparison").count() == 0
    await _fits(her, "self-score-in")
    measurement_url = her.url

    # Her coach: from his caseload row to her growth, then to the measurement; her score is in
    # but he does not see it.
    coach = await phone_page(chromium, server, "coach.a", errors)
    coach.on("request", lambda r: bodies.append(f"{r.url} {r.post_data or ''}"))
    await coach.click("a[href='/caseload']")
    await coach.click(f"li[data-participant-id='{world.participant_a}'] a[data-open=growth]")
    await coach.wait_for_selector(READY_GROWTH, timeout=30_000)
    assert "Groei van Mother A" in await coach.inner_text("h1")
    assert "Zelfscore: ingeleverd" in await coach.inner_text("#measurement-list")
    await _fits(coach, "coach-growth")
    await coach.click("a.measurement-link")
    await coach.wait_for_selector(READY_MEASUREMENT, timeout=30_000)
    assert await coach.locator("[data-side-state=self]").count() == 1
    assert CANARY not in await coach.inner_text("main"), "he does not see her score before his is in"
    await _fits(coach, "coach-score-form")
    await _score(coach, HIS, ("financial-management", "Het budgetplan loopt, de schulden nog niet."))

    # Both in: he sees both, side by side, the differences marked, the notes.
    assert await coach.locator("#comparison li.compare").count() == 6
    differs = await coach.eval_on_selector_all(
        "#comparison li.compare--differs", "els => els.map((e) => [e.dataset.domain, e.dataset.difference])"
    )
    assert differs == [
        ["family-stability", "1"],
        ["financial-management", "1"],
        ["employment-and-career", "-1"],
    ]
    assert CANARY in await coach.inner_text("#comparison [data-domain=children]")
    assert "Score van de coach 1 hoger" in await coach.inner_text("#comparison [data-domain=family-stability]")
    await _fits(coach, "coach-side-by-side")

    # She sees the same, with his note.
    await her.goto(measurement_url)
    await her.wait_for_selector(READY_MEASUREMENT, timeout=30_000)
    card = await her.inner_text("#comparison [data-domain=financial-management]")
    assert "Het budgetplan loopt" in card
    assert "1" in card
    assert "Zelfde score" in await her.inner_text("#comparison [data-domain=children]")
    await _fits(her, "her-side-by-side")

    # Her growth: the bridge (six pillars of five steps) and one chart per pillar.
    async with her.expect_navigation():
        await her.click("main a:has-text('Terug')")
    await her.wait_for_selector(READY_GROWTH, timeout=30_000)
    assert await her.locator("#bridge svg g.bridge__pillar").count() == 6
    assert await her.locator("#bridge svg rect.bridge__step").count() == 30
    filled = await her.locator("#bridge svg rect.bridge__step--filled").count()
    assert filled == sum(HERS.values())
    assert await her.locator("#bridge svg path.bridge__coach").count() == 6
    assert await her.locator("#charts figure.chart-card svg").count() == 6
    assert "Gezin en wonen" in await her.inner_text("#bridge .bridge-legend")
    await _bridge_reads_on_a_phone(her)
    await _fits(her, "growth-chart-and-bridge")
    await her.emulate_media(media="print")
    assert not await her.locator("nav.nav").is_visible()
    assert not await her.locator("#consent").is_visible()
    assert await her.locator("#bridge svg.chart").is_visible()
    if SHOTS:
        await her.screenshot(path=str(Path(SHOTS) / "measurement-growth-print.png"), full_page=True)
    await her.emulate_media(media="screen")

    # Without her consent nothing numeric left the portfolio; with it, the numbers go (no
    # notes); withdrawn, they are deleted and no more are sent.
    assert await _reported(her) == [[]]
    assert not [b for b in bodies if "/reported" in b]
    async with her.expect_navigation():
        await her.click("#consent button[type=submit]")
    await her.wait_for_selector(READY_GROWTH, timeout=30_000)
    assert "Stop met het melden van mijn scores" in await her.inner_text("#consent")
    assert await _reported(her) == [["coach", "self"]]
    stored = await _everything_stored(database_url)
    assert "Ik vind het goed dat mijn programma mijn scores gebruikt" in stored
    await _fits(her, "consent-given")
    assert not await her.locator("#consent-this-phone").is_visible()
    # On a phone where she did not agree herself the page's word is not enough: the phone asks.
    await her.evaluate(
        "Object.keys(localStorage).filter((k) => k.startsWith('eportfolio:score-consent:'))"
        ".forEach((k) => localStorage.removeItem(k))"
    )
    await her.reload()
    await her.wait_for_selector(READY_GROWTH, timeout=30_000)
    await her.wait_for_selector("#consent-this-phone", state="visible")
    await _fits(her, "consent-this-phone")
    async with her.expect_navigation():
        await her.click("#consent-here")
    await her.wait_for_selector(READY_GROWTH, timeout=30_000)
    assert not await her.locator("#consent-this-phone").is_visible()
    async with her.expect_navigation():
        await her.click("#consent button[type=submit]")
    await her.wait_for_selector(READY_GROWTH, timeout=30_000)
    assert "Ik ga akkoord" in await her.inner_text("#consent")
    assert await _reported(her) == [[]]
    # Both choices went signed by her key; this phone keeps her 'withdraw' as the newest it saw,
    # so an older 'agree' served again later sends nothing from here.
    seen = await her.evaluate(
        "Object.entries(localStorage).filter(([k]) => k.startsWith('eportfolio:score-consent-seen:'))"
        ".map(([, v]) => JSON.parse(v).kind)"
    )
    assert seen == ["withdraw"]
    assert await her.locator("#growth[data-statement]").get_attribute("data-statement")

    # Six months on she scores herself again: each pillar's chart now has a line over time.
    await her.select_option("#f-instrument", "bridge-to-self-sufficiency:1")
    async with her.expect_navigation():
        await her.click("#new-measurement button[type=submit]")
    await her.wait_for_selector(READY_MEASUREMENT, timeout=30_000)
    await _score(her, {key: min(value + 1, 5) for key, value in HERS.items()}, ("well-being", "Beter geslapen."))
    async with her.expect_navigation():
        await her.click("main a:has-text('Terug')")
    await her.wait_for_selector(READY_GROWTH, timeout=30_000)
    assert await her.locator("#charts polyline.chart__line--self").count() == 6
    assert await her.locator("#charts polyline.chart__line--coach").count() == 0, "his second score is not in"
    assert await her.locator("#bridge svg rect.bridge__step--filled").count() == sum(
        min(v + 1, 5) for v in HERS.values()
    )
    await _fits(her, "growth-over-time")

    assert errors == [], errors
    assert any("/sides" in body and "envelope" in body for body in bodies), "the scores went out, sealed"
    assert not [body for body in bodies if CANARY in body], "the marker left the phone as plaintext"
    stored = await _everything_stored(database_url)
    assert CANARY not in stored
    assert "budgetplan" not in stored
    assert CANARY not in server.log()
