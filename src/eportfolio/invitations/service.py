"""Use cases of the invitations feature: inviting a person of a programme (or a new organisation
administrator), the printable code, withdrawing it, and accepting it by signing up.

An invitation is a one-time code (only its hash is stored); accepting it makes her account
(``accounts``) and, for the very first administrator, the organisation key (``trust``), all in one
transaction, so a refused sign-up keeps nothing and the invitation still works.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eportfolio import crypto
from eportfolio.accounts import service as accounts
from eportfolio.domain.accounts import (
    AdminInvitationChoices,
    AdminInvitationCreate,
    InvitationCreate,
    InvitationCreated,
    InvitationPreview,
    InvitationRead,
    OrganisationAdminRead,
    SignUpRequest,
)
from eportfolio.domain.people import MANAGING_ROLES, Role
from eportfolio.invitations import codes
from eportfolio.invitations.repository import InvitationRepository
from eportfolio.invitations.tables import Invitation
from eportfolio.kit.audit import Action, personal_data, record_access
from eportfolio.kit.auth import Caller
from eportfolio.kit.clock import utcnow
from eportfolio.kit.errors import N_, Conflict, Forbidden, Gone, InvalidInput, NotFound
from eportfolio.kit.uow import UnitOfWork, unit_of_work
from eportfolio.programmes import service as programmes
from eportfolio.programmes.service import ensure_organisation
from eportfolio.programmes.tables import Person
from eportfolio.trust import service as trust

DEFAULT_ORGANISATION = "Our organisation"


async def create_first_admin_invitation(
    sessionmaker: async_sessionmaker[AsyncSession], *, organisation_name: str | None, display_name: str
) -> tuple[str, str]:
    """Make the person and a one-time invitation for the first organisation admin.

    Refuses when an organisation admin already has an account: from then on admins invite admins,
    so nobody with shell access can quietly add a reader (see docs/crypto-spec.md, root of trust).
    """
    async with unit_of_work(sessionmaker) as uow:
        organisation = await ensure_organisation(uow, organisation_name or DEFAULT_ORGANISATION)
        if await accounts.has_admin_with_account(uow, organisation.id):
            raise Conflict(N_("An organisation administrator exists already; she can invite other administrators."))
        person = Person(organisation_id=organisation.id, display_name=display_name[:120], language="nl")
        uow.session.add(person)
        await uow.flush()
        code, invitation = _new_invitation(organisation.id, None, person.id, Role.org_admin, None)
        uow.session.add(invitation)
    return code, invitation.expires_at.date().isoformat()


def _new_invitation(
    organisation_id: uuid.UUID,
    programme_id: uuid.UUID | None,
    person_id: uuid.UUID,
    role: Role,
    created_by: uuid.UUID | None,
) -> tuple[str, Invitation]:
    code = codes.new_code()
    code_hash = codes.code_hash(code)
    assert code_hash is not None
    now = utcnow()
    return code, Invitation(
        code_hash=code_hash,
        organisation_id=organisation_id,
        programme_id=programme_id,
        person_id=person_id,
        role=role.value,
        created_by=created_by,
        created_at=now,
        expires_at=now + timedelta(days=codes.VALID_DAYS),
    )


def _check_role_grant(acting: Role, granted: Role) -> None:
    # The same rule as for giving a role: staff do not make new staff or recovery officers.
    if granted in (Role.staff, Role.recovery_officer) and acting is not Role.org_admin:
        raise Forbidden(N_("Only an organisation administrator can give this role."))


@personal_data("invitation")
async def create_invitation(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, data: InvitationCreate
) -> InvitationCreated:
    """Invite a person of this programme to join in the role she holds there."""
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    if data.role is Role.org_admin:
        raise InvalidInput(N_("Organisation administrators are invited by another administrator."), field="role")
    _check_role_grant(access.role, data.role)
    person, memberships = await programmes.get_person(uow, caller, programme_id, data.person_id)
    if not any(m.role is data.role and m.active for m in memberships):
        raise InvalidInput(
            N_("She does not have this role in this programme yet; give her the role first."), field="role"
        )
    if await accounts.account_of_person(uow, person.id) is not None:
        raise Conflict(N_("She has an account already; she can log in with it."), field="person_id")
    code, invitation = _new_invitation(
        access.scope.organisation_id, programme_id, person.id, data.role, caller.person_id
    )
    uow.session.add(invitation)
    record_access(
        uow, caller, role=access.role, subjects=[person.id],
        record_kind="invitation", action=Action.create, programme_id=programme_id,
    )
    await uow.flush()
    org_key = await trust.organisation_public_key(uow, access.scope.organisation_id)
    return _invitation_created(code, invitation, access.scope.organisation_id, org_key)


@personal_data("invitation")
async def list_invitations(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> list[InvitationRead]:
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    rows = await InvitationRepository(uow.session).list_invitations(access.scope.organisation_id, programme_id)
    record_access(
        uow, caller, role=access.role, subjects=[r.person_id for r in rows],
        record_kind="invitation", action=Action.read, programme_id=programme_id,
    )
    return [InvitationRead.model_validate(r) for r in rows]


@personal_data("invitation")
async def withdraw_invitation(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, invitation_id: uuid.UUID
) -> None:
    """Withdraw an unused invitation (lost, or handed to the wrong person): its code stops working."""
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    repo = InvitationRepository(uow.session)
    invitation = await repo.invitation_in_programme(access.scope.organisation_id, programme_id, invitation_id)
    if invitation is None:
        raise NotFound(N_("This invitation does not exist (any more)."))
    if invitation.used_at is not None:
        raise Conflict(N_("She has joined with this invitation already, so it cannot be withdrawn."))
    await uow.session.delete(invitation)
    record_access(
        uow, caller, role=access.role, subjects=[invitation.person_id],
        record_kind="invitation", action=Action.delete, programme_id=programme_id,
    )
    await uow.flush()


# Inviting organisation administrators (admins only) ----------------------------------------


def _invitation_created(
    code: str, invitation: Invitation, organisation_id: uuid.UUID, org_key: bytes | None
) -> InvitationCreated:
    return InvitationCreated(
        invitation=InvitationRead.model_validate(invitation),
        code=code,
        organisation_fingerprint=trust.organisation_fingerprint(organisation_id, org_key) if org_key else None,
    )


@personal_data("invitation")
async def invite_org_admin(uow: UnitOfWork, caller: Caller, data: AdminInvitationCreate) -> InvitationCreated:
    """An admin invites a person of the organisation (or a new person) to become an administrator.

    She becomes one only when she signs up with the invitation; she then pins the organisation
    key that exists, and an admin's browser passes it to her.
    """
    await programmes.require_org_admin(uow, caller)
    organisation_id = caller.organisation_id
    org_key = await trust.organisation_public_key(uow, organisation_id)
    if org_key is None:
        raise Conflict(N_("The organisation key has not been made yet; an administrator logs in first."))
    if data.person_id is not None:
        person = await accounts.person_in_organisation(uow, organisation_id, data.person_id)
        if person is None:
            raise NotFound(N_("This person is not part of your organisation."), field="person_id")
        if await accounts.account_of_person(uow, person.id) is not None:
            raise Conflict(N_("She has an account already, so she cannot be invited."), field="person_id")
    elif data.display_name:
        person = Person(organisation_id=organisation_id, display_name=data.display_name, language="nl")
        uow.session.add(person)
        await uow.flush()
    else:
        raise InvalidInput(N_("Choose a person or write the name of a new person."), field="display_name")
    code, invitation = _new_invitation(organisation_id, None, person.id, Role.org_admin, caller.person_id)
    uow.session.add(invitation)
    record_access(
        uow, caller, role=Role.org_admin, subjects=[person.id], record_kind="invitation", action=Action.create,
    )
    await uow.flush()
    return _invitation_created(code, invitation, organisation_id, org_key)


@personal_data("invitation")
async def admin_invitation_choices(uow: UnitOfWork, caller: Caller) -> AdminInvitationChoices:
    """The administrators, staff without an account who could be invited, and open admin invitations."""
    admins = await trust.organisation_key_holders(uow, caller)
    repo = InvitationRepository(uow.session)
    pending = await repo.open_admin_invitations(caller.organisation_id, utcnow())
    names = {a.person_id: a.display_name for a in admins}
    for invitation in pending:
        if invitation.person_id not in names:
            person = await accounts.person(uow, invitation.person_id)
            names[invitation.person_id] = person.display_name if person else ""
    admin_ids = {a.person_id for a in admins if a.has_account}
    candidates = [
        OrganisationAdminRead(person_id=p.id, display_name=p.display_name, has_account=False, holds_key=False)
        for p in await accounts.staff_without_account(uow, caller.organisation_id)
        if p.id not in admin_ids
    ]
    candidates += [a for a in admins if not a.has_account and a.person_id not in {c.person_id for c in candidates}]
    all_admins = {a.person_id for a in admins}
    promotable = [
        OrganisationAdminRead(person_id=p.id, display_name=p.display_name, has_account=True, holds_key=False)
        for p in await accounts.staff_with_account(uow, caller.organisation_id)
        if p.id not in all_admins
    ]
    record_access(
        uow,
        caller,
        role=Role.org_admin,
        subjects=[i.person_id for i in pending] + [c.person_id for c in [*candidates, *promotable]],
        record_kind="invitation",
        action=Action.read,
    )
    return AdminInvitationChoices(
        admins=admins,
        candidates=sorted(candidates, key=lambda c: c.display_name),
        pending=[InvitationRead.model_validate(i) for i in pending],
        names=names,
        promotable=promotable,
    )


@personal_data("org_admin")
async def promote_org_admin(uow: UnitOfWork, caller: Caller, person_id: uuid.UUID) -> None:
    """Make a staff member who has an account an administrator, without a new invitation.

    She pinned the organisation key when she signed up, so an administrator's browser that holds
    the key can pass it to her on the organisation key page; until then she manages the
    organisation but cannot sign with its key.
    """
    await programmes.require_org_admin(uow, caller)
    staff = {p.id: p for p in await accounts.staff_with_account(uow, caller.organisation_id)}
    if person_id not in staff:
        raise NotFound(
            N_("Only a staff member of your organisation who has an account can be made administrator here."),
            field="person_id",
        )
    if person_id in {a.person_id for a in await trust.organisation_key_holders(uow, caller)}:
        raise Conflict(N_("She is an administrator already."), field="person_id")
    await programmes.add_org_admin(uow, caller.organisation_id, person_id)
    record_access(
        uow, caller, role=Role.org_admin, subjects=[person_id], record_kind="org_admin", action=Action.create
    )
    await uow.flush()


@personal_data("invitation")
async def withdraw_admin_invitation(uow: UnitOfWork, caller: Caller, invitation_id: uuid.UUID) -> None:
    """Withdraw an unused administrator invitation: its code stops working."""
    await programmes.require_org_admin(uow, caller)
    repo = InvitationRepository(uow.session)
    invitation = next(
        (i for i in await repo.open_admin_invitations(caller.organisation_id, utcnow()) if i.id == invitation_id), None
    )
    if invitation is None:
        raise NotFound(N_("This invitation does not exist (any more)."))
    await uow.session.delete(invitation)
    record_access(
        uow, caller, role=Role.org_admin, subjects=[invitation.person_id], record_kind="invitation",
        action=Action.delete,
    )
    await uow.flush()


async def _live_invitation(repo: InvitationRepository, code: str) -> Invitation:
    code_hash = codes.code_hash(code)
    invitation = await repo.invitation_by_hash(code_hash) if code_hash else None
    if invitation is None:
        raise NotFound(
            N_("We do not know this invitation code. Check it, or ask the programme for a new invitation."),
            field="invitation_code",
        )
    if invitation.used_at is not None:
        raise Gone(N_("This invitation has been used already. Log in, or ask for a new invitation."),
                   field="invitation_code")
    if invitation.expires_at <= utcnow():
        raise Gone(N_("This invitation has expired. Ask the programme for a new one."), field="invitation_code")
    return invitation


async def preview_invitation(uow: UnitOfWork, code: str) -> InvitationPreview:
    """What the sign-up page needs: who is invited, and the organisation key to check and pin."""
    repo = InvitationRepository(uow.session)
    invitation = await _live_invitation(repo, code)
    person = await accounts.person(uow, invitation.person_id)
    organisation = await accounts.organisation(uow, invitation.organisation_id)
    assert person is not None
    assert organisation is not None
    programme = (
        await accounts.programme(uow, invitation.organisation_id, invitation.programme_id)
        if invitation.programme_id else None
    )
    org_key = await trust.organisation_public_key(uow, invitation.organisation_id)
    return InvitationPreview(
        person_id=person.id,
        display_name=person.display_name,
        organisation_id=organisation.id,
        organisation_name=organisation.name,
        programme_id=programme.id if programme else None,
        programme_name=programme.name if programme else None,
        role=Role(invitation.role),
        expires_at=invitation.expires_at,
        organisation_key=crypto.b64u_encode(org_key) if org_key else None,
        organisation_fingerprint=trust.organisation_fingerprint(invitation.organisation_id, org_key)
        if org_key else None,
    )


# Accepting an invitation: sign-up --------------------------------------------------------------


async def accept_invitation(uow: UnitOfWork, client: accounts.Client, data: SignUpRequest) -> accounts.Started:
    """Sign up with an invitation code.

    One transaction: if anything is refused, nothing is kept and the invitation still works.
    """
    repo = InvitationRepository(uow.session)
    invitation = await _live_invitation(repo, data.invitation_code)
    new_account = await accounts.check_sign_up(uow, client, invitation.person_id, data)
    if invitation.role == Role.org_admin:
        # She becomes an administrator with this sign-up; only the very first one makes the key.
        if not await accounts.is_org_admin(uow, invitation.organisation_id, invitation.person_id):
            accounts.add_org_admin(uow, invitation.organisation_id, invitation.person_id)
        await trust.first_organisation_key(
            uow,
            invitation.organisation_id,
            invitation.person_id,
            data.organisation_key,
            invited_by_admin=invitation.created_by is not None,
        )
    elif data.organisation_key is not None:
        raise InvalidInput(N_("Only the first organisation administrator makes the organisation key."),
                           field="organisation_key")

    now = utcnow()
    if not await repo.use_invitation(invitation.id, now):
        raise Gone(N_("This invitation has been used already. Log in, or ask for a new invitation."),
                   field="invitation_code")
    return await accounts.open_account(uow, client, new_account, now)
