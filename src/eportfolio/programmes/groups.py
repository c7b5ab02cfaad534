"""A group's members and their signed membership record (docs/crypto-spec.md 8, kind 0x05).

Staff add and remove participants and the group's trainers (a staff member or a coach of the
programme). Each change is signed in the staff member's browser with the programme key: one
record naming the group, every member with a key by id, key fingerprint and role, valid from the
day it is signed, with a serial above the group's last. Members' browsers admit the readers of the
group conversation by that record alone; the server keeps the newest, checked along organisation
key -> programme certificate -> record, and refuses an older, unsigned, wrongly signed one, or one
for another group or programme, or one that does not name exactly the members with a key now.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from eportfolio import crypto
from eportfolio.accounts import service as accounts
from eportfolio.domain.people import MANAGING_ROLES
from eportfolio.domain.programmes import GroupPersonRead, GroupRecordRead, GroupRole
from eportfolio.kit.audit import Action, personal_data, record_access
from eportfolio.kit.auth import Caller
from eportfolio.kit.clock import utcnow
from eportfolio.kit.errors import N_, Conflict, InvalidInput, NotFound
from eportfolio.kit.events import Event
from eportfolio.kit.uow import UnitOfWork
from eportfolio.programmes import service
from eportfolio.programmes.repository import ProgrammeRepository
from eportfolio.programmes.service import Access, authorize
from eportfolio.programmes.tables import Group
from eportfolio.trust import service as trust

PARTICIPANT = "participant"
TRAINER = "trainer"
GROUP_ROLES = {PARTICIPANT: crypto.GroupRole.PARTICIPANT, TRAINER: crypto.GroupRole.TRAINER}


@dataclass(frozen=True, slots=True)
class GroupPerson:
    person_id: uuid.UUID
    display_name: str
    role: str
    has_key: bool


@dataclass(slots=True)
class GroupSigning:
    """What the group page shows and its signing script needs."""

    has_key: bool = False
    holds_key: bool = False
    next_serial: int = 1
    # "signed" (the record names exactly the members with a key now), "outdated" (members changed
    # since it was signed), "unsigned" (never signed)
    status: str = "unsigned"
    serial: int = 0
    signed_by_name: str = ""
    signed_at: datetime | None = None
    named: set[uuid.UUID] = field(default_factory=set)


def _not_valid() -> InvalidInput:
    return InvalidInput(
        N_(
            "The signature on this group's member list does not check out, so nothing was saved. "
            "Reload the page and try again."
        ),
        field="signed_record",
    )


async def _group(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, group_id: uuid.UUID) -> tuple[Access, Group]:
    access = await authorize(uow, caller, programme_id, MANAGING_ROLES)
    group = await ProgrammeRepository(uow.session).get_group(access.scope, group_id)
    if group is None:
        raise NotFound()
    return access, group


async def _fingerprints(uow: UnitOfWork, access: Access, people: list[uuid.UUID]) -> dict[uuid.UUID, bytes]:
    """The key fingerprint of each of these people who has an account with keys."""
    accounts_by_id = await accounts.accounts_in_organisation(uow, access.scope.organisation_id, people)
    prints: dict[uuid.UUID, bytes] = {}
    for person_id, account in accounts_by_id.items():
        if not account.public_identity:
            continue
        try:
            prints[person_id] = crypto.Person.from_public_identity(account.public_identity).fingerprint
        except crypto.CryptoError:
            continue
    return prints


async def _expected(uow: UnitOfWork, access: Access, group: Group) -> set[tuple[str, int, bytes]]:
    """(person id, role, fingerprint) of every member with a key now: what a record must name."""
    roster = await ProgrammeRepository(uow.session).group_roster(access.scope, group.id)
    prints = await _fingerprints(uow, access, [person for person, _ in roster])
    return {(str(person), int(GROUP_ROLES[role]), prints[person]) for person, role in roster if person in prints}


def _named(record: crypto.SignedRecord) -> set[tuple[str, int, bytes]]:
    assert isinstance(record.body, crypto.GroupMembership)
    return {(m.person_id, int(m.role), m.fingerprint) for m in record.body.members}


async def _verified(uow: UnitOfWork, access: Access, signed_record: str) -> crypto.SignedRecord | None:
    programme_public = await trust.programme_public_key(uow, access.scope.organisation_id, access.scope.programme_id)
    if programme_public is None:
        return None
    try:
        return crypto.verify_record(
            crypto.b64u_decode(signed_record), programme_public, crypto.RecordKind.GROUP_MEMBERSHIP
        )
    except (crypto.CryptoError, ValueError):
        return None


async def store_record(uow: UnitOfWork, caller: Caller, access: Access, group: Group, signed_record: str) -> None:
    """Keep this record as the group's newest, once it checks out (see the module's docstring).
    Called after the change it signs, in the same transaction: a refusal rolls the change back."""
    if await trust.programme_public_key(uow, access.scope.organisation_id, access.scope.programme_id) is None:
        raise InvalidInput(N_("This programme has no key yet, so nothing can be signed."), field="signed_record")
    record = await _verified(uow, access, signed_record)
    if record is None:
        raise _not_valid()
    body = record.body
    if not (
        isinstance(body, crypto.GroupMembership)
        and record.organisation_id == str(access.scope.organisation_id)
        and record.programme_id == str(access.scope.programme_id)
        and body.group_id == str(group.id)
        and record.signed_by == str(caller.person_id)
        and (body.valid_until == 0 or body.valid_until > body.valid_from)
    ):
        raise _not_valid()
    if record.serial <= group.membership_serial:
        raise Conflict(
            N_("A newer member list of this group was signed meanwhile. Reload the page and try again."),
            field="signed_record",
        )
    if _named(record) != await _expected(uow, access, group):
        raise InvalidInput(
            N_(
                "The signed member list does not match the group as it is now (someone joined, left or "
                "changed her key meanwhile), so nothing was saved. Reload the page and try again."
            ),
            field="signed_record",
        )
    group.membership_record = signed_record
    group.membership_serial = record.serial
    group.membership_signed_by = caller.person_id
    group.membership_signed_at = utcnow()
    await uow.flush()
    uow.emit(
        Event(
            "programmes.group_membership_signed",
            {"programme_id": str(access.scope.programme_id), "group_id": str(group.id), "serial": record.serial},
        )
    )


async def sign_group(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, group_id: uuid.UUID, signed_record: str
) -> None:
    """Sign the group as it is now (after changes made without the programme key)."""
    access, group = await _group(uow, caller, programme_id, group_id)
    await store_record(uow, caller, access, group, signed_record)


async def add_member(
    uow: UnitOfWork,
    caller: Caller,
    programme_id: uuid.UUID,
    group_id: uuid.UUID,
    person_id: uuid.UUID,
    *,
    role: str = PARTICIPANT,
    signed_record: str | None = None,
) -> None:
    """Put a participant or a trainer in the group; with the record that signs the new state, if
    the staff member's browser signed one (refused, and the change undone, when it does not hold)."""
    await service.add_group_member(uow, caller, programme_id, group_id, person_id, role=role)
    if signed_record is not None:
        await sign_group(uow, caller, programme_id, group_id, signed_record)


async def remove_member(
    uow: UnitOfWork,
    caller: Caller,
    programme_id: uuid.UUID,
    group_id: uuid.UUID,
    person_id: uuid.UUID,
    *,
    signed_record: str | None = None,
) -> None:
    await service.remove_group_member(uow, caller, programme_id, group_id, person_id)
    if signed_record is not None:
        await sign_group(uow, caller, programme_id, group_id, signed_record)


@personal_data("group_membership")
async def members(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, group_id: uuid.UUID
) -> tuple[list[GroupPerson], GroupSigning]:
    """The group's people (participants and trainers) with whether each has a key, and the state
    of its signed record, for the group page."""
    access, group = await _group(uow, caller, programme_id, group_id)
    repo = ProgrammeRepository(uow.session)
    roster = await repo.group_roster(access.scope, group_id)
    ids = [person for person, _ in roster]
    names = {p.id: p.display_name for p in await repo.people_in_programme(access.scope) if p.id in set(ids)}
    prints = await _fingerprints(uow, access, ids)
    people = [GroupPerson(person, names.get(person, ""), role, person in prints) for person, role in roster]
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=ids,
        record_kind="group_membership",
        action=Action.read,
        programme_id=programme_id,
    )
    signing = GroupSigning(next_serial=group.membership_serial + 1, serial=group.membership_serial)
    signing.has_key = (
        await trust.programme_public_key(uow, access.scope.organisation_id, access.scope.programme_id) is not None
    )
    if signing.has_key:
        holders = await trust.key_holders(uow, access.scope.organisation_id, programme_id)
        signing.holds_key = caller.person_id in holders
    if group.membership_record:
        record = await _verified(uow, access, group.membership_record)
        if record is not None:
            named = _named(record)
            signing.named = {uuid.UUID(person) for person, _, _ in named}
            signing.status = "signed" if named == await _expected(uow, access, group) else "outdated"
        else:
            signing.status = "outdated"
        signing.signed_at = group.membership_signed_at
        if group.membership_signed_by is not None:
            signer = await repo.get_person(access.scope.organisation_id, group.membership_signed_by)
            signing.signed_by_name = signer.display_name if signer else ""
    return people, signing


async def record_read(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, group_id: uuid.UUID) -> GroupRecordRead:
    people, signing = await members(uow, caller, programme_id, group_id)
    group = (await _group(uow, caller, programme_id, group_id))[1]
    return GroupRecordRead(
        group_id=group_id,
        serial=signing.serial,
        signed_record=group.membership_record,
        status=signing.status,
        members=[
            GroupPersonRead(
                person_id=p.person_id, display_name=p.display_name, role=GroupRole(p.role), has_key=p.has_key
            )
            for p in people
        ],
    )
