"""Use cases of the trust feature: the keys others rely on.

The organisation key (made in the first administrator's browser) certifies each programme's key;
the programme key signs coach assignments (and, in other features, rosters and group member
lists). The server stores public halves, certificates and sealed copies of the private halves it
cannot open, and checks every signature it can so that a broken record is refused early; clients
check them again against the keys they pinned.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

from eportfolio import crypto
from eportfolio.accounts import service as accounts
from eportfolio.domain.accounts import (
    AssignmentFacts,
    AssignmentSigningRead,
    AssignmentTrustRead,
    KeyCopyCreate,
    OrganisationAdminRead,
    OrganisationKeyCreate,
    ProgrammeKeyCreate,
    PublicIdentityRead,
    SignatureStatus,
    SigningKeyRead,
)
from eportfolio.domain.people import MANAGING_ROLES, CoachAssignmentRead, CoachKind, Role
from eportfolio.kit.audit import Action, personal_data, record_access
from eportfolio.kit.auth import Caller
from eportfolio.kit.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from eportfolio.kit.uow import UnitOfWork
from eportfolio.programmes import service as programmes
from eportfolio.trust.repository import TrustRepository
from eportfolio.trust.tables import OrganisationKey, ProgrammeKey, SigningKeyCopy

_SEALED_SIGNING_KEY_BYTES = 83  # SealedBox purpose 0x04: 35-byte header, 32-byte seed, 16-byte tag
_SEALED_SIGNING_KEY_PREFIX = b"\x01\x03\x04"


# Decoding what browsers send ---------------------------------------------------------------


def sealed_signing_key(value: str, field: str) -> bytes:
    box = accounts.decode(value, field)
    if len(box) != _SEALED_SIGNING_KEY_BYTES or not box.startswith(_SEALED_SIGNING_KEY_PREFIX):
        raise accounts.bad_structure(field)
    return box


def public_key(value: str, field: str) -> bytes:
    key = accounts.decode(value, field)
    if len(key) != 32:
        raise accounts.bad_structure(field)
    return key


def fingerprint_text(kind: crypto.FingerprintKind, subject: uuid.UUID, public: bytes) -> str:
    return crypto.fingerprint_text(crypto.fingerprint(kind, str(subject), public))


# The organisation key ----------------------------------------------------------------------


async def organisation_public_key(uow: UnitOfWork, organisation_id: uuid.UUID) -> bytes | None:
    """The organisation key's public half as stored (None before the first administrator made it)."""
    key = await TrustRepository(uow.session).organisation_key(organisation_id)
    return key.ed25519_public if key else None


async def key_holders(uow: UnitOfWork, organisation_id: uuid.UUID, subject_id: uuid.UUID) -> set[uuid.UUID]:
    """Who holds a sealed copy of the organisation's (subject = organisation) or a programme's key."""
    return {c.holder_id for c in await TrustRepository(uow.session).key_copies(organisation_id, subject_id)}


def organisation_fingerprint(organisation_id: uuid.UUID, public: bytes) -> str:
    """The fingerprint printed on invitations, to check the organisation key against."""
    return fingerprint_text(crypto.FingerprintKind.ORGANISATION_KEY, organisation_id, public)


async def first_organisation_key(
    uow: UnitOfWork,
    organisation_id: uuid.UUID,
    person_id: uuid.UUID,
    key: OrganisationKeyCreate | None,
    *,
    invited_by_admin: bool,
) -> None:
    """An administrator signs up; only the very first one makes the organisation key.

    An invitation from another administrator never makes one: she pins the organisation key that
    exists, checked against the fingerprint on her invitation paper.
    """
    repo = TrustRepository(uow.session)
    if invited_by_admin and key is not None:
        raise Conflict(N_("The organisation key exists already."), field="organisation_key")
    if await repo.organisation_key(organisation_id) is not None:
        if key is not None:
            raise Conflict(N_("The organisation key exists already."), field="organisation_key")
        return
    if key is None:
        raise InvalidInput(N_("The first administrator's browser makes the organisation key; it is missing."),
                           field="organisation_key")
    uow.session.add(
        OrganisationKey(
            organisation_id=organisation_id,
            ed25519_public=public_key(key.ed25519_public, "organisation_key"),
            created_by=person_id,
        )
    )
    uow.session.add(
        SigningKeyCopy(
            organisation_id=organisation_id,
            kind="organisation",
            subject_id=organisation_id,
            holder_id=person_id,
            sealed_box=sealed_signing_key(key.sealed_copy, "organisation_key"),
            created_by=person_id,
        )
    )


# Organisation and programme keys -----------------------------------------------------------


def _signing_key_read(
    subject_id: uuid.UUID,
    kind: crypto.FingerprintKind,
    public: bytes,
    copies: list[SigningKeyCopy],
    holder: uuid.UUID,
    certificate: bytes | None = None,
) -> SigningKeyRead:
    mine = next((c for c in copies if c.holder_id == holder), None)
    return SigningKeyRead(
        subject_id=subject_id,
        ed25519_public=crypto.b64u_encode(public),
        fingerprint=fingerprint_text(kind, subject_id, public),
        certificate=crypto.b64u_encode(certificate) if certificate else None,
        sealed_copy=crypto.b64u_encode(mine.sealed_box) if mine else None,
        holders=[c.holder_id for c in copies],
    )


async def organisation_key(uow: UnitOfWork, caller: Caller) -> SigningKeyRead:
    repo = TrustRepository(uow.session)
    key = await repo.organisation_key(caller.organisation_id)
    if key is None:
        raise NotFound(N_("The organisation key has not been made yet."))
    copies = await repo.key_copies(caller.organisation_id, caller.organisation_id)
    return _signing_key_read(
        caller.organisation_id, crypto.FingerprintKind.ORGANISATION_KEY, key.ed25519_public, copies, caller.person_id
    )


async def _holder_with_account(uow: UnitOfWork, organisation_id: uuid.UUID, holder_id: uuid.UUID) -> None:
    person = await accounts.person_in_organisation(uow, organisation_id, holder_id)
    if person is None or await accounts.account_of_person(uow, holder_id) is None:
        raise InvalidInput(N_("She needs an account before she can hold this key."), field="holder_id")


async def _add_copy(
    uow: UnitOfWork,
    caller: Caller,
    repo: TrustRepository,
    *,
    kind: str,
    subject_id: uuid.UUID,
    data: KeyCopyCreate,
) -> None:
    copies = await repo.key_copies(caller.organisation_id, subject_id)
    if caller.person_id not in {c.holder_id for c in copies}:
        raise Forbidden(N_("Only someone who holds this key can pass it on."))
    if data.holder_id in {c.holder_id for c in copies}:
        raise Conflict(N_("She holds this key already."), field="holder_id")
    uow.session.add(
        SigningKeyCopy(
            organisation_id=caller.organisation_id,
            kind=kind,
            subject_id=subject_id,
            holder_id=data.holder_id,
            sealed_box=sealed_signing_key(data.sealed_copy, "sealed_copy"),
            created_by=caller.person_id,
        )
    )
    await uow.flush()


async def add_organisation_key_copy(uow: UnitOfWork, caller: Caller, data: KeyCopyCreate) -> None:
    """An admin's browser passes the organisation key on to another admin."""
    await programmes.require_org_admin(uow, caller)
    repo = TrustRepository(uow.session)
    if not await accounts.is_org_admin(uow, caller.organisation_id, data.holder_id):
        raise InvalidInput(N_("Only organisation administrators hold the organisation key."), field="holder_id")
    await _holder_with_account(uow, caller.organisation_id, data.holder_id)
    await _add_copy(uow, caller, repo, kind="organisation", subject_id=caller.organisation_id, data=data)


@personal_data("public_identity")
async def admin_public_identity(uow: UnitOfWork, caller: Caller, person_id: uuid.UUID) -> PublicIdentityRead:
    """Another organisation admin's public keys, so that an admin's browser can seal the organisation key to her."""
    await programmes.require_org_admin(uow, caller)
    person = await accounts.person_in_organisation(uow, caller.organisation_id, person_id)
    if person is None or not await accounts.is_org_admin(uow, caller.organisation_id, person_id):
        raise NotFound()
    account = await accounts.account_of_person(uow, person_id)
    if account is None or not account.public_identity:
        raise NotFound(N_("She has no account yet."))
    record_access(
        uow, caller, role=Role.org_admin, subjects=[person_id], record_kind="public_identity", action=Action.read,
    )
    return PublicIdentityRead(
        person_id=person_id,
        display_name=person.display_name,
        public_identity=crypto.b64u_encode(account.public_identity),
        fingerprint=accounts.person_fingerprint(account).fingerprint_text,
    )


async def organisation_key_holders(uow: UnitOfWork, caller: Caller) -> list[OrganisationAdminRead]:
    """Every organisation admin: whether she has an account and whether she holds the organisation key."""
    await programmes.require_org_admin(uow, caller)
    repo = TrustRepository(uow.session)
    admin_ids = await accounts.org_admin_ids(uow, caller.organisation_id)
    holders = {c.holder_id for c in await repo.key_copies(caller.organisation_id, caller.organisation_id)}
    with_account = await accounts.accounts_in_organisation(uow, caller.organisation_id, admin_ids)
    answers = []
    for admin_id in admin_ids:
        person = await accounts.person(uow, admin_id)
        if person is not None:
            answers.append(OrganisationAdminRead(
                person_id=admin_id, display_name=person.display_name,
                has_account=admin_id in with_account, holds_key=admin_id in holders,
            ))
    return sorted(answers, key=lambda a: a.display_name)


async def programme_key(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> SigningKeyRead:
    access = await programmes.authorize(uow, caller, programme_id, Role)
    repo = TrustRepository(uow.session)
    key = await repo.programme_key(access.scope.organisation_id, programme_id)
    if key is None:
        raise NotFound(N_("This programme's key has not been made yet."))
    copies = await repo.key_copies(access.scope.organisation_id, programme_id)
    return _signing_key_read(
        programme_id, crypto.FingerprintKind.PROGRAMME_KEY, key.ed25519_public, copies, caller.person_id,
        key.certificate,
    )


async def create_programme_key(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, data: ProgrammeKeyCreate
) -> SigningKeyRead:
    """Store a programme key made in a staff member's browser, certified by the organisation key."""
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    repo = TrustRepository(uow.session)
    if await accounts.account_of_person(uow, caller.person_id) is None:
        raise Forbidden(N_("Log in with your own account to do this."))
    if await repo.programme_key(access.scope.organisation_id, programme_id) is not None:
        raise Conflict(N_("This programme has a key already."))
    org_key = await repo.organisation_key(access.scope.organisation_id)
    if org_key is None:
        raise Conflict(N_("The organisation key has not been made yet; an administrator logs in first."))
    public = public_key(data.ed25519_public, "ed25519_public")
    certificate = accounts.decode(data.certificate, "certificate")
    try:
        record = crypto.verify_record(
            certificate, org_key.ed25519_public, crypto.RecordKind.PROGRAMME_KEY_CERTIFICATE
        )
        certified = crypto.verify_programme_key(certificate, org_key.ed25519_public, str(programme_id))
    except crypto.CryptoError:
        raise accounts.bad_structure("certificate") from None
    if certified != public or record.organisation_id != str(access.scope.organisation_id):
        raise accounts.bad_structure("certificate")
    uow.session.add(
        ProgrammeKey(
            programme_id=programme_id,
            organisation_id=access.scope.organisation_id,
            ed25519_public=public,
            certificate=certificate,
            created_by=caller.person_id,
        )
    )
    uow.session.add(
        SigningKeyCopy(
            organisation_id=access.scope.organisation_id,
            kind="programme",
            subject_id=programme_id,
            holder_id=caller.person_id,
            sealed_box=sealed_signing_key(data.sealed_copy, "sealed_copy"),
            created_by=caller.person_id,
        )
    )
    await uow.flush()
    return await programme_key(uow, caller, programme_id)


async def add_programme_key_copy(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, data: KeyCopyCreate
) -> None:
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    repo = TrustRepository(uow.session)
    holder_roles = await _roles_of(uow, access.scope.organisation_id, programme_id, data.holder_id)
    if not holder_roles & {Role.staff, Role.org_admin}:
        raise InvalidInput(N_("Only staff of this programme hold its key."), field="holder_id")
    await _holder_with_account(uow, access.scope.organisation_id, data.holder_id)
    await _add_copy(uow, caller, repo, kind="programme", subject_id=programme_id, data=data)


async def _roles_of(
    uow: UnitOfWork, organisation_id: uuid.UUID, programme_id: uuid.UUID, person_id: uuid.UUID
) -> set[Role]:
    person = await accounts.person_in_organisation(uow, organisation_id, person_id)
    if person is None:
        return set()
    stand_in = Caller(person_id=person.id, organisation_id=organisation_id, session_id=None)
    return await programmes.roles_in(uow, stand_in, programme_id)


@personal_data("public_identity")
async def public_identity(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, person_id: uuid.UUID
) -> PublicIdentityRead:
    """Someone's public keys, to seal a key to her or to check a record about her."""
    access = await programmes.authorize(uow, caller, programme_id, Role)
    person = await accounts.person_in_organisation(uow, access.scope.organisation_id, person_id)
    if person is None or not await _roles_of(uow, access.scope.organisation_id, programme_id, person_id):
        raise NotFound()
    account = await accounts.account_of_person(uow, person_id)
    if account is None or not account.public_identity:
        raise NotFound(N_("She has no account yet."))
    identity = accounts.person_fingerprint(account)
    record_access(
        uow, caller, role=access.role, subjects=[person_id],
        record_kind="public_identity", action=Action.read, programme_id=programme_id,
    )
    return PublicIdentityRead(
        person_id=person_id,
        display_name=person.display_name,
        public_identity=crypto.b64u_encode(account.public_identity),
        fingerprint=identity.fingerprint_text,
    )


# Signed coach assignments ------------------------------------------------------------------


COACH_ROLES = {
    CoachKind.individual: crypto.CoachRole.INDIVIDUAL,
    CoachKind.budget: crypto.CoachRole.BUDGET,
    CoachKind.work: crypto.CoachRole.WORK,
}


def assignment_validity(starts_on: date, ends_on: date | None) -> tuple[int, int]:
    """valid_from and valid_until of a coach assignment record (docs/crypto-spec.md, Deviations).

    Dates are whole days: from 00:00 UTC of the first day to 00:00 UTC of the day after the last;
    0 means open-ended.
    """
    start = int(datetime.combine(starts_on, time(), tzinfo=UTC).timestamp())
    if ends_on is None:
        return start, 0
    return start, int(datetime.combine(ends_on + timedelta(days=1), time(), tzinfo=UTC).timestamp())


def _stored_serials(assignments: list[CoachAssignmentRead], programme_public: bytes) -> list[int]:
    serials = []
    for a in assignments:
        if not a.signed_record:
            continue
        try:
            record = crypto.verify_record(
                crypto.b64u_decode(a.signed_record), programme_public, crypto.RecordKind.COACH_ASSIGNMENT
            )
        except crypto.CryptoError:
            continue
        serials.append(record.serial)
    return serials


async def assignment_signing(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> AssignmentSigningRead:
    """What a staff browser needs to sign coach assignments: whether she holds the key, the next serial."""
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    repo = TrustRepository(uow.session)
    organisation_id = access.scope.organisation_id
    programme_public = await _certified_programme_key(repo, organisation_id, programme_id)
    if programme_public is None:
        return AssignmentSigningRead(has_key=False, holds_key=False, next_serial=1)
    holders = {c.holder_id for c in await repo.key_copies(organisation_id, programme_id)}
    assignments = await programmes.list_assignments(uow, caller, programme_id)
    return AssignmentSigningRead(
        has_key=True,
        holds_key=caller.person_id in holders,
        next_serial=max(_stored_serials(assignments, programme_public), default=0) + 1,
    )


def _not_valid() -> InvalidInput:
    return InvalidInput(
        N_("The signature on this coach assignment does not check out, so nothing was saved. "
           "Reload the page and try again."),
        field="signed_record",
    )


async def check_assignment_record(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, facts: AssignmentFacts, signed_record: str
) -> None:
    """Refuse a coach assignment record that does not carry exactly these facts, signed by her.

    The chain organisation key -> certificate -> programme key -> record must hold, the coach's
    fingerprint must be that of her public identity, and the serial must be newer than every
    record stored for the programme (clients refuse older ones).
    """
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    repo = TrustRepository(uow.session)
    organisation_id = access.scope.organisation_id
    programme_public = await _certified_programme_key(repo, organisation_id, programme_id)
    if programme_public is None:
        raise InvalidInput(N_("This programme has no key yet, so nothing can be signed."), field="signed_record")
    coach = (await accounts.accounts_in_organisation(uow, organisation_id, [facts.coach_id])).get(facts.coach_id)
    if coach is None or not coach.public_identity:
        raise InvalidInput(N_("This coach has no account yet; sign the assignment after she joins."),
                           field="signed_record")
    try:
        record = crypto.verify_record(
            crypto.b64u_decode(signed_record), programme_public, crypto.RecordKind.COACH_ASSIGNMENT
        )
    except crypto.CryptoError:
        raise _not_valid() from None
    valid_from, valid_until = assignment_validity(facts.starts_on, facts.ends_on)
    body = record.body
    if not (
        _assignment_checks(signed_record, programme_public, organisation_id, programme_id, facts.participant_id, coach)
        and isinstance(body, crypto.CoachAssignment)
        and body.role == COACH_ROLES[facts.kind]
        and (body.valid_from, body.valid_until) == (valid_from, valid_until)
        and record.signed_by == str(caller.person_id)
    ):
        raise _not_valid()
    assignments = await programmes.list_assignments(uow, caller, programme_id)
    if record.serial <= max(_stored_serials(assignments, programme_public), default=0):
        raise Conflict(
            N_("Someone signed another coach assignment at the same time. Reload the page and try again."),
            field="signed_record",
        )


async def assignment_trust(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> list[AssignmentTrustRead]:
    """Each coach assignment she may see, with whether its signed record checks out.

    The server checks what it can (programme key, certificate, ids, the coach's fingerprint, and
    whether the coach signed it himself); browsers check again against the keys they pinned.
    """
    assignments = await programmes.list_assignments(uow, caller, programme_id)
    repo = TrustRepository(uow.session)
    organisation_id = caller.organisation_id
    programme_public = await _certified_programme_key(repo, organisation_id, programme_id)
    coaches = await accounts.accounts_in_organisation(uow, organisation_id, list({a.coach_id for a in assignments}))
    answers = []
    for a in assignments:
        status = SignatureStatus.unsigned
        if a.signed_record:
            coach = coaches.get(a.coach_id)
            ok = programme_public is not None and coach is not None and _assignment_checks(
                a.signed_record, programme_public, organisation_id, programme_id, a.participant_id, coach
            )
            status = SignatureStatus.signed if ok else SignatureStatus.invalid
            if ok and programme_public is not None and a.ends_on is not None:
                status = _end_status(a, programme_public)
            if ok and programme_public is not None and a.ended_at is None and _self_signed(a, programme_public):
                status = SignatureStatus.awaiting_second_signature
        answers.append(
            AssignmentTrustRead(assignment_id=a.id, participant_id=a.participant_id, coach_id=a.coach_id, status=status)
        )
    return answers


def _self_signed(assignment: CoachAssignmentRead, programme_public: bytes) -> bool:
    """Whether the record's signer is the coach it names (read from the record, not the row)."""
    assert assignment.signed_record is not None
    try:
        record = crypto.verify_record(
            crypto.b64u_decode(assignment.signed_record), programme_public, crypto.RecordKind.COACH_ASSIGNMENT
        )
    except crypto.CryptoError:
        return False
    body = record.body
    return isinstance(body, crypto.CoachAssignment) and record.signed_by == body.coach_id


async def programme_public_key(uow: UnitOfWork, organisation_id: uuid.UUID, programme_id: uuid.UUID) -> bytes | None:
    """The programme's signing key as stored, if its certificate verifies with the organisation
    key as stored (organisation key -> programme certificate): what a record it signed is
    checked against. None when the programme has no (valid) key."""
    return await _certified_programme_key(TrustRepository(uow.session), organisation_id, programme_id)


async def _certified_programme_key(
    repo: TrustRepository, organisation_id: uuid.UUID, programme_id: uuid.UUID
) -> bytes | None:
    org_key = await repo.organisation_key(organisation_id)
    key = await repo.programme_key(organisation_id, programme_id)
    if org_key is None or key is None:
        return None
    try:
        public = crypto.verify_programme_key(key.certificate, org_key.ed25519_public, str(programme_id))
    except crypto.CryptoError:
        return None
    return public if public == key.ed25519_public else None


def _end_status(assignment: CoachAssignmentRead, programme_public: bytes) -> SignatureStatus:
    """An assignment with an end date is signed only when its record carries that end."""
    assert assignment.signed_record is not None
    try:
        body = crypto.verify_record(
            crypto.b64u_decode(assignment.signed_record), programme_public, crypto.RecordKind.COACH_ASSIGNMENT
        ).body
    except crypto.CryptoError:
        return SignatureStatus.invalid
    _, until = assignment_validity(assignment.starts_on, assignment.ends_on)
    if isinstance(body, crypto.CoachAssignment) and body.valid_until == until:
        return SignatureStatus.signed
    return SignatureStatus.outdated


def _assignment_checks(
    signed_record: str,
    programme_public: bytes,
    organisation_id: uuid.UUID,
    programme_id: uuid.UUID,
    participant_id: uuid.UUID,
    coach: accounts.Account,
) -> bool:
    try:
        record = crypto.verify_record(
            crypto.b64u_decode(signed_record), programme_public, crypto.RecordKind.COACH_ASSIGNMENT
        )
        coach_fingerprint = accounts.person_fingerprint(coach).fingerprint
    except crypto.CryptoError:
        return False
    body = record.body
    return (
        isinstance(body, crypto.CoachAssignment)
        and record.organisation_id == str(organisation_id)
        and record.programme_id == str(programme_id)
        and body.participant_id == str(participant_id)
        and body.coach_id == str(coach.person_id)
        and body.coach_fingerprint == coach_fingerprint
    )
