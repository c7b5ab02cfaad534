"""JSON routes of the programmes feature under /api/v1/programmes."""

from __future__ import annotations

import uuid

from eportfolio.domain.accounts import AssignmentFacts
from eportfolio.domain.people import (
    CoachAssignmentCreate,
    CoachAssignmentRead,
    MembershipCreate,
    MembershipRead,
    MembershipUpdate,
    PersonRead,
    PersonUpdate,
    PersonWithMemberships,
    PersonWithRoleCreate,
)
from eportfolio.domain.programmes import (
    GroupCreate,
    GroupMemberChange,
    GroupRead,
    GroupRecordCreate,
    GroupRecordRead,
    GroupUpdate,
    ProgrammeCreate,
    ProgrammeRead,
    ProgrammeUpdate,
)
from eportfolio.kit.auth import CallerDep
from eportfolio.kit.errors import N_, InvalidInput
from eportfolio.kit.uow import UowDep
from eportfolio.kit.web import api_router
from eportfolio.programmes import groups, service
from eportfolio.trust import service as trust

router = api_router("/programmes", "programmes")


@router.get("")
async def list_programmes(uow: UowDep, caller: CallerDep) -> list[ProgrammeRead]:
    return await service.list_programmes(uow, caller)


@router.post("", status_code=201)
async def create_programme(uow: UowDep, caller: CallerDep, data: ProgrammeCreate) -> ProgrammeRead:
    return await service.create_programme(uow, caller, data)


@router.get("/{programme_id}")
async def get_programme(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> ProgrammeRead:
    return await service.get_programme(uow, caller, programme_id)


@router.patch("/{programme_id}")
async def update_programme(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, data: ProgrammeUpdate
) -> ProgrammeRead:
    return await service.update_programme(uow, caller, programme_id, data)


@router.get("/{programme_id}/groups")
async def list_groups(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> list[GroupRead]:
    return await service.list_groups(uow, caller, programme_id)


@router.post("/{programme_id}/groups", status_code=201)
async def create_group(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, data: GroupCreate) -> GroupRead:
    return await service.create_group(uow, caller, programme_id, data)


@router.patch("/{programme_id}/groups/{group_id}")
async def update_group(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, group_id: uuid.UUID, data: GroupUpdate
) -> GroupRead:
    return await service.update_group(uow, caller, programme_id, group_id, data)


@router.get("/{programme_id}/groups/{group_id}/members")
async def list_group_members(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, group_id: uuid.UUID
) -> list[PersonRead]:
    return await service.list_group_members(uow, caller, programme_id, group_id)


@router.put("/{programme_id}/groups/{group_id}/members/{person_id}", status_code=204)
async def add_group_member(
    uow: UowDep,
    caller: CallerDep,
    programme_id: uuid.UUID,
    group_id: uuid.UUID,
    person_id: uuid.UUID,
    data: GroupMemberChange | None = None,
) -> None:
    """A participant (or, with ``role: trainer``, the group's trainer); with ``signed_record``,
    the group's member list after the change, signed in a staff browser (refused as a whole when
    it does not check out)."""
    change = data or GroupMemberChange()
    await groups.add_member(
        uow, caller, programme_id, group_id, person_id, role=change.role.value, signed_record=change.signed_record
    )


@router.delete("/{programme_id}/groups/{group_id}/members/{person_id}", status_code=204)
async def remove_group_member(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, group_id: uuid.UUID, person_id: uuid.UUID
) -> None:
    await groups.remove_member(uow, caller, programme_id, group_id, person_id)


@router.get("/{programme_id}/groups/{group_id}/membership-record")
async def group_record(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, group_id: uuid.UUID) -> GroupRecordRead:
    """The group's people and its newest signed member list, for a staff browser that signs."""
    return await groups.record_read(uow, caller, programme_id, group_id)


@router.put("/{programme_id}/groups/{group_id}/membership-record")
async def sign_group(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, group_id: uuid.UUID, data: GroupRecordCreate
) -> GroupRecordRead:
    """Store the group's member list as it is now, signed in a staff browser with the programme key."""
    await groups.sign_group(uow, caller, programme_id, group_id, data.signed_record)
    return await groups.record_read(uow, caller, programme_id, group_id)


@router.get("/{programme_id}/people")
async def list_people(uow: UowDep, caller: CallerDep, programme_id: uuid.UUID) -> list[PersonWithMemberships]:
    rows = await service.list_people(uow, caller, programme_id)
    return [PersonWithMemberships(person=p, memberships=m) for p, m in rows]


@router.post("/{programme_id}/people", status_code=201)
async def create_person(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, data: PersonWithRoleCreate
) -> PersonRead:
    return await service.create_person(uow, caller, programme_id, data)


@router.get("/{programme_id}/people/{person_id}")
async def get_person(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, person_id: uuid.UUID
) -> PersonWithMemberships:
    person, memberships = await service.get_person(uow, caller, programme_id, person_id)
    return PersonWithMemberships(person=person, memberships=memberships)


@router.patch("/{programme_id}/people/{person_id}")
async def update_person(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, person_id: uuid.UUID, data: PersonUpdate
) -> PersonRead:
    return await service.update_person(uow, caller, programme_id, person_id, data)


@router.post("/{programme_id}/memberships", status_code=201)
async def add_membership(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, data: MembershipCreate
) -> MembershipRead:
    return await service.add_membership(uow, caller, programme_id, data)


@router.patch("/{programme_id}/memberships/{membership_id}")
async def update_membership(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, membership_id: uuid.UUID, data: MembershipUpdate
) -> MembershipRead:
    return await service.update_membership(uow, caller, programme_id, membership_id, data)


@router.get("/{programme_id}/coach-assignments")
async def list_assignments(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, participant_id: uuid.UUID | None = None
) -> list[CoachAssignmentRead]:
    return await service.list_assignments(uow, caller, programme_id, participant_id=participant_id)


@router.post("/{programme_id}/coach-assignments", status_code=201)
async def create_assignment(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, data: CoachAssignmentCreate
) -> CoachAssignmentRead:
    """Make a coach assignment with its record signed in a staff browser; the record must check out,
    as on the page, or nothing is saved. Without one it is refused: an unsigned assignment gives
    nobody anything, so the API does not make one (the page keeps one waiting for a key holder)."""
    if data.signed_record is None:
        raise InvalidInput(
            N_(
                "A coach assignment needs its record signed with the programme key in a staff member's browser. "
                "Send it in signed_record; nothing was saved."
            ),
            field="signed_record",
        )
    await trust.check_assignment_record(uow, caller, programme_id, AssignmentFacts.of(data), data.signed_record)
    return await service.create_assignment(uow, caller, programme_id, data)


@router.post("/{programme_id}/coach-assignments/{assignment_id}/end")
async def end_assignment(
    uow: UowDep, caller: CallerDep, programme_id: uuid.UUID, assignment_id: uuid.UUID
) -> CoachAssignmentRead:
    return await service.end_assignment(uow, caller, programme_id, assignment_id)
