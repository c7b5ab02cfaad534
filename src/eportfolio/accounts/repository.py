"""Every query of the accounts feature.

Accounts, sessions and throttles belong to one person; the people, organisation and
programme reads serve sign-up and the features built on accounts (invitations, trust).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from eportfolio.accounts.tables import Account, LoginThrottle, Session
from eportfolio.programmes.tables import Membership, Organisation, OrganisationAdmin, Person, Programme


class AccountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # Accounts ----------------------------------------------------------------------------

    async def account_by_login(self, login: str) -> Account | None:
        result = await self.session.execute(select(Account).where(Account.login == login))
        return result.scalar_one_or_none()

    async def account_of(self, person_id: uuid.UUID) -> Account | None:
        return await self.session.get(Account, person_id)

    async def swap_key_bundle(self, person_id: uuid.UUID, old: bytes, new: bytes, **values: object) -> bool:
        """Compare-and-set: store ``new`` only while ``old`` is still her bundle."""
        result = await self.session.execute(
            update(Account)
            .where(Account.person_id == person_id, Account.key_bundle == old)
            .values(key_bundle=new, **values)
            .returning(Account.person_id)
        )
        return result.scalar_one_or_none() is not None

    async def person(self, person_id: uuid.UUID) -> Person | None:
        return await self.session.get(Person, person_id)

    async def person_in_organisation(self, organisation_id: uuid.UUID, person_id: uuid.UUID) -> Person | None:
        result = await self.session.execute(
            select(Person).where(Person.id == person_id, Person.organisation_id == organisation_id)
        )
        return result.scalar_one_or_none()

    async def accounts_in_organisation(
        self, organisation_id: uuid.UUID, person_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, Account]:
        if not person_ids:
            return {}
        result = await self.session.execute(
            select(Account)
            .join(Person, Person.id == Account.person_id)
            .where(Person.organisation_id == organisation_id, Account.person_id.in_(person_ids))
        )
        return {a.person_id: a for a in result.scalars()}

    async def organisation(self, organisation_id: uuid.UUID) -> Organisation | None:
        return await self.session.get(Organisation, organisation_id)

    async def programme(self, organisation_id: uuid.UUID, programme_id: uuid.UUID) -> Programme | None:
        result = await self.session.execute(
            select(Programme).where(Programme.id == programme_id, Programme.organisation_id == organisation_id)
        )
        return result.scalar_one_or_none()

    async def is_org_admin(self, organisation_id: uuid.UUID, person_id: uuid.UUID) -> bool:
        return await self.session.get(OrganisationAdmin, (organisation_id, person_id)) is not None

    async def org_admin_ids(self, organisation_id: uuid.UUID) -> list[uuid.UUID]:
        result = await self.session.execute(
            select(OrganisationAdmin.person_id).where(OrganisationAdmin.organisation_id == organisation_id)
        )
        return list(result.scalars())

    def add_org_admin(self, organisation_id: uuid.UUID, person_id: uuid.UUID) -> None:
        self.session.add(OrganisationAdmin(organisation_id=organisation_id, person_id=person_id))

    async def staff_without_account(self, organisation_id: uuid.UUID) -> list[Person]:
        """Staff of any programme of the organisation who have no account yet (may be invited as admins)."""
        return await self._staff(organisation_id, with_account=False)

    async def staff_with_account(self, organisation_id: uuid.UUID) -> list[Person]:
        """Staff of any programme of the organisation who have an account (may be made admins at once)."""
        return await self._staff(organisation_id, with_account=True)

    async def _staff(self, organisation_id: uuid.UUID, *, with_account: bool) -> list[Person]:
        result = await self.session.execute(
            select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .outerjoin(Account, Account.person_id == Person.id)
            .where(
                Person.organisation_id == organisation_id,
                Membership.organisation_id == organisation_id,
                Membership.role == "staff",
                Membership.active.is_(True),
                Account.person_id.is_not(None) if with_account else Account.person_id.is_(None),
            )
            .distinct()
            .order_by(Person.display_name)
        )
        return list(result.scalars())

    # Sessions ----------------------------------------------------------------------------

    async def live_sessions(self, person_id: uuid.UUID, now: datetime) -> list[Session]:
        result = await self.session.execute(
            select(Session)
            .where(Session.person_id == person_id, Session.ended_at.is_(None), Session.expires_at > now)
            .order_by(Session.last_seen_at.desc())
        )
        return list(result.scalars())

    async def session_of(self, person_id: uuid.UUID, session_id: uuid.UUID) -> Session | None:
        result = await self.session.execute(
            select(Session).where(Session.id == session_id, Session.person_id == person_id)
        )
        return result.scalar_one_or_none()

    # Back-off ----------------------------------------------------------------------------

    async def throttles(self, keys: list[str]) -> dict[str, LoginThrottle]:
        result = await self.session.execute(select(LoginThrottle).where(LoginThrottle.key.in_(keys)))
        return {row.key: row for row in result.scalars()}

    async def clear_throttle(self, key: str) -> None:
        row = await self.session.get(LoginThrottle, key)
        if row is not None:
            await self.session.delete(row)
