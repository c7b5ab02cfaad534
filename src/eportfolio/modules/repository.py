"""Every query of the modules feature, each filtered by its tenant scope (organisation + programme)."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from eportfolio.modules.tables import Module, ModuleVersion
from eportfolio.programmes.repository import ProgrammeScope


class ModuleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # Modules and versions ------------------------------------------------------------------

    async def list_modules(self, scope: ProgrammeScope) -> list[Module]:
        result = await self.session.execute(
            select(Module)
            .where(Module.programme_id == scope.programme_id, Module.organisation_id == scope.organisation_id)
            .order_by(Module.created_at)
        )
        return list(result.scalars())

    async def get_module(self, scope: ProgrammeScope, module_id: uuid.UUID) -> Module | None:
        result = await self.session.execute(
            select(Module).where(
                Module.id == module_id,
                Module.programme_id == scope.programme_id,
                Module.organisation_id == scope.organisation_id,
            )
        )
        return result.scalar_one_or_none()

    async def versions(self, scope: ProgrammeScope, module_ids: Collection[uuid.UUID]) -> list[ModuleVersion]:
        if not module_ids:
            return []
        result = await self.session.execute(
            select(ModuleVersion)
            .where(
                ModuleVersion.module_id.in_(list(module_ids)),
                ModuleVersion.programme_id == scope.programme_id,
                ModuleVersion.organisation_id == scope.organisation_id,
            )
            .order_by(ModuleVersion.module_id, ModuleVersion.number)
        )
        return list(result.scalars())

    async def get_versions(
        self, scope: ProgrammeScope, version_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, ModuleVersion]:
        if not version_ids:
            return {}
        result = await self.session.execute(
            select(ModuleVersion).where(
                ModuleVersion.id.in_(list(version_ids)),
                ModuleVersion.programme_id == scope.programme_id,
                ModuleVersion.organisation_id == scope.organisation_id,
            )
        )
        return {v.id: v for v in result.scalars()}
