"""Every query of the measurements feature. Instrument versions belong to an organisation: each
query is filtered by the organisation of the caller's programme scope."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from eportfolio.measurements.tables import InstrumentVersion
from eportfolio.programmes.repository import ProgrammeScope


class MeasurementRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def instrument_versions(self, scope: ProgrammeScope) -> list[InstrumentVersion]:
        result = await self.session.execute(
            select(InstrumentVersion)
            .where(InstrumentVersion.organisation_id == scope.organisation_id)
            .order_by(InstrumentVersion.key, InstrumentVersion.version)
        )
        return list(result.scalars())

    async def instrument_version(self, scope: ProgrammeScope, key: str, version: int) -> InstrumentVersion | None:
        result = await self.session.execute(
            select(InstrumentVersion).where(
                InstrumentVersion.organisation_id == scope.organisation_id,
                InstrumentVersion.key == key,
                InstrumentVersion.version == version,
            )
        )
        return result.scalar_one_or_none()

    async def newest_version(self, scope: ProgrammeScope, key: str) -> int | None:
        result = await self.session.execute(
            select(InstrumentVersion.version)
            .where(InstrumentVersion.organisation_id == scope.organisation_id, InstrumentVersion.key == key)
            .order_by(InstrumentVersion.version.desc())
            .limit(1)
        )
        return result.scalar_one_or_none()
