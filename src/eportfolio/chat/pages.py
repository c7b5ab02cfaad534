"""Pages of the chat. The conversation page is a shell for the browser's encryption code
(`frontend/static/js/chat/`): the server renders the frame and the words, the browser holds the
WebSocket, opens ciphertext with her keys and seals what she types. The list and the coaches'
shared inbox carry no content (names, counts, waiting times), so they work without JavaScript.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from fastapi import Request
from fastapi.responses import FileResponse, Response

from eportfolio.chat import service
from eportfolio.domain.chat import (
    ConversationKind,
    ConversationOpen,
    ConversationRead,
    Duty,
    DutyOverview,
    DutyShift,
    MemberRole,
    PushSettingsUpdate,
    RosterRead,
)
from eportfolio.domain.people import MANAGING_ROLES, Role
from eportfolio.kit import i18n
from eportfolio.kit.auth import CallerDep
from eportfolio.kit.clock import utcnow
from eportfolio.kit.errors import N_
from eportfolio.kit.forms import read_form
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import STATIC_DIR, page_router, redirect, render, request_language, translate
from eportfolio.programmes import service as programmes
from eportfolio.trust import service as trust

router = page_router()

INBOX_ROLES = frozenset({Role.coach.value, Role.supervisor.value, Role.staff.value, Role.org_admin.value})
KIND_LABELS = {
    ConversationKind.coaching: N_("Coaching"),
    ConversationKind.group: N_("Group"),
    ConversationKind.supervision: N_("Supervision"),
}
ROLE_LABELS = {
    MemberRole.participant: N_("participant"),
    MemberRole.coach: N_("coach"),
    MemberRole.supervisor: N_("supervisor"),
    MemberRole.staff: N_("staff"),
    MemberRole.trainer: N_("trainer"),
    MemberRole.on_duty: N_("on duty"),
}


def _title(
    request: Request, conversation: ConversationRead, me: uuid.UUID, group_names: dict[uuid.UUID, str] | None = None
) -> str:
    """Who she talks with: the participant for her coaches, 'your coaches' for her, the group's
    name for a group (a list of names does not say which group chat this is)."""
    if conversation.group_id and group_names and conversation.group_id in group_names:
        return group_names[conversation.group_id]
    if conversation.kind is ConversationKind.coaching:
        if conversation.participant_id == me:
            return translate(request, "Your coaches")
        for member in conversation.members:
            if member.person_id == conversation.participant_id:
                return member.display_name
    others = [m.display_name for m in conversation.members if m.person_id != me]
    return ", ".join(others) or translate(request, KIND_LABELS[conversation.kind])


@router.get("/chat")
async def index(request: Request, uow: UowDep, caller: CallerDep) -> Response:
    """Her conversations with unread counts; per programme the way to start one, and for coaches
    the shared inbox: who waits and for how long, never what was written."""
    await programmes.load_roles(uow, caller)
    assert caller.roles_by_programme is not None
    conversations = []
    group_names: dict[uuid.UUID, dict[uuid.UUID, str]] = {}
    for listed in await service.list_conversations(uow, caller):
        detail = await service.get_conversation(uow, caller, listed.id)
        if detail.group_id and detail.programme_id not in group_names:
            group_names[detail.programme_id] = dict(await service.startable_groups(uow, caller, detail.programme_id))
        conversations.append(
            {
                "id": detail.id,
                "title": _title(request, detail, caller.person_id, group_names.get(detail.programme_id)),
                "kind": KIND_LABELS[detail.kind],
                "unread": max(0, listed.last_seq - listed.read_seq),
                "programme_id": detail.programme_id,
                "participant_id": detail.participant_id,
                "group_id": detail.group_id,
                "coach_id": detail.coach_id,
            }
        )
    entries: list[dict[str, Any]] = []
    for programme in await programmes.list_programmes(uow, caller):
        held = caller.roles_by_programme.get(programme.id, frozenset())
        mine = Role.participant.value in held
        has_own = any(
            c["programme_id"] == programme.id and c["participant_id"] == caller.person_id for c in conversations
        )
        inbox = await service.inbox(uow, caller, programme.id) if held & INBOX_ROLES else None
        open_groups = {c["group_id"] for c in conversations if c["group_id"]}
        groups = [
            (group_id, name)
            for group_id, name in await service.startable_groups(uow, caller, programme.id)
            if group_id not in open_groups
        ]
        supervision = Role.coach.value in held and not any(
            c["programme_id"] == programme.id and c["coach_id"] == caller.person_id for c in conversations
        )
        if not mine and inbox is None and not groups and not supervision:
            continue
        entries.append(
            {
                "programme": programme,
                "duty": await _duty_line_for(request, uow, caller, programme.id, held),
                "can_start": mine and not has_own,
                "inbox": inbox,
                "groups": groups,
                "supervision": supervision,
            }
        )
    push = await service.push_settings(uow, caller, request.app.state.settings)
    return render(request, "chat/index.html", {"conversations": conversations, "entries": entries, "push": push})


async def _duty_line_for(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, held: frozenset[str]
) -> str | None:
    """'Available now: X, then Y' for a participant, coach or supervisor of the programme."""
    if not held & {Role.participant.value, Role.coach.value, Role.supervisor.value}:
        return None
    return duty_line(request, await service.duty_overview(uow, caller, programme_id))


@router.post("/chat/push")
async def switch_push(request: Request, uow: UowDep, caller: CallerDep) -> Response:
    """Her switch for notifications, for all her browsers; a plain form, so it works without JavaScript."""
    values = await read_form(request)
    enabled = values.get("enabled") == "on"
    await service.set_push_enabled(uow, caller, request.app.state.settings, PushSettingsUpdate(enabled=enabled))
    return redirect("/chat#chat-push")


@router.get("/sw.js")
async def service_worker() -> Response:
    """The service worker, served from the root so that its scope covers every page (a script under
    /static/ could only control /static/). Never cached long: a fixed worker must reach her soon."""
    return FileResponse(
        STATIC_DIR / "js" / "chat" / "sw.js",
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


@router.post("/chat/programmes/{programme_id}/coaching")
async def start_coaching(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    """Her conversation with her coaches in this programme: found or made, then opened."""
    opened = await service.open_conversation(
        uow,
        caller,
        ConversationOpen(programme_id=programme_id, kind=ConversationKind.coaching, participant_id=caller.person_id),
    )
    return redirect(f"/chat/{opened.id}")


@router.post("/chat/programmes/{programme_id}/groups/{group_id}")
async def start_group(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, group_id: uuid.UUID) -> Response:
    """The conversation of a group with its trainers: found or made, then opened."""
    opened = await service.open_conversation(
        uow, caller, ConversationOpen(programme_id=programme_id, kind=ConversationKind.group, group_id=group_id)
    )
    return redirect(f"/chat/{opened.id}")


@router.post("/chat/programmes/{programme_id}/supervision")
async def start_supervision(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    """A coach's conversation with the programme's supervisors: found or made, then opened."""
    opened = await service.open_conversation(
        uow,
        caller,
        ConversationOpen(programme_id=programme_id, kind=ConversationKind.supervision, coach_id=caller.person_id),
    )
    return redirect(f"/chat/{opened.id}")


@router.get("/chat/{conversation_id}")
async def conversation(request: Request, uow: UowDep, caller: CallerDep, conversation_id: uuid.UUID) -> Response:
    detail = await service.get_conversation(uow, caller, conversation_id)
    await service.conversation_seen(uow, caller, conversation_id)
    group_names = dict(await service.startable_groups(uow, caller, detail.programme_id)) if detail.group_id else None
    return render(
        request,
        "chat/conversation.html",
        {
            "conversation": detail,
            "title": _title(request, detail, caller.person_id, group_names),
            "me": caller.person_id,
            "roles": {role.value: translate(request, label) for role, label in ROLE_LABELS.items()},
        },
    )


# Duty roster: who is on duty now and next, and the staff page that makes the roster -------------

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


def _names(shifts: list[DutyShift], duty: Duty | None = None) -> str:
    return ", ".join(dict.fromkeys(s.display_name for s in shifts if duty is None or s.duty is duty))


def duty_line(request: Request, overview: DutyOverview) -> str | None:
    """'Nu bereikbaar: X, daarna Y' for the chat page; None without a roster in force."""
    if not overview.has_roster:
        return None
    now = _names(overview.now, Duty.coach) or _names(overview.now)
    later = _names(overview.next, Duty.coach) or _names(overview.next)
    if now and later and later != now:
        return translate(request, "Available now: %(now)s, then %(next)s", now=now, next=later)
    if now:
        return translate(request, "Available now: %(now)s", now=now)
    if later:
        return translate(request, "Nobody is available right now. Next: %(next)s", next=later)
    return None


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
            }
        )
    return render(request, "chat/roster.html", {"sections": sections})


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
        "programmes/roster.html",
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
            "weekdays": [translate(request, d) for d in WEEKDAYS],
            "valid_from": today.isoformat(),
            "valid_until": (today + timedelta(days=DEFAULT_ROSTER_DAYS - 1)).isoformat(),
        },
    )
