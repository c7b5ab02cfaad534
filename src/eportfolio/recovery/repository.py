"""Every query of the recovery feature, each filtered by organisation (and programme where it has one)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from eportfolio.portfolio.tables import PinnedKeysRecord, PortfolioItem, PortfolioItemKey
from eportfolio.programmes.tables import Membership, Person
from eportfolio.recovery.tables import (
    AccountReset,
    DeviceRequest,
    FormerIdentity,
    ProgrammeRecoveryKey,
    RecoveryConsent,
    RecoveryNotice,
    RecoveryOfficerCopy,
)


class RecoveryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # The programme recovery key ----------------------------------------------------------

    async def recovery_key(self, organisation_id: uuid.UUID, programme_id: uuid.UUID) -> ProgrammeRecoveryKey | None:
        result = await self.session.execute(
            select(ProgrammeRecoveryKey).where(
                ProgrammeRecoveryKey.organisation_id == organisation_id,
                ProgrammeRecoveryKey.programme_id == programme_id,
            )
        )
        return result.scalar_one_or_none()

    async def officer_copies(self, organisation_id: uuid.UUID, programme_id: uuid.UUID) -> list[RecoveryOfficerCopy]:
        result = await self.session.execute(
            select(RecoveryOfficerCopy)
            .where(
                RecoveryOfficerCopy.organisation_id == organisation_id,
                RecoveryOfficerCopy.programme_id == programme_id,
            )
            .order_by(RecoveryOfficerCopy.created_at)
        )
        return list(result.scalars())

    # Consent -----------------------------------------------------------------------------

    async def consent(
        self, organisation_id: uuid.UUID, programme_id: uuid.UUID, person_id: uuid.UUID
    ) -> RecoveryConsent | None:
        result = await self.session.execute(
            select(RecoveryConsent).where(
                RecoveryConsent.organisation_id == organisation_id,
                RecoveryConsent.programme_id == programme_id,
                RecoveryConsent.person_id == person_id,
            )
        )
        return result.scalar_one_or_none()

    async def delete_consents_of(self, organisation_id: uuid.UUID, person_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(RecoveryConsent).where(
                RecoveryConsent.organisation_id == organisation_id, RecoveryConsent.person_id == person_id
            )
        )

    async def delete_pinned_keys_of(self, organisation_id: uuid.UUID, person_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(PinnedKeysRecord).where(
                PinnedKeysRecord.organisation_id == organisation_id, PinnedKeysRecord.person_id == person_id
            )
        )

    async def consents_of(self, organisation_id: uuid.UUID, person_id: uuid.UUID) -> list[RecoveryConsent]:
        result = await self.session.execute(
            select(RecoveryConsent)
            .where(RecoveryConsent.organisation_id == organisation_id, RecoveryConsent.person_id == person_id)
            .order_by(RecoveryConsent.programme_id)
        )
        return list(result.scalars())

    # What is under her user key (for a new user key) -------------------------------------

    async def user_wraps_of(self, person_id: uuid.UUID) -> list[tuple[PortfolioItemKey, PortfolioItem]]:
        """Every item key wrapped under her user key, with its item (for the key id)."""
        result = await self.session.execute(
            select(PortfolioItemKey, PortfolioItem)
            .join(PortfolioItem, PortfolioItem.id == PortfolioItemKey.item_id)
            .where(PortfolioItemKey.kind == "user", PortfolioItemKey.recipient_id == person_id)
            .order_by(PortfolioItem.created_at, PortfolioItem.id)
        )
        return [(key, item) for key, item in result.tuples()]

    async def pinned_keys_of(self, person_id: uuid.UUID) -> PinnedKeysRecord | None:
        return await self.session.get(PinnedKeysRecord, person_id)

    # Device requests ---------------------------------------------------------------------

    async def device_request_by_token(self, token_hash: bytes) -> DeviceRequest | None:
        result = await self.session.execute(select(DeviceRequest).where(DeviceRequest.token_hash == token_hash))
        return result.scalar_one_or_none()

    async def device_request(self, organisation_id: uuid.UUID, request_id: uuid.UUID) -> DeviceRequest | None:
        result = await self.session.execute(
            select(DeviceRequest).where(
                DeviceRequest.organisation_id == organisation_id, DeviceRequest.id == request_id
            )
        )
        return result.scalar_one_or_none()

    async def open_device_requests(
        self, organisation_id: uuid.UUID, person_ids: list[uuid.UUID], now: datetime
    ) -> list[DeviceRequest]:
        if not person_ids:
            return []
        result = await self.session.execute(
            select(DeviceRequest)
            .where(
                DeviceRequest.organisation_id == organisation_id,
                DeviceRequest.person_id.in_(person_ids),
                DeviceRequest.completed_at.is_(None),
                DeviceRequest.sealed_user_key.is_(None),
                DeviceRequest.expires_at > now,
            )
            .order_by(DeviceRequest.created_at)
        )
        return list(result.scalars())

    async def expire_device_requests_of(self, person_id: uuid.UUID, now: datetime) -> None:
        await self.session.execute(
            update(DeviceRequest)
            .where(
                DeviceRequest.person_id == person_id,
                DeviceRequest.completed_at.is_(None),
                DeviceRequest.expires_at > now,
            )
            .values(expires_at=now)
        )

    async def consents_in_programme(self, organisation_id: uuid.UUID, programme_id: uuid.UUID) -> list[RecoveryConsent]:
        result = await self.session.execute(
            select(RecoveryConsent).where(
                RecoveryConsent.organisation_id == organisation_id, RecoveryConsent.programme_id == programme_id
            )
        )
        return list(result.scalars())

    # Account resets ----------------------------------------------------------------------

    async def reset_by_code(self, code_hash: bytes) -> AccountReset | None:
        result = await self.session.execute(select(AccountReset).where(AccountReset.code_hash == code_hash))
        return result.scalar_one_or_none()

    # Former identities and notices -------------------------------------------------------

    async def former_identities(self, organisation_id: uuid.UUID, person_id: uuid.UUID) -> list[FormerIdentity]:
        result = await self.session.execute(
            select(FormerIdentity)
            .where(FormerIdentity.organisation_id == organisation_id, FormerIdentity.person_id == person_id)
            .order_by(FormerIdentity.superseded_at.desc())
        )
        return list(result.scalars())

    async def unseen_notices(self, person_id: uuid.UUID) -> list[RecoveryNotice]:
        result = await self.session.execute(
            select(RecoveryNotice)
            .where(RecoveryNotice.person_id == person_id, RecoveryNotice.seen_at.is_(None))
            .order_by(RecoveryNotice.recovered_at)
        )
        return list(result.scalars())

    async def people_with_role(
        self, organisation_id: uuid.UUID, programme_id: uuid.UUID, role: str
    ) -> list[tuple[uuid.UUID, str]]:
        """(person id, display name) of everyone holding this role in the programme now."""
        result = await self.session.execute(
            select(Person.id, Person.display_name)
            .join(Membership, Membership.person_id == Person.id)
            .where(
                Membership.organisation_id == organisation_id,
                Membership.programme_id == programme_id,
                Membership.role == role,
                Membership.active.is_(True),
            )
            .order_by(Person.display_name)
        )
        return [(row[0], row[1]) for row in result]

    async def display_name(self, organisation_id: uuid.UUID, person_id: uuid.UUID) -> str | None:
        person = await self.session.get(Person, person_id)
        return person.display_name if person is not None and person.organisation_id == organisation_id else None

    async def organisation_of(self, person_id: uuid.UUID) -> uuid.UUID:
        person = await self.session.get(Person, person_id)
        assert person is not None
        return person.organisation_id
