"""Use cases of the portfolio: one transaction each, access checked first, events after commit.

The server holds ciphertext only. What it checks is structure it can check without a secret key
(`CRYPTO.md`: signatures and MACs of content are the clients' job): sizes, version bytes, key ids,
that an envelope names the key id the item claims, and that every grant and epoch record is
well-formed, names this portfolio, the right epoch, key and recipient, and is signed by the caller
(checked against the public identity she registered), so nobody can store a grant in someone
else's name (``kit.sharing``, the checks the chat makes too). Readers and their keys are decided
in ``repository``.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm.attributes import set_committed_value

from eportfolio import crypto
from eportfolio.accounts import service as accounts
from eportfolio.domain.people import Role
from eportfolio.domain.portfolio import (
    ATTACHMENT_CHUNK_BYTES,
    ATTACHMENT_HEADER_BYTES,
    ATTACHMENT_KINDS,
    ATTACHMENT_TAG_BYTES,
    ITEM_GRANT_RESOURCE,
    PORTFOLIO_RESOURCE,
    SHARED_EDIT_KINDS,
    AttachmentCreate,
    AttachmentProofRead,
    AttachmentRead,
    Audience,
    CommentCreate,
    CommentRead,
    EpochCreate,
    EpochRead,
    FileStatus,
    GoalStatus,
    GrantCreate,
    GrantRead,
    ItemCreate,
    ItemKeyCopy,
    ItemKeyRead,
    ItemKind,
    ItemRead,
    ItemUpdate,
    MemberRead,
    OwnGrant,
    PinnedKeysRead,
    PinnedKeysWrite,
    PortfolioRead,
    QuotaRead,
    decode_b64u,
)
from eportfolio.domain.programmes import ProgrammeSettings
from eportfolio.kit.audit import Action, personal_data, record_access
from eportfolio.kit.auth import Caller
from eportfolio.kit.clock import utcnow
from eportfolio.kit.errors import N_, Conflict, Forbidden, InvalidInput, NotFound, PayloadTooLarge
from eportfolio.kit.events import Event
from eportfolio.kit.sharing import SharedResource, check_grant, checked_epoch
from eportfolio.kit.uow import UnitOfWork
from eportfolio.notifications import service as notifications
from eportfolio.portfolio.repository import Coach, PortfolioRepository
from eportfolio.portfolio.tables import (
    PinnedKeysRecord,
    Portfolio,
    PortfolioAttachment,
    PortfolioComment,
    PortfolioEpoch,
    PortfolioGrant,
    PortfolioItem,
    PortfolioItemKey,
)
from eportfolio.programmes.repository import ProgrammeScope
from eportfolio.programmes.service import authorize
from eportfolio.programmes.tables import Programme
from eportfolio.trust import service as trust

OWNER = "owner"
COACH = "coach"
# SecretBox purpose 0x05 (an item key): 31-byte header, 32-byte key, 16-byte tag.
ITEM_WRAP_BYTES = 79


class StaleRevision(Conflict):
    code = "stale_revision"
    default_message = N_(
        "Someone else saved a newer version of this in the meantime. Compare both versions and save again."
    )

    def __init__(self, current: int) -> None:
        super().__init__(params={"revision": current})
        self.current = current


class StaleEpoch(Conflict):
    code = "stale_epoch"
    default_message = N_("The key of this portfolio changed just now. Please try again.")

    def __init__(self, current: int) -> None:
        super().__init__(params={"epoch": current})
        self.current = current


@dataclass(slots=True)
class PortfolioAccess:
    portfolio: Portfolio
    programme: Programme
    scope: ProgrammeScope
    relation: str  # OWNER | COACH
    acting_role: str
    coaches: list[Coach]
    reader_id: uuid.UUID

    @property
    def coach_id(self) -> uuid.UUID | None:
        """The reader to filter items by: None for her (she reads everything)."""
        return None if self.relation == OWNER else self.reader_id


def programme_today(programme: Programme) -> date:
    return utcnow().astimezone(ZoneInfo(programme.time_zone)).date()


def _subject(access: PortfolioAccess) -> list[uuid.UUID]:
    return [access.portfolio.participant_id]


def _log(uow: UnitOfWork, caller: Caller, access: PortfolioAccess, kind: str, action: Action) -> None:
    record_access(
        uow,
        caller,
        role=access.acting_role,
        subjects=_subject(access),
        record_kind=kind,
        action=action,
        programme_id=access.portfolio.programme_id,
    )


def _invalid(field: str, message: str = N_("This is not a valid encrypted structure.")) -> InvalidInput:
    return InvalidInput(message, field=field)


def _bytes(value: str, field: str) -> bytes:
    try:
        return decode_b64u(value)
    except ValueError as exc:
        raise _invalid(field) from exc


# Access ------------------------------------------------------------------------------------


async def _access(uow: UnitOfWork, caller: Caller, portfolio: Portfolio) -> PortfolioAccess:
    """Her, or a coach with a current signed assignment; staff and everyone else are refused."""
    access = await authorize(uow, caller, portfolio.programme_id, {Role.participant, Role.coach})
    repo = PortfolioRepository(uow.session)
    coaches = await repo.current_coaches(access.scope, portfolio.participant_id, programme_today(access.programme))
    if caller.person_id == portfolio.participant_id and access.role is Role.participant:
        relation = OWNER
    elif any(c.person_id == caller.person_id for c in coaches):
        relation = COACH
    else:
        raise Forbidden(N_("You are not one of her coaches now, so you cannot open her portfolio."))
    return PortfolioAccess(
        portfolio, access.programme, access.scope, relation, access.role.value, coaches, caller.person_id
    )


async def access_portfolio(uow: UnitOfWork, caller: Caller, portfolio_id: uuid.UUID) -> PortfolioAccess:
    portfolio = await PortfolioRepository(uow.session).get_portfolio(caller.organisation_id, portfolio_id)
    if portfolio is None:
        raise NotFound(N_("This portfolio does not exist, or you cannot open it."))
    return await _access(uow, caller, portfolio)


async def _item_access(uow: UnitOfWork, caller: Caller, item_id: uuid.UUID) -> tuple[PortfolioAccess, PortfolioItem]:
    repo = PortfolioRepository(uow.session)
    portfolio = await repo.find_item_portfolio(caller.organisation_id, item_id)
    if portfolio is None:
        raise NotFound(N_("This item does not exist, or it is not shared with you."))
    access = await _access(uow, caller, portfolio)
    item = await repo.get_item(access.scope, portfolio.id, item_id, access.coach_id)
    if item is None:
        raise NotFound(N_("This item does not exist, or it is not shared with you."))
    return access, item


def _require_owner(access: PortfolioAccess, message: str) -> None:
    if access.relation != OWNER:
        raise Forbidden(message)


# Public identities (through the accounts service) -------------------------------------------


async def _person(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, person_id: uuid.UUID) -> crypto.Person:
    try:
        read = await trust.public_identity(uow, caller, programme_id, person_id)
        return crypto.Person.from_public_identity(crypto.b64u_decode(read.public_identity))
    except (NotFound, crypto.CryptoError) as exc:
        raise InvalidInput(
            N_("This person has no keys yet. She can be given access after she has signed up."), field="recipient_id"
        ) from exc


def _resource(resource_type: str, resource_id: uuid.UUID) -> SharedResource:
    """The portfolio (its epochs and their grants) or one item (its key granted to chosen people)."""
    return SharedResource(
        resource_type,
        str(resource_id),
        wrong_record=N_("The key record does not belong to this portfolio and its last key."),
        wrong_grant=N_("A key grant does not match this portfolio, its key or the person it names."),
    )


async def _check_grant(
    uow: UnitOfWork,
    caller: Caller,
    access: PortfolioAccess,
    grant: GrantCreate,
    *,
    resource: SharedResource,
    epoch: int,
    key_id: bytes,
    granter: crypto.Person,
) -> None:
    """A grant must be well-formed, signed by the caller, for this resource, epoch and key, and
    addressed (id and fingerprint) to the recipient named next to it (``kit.sharing``)."""
    recipient = await _person(uow, caller, access.portfolio.programme_id, grant.recipient_id)
    check_grant(
        grant.grant,
        resource,
        epoch=epoch,
        key_id=key_id,
        granter_id=caller.person_id,
        granter=granter,
        recipient_id=grant.recipient_id,
        recipient=recipient,
    )


def _member_ids(access: PortfolioAccess) -> set[uuid.UUID]:
    return {access.portfolio.participant_id, *(c.person_id for c in access.coaches)}


# Portfolios --------------------------------------------------------------------------------


async def _fingerprint(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, person_id: uuid.UUID) -> bytes | None:
    try:
        return (await _person(uow, caller, programme_id, person_id)).fingerprint
    except InvalidInput:
        return None


def _granted_fingerprint(grant: PortfolioGrant) -> bytes | None:
    try:
        return crypto.read_grant(crypto.b64u_decode(grant.grant)).recipient_fingerprint
    except crypto.CryptoError:
        return None


async def _fingerprints(uow: UnitOfWork, scope: ProgrammeScope, person_ids: list[uuid.UUID]) -> dict[uuid.UUID, bytes]:
    """Person id -> the fingerprint of the key she holds now, for those with keys (one statement)."""
    found = await accounts.accounts_in_organisation(uow, scope.organisation_id, person_ids)
    fingerprints = {}
    for person_id, account in found.items():
        if not account.public_identity:
            continue
        try:
            fingerprints[person_id] = accounts.person_fingerprint(account).fingerprint
        except crypto.CryptoError:
            continue
    return fingerprints


def _current_holders(
    access: PortfolioAccess, grants: dict[uuid.UUID, PortfolioGrant], fingerprints: dict[uuid.UUID, bytes]
) -> tuple[set[uuid.UUID], bool]:
    """Who holds the current key for the key she has now (a grant to a key she replaced, as after
    coach-assisted recovery, does not count), and whether anyone else still holds it."""
    if access.portfolio.epoch < 1:
        return set(), False
    members = _member_ids(access)
    holders = {
        person_id
        for person_id in members & set(grants)
        if person_id in fingerprints and _granted_fingerprint(grants[person_id]) == fingerprints[person_id]
    }
    return holders, bool(set(grants) - members)


def _read(
    access: PortfolioAccess,
    grants: dict[uuid.UUID, PortfolioGrant],
    fingerprints: dict[uuid.UUID, bytes],
    names: dict[uuid.UUID, str],
) -> PortfolioRead:
    portfolio = access.portfolio
    holders, others = _current_holders(access, grants, fingerprints)
    members = [
        MemberRead(
            person_id=portfolio.participant_id,
            display_name=names.get(portfolio.participant_id, ""),
            role=OWNER,
            has_current_grant=portfolio.participant_id in holders,
        )
    ] + [
        MemberRead(
            person_id=c.person_id,
            display_name=names.get(c.person_id, ""),
            role=COACH,
            coach_kind=c.kind,
            has_current_grant=c.person_id in holders,
        )
        for c in access.coaches
    ]
    return PortfolioRead(
        id=portfolio.id,
        programme_id=portfolio.programme_id,
        participant_id=portfolio.participant_id,
        epoch=portfolio.epoch,
        epoch_key_id=portfolio.epoch_key_id,
        created_at=portfolio.created_at,
        my_role=access.relation,
        members=members,
        rotation_due=others,
    )


async def _portfolio_reads(
    uow: UnitOfWork, scope: ProgrammeScope, accesses: list[PortfolioAccess]
) -> list[PortfolioRead]:
    """What each of these portfolios shows, in a fixed number of statements however many there are."""
    repo = PortfolioRepository(uow.session)
    grants = await repo.current_grants(scope, [a.portfolio.id for a in accesses if a.portfolio.epoch >= 1])
    ids = list(dict.fromkeys(i for a in accesses for i in _member_ids(a)))
    fingerprints = await _fingerprints(uow, scope, ids) if grants else {}
    names = await repo.display_names(scope, ids)
    return [_read(a, grants.get(a.portfolio.id, {}), fingerprints, names) for a in accesses]


async def _portfolio_read(uow: UnitOfWork, access: PortfolioAccess) -> PortfolioRead:
    return (await _portfolio_reads(uow, access.scope, [access]))[0]


@personal_data("portfolio")
async def open_my_portfolio(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> PortfolioRead:
    """Her portfolio in this programme, made the first time she opens it."""
    access = await authorize(uow, caller, programme_id, {Role.participant})
    repo = PortfolioRepository(uow.session)
    portfolio = await repo.find_portfolio(access.scope, caller.person_id)
    action = Action.read
    if portfolio is None:
        portfolio = Portfolio(
            organisation_id=access.scope.organisation_id,
            programme_id=access.scope.programme_id,
            participant_id=caller.person_id,
            epoch=0,
            created_at=utcnow(),
        )
        uow.session.add(portfolio)
        await uow.flush()
        action = Action.create
    mine = await _access(uow, caller, portfolio)
    _log(uow, caller, mine, "portfolio", action)
    return await _portfolio_read(uow, mine)


@personal_data("portfolio")
async def list_portfolios(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> list[PortfolioRead]:
    """The portfolios she may open in this programme: her own, or those of whom she coaches now."""
    access = await authorize(uow, caller, programme_id, {Role.participant, Role.coach})
    repo = PortfolioRepository(uow.session)
    if access.role is Role.participant:
        own = await repo.find_portfolio(access.scope, caller.person_id)
        portfolios = [own] if own else []
    else:
        portfolios = await repo.coached_portfolios(access.scope, caller.person_id, programme_today(access.programme))
    coaches = await repo.current_coaches_of(
        access.scope, [p.participant_id for p in portfolios], programme_today(access.programme)
    )
    accesses = []
    for portfolio in portfolios:
        hers = coaches.get(portfolio.participant_id, [])
        if access.role is Role.participant:
            relation = OWNER
        elif any(c.person_id == caller.person_id for c in hers):
            relation = COACH
        else:  # his assignment ended between the two statements
            continue
        accesses.append(
            PortfolioAccess(
                portfolio, access.programme, access.scope, relation, access.role.value, hers, caller.person_id
            )
        )
    reads = await _portfolio_reads(uow, access.scope, accesses)
    record_access(
        uow,
        caller,
        role=access.role.value,
        subjects=[p.participant_id for p in portfolios] or [caller.person_id],
        record_kind="portfolio",
        action=Action.read,
        programme_id=programme_id,
    )
    return reads


@personal_data("portfolio")
async def get_portfolio(uow: UnitOfWork, caller: Caller, portfolio_id: uuid.UUID) -> PortfolioRead:
    access = await access_portfolio(uow, caller, portfolio_id)
    _log(uow, caller, access, "portfolio", Action.read)
    return await _portfolio_read(uow, access)


# Key epochs and grants ---------------------------------------------------------------------


def _epoch_read(row: PortfolioEpoch) -> EpochRead:
    return EpochRead(
        portfolio_id=row.portfolio_id,
        epoch=row.epoch,
        key_id=row.key_id,
        record=row.record,
        created_by=row.created_by,
        created_at=row.created_at,
    )


@personal_data("portfolio_key")
async def create_epoch(uow: UnitOfWork, caller: Caller, portfolio_id: uuid.UUID, data: EpochCreate) -> EpochRead:
    """Start a new key epoch: compare-and-set on the number; grants for current members only."""
    access = await access_portfolio(uow, caller, portfolio_id)
    portfolio = access.portfolio
    repo = PortfolioRepository(uow.session)
    if data.epoch != portfolio.epoch + 1:
        raise StaleEpoch(portfolio.epoch)
    creator = await _person(uow, caller, portfolio.programme_id, caller.person_id)
    previous = await repo.get_epoch(access.scope, portfolio.id, portfolio.epoch) if portfolio.epoch else None
    record = checked_epoch(
        data.record,
        _resource(PORTFOLIO_RESOURCE, portfolio.id),
        epoch=data.epoch,
        creator_id=caller.person_id,
        creator=creator,
        previous_key_id=crypto.b64u_decode(previous.key_id) if previous else bytes(16),
    )
    recipients = [g.recipient_id for g in data.grants]
    if len(set(recipients)) != len(recipients):
        raise InvalidInput(N_("Each person gets one key."), field="grants")
    if portfolio.participant_id not in recipients:
        raise InvalidInput(N_("The new key must be given to her too."), field="grants")
    if not set(recipients) <= _member_ids(access):
        raise InvalidInput(N_("A key can only be given to her and her coaches."), field="grants")
    for grant in data.grants:
        await _check_grant(
            uow,
            caller,
            access,
            grant,
            resource=_resource(PORTFOLIO_RESOURCE, portfolio.id),
            epoch=data.epoch,
            key_id=record.key_id,
            granter=creator,
        )
    key_id = crypto.b64u_encode(record.key_id)
    if not await repo.advance_epoch(access.scope, portfolio.id, portfolio.epoch, key_id):
        raise StaleEpoch(await repo.current_epoch(access.scope, portfolio.id))
    set_committed_value(portfolio, "epoch", data.epoch)
    set_committed_value(portfolio, "epoch_key_id", key_id)
    now = utcnow()
    row = PortfolioEpoch(
        portfolio_id=portfolio.id,
        epoch=data.epoch,
        programme_id=portfolio.programme_id,
        key_id=key_id,
        record=data.record,
        created_by=caller.person_id,
        created_at=now,
    )
    uow.session.add(row)
    for grant in data.grants:
        uow.session.add(
            PortfolioGrant(
                programme_id=portfolio.programme_id,
                portfolio_id=portfolio.id,
                epoch=data.epoch,
                recipient_id=grant.recipient_id,
                granter_id=caller.person_id,
                grant=grant.grant,
                created_at=now,
            )
        )
    await uow.flush()
    _log(uow, caller, access, "portfolio_key", Action.create)
    uow.emit(Event("portfolio.epoch", {"portfolio_id": str(portfolio.id), "epoch": data.epoch}))
    return _epoch_read(row)


@personal_data("portfolio_key")
async def add_grants(
    uow: UnitOfWork, caller: Caller, portfolio_id: uuid.UUID, epoch: int, grants: list[GrantCreate]
) -> list[GrantRead]:
    """Grants of an epoch key to a member who has none yet (a newly assigned coach), or whose
    grant is for a key she no longer has (after coach-assisted recovery: her coach checked her new
    fingerprint in person and grants her the keys again). Past epochs may be granted too: a member
    reaches them through the chain anyway, and a grant spares her the walk back over records
    signed by a key she no longer has."""
    access = await access_portfolio(uow, caller, portfolio_id)
    portfolio = access.portfolio
    repo = PortfolioRepository(uow.session)
    if epoch < 1 or epoch > portfolio.epoch:
        raise StaleEpoch(portfolio.epoch)
    if not {g.recipient_id for g in grants} <= _member_ids(access):
        raise InvalidInput(N_("A key can only be given to her and her coaches."), field="grants")
    granter = await _person(uow, caller, portfolio.programme_id, caller.person_id)
    record = await repo.get_epoch(access.scope, portfolio.id, epoch)
    assert record is not None
    key_id = crypto.b64u_decode(record.key_id)
    existing = await repo.grants_of_epoch(access.scope, portfolio.id, epoch)
    stored: list[PortfolioGrant] = []
    now = utcnow()
    for grant in grants:
        old = existing.get(grant.recipient_id)
        if old is not None:
            current = await _fingerprint(uow, caller, portfolio.programme_id, grant.recipient_id)
            if _granted_fingerprint(old) == current:
                continue
        await _check_grant(
            uow,
            caller,
            access,
            grant,
            resource=_resource(PORTFOLIO_RESOURCE, portfolio.id),
            epoch=epoch,
            key_id=key_id,
            granter=granter,
        )
        row = PortfolioGrant(
            programme_id=portfolio.programme_id,
            portfolio_id=portfolio.id,
            epoch=epoch,
            recipient_id=grant.recipient_id,
            granter_id=caller.person_id,
            grant=grant.grant,
            created_at=now,
        )
        if old is not None:
            await repo.delete_grant(access.scope, old.id)
            await uow.flush()
        uow.session.add(row)
        stored.append(row)
        existing[grant.recipient_id] = row
    await uow.flush()
    _log(uow, caller, access, "portfolio_key", Action.create)
    return [GrantRead.model_validate(g) for g in stored]


@personal_data("portfolio_key")
async def keep_own_grants(
    uow: UnitOfWork, caller: Caller, portfolio_id: uuid.UUID, grants: list[OwnGrant]
) -> list[GrantRead]:
    """Keys she already holds, granted to herself and signed with her own key now
    (docs/crypto-spec.md 6.3, "Keys she keeps"). Each replaces her grant of that epoch, which
    another reader signed: once that reader leaves, her browser no longer takes his signature,
    and her own keeps her keys hers. Only for a member, about an epoch that exists, signed by
    her registered key, made out to her key now and for that epoch's key id; anything else is
    refused and nothing is stored. A grant that is her own already is kept as it is."""
    access = await access_portfolio(uow, caller, portfolio_id)
    portfolio = access.portfolio
    repo = PortfolioRepository(uow.session)
    if len({g.epoch for g in grants}) != len(grants):
        raise InvalidInput(_resource(PORTFOLIO_RESOURCE, portfolio.id).wrong_grant, field="grants")
    if any(g.epoch > portfolio.epoch for g in grants):
        raise StaleEpoch(portfolio.epoch)
    me = await _person(uow, caller, portfolio.programme_id, caller.person_id)
    resource = _resource(PORTFOLIO_RESOURCE, portfolio.id)
    for grant in grants:
        record = await repo.get_epoch(access.scope, portfolio.id, grant.epoch)
        if record is None:
            raise StaleEpoch(portfolio.epoch)
        check_grant(
            grant.grant,
            resource,
            epoch=grant.epoch,
            key_id=crypto.b64u_decode(record.key_id),
            granter_id=caller.person_id,
            granter=me,
            recipient_id=caller.person_id,
            recipient=me,
        )
    stored: list[PortfolioGrant] = []
    now = utcnow()
    for grant in grants:
        old = (await repo.grants_of_epoch(access.scope, portfolio.id, grant.epoch)).get(caller.person_id)
        if old is not None and old.granter_id == caller.person_id and _granted_fingerprint(old) == me.fingerprint:
            continue
        if old is not None:
            await repo.delete_grant(access.scope, old.id)
            await uow.flush()
        row = PortfolioGrant(
            programme_id=portfolio.programme_id,
            portfolio_id=portfolio.id,
            epoch=grant.epoch,
            recipient_id=caller.person_id,
            granter_id=caller.person_id,
            grant=grant.grant,
            created_at=now,
        )
        uow.session.add(row)
        stored.append(row)
    await uow.flush()
    _log(uow, caller, access, "portfolio_key", Action.create)
    return [GrantRead.model_validate(g) for g in stored]


@personal_data("portfolio_key")
async def my_grants(uow: UnitOfWork, caller: Caller, portfolio_id: uuid.UUID) -> list[GrantRead]:
    """The grants addressed to her (every epoch); nobody is served another person's grants."""
    access = await access_portfolio(uow, caller, portfolio_id)
    grants = await PortfolioRepository(uow.session).grants_for(access.scope, portfolio_id, caller.person_id)
    _log(uow, caller, access, "portfolio_key", Action.read)
    return [GrantRead.model_validate(g) for g in grants]


@personal_data("portfolio_key")
async def list_epochs(uow: UnitOfWork, caller: Caller, portfolio_id: uuid.UUID) -> list[EpochRead]:
    access = await access_portfolio(uow, caller, portfolio_id)
    _log(uow, caller, access, "portfolio_key", Action.read)
    return [_epoch_read(e) for e in await PortfolioRepository(uow.session).epochs(access.scope, portfolio_id)]


# Items -------------------------------------------------------------------------------------


def _check_wrap(value: str, field: str, expected_key_id: bytes | None) -> None:
    data = _bytes(value, field)
    if len(data) != ITEM_WRAP_BYTES or data[:3] != b"\x01\x02\x05":
        raise _invalid(field)
    if expected_key_id is not None and data[3:19] != expected_key_id:
        raise _invalid(field, N_("The item key is wrapped under an old or unknown portfolio key."))


def _envelope_key_id(value: str, field: str = "envelope") -> bytes:
    try:
        return crypto.envelope_key_id(_bytes(value, field))
    except crypto.CryptoError as exc:
        raise _invalid(field) from exc


async def _key_rows(
    uow: UnitOfWork,
    caller: Caller,
    access: PortfolioAccess,
    *,
    item_id: uuid.UUID,
    audience: Audience,
    key_id: bytes,
    keys: ItemKeyCopy,
) -> list[PortfolioItemKey]:
    """Check the key copies against the audience and turn them into rows."""
    portfolio = access.portfolio
    programme_id = portfolio.programme_id
    rows: list[PortfolioItemKey] = []
    if audience is Audience.my_coaches:
        if keys.user_wrap is not None or keys.grants or keys.epoch_wrap is None or keys.epoch is None:
            raise InvalidInput(
                N_("An item for her coaches carries its key under the portfolio key only."), field="keys"
            )
        if portfolio.epoch < 1 or keys.epoch != portfolio.epoch:
            raise StaleEpoch(portfolio.epoch)
        assert portfolio.epoch_key_id is not None
        _check_wrap(keys.epoch_wrap, "keys.epoch_wrap", crypto.b64u_decode(portfolio.epoch_key_id))
        rows.append(
            PortfolioItemKey(
                item_id=item_id, programme_id=programme_id, kind="epoch", epoch=keys.epoch, blob=keys.epoch_wrap
            )
        )
        return rows
    if keys.user_wrap is None or keys.epoch_wrap is not None or keys.epoch is not None:
        raise InvalidInput(N_("This item carries its key under her own key."), field="keys")
    # Under her user key as it is now: a browser still holding the key she had before she withdrew
    # recovery consent must not put new items under it (its copy may be kept elsewhere).
    _check_wrap(keys.user_wrap, "keys.user_wrap", await accounts.current_user_key_id(uow, portfolio.participant_id))
    rows.append(
        PortfolioItemKey(
            item_id=item_id,
            programme_id=programme_id,
            kind="user",
            recipient_id=portfolio.participant_id,
            blob=keys.user_wrap,
        )
    )
    if audience is Audience.only_me:
        if keys.grants:
            raise InvalidInput(N_("An item only for her is given to nobody else."), field="keys.grants")
        return rows
    if not keys.grants:
        raise InvalidInput(N_("Choose at least one person to share this with."), field="keys.grants")
    recipients = [g.recipient_id for g in keys.grants]
    coaches = {c.person_id for c in access.coaches}
    if len(set(recipients)) != len(recipients) or not set(recipients) <= coaches:
        raise InvalidInput(N_("You can share an item only with your coaches, each once."), field="keys.grants")
    granter = await _person(uow, caller, programme_id, caller.person_id)
    for grant in keys.grants:
        await _check_grant(
            uow,
            caller,
            access,
            grant,
            resource=_resource(ITEM_GRANT_RESOURCE, item_id),
            epoch=0,
            key_id=key_id,
            granter=granter,
        )
        rows.append(
            PortfolioItemKey(
                item_id=item_id,
                programme_id=programme_id,
                kind="grant",
                recipient_id=grant.recipient_id,
                blob=grant.grant,
            )
        )
    return rows


def _check_summary(kind: ItemKind, status: GoalStatus | None, progress: int | None) -> None:
    if kind is not ItemKind.goal_plan and (status is not None or progress is not None):
        raise InvalidInput(N_("Only a goal plan has a status and progress."), field="status")


def _file_status(kind: ItemKind, attachment: PortfolioAttachment | None) -> FileStatus | None:
    if kind not in ATTACHMENT_KINDS:
        return None
    if attachment is None:
        return FileStatus.missing
    return FileStatus.complete if attachment.complete else FileStatus.incomplete


async def _item_reads(uow: UnitOfWork, access: PortfolioAccess, items: list[PortfolioItem]) -> list[ItemRead]:
    repo = PortfolioRepository(uow.session)
    ids = [i.id for i in items]
    keys = await repo.item_keys(access.scope, ids, access.reader_id, owner=access.relation == OWNER)
    counts = await repo.comment_counts(access.scope, ids)
    attachments = await repo.attachments(access.scope, ids)
    reads = []
    for item in items:
        attachment = attachments.get(item.id)
        reads.append(
            ItemRead(
                id=item.id,
                portfolio_id=item.portfolio_id,
                kind=ItemKind(item.kind),
                audience=Audience(item.audience),
                author_id=item.author_id,
                created_by=item.created_by,
                revision=item.revision,
                key_id=item.key_id,
                envelope=item.envelope,
                occurred_on=item.occurred_on,
                status=GoalStatus(item.status) if item.status else None,
                progress=item.progress,
                comment_count=counts.get(item.id, 0),
                attachment=_attachment_read(attachment, None) if attachment else None,
                file_status=_file_status(ItemKind(item.kind), attachment),
                keys=[
                    ItemKeyRead(kind=k.kind, epoch=k.epoch, recipient_id=k.recipient_id, blob=k.blob)
                    for k in keys.get(item.id, [])
                ],
                created_at=item.created_at,
                updated_at=item.updated_at,
            )
        )
    return reads


@personal_data("portfolio_item")
async def create_item(uow: UnitOfWork, caller: Caller, portfolio_id: uuid.UUID, data: ItemCreate) -> ItemRead:
    access = await access_portfolio(uow, caller, portfolio_id)
    _require_owner(access, N_("Only she can add items to her portfolio. You can comment on what she shares."))
    repo = PortfolioRepository(uow.session)
    if await repo.item_exists(data.id):
        raise Conflict(N_("This item was saved already."), field="id")
    key_id = _bytes(data.key_id, "key_id")
    if _envelope_key_id(data.envelope) != key_id:
        raise _invalid("envelope", N_("The item is not encrypted under the key it names."))
    _check_summary(data.kind, data.status, data.progress)
    rows = await _key_rows(uow, caller, access, item_id=data.id, audience=data.audience, key_id=key_id, keys=data.keys)
    now = utcnow()
    portfolio = access.portfolio
    item = PortfolioItem(
        id=data.id,
        organisation_id=portfolio.organisation_id,
        programme_id=portfolio.programme_id,
        portfolio_id=portfolio.id,
        kind=data.kind.value,
        audience=data.audience.value,
        created_by=caller.person_id,
        author_id=caller.person_id,
        revision=1,
        key_id=data.key_id,
        envelope=data.envelope,
        occurred_on=data.occurred_on,
        status=data.status.value if data.status else None,
        progress=data.progress,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(item)
    await uow.flush()
    uow.session.add_all(rows)
    await uow.flush()
    _log(uow, caller, access, "portfolio_item", Action.create)
    uow.emit(Event("portfolio.item_saved", {"portfolio_id": str(portfolio.id), "item_id": str(item.id)}))
    return (await _item_reads(uow, access, [item]))[0]


@personal_data("portfolio_item")
async def update_item(uow: UnitOfWork, caller: Caller, item_id: uuid.UUID, data: ItemUpdate) -> ItemRead:
    """A new revision, compare-and-set on ``base_revision``: a stale edit gets 409 and the current
    revision, so the client shows a merge screen instead of overwriting."""
    access, item = await _item_access(uow, caller, item_id)
    kind = ItemKind(item.kind)
    if access.relation != OWNER and kind not in SHARED_EDIT_KINDS:
        raise Forbidden(N_("Only she can change this. You can comment on it."))
    if access.relation != OWNER and (data.audience is not None or data.keys is not None or data.key_id is not None):
        raise Forbidden(N_("Only she decides who can read her items."))
    repo = PortfolioRepository(uow.session)
    if data.base_revision != item.revision:
        raise StaleRevision(item.revision)
    audience = data.audience or Audience(item.audience)
    key_id_text = data.key_id or item.key_id
    key_id = _bytes(key_id_text, "key_id")
    if _envelope_key_id(data.envelope) != key_id:
        raise _invalid("envelope", N_("The item is not encrypted under the key it names."))
    rekeyed = data.audience is not None or data.key_id is not None
    if rekeyed and data.keys is None:
        raise InvalidInput(N_("A new audience needs the item key for that audience."), field="keys")
    rows = None
    if data.keys is not None:
        rows = await _key_rows(uow, caller, access, item_id=item.id, audience=audience, key_id=key_id, keys=data.keys)
    _check_summary(kind, data.status, data.progress)
    now = utcnow()
    values = {
        "envelope": data.envelope,
        "author_id": caller.person_id,
        "audience": audience.value,
        "key_id": key_id_text,
        "updated_at": now,
        "occurred_on": data.occurred_on if data.occurred_on is not None else item.occurred_on,
        "status": data.status.value if data.status else item.status,
        "progress": data.progress if data.progress is not None else item.progress,
    }
    if not await repo.advance_revision(access.scope, item.id, data.base_revision, values):
        raise StaleRevision(await repo.current_revision(access.scope, item.id))
    if rows is not None:
        await repo.replace_item_keys(access.scope, item.id, rows)
    await uow.flush()
    set_committed_value(item, "revision", data.base_revision + 1)
    for name, value in values.items():
        set_committed_value(item, name, value)
    _log(uow, caller, access, "portfolio_item", Action.update)
    uow.emit(Event("portfolio.item_saved", {"portfolio_id": str(item.portfolio_id), "item_id": str(item.id)}))
    return (await _item_reads(uow, access, [item]))[0]


@personal_data("portfolio_item")
async def list_items(uow: UnitOfWork, caller: Caller, portfolio_id: uuid.UUID) -> list[ItemRead]:
    access = await access_portfolio(uow, caller, portfolio_id)
    items = await PortfolioRepository(uow.session).list_items(access.scope, access.portfolio.id, access.coach_id)
    _log(uow, caller, access, "portfolio_item", Action.read)
    return await _item_reads(uow, access, items)


@personal_data("portfolio_item")
async def get_item(uow: UnitOfWork, caller: Caller, item_id: uuid.UUID) -> ItemRead:
    access, item = await _item_access(uow, caller, item_id)
    _log(uow, caller, access, "portfolio_item", Action.read)
    return (await _item_reads(uow, access, [item]))[0]


@personal_data("portfolio_item")
async def delete_item(uow: UnitOfWork, caller: Caller, item_id: uuid.UUID, blob_dir: Path) -> Path | None:
    """Remove an item; returns its attachment file, which the caller removes only after commit
    (a failed commit must never leave a row without its file)."""
    access, item = await _item_access(uow, caller, item_id)
    _require_owner(access, N_("Only she can remove items from her portfolio."))
    repo = PortfolioRepository(uow.session)
    attachment = await repo.attachment(access.scope, item.id)
    await repo.delete_item(access.scope, item.id)
    _log(uow, caller, access, "portfolio_item", Action.delete)
    return blob_dir / attachment.blob_name if attachment is not None else None


def remove_blob(path: Path) -> None:
    path.unlink(missing_ok=True)


# Comments ----------------------------------------------------------------------------------


def _comment_read(row: PortfolioComment) -> CommentRead:
    return CommentRead(
        id=row.id,
        item_id=row.item_id,
        author_id=row.author_id,
        key_id=row.key_id,
        envelope=row.envelope,
        created_at=row.created_at,
    )


@personal_data("portfolio_comment")
async def create_comment(uow: UnitOfWork, caller: Caller, item_id: uuid.UUID, data: CommentCreate) -> CommentRead:
    """A comment on an item she shares, encrypted under the item's key (the same readers)."""
    access, item = await _item_access(uow, caller, item_id)
    repo = PortfolioRepository(uow.session)
    if await repo.comment_exists(data.id):
        raise Conflict(N_("This comment was saved already."), field="id")
    if data.key_id != item.key_id or _envelope_key_id(data.envelope) != _bytes(data.key_id, "key_id"):
        raise _invalid("envelope", N_("A comment is encrypted under the key of the item it is about."))
    row = PortfolioComment(
        id=data.id,
        programme_id=item.programme_id,
        item_id=item.id,
        author_id=caller.person_id,
        key_id=data.key_id,
        envelope=data.envelope,
        created_at=utcnow(),
    )
    uow.session.add(row)
    await uow.flush()
    _log(uow, caller, access, "portfolio_comment", Action.create)
    await _notify_comment(uow, caller, access, item)
    uow.emit(Event("portfolio.comment", {"portfolio_id": str(item.portfolio_id), "item_id": str(item.id)}))
    return _comment_read(row)


def item_link(access: PortfolioAccess, item_id: uuid.UUID, *, for_owner: bool) -> str:
    """Where the item opens: her own portfolio page, or the coach's page of her portfolio."""
    if for_owner:
        return f"/portfolio/programmes/{access.portfolio.programme_id}?item={item_id}"
    return f"/portfolio/{access.portfolio.id}?item={item_id}"


async def _notify_comment(uow: UnitOfWork, caller: Caller, access: PortfolioAccess, item: PortfolioItem) -> None:
    """A coach's comment tells her; hers tells each current coach who reads the item. Neutral:
    the comment is encrypted, so the notice says only that someone replied, with a link."""
    owner = access.portfolio.participant_id
    if access.relation == OWNER:
        repo = PortfolioRepository(uow.session)
        wanted = [
            (coach.person_id, notifications.PORTFOLIO_COMMENT_COACH, False)
            for coach in access.coaches
            if coach.person_id != caller.person_id
            and await repo.get_item(access.scope, access.portfolio.id, item.id, coach.person_id) is not None
        ]
    else:
        wanted = [(owner, notifications.PORTFOLIO_COMMENT, True)]
    for person_id, kind, for_owner in dict.fromkeys(wanted):
        await notifications.notify(
            uow,
            organisation_id=access.scope.organisation_id,
            programme_id=access.portfolio.programme_id,
            person_id=person_id,
            kind=kind,
            subject_id=item.id,
            link=item_link(access, item.id, for_owner=for_owner),
            collapse=True,
        )


@personal_data("portfolio_comment")
async def list_comments(uow: UnitOfWork, caller: Caller, item_id: uuid.UUID) -> list[CommentRead]:
    access, item = await _item_access(uow, caller, item_id)
    rows = await PortfolioRepository(uow.session).comments(access.scope, item.id)
    _log(uow, caller, access, "portfolio_comment", Action.read)
    # She has seen the replies where they are: her notices about this item are read.
    kind = notifications.PORTFOLIO_COMMENT if access.relation == OWNER else notifications.PORTFOLIO_COMMENT_COACH
    await notifications.mark_subject_read(uow, caller, kind, item.id)
    return [_comment_read(r) for r in rows]


# Attachments -------------------------------------------------------------------------------
#
# An attachment's ciphertext stream arrives part by part, in order (part 0 is the header), each
# part in its own request, so a phone that lost its connection or was closed resumes from the
# part the server names as next. A part received before is acknowledged again when it is the
# same, refused when it differs (what is stored is never overwritten). The last part completes
# the file only when the stored stream has the SHA-256 her browser announced; until then the
# file is never served and the item says, on every device, that its file did not arrive.


class PartOutOfOrder(Conflict):
    code = "part_out_of_order"
    default_message = N_("This part came too early. Send part %(next)s first; the server says which parts it has.")


class PartDiffers(Conflict):
    code = "part_differs"
    default_message = N_(
        "This part arrived before with other content. What was stored is kept. Choose the file again to send it."
    )


class FileMismatch(InvalidInput):
    code = "file_mismatch"
    default_message = N_(
        "The file that arrived is not the file your phone announced. Nothing was lost. "
        "Choose the file again to send it."
    )


class UploadWaiting(Conflict):
    code = "upload_waiting"
    default_message = N_(
        "This item is waiting for another file that did not fully arrive. Choose the file again to send it instead."
    )


def stream_parts(size: int) -> int | None:
    """How many parts (header plus chunks) a ciphertext stream of ``size`` bytes has, or None when
    no valid stream has that size (crypto-spec 7.2: full chunks, then a last one of 16 or more)."""
    body = size - ATTACHMENT_HEADER_BYTES
    if body < ATTACHMENT_TAG_BYTES:
        return None
    full, rest = divmod(body, ATTACHMENT_CHUNK_BYTES)
    if rest == 0:
        return full + 1
    if rest < ATTACHMENT_TAG_BYTES:
        return None
    return full + 2


def part_span(size: int, parts: int, part: int) -> tuple[int, int]:
    """(offset, length) of a part in the stream file."""
    if part == 0:
        return 0, ATTACHMENT_HEADER_BYTES
    offset = ATTACHMENT_HEADER_BYTES + (part - 1) * ATTACHMENT_CHUNK_BYTES
    if part == parts - 1:
        return offset, size - offset
    return offset, ATTACHMENT_CHUNK_BYTES


def next_part(parts: int, received: set[int]) -> int | None:
    """The first part the server does not have (None when it has all)."""
    return next((i for i in range(parts) if i not in received), None)


def _attachment_read(row: PortfolioAttachment, received: set[int] | None) -> AttachmentRead:
    """What the server has of a stream; ``received`` None when only the counts are known (a list
    of items), which is all a reader needs to show whether the file is there."""
    received_bytes: int | None
    if row.complete:
        missing: list[int] = []
        upcoming = None
        received_bytes = row.size
    elif received is None:
        missing, upcoming, received_bytes = [], None, None
    else:
        missing = [i for i in range(row.parts) if i not in received]
        upcoming = missing[0] if missing else None
        # The bytes from the start of the stream up to the first part that is missing.
        received_bytes = part_span(row.size, row.parts, upcoming)[0] if upcoming is not None else row.size
    return AttachmentRead(
        item_id=row.item_id,
        size=row.size,
        parts=row.parts,
        received=row.received,
        received_bytes=received_bytes,
        complete=row.complete,
        next_part=upcoming,
        missing=missing,
        sha256=row.sha256,
    )


def quota_bytes(programme: Programme) -> int:
    """The programme's attachment quota per person, in ciphertext bytes (also used by the chat)."""
    return ProgrammeSettings.model_validate(programme.settings or {}).attachment_quota_mb * 1024 * 1024


@dataclass(slots=True)
class Announced:
    """The answer to announcing a stream: what the server has, whether a stream was (re)started
    now, and the file of a replaced stream, removed only after the commit."""

    attachment: AttachmentRead
    started: bool
    replaced_blob: Path | None = None


def _blob_name(item: PortfolioItem, restart: bool) -> str:
    if not restart:
        return f"{item.portfolio_id}/{item.id}.bin"
    # A new file for a restarted stream, so no byte of the stream it replaces can end up in it.
    return f"{item.portfolio_id}/{item.id.hex}-{secrets.token_hex(3)}.bin"


@personal_data("portfolio_attachment")
async def create_attachment(
    uow: UnitOfWork, caller: Caller, item_id: uuid.UUID, data: AttachmentCreate, blob_dir: Path | None = None
) -> Announced:
    """Announce an attachment's ciphertext stream; its whole size counts against her quota now.

    The same stream announced again (same size and hash) is answered with what the server has
    (she resumes); another stream replaces one that never completed only with ``restart``."""
    access, item = await _item_access(uow, caller, item_id)
    _require_owner(access, N_("Only she can add files to her portfolio."))
    if ItemKind(item.kind) not in ATTACHMENT_KINDS:
        raise InvalidInput(N_("This kind of item has no file."), field="item_id")
    parts = stream_parts(data.size)
    if parts is None:
        raise InvalidInput(N_("This size does not fit an encrypted file."), field="size")
    repo = PortfolioRepository(uow.session)
    row = await repo.attachment(access.scope, item.id)
    if row is not None and (row.size, row.sha256) == (data.size, data.sha256):
        _log(uow, caller, access, "portfolio_attachment", Action.read)
        return Announced(_attachment_read(row, await repo.received_parts(access.scope, item.id)), started=False)
    if row is not None and row.complete:
        raise Conflict(N_("This item has its file already. To send another file, add a new item."))
    if row is not None and not data.restart:
        raise UploadWaiting()
    quota = quota_bytes(access.programme)
    used = await repo.used_bytes(access.scope, access.portfolio.id) - (row.size if row is not None else 0)
    if used + data.size > quota:
        free_mb = max(0, quota - used) // (1024 * 1024)
        raise PayloadTooLarge(
            N_(
                "There is no room for this file: your portfolio has %(free)s MB left. "
                "Remove a file or choose a smaller one."
            ),
            params={"free": free_mb},
        )
    now = utcnow()
    replaced = None
    if row is None:
        row = PortfolioAttachment(
            item_id=item.id,
            programme_id=item.programme_id,
            portfolio_id=item.portfolio_id,
            size=data.size,
            parts=parts,
            received=0,
            complete=False,
            sha256=data.sha256,
            blob_name=_blob_name(item, restart=False),
            created_at=now,
            updated_at=now,
        )
        uow.session.add(row)
        action = Action.create
    else:
        replaced = blob_dir / row.blob_name if blob_dir is not None else None
        await repo.forget_parts(access.scope, item.id)
        for name, value in {
            "size": data.size,
            "parts": parts,
            "received": 0,
            "complete": False,
            "sha256": data.sha256,
            "blob_name": _blob_name(item, restart=True),
            "updated_at": now,
        }.items():
            setattr(row, name, value)
        action = Action.update
    await uow.flush()
    _log(uow, caller, access, "portfolio_attachment", action)
    return Announced(_attachment_read(row, set()), started=True, replaced_blob=replaced)


def _write_part(path: Path, offset: int, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.touch()
    with path.open("r+b") as file:
        file.seek(offset)
        file.write(data)
        file.flush()


def _read_span(path: Path, offset: int, length: int) -> bytes:
    try:
        with path.open("rb") as file:
            file.seek(offset)
            return file.read(length)
    except FileNotFoundError:
        return b""


def _file_sha256(path: Path, size: int, prefix: bytes = b"") -> str:
    digest = hashlib.sha256(prefix)
    with path.open("rb") as file:
        left = size
        while left > 0:
            piece = file.read(min(left, 1024 * 1024))
            if not piece:
                break
            digest.update(piece)
            left -= len(piece)
    return digest.hexdigest()


def check_part(size: int, parts: int, part: int, data: bytes, key_id: bytes) -> int:
    """The offset of a part in its stream file, after checking it (crypto-spec 7.2): the part
    exists, has exactly its length (never cut off or too long) and, for the header, belongs to the
    key ``key_id`` and uses 64 KiB chunks. The chat stores its attachments with this too."""
    if not 0 <= part < parts:
        raise InvalidInput(N_("This file has no such part."), field="part")
    offset, length = part_span(size, parts, part)
    if len(data) != length:
        raise InvalidInput(
            N_("This part is cut off or too long. Send it again."), field="part", params={"expected": length}
        )
    if part == 0 and (data[:2] != b"\x01\x0c" or data[2:18] != key_id or int.from_bytes(data[34:38], "big") != 65536):
        raise _invalid("part", N_("The file's header does not belong to this item."))
    return offset


async def write_part(path: Path, offset: int, data: bytes) -> None:
    """Write a checked part into its stream file in the blob directory (off the event loop)."""
    await asyncio.to_thread(_write_part, path, offset, data)


@personal_data("portfolio_attachment")
async def put_part(
    uow: UnitOfWork, caller: Caller, item_id: uuid.UUID, part: int, data: bytes, blob_dir: Path
) -> AttachmentRead:
    """Store one part of the stream, in order. Idempotent: a part received before is
    acknowledged again when it is the same, and refused (409) when it differs; the stored bytes
    are never overwritten. The last part completes the file only if the stream has its hash."""
    access, item = await _item_access(uow, caller, item_id)
    _require_owner(access, N_("Only she can add files to her portfolio."))
    repo = PortfolioRepository(uow.session)
    row = await repo.attachment(access.scope, item.id)
    if row is None:
        raise NotFound(N_("Announce the file first, then send its parts."))
    offset = check_part(row.size, row.parts, part, data, _bytes(item.key_id, "key_id"))
    path = blob_dir / row.blob_name
    received = await repo.received_parts(access.scope, item.id)
    if part in received:
        if await asyncio.to_thread(_read_span, path, offset, len(data)) != data:
            raise PartDiffers()
    else:
        upcoming = next_part(row.parts, received)
        if part != upcoming:
            raise PartOutOfOrder(params={"next": upcoming})
        await write_part(path, offset, data)
        if await repo.add_part(item.id, part, len(data)):
            # One more part; complete when all are (in the same statement, so no race), and
            # only when what is stored is the stream she announced (else nothing of it counts).
            done = await repo.count_part(access.scope, item.id, row.parts, utcnow())
            stored = row.sha256
            if done and stored is not None and await asyncio.to_thread(_file_sha256, path, row.size) != stored:
                raise FileMismatch(field="part")
        await uow.session.refresh(row)
        received.add(part)
    _log(uow, caller, access, "portfolio_attachment", Action.update)
    return _attachment_read(row, received)


@personal_data("portfolio_attachment")
async def attachment_status(uow: UnitOfWork, caller: Caller, item_id: uuid.UUID) -> AttachmentRead:
    access, item = await _item_access(uow, caller, item_id)
    repo = PortfolioRepository(uow.session)
    row = await repo.attachment(access.scope, item.id)
    if row is None:
        raise NotFound(N_("This item has no file yet."))
    _log(uow, caller, access, "portfolio_attachment", Action.read)
    return _attachment_read(row, await repo.received_parts(access.scope, item.id))


@personal_data("portfolio_attachment")
async def attachment_file(uow: UnitOfWork, caller: Caller, item_id: uuid.UUID, blob_dir: Path) -> tuple[Path, int]:
    """The stored ciphertext stream of a complete attachment, for a download."""
    access, item = await _item_access(uow, caller, item_id)
    row = await PortfolioRepository(uow.session).attachment(access.scope, item.id)
    if row is None or not row.complete:
        raise NotFound(N_("This file is not complete yet."))
    _log(uow, caller, access, "portfolio_attachment", Action.read)
    return blob_dir / row.blob_name, row.size


@personal_data("portfolio_attachment")
async def attachment_proof(
    uow: UnitOfWork, caller: Caller, item_id: uuid.UUID, challenge: bytes, blob_dir: Path
) -> AttachmentProofRead:
    """Proof that the server holds the whole stream of a complete file: SHA-256 over her browser's
    challenge and the stored bytes. Her browser keeps its copy of an upload until this matches
    its own, so a server that says "complete" without the bytes cannot make her lose a file, and
    her phone need not download the file again to find out."""
    path, size = await attachment_file(uow, caller, item_id, blob_dir)
    try:
        proof = await asyncio.to_thread(_file_sha256, path, size, challenge)
    except FileNotFoundError:
        raise NotFound(N_("This file is not complete yet.")) from None
    return AttachmentProofRead(proof=proof)


@personal_data("portfolio_attachment")
async def quota(uow: UnitOfWork, caller: Caller, portfolio_id: uuid.UUID) -> QuotaRead:
    access = await access_portfolio(uow, caller, portfolio_id)
    used = await PortfolioRepository(uow.session).used_bytes(access.scope, portfolio_id)
    _log(uow, caller, access, "portfolio_attachment", Action.read)
    return QuotaRead(used_bytes=used, quota_bytes=quota_bytes(access.programme))


@dataclass(frozen=True, slots=True)
class StalledUpload:
    programme: str
    portfolio_id: uuid.UUID
    item_id: uuid.UUID
    received: int
    parts: int
    size: int
    since: datetime


async def stalled_uploads(uow: UnitOfWork, older_than: timedelta) -> list[StalledUpload]:
    """Files that stopped arriving longer than ``older_than`` ago, for the operator's report
    (``eportfolio report-uploads``). Nothing is removed: the item keeps saying on every device
    that its file did not arrive, and she can send it again or remove the item herself. Only
    ids, counts and dates are listed, never anything she wrote."""
    rows = await PortfolioRepository(uow.session).stalled_uploads(utcnow() - older_than)
    return [
        StalledUpload(
            programme=name,
            portfolio_id=row.portfolio_id,
            item_id=row.item_id,
            received=row.received,
            parts=row.parts,
            size=row.size,
            since=row.updated_at or row.created_at,
        )
        for row, name in rows
    ]


# Pinned keys -------------------------------------------------------------------------------


def _check_pinned(record: bytes, revision: int) -> None:
    """PinnedKeys (crypto-spec section 9): 01 0A, u64 revision, bytes16 SecretBox 0x04, signature."""
    if len(record) < 12 + 31 + 16 + 64 or record[:2] != b"\x01\x0a":
        raise _invalid("record")
    if int.from_bytes(record[2:10], "big") != revision:
        raise _invalid("record", N_("The record's revision does not match."))
    box_length = int.from_bytes(record[10:12], "big")
    box = record[12 : 12 + box_length]
    if len(record) != 12 + box_length + 64 or box[:3] != b"\x01\x02\x04" or box_length < 31 + 16:
        raise _invalid("record")


@personal_data("pinned_keys")
async def get_pinned_keys(uow: UnitOfWork, caller: Caller) -> PinnedKeysRead | None:
    row = await PortfolioRepository(uow.session).pinned_keys(caller.person_id)
    record_access(uow, caller, role="self", subjects=[caller.person_id], record_kind="pinned_keys", action=Action.read)
    if row is None:
        return None
    return PinnedKeysRead(revision=row.revision, record=row.record, updated_at=row.updated_at)


@personal_data("pinned_keys")
async def put_pinned_keys(uow: UnitOfWork, caller: Caller, data: PinnedKeysWrite) -> PinnedKeysRead:
    """Store her pinned-keys record; the revision only goes up (an older one gets 409)."""
    _check_pinned(_bytes(data.record, "record"), data.revision)
    repo = PortfolioRepository(uow.session)
    now = utcnow()
    row = await repo.pinned_keys(caller.person_id)
    if row is None:
        row = PinnedKeysRecord(
            person_id=caller.person_id,
            organisation_id=caller.organisation_id,
            revision=data.revision,
            record=data.record,
            updated_at=now,
        )
        uow.session.add(row)
        await uow.flush()
    elif not await repo.advance_pinned_keys(
        caller.person_id, data.revision, {"record": data.record, "updated_at": now}
    ):
        raise Conflict(
            N_("A newer record of your trusted keys is stored already. Reload and try again."),
            params={"revision": row.revision},
        )
    record_access(
        uow, caller, role="self", subjects=[caller.person_id], record_kind="pinned_keys", action=Action.update
    )
    return PinnedKeysRead(revision=data.revision, record=data.record, updated_at=now)


async def check_current_epoch(
    uow: UnitOfWork, scope: ProgrammeScope, participant_id: uuid.UUID, item_key_wrap: str | None
) -> None:
    """For text about her kept by another feature (assignment answers, feedback): its item key
    must be wrapped under her portfolio's current key, as for a portfolio item; else ``StaleEpoch``."""
    row = await PortfolioRepository(uow.session).find_portfolio(scope, participant_id)
    current = crypto.b64u_decode(row.epoch_key_id) if row and row.epoch_key_id else None
    wrap = crypto.b64u_decode(item_key_wrap or "")
    if row is None or current is None or wrap[3:19] != current:
        raise StaleEpoch(row.epoch if row else 0)
