"""Group trainings: a series made in one go and changed one by one, enrolment with a waiting list,
attendance in the room, evaluations shown only anonymously from five answers on, reminders the day
before (once), and who may see what (another programme's staff and a funder viewer see no person)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import func, select

from eportfolio.kit.clock import utcnow
from eportfolio.kit.uow import unit_of_work
from eportfolio.notifications.tables import Notification
from eportfolio.workshops import service
from eportfolio.workshops.tables import Attendance, Enrolment, Evaluation, Training, TrainingSession
from tests.support.client import Browser
from tests.support.modules import published_module
from tests.support.workshops import (
    ZONE,
    add_people,
    an_hour_ago,
    enrol,
    local_today,
    make_training,
    move_session,
    series,
    trainings_url,
)
from tests.support.world import World


async def _count(app: FastAPI, table: type) -> int:
    async with unit_of_work(app.state.sessionmaker) as uow:
        return int((await uow.session.execute(select(func.count()).select_from(table))).scalar_one())


# A series made in one go, changed one by one ---------------------------------------------------------


async def test_a_series_keeps_its_local_time_across_summer_time_and_one_session_can_be_moved(
    app: FastAPI, browser: Browser, world: World
) -> None:
    first = date(local_today().year + 1, 3, 10)  # ten weeks across the start of summer time
    created = await make_training(browser, world, first_date=first.isoformat(), capacity=8)
    sessions = created["sessions"]
    assert len(sessions) == 10
    local = [datetime.fromisoformat(s["starts_at"]).astimezone(ZONE) for s in sessions]
    assert [(t.hour, t.minute) for t in local] == [(9, 30)] * 10, "09:30 in Amsterdam, summer or winter"
    assert {datetime.fromisoformat(s["starts_at"]).astimezone(UTC).hour for s in sessions} == {8, 7}
    assert [t.date() for t in local] == [first + timedelta(weeks=n) for n in range(10)]
    assert created["capacity"] == 8
    assert created["language_level"] == "mixed"

    third = sessions[2]["id"]
    moved_day = (first + timedelta(weeks=2, days=1)).isoformat()
    url = f"/api/v1/workshops/programmes/{world.programme_a}/sessions/{third}"
    response = await browser.api(
        "PATCH", url, json={"day": moved_day, "start_time": "13:00", "duration_minutes": 120, "place": "Bibliotheek"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["place"] == "Bibliotheek"
    assert datetime.fromisoformat(response.json()["starts_at"]).astimezone(ZONE).hour == 13
    response = await browser.api("POST", f"{url}/cancel")
    assert response.status_code == 200
    assert response.json()["cancelled"] is True
    detail = (await browser.api("GET", f"{trainings_url(world)}/{created['id']}")).json()
    assert [s["cancelled"] for s in detail["training"]["sessions"]].count(True) == 1
    assert detail["training"]["sessions"][1]["place"] == "Buurtcentrum De Brug"

    # Moving a session into the past is refused; it stays where it was.
    yesterday = (local_today() - timedelta(days=1)).isoformat()
    second = sessions[1]["id"]
    response = await browser.api(
        "PATCH",
        f"/api/v1/workshops/programmes/{world.programme_a}/sessions/{second}",
        json={"day": yesterday, "start_time": "09:30", "duration_minutes": 150},
    )
    assert response.status_code == 422
    assert "verleden" in response.json()["error"]["message"] or "past" in response.json()["error"]["message"]


async def test_bad_series_are_refused_whole_and_the_form_keeps_what_was_typed(
    app: FastAPI, browser: Browser, world: World
) -> None:
    await browser.log_in_as(world.staff_a)
    yesterday = (local_today() - timedelta(days=1)).isoformat()
    refusals = [
        ({"first_date": yesterday}, 422),
        ({"count": 53}, 422),
        ({"trainer_id": str(world.participant_a)}, 422),  # a mother cannot be the trainer
        ({"group_id": str(uuid.uuid4())}, 422),
        ({"module_id": str(uuid.uuid4())}, 422),
    ]
    for change, status in refusals:
        response = await browser.api("POST", trainings_url(world), json=series(world, **change))
        assert response.status_code == status, (change, response.text)
        assert response.json()["error"]["message"]
    assert await _count(app, Training) == 0, "nothing partial stored"
    assert await _count(app, TrainingSession) == 0

    form = {
        "title": "Opvoeden in twee talen",
        "group_id": str(world.group_a),
        "trainer_id": str(world.coach_a),
        "place": "Buurtcentrum De Brug",
        "first_date": yesterday,
        "start_time": "09:30",
        "duration_minutes": "150",
        "count": "10",
        "every_days": "7",
        "open_for_enrolment": "true",
    }
    page = await browser.post_form(f"/manage/programmes/{world.programme_a}/trainings/new", form)
    assert page.status_code == 422
    assert "Opvoeden in twee talen" in page.text
    assert "Buurtcentrum De Brug" in page.text
    assert "verleden" in page.text
    page = await browser.post_form(f"/manage/programmes/{world.programme_a}/trainings/new", {**form, "count": "60"})
    assert page.status_code == 422
    assert "52" in page.text
    assert await _count(app, Training) == 0

    form["first_date"] = (local_today() + timedelta(days=2)).isoformat()
    page = await browser.post_form(f"/manage/programmes/{world.programme_a}/trainings/new", form)
    assert page.status_code == 303
    assert await _count(app, TrainingSession) == 10


# Who may see what ----------------------------------------------------------------------------------------


async def test_other_programmes_staff_and_funder_viewers_see_no_person(
    app: FastAPI, browser: Browser, world: World
) -> None:
    created = await make_training(browser, world)
    training = created["id"]
    session = created["sessions"][0]["id"]
    await enrol(browser, world, training, world.participant_a)
    (funder,) = await add_people(app.state.sessionmaker, world, ["Gemeente Kijker"], role="funder_viewer")
    a = world.programme_a
    person_routes = [
        ("GET", f"/api/v1/workshops/programmes/{a}/trainings/{training}"),
        ("GET", f"/api/v1/workshops/programmes/{a}/sessions/{session}/attendance"),
        ("GET", f"/api/v1/workshops/programmes/{a}/trainings/{training}/evaluations"),
        ("GET", f"/api/v1/workshops/programmes/{a}/trainings"),
        ("GET", f"/api/v1/workshops/programmes/{a}/mine"),
        ("POST", f"/api/v1/workshops/programmes/{a}/trainings/{training}/enrolments"),
        ("GET", f"/manage/programmes/{a}/trainings/{training}"),
        ("GET", f"/trainings/programmes/{a}/sessions/{session}/attendance"),
        ("GET", f"/trainings/programmes/{a}/{training}/evaluations"),
    ]
    for person, expected in ((world.staff_b, 404), (funder, 403)):
        await browser.log_in_as(person)
        for method, url in person_routes:
            response = await browser.api(method, url, json={} if method == "POST" else None)
            assert response.status_code == expected, (person, url, response.status_code)
            assert "Mother A" not in response.text
        hub = await browser.get("/trainings")
        assert hub.status_code == 200
        assert "Mother A" not in hub.text
        assert (await browser.api("GET", "/api/v1/workshops/trainer/sessions")).json() == []
    # Staff B cannot reach A's training through her own programme either.
    await browser.log_in_as(world.staff_b)
    response = await browser.api("GET", f"/api/v1/workshops/programmes/{world.programme_b}/trainings/{training}")
    assert response.status_code == 404

    # A mother sees her own trainings, not who else is enrolled; a coach who is not the trainer
    # sees nothing of it.
    await browser.log_in_as(world.participant_a2)
    assert (await browser.api("GET", f"/api/v1/workshops/programmes/{a}/trainings/{training}")).status_code == 403
    mine = (await browser.api("GET", f"/api/v1/workshops/programmes/{a}/mine")).json()
    assert [m["training"]["id"] for m in mine] == [training]
    assert mine[0]["status"] is None
    assert 'Mother A"' not in str(mine)
    (other_coach,) = await add_people(app.state.sessionmaker, world, ["Coach Twee"], role="coach")
    await browser.log_in_as(other_coach)
    assert (await browser.api("GET", f"/api/v1/workshops/programmes/{a}/trainings/{training}")).status_code == 403
    sheet = await browser.api("GET", f"/api/v1/workshops/programmes/{a}/sessions/{session}/attendance")
    assert sheet.status_code == 403
    # The trainer does.
    await browser.log_in_as(world.coach_a)
    detail = await browser.api("GET", f"/api/v1/workshops/programmes/{a}/trainings/{training}")
    assert detail.status_code == 200
    assert detail.json()["enrolled"][0]["display_name"] == "Mother A"


# Enrolment and the waiting list --------------------------------------------------------------------------


async def test_a_freed_place_goes_to_the_first_on_the_waiting_list_who_is_told(
    app: FastAPI, browser: Browser, world: World
) -> None:
    third, fourth = await add_people(app.state.sessionmaker, world, ["Mother C", "Mother D"])
    created = await make_training(browser, world)  # group A has two places
    training = created["id"]
    url = f"{trainings_url(world)}/{training}/enrolments"
    assert created["capacity"] == 2

    await browser.log_in_as(world.participant_a)  # she enrols herself from her phone
    response = await browser.api("POST", url, json={})
    assert response.status_code == 201
    assert response.json()["status"] == "enrolled"
    assert (await browser.api("POST", url, json={})).status_code == 409, "not twice"
    other = await browser.api("POST", url, json={"person_id": str(world.participant_a2)})
    assert other.status_code == 403, "a mother enrols only herself"
    assert (await enrol(browser, world, training, world.participant_a2))["status"] == "enrolled"
    waiting = await enrol(browser, world, training, third)
    assert waiting == {**waiting, "status": "waiting", "position": 1}
    assert (await enrol(browser, world, training, fourth))["position"] == 2

    # No overbooking: staff asking for a place (not the list) in a full training, fewer places
    # than are taken, or someone outside the programme.
    await browser.log_in_as(world.staff_a)
    before = await _count(app, Enrolment)
    (fifth,) = await add_people(app.state.sessionmaker, world, ["Mother E"])
    full = await browser.api("POST", url, json={"person_id": str(fifth), "waiting_list": False})
    assert full.status_code == 409
    assert "vol" in full.json()["error"]["message"]
    fewer = await browser.api("PATCH", f"{trainings_url(world)}/{training}", json={"capacity": 1})
    assert fewer.status_code == 409
    outside = await browser.api("POST", url, json={"person_id": str(world.participant_b)})
    assert outside.status_code == 422
    assert await _count(app, Enrolment) == before

    # Mother A withdraws on her phone: Mother C gets the place and is told; Mother D moves up.
    await browser.log_in_as(world.participant_a)
    response = await browser.api("DELETE", f"{url}/{world.participant_a}")
    assert response.status_code == 200
    assert response.json()["promoted"] == [str(third)]
    async with unit_of_work(app.state.sessionmaker) as uow:
        notices = (
            (await uow.session.execute(select(Notification).where(Notification.kind == service.PLACE_FREED)))
            .scalars()
            .all()
        )
    assert [(n.person_id, n.link) for n in notices] == [(third, "/trainings")]
    assert notices[0].params == {}, "a neutral notice: no title, no names"
    await browser.log_in_as(third)
    page = await browser.get("/notifications")
    assert "Er is een plek vrijgekomen" in page.text
    await browser.log_in_as(world.staff_a)
    detail = (await browser.api("GET", f"{trainings_url(world)}/{training}")).json()
    assert {e["display_name"] for e in detail["enrolled"]} == {"Mother A2", "Mother C"}
    assert [(e["display_name"], e["position"]) for e in detail["waiting"]] == [("Mother D", 1)]

    # More places: the waiting list fills them in order.
    grown = await browser.api("PATCH", f"{trainings_url(world)}/{training}", json={"capacity": 3})
    assert grown.status_code == 200
    assert grown.json()["enrolled"] == 3
    assert grown.json()["waiting"] == 0


async def test_her_page_lists_open_trainings_and_enrols_her_by_a_button(
    app: FastAPI, browser: Browser, world: World
) -> None:
    created = await make_training(browser, world)
    await browser.log_in_as(world.participant_a)
    home = await browser.get("/")
    assert 'href="/trainings"' in home.text
    hub = await browser.get("/trainings")
    assert "Het begint bij mij" in hub.text
    assert f'data-enrol="{created["id"]}"' in hub.text
    response = await browser.post_form(f"/trainings/programmes/{world.programme_a}/{created['id']}/enrol")
    assert response.status_code == 303
    hub = await browser.get(response.headers["location"])
    assert "Je bent ingeschreven" in hub.text
    assert 'data-status="enrolled"' in hub.text


# Attendance -----------------------------------------------------------------------------------------------


async def test_attendance_only_for_the_enrolled_and_not_days_ahead(
    app: FastAPI, browser: Browser, world: World
) -> None:
    created = await make_training(browser, world)
    training, sessions = created["id"], created["sessions"]
    await enrol(browser, world, training, world.participant_a)
    await enrol(browser, world, training, world.participant_a2)
    later = f"/api/v1/workshops/programmes/{world.programme_a}/sessions/{sessions[3]['id']}/attendance"
    now = f"/api/v1/workshops/programmes/{world.programme_a}/sessions/{sessions[0]['id']}/attendance"
    await move_session(app.state.sessionmaker, sessions[0]["id"], an_hour_ago())
    await browser.log_in_as(world.coach_a)
    present = {"person_id": str(world.participant_a), "status": "present"}

    ahead = await browser.api("PUT", later, json={"entries": [present]})
    assert ahead.status_code == 409, "three weeks ahead: not yet"
    stranger = {"person_id": str(world.participant_b), "status": "present"}
    refused = await browser.api("PUT", now, json={"entries": [present, stranger]})
    assert refused.status_code == 422
    assert "ingeschreven" in refused.json()["error"]["message"]
    no_reason = await browser.api(
        "PUT", now, json={"entries": [{"person_id": str(world.participant_a2), "status": "excused"}]}
    )
    assert no_reason.status_code == 422
    assert await _count(app, Attendance) == 0, "all rows or none"

    entries = [present, {"person_id": str(world.participant_a2), "status": "excused", "reason": "sick_child"}]
    response = await browser.api("PUT", now, json={"entries": entries})
    assert response.status_code == 200
    assert response.json() == {"recorded": 2}
    sheet = (await browser.api("GET", now)).json()
    assert {(r["display_name"], r["status"], r["reason"]) for r in sheet["rows"]} == {
        ("Mother A", "present", None),
        ("Mother A2", "excused", "sick_child"),
    }

    # On the page: a name not enrolled is refused and what was chosen for the others is kept.
    page_url = f"/trainings/programmes/{world.programme_a}/sessions/{sessions[0]['id']}/attendance"
    form = {
        f"status-{world.participant_a}": "late",
        f"status-{world.participant_a2}": "excused",
        f"reason-{world.participant_a2}": "course",
        f"status-{world.participant_b}": "present",
    }
    page = await browser.post_form(page_url, form)
    assert page.status_code == 422
    assert "ingeschreven" in page.text
    assert 'value="late" checked' in page.text
    assert 'value="course" selected' in page.text
    del form[f"status-{world.participant_b}"]
    assert (await browser.post_form(page_url, form)).status_code == 303
    sheet = (await browser.api("GET", now)).json()
    assert {(r["status"], r["reason"]) for r in sheet["rows"]} == {("late", None), ("excused", "course")}


async def test_a_missed_session_gets_a_make_up_assignment_of_the_module(
    app: FastAPI, browser: Browser, world: World
) -> None:
    module = await published_module(browser, world)
    created = await make_training(browser, world, module_id=module["module_id"])
    session = created["sessions"][0]["id"]
    await enrol(browser, world, created["id"], world.participant_a)
    await enrol(browser, world, created["id"], world.participant_a2)
    await move_session(app.state.sessionmaker, session, an_hour_ago())
    base = f"/api/v1/workshops/programmes/{world.programme_a}/sessions/{session}/attendance"
    await browser.log_in_as(world.coach_a)
    entries = [
        {"person_id": str(world.participant_a), "status": "absent"},
        {"person_id": str(world.participant_a2), "status": "present"},
    ]
    assert (await browser.api("PUT", base, json={"entries": entries})).status_code == 200
    assert (await browser.api("POST", f"{base}/{world.participant_a2}/makeup")).status_code == 409, "she came"
    # The assignments feature decides who may give her an assignment: a trainer who is not (yet)
    # her signed coach is refused, with a way to the assignments page, her and the module filled in.
    refused = await browser.api("POST", f"{base}/{world.participant_a}/makeup")
    assert refused.status_code == 403
    assert refused.json()["error"]["message"]
    page_url = f"/trainings/programmes/{world.programme_a}/sessions/{session}/attendance"
    page = await browser.post_form(f"{page_url}/{world.participant_a}/makeup")
    assert page.status_code == 422
    assert 'id="makeup-elsewhere"' in page.text
    assign = await browser.get(
        f"/programmes/{world.programme_a}/assign?participant_id={world.participant_a}&choice={module['module_id']}"
    )
    assert f'value="{module["module_id"]}" selected' in assign.text
    await browser.log_in_as(world.staff_a)
    response = await browser.api("POST", f"{base}/{world.participant_a}/makeup")
    assert response.status_code == 201, response.text
    assert (await browser.api("POST", f"{base}/{world.participant_a}/makeup")).status_code == 409, "once"
    await browser.log_in_as(world.participant_a)
    mine = await browser.get("/my/assignments")
    assert "Mijn werkwensen" in mine.text


# Evaluations ------------------------------------------------------------------------------------------------


async def test_evaluations_are_shown_only_from_five_answers_and_without_names(
    app: FastAPI, browser: Browser, world: World
) -> None:
    mothers = await add_people(app.state.sessionmaker, world, [f"Moeder {n}" for n in range(1, 6)])
    created = await make_training(browser, world, capacity=8, count=2)
    training, first = created["id"], created["sessions"][0]["id"]
    for mother in mothers:
        await enrol(browser, world, training, mother)
    url = f"{trainings_url(world)}/{training}/evaluations"

    await browser.log_in_as(mothers[0])
    early = await browser.api("POST", url, json={"round": first, "grade": 8})
    assert early.status_code == 409, "not before the session"
    await move_session(app.state.sessionmaker, first, an_hour_ago())
    for grade in (0, 11):
        assert (await browser.api("POST", url, json={"round": first, "grade": grade})).status_code == 422
    assert (await browser.api("POST", url, json={"round": "end", "grade": 8})).status_code == 409, "not yet at the end"
    assert await _count(app, Evaluation) == 0

    for n, mother in enumerate(mothers[:4]):
        await browser.log_in_as(mother)
        response = await browser.api("POST", url, json={"round": first, "grade": 6 + n, "comment": f"Opmerking {n}"})
        assert response.status_code == 201, response.text
    assert (await browser.api("POST", url, json={"round": first, "grade": 7})).status_code == 409, "once per session"
    await browser.log_in_as(world.participant_a)  # not enrolled
    assert (await browser.api("POST", url, json={"round": first, "grade": 7})).status_code == 403

    for viewer in (world.coach_a, world.staff_a):
        await browser.log_in_as(viewer)
        rounds = (await browser.api("GET", url)).json()["rounds"]
        assert rounds[0] == {
            "round": first,
            "label_number": 1,
            "answers": 4,
            "shown": False,
            "average": None,
            "comments": [],
        }
        page = await browser.get(f"/trainings/programmes/{world.programme_a}/{training}/evaluations")
        assert "Te weinig antwoorden" in page.text
        assert "Opmerking" not in page.text

    await browser.log_in_as(mothers[4])
    page = await browser.post_form(
        f"/trainings/programmes/{world.programme_a}/{training}/evaluate/{first}", {"grade": "12", "comment": "Fijn"}
    )
    assert page.status_code == 422
    assert "Fijn" in page.text, "the form keeps her comment"
    page = await browser.post_form(
        f"/trainings/programmes/{world.programme_a}/{training}/evaluate/{first}", {"grade": "10", "comment": "Fijn"}
    )
    assert page.status_code == 303

    await browser.log_in_as(world.coach_a)
    rounds = (await browser.api("GET", url)).json()["rounds"]
    assert rounds[0]["shown"] is True
    assert rounds[0]["average"] == 8.0
    assert rounds[0]["comments"] == sorted(["Fijn", *(f"Opmerking {n}" for n in range(4))])
    page = await browser.get(f"/trainings/programmes/{world.programme_a}/{training}/evaluations")
    assert "8.0" in page.text or "8,0" in page.text
    assert not any(f"Moeder {n}" in page.text for n in range(1, 6)), "no names with the answers"
    assert "Moeder" not in str(rounds)


# Reminders the day before ---------------------------------------------------------------------------------


async def test_reminders_go_once_the_day_before_in_her_language_with_place_and_time(
    app: FastAPI, browser: Browser, world: World
) -> None:
    (english,) = await add_people(app.state.sessionmaker, world, ["Mother En"], language="en")
    created = await make_training(browser, world, count=3, capacity=8)
    training, sessions = created["id"], created["sessions"]
    for person in (world.participant_a, english):
        await enrol(browser, world, training, person)
    # The first session is tomorrow at 09:30; the second in eight days; the third is cancelled
    # and moved to tomorrow as well.
    tomorrow_local = datetime.fromisoformat(sessions[0]["starts_at"])
    await move_session(app.state.sessionmaker, sessions[2]["id"], tomorrow_local + timedelta(hours=3))
    cancel = f"/api/v1/workshops/programmes/{world.programme_a}/sessions/{sessions[2]['id']}/cancel"
    assert (await browser.api("POST", cancel)).status_code == 200

    async with unit_of_work(app.state.sessionmaker) as uow:
        assert await service.send_reminders(uow) == 2
    async with unit_of_work(app.state.sessionmaker) as uow:
        assert await service.send_reminders(uow) == 0, "once, however often the job runs"
    async with unit_of_work(app.state.sessionmaker) as uow:
        assert await service.send_reminders(uow, utcnow() + timedelta(hours=2)) == 0
        rows = (
            (await uow.session.execute(select(Notification).where(Notification.kind == service.REMINDER)))
            .scalars()
            .all()
        )
    by_person = {r.person_id: r.params for r in rows}
    assert set(by_person) == {world.participant_a, english}
    assert all(p["place"] == "Buurtcentrum De Brug" for p in by_person.values())
    assert "09:30" in by_person[english]["when"]
    assert "09:30" in by_person[world.participant_a]["when"]
    months_en = (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    )
    months_nl = (
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    )
    assert any(m in by_person[english]["when"] for m in months_en)
    assert any(m in by_person[world.participant_a]["when"] for m in months_nl)
    await browser.log_in_as(world.participant_a)
    page = await browser.get("/notifications")
    assert "Buurtcentrum De Brug" in page.text

    # The job runs it through the registry, as the timer and the development server do.
    from eportfolio import jobs

    job = next(j for j in jobs.JOBS if j.name == "workshop-reminders")
    assert await jobs.run_job(app, job) == 0


async def test_the_end_evaluation_opens_after_the_last_session_and_the_trainer_lists_his_sessions(
    app: FastAPI, browser: Browser, world: World
) -> None:
    created = await make_training(browser, world, count=2)
    training, sessions = created["id"], created["sessions"]
    await enrol(browser, world, training, world.participant_a)
    mine_url = f"/api/v1/workshops/programmes/{world.programme_a}/mine"
    await browser.log_in_as(world.participant_a)
    assert (await browser.api("GET", mine_url)).json()[0]["to_evaluate"] == []
    await move_session(app.state.sessionmaker, sessions[0]["id"], an_hour_ago() - timedelta(days=8))
    await move_session(app.state.sessionmaker, sessions[1]["id"], an_hour_ago())
    mine = (await browser.api("GET", mine_url)).json()[0]
    assert mine["status"] == "enrolled"
    assert mine["to_evaluate"] == [sessions[0]["id"], sessions[1]["id"], "end"]
    url = f"{trainings_url(world)}/{training}/evaluations"
    assert (await browser.api("POST", url, json={"round": "end", "grade": 9, "comment": "Top"})).status_code == 201
    assert (await browser.api("GET", mine_url)).json()[0]["to_evaluate"] == [sessions[0]["id"], sessions[1]["id"]]
    hub = await browser.get("/trainings")
    assert f'data-evaluate="{sessions[0]["id"]}"' in hub.text
    assert 'data-evaluate="end"' not in hub.text

    await browser.log_in_as(world.coach_a)
    listed = (await browser.api("GET", "/api/v1/workshops/trainer/sessions")).json()
    assert [s["session"]["id"] for s in listed] == [sessions[1]["id"]], "from a week ago on"
    hub = await browser.get("/trainings")
    assert f'data-attendance="{sessions[1]["id"]}"' in hub.text
    await browser.log_in_as(world.supervisor_a)  # not a trainer: nothing of it
    assert (await browser.api("GET", "/api/v1/workshops/trainer/sessions")).json() == []
    assert (await browser.api("GET", url)).status_code == 403
