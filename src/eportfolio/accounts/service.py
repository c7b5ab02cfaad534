"""Use cases of the accounts feature."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eportfolio.accounts import invitations
from eportfolio.accounts.tables import Account, Invitation
from eportfolio.domain.people import Role
from eportfolio.kit.clock import utcnow
from eportfolio.kit.errors import N_, Conflict
from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.service import ensure_organisation
from eportfolio.programmes.tables import OrganisationAdmin, Person

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
        existing = await uow.session.execute(
            select(Account.person_id)
            .join(OrganisationAdmin, OrganisationAdmin.person_id == Account.person_id)
            .where(OrganisationAdmin.organisation_id == organisation.id)
            .limit(1)
        )
        if existing.scalar_one_or_none() is not None:
            raise Conflict(N_("An organisation administrator exists already; she can invite other administrators."))
        person = Person(organisation_id=organisation.id, display_name=display_name[:120], language="nl")
        uow.session.add(person)
        await uow.flush()
        code = invitations.new_code()
        code_hash = invitations.code_hash(code)
        assert code_hash is not None
        expires = utcnow() + timedelta(days=invitations.VALID_DAYS)
        uow.session.add(
            Invitation(
                code_hash=code_hash,
                organisation_id=organisation.id,
                programme_id=None,
                person_id=person.id,
                role=Role.org_admin.value,
                expires_at=expires,
            )
        )
    return code, expires.date().isoformat()
