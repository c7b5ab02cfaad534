"""Every query of the intake feature. Staff queries are filtered by the programme scope that
``authorize`` minted; the public pages find a programme, a referral link or a status link by id
or by the hash of its token only."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from eportfolio.accounts.tables import Account
from eportfolio.intake.tables import Application, ApplicationKey, IntakePage, IntakeTeam, Referrer
from eportfolio.programmes.tables import Membership, OrganisationAdmin, Person, Programme
from eportfolio.trust.tables import ProgrammeKey


class IntakeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # Public ------------------------------------------------------------------------------------

    async def programme(self, programme_id: uuid.UUID) -> Programme | None:
        programme = await self.session.get(Programme, programme_id)
        return programme if programme is not None and not programme.archived else None

    async def page(self, programme_id: uuid.UUID) -> IntakePage | None:
        return await self.session.get(IntakePage, programme_id)

    async def team(self, organisation_id: uuid.UUID, programme_id: uuid.UUID) -> IntakeTeam | None:
        """The record in force: the newest serial."""
        result = await self.session.execute(
            select(IntakeTeam)
            .where(IntakeTeam.organisation_id == organisation_id, IntakeTeam.programme_id == programme_id)
            .order_by(IntakeTeam.serial.desc())
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def certificate(self, organisation_id: uuid.UUID, programme_id: uuid.UUID) -> bytes | None:
        result = await self.session.execute(
            select(ProgrammeKey.certificate).where(
                ProgrammeKey.organisation_id == organisation_id, ProgrammeKey.programme_id == programme_id
            )
        )
        return result.scalar_one_or_none()

    async def public_identities(self, person_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, bytes]:
        if not person_ids:
            return {}
        rows = await self.session.execute(
            select(Account.person_id, Account.public_identity).where(Account.person_id.in_(person_ids))
        )
        return {person_id: identity for person_id, identity in rows.tuples() if identity}

    async def programme_staff(self, organisation_id: uuid.UUID, programme_id: uuid.UUID) -> set[uuid.UUID]:
        """The active staff of the programme."""
        staff = await self.session.execute(
            select(Membership.person_id).where(
                Membership.organisation_id == organisation_id,
                Membership.programme_id == programme_id,
                Membership.role == "staff",
                Membership.active.is_(True),
            )
        )
        return set(staff.scalars())

    async def may_read_applications(self, organisation_id: uuid.UUID, programme_id: uuid.UUID) -> set[uuid.UUID]:
        """Who may be in the intake team: active staff of the programme and the organisation's
        administrators."""
        admins = await self.session.execute(
            select(OrganisationAdmin.person_id).where(OrganisationAdmin.organisation_id == organisation_id)
        )
        return await self.programme_staff(organisation_id, programme_id) | set(admins.scalars())

    async def names(self, organisation_id: uuid.UUID, person_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not person_ids:
            return {}
        rows = await self.session.execute(
            select(Person.id, Person.display_name).where(
                Person.organisation_id == organisation_id, Person.id.in_(person_ids)
            )
        )
        return {row[0]: row[1] for row in rows}

    async def application_by_status(self, status_hash: bytes) -> Application | None:
        result = await self.session.execute(select(Application).where(Application.status_hash == status_hash))
        return result.scalar_one_or_none()

    async def referrer_by_token(self, token_hash: bytes) -> Referrer | None:
        result = await self.session.execute(
            select(Referrer).where(Referrer.token_hash == token_hash, Referrer.withdrawn_at.is_(None))
        )
        return result.scalar_one_or_none()

    async def application_exists(self, application_id: uuid.UUID) -> bool:
        return await self.session.get(Application, application_id) is not None

    # Staff -------------------------------------------------------------------------------------

    async def latest_serial(self, organisation_id: uuid.UUID, programme_id: uuid.UUID) -> int:
        result = await self.session.execute(
            select(func.max(IntakeTeam.serial)).where(
                IntakeTeam.organisation_id == organisation_id, IntakeTeam.programme_id == programme_id
            )
        )
        return int(result.scalar_one() or 0)

    async def applications(self, organisation_id: uuid.UUID, programme_id: uuid.UUID) -> list[Application]:
        result = await self.session.execute(
            select(Application)
            .where(Application.organisation_id == organisation_id, Application.programme_id == programme_id)
            .order_by(Application.created_at.desc())
        )
        return list(result.scalars())

    async def application(
        self, organisation_id: uuid.UUID, programme_id: uuid.UUID, application_id: uuid.UUID
    ) -> Application | None:
        result = await self.session.execute(
            select(Application).where(
                Application.id == application_id,
                Application.organisation_id == organisation_id,
                Application.programme_id == programme_id,
            )
        )
        return result.scalar_one_or_none()

    async def sealed_key(self, application_id: uuid.UUID, reader_id: uuid.UUID) -> str | None:
        row = await self.session.get(ApplicationKey, (application_id, reader_id))
        return row.sealed_key if row else None

    async def referrers(self, organisation_id: uuid.UUID, programme_id: uuid.UUID) -> list[Referrer]:
        result = await self.session.execute(
            select(Referrer)
            .where(Referrer.organisation_id == organisation_id, Referrer.programme_id == programme_id)
            .order_by(Referrer.created_at.desc())
        )
        return list(result.scalars())

    async def referrer(
        self, organisation_id: uuid.UUID, programme_id: uuid.UUID, referrer_id: uuid.UUID
    ) -> Referrer | None:
        result = await self.session.execute(
            select(Referrer).where(
                Referrer.id == referrer_id,
                Referrer.organisation_id == organisation_id,
                Referrer.programme_id == programme_id,
            )
        )
        return result.scalar_one_or_none()
