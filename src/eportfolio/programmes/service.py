"""Use cases of the programmes feature. Each checks the caller's role first, then touches data.

Services speak the domain model, never commit (the unit of work does) and log every read or
change of a person's data in the access log.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from eportfolio.domain.people import (
    MANAGING_ROLES,
    CoachAssignmentCreate,
    CoachAssignmentRead,
    MembershipCreate,
    MembershipRead,
    MembershipUpdate,
    PersonRead,
    PersonUpdate,
    PersonWithRoleCreate,
    Role,
)
from eportfolio.domain.programmes import (
    GroupCreate,
    GroupRead,
    GroupUpdate,
    OrganisationRead,
    ProgrammeCreate,
    ProgrammeRead,
    ProgrammeSettings,
    ProgrammeUpdate,
)
from eportfolio.kit.audit import Action, personal_data, record_access
from eportfolio.kit.auth import Caller
from eportfolio.kit.clock import utcnow
from eportfolio.kit.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from eportfolio.kit.events import Event
from eportfolio.kit.uow import UnitOfWork
from eportfolio.programmes.repository import _MINT, ProgrammeRepository, ProgrammeScope
from eportfolio.programmes.tables import (
    CoachAssignment,
    Group,
    GroupMember,
    Membership,
    Organisation,
    OrganisationAdmin,
    Person,
    Programme,
)


@dataclass(frozen=True, slots=True)
class Access:
    """What ``authorize`` grants: the tenant scope and the role the caller acts in."""

    scope: ProgrammeScope
    role: Role
    programme: Programme


# Authorisation ---------------------------------------------------------------------------


async def load_roles(uow: UnitOfWork, caller: Caller) -> None:
    """Her roles, read once per unit of work (held beside the caller, see ``HeldRoles``)."""
    if not caller.roles.read_in(uow):
        repo = ProgrammeRepository(uow.session)
        by_programme = await repo.roles_by_programme(caller.person_id)
        caller.roles.keep(uow, by_programme, await repo.is_org_admin(caller.organisation_id, caller.person_id))


async def roles_in(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> set[Role]:
    await load_roles(uow, caller)
    assert caller.roles_by_programme is not None
    roles = {Role(r) for r in caller.roles_by_programme.get(programme_id, frozenset())}
    if caller.is_org_admin:
        roles.add(Role.org_admin)
    return roles


async def peer_coach_programmes(uow: UnitOfWork, caller: Caller) -> set[uuid.UUID]:
    """The programmes where she coaches as a peer coach (ervaringscoach): a studying mother."""
    return await ProgrammeRepository(uow.session).peer_coach_programmes(caller.person_id)


def _acting_role(held: set[Role], allowed: Iterable[Role]) -> Role | None:
    # Prefer the narrowest role that suffices, so the access log says "staff" when she is staff.
    order = [
        Role.participant,
        Role.coach,
        Role.supervisor,
        Role.recovery_officer,
        Role.funder_viewer,
        Role.staff,
        Role.org_admin,
    ]
    allowed_set = set(allowed)
    for role in order:
        if role in held and role in allowed_set:
            return role
    return None


async def authorize(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, allowed: Iterable[Role]) -> Access:
    """Return the caller's access to a programme, or refuse.

    A programme of another organisation, or one where she holds no role, is "not found": we do
    not confirm that it exists. A role that does not allow the action is "forbidden".
    """
    repo = ProgrammeRepository(uow.session)
    programme = await repo.get_programme(caller.organisation_id, programme_id)
    if programme is None:
        raise NotFound()
    held = await roles_in(uow, caller, programme_id)
    if not held:
        raise NotFound()
    role = _acting_role(held, allowed)
    if role is None:
        raise Forbidden()
    return Access(ProgrammeScope(programme.organisation_id, programme.id, _MINT), role, programme)


async def require_org_admin(uow: UnitOfWork, caller: Caller) -> None:
    await load_roles(uow, caller)
    if not caller.is_org_admin:
        raise Forbidden(N_("Only an organisation administrator can do this."))


# Read models -------------------------------------------------------------------------------


def programme_read(programme: Programme) -> ProgrammeRead:
    return ProgrammeRead(
        id=programme.id,
        organisation_id=programme.organisation_id,
        name=programme.name,
        slug=programme.slug,
        municipality=programme.municipality,
        funder=programme.funder,
        time_zone=programme.time_zone,
        languages=list(programme.languages),
        trajectory_months=programme.trajectory_months,
        settings=ProgrammeSettings.model_validate(programme.settings or {}),
        archived=programme.archived,
        created_at=programme.created_at,
    )


def group_read(group: Group, member_count: int = 0) -> GroupRead:
    read = GroupRead.model_validate(group)
    read.member_count = member_count
    return read


# Organisation and programmes ---------------------------------------------------------------


async def get_organisation(uow: UnitOfWork, caller: Caller) -> OrganisationRead:
    organisation = await ProgrammeRepository(uow.session).get_organisation(caller.organisation_id)
    if organisation is None:
        raise NotFound()
    return OrganisationRead.model_validate(organisation)


async def list_programmes(uow: UnitOfWork, caller: Caller) -> list[ProgrammeRead]:
    """The programmes she may see: all of the organisation for an admin, else where she has a role."""
    await load_roles(uow, caller)
    assert caller.roles_by_programme is not None
    only = None if caller.is_org_admin else list(caller.roles_by_programme)
    programmes = await ProgrammeRepository(uow.session).list_programmes(caller.organisation_id, only)
    return [programme_read(p) for p in programmes]


async def get_programme(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> ProgrammeRead:
    access = await authorize(uow, caller, programme_id, Role)
    return programme_read(access.programme)


async def create_programme(uow: UnitOfWork, caller: Caller, data: ProgrammeCreate) -> ProgrammeRead:
    await require_org_admin(uow, caller)
    repo = ProgrammeRepository(uow.session)
    if await repo.find_programme_by_slug(caller.organisation_id, data.slug):
        raise Conflict(N_("A programme with this short name already exists."), field="slug")
    programme = Programme(
        organisation_id=caller.organisation_id,
        name=data.name,
        slug=data.slug,
        municipality=data.municipality,
        funder=data.funder,
        time_zone=data.time_zone,
        languages=data.languages,
        trajectory_months=data.trajectory_months,
        settings=data.settings.model_dump(),
    )
    uow.session.add(programme)
    await uow.flush()
    uow.emit(Event("programmes.created", {"programme_id": str(programme.id)}))
    return programme_read(programme)


async def update_programme(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, data: ProgrammeUpdate
) -> ProgrammeRead:
    access = await authorize(uow, caller, programme_id, MANAGING_ROLES)
    programme = access.programme
    changes = data.model_dump(exclude_unset=True)
    if "settings" in changes and data.settings is not None:
        programme.settings = data.settings.model_dump()
        changes.pop("settings")
    if "languages" in changes and data.languages is not None:
        languages = list(dict.fromkeys(["nl", *data.languages]))
        programme.languages = languages
        changes.pop("languages")
    for name, value in changes.items():
        if value is not None:
            setattr(programme, name, value)
    await uow.flush()
    return programme_read(programme)


# Groups ------------------------------------------------------------------------------------


async def list_groups(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> list[GroupRead]:
    access = await authorize(uow, caller, programme_id, MANAGING_ROLES | {Role.coach, Role.supervisor})
    rows = await ProgrammeRepository(uow.session).list_groups(access.scope)
    return [group_read(group, count) for group, count in rows]


async def create_group(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, data: GroupCreate) -> GroupRead:
    access = await authorize(uow, caller, programme_id, MANAGING_ROLES)
    repo = ProgrammeRepository(uow.session)
    if await repo.find_group_by_name(access.scope, data.name):
        raise Conflict(N_("A group with this name already exists in this programme."), field="name")
    group = Group(
        organisation_id=access.scope.organisation_id,
        programme_id=access.scope.programme_id,
        name=data.name,
        capacity=data.capacity,
        language_level=data.language_level.value,
        description=data.description,
    )
    uow.session.add(group)
    await uow.flush()
    return group_read(group)


async def update_group(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, group_id: uuid.UUID, data: GroupUpdate
) -> GroupRead:
    access = await authorize(uow, caller, programme_id, MANAGING_ROLES)
    repo = ProgrammeRepository(uow.session)
    group = await repo.get_group(access.scope, group_id)
    if group is None:
        raise NotFound()
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if (
        "name" in changes
        and changes["name"] != group.name
        and await repo.find_group_by_name(access.scope, changes["name"])
    ):
        raise Conflict(N_("A group with this name already exists in this programme."), field="name")
    members = await repo.group_member_ids(access.scope, group_id)
    if "capacity" in changes and changes["capacity"] < len(members):
        raise InvalidInput(
            N_("The group already has %(count)s members; the capacity cannot be lower."),
            params={"count": len(members)},
            field="capacity",
        )
    for name, value in changes.items():
        setattr(group, name, value.value if name == "language_level" else value)
    await uow.flush()
    return group_read(group, len(members))


@personal_data("group_membership")
async def list_group_members(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, group_id: uuid.UUID
) -> list[PersonRead]:
    access = await authorize(uow, caller, programme_id, MANAGING_ROLES | {Role.coach, Role.supervisor})
    repo = ProgrammeRepository(uow.session)
    if await repo.get_group(access.scope, group_id) is None:
        raise NotFound()
    ids = await repo.group_member_ids(access.scope, group_id)
    people = [p for p in await repo.people_in_programme(access.scope) if p.id in set(ids)]
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[p.id for p in people],
        record_kind="group_membership",
        action=Action.read,
        programme_id=programme_id,
    )
    return [PersonRead.model_validate(p) for p in people]


# Who may train a group: programme staff, or one of its coaches.
GROUP_TRAINER_ROLES = (Role.staff, Role.coach)


@personal_data("group_membership")
async def add_group_member(
    uow: UnitOfWork,
    caller: Caller,
    programme_id: uuid.UUID,
    group_id: uuid.UUID,
    person_id: uuid.UUID,
    *,
    role: str = "participant",
) -> None:
    """Put a participant (``role="participant"``) or the group's trainer (``"trainer"``: staff
    or a coach of the programme) in the group. Its signed member list is ``groups.store_record``'s."""
    access = await authorize(uow, caller, programme_id, MANAGING_ROLES)
    repo = ProgrammeRepository(uow.session)
    group = await repo.get_group(access.scope, group_id)
    if group is None:
        raise NotFound()
    field = "trainer_id" if role == "trainer" else "person_id"
    if role == "participant":
        if await repo.find_membership(access.scope, person_id, Role.participant) is None:
            raise InvalidInput(N_("Only participants of this programme can join a group."), field=field)
    elif role == "trainer":
        held = [await repo.find_membership(access.scope, person_id, r) for r in GROUP_TRAINER_ROLES]
        if not any(m is not None and m.active for m in held):
            raise InvalidInput(N_("A trainer must be programme staff or a coach of this programme."), field=field)
    else:
        raise InvalidInput(N_("Please choose from the list."), field="role")
    if await repo.get_group_member(access.scope, group_id, person_id) is not None:
        raise Conflict(N_("This person is already in this group."), field=field)
    if role == "participant" and len(await repo.group_member_ids(access.scope, group_id)) >= group.capacity:
        raise Conflict(N_("This group is full."), field=field)
    uow.session.add(
        GroupMember(
            group_id=group_id,
            person_id=person_id,
            organisation_id=access.scope.organisation_id,
            programme_id=access.scope.programme_id,
            role=role,
            created_at=utcnow(),
        )
    )
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[person_id],
        record_kind="group_membership",
        action=Action.create,
        programme_id=programme_id,
    )
    await uow.flush()
    uow.emit(
        Event(
            "programmes.group_member_added",
            {"programme_id": str(programme_id), "group_id": str(group_id), "person_id": str(person_id)},
        )
    )


@personal_data("group_membership")
async def remove_group_member(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, group_id: uuid.UUID, person_id: uuid.UUID
) -> None:
    access = await authorize(uow, caller, programme_id, MANAGING_ROLES)
    repo = ProgrammeRepository(uow.session)
    member = await repo.get_group_member(access.scope, group_id, person_id)
    if member is None:
        raise NotFound()
    await uow.session.delete(member)
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[person_id],
        record_kind="group_membership",
        action=Action.delete,
        programme_id=programme_id,
    )
    await uow.flush()
    uow.emit(
        Event(
            "programmes.group_member_removed",
            {"programme_id": str(programme_id), "group_id": str(group_id), "person_id": str(person_id)},
        )
    )


# People and memberships ----------------------------------------------------------------------


@personal_data("person")
async def list_people(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID
) -> list[tuple[PersonRead, list[MembershipRead]]]:
    access = await authorize(uow, caller, programme_id, MANAGING_ROLES)
    repo = ProgrammeRepository(uow.session)
    people = await repo.people_rows_in_programme(access.scope)
    memberships = await repo.membership_rows(access.scope)
    by_person: dict[uuid.UUID, list[MembershipRead]] = {}
    for m in memberships:
        by_person.setdefault(m.person_id, []).append(MembershipRead.model_validate(m))
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[p.id for p in people],
        record_kind="person",
        action=Action.read,
        programme_id=programme_id,
    )
    return [(PersonRead.model_validate(p), by_person.get(p.id, [])) for p in people]


@personal_data("person")
async def get_person(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, person_id: uuid.UUID
) -> tuple[PersonRead, list[MembershipRead]]:
    access = await authorize(uow, caller, programme_id, MANAGING_ROLES)
    repo = ProgrammeRepository(uow.session)
    person = await repo.get_person(access.scope.organisation_id, person_id)
    if person is None or not await repo.is_in_programme(access.scope, person_id):
        raise NotFound()
    memberships = await repo.list_memberships(access.scope, person_id=person_id)
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[person_id],
        record_kind="person",
        action=Action.read,
        programme_id=programme_id,
    )
    return PersonRead.model_validate(person), [MembershipRead.model_validate(m) for m in memberships]


@personal_data("person")
async def create_person(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, data: PersonWithRoleCreate
) -> PersonRead:
    """Add a person to the organisation with a first role in this programme."""
    access = await authorize(uow, caller, programme_id, MANAGING_ROLES)
    _check_role_grant(access.role, data.role)
    new = Person(organisation_id=access.scope.organisation_id, display_name=data.display_name, language=data.language)
    uow.session.add(new)
    await uow.flush()
    uow.session.add(
        Membership(
            organisation_id=access.scope.organisation_id,
            programme_id=access.scope.programme_id,
            person_id=new.id,
            role=data.role.value,
            coach_kind=data.coach_kind.value if data.coach_kind else None,
            peer_coach=data.peer_coach,
        )
    )
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[new.id],
        record_kind="person",
        action=Action.create,
        programme_id=programme_id,
    )
    await uow.flush()
    return PersonRead.model_validate(new)


@personal_data("person")
async def update_person(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, person_id: uuid.UUID, data: PersonUpdate
) -> PersonRead:
    access = await authorize(uow, caller, programme_id, MANAGING_ROLES)
    repo = ProgrammeRepository(uow.session)
    person = await repo.get_person(access.scope.organisation_id, person_id)
    if person is None or not await repo.is_in_programme(access.scope, person_id):
        raise NotFound()
    for name, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(person, name, value)
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[person_id],
        record_kind="person",
        action=Action.update,
        programme_id=programme_id,
    )
    await uow.flush()
    return PersonRead.model_validate(person)


def _check_role_grant(acting: Role, granted: Role) -> None:
    # Staff run a programme but do not make new staff; that is the organisation admin's call.
    if granted in (Role.staff, Role.recovery_officer) and acting is not Role.org_admin:
        raise Forbidden(N_("Only an organisation administrator can give this role."))


@personal_data("membership")
async def add_membership(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, data: MembershipCreate
) -> MembershipRead:
    access = await authorize(uow, caller, programme_id, MANAGING_ROLES)
    _check_role_grant(access.role, data.role)
    repo = ProgrammeRepository(uow.session)
    if await repo.get_person(access.scope.organisation_id, data.person_id) is None:
        raise NotFound(N_("This person is not part of your organisation."))
    if await repo.find_membership(access.scope, data.person_id, data.role.value) is not None:
        raise Conflict(N_("This person already has this role in this programme."), field="role")
    membership = Membership(
        organisation_id=access.scope.organisation_id,
        programme_id=access.scope.programme_id,
        person_id=data.person_id,
        role=data.role.value,
        coach_kind=data.coach_kind.value if data.coach_kind else None,
        peer_coach=data.peer_coach,
    )
    uow.session.add(membership)
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[data.person_id],
        record_kind="membership",
        action=Action.create,
        programme_id=programme_id,
    )
    await uow.flush()
    uow.emit(
        Event("programmes.membership_added", {"programme_id": str(programme_id), "person_id": str(data.person_id)})
    )
    return MembershipRead.model_validate(membership)


@personal_data("membership")
async def update_membership(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, membership_id: uuid.UUID, data: MembershipUpdate
) -> MembershipRead:
    """End or restore a role, or change a coach's kind and peer-coach flag."""
    access = await authorize(uow, caller, programme_id, MANAGING_ROLES)
    membership = await ProgrammeRepository(uow.session).get_membership(access.scope, membership_id)
    if membership is None:
        raise NotFound()
    _check_role_grant(access.role, Role(membership.role))
    if data.active is False and membership.person_id == caller.person_id:
        raise InvalidInput(N_("You cannot end your own role; ask another administrator."))
    if (data.coach_kind is not None or data.peer_coach) and membership.role != Role.coach:
        raise InvalidInput(N_("coach kind and peer coach apply to coaches only"))
    if data.active is not None:
        membership.active = data.active
    if data.coach_kind is not None:
        membership.coach_kind = data.coach_kind.value
    if data.peer_coach is not None:
        membership.peer_coach = data.peer_coach
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[membership.person_id],
        record_kind="membership",
        action=Action.update,
        programme_id=programme_id,
    )
    await uow.flush()
    # Chat caches who may read a conversation; a role switched off must stop serving at once.
    uow.emit(
        Event(
            "programmes.membership_updated",
            {"programme_id": str(programme_id), "person_id": str(membership.person_id)},
        )
    )
    return MembershipRead.model_validate(membership)


# Coach assignments -----------------------------------------------------------------------


def assignment_read(row: CoachAssignment) -> CoachAssignmentRead:
    return CoachAssignmentRead.model_validate(row)


def programme_today(programme: Programme) -> date:
    """Today in the programme's time zone (Curaçao and the Netherlands differ by hours)."""
    return utcnow().astimezone(ZoneInfo(programme.time_zone)).date()


@personal_data("coach_assignment")
async def list_assignments(
    uow: UnitOfWork,
    caller: Caller,
    programme_id: uuid.UUID,
    *,
    participant_id: uuid.UUID | None = None,
    counting: bool = False,
) -> list[CoachAssignmentRead]:
    """The assignments she may see, each with the name of whoever signed its record.

    ``counting``: only those that make their coach a reader today (``repository.counting_assignment``);
    what every feature asks before it lets a coach in.
    """
    access = await authorize(
        uow, caller, programme_id, MANAGING_ROLES | {Role.coach, Role.supervisor, Role.participant}
    )
    repo = ProgrammeRepository(uow.session)
    counting_on = programme_today(access.programme) if counting else None
    if access.role is Role.participant:
        rows = await repo.list_assignments(access.scope, participant_id=caller.person_id, counting_on=counting_on)
    elif access.role is Role.coach:
        rows = await repo.list_assignments(
            access.scope, coach_id=caller.person_id, participant_id=participant_id, counting_on=counting_on
        )
        if participant_id is not None and await repo.list_assignments(
            access.scope, coach_id=caller.person_id, participant_id=participant_id,
            counting_on=programme_today(access.programme),
        ):
            # He coaches her now: her other coaches' signed records too. His browser checks them
            # before it takes their word (a vouch for her new key) or shares with them.
            rows = await repo.list_assignments(access.scope, participant_id=participant_id, counting_on=counting_on)
    else:
        rows = await repo.list_assignments(access.scope, participant_id=participant_id, counting_on=counting_on)
    signers = {r.signed_by for r in rows if r.signed_by is not None}
    names = await repo.names_of(access.scope.organisation_id, list(signers))
    subjects = {r.participant_id for r in rows} | {r.coach_id for r in rows} | set(names)
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=subjects,
        record_kind="coach_assignment",
        action=Action.read,
        programme_id=programme_id,
    )
    reads = []
    for row in rows:
        read = assignment_read(row)
        read.signer_name = names.get(row.signed_by) if row.signed_by else None
        reads.append(read)
    return reads


@personal_data("coach_assignment")
async def create_assignment(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, data: CoachAssignmentCreate
) -> CoachAssignmentRead:
    access = await authorize(uow, caller, programme_id, MANAGING_ROLES)
    repo = ProgrammeRepository(uow.session)
    if await repo.find_membership(access.scope, data.participant_id, Role.participant) is None:
        raise InvalidInput(N_("Choose a participant of this programme."), field="participant_id")
    coach = await repo.find_membership(access.scope, data.coach_id, Role.coach)
    if coach is None or not coach.active:
        raise InvalidInput(N_("Choose a coach of this programme."), field="coach_id")
    if await repo.has_open_assignment(access.scope, data.participant_id, data.coach_id, data.kind.value):
        raise Conflict(N_("This coach is already assigned to her for this kind of coaching."))
    row = CoachAssignment(
        organisation_id=access.scope.organisation_id,
        programme_id=access.scope.programme_id,
        participant_id=data.participant_id,
        coach_id=data.coach_id,
        kind=data.kind.value,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        signed_record=data.signed_record,
        # The record's signer: the caller checked that it names her (check_assignment_record).
        signed_by=caller.person_id if data.signed_record else None,
        created_by=caller.person_id,
    )
    uow.session.add(row)
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[data.participant_id, data.coach_id],
        record_kind="coach_assignment",
        action=Action.create,
        programme_id=programme_id,
    )
    await uow.flush()
    uow.emit(
        Event(
            "programmes.assignment_created",
            {
                "programme_id": str(programme_id),
                "assignment_id": str(row.id),
                "participant_id": str(row.participant_id),
                "coach_id": str(row.coach_id),
            },
        )
    )
    return assignment_read(row)


@personal_data("coach_assignment")
async def end_assignment(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, assignment_id: uuid.UUID
) -> CoachAssignmentRead:
    access = await authorize(uow, caller, programme_id, MANAGING_ROLES)
    row = await ProgrammeRepository(uow.session).get_assignment(access.scope, assignment_id)
    if row is None:
        raise NotFound()
    if row.ended_at is not None:
        raise Conflict(N_("This assignment has already ended."))
    row.ended_at = utcnow()
    today = row.ended_at.date()
    if row.ends_on is None or row.ends_on > today:
        row.ends_on = max(today, row.starts_on)
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[row.participant_id, row.coach_id],
        record_kind="coach_assignment",
        action=Action.update,
        programme_id=programme_id,
    )
    await uow.flush()
    uow.emit(
        Event(
            "programmes.assignment_ended",
            {
                "programme_id": str(programme_id),
                "assignment_id": str(row.id),
                "participant_id": str(row.participant_id),
                "coach_id": str(row.coach_id),
            },
        )
    )
    return assignment_read(row)


@personal_data("coach_assignment")
async def sign_assignment(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, assignment_id: uuid.UUID, signed_record: str
) -> CoachAssignmentRead:
    """Keep a record a staff browser signed for an existing assignment (made unsigned, ended, or
    waiting for a second signature because its coach signed it himself).

    The caller checks the record first (trust.service.check_assignment_record: it names her as
    its signer, so she becomes ``signed_by``): this feature knows the assignment, trust knows
    the keys. A coach never replaces someone else's signature on his own current assignment; his
    own record would make it wait for a second signature again.
    """
    access = await authorize(uow, caller, programme_id, MANAGING_ROLES)
    row = await ProgrammeRepository(uow.session).get_assignment(access.scope, assignment_id)
    if row is None:
        raise NotFound()
    if (
        caller.person_id == row.coach_id
        and row.ended_at is None
        and row.signed_by is not None
        and row.signed_by != row.coach_id
    ):
        raise Forbidden(
            N_("You are the coach in this assignment, so your signature cannot replace the one it has.")
        )
    row.signed_record = signed_record
    row.signed_by = caller.person_id
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[row.participant_id, row.coach_id],
        record_kind="coach_assignment",
        action=Action.update,
        programme_id=programme_id,
    )
    await uow.flush()
    # Who reads may have changed (a second signature lets the coach in): caches are dropped.
    uow.emit(
        Event(
            "programmes.assignment_signed",
            {
                "programme_id": str(programme_id),
                "assignment_id": str(row.id),
                "participant_id": str(row.participant_id),
                "coach_id": str(row.coach_id),
            },
        )
    )
    return assignment_read(row)


# Used by the demo loader and `create-admin`: they act as the system, not as a person.


async def ensure_organisation(uow: UnitOfWork, name: str) -> Organisation:
    repo = ProgrammeRepository(uow.session)
    existing = await repo.first_organisation()
    if existing is not None:
        return existing
    organisation = Organisation(name=name)
    uow.session.add(organisation)
    await uow.flush()
    return organisation


async def add_org_admin(uow: UnitOfWork, organisation_id: uuid.UUID, person_id: uuid.UUID) -> None:
    uow.session.add(OrganisationAdmin(organisation_id=organisation_id, person_id=person_id))
    await uow.flush()


@personal_data("person")
async def display_names(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, person_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """Names of people of this programme, for lists that coaches and staff work from.

    A participant gets only the names of her own current coaches.
    """
    access = await authorize(
        uow, caller, programme_id, MANAGING_ROLES | {Role.coach, Role.supervisor, Role.participant}
    )
    repo = ProgrammeRepository(uow.session)
    wanted = set(person_ids)
    if access.role is Role.participant:
        mine = await repo.list_assignments(access.scope, participant_id=caller.person_id)
        wanted &= {a.coach_id for a in mine if a.ended_at is None}
    people = await repo.names_in_programme(access.scope, wanted)
    record_access(
        uow, caller, role=access.role, subjects=[person_id for person_id, _ in people],
        record_kind="person", action=Action.read, programme_id=programme_id,
    )
    return dict(people)
