"""Every query of the programmes feature, each filtered by its tenant scope.

A ``ProgrammeScope`` (organisation and programme) is passed to every programme-owned query, so a
caller that was authorised for programme A cannot reach a row of programme B by guessing an id.

``counting_assignment`` is the one definition of a coach assignment that makes its coach a reader
of her data; every feature that lets a coach in (portfolio, chat, modules, recovery) uses it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Row, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from eportfolio.programmes.tables import (
    CoachAssignment,
    Group,
    GroupMember,
    Membership,
    Organisation,
    OrganisationAdmin,
    Person,
    Programme,
)

_MINT = object()


@dataclass(frozen=True, slots=True, init=False)
class ProgrammeScope:
    r"""The tenant a query may touch: one programme of one organisation.

    Only a check can make one: ``programmes.service.authorize`` (the caller holds a role there),
    ``system_scope`` (work done without a caller) and ``loaded_scope`` (a row already read through
    a scoped query). Built directly it raises ``TypeError``, so a repository method that requires a
    scope cannot be reached without one of those three, and ``grep -n "system_scope\|loaded_scope"``
    lists every path that does not start from a caller's check. The token ``_MINT`` is private to
    ``authorize``; ruff (``TID251``, ``SLF001``) refuses it anywhere else.
    """

    organisation_id: uuid.UUID
    programme_id: uuid.UUID

    def __init__(self, organisation_id: uuid.UUID, programme_id: uuid.UUID, mint: object = None) -> None:
        if mint is not _MINT:
            raise TypeError("A ProgrammeScope comes from authorize(), system_scope() or loaded_scope()")
        object.__setattr__(self, "organisation_id", organisation_id)
        object.__setattr__(self, "programme_id", programme_id)


class ProgrammeRow(Protocol):
    @property
    def organisation_id(self) -> uuid.UUID: ...

    @property
    def programme_id(self) -> uuid.UUID: ...


def system_scope(organisation_id: uuid.UUID, programme_id: uuid.UUID) -> ProgrammeScope:
    """The scope of work that acts for the system, not for a caller; no role is checked.

    Its users, each without a caller to authorise: the escalation job (``duty.service``), the
    coach-assignment hooks run after a signed record is stored (``chat.service`` readers and group
    records), demo seeding (``demo``) and tests that set up a world.
    """
    return ProgrammeScope(organisation_id, programme_id, _MINT)


def loaded_scope(row: ProgrammeRow) -> ProgrammeScope:
    """The scope of a row that was already read through a scoped query (or an access check that
    was), so its organisation and programme are the ones the caller was authorised for: a
    conversation (``chat.repository.scope_of``), a cached conversation access, a module being
    edited."""
    return ProgrammeScope(row.organisation_id, row.programme_id, _MINT)


def counting_assignment(today: date | ColumnElement[Any]) -> ColumnElement[bool]:
    """The coach assignments that make their coach a reader of her data today (``CRYPTO.md``,
    "Trust: who may read": the server gives an unsigned record no effect either).

    One counts only when all of these hold:

    - a record signed with the programme key is stored with it (the server checked the chain
      organisation key -> programme key -> record when it was stored; unsigned rows, made
      without the key or migrated from before, count for nothing);
    - the record was not signed by the coach himself: a staff member who assigns herself needs
      a second signature, by another staff member or an organisation administrator, whose
      record then replaces hers (``signed_by`` is the record's signer, never a form field);
    - it has not ended, and today lies within its first and last day;
    - the coach's coach role in the programme is active.

    A SQL condition on ``CoachAssignment``, to be used in the queries of any feature.
    """
    return and_(
        CoachAssignment.signed_record.is_not(None),
        CoachAssignment.signed_record != "",
        CoachAssignment.signed_by.is_not(None),
        CoachAssignment.signed_by != CoachAssignment.coach_id,
        CoachAssignment.ended_at.is_(None),
        CoachAssignment.starts_on <= today,
        or_(CoachAssignment.ends_on.is_(None), CoachAssignment.ends_on >= today),
        exists().where(
            Membership.person_id == CoachAssignment.coach_id,
            Membership.programme_id == CoachAssignment.programme_id,
            Membership.role == "coach",
            Membership.active.is_(True),
        ),
    )


class ProgrammeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # Organisations and roles -------------------------------------------------------------

    async def get_organisation(self, organisation_id: uuid.UUID) -> Organisation | None:
        return await self.session.get(Organisation, organisation_id)

    async def first_organisation(self) -> Organisation | None:
        result = await self.session.execute(select(Organisation).order_by(Organisation.created_at).limit(1))
        return result.scalar_one_or_none()

    async def is_org_admin(self, organisation_id: uuid.UUID, person_id: uuid.UUID) -> bool:
        row = await self.session.get(OrganisationAdmin, (organisation_id, person_id))
        return row is not None

    async def org_admin_ids(self, organisation_id: uuid.UUID) -> list[uuid.UUID]:
        result = await self.session.execute(
            select(OrganisationAdmin.person_id).where(OrganisationAdmin.organisation_id == organisation_id)
        )
        return list(result.scalars())

    async def roles_by_programme(self, person_id: uuid.UUID) -> dict[uuid.UUID, frozenset[str]]:
        result = await self.session.execute(
            select(Membership.programme_id, Membership.role).where(
                Membership.person_id == person_id, Membership.active.is_(True)
            )
        )
        roles: dict[uuid.UUID, set[str]] = {}
        for programme_id, role in result:
            roles.setdefault(programme_id, set()).add(role)
        return {programme_id: frozenset(r) for programme_id, r in roles.items()}

    async def peer_coach_programmes(self, person_id: uuid.UUID) -> set[uuid.UUID]:
        result = await self.session.execute(
            select(Membership.programme_id).where(
                Membership.person_id == person_id,
                Membership.active.is_(True),
                Membership.role == "coach",
                Membership.peer_coach.is_(True),
            )
        )
        return set(result.scalars())

    # Programmes --------------------------------------------------------------------------

    async def list_programmes(
        self, organisation_id: uuid.UUID, only: Sequence[uuid.UUID] | None = None
    ) -> list[Programme]:
        query = select(Programme).where(Programme.organisation_id == organisation_id)
        if only is not None:
            query = query.where(Programme.id.in_(list(only)))
        result = await self.session.execute(query.order_by(Programme.name))
        return list(result.scalars())

    async def get_programme(self, organisation_id: uuid.UUID, programme_id: uuid.UUID) -> Programme | None:
        result = await self.session.execute(
            select(Programme).where(Programme.id == programme_id, Programme.organisation_id == organisation_id)
        )
        return result.scalar_one_or_none()

    async def find_programme_by_slug(self, organisation_id: uuid.UUID, slug: str) -> Programme | None:
        result = await self.session.execute(
            select(Programme).where(Programme.organisation_id == organisation_id, Programme.slug == slug)
        )
        return result.scalar_one_or_none()

    # Groups ------------------------------------------------------------------------------

    async def list_groups(self, scope: ProgrammeScope) -> list[tuple[Group, int]]:
        counts = (
            select(GroupMember.group_id, func.count().label("n"))
            .where(GroupMember.programme_id == scope.programme_id, GroupMember.role == "participant")
            .group_by(GroupMember.group_id)
            .subquery()
        )
        result = await self.session.execute(
            select(Group, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.group_id == Group.id)
            .where(Group.programme_id == scope.programme_id, Group.organisation_id == scope.organisation_id)
            .order_by(Group.name)
        )
        return [(group, int(n)) for group, n in result.tuples()]

    async def get_group(self, scope: ProgrammeScope, group_id: uuid.UUID) -> Group | None:
        result = await self.session.execute(
            select(Group).where(
                Group.id == group_id,
                Group.programme_id == scope.programme_id,
                Group.organisation_id == scope.organisation_id,
            )
        )
        return result.scalar_one_or_none()

    async def find_group_by_name(self, scope: ProgrammeScope, name: str) -> Group | None:
        result = await self.session.execute(
            select(Group).where(Group.programme_id == scope.programme_id, Group.name == name)
        )
        return result.scalar_one_or_none()

    async def group_member_ids(self, scope: ProgrammeScope, group_id: uuid.UUID) -> list[uuid.UUID]:
        """The group's participants (what its capacity counts)."""
        return [person for person, role in await self.group_roster(scope, group_id) if role == "participant"]

    async def group_roster(self, scope: ProgrammeScope, group_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
        """Everyone in the group with her role in it ("participant" or "trainer"), oldest first."""
        result = await self.session.execute(
            select(GroupMember.person_id, GroupMember.role)
            .where(GroupMember.group_id == group_id, GroupMember.programme_id == scope.programme_id)
            .order_by(GroupMember.created_at, GroupMember.person_id)
        )
        return list(result.tuples())

    async def get_group_member(
        self, scope: ProgrammeScope, group_id: uuid.UUID, person_id: uuid.UUID
    ) -> GroupMember | None:
        result = await self.session.execute(
            select(GroupMember).where(
                GroupMember.group_id == group_id,
                GroupMember.person_id == person_id,
                GroupMember.programme_id == scope.programme_id,
            )
        )
        return result.scalar_one_or_none()

    # People and memberships --------------------------------------------------------------

    async def get_person(self, organisation_id: uuid.UUID, person_id: uuid.UUID) -> Person | None:
        result = await self.session.execute(
            select(Person).where(Person.id == person_id, Person.organisation_id == organisation_id)
        )
        return result.scalar_one_or_none()

    async def names_of(self, organisation_id: uuid.UUID, person_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        """Display names of people of the organisation (staff who signed, admins not in the programme)."""
        if not person_ids:
            return {}
        result = await self.session.execute(
            select(Person.id, Person.display_name).where(
                Person.organisation_id == organisation_id, Person.id.in_(list(person_ids))
            )
        )
        return dict(result.tuples().all())

    async def people_in_programme(self, scope: ProgrammeScope) -> list[Person]:
        result = await self.session.execute(
            select(Person)
            .where(
                Person.id.in_(
                    select(Membership.person_id).where(
                        Membership.programme_id == scope.programme_id,
                        Membership.organisation_id == scope.organisation_id,
                    )
                )
            )
            .order_by(Person.display_name)
        )
        return list(result.scalars())

    async def people_rows_in_programme(self, scope: ProgrammeScope) -> list[Row[Any]]:
        """``people_in_programme`` as plain rows (for a read model): a list of a thousand people
        costs a tenth of building a thousand ORM objects."""
        result = await self.session.execute(
            select(*Person.__table__.columns)
            .where(
                Person.id.in_(
                    select(Membership.person_id).where(
                        Membership.programme_id == scope.programme_id,
                        Membership.organisation_id == scope.organisation_id,
                    )
                )
            )
            .order_by(Person.display_name)
        )
        return list(result.all())

    async def membership_rows(self, scope: ProgrammeScope) -> list[Row[Any]]:
        """Every membership of the programme as plain rows (for a read model), oldest first."""
        result = await self.session.execute(
            select(*Membership.__table__.columns)
            .where(Membership.programme_id == scope.programme_id, Membership.organisation_id == scope.organisation_id)
            .order_by(Membership.created_at)
        )
        return list(result.all())

    async def names_in_programme(
        self, scope: ProgrammeScope, person_ids: set[uuid.UUID]
    ) -> list[tuple[uuid.UUID, str]]:
        """Id and name of those of ``person_ids`` who are people of the programme (any role),
        by name: only the rows asked for, not the whole programme."""
        if not person_ids:
            return []
        result = await self.session.execute(
            select(Person.id, Person.display_name)
            .where(
                Person.id.in_(list(person_ids)),
                Person.id.in_(
                    select(Membership.person_id).where(
                        Membership.programme_id == scope.programme_id,
                        Membership.organisation_id == scope.organisation_id,
                    )
                ),
            )
            .order_by(Person.display_name)
        )
        return list(result.tuples().all())

    async def is_in_programme(self, scope: ProgrammeScope, person_id: uuid.UUID) -> bool:
        result = await self.session.execute(
            select(func.count())
            .select_from(Membership)
            .where(Membership.programme_id == scope.programme_id, Membership.person_id == person_id)
        )
        return bool(result.scalar_one())

    async def list_memberships(
        self, scope: ProgrammeScope, *, person_id: uuid.UUID | None = None, role: str | None = None
    ) -> list[Membership]:
        query = select(Membership).where(
            Membership.programme_id == scope.programme_id,
            Membership.organisation_id == scope.organisation_id,
        )
        if person_id is not None:
            query = query.where(Membership.person_id == person_id)
        if role is not None:
            query = query.where(Membership.role == role)
        result = await self.session.execute(query.order_by(Membership.created_at))
        return list(result.scalars())

    async def get_membership(self, scope: ProgrammeScope, membership_id: uuid.UUID) -> Membership | None:
        result = await self.session.execute(
            select(Membership).where(
                Membership.id == membership_id,
                Membership.programme_id == scope.programme_id,
                Membership.organisation_id == scope.organisation_id,
            )
        )
        return result.scalar_one_or_none()

    async def has_active_role(self, scope: ProgrammeScope, person_id: uuid.UUID, roles: tuple[str, ...]) -> bool:
        """Whether she holds one of these roles in the programme now (switched on)."""
        result = await self.session.execute(
            select(func.count())
            .select_from(Membership)
            .where(
                Membership.programme_id == scope.programme_id,
                Membership.person_id == person_id,
                Membership.role.in_(roles),
                Membership.active.is_(True),
            )
        )
        return bool(result.scalar_one())

    async def find_membership(self, scope: ProgrammeScope, person_id: uuid.UUID, role: str) -> Membership | None:
        result = await self.session.execute(
            select(Membership).where(
                Membership.programme_id == scope.programme_id,
                Membership.person_id == person_id,
                Membership.role == role,
            )
        )
        return result.scalar_one_or_none()

    # Coach assignments -------------------------------------------------------------------

    async def list_assignments(
        self,
        scope: ProgrammeScope,
        *,
        participant_id: uuid.UUID | None = None,
        coach_id: uuid.UUID | None = None,
        counting_on: date | None = None,
    ) -> list[CoachAssignment]:
        """Assignments of the programme; with ``counting_on``, only those that count that day."""
        query = select(CoachAssignment).where(
            CoachAssignment.programme_id == scope.programme_id,
            CoachAssignment.organisation_id == scope.organisation_id,
        )
        if participant_id is not None:
            query = query.where(CoachAssignment.participant_id == participant_id)
        if coach_id is not None:
            query = query.where(CoachAssignment.coach_id == coach_id)
        if counting_on is not None:
            query = query.where(counting_assignment(counting_on))
        result = await self.session.execute(query.order_by(CoachAssignment.created_at))
        return list(result.scalars())

    async def get_assignment(self, scope: ProgrammeScope, assignment_id: uuid.UUID) -> CoachAssignment | None:
        result = await self.session.execute(
            select(CoachAssignment).where(
                CoachAssignment.id == assignment_id,
                CoachAssignment.programme_id == scope.programme_id,
                CoachAssignment.organisation_id == scope.organisation_id,
            )
        )
        return result.scalar_one_or_none()

    async def has_open_assignment(
        self, scope: ProgrammeScope, participant_id: uuid.UUID, coach_id: uuid.UUID, kind: str
    ) -> bool:
        result = await self.session.execute(
            select(func.count())
            .select_from(CoachAssignment)
            .where(
                CoachAssignment.programme_id == scope.programme_id,
                CoachAssignment.participant_id == participant_id,
                CoachAssignment.coach_id == coach_id,
                CoachAssignment.kind == kind,
                CoachAssignment.ended_at.is_(None),
            )
        )
        return bool(result.scalar_one())
