"""Every query of the trust feature: keys and key copies, filtered by organisation (and
programme where a key belongs to one)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from eportfolio.trust.tables import OrganisationKey, ProgrammeKey, SigningKeyCopy


class TrustRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # Keys --------------------------------------------------------------------------------

    async def organisation_key(self, organisation_id: uuid.UUID) -> OrganisationKey | None:
        return await self.session.get(OrganisationKey, organisation_id)

    async def programme_key(self, organisation_id: uuid.UUID, programme_id: uuid.UUID) -> ProgrammeKey | None:
        result = await self.session.execute(
            select(ProgrammeKey).where(
                ProgrammeKey.programme_id == programme_id, ProgrammeKey.organisation_id == organisation_id
            )
        )
        return result.scalar_one_or_none()

    async def key_copies(self, organisation_id: uuid.UUID, subject_id: uuid.UUID) -> list[SigningKeyCopy]:
        result = await self.session.execute(
            select(SigningKeyCopy)
            .where(SigningKeyCopy.organisation_id == organisation_id, SigningKeyCopy.subject_id == subject_id)
            .order_by(SigningKeyCopy.created_at)
        )
        return list(result.scalars())
