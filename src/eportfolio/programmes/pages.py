"""Programme management pages for organisation admins and staff; they work without JavaScript."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import Response

from eportfolio.domain.accounts import AssignmentFacts
from eportfolio.domain.common import LANGUAGE_CODES
from eportfolio.domain.people import (
    MANAGING_ROLES,
    PROGRAMME_ROLES,
    CoachAssignmentCreate,
    CoachAssignmentRead,
    CoachKind,
    MembershipCreate,
    PersonWithRoleCreate,
    Role,
)
from eportfolio.domain.programmes import (
    GroupCreate,
    GroupUpdate,
    LanguageLevel,
    ProgrammeCreate,
    ProgrammeSettings,
    ProgrammeUpdate,
)
from eportfolio.kit import i18n
from eportfolio.kit.auth import CallerDep
from eportfolio.kit.clock import utcnow
from eportfolio.kit.errors import N_, DomainError, InvalidInput, NotFound
from eportfolio.kit.forms import form_error, read_form, submit_form
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import page_router, redirect, render, translate
from eportfolio.programmes import groups, service
from eportfolio.trust import service as trust_service

router = page_router()

ROLE_LABELS = {
    Role.org_admin: N_("Organisation administrator"),
    Role.staff: N_("Programme staff"),
    Role.participant: N_("Participant"),
    Role.coach: N_("Coach"),
    Role.supervisor: N_("Supervisor"),
    Role.recovery_officer: N_("Recovery officer"),
    Role.funder_viewer: N_("Funder (figures only)"),
}
COACH_KIND_LABELS = {
    CoachKind.individual: N_("Individual coach"),
    CoachKind.budget: N_("Budget coach"),
    CoachKind.work: N_("Work coach"),
}
LEVEL_LABELS = {level: i18n.LEVEL_LABELS.get(level.value, level.value) for level in LanguageLevel}


def _today(time_zone: str) -> str:
    """Today in the programme's time zone (Curaçao and the Netherlands differ by hours)."""
    return utcnow().astimezone(ZoneInfo(time_zone)).date().isoformat()


def _labels(request: Request, labels: dict[Any, str]) -> list[tuple[str, str]]:
    return [(key.value, translate(request, label)) for key, label in labels.items()]


@router.get("/manage")
async def programmes_index(request: Request, uow: UowDep, caller: CallerDep) -> Response:
    programmes = await service.list_programmes(uow, caller)
    return render(
        request,
        "programmes/index.html",
        {
            "programmes": programmes,
            "is_admin": bool(caller.is_org_admin),
            "organisation": await service.get_organisation(uow, caller),
        },
    )


def _programme_form_values(values: dict[str, Any]) -> dict[str, Any]:
    languages = values.get("languages", ["nl"])
    if isinstance(languages, str):
        languages = [languages]
    settings = {
        key.removeprefix("settings."): value
        for key, value in values.items()
        if key.startswith("settings.") and value != ""
    }
    plain = {k: v for k, v in values.items() if not k.startswith("settings.") and k != "languages"}
    return {**plain, "languages": languages, "settings": settings}


def _language_options() -> list[str]:
    return sorted(LANGUAGE_CODES)


@router.get("/manage/programmes/new")
async def new_programme_form(request: Request, uow: UowDep, caller: CallerDep) -> Response:
    await service.require_org_admin(uow, caller)
    return render(
        request,
        "programmes/programme_form.html",
        {
            "values": {
                "languages": ["nl", "en"],
                "time_zone": "Europe/Amsterdam",
                "trajectory_months": 24,
                "settings": ProgrammeSettings().model_dump(),
            },
            "errors": {},
            "languages": _language_options(),
            "programme": None,
        },
    )


@router.post("/manage/programmes/new")
async def create_programme(request: Request, uow: UowDep, caller: CallerDep) -> Response:
    values = _programme_form_values(await read_form(request))

    async def act(data: ProgrammeCreate) -> str:
        programme = await service.create_programme(uow, caller, data)
        return f"/manage/programmes/{programme.id}"

    async def show(errors: dict[str, str]) -> Response:
        return render(
            request,
            "programmes/programme_form.html",
            {"values": values, "errors": errors, "languages": _language_options(), "programme": None},
            status_code=422,
        )

    return await submit_form(request, uow, ProgrammeCreate, values, act, show)


@router.get("/manage/programmes/{programme_id}")
async def programme_overview(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    access = await service.authorize(uow, caller, programme_id, MANAGING_ROLES)
    programme = service.programme_read(access.programme)
    groups = await service.list_groups(uow, caller, programme_id)
    return render(request, "programmes/overview.html", {"programme": programme, "groups": groups})


@router.get("/manage/programmes/{programme_id}/settings")
async def programme_settings_form(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID
) -> Response:
    access = await service.authorize(uow, caller, programme_id, MANAGING_ROLES)
    programme = service.programme_read(access.programme)
    return render(
        request,
        "programmes/programme_form.html",
        {
            "values": programme.model_dump(mode="json"),
            "errors": {},
            "languages": _language_options(),
            "programme": programme,
        },
    )


@router.post("/manage/programmes/{programme_id}/settings")
async def update_programme(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    access = await service.authorize(uow, caller, programme_id, MANAGING_ROLES)
    values = _programme_form_values(await read_form(request))
    values.pop("slug", None)
    programme = service.programme_read(access.programme)

    async def act(data: ProgrammeUpdate) -> str:
        await service.update_programme(uow, caller, programme_id, data)
        return f"/manage/programmes/{programme_id}"

    async def show(errors: dict[str, str]) -> Response:
        return render(
            request,
            "programmes/programme_form.html",
            {
                "values": {**values, "slug": programme.slug},
                "errors": errors,
                "languages": _language_options(),
                "programme": programme,
            },
            status_code=422,
        )

    return await submit_form(request, uow, ProgrammeUpdate, values, act, show)


# Groups --------------------------------------------------------------------------------------


async def _groups_page(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    access = await service.authorize(uow, caller, programme_id, MANAGING_ROLES)
    groups = await service.list_groups(uow, caller, programme_id)
    return render(
        request,
        "programmes/groups.html",
        {
            "programme": service.programme_read(access.programme),
            "groups": groups,
            "values": values or {"capacity": 8, "language_level": "mixed"},
            "errors": errors or {},
            "levels": _labels(request, LEVEL_LABELS),
        },
        status_code=422 if errors else 200,
    )


@router.get("/manage/programmes/{programme_id}/groups")
async def groups_index(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    return await _groups_page(request, uow, caller, programme_id)


@router.post("/manage/programmes/{programme_id}/groups")
async def create_group(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    values = await read_form(request)

    async def act(data: GroupCreate) -> str:
        group = await service.create_group(uow, caller, programme_id, data)
        return f"/manage/programmes/{programme_id}/groups/{group.id}"

    return await submit_form(
        request,
        uow,
        GroupCreate,
        values,
        act,
        lambda errors: _groups_page(request, uow, caller, programme_id, values, errors),
        shown={409},
    )


async def _group_page(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    group_id: uuid.UUID,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    access = await service.authorize(uow, caller, programme_id, MANAGING_ROLES)
    found = {g.id: g for g in await service.list_groups(uow, caller, programme_id)}
    group = found.get(group_id)
    if group is None:
        raise NotFound()
    people_in_group, signing = await groups.members(uow, caller, programme_id, group_id)
    people = await service.list_people(uow, caller, programme_id)
    in_group = {p.person_id for p in people_in_group}

    def active(roles: list[Any], wanted: set[Role]) -> bool:
        return any(r.role in wanted and r.active for r in roles)

    candidates = [p for p, roles in people if p.id not in in_group and active(roles, {Role.participant})]
    trainers = [
        p for p, roles in people if p.id not in in_group and active(roles, set(service.GROUP_TRAINER_ROLES))
    ]
    return render(
        request,
        "programmes/group.html",
        {
            "programme": service.programme_read(access.programme),
            "organisation_id": access.scope.organisation_id,
            "group": group,
            "participants": [p for p in people_in_group if p.role == groups.PARTICIPANT],
            "trainers_in_group": [p for p in people_in_group if p.role == groups.TRAINER],
            "candidates": candidates,
            "trainer_candidates": trainers,
            "signing": signing,
            "values": values or group.model_dump(mode="json"),
            "errors": errors or {},
            "levels": _labels(request, LEVEL_LABELS),
        },
        status_code=422 if errors else 200,
    )


@router.get("/manage/programmes/{programme_id}/groups/{group_id}")
async def group_detail(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, group_id: uuid.UUID
) -> Response:
    return await _group_page(request, uow, caller, programme_id, group_id)


@router.post("/manage/programmes/{programme_id}/groups/{group_id}")
async def update_group(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, group_id: uuid.UUID
) -> Response:
    values = await read_form(request)

    async def act(data: GroupUpdate) -> str:
        await service.update_group(uow, caller, programme_id, group_id, data)
        return f"/manage/programmes/{programme_id}/groups/{group_id}"

    return await submit_form(
        request,
        uow,
        GroupUpdate,
        values,
        act,
        lambda errors: _group_page(request, uow, caller, programme_id, group_id, values, errors),
    )


# Members of a group: each change carries, when the staff member's browser holds the programme
# key, the group's member list after the change signed by js/programmes/group-members.js (kind
# 0x05); the server checks it before it keeps anything, and a refusal undoes the change. Without
# JavaScript or the key the change is made and the page says the list is not signed yet.


async def _group_change(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    group_id: uuid.UUID,
    change: Any,
    field: str,
) -> Response:
    """Run a change of the group's members; a refusal shows the page with its message, unchanged."""
    try:
        await change()
    except DomainError as exc:
        if exc.status_code not in (409, 422):
            raise
        await uow.session.rollback()
        uow.take_events()
        key = exc.field if exc.field in ("person_id", "trainer_id", "signed_record") else field
        return await _group_page(
            request, uow, caller, programme_id, group_id, errors={key: form_error(request, exc).popitem()[1]}
        )
    return redirect(f"/manage/programmes/{programme_id}/groups/{group_id}")


@router.post("/manage/programmes/{programme_id}/groups/{group_id}/members")
async def add_group_member(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, group_id: uuid.UUID
) -> Response:
    values = await read_form(request)
    role = groups.TRAINER if values.get("role") == groups.TRAINER else groups.PARTICIPANT
    field = "trainer_id" if role == groups.TRAINER else "person_id"
    try:
        person_id = uuid.UUID(str(values.get(field, "")))
    except ValueError:
        chosen = {field: translate(request, "Please choose from the list.")}
        return await _group_page(request, uow, caller, programme_id, group_id, errors=chosen)

    async def change() -> None:
        await groups.add_member(
            uow, caller, programme_id, group_id, person_id, role=role, signed_record=_signed_record(values)
        )

    return await _group_change(request, uow, caller, programme_id, group_id, change, field)


@router.post("/manage/programmes/{programme_id}/groups/{group_id}/members/{person_id}/remove")
async def remove_group_member(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    group_id: uuid.UUID,
    person_id: uuid.UUID,
) -> Response:
    values = await read_form(request)

    async def change() -> None:
        await groups.remove_member(
            uow, caller, programme_id, group_id, person_id, signed_record=_signed_record(values)
        )

    return await _group_change(request, uow, caller, programme_id, group_id, change, "signed_record")


@router.post("/manage/programmes/{programme_id}/groups/{group_id}/sign")
async def sign_group(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, group_id: uuid.UUID
) -> Response:
    """Sign the group's member list as it is now ("sign now"): needs the staff browser's signature."""
    signed_record = _signed_record(await read_form(request))

    async def change() -> None:
        if signed_record is None:
            raise InvalidInput(
                N_("Signing happens in your browser and needs JavaScript. Please turn it on."), field="signed_record"
            )
        await groups.sign_group(uow, caller, programme_id, group_id, signed_record)

    return await _group_change(request, uow, caller, programme_id, group_id, change, "signed_record")


# People and roles ----------------------------------------------------------------------------


async def _people_page(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    access = await service.authorize(uow, caller, programme_id, MANAGING_ROLES)
    people = await service.list_people(uow, caller, programme_id)
    return render(
        request,
        "programmes/people.html",
        {
            "programme": service.programme_read(access.programme),
            "people": people,
            "values": values or {"role": "participant", "language": "nl"},
            "errors": errors or {},
            "roles": _grantable_roles(request, access.role),
            "role_labels": ROLE_LABELS,
            "coach_kinds": _labels(request, COACH_KIND_LABELS),
            "coach_kind_labels": COACH_KIND_LABELS,
            "languages": sorted(LANGUAGE_CODES),
        },
        status_code=422 if errors else 200,
    )


def _grantable_roles(request: Request, acting: Role) -> list[tuple[str, str]]:
    roles = [r for r in PROGRAMME_ROLES if acting is Role.org_admin or r not in (Role.staff, Role.recovery_officer)]
    return [(r.value, translate(request, ROLE_LABELS[r])) for r in roles]


@router.get("/manage/programmes/{programme_id}/people")
async def people_index(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    return await _people_page(request, uow, caller, programme_id)


@router.post("/manage/programmes/{programme_id}/people")
async def create_person(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    values = await read_form(request)

    async def act(data: PersonWithRoleCreate) -> str:
        person = await service.create_person(uow, caller, programme_id, data)
        return f"/manage/programmes/{programme_id}/people/{person.id}"

    return await submit_form(
        request,
        uow,
        PersonWithRoleCreate,
        values,
        act,
        lambda errors: _people_page(request, uow, caller, programme_id, values, errors),
    )


async def _person_page(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    person_id: uuid.UUID,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    access = await service.authorize(uow, caller, programme_id, MANAGING_ROLES)
    person, memberships = await service.get_person(uow, caller, programme_id, person_id)
    return render(
        request,
        "programmes/person.html",
        {
            "programme": service.programme_read(access.programme),
            "person": person,
            "memberships": memberships,
            "values": values or {"role": "coach"},
            "errors": errors or {},
            "roles": _grantable_roles(request, access.role),
            "role_labels": ROLE_LABELS,
            "coach_kinds": _labels(request, COACH_KIND_LABELS),
            "coach_kind_labels": COACH_KIND_LABELS,
        },
        status_code=422 if errors else 200,
    )


@router.get("/manage/programmes/{programme_id}/people/{person_id}")
async def person_detail(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, person_id: uuid.UUID
) -> Response:
    return await _person_page(request, uow, caller, programme_id, person_id)


@router.post("/manage/programmes/{programme_id}/people/{person_id}/roles")
async def add_role(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, person_id: uuid.UUID
) -> Response:
    values = await read_form(request)

    async def act(data: MembershipCreate) -> str:
        await service.add_membership(uow, caller, programme_id, data)
        return f"/manage/programmes/{programme_id}/people/{person_id}"

    return await submit_form(
        request,
        uow,
        MembershipCreate,
        {**values, "person_id": str(person_id)},
        act,
        lambda errors: _person_page(request, uow, caller, programme_id, person_id, values, errors),
        shown={409},
    )


@router.post("/manage/programmes/{programme_id}/memberships/{membership_id}/active")
async def set_role_active(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, membership_id: uuid.UUID
) -> Response:
    from eportfolio.domain.people import MembershipUpdate

    values = await read_form(request)
    active = values.get("active") == "true"
    membership = await service.update_membership(
        uow, caller, programme_id, membership_id, MembershipUpdate(active=active)
    )
    return redirect(f"/manage/programmes/{programme_id}/people/{membership.person_id}")


# Coach assignments -----------------------------------------------------------------------
#
# The form works without JavaScript and then keeps the assignment waiting for a signature: it
# gives the coach nothing anywhere until someone who holds the programme key signs it ("sign
# now"). When the staff member's browser holds the key, js/programmes/assignments.js signs the
# record (docs/crypto-spec.md 8) and sends it in the hidden ``signed_record`` field; the server
# checks the chain before it keeps anything. A record signed by the coach it names (staff who
# assign themselves) waits for a second signature by someone else in the same way.


def _end_date(assignment: CoachAssignmentRead) -> date:
    """The end date that ending today gives (the same rule as ``service.end_assignment``)."""
    today = utcnow().date()
    if assignment.ends_on is None or assignment.ends_on > today:
        return max(today, assignment.starts_on)
    return assignment.ends_on


async def _assignments_page(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    access = await service.authorize(uow, caller, programme_id, MANAGING_ROLES)
    assignments = await service.list_assignments(uow, caller, programme_id)
    trust = {t.assignment_id: t.status.value for t in await trust_service.assignment_trust(uow, caller, programme_id)}
    people = await service.list_people(uow, caller, programme_id)
    names = {p.id: p.display_name for p, _ in people}
    participants = [
        (str(p.id), p.display_name)
        for p, roles in people
        if any(r.role == Role.participant and r.active for r in roles)
    ]
    coaches = [
        (str(p.id), p.display_name) for p, roles in people if any(r.role == Role.coach and r.active for r in roles)
    ]
    if values is not None:
        values = {k: v for k, v in values.items() if k != "signed_record"}
    return render(
        request,
        "programmes/assignments.html",
        {
            "programme": service.programme_read(access.programme),
            "organisation_id": access.scope.organisation_id,
            "assignments": assignments,
            "trust": trust,
            "end_dates": {a.id: _end_date(a) for a in assignments if a.ended_at is None},
            "signing": await trust_service.assignment_signing(uow, caller, programme_id),
            "names": names,
            "peer_coaches": {
                p.id for p, roles in people if any(r.role == Role.coach and r.active and r.peer_coach for r in roles)
            },
            "participants": participants,
            "coaches": coaches,
            "values": values or {"starts_on": _today(access.programme.time_zone), "kind": "individual"},
            "errors": errors or {},
            "coach_kinds": _labels(request, COACH_KIND_LABELS),
            "coach_kind_labels": COACH_KIND_LABELS,
        },
        status_code=422 if errors else 200,
    )


def _signed_record(values: dict[str, Any]) -> str | None:
    record = str(values.get("signed_record") or "").strip()
    return record or None


@router.get("/manage/programmes/{programme_id}/assignments")
async def assignments_index(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    return await _assignments_page(request, uow, caller, programme_id)


@router.post("/manage/programmes/{programme_id}/assignments")
async def create_assignment(request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> Response:
    values = await read_form(request)

    async def act(data: CoachAssignmentCreate) -> str:
        if data.signed_record is not None:
            await trust_service.check_assignment_record(
                uow, caller, programme_id, AssignmentFacts.of(data), data.signed_record
            )
        await service.create_assignment(uow, caller, programme_id, data)
        return f"/manage/programmes/{programme_id}/assignments"

    return await submit_form(
        request,
        uow,
        CoachAssignmentCreate,
        {**values, "signed_record": _signed_record(values)},
        act,
        lambda errors: _assignments_page(request, uow, caller, programme_id, values, errors),
    )


@router.post("/manage/programmes/{programme_id}/assignments/{assignment_id}/end")
async def end_assignment(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, assignment_id: uuid.UUID
) -> Response:
    """End coaching; with a re-signed record carrying the end date when her browser holds the key.

    A record that does not check out raises, so the whole request rolls back: nothing half-done.
    """
    signed_record = _signed_record(await read_form(request))
    ended = await service.end_assignment(uow, caller, programme_id, assignment_id)
    if signed_record is not None:
        await trust_service.check_assignment_record(uow, caller, programme_id, AssignmentFacts.of(ended), signed_record)
        await service.sign_assignment(uow, caller, programme_id, assignment_id, signed_record)
    return redirect(f"/manage/programmes/{programme_id}/assignments")


@router.post("/manage/programmes/{programme_id}/assignments/{assignment_id}/sign")
async def sign_assignment(
    request: Request, uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, assignment_id: uuid.UUID
) -> Response:
    """Sign an assignment that was made or ended without the key ("sign now")."""
    signed_record = _signed_record(await read_form(request))
    assignment = next(
        (a for a in await service.list_assignments(uow, caller, programme_id) if a.id == assignment_id), None
    )
    if assignment is None:
        raise NotFound()
    if signed_record is None:
        raise InvalidInput(
            N_("Signing happens in your browser and needs JavaScript. Please turn it on."), field="signed_record"
        )
    facts = AssignmentFacts.of(assignment)
    await trust_service.check_assignment_record(uow, caller, programme_id, facts, signed_record)
    await service.sign_assignment(uow, caller, programme_id, assignment_id, signed_record)
    return redirect(f"/manage/programmes/{programme_id}/assignments")
