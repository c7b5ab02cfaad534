"""How to call each service that reads or changes personal data, for the access-log walk.

Every function marked ``@personal_data`` must have a scenario here (the walk fails otherwise).
A scenario acts as a person of the test world and calls the function once; the walk then checks
that the access log gained a row of the function's record kind for that person.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

from eportfolio.domain.people import (
    CoachAssignmentCreate,
    MembershipCreate,
    MembershipUpdate,
    PersonUpdate,
    PersonWithRoleCreate,
    Role,
)
from eportfolio.kit.auth import Caller
from eportfolio.kit.uow import UnitOfWork
from eportfolio.programmes import groups
from eportfolio.programmes import service as programmes
from tests.support.world import World

ScenarioCall = Callable[[UnitOfWork, Caller, World], Awaitable[object]]


@dataclass(frozen=True)
class Scenario:
    actor: Callable[[World], uuid.UUID]
    call: ScenarioCall
    setup: ScenarioCall | None = None


SCENARIOS: dict[str, Scenario] = {}


def scenario(
    name: str, actor: Callable[[World], uuid.UUID], setup: ScenarioCall | None = None
) -> Callable[[ScenarioCall], ScenarioCall]:
    def register(call: ScenarioCall) -> ScenarioCall:
        SCENARIOS[name] = Scenario(actor, call, setup)
        return call

    return register


P = "eportfolio.programmes.service."


@scenario(P + "list_group_members", lambda w: w.staff_a)
async def _list_group_members(uow: UnitOfWork, caller: Caller, w: World) -> object:
    await programmes.add_group_member(uow, caller, w.programme_a, w.group_a, w.participant_a)
    return await programmes.list_group_members(uow, caller, w.programme_a, w.group_a)


@scenario(P + "add_group_member", lambda w: w.staff_a)
async def _add_group_member(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await programmes.add_group_member(uow, caller, w.programme_a, w.group_a, w.participant_a)


async def _join_group(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await programmes.add_group_member(uow, caller, w.programme_a, w.group_a, w.participant_a)


@scenario(P + "remove_group_member", lambda w: w.staff_a, setup=_join_group)
async def _remove_group_member(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await programmes.remove_group_member(uow, caller, w.programme_a, w.group_a, w.participant_a)


@scenario("eportfolio.programmes.groups.members", lambda w: w.staff_a, setup=_join_group)
async def _group_people(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await groups.members(uow, caller, w.programme_a, w.group_a)


@scenario(P + "list_people", lambda w: w.staff_a)
async def _list_people(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await programmes.list_people(uow, caller, w.programme_a)


@scenario(P + "get_person", lambda w: w.staff_a)
async def _get_person(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await programmes.get_person(uow, caller, w.programme_a, w.participant_a)


@scenario(P + "create_person", lambda w: w.staff_a)
async def _create_person(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await programmes.create_person(
        uow, caller, w.programme_a, PersonWithRoleCreate(display_name="New mother", role=Role.participant)
    )


@scenario(P + "update_person", lambda w: w.staff_a)
async def _update_person(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await programmes.update_person(uow, caller, w.programme_a, w.participant_a, PersonUpdate(language="en"))


@scenario(P + "add_membership", lambda w: w.staff_a)
async def _add_membership(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await programmes.add_membership(
        uow, caller, w.programme_a, MembershipCreate(person_id=w.participant_a, role=Role.funder_viewer)
    )


@scenario(P + "update_membership", lambda w: w.staff_a)
async def _update_membership(uow: UnitOfWork, caller: Caller, w: World) -> object:
    _, memberships = await programmes.get_person(uow, caller, w.programme_a, w.coach_a)
    return await programmes.update_membership(
        uow, caller, w.programme_a, memberships[0].id, MembershipUpdate(peer_coach=False)
    )


@scenario(P + "list_assignments", lambda w: w.coach_a)
async def _list_assignments(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await programmes.list_assignments(uow, caller, w.programme_a)


@scenario(P + "create_assignment", lambda w: w.staff_a)
async def _create_assignment(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await programmes.create_assignment(
        uow,
        caller,
        w.programme_a,
        CoachAssignmentCreate(participant_id=w.participant_a2, coach_id=w.coach_a, starts_on=date(2026, 3, 1)),
    )


@scenario(P + "end_assignment", lambda w: w.staff_a)
async def _end_assignment(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await programmes.end_assignment(uow, caller, w.programme_a, w.assignment_a)


@scenario(P + "sign_assignment", lambda w: w.staff_a)
async def _sign_assignment(uow: UnitOfWork, caller: Caller, w: World) -> object:
    # The page checks the record first (trust.service.check_assignment_record); this only keeps it.
    return await programmes.sign_assignment(uow, caller, w.programme_a, w.assignment_a, "signed-by-staff")


@scenario(P + "display_names", lambda w: w.coach_a)
async def _display_names(uow: UnitOfWork, caller: Caller, w: World) -> object:
    return await programmes.display_names(uow, caller, w.programme_a, [w.participant_a])


INV = "eportfolio.invitations.service."
TRUST = "eportfolio.trust.service."


@scenario(INV + "create_invitation", lambda w: w.staff_a)
async def _create_invitation(uow: UnitOfWork, caller: Caller, w: World) -> object:
    from eportfolio.domain.accounts import InvitationCreate
    from eportfolio.invitations import service as invitations

    return await invitations.create_invitation(
        uow, caller, w.programme_a, InvitationCreate(person_id=w.participant_a2, role=Role.participant)
    )


@scenario(INV + "withdraw_invitation", lambda w: w.staff_a)
async def _withdraw_invitation(uow: UnitOfWork, caller: Caller, w: World) -> object:
    from eportfolio.domain.accounts import InvitationCreate
    from eportfolio.invitations import service as invitations

    created = await invitations.create_invitation(
        uow, caller, w.programme_a, InvitationCreate(person_id=w.participant_a2, role=Role.participant)
    )
    return await invitations.withdraw_invitation(uow, caller, w.programme_a, created.invitation.id)


@scenario(INV + "list_invitations", lambda w: w.staff_a, setup=_create_invitation)
async def _list_invitations(uow: UnitOfWork, caller: Caller, w: World) -> object:
    from eportfolio.invitations import service as invitations

    return await invitations.list_invitations(uow, caller, w.programme_a)


def _add_account(uow: UnitOfWork, person_id: uuid.UUID, login: str) -> None:
    from eportfolio import crypto
    from eportfolio.accounts.tables import Account

    made = crypto.Identity.create(
        login, "a password of theirs", user_id=str(person_id),
        params=crypto.KdfParams.new(8, 1, 1), allow_test_params=True,
    )
    uow.session.add(
        Account(
            person_id=person_id, login=login, salt_seed=b"\x00" * 16, kdf_params={}, auth_hash="-",
            key_bundle=made.bundle, public_identity=made.public_identity,
        )
    )


async def _coach_account(uow: UnitOfWork, caller: Caller, w: World) -> object:
    _add_account(uow, w.coach_a, "coach.a")
    return None


async def _staff_account(uow: UnitOfWork, caller: Caller, w: World) -> object:
    _add_account(uow, w.staff_b, "staff.b")
    return None


@scenario(INV + "promote_org_admin", lambda w: w.admin, setup=_staff_account)
async def _promote_org_admin(uow: UnitOfWork, caller: Caller, w: World) -> object:
    from eportfolio.invitations import service as invitations

    return await invitations.promote_org_admin(uow, caller, w.staff_b)


@scenario(TRUST + "public_identity", lambda w: w.staff_a, setup=_coach_account)
async def _public_identity(uow: UnitOfWork, caller: Caller, w: World) -> object:
    from eportfolio.trust import service as trust

    return await trust.public_identity(uow, caller, w.programme_a, w.coach_a)


async def _second_admin_account(uow: UnitOfWork, caller: Caller, w: World) -> object:
    from eportfolio.programmes.tables import OrganisationAdmin

    await _coach_account(uow, caller, w)
    uow.session.add(OrganisationAdmin(organisation_id=w.organisation_id, person_id=w.coach_a))
    return None


@scenario(TRUST + "admin_public_identity", lambda w: w.admin, setup=_second_admin_account)
async def _admin_public_identity(uow: UnitOfWork, caller: Caller, w: World) -> object:
    from eportfolio.trust import service as trust

    return await trust.admin_public_identity(uow, caller, w.coach_a)



async def _organisation_key(uow: UnitOfWork, caller: Caller, w: World) -> object:
    from eportfolio.trust.tables import OrganisationKey

    uow.session.add(OrganisationKey(organisation_id=w.organisation_id, ed25519_public=b"\x01" * 32, created_by=w.admin))
    return None


@scenario(INV + "invite_org_admin", lambda w: w.admin, setup=_organisation_key)
async def _invite_org_admin(uow: UnitOfWork, caller: Caller, w: World) -> object:
    from eportfolio.domain.accounts import AdminInvitationCreate
    from eportfolio.invitations import service as invitations

    return await invitations.invite_org_admin(uow, caller, AdminInvitationCreate(person_id=w.staff_b))


@scenario(INV + "admin_invitation_choices", lambda w: w.admin)
async def _admin_invitation_choices(uow: UnitOfWork, caller: Caller, w: World) -> object:
    from eportfolio.invitations import service as invitations

    return await invitations.admin_invitation_choices(uow, caller)


@scenario(INV + "withdraw_admin_invitation", lambda w: w.admin, setup=_organisation_key)
async def _withdraw_admin_invitation(uow: UnitOfWork, caller: Caller, w: World) -> object:
    from eportfolio.domain.accounts import AdminInvitationCreate
    from eportfolio.invitations import service as invitations

    created = await invitations.invite_org_admin(uow, caller, AdminInvitationCreate(display_name="Noor"))
    return await invitations.withdraw_admin_invitation(uow, caller, created.invitation.id)


# Scenarios of other features live next to their helpers and register themselves here.
from tests.support import (  # noqa: E402, F401 - imported for their registration, after the registry exists
    appointment_scenarios,
    caseload_scenarios,
    chat_scenarios,
    intake_scenarios,
    measurement_scenarios,
    module_scenarios,
    portfolio_scenarios,
    recovery_scenarios,
    trajectory_scenarios,
    workshop_scenarios,
)
