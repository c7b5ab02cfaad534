"""Every query of the measurements feature. Instrument versions belong to an organisation: each
query is filtered by the organisation of the caller's programme scope. Measurements, consents and
reported scores belong to a programme: each query is filtered by the programme scope."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from eportfolio.measurements.tables import InstrumentVersion, Measurement, MeasurementSide, ReportedScores, ScoreConsent
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

    # Measurements ----------------------------------------------------------------------------

    async def measurements_of(self, scope: ProgrammeScope, participant_id: uuid.UUID) -> list[Measurement]:
        result = await self.session.execute(
            select(Measurement)
            .where(Measurement.programme_id == scope.programme_id, Measurement.participant_id == participant_id)
            .order_by(Measurement.opened_at, Measurement.id)
        )
        return list(result.scalars())

    async def get_measurement(self, scope: ProgrammeScope, measurement_id: uuid.UUID) -> Measurement | None:
        result = await self.session.execute(
            select(Measurement).where(Measurement.programme_id == scope.programme_id, Measurement.id == measurement_id)
        )
        return result.scalar_one_or_none()

    async def sides_of(
        self, scope: ProgrammeScope, measurement_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[MeasurementSide]]:
        if not measurement_ids:
            return {}
        result = await self.session.execute(
            select(MeasurementSide).where(
                MeasurementSide.programme_id == scope.programme_id,
                MeasurementSide.measurement_id.in_(measurement_ids),
            )
        )
        found: dict[uuid.UUID, list[MeasurementSide]] = {}
        for row in result.scalars():
            found.setdefault(row.measurement_id, []).append(row)
        return found

    async def last_measured(
        self, participants: Collection[tuple[uuid.UUID, uuid.UUID]]
    ) -> dict[tuple[uuid.UUID, uuid.UUID], datetime]:
        """When each (programme, participant) last had a side of a measurement handed in, across
        programmes (the reminder job acts for the system; only dates, never what was scored)."""
        if not participants:
            return {}
        programmes = {programme for programme, _ in participants}
        people = {person for _, person in participants}
        result = await self.session.execute(
            select(MeasurementSide.programme_id, MeasurementSide.participant_id, func.max(MeasurementSide.submitted_at))
            .where(MeasurementSide.programme_id.in_(programmes), MeasurementSide.participant_id.in_(people))
            .group_by(MeasurementSide.programme_id, MeasurementSide.participant_id)
        )
        wanted = set(participants)
        rows = result.tuples().all()
        return {(programme, person): at for programme, person, at in rows if (programme, person) in wanted}

    async def id_in_use(self, row_id: uuid.UUID) -> bool:
        result = await self.session.execute(select(MeasurementSide.id).where(MeasurementSide.id == row_id))
        return result.scalar_one_or_none() is not None

    # Consent and reported scores ---------------------------------------------------------------

    async def newest_consent(
        self, scope: ProgrammeScope, participant_id: uuid.UUID, *, lock: bool = False
    ) -> ScoreConsent | None:
        """``lock``: the row is locked until the transaction ends (PostgreSQL; SQLite writes one
        at a time anyway), so a withdrawal waits for a report under way or the report sees it."""
        query = (
            select(ScoreConsent)
            .where(ScoreConsent.programme_id == scope.programme_id, ScoreConsent.participant_id == participant_id)
            .order_by(ScoreConsent.agreed_at.desc(), ScoreConsent.id.desc())
            .limit(1)
        )
        if lock:
            query = query.with_for_update()
        result = await self.session.execute(query)
        return result.scalar_one_or_none()

    async def reported_sides(
        self, scope: ProgrammeScope, measurement_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, set[str]]:
        if not measurement_ids:
            return {}
        result = await self.session.execute(
            select(ReportedScores.measurement_id, ReportedScores.side).where(
                ReportedScores.programme_id == scope.programme_id,
                ReportedScores.measurement_id.in_(measurement_ids),
            )
        )
        found: dict[uuid.UUID, set[str]] = {}
        for measurement_id, side in result:
            found.setdefault(measurement_id, set()).add(side)
        return found

    async def reported(self, scope: ProgrammeScope) -> list[ReportedScores]:
        """Reported scores under a consent not withdrawn (a report that raced her withdrawal
        never counts)."""
        result = await self.session.execute(
            select(ReportedScores)
            .join(ScoreConsent, ScoreConsent.id == ReportedScores.consent_id)
            .where(ReportedScores.programme_id == scope.programme_id, ScoreConsent.withdrawn_at.is_(None))
        )
        return list(result.scalars())

    async def delete_reported(self, scope: ProgrammeScope, participant_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(ReportedScores).where(
                ReportedScores.programme_id == scope.programme_id, ReportedScores.participant_id == participant_id
            )
        )

    async def delete_reported_side(self, scope: ProgrammeScope, measurement_id: uuid.UUID, side: str) -> None:
        await self.session.execute(
            delete(ReportedScores).where(
                ReportedScores.programme_id == scope.programme_id,
                ReportedScores.measurement_id == measurement_id,
                ReportedScores.side == side,
            )
        )
