"""Every query of the duty feature, each filtered by its programme scope.

Who is on duty is read from the roster in force: per programme the newest (highest serial) whose
signed validity covers the moment asked about, and of its shifts only those of people who still
hold the role of their duty. The chat asks the same question inside its membership statements
(``on_roster_query``), so that a conversation's members stay one round trip.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from eportfolio.accounts.tables import Account
from eportfolio.domain.chat import Duty
from eportfolio.duty.tables import Roster, Shift
from eportfolio.programmes.repository import ProgrammeRepository, ProgrammeScope
from eportfolio.programmes.tables import Membership


def current_rosters(now: datetime | ColumnElement[Any], programme_id: Any = None) -> Any:
    """Ids of the rosters in force at ``now``: per programme, the newest (highest serial) whose
    signed validity covers ``now``. A roster outside its own dates gives nobody anything."""
    newer = aliased(Roster)
    query = select(Roster.id).where(
        Roster.valid_from <= now,
        Roster.valid_until > now,
        ~exists().where(
            newer.programme_id == Roster.programme_id,
            newer.valid_from <= now,
            newer.valid_until > now,
            newer.serial > Roster.serial,
        ),
    )
    if programme_id is not None:
        query = query.where(Roster.programme_id == programme_id)
    return query


def on_roster_query(
    now: datetime | ColumnElement[Any], programme_id: Any = None, column: Any = Shift.person_id
) -> Any:
    """``column`` of the shifts of the rosters in force whose person still holds the role of the
    duty (active): who is on duty in a programme now or later in the roster, any shift."""
    query = select(column).where(
        Shift.roster_id.in_(current_rosters(now, programme_id)),
        exists().where(
            Membership.person_id == Shift.person_id,
            Membership.programme_id == Shift.programme_id,
            Membership.role == Shift.duty,
            Membership.active.is_(True),
        ),
    )
    if programme_id is not None:
        query = query.where(Shift.programme_id == programme_id)
    return query


def programmes_on_roster_query(now: datetime, person_id: Any) -> Any:
    """Ids of the programmes whose roster in force names ``person_id`` in the role of her duty."""
    return on_roster_query(now, column=Shift.programme_id).where(Shift.person_id == person_id)


class DutyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.programmes = ProgrammeRepository(session)

    async def latest_roster_serial(self, scope: ProgrammeScope) -> int:
        result = await self.session.execute(
            select(func.max(Roster.serial)).where(
                Roster.programme_id == scope.programme_id, Roster.organisation_id == scope.organisation_id
            )
        )
        return int(result.scalar_one() or 0)

    async def roster_at(self, scope: ProgrammeScope, at: datetime) -> Roster | None:
        """The newest roster whose validity covers ``at``."""
        result = await self.session.execute(
            select(Roster)
            .where(
                Roster.programme_id == scope.programme_id,
                Roster.organisation_id == scope.organisation_id,
                Roster.valid_from <= at,
                Roster.valid_until > at,
            )
            .order_by(Roster.serial.desc())
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def shifts(self, roster_id: uuid.UUID) -> list[Shift]:
        result = await self.session.execute(
            select(Shift).where(Shift.roster_id == roster_id).order_by(Shift.starts_at, Shift.duty)
        )
        return list(result.scalars())

    async def on_duty(self, scope: ProgrammeScope, at: datetime, duty: Duty) -> list[uuid.UUID]:
        roster = await self.roster_at(scope, at)
        if roster is None:
            return []
        result = await self.session.execute(
            select(Shift.person_id).where(
                Shift.roster_id == roster.id,
                Shift.duty == duty.value,
                Shift.starts_at <= at,
                Shift.ends_at > at,
                Shift.person_id.in_(
                    select(Membership.person_id).where(
                        Membership.programme_id == scope.programme_id,
                        Membership.role == duty.value,
                        Membership.active.is_(True),
                    )
                ),
            )
        )
        return list(dict.fromkeys(result.scalars()))

    async def anyone_on_duty(self, scope: ProgrammeScope, at: datetime) -> bool:
        """Whether a coach or a supervisor is on duty at ``at`` (the out-of-hours reply is for when nobody is)."""
        return bool(await self.on_duty(scope, at, Duty.coach) or await self.on_duty(scope, at, Duty.supervisor))

    async def on_roster(self, scope: ProgrammeScope, now: datetime) -> set[uuid.UUID]:
        """Everyone on the programme's duty roster in force now (any shift), in the role of the duty."""
        result = await self.session.execute(on_roster_query(now, scope.programme_id))
        return set(result.scalars())

    async def public_identities(self, person_ids: list[uuid.UUID]) -> dict[uuid.UUID, bytes]:
        """The public identity of each of these people who has one (a signed roster names her by it)."""
        if not person_ids:
            return {}
        result = await self.session.execute(
            select(Account.person_id, Account.public_identity).where(Account.person_id.in_(person_ids))
        )
        return {person_id: identity for person_id, identity in result.all() if identity}

    async def display_names(self, organisation_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        return await self.programmes.names_of(organisation_id, ids)
