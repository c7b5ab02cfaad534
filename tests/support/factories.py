"""Factories for the rows tests build on (factory_boy): each row gets its id when it is built, so a
world is added to a session in one go, and the database orders the inserts by their foreign keys.

    her = PersonFactory.add(session, organisation_id=org.id, display_name="Mother A")
    MembershipFactory.add(session, programme=programme, person_id=her.id, role="participant")

``add`` builds a row and adds it to the session (nothing is flushed); ``add_batch`` adds several;
``flush_in_order`` writes what was added, parents first (the session orders inserts only along
relationships, and these tables have none).
Rows that belong to a programme take ``programme=`` (the row or anything with ``id`` and
``organisation_id``) for their programme and organisation ids. Values that tests do not care about
are filled in (names with a sequence number, ciphertext-shaped bodies and envelopes)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Generic, TypeVar

import factory
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from eportfolio.assignments.tables import ModuleAssignment
from eportfolio.chat.tables import Conversation, Marker, Message
from eportfolio.kit.clock import utcnow
from eportfolio.kit.db import Base, new_id
from eportfolio.portfolio.tables import Portfolio, PortfolioItem
from eportfolio.programmes.tables import (
    CoachAssignment,
    Group,
    Membership,
    Organisation,
    OrganisationAdmin,
    Person,
    Programme,
)
from tests.support.chat import body, client_id

Row = TypeVar("Row")

KEY_ID = "k" * 16  # a key id of the right shape; the server never opens what it names
SIGNED = "c2lnbmVk"  # a signed record of the right shape, for pages that only ask whether one is there


async def flush_in_order(session: AsyncSession) -> None:
    """Insert the rows added to ``session`` table by table, each after the tables it refers to."""
    order = {table: index for index, table in enumerate(Base.metadata.sorted_tables)}
    pending = sorted(session.new, key=lambda row: order[inspect(row).mapper.local_table])
    for row in pending:
        session.expunge(row)
    table = None
    for row in pending:
        if table is not None and inspect(row).mapper.local_table is not table:
            await session.flush()
        table = inspect(row).mapper.local_table
        session.add(row)
    await session.flush()


class RowFactory(factory.Factory, Generic[Row]):  # type: ignore[misc]  # factory_boy ships no types
    class Meta:
        abstract = True

    @classmethod
    def add(cls, session: AsyncSession, **values: Any) -> Row:
        row: Row = cls.build(**values)
        session.add(row)
        return row

    @classmethod
    def add_batch(cls, session: AsyncSession, size: int, **values: Any) -> list[Row]:
        rows: list[Row] = cls.build_batch(size, **values)
        session.add_all(rows)
        return rows


class ProgrammeRowFactory(RowFactory[Row]):
    """A row in a programme: ``programme=`` fills in its programme and organisation."""

    class Meta:
        abstract = True

    class Params:
        programme = None

    id = factory.LazyFunction(new_id)
    organisation_id = factory.LazyAttribute(lambda o: o.programme.organisation_id)
    programme_id = factory.LazyAttribute(lambda o: o.programme.id)


class OrganisationFactory(RowFactory[Organisation]):
    class Meta:
        model = Organisation

    id = factory.LazyFunction(new_id)
    name = factory.Sequence(lambda n: f"Organisation {n}")


class ProgrammeFactory(RowFactory[Programme]):
    class Meta:
        model = Programme

    id = factory.LazyFunction(new_id)
    name = factory.Sequence(lambda n: f"Programme {n}")
    slug = factory.Sequence(lambda n: f"programme-{n}")
    municipality = "Emmen"
    time_zone = "Europe/Amsterdam"
    languages = factory.LazyFunction(lambda: ["nl"])
    settings = factory.LazyFunction(dict)


class PersonFactory(RowFactory[Person]):
    class Meta:
        model = Person

    id = factory.LazyFunction(new_id)
    display_name = factory.Sequence(lambda n: f"Person {n:03d}")
    language = "nl"


class OrganisationAdminFactory(RowFactory[OrganisationAdmin]):
    class Meta:
        model = OrganisationAdmin


class GroupFactory(ProgrammeRowFactory[Group]):
    class Meta:
        model = Group

    name = factory.Sequence(lambda n: f"Group {n}")
    capacity = 8


class MembershipFactory(ProgrammeRowFactory[Membership]):
    class Meta:
        model = Membership

    role = "participant"


class CoachAssignmentFactory(ProgrammeRowFactory[CoachAssignment]):
    """Her coach, from a month ago; ``signed=True`` with ``signed_by=`` gives it a signed record."""

    class Meta:
        model = CoachAssignment

    class Params:
        signed = factory.Trait(signed_record=SIGNED)

    kind = "individual"
    starts_on = factory.LazyFunction(lambda: utcnow().date() - timedelta(days=30))


class ConversationFactory(ProgrammeRowFactory[Conversation]):
    """Her coaching conversation (``participant_id=``), at key epoch 1."""

    class Meta:
        model = Conversation

    kind = "coaching"
    subject_key = factory.LazyAttribute(lambda o: f"coaching:{o.participant_id}")
    last_seq = 0
    epoch = 1


class MessageFactory(ProgrammeRowFactory[Message]):
    """A message of hers or his (``conversation_id=``, ``seq=``, ``author_id=``) with a ciphertext-shaped body."""

    class Meta:
        model = Message

    kind = "person"
    client_id = factory.LazyFunction(client_id)
    body = factory.LazyFunction(lambda: body(120))
    epoch = 1


class MarkerFactory(RowFactory[Marker]):
    class Meta:
        model = Marker

    class Params:
        programme = None

    programme_id = factory.LazyAttribute(lambda o: o.programme.id)
    delivered_seq = 0
    read_seq = 0


class PortfolioFactory(ProgrammeRowFactory[Portfolio]):
    """Her portfolio (``participant_id=``) with a first key epoch."""

    class Meta:
        model = Portfolio

    epoch = 1
    epoch_key_id = KEY_ID


class PortfolioItemFactory(ProgrammeRowFactory[PortfolioItem]):
    """An item she wrote (``portfolio_id=``, ``author_id=``) for her coaches, as an encrypted envelope."""

    class Meta:
        model = PortfolioItem

    kind = "diary"
    audience = "my_coaches"
    created_by = factory.SelfAttribute("author_id")
    key_id = KEY_ID
    envelope = factory.LazyFunction(lambda: body(200))
    occurred_on = factory.LazyFunction(lambda: utcnow().date())


class ModuleAssignmentFactory(ProgrammeRowFactory[ModuleAssignment]):
    """A personal assignment given to her (``participant_id=``, ``assigned_by=``)."""

    class Meta:
        model = ModuleAssignment

    kind = "personal"
    status = "assigned"
