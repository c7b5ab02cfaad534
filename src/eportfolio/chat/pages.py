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
    MemberRole,
    PushSettingsUpdate,
)
from eportfolio.domain.people import Role
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


def _title(request: Request, conversation: ConversationRead, me: uuid.UUID) -> str:
    """Who she talks with: the participant for her coaches, 'your coaches' for her."""
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
    for listed in await service.list_conversations(uow, caller):
        detail = await service.get_conversation(uow, caller, listed.id)
        conversations.append(
            {
                "id": detail.id,
                "title": _title(request, detail, caller.person_id),
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
                "can_start": mine and not has_own,
                "inbox": inbox,
                "groups": groups,
                "supervision": supervision,
            }
        )
    push = await service.push_settings(uow, caller, request.app.state.settings)
    return render(request, "chat/index.html", {"conversations": conversations, "entries": entries, "push": push})


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
    return render(
        request,
        "chat/conversation.html",
        {
            "conversation": detail,
            "title": _title(request, detail, caller.person_id),
            "me": caller.person_id,
            "roles": {role.value: translate(request, label) for role, label in ROLE_LABELS.items()},
        },
    )
