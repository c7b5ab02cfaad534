"""A small world to test in: one organisation with two programmes in two municipalities, and people."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eportfolio.kit.uow import unit_of_work
from eportfolio.programmes.tables import (
    CoachAssignment,
    Group,
    Membership,
    Organisation,
    OrganisationAdmin,
    Person,
    Programme,
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
        add = uow.session.add
        org = Organisation(name="Test organisation")
        other_org = Organisation(name="Another organisation")
        add(org)
        add(other_org)
        await uow.flush()
        a = Programme(
            organisation_id=org.id,
            name="Programme A",
            slug="programme-a",
            municipality="Emmen",
            time_zone="Europe/Amsterdam",
            languages=["nl", "en"],
            settings={},
        )
        b = Programme(
            organisation_id=org.id,
            name="Programme B",
            slug="programme-b",
            municipality="Maastricht",
            time_zone="Europe/Amsterdam",
            languages=["nl"],
            settings={},
        )
        add(a)
        add(b)
        await uow.flush()
        group = Group(organisation_id=org.id, programme_id=a.id, name="Group A", capacity=2)
        add(group)

        def person(name: str, organisation: Organisation = org) -> Person:
            p = Person(organisation_id=organisation.id, display_name=name, language="nl")
            add(p)
            return p

        admin, staff_a, staff_b = person("Admin"), person("Staff A"), person("Staff B")
        coach_a, supervisor_a = person("Coach A"), person("Supervisor A")
        participant_a, participant_a2, participant_b = person("Mother A"), person("Mother A2"), person("Mother B")
        outsider = person("Outsider", other_org)
        await uow.flush()
        add(OrganisationAdmin(organisation_id=org.id, person_id=admin.id))
        add(OrganisationAdmin(organisation_id=other_org.id, person_id=outsider.id))

        def member(p: Person, programme: Programme, role: str, **extra: object) -> None:
            add(Membership(organisation_id=org.id, programme_id=programme.id, person_id=p.id, role=role, **extra))

        member(staff_a, a, "staff")
        member(staff_b, b, "staff")
        member(coach_a, a, "coach", coach_kind="individual", peer_coach=True)
        member(supervisor_a, a, "supervisor")
        member(participant_a, a, "participant")
        member(participant_a2, a, "participant")
        member(participant_b, b, "participant")
        assignment = CoachAssignment(
            organisation_id=org.id,
            programme_id=a.id,
            participant_id=participant_a.id,
            coach_id=coach_a.id,
            kind="individual",
            starts_on=date(2026, 1, 1),
        )
        add(assignment)
        await uow.flush()
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
