"""Pages of the duty feature: who is on duty now and next (everyone in a programme), and the staff
page that makes the roster; js/programmes/roster.js expands the week into shifts and signs it."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from fastapi import Request
from fastapi.responses import Response

from eportfolio.domain.chat import Duty, DutyShift, RosterRead
from eportfolio.domain.people import MANAGING_ROLES, Role
from eportfolio.duty import service
from eportfolio.kit import i18n
from eportfolio.kit.auth import CallerDep
from eportfolio.kit.clock import utcnow
from eportfolio.kit.errors import N_
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import page_router, render, request_language, translate
from eportfolio.programmes import service as programmes
from eportfolio.trust import service as trust

router = page_router()

DUTY_LABELS = {Duty.coach: N_("Coach on duty"), Duty.supervisor: N_("Second line (supervisor)")}
WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
# How many days the readable roster shows, from today.
ROSTER_DAYS = 7
# A new roster's period unless staff choose another: four weeks from today.
DEFAULT_ROSTER_DAYS = 28


def _locale(request: Request) -> str:
    language = request_language(request)
    return language if language in i18n.ui_languages() else "nl"


def _day(request: Request, moment: datetime | date) -> str:
    return format_skeleton("EEEdMMM", moment, locale=_locale(request))


def _time(request: Request, moment: datetime) -> str:
    return format_skeleton("Hm", moment, locale=_locale(request))


def _span(request: Request, starts_at: datetime, ends_at: datetime) -> str:
    """'ma 7 dec 08:00 - 20:00', with the end's day when it ends on another day."""
    end = _time(request, ends_at)
    if ends_at.date() != starts_at.date():
        end = f"{_day(request, ends_at)} {end}"
    return f"{_day(request, starts_at)} {_time(request, starts_at)} – {end}"


def _week(
    request: Request, roster: RosterRead | None, names: dict[uuid.UUID, str], today: date
) -> list[dict[str, Any]]:
    """The roster in force as a readable week from today: per day its blocks, with who is on duty
    as coach and who as second line."""
    days: list[dict[str, Any]] = []
    for offset in range(ROSTER_DAYS):
        day = today + timedelta(days=offset)
        blocks: dict[tuple[datetime, datetime], dict[str, list[str]]] = {}
        for shift in roster.shifts if roster else []:
            if shift.starts_at.date() != day:
                continue
            block = blocks.setdefault((shift.starts_at, shift.ends_at), {"coach": [], "supervisor": []})
            block[shift.duty.value].append(names.get(shift.person_id, "?"))
        days.append(
            {
                "label": _day(request, day),
                "iso": day.isoformat(),
                "blocks": [
                    {
                        "time": f"{_time(request, start)} – {_time(request, end)}",
                        "coach": ", ".join(people["coach"]),
                        "supervisor": ", ".join(people["supervisor"]),
                    }
                    for (start, end), people in sorted(blocks.items())
                ],
            }
        )
    return days


def _pattern(roster: RosterRead | None, today: date) -> list[dict[str, Any]]:
    """The roster in force as the editor's time blocks, from today (or its first day) on: per
    weekday and start and end time, who is on duty on most of those days (so a holiday does not
    become a block of its own); the weekdays that share times and people joined into one block.
    Empty when there is no roster or a shift is longer than a day (no week block can say it)."""
    if roster is None:
        return []
    first = max(today, roster.valid_from.date())
    per_day: dict[tuple[str, str, bool], dict[date, dict[str, str]]] = {}
    for shift in roster.shifts:
        day = shift.starts_at.date()
        if day < first:
            continue
        if shift.ends_at - shift.starts_at > timedelta(days=1):
            return []
        times = (shift.starts_at.strftime("%H:%M"), shift.ends_at.strftime("%H:%M"), shift.ends_at.date() > day)
        per_day.setdefault(times, {}).setdefault(day, {})[shift.duty.value] = str(shift.person_id)
    blocks: dict[tuple[str, str, bool, str, str], list[int]] = {}
    for (start, end, next_day), days in sorted(per_day.items()):
        by_weekday: dict[int, Counter[tuple[str, str]]] = {}
        for day, who in days.items():
            by_weekday.setdefault(day.weekday(), Counter())[(who.get("coach", ""), who.get("supervisor", ""))] += 1
        for weekday, counted in sorted(by_weekday.items()):
            (coach, supervisor), _ = counted.most_common(1)[0]
            blocks.setdefault((start, end, next_day, coach, supervisor), []).append(weekday)
    return [
        {"days": days, "start": start, "end": end, "next_day": next_day, "coach": coach, "supervisor": supervisor}
        for (start, end, next_day, coach, supervisor), days in blocks.items()
    ]


@router.get("/roster")
async def roster(request: Request, uow: UowDep, caller: CallerDep) -> Response:
    """Per programme: who is on duty now and next, and her own coming shifts."""
    await programmes.load_roles(uow, caller)
    assert caller.roles_by_programme is not None
    duty_roles = {r.value for r in service.DUTY_ROLES}
    sections = []
    for programme in await programmes.list_programmes(uow, caller):
        if not caller.roles_by_programme.get(programme.id, frozenset()) & duty_roles:
            continue
        overview = await service.duty_overview(uow, caller, programme.id)
        # Coaches and supervisors take shifts; a participant (or staff only) has none to be told about.
        held = caller.roles_by_programme.get(programme.id, frozenset())
        takes_shifts = bool(held & {Role.coach.value, Role.supervisor.value})

        def rows(shifts: list[DutyShift]) -> list[dict[str, str]]:
            return [
                {
                    "name": s.display_name,
                    "duty": translate(request, DUTY_LABELS[s.duty]),
                    "when": _span(request, s.starts_at, s.ends_at),
                }
                for s in shifts
            ]

        sections.append(
            {
                "programme": programme,
                "has_roster": overview.has_roster,
                "now": rows(overview.now),
                "next": rows(overview.next),
                "mine": rows(overview.mine),
                "takes_shifts": takes_shifts,
            }
        )
    any_shifts = any(section["takes_shifts"] for section in sections)
    return render(request, "duty/roster.html", {"sections": sections, "any_shifts": any_shifts})


@router.get("/manage/programmes/{programme_id}/roster")
async def manage_roster(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    """Staff make the weekly roster with exceptions; js/programmes/roster.js expands it into shifts,
    signs the duty roster record with the programme key and sends it (docs/crypto-spec.md 8)."""
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    editor = await service.roster_editor(uow, caller, programme_id)
    signing = await trust.assignment_signing(uow, caller, programme_id)
    today = utcnow().astimezone(ZoneInfo(access.programme.time_zone)).date()
    names = {c.person_id: c.display_name for c in editor.candidates}
    current = editor.current
    return render(
        request,
        "duty/manage_roster.html",
        {
            "programme": programmes.programme_read(access.programme),
            "organisation_id": access.scope.organisation_id,
            "signing": signing,
            "next_serial": editor.next_serial,
            "coaches": [c for c in editor.candidates if c.duty is Duty.coach],
            "supervisors": [c for c in editor.candidates if c.duty is Duty.supervisor],
            "week": _week(request, current, names, today),
            "current": current,
            "current_span": _span(request, current.valid_from, current.valid_until) if current else None,
            "current_pattern": _pattern(current, today),
            "weekdays": [translate(request, d) for d in WEEKDAYS],
            "valid_from": today.isoformat(),
            "valid_until": (today + timedelta(days=DEFAULT_ROSTER_DAYS - 1)).isoformat(),
        },
    )
