"""Appointments: a coach's weekly series and her own, who may see and change them, refusals that
store nothing and keep what she typed, the iCalendar files parsed back, and reminders made once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
from fastapi import FastAPI
from sqlalchemy import func, select

from eportfolio.appointments import service
from eportfolio.appointments.tables import Appointment
from eportfolio.kit.uow import unit_of_work
from eportfolio.kit.web import LANGUAGE_COOKIE
from eportfolio.notifications.tables import Notification
from tests.support.appointments import appointment_world, local, local_day
from tests.support.client import Browser
from tests.support.world import World


def series_url(world: World, participant: object = None) -> str:
    return (
        f"/api/v1/appointments/programmes/{world.programme_a}/participants/{participant or world.participant_a}/series"
    )


def series(weeks: int = 3, days: int = 2, **extra: object) -> dict[str, object]:
    return {
        "first_date": local_day(days).isoformat(),
        "start": "10:00",
        "end": "11:00",
        "weeks": weeks,
        "place": "Buurthuis De Ster",
        **extra,
    }


async def count(app: FastAPI) -> int:
    async with unit_of_work(app.state.sessionmaker) as uow:
        return int((await uow.session.execute(select(func.count()).select_from(Appointment))).scalar_one())


async def test_a_weekly_series_is_stored_in_utc_and_she_and_her_coach_see_it(
    app: FastAPI, world: World, browser: Browser
) -> None:
    await appointment_world(app.state.sessionmaker, world)
    await browser.log_in_as(world.coach_a)
    made = await browser.api("POST", series_url(world), json=series(weeks=3))
    assert made.status_code == 201, made.text
    rows = made.json()
    assert len(rows) == 3
    first = local(local_day(2), "10:00")
    for week, row in enumerate(rows):
        starts = datetime.fromisoformat(row["starts_at"])
        assert starts.astimezone(first.tzinfo).replace(tzinfo=None) == (first + timedelta(weeks=week)).replace(
            tzinfo=None
        )
        assert row["kind"] == "coach"
        assert row["series_id"] == rows[0]["series_id"]
    await browser.log_in_as(world.participant_a)
    page = await browser.get("/appointments")
    assert page.status_code == 200
    assert page.text.count('data-kind="coach"') == 3
    assert "Afspraak met je coach" in page.text
    # Her coach, from his caseload row, sees them too.
    await browser.log_in_as(world.coach_a)
    caseload = (await browser.get("/caseload")).text
    url = f"/appointments/programmes/{world.programme_a}/participants/{world.participant_a}"
    assert url in caseload
    assert (await browser.get(url)).text.count('data-kind="coach"') == 3
    mine = (await browser.get("/appointments")).text
    assert mine.count('data-kind="coach"') == 3, "his own upcoming meetings across participants"


async def test_who_may_see_and_change(app: FastAPI, world: World, browser: Browser) -> None:
    aw = await appointment_world(app.state.sessionmaker, world)
    await browser.log_in_as(world.coach_a)
    coach_meeting = (await browser.api("POST", series_url(world), json=series(weeks=1))).json()[0]["id"]
    await browser.log_in_as(world.participant_a)
    own = await browser.api(
        "POST",
        f"/api/v1/appointments/programmes/{world.programme_a}/own",
        json={"title": "Huisarts", "date": local_day(3).isoformat(), "start": "09:00", "end": "09:20"},
    )
    assert own.status_code == 201, own.text
    own_id = own.json()["id"]
    listing = f"/api/v1/appointments/programmes/{world.programme_a}/participants/{world.participant_a}"
    # She and her coach see both.
    for person in (world.participant_a, world.coach_a):
        await browser.log_in_as(person)
        assert len((await browser.api("GET", listing)).json()) == 2
        assert (await browser.api("GET", f"/api/v1/appointments/{own_id}")).status_code == 200
        assert (await browser.get(f"/appointments/{own_id}.ics")).status_code == 200
    # Another coach, staff, another programme's staff: nothing.
    for person, status in (
        (aw.other_coach, 403),
        (world.staff_a, 403),
        (world.staff_b, 404),
        (world.participant_a2, 403),
    ):
        await browser.log_in_as(person)
        assert (await browser.api("GET", listing)).status_code == status, person
        for appointment in (coach_meeting, own_id):
            assert (await browser.api("GET", f"/api/v1/appointments/{appointment}")).status_code == 404
            assert (await browser.get(f"/appointments/{appointment}.ics")).status_code == 404
            assert (await browser.api("POST", f"/api/v1/appointments/{appointment}/cancel")).status_code == 404
        assert (
            await browser.get(
                f"/api/v1/appointments/programmes/{world.programme_a}/participants/{world.participant_a}/calendar.ics"
            )
        ).status_code == status
    # Only the coach changes a coach meeting; only she her own.
    await browser.log_in_as(world.participant_a)
    assert (await browser.api("POST", f"/api/v1/appointments/{coach_meeting}/cancel")).status_code == 403
    moved = {"date": local_day(4).isoformat(), "start": "13:00", "end": "13:30", "place": "Gemeente"}
    assert (await browser.api("PATCH", f"/api/v1/appointments/{own_id}", json=moved)).status_code == 200
    await browser.log_in_as(world.coach_a)
    assert (await browser.api("PATCH", f"/api/v1/appointments/{own_id}", json=moved)).status_code == 403
    cancelled = await browser.api("POST", f"/api/v1/appointments/{coach_meeting}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["cancelled"] is True
    # A coach without a counting assignment for her cannot plan; nor for someone outside the programme.
    await browser.log_in_as(aw.other_coach)
    refused = await browser.api("POST", series_url(world), json=series())
    assert refused.status_code == 403
    assert "coacht" in refused.json()["error"]["message"]
    await browser.log_in_as(world.coach_a)
    outside = await browser.api("POST", series_url(world, world.participant_b), json=series())
    assert outside.status_code == 404
    assert await count(app) == 2


async def test_bad_input_is_refused_and_nothing_is_stored(app: FastAPI, world: World, browser: Browser) -> None:
    await appointment_world(app.state.sessionmaker, world)
    await browser.log_in_as(world.coach_a)
    cases = [
        (series(end="09:00"), "end"),
        (series(days=-1), "first_date"),
        (series(weeks=105), "weeks"),
        (series(start="25:00"), "start"),
        (series(start="tien uur"), "start"),
        (series(place="", remote=False), "place"),
    ]
    for body, field in cases:
        response = await browser.api("POST", series_url(world), json=body)
        assert response.status_code == 422, (body, response.text)
        assert field in response.text, (field, response.text)
    assert await count(app) == 0, "a refused series stores no week at all"
    # The form: a 422 with the message beside the field and what she typed kept.
    form = f"/appointments/programmes/{world.programme_a}/participants/{world.participant_a}/series"
    page = await browser.post_form(
        form,
        {
            "first_date": local_day(3).isoformat(),
            "start": "14:00",
            "end": "13:00",
            "weeks": "10",
            "place": "Bibliotheek Noord",
        },
    )
    assert page.status_code == 422
    assert "De eindtijd moet na de begintijd liggen." in page.text
    assert 'value="Bibliotheek Noord"' in page.text
    assert 'value="14:00"' in page.text
    page = await browser.post_form(
        form,
        {
            "first_date": local_day(3).isoformat(),
            "start": "14:00",
            "end": "15:00",
            "weeks": "200",
            "place": "Bibliotheek Noord",
        },
    )
    assert page.status_code == 422
    assert 'value="200"' in page.text
    assert await count(app) == 0
    # Her own form.
    await browser.log_in_as(world.participant_a)
    own = f"/appointments/programmes/{world.programme_a}/new"
    page = await browser.get(own)
    assert "Je coach kan deze afspraak ook zien. Schrijf hier geen geheimen." in page.text
    page = await browser.post_form(
        own, {"title": "Tandarts", "date": local_day(-2).isoformat(), "start": "10:00", "end": "10:30"}
    )
    assert page.status_code == 422
    assert 'value="Tandarts"' in page.text
    page = await browser.post_form(
        own, {"title": "Tandarts", "date": local_day(2).isoformat(), "start": "10:60", "end": "10:30"}
    )
    assert page.status_code == 422
    assert "14:30" in page.text
    assert await count(app) == 0
    done = await browser.post_form(
        own, {"title": "Tandarts", "date": local_day(2).isoformat(), "start": "10:00", "end": "10:30"}
    )
    assert done.status_code == 303
    assert await count(app) == 1


async def test_icalendar_files_parse_back_with_the_right_times(app: FastAPI, world: World, browser: Browser) -> None:
    await appointment_world(app.state.sessionmaker, world)
    await browser.log_in_as(world.coach_a)
    rows = (await browser.api("POST", series_url(world), json=series(weeks=2, remote=True, place=""))).json()
    await browser.log_in_as(world.participant_a)
    one = await browser.get(f"/appointments/{rows[0]['id']}.ics")
    assert one.status_code == 200
    assert one.headers["content-type"].startswith("text/calendar")
    assert "attachment" in one.headers["content-disposition"]
    calendar = icalendar.Calendar.from_ical(one.content)
    (event,) = calendar.walk("VEVENT")
    assert str(event["uid"]) == f"{rows[0]['id']}@{service.UID_DOMAIN}"
    assert "DTSTAMP" in event
    assert str(event["summary"]) == "Afspraak"
    assert str(event["location"]) == "Video of telefoon"
    starts = event.decoded("dtstart")
    assert starts.utcoffset() == timedelta(0)
    assert starts == local(local_day(2), "10:00").astimezone(UTC)
    assert event.decoded("dtend") - starts == timedelta(hours=1)
    # Her phone's calendar reminds her too: the day before and an hour before, in neutral words.
    alarms = event.walk("VALARM")
    assert sorted(a.decoded("trigger") for a in alarms) == [-timedelta(days=1), -timedelta(hours=1)]
    assert {str(a["description"]) for a in alarms} == {"Afspraak"}
    again = icalendar.Calendar.from_ical((await browser.get(f"/appointments/{rows[0]['id']}.ics")).content)
    assert str(again.walk("VEVENT")[0]["uid"]) == str(event["uid"]), "a stable UID"
    everything = await browser.get(
        f"/appointments/programmes/{world.programme_a}/participants/{world.participant_a}/calendar.ics"
    )
    events = icalendar.Calendar.from_ical(everything.content).walk("VEVENT")
    assert sorted(str(e["uid"]) for e in events) == sorted(f"{r['id']}@{service.UID_DOMAIN}" for r in rows)
    browser.http.cookies.set(LANGUAGE_COOKIE, "en")
    english = icalendar.Calendar.from_ical((await browser.get(f"/appointments/{rows[0]['id']}.ics")).content)
    assert str(english.walk("VEVENT")[0]["summary"]) == "Appointment", "in her language"


async def test_reminders_are_made_once_each_for_her_and_her_coach(app: FastAPI, world: World, browser: Browser) -> None:
    await appointment_world(app.state.sessionmaker, world)
    await browser.log_in_as(world.coach_a)
    rows = (await browser.api("POST", series_url(world), json=series(weeks=1))).json()
    starts = datetime.fromisoformat(rows[0]["starts_at"])
    day_before = starts - timedelta(hours=23)
    hour_before = starts - timedelta(minutes=50)
    for moment, expected in (
        (day_before, 2),
        (day_before + timedelta(minutes=5), 0),
        (hour_before, 2),
        (hour_before, 0),
    ):
        async with unit_of_work(app.state.sessionmaker) as uow:
            assert await service.send_reminders(uow, moment) == expected, moment
    async with unit_of_work(app.state.sessionmaker) as uow:
        notes = (await uow.session.execute(select(Notification))).scalars().all()
    assert sorted((n.kind, n.person_id == world.coach_a) for n in notes) == [
        ("appointment_day", False),
        ("appointment_day", True),
        ("appointment_hour", False),
        ("appointment_hour", True),
    ]
    await browser.log_in_as(world.participant_a)
    page = (await browser.get("/notifications")).text
    assert "Herinnering: je hebt morgen om 10:00 een afspraak." in page
    assert "Buurthuis" not in page, "neutral: no place, no title"


async def test_one_week_moves_or_is_cancelled_on_its_own(app: FastAPI, world: World, browser: Browser) -> None:
    await appointment_world(app.state.sessionmaker, world)
    await browser.log_in_as(world.coach_a)
    rows = (await browser.api("POST", series_url(world), json=series(weeks=3))).json()
    second = rows[1]["id"]
    form = await browser.get(f"/appointments/{second}/move")
    assert form.status_code == 200
    assert 'value="10:00"' in form.text, "the form starts from the appointment as it is"
    refused = await browser.post_form(
        f"/appointments/{second}/move", {"date": local_day(9).isoformat(), "start": "15:00", "end": "14:00"}
    )
    assert refused.status_code == 422
    assert 'value="15:00"' in refused.text
    moved = await browser.post_form(
        f"/appointments/{second}/move",
        {"date": local_day(10).isoformat(), "start": "15:00", "end": "16:00", "remote": "true"},
    )
    assert moved.status_code == 303
    cancelled = await browser.post_form(f"/appointments/{rows[2]['id']}/cancel")
    assert cancelled.status_code == 303
    await browser.log_in_as(world.participant_a)
    calendar = (await browser.api("GET", "/api/v1/appointments")).json()
    (mine,) = calendar
    by_id = {a["id"]: a for a in mine["appointments"]}
    assert by_id[rows[0]["id"]]["starts_at"] == rows[0]["starts_at"], "the other weeks stay"
    assert by_id[second]["remote"] is True
    assert by_id[second]["starts_at"] != rows[1]["starts_at"]
    assert by_id[rows[2]["id"]]["cancelled"] is True
    page = (await browser.get(f"/appointments/{rows[2]['id']}")).text
    assert "Deze afspraak is afgezegd." in page
    ics = icalendar.Calendar.from_ical(
        (
            await browser.get(
                f"/appointments/programmes/{world.programme_a}/participants/{world.participant_a}/calendar.ics"
            )
        ).content
    )
    assert len(ics.walk("VEVENT")) == 2, "a cancelled one is not in the download of her coming appointments"
    one = icalendar.Calendar.from_ical((await browser.get(f"/appointments/{second}.ics")).content)
    assert int(one.walk("VEVENT")[0]["sequence"]) == 1, "her phone takes the moved version"
    # No reminder for a cancelled week.
    starts = datetime.fromisoformat(rows[2]["starts_at"])
    async with unit_of_work(app.state.sessionmaker) as uow:
        assert await service.send_reminders(uow, starts - timedelta(minutes=30)) == 0


async def test_a_series_keeps_its_clock_time_across_summer_time(app: FastAPI, world: World, browser: Browser) -> None:
    await appointment_world(app.state.sessionmaker, world)
    await browser.log_in_as(world.coach_a)
    year = local_day(0).year + 1
    body = series(weeks=3) | {"first_date": f"{year}-03-19"}  # summer time starts on the last Sunday of March
    rows = (await browser.api("POST", series_url(world), json=body)).json()
    starts = [datetime.fromisoformat(r["starts_at"]) for r in rows]
    assert [s.astimezone(UTC).hour for s in starts] == [9, 9, 8], "UTC shifts by an hour"
    assert {s.astimezone(local(local_day(0), "10:00").tzinfo).hour for s in starts} == {10}, "she meets at 10:00"


async def test_plain_pages_do_not_say_they_are_encrypted(app: FastAPI, world: World, browser: Browser) -> None:
    """Her agenda and trajectory are workflow facts her coaches see: the page's foot says so, and
    never "what you write here is encrypted" as her portfolio's pages do."""
    await appointment_world(app.state.sessionmaker, world)
    await browser.log_in_as(world.participant_a)
    for path in ("/appointments", "/my/trajectory"):
        page = (await browser.get(path)).text
        assert "Wat op deze pagina staat, is niet versleuteld" in page, path
        assert "Wat je hier schrijft, is versleuteld" not in page, path
    assert "Wat je hier schrijft, is versleuteld" in (await browser.get("/")).text
