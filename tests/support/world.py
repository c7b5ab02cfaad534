"""A small world to test in: one organisation with two programmes in two municipalities, and people."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.tables import Organisation, Person, Programme
from tests.support.factories import (
    CoachAssignmentFactory,
    GroupFactory,
    MembershipFactory,
    OrganisationAdminFactory,
    OrganisationFactory,
    PersonFactory,
    ProgrammeFactory,
    flush_in_order,
)


@dataclass
class World:
    organisation_id: uuid.UUID
    programme_a: uuid.UUID
    programme_b: uuid.UUID
    group_a: uuid.UUID
    admin: uuid.UUID
    staff_a: uuid.UUID
    staff_b: uuid.UUID
    coach_a: uuid.UUID
    supervisor_a: uuid.UUID
    participant_a: uuid.UUID
    participant_a2: uuid.UUID
    participant_b: uuid.UUID
    assignment_a: uuid.UUID
    outsider_org_admin: uuid.UUID


async def build_world(sessionmaker: async_sessionmaker[AsyncSession]) -> World:
    async with unit_of_work(sessionmaker) as uow:
        session = uow.session
        org = OrganisationFactory.add(session, name="Test organisation")
        other_org = OrganisationFactory.add(session, name="Another organisation")
        a = ProgrammeFactory.add(
            session, organisation_id=org.id, name="Programme A", slug="programme-a", languages=["nl", "en"]
        )
        b = ProgrammeFactory.add(
            session, organisation_id=org.id, name="Programme B", slug="programme-b", municipality="Maastricht"
        )
        group = GroupFactory.add(session, programme=a, name="Group A", capacity=2)

        def person(name: str, organisation: Organisation = org) -> Person:
            return PersonFactory.add(session, organisation_id=organisation.id, display_name=name)

        admin, staff_a, staff_b = person("Admin"), person("Staff A"), person("Staff B")
        coach_a, supervisor_a = person("Coach A"), person("Supervisor A")
        participant_a, participant_a2, participant_b = person("Mother A"), person("Mother A2"), person("Mother B")
        outsider = person("Outsider", other_org)
        OrganisationAdminFactory.add(session, organisation_id=org.id, person_id=admin.id)
        OrganisationAdminFactory.add(session, organisation_id=other_org.id, person_id=outsider.id)

        def member(p: Person, programme: Programme, role: str, **extra: object) -> None:
            MembershipFactory.add(session, programme=programme, person_id=p.id, role=role, **extra)

        member(staff_a, a, "staff")
        member(staff_b, b, "staff")
        member(coach_a, a, "coach", coach_kind="individual", peer_coach=True)
        member(supervisor_a, a, "supervisor")
        member(participant_a, a, "participant")
        member(participant_a2, a, "participant")
        member(participant_b, b, "participant")
        assignment = CoachAssignmentFactory.add(
            session, programme=a, participant_id=participant_a.id, coach_id=coach_a.id, starts_on=date(2026, 1, 1)
        )
        await flush_in_order(session)
        return World(
            organisation_id=org.id,
            programme_a=a.id,
            programme_b=b.id,
            group_a=group.id,
            admin=admin.id,
            staff_a=staff_a.id,
            staff_b=staff_b.id,
            coach_a=coach_a.id,
            supervisor_a=supervisor_a.id,
            participant_a=participant_a.id,
            participant_a2=participant_a2.id,
            participant_b=participant_b.id,
            assignment_a=assignment.id,
            outsider_org_admin=outsider.id,
        )
