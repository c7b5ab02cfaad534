"""Every query of the invitations feature, filtered by organisation (and programme where an
invitation belongs to one); a code is found by its hash only."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from eportfolio.invitations.tables import Invitation


class InvitationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # Invitations -------------------------------------------------------------------------

    async def invitation_by_hash(self, code_hash: bytes) -> Invitation | None:
        result = await self.session.execute(select(Invitation).where(Invitation.code_hash == code_hash))
        return result.scalar_one_or_none()

    async def use_invitation(self, invitation_id: uuid.UUID, now: datetime) -> bool:
        """Mark it used unless someone else did in the meantime (single use even under races)."""
        result = await self.session.execute(
            update(Invitation)
            .where(Invitation.id == invitation_id, Invitation.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def invitation_in_programme(
        self, organisation_id: uuid.UUID, programme_id: uuid.UUID, invitation_id: uuid.UUID
    ) -> Invitation | None:
        result = await self.session.execute(
            select(Invitation).where(
                Invitation.id == invitation_id,
                Invitation.organisation_id == organisation_id,
                Invitation.programme_id == programme_id,
            )
        )
        return result.scalar_one_or_none()

    async def list_invitations(self, organisation_id: uuid.UUID, programme_id: uuid.UUID) -> list[Invitation]:
        result = await self.session.execute(
            select(Invitation)
            .where(Invitation.organisation_id == organisation_id, Invitation.programme_id == programme_id)
            .order_by(Invitation.created_at.desc())
        )
        return list(result.scalars())

    async def open_admin_invitations(self, organisation_id: uuid.UUID, now: datetime) -> list[Invitation]:
        """Invitations of organisation administrators that are not used and not expired."""
        result = await self.session.execute(
            select(Invitation)
            .where(
                Invitation.organisation_id == organisation_id,
                Invitation.programme_id.is_(None),
                Invitation.role == "org_admin",
                Invitation.used_at.is_(None),
                Invitation.expires_at > now,
            )
            .order_by(Invitation.created_at.desc())
        )
        return list(result.scalars())
