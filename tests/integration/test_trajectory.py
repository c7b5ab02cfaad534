"""Her two-year trajectory: phases with planned and actual dates, outcomes, who may read and change
them (her, her coach, another coach, staff, another programme's staff), what is refused with
nothing stored, the staff overview, the pages, and the reminders that come once."""

from __future__ import annotations

import re
from datetime import date, timedelta

from fastapi import FastAPI
from sqlalchemy import func, select, update

from eportfolio import jobs
from eportfolio.kit.audit import AccessLogEntry
from eportfolio.kit.clock import utcnow
from eportfolio.kit.uow import unit_of_work
from eportfolio.measurements.tables import Measurement, MeasurementSide
from eportfolio.notifications.tables import Notification
from eportfolio.trajectory import service
from eportfolio.trajectory.tables import TrajectoryOutcome, TrajectoryPhase
from tests.support.client import Browser
from tests.support.trajectory import other_coach, sign_coach_a
from tests.support.world import World

PHASES = ["application", "intake", "coaching", "end_measurement", "follow_up_6", "follow_up_12", "closed"]


def _api(world: World, participant: object = None) -> str:
    return f"/api/v1/trajectory/programmes/{world.programme_a}/participants/{participant or world.participant_a}"


def _page(world: World, participant: object = None) -> str:
    return f"/caseload/programmes/{world.programme_a}/participants/{participant or world.participant_a}/trajectory"


async def _count(app: FastAPI, table: type) -> int:
    async with unit_of_work(app.state.sessionmaker) as uow:
        return int((await uow.session.execute(select(func.count()).select_from(table))).scalar_one())


async def _phases(app: FastAPI, world: World, participant: object = None) -> dict[str, TrajectoryPhase]:
    async with unit_of_work(app.state.sessionmaker) as uow:
        rows = (
            await uow.session.execute(
                select(TrajectoryPhase).where(TrajectoryPhase.participant_id == (participant or world.participant_a))
            )
        ).scalars()
        return {row.phase: row for row in rows}


def test_the_defaults_count_from_her_enrolment() -> None:
    plan = service.default_plan(date(2026, 1, 31), 24)
    assert [p.value for p in plan] == PHASES
    assert plan[service.Phase.application] == (date(2026, 1, 31), date(2026, 1, 31))
    assert plan[service.Phase.intake] == (date(2026, 2, 14), None)
    assert plan[service.Phase.coaching] == (date(2026, 4, 30), None), "three months of intake and analysis"
    assert plan[service.Phase.end_measurement] == (date(2028, 1, 31), None), "two years"
    assert plan[service.Phase.follow_up_6] == (date(2028, 7, 31), None)
    assert plan[service.Phase.follow_up_12] == (date(2029, 1, 31), None)
    assert service.add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)


async def test_her_coach_sets_a_date_and_records_an_outcome_and_she_reads_both(
    app: FastAPI, world: World, browser: Browser
) -> None:
    await sign_coach_a(app.state.sessionmaker, world)
    today = utcnow().date()
    await browser.log_in_as(world.coach_a)
    opened = await browser.api("GET", _api(world))
    assert opened.status_code == 200, opened.text
    body = opened.json()
    assert [p["phase"] for p in body["phases"]] == PHASES, "made from the defaults on first opening"
    assert body["current_phase"] == "application"
    assert body["can_edit"] is True
    changed = await browser.api("PATCH", _api(world) + "/phases/intake", {"started_on": today.isoformat()})
    assert changed.status_code == 200, changed.text
    assert changed.json()["current_phase"] == "intake"
    outcome = await browser.api(
        "POST", _api(world) + "/outcomes", {"kind": "volunteer_work", "occurred_on": today.isoformat()}
    )
    assert outcome.status_code == 201, outcome.text

    await browser.log_in_as(world.participant_a)
    mine = await browser.api("GET", "/api/v1/trajectory/mine")
    assert mine.status_code == 200
    [hers] = mine.json()
    assert hers["current_phase"] == "intake"
    assert hers["can_edit"] is False
    assert [o["kind"] for o in hers["outcomes"]] == ["volunteer_work"]
    assert (await browser.api("GET", _api(world))).status_code == 200, "her own, by its address"
    # She reads, she does not change; and only her own.
    refused = await browser.api("PATCH", _api(world) + "/phases/coaching", {"started_on": today.isoformat()})
    assert refused.status_code == 403
    assert (
        await browser.api("POST", _api(world) + "/outcomes", {"kind": "diploma", "occurred_on": today.isoformat()})
    ).status_code == 403
    assert (await browser.api("GET", _api(world, world.participant_a2))).status_code == 403
    assert (await _phases(app, world))["coaching"].started_on is None
    assert await _count(app, TrajectoryOutcome) == 1


async def test_another_coach_a_supervisor_and_another_programmes_staff_are_refused(
    app: FastAPI, world: World, browser: Browser
) -> None:
    other = await other_coach(app.state.sessionmaker, world)
    funder = await other_coach(app.state.sessionmaker, world, role="funder_viewer")
    today = utcnow().date().isoformat()
    # Coach A's assignment is not signed yet: it does not count, so he is refused as well.
    for person, status in (
        (other, 403),
        (world.coach_a, 403),
        (world.supervisor_a, 403),
        (funder, 403),
        (world.staff_b, 404),
    ):
        await browser.log_in_as(person)
        assert (await browser.api("GET", _api(world))).status_code == status, person
        assert (await browser.api("PATCH", _api(world) + "/phases/intake", {"started_on": today})).status_code == status
        outcome = await browser.api("POST", _api(world) + "/outcomes", {"kind": "paid_work", "occurred_on": today})
        assert outcome.status_code == status
        assert (await browser.get(_page(world))).status_code == status
    await browser.log_in_as(world.staff_b)
    assert (await browser.api("GET", f"/api/v1/trajectory/programmes/{world.programme_a}/overview")).status_code == 404
    await browser.log_in_as(other)
    assert (await browser.api("GET", f"/api/v1/trajectory/programmes/{world.programme_a}/overview")).status_code == 403
    assert await _count(app, TrajectoryPhase) == 0
    assert await _count(app, TrajectoryOutcome) == 0


async def test_refusals_store_nothing(app: FastAPI, world: World, browser: Browser) -> None:
    await sign_coach_a(app.state.sessionmaker, world)
    await browser.log_in_as(world.coach_a)
    before = {k: (v.planned_on, v.started_on) for k, v in (await _phases(app, world)).items()}
    assert before == {}
    await browser.api("GET", _api(world))
    before = {k: (v.planned_on, v.started_on) for k, v in (await _phases(app, world)).items()}
    intake_planned = before["intake"][0]
    today = utcnow().date()

    async def refused(method: str, url: str, json: dict[str, object], status: int = 422) -> str:
        answer = await browser.api(method, url, json)
        assert answer.status_code == status, (json, answer.text)
        return answer.text

    # A phase planned before the phase before it (and after the one after it).
    text = await refused(
        "PATCH", _api(world) + "/phases/coaching", {"planned_on": (intake_planned - timedelta(days=1)).isoformat()}
    )
    assert "before the date of the phase before it" in text or "voor de datum" in text
    await refused("PATCH", _api(world) + "/phases/intake", {"planned_on": "2040-01-01"})
    # Started before the phase before it started, or on a day still to come.
    await refused(
        "PATCH",
        _api(world) + "/phases/intake",
        {"started_on": (before["application"][1] - timedelta(days=1)).isoformat()},
    )
    await refused("PATCH", _api(world) + "/phases/intake", {"started_on": (today + timedelta(days=1)).isoformat()})
    await refused("PATCH", _api(world) + "/phases/intake", {})
    await refused("PATCH", _api(world) + "/phases/nonsense", {"started_on": today.isoformat()})
    assert {k: (v.planned_on, v.started_on) for k, v in (await _phases(app, world)).items()} == before
    # Outcomes: someone outside the programme, a date far ahead, leaving without a reason.
    await refused(
        "POST",
        _api(world, world.participant_b) + "/outcomes",
        {"kind": "paid_work", "occurred_on": today.isoformat()},
        404,
    )
    await refused("GET", _api(world, world.participant_b), {}, 404)
    await refused(
        "POST",
        _api(world) + "/outcomes",
        {"kind": "paid_work", "occurred_on": (today + timedelta(days=400)).isoformat()},
    )
    await refused("POST", _api(world) + "/outcomes", {"kind": "left_programme", "occurred_on": today.isoformat()})
    await refused(
        "POST", _api(world) + "/outcomes", {"kind": "left_programme", "occurred_on": today.isoformat(), "reason": "  "}
    )
    await refused(
        "POST", _api(world) + "/outcomes", {"kind": "diploma", "occurred_on": today.isoformat(), "reason": "x"}
    )
    await refused("POST", _api(world) + "/outcomes", {"kind": "lottery", "occurred_on": today.isoformat()})
    assert await _count(app, TrajectoryOutcome) == 0
    left = await browser.api(
        "POST",
        _api(world) + "/outcomes",
        {"kind": "left_programme", "occurred_on": today.isoformat(), "reason": "Verhuisd"},
    )
    assert left.status_code == 201, left.text
    assert left.json()["reason"] == "Verhuisd"


async def test_staff_see_counts_per_phase_and_who_is_overdue(app: FastAPI, world: World, browser: Browser) -> None:
    await browser.log_in_as(world.staff_a)
    url = f"/api/v1/trajectory/programmes/{world.programme_a}/overview"
    first = (await browser.api("GET", url)).json()
    counts = {c["phase"]: c["count"] for c in first["counts"]}
    assert first["participants"] == 2
    assert counts["application"] == 2, "both participants of A, made from the defaults"
    assert first["overdue"] == []
    # Mother A2's intake was planned a week ago and has not started: overdue.
    async with unit_of_work(app.state.sessionmaker) as uow:
        await uow.session.execute(
            update(TrajectoryPhase)
            .where(TrajectoryPhase.participant_id == world.participant_a2, TrajectoryPhase.phase == "intake")
            .values(planned_on=utcnow().date() - timedelta(days=7))
        )
    staff_sets = await browser.api("PATCH", _api(world) + "/phases/intake", {"started_on": utcnow().date().isoformat()})
    assert staff_sets.status_code == 200, "staff change dates as well"
    second = (await browser.api("GET", url)).json()
    counts = {c["phase"]: c["count"] for c in second["counts"]}
    assert counts["application"] == 1
    assert counts["intake"] == 1
    assert [(o["participant_name"], o["phases"]) for o in second["overdue"]] == [("Mother A2", ["intake"])]
    page = await browser.get(f"/manage/programmes/{world.programme_a}/trajectory")
    assert page.status_code == 200
    assert 'data-count="intake"><a href="#phase-intake" data-phase-link="intake">1<' in page.text
    assert "Mother A2" in page.text
    assert (
        f'href="/manage/programmes/{world.programme_a}/trajectory"'
        in (await browser.get(f"/manage/programmes/{world.programme_a}")).text
    ), "reached from the programme page"


async def test_the_pages_link_up_keep_what_was_typed_and_log_access(
    app: FastAPI, world: World, browser: Browser
) -> None:
    await sign_coach_a(app.state.sessionmaker, world)
    await browser.log_in_as(world.coach_a)
    caseload = (await browser.get("/caseload")).text
    assert f'href="{_page(world)}"' in caseload, "a link per caseload row"
    page = await browser.get(_page(world))
    assert page.status_code == 200
    assert "Traject van Mother A" in page.text
    phases = await _phases(app, world)
    too_early = (phases["intake"].planned_on - timedelta(days=3)).isoformat()
    refused = await browser.post_form(_page(world) + "/phases/coaching", {"planned_on": too_early, "started_on": ""})
    assert refused.status_code == 422
    assert f'value="{too_early}"' in refused.text, "what he typed is kept"
    assert "Deze datum ligt voor de datum van de fase ervoor" in refused.text
    assert (await _phases(app, world))["coaching"].planned_on == phases["coaching"].planned_on
    saved = await browser.post_form(
        _page(world) + "/phases/intake",
        {"planned_on": phases["intake"].planned_on.isoformat(), "started_on": utcnow().date().isoformat()},
    )
    assert saved.status_code == 303
    # Entered by mistake: the start date is emptied again.
    emptied = await browser.post_form(
        _page(world) + "/phases/intake",
        {
            "planned_on": phases["intake"].planned_on.isoformat(),
            "started_on": utcnow().date().isoformat(),
            "clear_started": "true",
        },
    )
    assert emptied.status_code == 303
    assert (await _phases(app, world))["intake"].started_on is None
    await browser.post_form(
        _page(world) + "/phases/intake",
        {"planned_on": phases["intake"].planned_on.isoformat(), "started_on": utcnow().date().isoformat()},
    )
    no_reason = await browser.post_form(
        _page(world) + "/outcomes", {"kind": "left_programme", "occurred_on": utcnow().date().isoformat(), "reason": ""}
    )
    assert no_reason.status_code == 422
    assert "Schrijf op waarom ze stopt met het programma." in no_reason.text
    assert (
        await browser.post_form(
            _page(world) + "/outcomes", {"kind": "education", "occurred_on": utcnow().date().isoformat()}
        )
    ).status_code == 303

    await browser.log_in_as(world.participant_a)
    home = (await browser.get("/")).text
    assert 'href="/my/trajectory"' in home
    assert 'href="/my/trajectory"' in (await browser.get("/menu")).text, "and under More"
    mine = (await browser.get("/my/trajectory")).text
    assert "Mijn traject" in mine
    assert "Je bent nu in: Intake en analyse" in mine
    assert "Begonnen met een opleiding" in mine
    assert "Niemand kan jou in die totalen herkennen." in mine
    assert re.search(r'data-phase="intake".*?data-now', mine, re.S)
    async with unit_of_work(app.state.sessionmaker) as uow:
        kinds = (
            await uow.session.execute(
                select(AccessLogEntry.actor_person_id, AccessLogEntry.action).where(
                    AccessLogEntry.record_kind == "trajectory", AccessLogEntry.subject_person_id == world.participant_a
                )
            )
        ).all()
    assert (world.participant_a, "read") in kinds
    assert (world.coach_a, "update") in kinds
    assert (world.coach_a, "create") in kinds


async def test_reminders_come_once_per_phase_to_her_and_her_coach(app: FastAPI, world: World, browser: Browser) -> None:
    await sign_coach_a(app.state.sessionmaker, world)
    await browser.log_in_as(world.coach_a)
    await browser.api("GET", _api(world))
    today = utcnow().date()
    async with unit_of_work(app.state.sessionmaker) as uow:
        # The end measurement is in 3 days; the 6-month follow-up in 30 (not yet).
        for phase, day in (("end_measurement", today + timedelta(days=3)), ("follow_up_6", today + timedelta(days=30))):
            await uow.session.execute(
                update(TrajectoryPhase)
                .where(TrajectoryPhase.participant_id == world.participant_a, TrajectoryPhase.phase == phase)
                .values(planned_on=day)
            )
    job = next(j for j in jobs.JOBS if j.name == "trajectory-reminders")
    assert await jobs.run_job(app, job) == 2
    assert await jobs.run_job(app, job) == 0, "once per phase per person"
    async with unit_of_work(app.state.sessionmaker) as uow:
        rows = (await uow.session.execute(select(Notification).order_by(Notification.kind))).scalars().all()
    assert [(r.person_id, r.kind) for r in rows] == [
        (world.participant_a, "trajectory_due"),
        (world.coach_a, "trajectory_due_coach"),
    ]
    assert rows[0].link == "/my/trajectory"
    assert rows[1].link == _page(world)
    await browser.log_in_as(world.participant_a)
    notices = (await browser.get("/notifications")).text
    assert "Er komt een datum aan in je traject." in notices
    # Mother A2's trajectory was never opened: the job made it from the defaults (nothing due yet).
    assert {p.phase for p in (await _phases(app, world, world.participant_a2)).values()} == set(PHASES)
    # Once started, a phase is not reminded of; a phase that was already reminded is not again.
    async with unit_of_work(app.state.sessionmaker) as uow:
        await uow.session.execute(
            update(TrajectoryPhase)
            .where(TrajectoryPhase.participant_id == world.participant_a, TrajectoryPhase.phase == "follow_up_6")
            .values(planned_on=today - timedelta(days=1), started_on=today - timedelta(days=1))
        )
    assert await service_run(app) == 0


async def service_run(app: FastAPI) -> int:
    async with unit_of_work(app.state.sessionmaker) as uow:
        return await service.send_reminders(uow)


async def test_a_measurement_is_due_when_coaching_starts_and_six_months_after_the_last(
    app: FastAPI, world: World, browser: Browser
) -> None:
    await sign_coach_a(app.state.sessionmaker, world)
    await browser.log_in_as(world.coach_a)
    await browser.api("GET", _api(world))
    today = utcnow().date()

    async def coaching(**values: object) -> None:
        async with unit_of_work(app.state.sessionmaker) as uow:
            await uow.session.execute(
                update(TrajectoryPhase)
                .where(TrajectoryPhase.participant_id == world.participant_a, TrajectoryPhase.phase == "coaching")
                .values(**values)
            )

    async def measurement_notices() -> list[tuple[object, str, str]]:
        async with unit_of_work(app.state.sessionmaker) as uow:
            rows = (await uow.session.execute(select(Notification).order_by(Notification.created_at))).scalars()
            return [(r.person_id, r.kind, r.link) for r in rows if r.kind.startswith("measurement_due")]

    assert await service_run(app) == 0, "coaching has not started: nothing due"
    await coaching(started_on=today - timedelta(days=10))
    assert await service_run(app) == 2, "her first measurement is due when coaching starts"
    assert await service_run(app) == 0, "once"
    growth = f"/growth/programmes/{world.programme_a}/participants/{world.participant_a}"
    assert sorted(await measurement_notices(), key=str) == sorted(
        [(world.participant_a, "measurement_due", "/my/growth"), (world.coach_a, "measurement_due_coach", growth)],
        key=str,
    )

    # She and her coach measure: the next one is six months on, so nothing now.
    async with unit_of_work(app.state.sessionmaker) as uow:
        measurement = Measurement(
            organisation_id=world.organisation_id,
            programme_id=world.programme_a,
            participant_id=world.participant_a,
            instrument_key="bridge-to-self-sufficiency",
            instrument_version=1,
            opened_by=world.participant_a,
        )
        uow.session.add(measurement)
        await uow.flush()
        side = MeasurementSide(
            organisation_id=world.organisation_id,
            programme_id=world.programme_a,
            measurement_id=measurement.id,
            participant_id=world.participant_a,
            side="self",
            author_id=world.participant_a,
            envelope="x",
            key_id="k",
            submitted_at=utcnow(),
        )
        uow.session.add(side)
    assert await service_run(app) == 0
    # Coaching started 200 days ago and she measured 178 days ago: the next one is due within
    # the week, and they are told once more.
    await coaching(started_on=today - timedelta(days=200))
    async with unit_of_work(app.state.sessionmaker) as uow:
        await uow.session.execute(update(MeasurementSide).values(submitted_at=utcnow() - timedelta(days=178)))
    assert await service_run(app) == 2
    assert await service_run(app) == 0
    assert len(await measurement_notices()) == 4
    await browser.log_in_as(world.participant_a)
    assert "Het is tijd om samen te kijken hoe ver je bent gekomen." in (await browser.get("/notifications")).text

    # Once the end measurement started, no more reminders of six-monthly measurements.
    async with unit_of_work(app.state.sessionmaker) as uow:
        await uow.session.execute(update(MeasurementSide).values(submitted_at=utcnow() - timedelta(days=400)))
        await uow.session.execute(
            update(TrajectoryPhase)
            .where(TrajectoryPhase.participant_id == world.participant_a, TrajectoryPhase.phase == "end_measurement")
            .values(planned_on=today - timedelta(days=1), started_on=today - timedelta(days=1))
        )
    assert await service_run(app) == 0


def test_the_next_measurement_date() -> None:
    start = date(2026, 1, 5)
    assert service.measurement_due_on(start, None) == start
    assert service.measurement_due_on(start, date(2025, 12, 1)) == start, "one from before coaching does not count"
    assert service.measurement_due_on(start, date(2026, 3, 1)) == date(2026, 8, 30)


async def test_the_overview_names_who_is_in_each_phase_and_says_plainly_who_is_late(
    app: FastAPI, world: World, browser: Browser
) -> None:
    await browser.log_in_as(world.staff_a)
    url = f"/manage/programmes/{world.programme_a}/trajectory"
    page = (await browser.get(url)).text
    assert re.search(r"<title>[^<]*Programme A[^<]*</title>", page), "the title names the programme"
    assert "Niemand is te laat." in page
    # Mother A2's intake was planned on 1 March and has not started; Mother A's intake started.
    planned = date(utcnow().year - 1, 3, 1)
    async with unit_of_work(app.state.sessionmaker) as uow:
        await uow.session.execute(
            update(TrajectoryPhase)
            .where(TrajectoryPhase.participant_id == world.participant_a2, TrajectoryPhase.phase == "intake")
            .values(planned_on=planned)
        )
    assert (await browser.api("PATCH", _api(world) + "/phases/intake",
                              {"started_on": utcnow().date().isoformat()})).status_code == 200
    page = (await browser.get(url)).text
    # The count of a phase links to who is in it, each linking to the staff view of her trajectory.
    assert 'data-count="intake"><a href="#phase-intake"' in page
    assert 'data-count="application"><a href="#phase-application"' in page
    intake = page[page.index('id="phase-intake"'):].split("</section>")[0]
    assert f'href="{_page(world)}"' in intake
    assert "Mother A<" in intake
    assert "Mother A2" not in intake
    application = page[page.index('id="phase-application"'):].split("</section>")[0]
    assert f'href="{_page(world, world.participant_a2)}"' in application
    assert "Mother A2" in application
    # Plain: which phase is late and when it was planned, in her language.
    late = page[page.index(f'data-overdue-person="{world.participant_a2}"'):].split("</li>\n  </ul>")[0]
    assert f"te laat: Intake en analyse, gepland 1 maart {planned.year}" in late, late
    assert "Niemand is te laat." not in page
