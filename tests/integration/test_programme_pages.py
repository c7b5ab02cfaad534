"""The management pages work without JavaScript: forms post, redirect, and keep what was typed."""

from __future__ import annotations

from tests.support.client import Browser
from tests.support.world import World


async def test_admin_creates_a_programme_through_the_form(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.admin)
    page = await browser.get("/manage/programmes/new")
    assert page.status_code == 200
    assert f'name="csrf_token" value="{await browser.csrf()}"' in page.text
    response = await browser.post_form(
        "/manage/programmes/new",
        {
            "name": "Klaar voor werk",
            "slug": "klaar-voor-werk",
            "municipality": "Rotterdam",
            "time_zone": "Europe/Amsterdam",
            "languages": ["nl", "en"],
            "trajectory_months": "12",
            "settings.first_escalation_minutes": "20",
            "settings.second_escalation_minutes": "60",
        },
    )
    assert response.status_code == 303
    overview = await browser.get(response.headers["location"])
    assert "Klaar voor werk" in overview.text
    assert "Rotterdam" in overview.text


async def test_a_wrong_form_keeps_what_she_typed_and_says_what_to_fix(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.admin)
    response = await browser.post_form(
        "/manage/programmes/new",
        {"name": "Mijn programma", "slug": "Geen Goede Naam", "municipality": "", "time_zone": "Europe/Amsterdam"},
    )
    assert response.status_code == 422
    assert 'value="Mijn programma"' in response.text
    assert 'value="Geen Goede Naam"' in response.text
    assert 'aria-invalid="true"' in response.text


async def test_staff_add_a_person_group_and_coach_assignment(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.staff_a)
    base = f"/manage/programmes/{world.programme_a}"
    created = await browser.post_form(
        f"{base}/people", {"display_name": "Samira", "role": "participant", "language": "ar"}
    )
    assert created.status_code == 303
    person_page = await browser.get(created.headers["location"])
    assert "Samira" in person_page.text
    person_id = created.headers["location"].rsplit("/", 1)[1]

    group = await browser.post_form(f"{base}/groups", {"name": "Budget B1", "capacity": "6", "language_level": "B1"})
    assert group.status_code == 303
    joined = await browser.post_form(f"{group.headers['location']}/members", {"person_id": person_id})
    assert joined.status_code == 303
    assert "Samira" in (await browser.get(group.headers["location"])).text

    assigned = await browser.post_form(
        f"{base}/assignments",
        {"participant_id": person_id, "coach_id": str(world.coach_a), "kind": "budget", "starts_on": "2026-03-01"},
    )
    assert assigned.status_code == 303
    listing = await browser.get(f"{base}/assignments")
    assert "Samira" in listing.text


async def test_duplicate_role_form_shows_the_conflict_in_plain_words(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.staff_a)
    response = await browser.post_form(
        f"/manage/programmes/{world.programme_a}/people/{world.coach_a}/roles",
        {"role": "coach", "coach_kind": "individual"},
    )
    assert response.status_code == 422
    assert "alert--error" in response.text


async def test_page_for_another_programme_is_not_found(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.staff_a)
    response = await browser.get(f"/manage/programmes/{world.programme_b}/people")
    assert response.status_code == 404
    assert "<html" in response.text


async def test_pages_carry_strict_security_headers(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.staff_a)
    response = await browser.get(f"/manage/programmes/{world.programme_a}")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self' 'wasm-unsafe-eval'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert "<script>" not in response.text
    assert " style=" not in response.text
    assert '<html lang="nl" dir="ltr">' in response.text


async def test_form_without_csrf_token_is_refused(browser: Browser, world: World) -> None:
    await browser.log_in_as(world.staff_a)
    await browser.csrf()
    response = await browser.http.post(
        f"/manage/programmes/{world.programme_a}/groups", data={"name": "No token", "capacity": "5"}
    )
    assert response.status_code == 403
    listing = await browser.get(f"/manage/programmes/{world.programme_a}/groups")
    assert "No token" not in listing.text
