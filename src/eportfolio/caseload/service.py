"""The menu of each role with its counts, a coach's caseload, and her "today".

The menu is built once per page (``kit.web.load_navigation`` calls ``navigation``) from her roles
(loaded once per request and kept on the caller) and one statement of counts: a fixed number of
statements on every page. The caseload is one statement per programme he coaches in, however
many participants he has.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from eportfolio.caseload.repository import CaseloadRepository, CaseloadRow, Counts, Today, newest
from eportfolio.domain.people import Role
from eportfolio.kit.audit import Action, personal_data, record_access
from eportfolio.kit.auth import Caller
from eportfolio.kit.clock import utcnow
from eportfolio.kit.errors import N_
from eportfolio.kit.uow import UnitOfWork
from eportfolio.programmes import service as programmes

BAR_SIZE = 5  # what fits a 360 px phone for one thumb; the rest is under "More"


# The menu ----------------------------------------------------------------------------------


@dataclass(slots=True)
class NavItem:
    key: str
    href: str
    label: str  # a msgid; the template translates it
    count: int = 0
    # Other addresses that belong to this item (a conversation belongs to "Chat").
    prefixes: tuple[str, ...] = ()
    current: bool = False


@dataclass(slots=True)
class Navigation:
    bar: list[NavItem]
    more: list[NavItem]
    more_current: bool = False
    counts: Counts = field(default_factory=Counts)

    @property
    def more_count(self) -> int:
        return sum(item.count for item in self.more)

    @property
    def items(self) -> list[NavItem]:
        return self.bar + self.more


def _roles(caller: Caller) -> tuple[set[str], dict[str, list[uuid.UUID]]]:
    assert caller.roles_by_programme is not None
    held: set[str] = set()
    where: dict[str, list[uuid.UUID]] = {}
    for programme_id, roles in caller.roles_by_programme.items():
        held |= roles
        for role in roles:
            where.setdefault(role, []).append(programme_id)
    if caller.is_org_admin:
        held.add(Role.org_admin.value)
    return held, where


def _items(held: set[str], where: dict[str, list[uuid.UUID]], counts: Counts) -> list[NavItem]:
    """Every item of every role she holds, once, most needed first."""
    participant = Role.participant.value in held
    coach = Role.coach.value in held
    supervisor = Role.supervisor.value in held
    managing = bool(held & {Role.staff.value, Role.org_admin.value})
    items = [
        NavItem("home", "/", N_("Today") if (coach or supervisor) and not participant else N_("Home")),
    ]
    if participant:
        items.append(NavItem("portfolio", "/portfolio", N_("Portfolio"), prefixes=("/portfolio/",)))
        items.append(
            NavItem("assignments", "/my/assignments", N_("Assignments"), counts.assignments, ("/programmes/",))
        )
    if coach:
        items.append(NavItem("caseload", "/caseload", N_("Participants"), prefixes=("/caseload/",)))
    if managing:
        staff_in = where.get(Role.staff.value, [])
        one = len(staff_in) == 1 and Role.org_admin.value not in held
        href = f"/manage/programmes/{staff_in[0]}" if one else "/manage"
        items.append(NavItem("manage", href, N_("Manage"), prefixes=("/manage",)))
    # An organisation admin without a role in a programme has no conversation and no inbox: a
    # Chat item would open an empty page.
    if participant or coach or supervisor or Role.staff.value in held:
        items.append(NavItem("chat", "/chat", N_("Chat"), counts.chat, ("/chat/",)))
    if coach or supervisor:
        items.append(NavItem("review", "/review", N_("To review"), counts.review))
    if coach or supervisor or managing:
        items.append(NavItem("roster", "/roster", N_("Roster"), prefixes=("/roster/",)))
    items.append(NavItem("notifications", "/notifications", N_("Notifications"), counts.notifications))
    if participant or coach:
        # Her home says "My calendar": her menu says the same; a coach's (and a coach who also takes
        # part somewhere) keeps "Calendar", for it holds his appointments with others too.
        label = N_("My calendar") if participant and not coach else N_("Calendar")
        items.append(NavItem("appointments", "/appointments", label, prefixes=("/appointments/",)))
    if participant:
        # Her measurements, the chart and the bridge; under "More" on a phone.
        items.append(NavItem("growth", "/my/growth", N_("My growth"), prefixes=("/growth/",)))
    if participant or coach or Role.staff.value in held:
        items.append(NavItem("trainings", "/trainings", N_("Trainings"), prefixes=("/trainings/",)))
    recovery_in = where.get(Role.recovery_officer.value, [])
    if recovery_in:
        items.append(
            NavItem("recovery", f"/recovery/programmes/{recovery_in[0]}/requests", N_("Recovery"),
                    prefixes=("/recovery/programmes/",))
        )
    if participant:
        # Her trajectory: less often needed than the bar's items, so under "More".
        items.append(NavItem("trajectory", "/my/trajectory", N_("My trajectory")))
    return items


def _mark_current(items: list[NavItem], path: str) -> None:
    exact = next((item for item in items if item.href == path), None)
    if exact is not None:
        exact.current = True
        return
    best: NavItem | None = None
    best_length = 0
    for item in items:
        for prefix in (item.href + "/" if item.href != "/" else "", *item.prefixes):
            if prefix and path.startswith(prefix) and len(prefix) > best_length:
                best, best_length = item, len(prefix)
    if best is not None:
        best.current = True


async def navigation(uow: UnitOfWork, caller: Caller, path: str) -> Navigation:
    """Her menu for this page: at most ``BAR_SIZE`` items in the bar, the rest under "More"."""
    await programmes.load_roles(uow, caller)
    held, where = _roles(caller)
    now = utcnow()
    counts = await CaseloadRepository(uow.session).counts(
        caller.organisation_id,
        caller.person_id,
        today=now.date(),
        now=now,
        chat=True,
        review=Role.coach.value in held,
        assignments=Role.participant.value in held,
    )
    items = _items(held, where, counts)
    _mark_current(items, path)
    bar, more = items[:BAR_SIZE], items[BAR_SIZE:]
    return Navigation(bar=bar, more=more, more_current=path == "/menu", counts=counts)


# A coach's caseload ------------------------------------------------------------------------

SIGNED = "signed"
AWAITING = "awaiting_second_signature"
UNSIGNED = "unsigned"


@dataclass(frozen=True, slots=True)
class CaseloadEntry:
    programme_id: uuid.UUID
    participant_id: uuid.UUID
    name: str
    # Whether the signed coach assignment is in place (the server checked the signature chain
    # when the record was stored; a record he signed himself waits for a second signature).
    signature: str
    unread: int
    waiting_since: datetime | None
    to_review: int
    overdue: int
    goals_due: int
    last_activity: datetime | None
    conversation_id: uuid.UUID | None
    portfolio_id: uuid.UUID | None
    # Measurements where her self-score is in and his is not yet, and the oldest of them.
    scores_waiting: int = 0
    score_measurement_id: uuid.UUID | None = None

    @property
    def can_open(self) -> bool:
        """Only a signed assignment (by someone else) makes him her reader: until then her
        portfolio, chat and answers are closed to him, and what waits there is not his to count."""
        return self.signature == SIGNED

    @property
    def needs_attention(self) -> bool:
        return bool(
            self.waiting_since or self.unread or self.to_review or self.goals_due or self.overdue
            or self.scores_waiting
        )

    def attention_key(self) -> tuple[object, ...]:
        """Who needs him first: a message waiting for an answer (longest first), then the most
        things waiting, then whoever has been quiet longest."""
        waiting = self.waiting_since.timestamp() if self.waiting_since else float("inf")
        things = self.unread + self.to_review + self.goals_due + self.overdue + self.scores_waiting
        quiet = self.last_activity.timestamp() if self.last_activity else 0.0
        return (self.waiting_since is None, waiting, -things, quiet, self.name)


@dataclass(frozen=True, slots=True)
class ProgrammeCaseload:
    programme_id: uuid.UUID
    programme_name: str
    entries: list[CaseloadEntry]


def _signature(row: CaseloadRow) -> str:
    if not row.signed_record or row.signed_by is None:
        return UNSIGNED
    return AWAITING if row.signed_by == row.coach_id else SIGNED


def _entries(programme_id: uuid.UUID, rows: list[CaseloadRow]) -> list[CaseloadEntry]:
    by_participant: dict[uuid.UUID, CaseloadEntry] = {}
    for row in rows:
        signature = _signature(row)
        reader = signature == SIGNED
        entry = CaseloadEntry(
            programme_id=programme_id,
            participant_id=row.participant_id,
            name=row.name,
            signature=signature,
            unread=row.unread if reader else 0,
            waiting_since=row.waiting_since if reader else None,
            to_review=row.to_review if reader else 0,
            overdue=row.overdue if reader else 0,
            goals_due=row.goals_due if reader else 0,
            last_activity=newest(row.last_message_at, row.last_item_at, row.last_answer_at) if reader else None,
            conversation_id=row.conversation_id,
            portfolio_id=row.portfolio_id,
            scores_waiting=int(row.scores_waiting or 0) if reader else 0,
            score_measurement_id=row.score_measurement_id if reader else None,
        )
        known = by_participant.get(row.participant_id)
        # Two assignments for one participant (say individual and budget): the signed one shows.
        if known is None or (known.signature != SIGNED and entry.signature == SIGNED):
            by_participant[row.participant_id] = entry
    return sorted(by_participant.values(), key=CaseloadEntry.attention_key)


@personal_data("caseload")
async def caseload(uow: UnitOfWork, caller: Caller) -> list[ProgrammeCaseload]:
    """The participants he coaches now, per programme, who needs him first."""
    await programmes.load_roles(uow, caller)
    assert caller.roles_by_programme is not None
    repo = CaseloadRepository(uow.session)
    answer = []
    for programme_id, roles in sorted(caller.roles_by_programme.items()):
        if Role.coach.value not in roles:
            continue
        access = await programmes.authorize(uow, caller, programme_id, {Role.coach})
        today = programmes.programme_today(access.programme)
        rows = await repo.caseload(access.scope.organisation_id, programme_id, caller.person_id, today)
        record_access(
            uow,
            caller,
            role=access.role,
            subjects=[row.participant_id for row in rows],
            record_kind="caseload",
            action=Action.read,
            programme_id=programme_id,
        )
        answer.append(ProgrammeCaseload(programme_id, access.programme.name, _entries(programme_id, rows)))
    return answer


# Her today ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParticipantToday:
    programme_id: uuid.UUID
    today: Today
    due_today: date


@personal_data("today")
async def participant_today(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> ParticipantToday:
    """What is new for her in one programme: a reply, feedback, her next goal step."""
    access = await programmes.authorize(uow, caller, programme_id, {Role.participant})
    today = programmes.programme_today(access.programme)
    found = await CaseloadRepository(uow.session).today(
        access.scope.organisation_id, programme_id, caller.person_id, today
    )
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[caller.person_id],
        record_kind="today",
        action=Action.read,
        programme_id=programme_id,
    )
    return ParticipantToday(programme_id, found, today)
