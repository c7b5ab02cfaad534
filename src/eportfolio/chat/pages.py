"""Pages of the chat. The conversation page is a shell for the browser's encryption code
(`frontend/static/js/chat/`): the server renders the frame and the words, the browser holds the
WebSocket, opens ciphertext with her keys and seals what she types. The list and the coaches'
shared inbox carry no content (names, counts, waiting times), so they work without JavaScript.
"""

from __future__ import annotations

import uuid
from typing import Any

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
)
from eportfolio.domain.people import Role
from eportfolio.duty import service as duty
from eportfolio.kit.auth import CallerDep
from eportfolio.kit.errors import N_
from eportfolio.kit.forms import read_form
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import STATIC_DIR, page_router, redirect, render, translate
from eportfolio.programmes import service as programmes

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
    request: Request,
    conversation: ConversationRead,
    me: uuid.UUID,
    names: list[str],
    group_names: dict[uuid.UUID, str] | None = None,
) -> str:
    """Who she talks with: the participant for her coaches, 'your coaches' for her, the group's
    name for a group (a list of names does not say which group chat this is); ``names`` are the
    others' names (``service.list_names``)."""
    if conversation.group_id and group_names and conversation.group_id in group_names:
        return group_names[conversation.group_id]
    if conversation.kind is ConversationKind.coaching and conversation.participant_id == me:
        return translate(request, "Your coaches")
    return ", ".join(n for n in names if n) or translate(request, KIND_LABELS[conversation.kind])


def _others(conversation: ConversationRead, me: uuid.UUID) -> list[str]:
    """The names the title gives for an open conversation, as ``service.list_names`` does for the list."""
    if conversation.kind is ConversationKind.coaching:
        return [m.display_name for m in conversation.members if m.person_id == conversation.participant_id != me]
    return [m.display_name for m in conversation.members if m.person_id != me]


@router.get("/chat")
async def index(request: Request, uow: UowDep, caller: CallerDep) -> Response:
    """Her conversations with unread counts; per programme the way to start one, and for coaches
    the shared inbox: who waits and for how long, never what was written."""
    await programmes.load_roles(uow, caller)
    assert caller.roles_by_programme is not None
    conversations = []
    group_names: dict[uuid.UUID, dict[uuid.UUID, str]] = {}
    listed = await service.list_conversations(uow, caller)
    names = await service.list_names(uow, caller, listed)
    for conversation in listed:
        if conversation.group_id and conversation.programme_id not in group_names:
            group_names[conversation.programme_id] = dict(
                await service.startable_groups(uow, caller, conversation.programme_id)
            )
        conversations.append(
            {
                "id": conversation.id,
                "title": _title(
                    request,
                    conversation,
                    caller.person_id,
                    names.get(conversation.id, []),
                    group_names.get(conversation.programme_id),
                ),
                "kind": KIND_LABELS[conversation.kind],
                "unread": max(0, conversation.last_seq - conversation.read_seq),
                "programme_id": conversation.programme_id,
                "participant_id": conversation.participant_id,
                "group_id": conversation.group_id,
                "coach_id": conversation.coach_id,
            }
        )
    entries: list[dict[str, Any]] = []
    for programme in await programmes.list_programmes(uow, caller):
        held = caller.roles_by_programme.get(programme.id, frozenset())
        mine = Role.participant.value in held
        has_own = any(
            c["programme_id"] == programme.id and c["participant_id"] == caller.person_id for c in conversations
        )
        inbox = await duty.inbox(uow, caller, programme.id) if held & INBOX_ROLES else None
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
                # Coaches and supervisors may come to read a conversation (on duty); staff never do.
                "reads": bool(held & {Role.coach.value, Role.supervisor.value}),
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
    return duty_line(request, await duty.duty_overview(uow, caller, programme_id))


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
            "unreachable": await _nobody_reachable(request, uow, caller, detail),
            "title": _title(request, detail, caller.person_id, _others(detail, caller.person_id), group_names),
            "me": caller.person_id,
            "roles": {role.value: translate(request, label) for role, label in ROLE_LABELS.items()},
        },
    )


async def _nobody_reachable(request: Request, uow: UowDep, caller: CallerDep, detail: ConversationRead) -> str | None:
    """In her own coaching conversation, while the roster in force has nobody on duty: that nobody
    is reachable now and who is next, as on the chat list, so she knows before she writes."""
    if detail.kind is not ConversationKind.coaching or detail.participant_id != caller.person_id:
        return None
    overview = await duty.duty_overview(uow, caller, detail.programme_id)
    if not overview.has_roster or overview.now:
        return None
    return duty_line(request, overview) or translate(request, "Nobody is available right now.")


# Who is on duty, in a line of the chat list (the duty feature keeps the roster) ----------------


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
