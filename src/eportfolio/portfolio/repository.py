"""Every query of the portfolio feature, each filtered by its tenant scope and by who may read.

Who reads what is decided here, in the queries, not in templates:

- she reads her whole portfolio;
- a coach reads a portfolio only while he holds a coach assignment that counts
  (``programmes.repository.counting_assignment``: signed by staff other than himself, current,
  active coach role), and then only the items whose audience includes him: "my coaches", or
  "chosen" with a grant addressed to him; and only the grants addressed to him;
- an ended assignment stops every query below from serving her anything at once;
- staff and admins have no query here that returns content.

Every method that reads or writes a portfolio's data takes the ``ProgrammeScope`` that
``authorize`` granted and puts it in the statement, so a forgotten check is a type error and an id
of another programme matches nothing. ``readable_items`` is the statement of the items a reader may
read. Left without a scope, each for its reason: ``get_portfolio`` and ``find_item_portfolio`` find
the programme to authorise for (within the caller's organisation); ``item_exists`` and
``comment_exists`` ask whether a client-chosen id is taken anywhere; ``add_part`` follows
``attachment(scope, ...)`` in the same unit of work; ``stalled_uploads`` is the operator's report
over every programme; pinned keys are the person's own, not a programme's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from eportfolio.domain.portfolio import Audience
from eportfolio.portfolio.tables import (
    PinnedKeysRecord,
    Portfolio,
    PortfolioAttachment,
    PortfolioAttachmentPart,
    PortfolioComment,
    PortfolioEpoch,
    PortfolioGrant,
    PortfolioItem,
    PortfolioItemKey,
)
from eportfolio.programmes.repository import ProgrammeScope, counting_assignment
from eportfolio.programmes.tables import CoachAssignment, Person, Programme


@dataclass(frozen=True, slots=True)
class Coach:
    person_id: uuid.UUID
    kind: str


def _visible_to_coach(coach_id: uuid.UUID) -> Any:
    """Items whose audience includes this coach (the caller checked she is a current coach)."""
    granted = exists().where(
        PortfolioItemKey.item_id == PortfolioItem.id,
        PortfolioItemKey.kind == "grant",
        PortfolioItemKey.recipient_id == coach_id,
    )
    return or_(
        PortfolioItem.audience == Audience.my_coaches.value,
        and_(PortfolioItem.audience == Audience.chosen.value, granted),
    )


def _in_portfolio_scope(scope: ProgrammeScope) -> ColumnElement[bool]:
    return and_(Portfolio.organisation_id == scope.organisation_id, Portfolio.programme_id == scope.programme_id)


def _in_item_scope(scope: ProgrammeScope) -> ColumnElement[bool]:
    return and_(
        PortfolioItem.organisation_id == scope.organisation_id, PortfolioItem.programme_id == scope.programme_id
    )


def readable_items(
    scope: ProgrammeScope, portfolio_id: uuid.UUID, coach_id: uuid.UUID | None
) -> Select[tuple[PortfolioItem]]:
    """The items of one portfolio a reader may read, as a statement to refine (an id, an order):
    every item for her (``coach_id`` None), for a coach only those whose audience includes him.
    The tenancy and the audience are in the statement, so an item he may not read is never loaded."""
    query = select(PortfolioItem).where(PortfolioItem.portfolio_id == portfolio_id, _in_item_scope(scope))
    if coach_id is not None:
        query = query.where(_visible_to_coach(coach_id))
    return query


class PortfolioRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # Portfolios and readers --------------------------------------------------------------

    async def find_portfolio(self, scope: ProgrammeScope, participant_id: uuid.UUID) -> Portfolio | None:
        result = await self.session.execute(
            select(Portfolio).where(
                Portfolio.programme_id == scope.programme_id,
                Portfolio.organisation_id == scope.organisation_id,
                Portfolio.participant_id == participant_id,
            )
        )
        return result.scalar_one_or_none()

    async def get_portfolio(self, organisation_id: uuid.UUID, portfolio_id: uuid.UUID) -> Portfolio | None:
        result = await self.session.execute(
            select(Portfolio).where(Portfolio.id == portfolio_id, Portfolio.organisation_id == organisation_id)
        )
        return result.scalar_one_or_none()

    async def current_coaches(self, scope: ProgrammeScope, participant_id: uuid.UUID, today: date) -> list[Coach]:
        """Her coaches now: those whose assignment counts."""
        return (await self.current_coaches_of(scope, [participant_id], today)).get(participant_id, [])

    async def current_coaches_of(
        self, scope: ProgrammeScope, participant_ids: list[uuid.UUID], today: date
    ) -> dict[uuid.UUID, list[Coach]]:
        """Participant id -> her coaches now (those whose assignment counts), for many in one statement."""
        if not participant_ids:
            return {}
        result = await self.session.execute(
            select(CoachAssignment.participant_id, CoachAssignment.coach_id, CoachAssignment.kind)
            .where(
                CoachAssignment.programme_id == scope.programme_id,
                CoachAssignment.organisation_id == scope.organisation_id,
                CoachAssignment.participant_id.in_(participant_ids),
                counting_assignment(today),
            )
            .order_by(CoachAssignment.starts_on, CoachAssignment.created_at)
        )
        coaches: dict[uuid.UUID, dict[uuid.UUID, Coach]] = {}
        for participant_id, coach_id, kind in result.tuples():
            coaches.setdefault(participant_id, {}).setdefault(coach_id, Coach(coach_id, kind))
        return {participant_id: list(found.values()) for participant_id, found in coaches.items()}

    async def coached_portfolios(self, scope: ProgrammeScope, coach_id: uuid.UUID, today: date) -> list[Portfolio]:
        result = await self.session.execute(
            select(Portfolio)
            .join(
                CoachAssignment,
                and_(
                    CoachAssignment.participant_id == Portfolio.participant_id,
                    CoachAssignment.programme_id == Portfolio.programme_id,
                ),
            )
            .where(
                Portfolio.programme_id == scope.programme_id,
                Portfolio.organisation_id == scope.organisation_id,
                CoachAssignment.coach_id == coach_id,
                counting_assignment(today),
            )
            .distinct()
        )
        return list(result.scalars())

    async def display_names(self, scope: ProgrammeScope, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not ids:
            return {}
        result = await self.session.execute(
            select(Person.id, Person.display_name).where(
                Person.organisation_id == scope.organisation_id, Person.id.in_(ids)
            )
        )
        return dict(result.tuples().all())

    # Epochs and grants -------------------------------------------------------------------

    async def advance_epoch(self, scope: ProgrammeScope, portfolio_id: uuid.UUID, expected: int, key_id: str) -> bool:
        """Compare-and-set: move the epoch from ``expected`` to ``expected + 1``; False if moved already."""
        result = await self.session.execute(
            update(Portfolio)
            .where(Portfolio.id == portfolio_id, _in_portfolio_scope(scope), Portfolio.epoch == expected)
            .values(epoch=expected + 1, epoch_key_id=key_id)
            .returning(Portfolio.epoch)
        )
        return result.scalar_one_or_none() is not None

    async def current_epoch(self, scope: ProgrammeScope, portfolio_id: uuid.UUID) -> int:
        result = await self.session.execute(
            select(Portfolio.epoch).where(Portfolio.id == portfolio_id, _in_portfolio_scope(scope))
        )
        return int(result.scalar_one())

    async def epochs(self, scope: ProgrammeScope, portfolio_id: uuid.UUID) -> list[PortfolioEpoch]:
        result = await self.session.execute(
            select(PortfolioEpoch)
            .where(PortfolioEpoch.portfolio_id == portfolio_id, PortfolioEpoch.programme_id == scope.programme_id)
            .order_by(PortfolioEpoch.epoch)
        )
        return list(result.scalars())

    async def get_epoch(self, scope: ProgrammeScope, portfolio_id: uuid.UUID, epoch: int) -> PortfolioEpoch | None:
        result = await self.session.execute(
            select(PortfolioEpoch).where(
                PortfolioEpoch.portfolio_id == portfolio_id,
                PortfolioEpoch.epoch == epoch,
                PortfolioEpoch.programme_id == scope.programme_id,
            )
        )
        return result.scalar_one_or_none()

    async def grants_for(
        self, scope: ProgrammeScope, portfolio_id: uuid.UUID, recipient_id: uuid.UUID
    ) -> list[PortfolioGrant]:
        result = await self.session.execute(
            select(PortfolioGrant)
            .where(
                PortfolioGrant.portfolio_id == portfolio_id,
                PortfolioGrant.programme_id == scope.programme_id,
                PortfolioGrant.recipient_id == recipient_id,
            )
            .order_by(PortfolioGrant.epoch)
        )
        return list(result.scalars())

    async def grants_of_epoch(
        self, scope: ProgrammeScope, portfolio_id: uuid.UUID, epoch: int
    ) -> dict[uuid.UUID, PortfolioGrant]:
        result = await self.session.execute(
            select(PortfolioGrant).where(
                PortfolioGrant.portfolio_id == portfolio_id,
                PortfolioGrant.programme_id == scope.programme_id,
                PortfolioGrant.epoch == epoch,
            )
        )
        return {g.recipient_id: g for g in result.scalars()}

    async def current_grants(
        self, scope: ProgrammeScope, portfolio_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, dict[uuid.UUID, PortfolioGrant]]:
        """Portfolio id -> recipient -> grant of the portfolio's current epoch, for many in one statement."""
        if not portfolio_ids:
            return {}
        result = await self.session.execute(
            select(PortfolioGrant)
            .join(
                Portfolio,
                and_(Portfolio.id == PortfolioGrant.portfolio_id, Portfolio.epoch == PortfolioGrant.epoch),
            )
            .where(
                PortfolioGrant.portfolio_id.in_(portfolio_ids),
                PortfolioGrant.programme_id == scope.programme_id,
                _in_portfolio_scope(scope),
            )
        )
        grants: dict[uuid.UUID, dict[uuid.UUID, PortfolioGrant]] = {}
        for grant in result.scalars():
            grants.setdefault(grant.portfolio_id, {})[grant.recipient_id] = grant
        return grants

    async def delete_grant(self, scope: ProgrammeScope, grant_id: uuid.UUID) -> None:
        await self.session.execute(
            delete(PortfolioGrant).where(
                PortfolioGrant.id == grant_id, PortfolioGrant.programme_id == scope.programme_id
            )
        )

    async def grant_recipients(self, scope: ProgrammeScope, portfolio_id: uuid.UUID, epoch: int) -> set[uuid.UUID]:
        result = await self.session.execute(
            select(PortfolioGrant.recipient_id).where(
                PortfolioGrant.portfolio_id == portfolio_id,
                PortfolioGrant.programme_id == scope.programme_id,
                PortfolioGrant.epoch == epoch,
            )
        )
        return set(result.scalars())

    # Items -------------------------------------------------------------------------------

    async def list_items(
        self, scope: ProgrammeScope, portfolio_id: uuid.UUID, coach_id: uuid.UUID | None
    ) -> list[PortfolioItem]:
        """Her items (``coach_id`` None) or those whose audience includes this coach."""
        query = readable_items(scope, portfolio_id, coach_id)
        result = await self.session.execute(query.order_by(PortfolioItem.updated_at.desc(), PortfolioItem.id))
        return list(result.scalars())

    async def get_item(
        self, scope: ProgrammeScope, portfolio_id: uuid.UUID, item_id: uuid.UUID, coach_id: uuid.UUID | None
    ) -> PortfolioItem | None:
        query = readable_items(scope, portfolio_id, coach_id).where(PortfolioItem.id == item_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def item_exists(self, item_id: uuid.UUID) -> bool:
        return await self.session.get(PortfolioItem, item_id) is not None

    async def find_item_portfolio(self, organisation_id: uuid.UUID, item_id: uuid.UUID) -> Portfolio | None:
        result = await self.session.execute(
            select(Portfolio)
            .join(PortfolioItem, PortfolioItem.portfolio_id == Portfolio.id)
            .where(PortfolioItem.id == item_id, Portfolio.organisation_id == organisation_id)
        )
        return result.scalar_one_or_none()

    async def advance_revision(
        self, scope: ProgrammeScope, item_id: uuid.UUID, base: int, values: dict[str, Any]
    ) -> bool:
        """Compare-and-set on the revision: False when the item moved on since ``base``."""
        result = await self.session.execute(
            update(PortfolioItem)
            .where(PortfolioItem.id == item_id, _in_item_scope(scope), PortfolioItem.revision == base)
            .values(revision=base + 1, **values)
            .returning(PortfolioItem.revision)
        )
        return result.scalar_one_or_none() is not None

    async def current_revision(self, scope: ProgrammeScope, item_id: uuid.UUID) -> int:
        result = await self.session.execute(
            select(PortfolioItem.revision).where(PortfolioItem.id == item_id, _in_item_scope(scope))
        )
        return int(result.scalar_one())

    async def item_keys(
        self, scope: ProgrammeScope, item_ids: list[uuid.UUID], reader_id: uuid.UUID, *, owner: bool
    ) -> dict[uuid.UUID, list[PortfolioItemKey]]:
        """The key copies this reader can use: hers are every copy; a coach's the epoch copies and
        the grant addressed to her."""
        if not item_ids:
            return {}
        query = select(PortfolioItemKey).where(
            PortfolioItemKey.item_id.in_(item_ids), PortfolioItemKey.programme_id == scope.programme_id
        )
        if not owner:
            query = query.where(
                or_(
                    PortfolioItemKey.kind == "epoch",
                    and_(PortfolioItemKey.kind == "grant", PortfolioItemKey.recipient_id == reader_id),
                )
            )
        result = await self.session.execute(query.order_by(PortfolioItemKey.kind, PortfolioItemKey.epoch))
        keys: dict[uuid.UUID, list[PortfolioItemKey]] = {}
        for row in result.scalars():
            keys.setdefault(row.item_id, []).append(row)
        return keys

    async def replace_item_keys(self, scope: ProgrammeScope, item_id: uuid.UUID, rows: list[PortfolioItemKey]) -> None:
        await self.session.execute(
            delete(PortfolioItemKey).where(
                PortfolioItemKey.item_id == item_id, PortfolioItemKey.programme_id == scope.programme_id
            )
        )
        self.session.add_all(rows)

    async def delete_item(self, scope: ProgrammeScope, item_id: uuid.UUID) -> None:
        await self.session.execute(delete(PortfolioItem).where(PortfolioItem.id == item_id, _in_item_scope(scope)))

    # Comments ----------------------------------------------------------------------------

    async def comments(self, scope: ProgrammeScope, item_id: uuid.UUID) -> list[PortfolioComment]:
        result = await self.session.execute(
            select(PortfolioComment)
            .where(PortfolioComment.item_id == item_id, PortfolioComment.programme_id == scope.programme_id)
            .order_by(PortfolioComment.created_at, PortfolioComment.id)
        )
        return list(result.scalars())

    async def comment_counts(self, scope: ProgrammeScope, item_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
        if not item_ids:
            return {}
        result = await self.session.execute(
            select(PortfolioComment.item_id, func.count())
            .where(PortfolioComment.item_id.in_(item_ids), PortfolioComment.programme_id == scope.programme_id)
            .group_by(PortfolioComment.item_id)
        )
        return {item_id: int(n) for item_id, n in result.tuples()}

    async def comment_exists(self, comment_id: uuid.UUID) -> bool:
        return await self.session.get(PortfolioComment, comment_id) is not None

    # Attachments -------------------------------------------------------------------------

    async def attachment(self, scope: ProgrammeScope, item_id: uuid.UUID) -> PortfolioAttachment | None:
        result = await self.session.execute(
            select(PortfolioAttachment).where(
                PortfolioAttachment.item_id == item_id, PortfolioAttachment.programme_id == scope.programme_id
            )
        )
        return result.scalar_one_or_none()

    async def attachments(
        self, scope: ProgrammeScope, item_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, PortfolioAttachment]:
        if not item_ids:
            return {}
        result = await self.session.execute(
            select(PortfolioAttachment).where(
                PortfolioAttachment.item_id.in_(item_ids), PortfolioAttachment.programme_id == scope.programme_id
            )
        )
        return {row.item_id: row for row in result.scalars()}

    async def used_bytes(self, scope: ProgrammeScope, portfolio_id: uuid.UUID) -> int:
        result = await self.session.execute(
            select(func.coalesce(func.sum(PortfolioAttachment.size), 0)).where(
                PortfolioAttachment.portfolio_id == portfolio_id, PortfolioAttachment.programme_id == scope.programme_id
            )
        )
        return int(result.scalar_one())

    async def received_parts(self, scope: ProgrammeScope, item_id: uuid.UUID) -> set[int]:
        result = await self.session.execute(
            select(PortfolioAttachmentPart.part)
            .join(PortfolioAttachment, PortfolioAttachment.item_id == PortfolioAttachmentPart.item_id)
            .where(PortfolioAttachmentPart.item_id == item_id, PortfolioAttachment.programme_id == scope.programme_id)
        )
        return set(result.scalars())

    async def add_part(self, item_id: uuid.UUID, part: int, size: int) -> bool:
        """Record a received part; False when it was recorded already (the same part sent twice at
        once, a resend racing its first attempt, is counted once)."""
        insert = postgresql.insert if self.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        statement = (
            insert(PortfolioAttachmentPart.__table__)  # type: ignore[arg-type]  # __table__ is typed as FromClause; on a mapped class it is the Table insert/update want
            .values(item_id=item_id, part=part, size=size)
            .on_conflict_do_nothing(index_elements=["item_id", "part"])
        )
        result = await self.session.execute(statement)
        return getattr(result, "rowcount", 0) == 1

    async def count_part(self, scope: ProgrammeScope, item_id: uuid.UUID, parts: int, now: datetime) -> bool:
        """One more part received; complete when all are (in the same statement, so no race).
        Returns whether this part completed the stream."""
        result = await self.session.execute(
            update(PortfolioAttachment)
            .where(PortfolioAttachment.item_id == item_id, PortfolioAttachment.programme_id == scope.programme_id)
            .values(
                received=PortfolioAttachment.received + 1,
                complete=PortfolioAttachment.received + 1 >= parts,
                updated_at=now,
            )
            .returning(PortfolioAttachment.complete)
        )
        return bool(result.scalar_one())

    async def forget_parts(self, scope: ProgrammeScope, item_id: uuid.UUID) -> None:
        """A stream that never completed is replaced by another one: none of its parts count."""
        in_scope = select(PortfolioAttachment.item_id).where(
            PortfolioAttachment.item_id == item_id, PortfolioAttachment.programme_id == scope.programme_id
        )
        await self.session.execute(
            delete(PortfolioAttachmentPart).where(
                PortfolioAttachmentPart.item_id == item_id, PortfolioAttachmentPart.item_id.in_(in_scope)
            )
        )

    async def stalled_uploads(self, before: datetime) -> list[tuple[PortfolioAttachment, str]]:
        """Every stream that is still incomplete and got no part since ``before``, oldest first,
        with the name of the organisation's programme it belongs to (for the report)."""
        result = await self.session.execute(
            select(PortfolioAttachment, Programme.name)
            .join(Programme, Programme.id == PortfolioAttachment.programme_id)
            .where(
                PortfolioAttachment.complete.is_(False),
                func.coalesce(PortfolioAttachment.updated_at, PortfolioAttachment.created_at) < before,
            )
            .order_by(func.coalesce(PortfolioAttachment.updated_at, PortfolioAttachment.created_at))
        )
        return [(row, name) for row, name in result.tuples()]

    # Pinned keys -------------------------------------------------------------------------

    async def pinned_keys(self, person_id: uuid.UUID) -> PinnedKeysRecord | None:
        return await self.session.get(PinnedKeysRecord, person_id)

    async def advance_pinned_keys(self, person_id: uuid.UUID, revision: int, values: dict[str, Any]) -> bool:
        result = await self.session.execute(
            update(PinnedKeysRecord)
            .where(PinnedKeysRecord.person_id == person_id, PinnedKeysRecord.revision < revision)
            .values(revision=revision, **values)
            .returning(PinnedKeysRecord.revision)
        )
        return result.scalar_one_or_none() is not None
