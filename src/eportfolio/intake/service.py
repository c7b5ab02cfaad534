"""Use cases of the intake feature: a programme's public application page, partners' referral
links, the intake queue, and accepting (which makes her invitation) or declining with a reason.

Her letter is sealed in her browser to the readers of the programme's intake team, a record
(docs/crypto-spec.md 8, kind 0x06) a staff browser signs with the programme key. The server
checks that record along organisation key -> programme certificate -> record before it keeps it,
and keeps an application only when its sealed keys name exactly the readers of the record in
force. It never sees the letter; name, contact and the consent text she agreed to are plaintext
so that staff can reach her (docs/intake.md).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import Field, StringConstraints

from eportfolio import crypto
from eportfolio.accounts import service as accounts
from eportfolio.accounts.service import TryCounter, tries_key
from eportfolio.crypto.intake import MAX_LETTER_BYTES, intake_letter_key_id
from eportfolio.crypto.primitives import aead_decrypt, aead_encrypt, hkdf, x25519_public, x25519_shared
from eportfolio.domain.accounts import InvitationCreate
from eportfolio.domain.common import DomainModel
from eportfolio.domain.people import MANAGING_ROLES, PersonWithRoleCreate, Role
from eportfolio.intake.repository import IntakeRepository
from eportfolio.intake.tables import Application, ApplicationKey, IntakePage, IntakeTeam, Referrer
from eportfolio.invitations import service as invitations
from eportfolio.kit import i18n
from eportfolio.kit.audit import Action, personal_data, record_access
from eportfolio.kit.auth import Caller
from eportfolio.kit.clock import utcnow
from eportfolio.kit.errors import N_, Conflict, InvalidInput, NotFound, TooManyRequests
from eportfolio.kit.uow import UnitOfWork
from eportfolio.notifications import service as notifications
from eportfolio.programmes import service as programmes
from eportfolio.programmes.tables import Programme
from eportfolio.trust import service as trust

# What she agrees to, stored with her application in the words she saw.
CONSENT_OWN = N_(
    "I agree that the programme keeps my name and my phone number or e-mail address, and contacts me "
    "about my application. Only the intake team can read my letter."
)
CONSENT_REFERRAL = N_(
    "The mother agrees that we pass on her name, her phone number or e-mail address and the reason "
    "for this referral, and that the programme contacts her."
)
PAGE_CLOSED = N_("You cannot apply to this programme online at the moment. Ask the programme how to apply.")
# Floods: at most this many applications per window from one address, and to one programme.
PER_ADDRESS = 5
PER_PROGRAMME = 60
WINDOW = timedelta(hours=1)
STATUSES = ("pending", "accepted", "declined")
# The notice staff get when an application or referral arrives: neutral (never her name), one
# entry per person and programme that comes back to the top as unread (assignments/pages.py words it).
NEW_APPLICATION = "intake_application"

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{7,20}$")
# A SecretBox of purpose 0x07: version, tag, purpose, key id, nonce, ciphertext and tag.
_LETTER_OVERHEAD = 3 + 16 + 12 + 16
# A SealedBox of purpose 0x06 holding one 32-byte key.
_SEALED_KEY_BYTES = 3 + 32 + 32 + 16

Text1000 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]


class ApplicationCreate(DomainModel):
    """What her browser sends: the letter sealed to the readers of the team record it verified."""

    application_id: uuid.UUID
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)]
    contact: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
    consent: bool = False
    consent_text: Text1000 = ""
    team_serial: int = Field(ge=1)
    letter: Annotated[str, StringConstraints(max_length=2 * (MAX_LETTER_BYTES + 200))]
    keys: dict[uuid.UUID, Annotated[str, StringConstraints(max_length=400)]] = Field(max_length=100)


class TeamCreate(DomainModel):
    serial: int = Field(ge=1, le=2**53)
    signed_record: Annotated[str, StringConstraints(max_length=20_000)]


class ReferrerCreate(DomainModel):
    partner_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


class Decline(DomainModel):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] = ""


# Tokens ---------------------------------------------------------------------------------------


def _token_hash(kind: str, token: str) -> bytes:
    return hashlib.sha256(f"eportfolio/v1/intake-{kind}\x00{token}".encode()).digest()


def _status_private(token: str) -> bytes:
    return hkdf(token.encode(), "eportfolio/v1/intake-status-key", 32)


def _seal_code(status_public: bytes, code: str) -> bytes:
    """Her invitation code, sealed to her status link's key: only the link opens it again."""
    ephemeral = secrets.token_bytes(32)
    ephemeral_public = x25519_public(ephemeral)
    key = hkdf(x25519_shared(ephemeral, status_public), "eportfolio/v1/intake-invitation", 32)
    nonce = secrets.token_bytes(12)
    return ephemeral_public + nonce + aead_encrypt(key, nonce, code.encode(), status_public)


def _open_code(token: str, box: bytes, status_public: bytes) -> str | None:
    try:
        key = hkdf(x25519_shared(_status_private(token), box[:32]), "eportfolio/v1/intake-invitation", 32)
        return aead_decrypt(key, box[32:44], box[44:], status_public).decode()
    except (crypto.CryptoError, ValueError):
        return None


# The intake team -------------------------------------------------------------------------------


def _team_not_valid() -> InvalidInput:
    return InvalidInput(
        N_(
            "The signature on this intake team does not check out, so nothing was saved. "
            "Reload the page and sign again."
        ),
        field="signed_record",
    )


# An intake team holds for a limited time, as her browser checks (frontend/static/js/intake/
# team-check.js): a team without an end would let a server serve an old team (naming a reader taken
# off it) to every first-time applicant for ever. Staff sign it again before it ends.
TEAM_VALID_DAYS = 120
_DAY_SECONDS = 86400
# A record's days start at 00:00 UTC; where she is a day may start up to 14 hours earlier.
_DAY_START_SLACK = 14 * 3600


def _team_dates_hold(body: crypto.IntakeTeam, now: float) -> bool:
    """Whether a team's own dates hold at `now`: it has an end, is not longer than a team is
    signed for, has begun and has not ended."""
    return (
        body.valid_until != 0
        and body.valid_until - body.valid_from <= TEAM_VALID_DAYS * _DAY_SECONDS
        and body.valid_from <= now + _DAY_START_SLACK
        and now < body.valid_until
    )


async def _verified_team(
    uow: UnitOfWork, repo: IntakeRepository, organisation_id: uuid.UUID, programme_id: uuid.UUID, row: IntakeTeam
) -> crypto.SignedRecord | None:
    """The stored record, if it still holds along organisation key -> certificate -> record (its
    dates are the caller's question: `_team_dates_hold`)."""
    programme_public = await trust.programme_public_key(uow, organisation_id, programme_id)
    if programme_public is None:
        return None
    try:
        record = crypto.verify_record(
            crypto.b64u_decode(row.signed_record), programme_public, crypto.RecordKind.INTAKE_TEAM
        )
    except crypto.CryptoError:
        return None
    if (
        record.programme_id != str(programme_id)
        or record.organisation_id != str(organisation_id)
        or not isinstance(record.body, crypto.IntakeTeam)
    ):
        return None
    return record


@dataclass(frozen=True, slots=True)
class Candidate:
    person_id: uuid.UUID
    display_name: str
    has_key: bool
    in_team: bool


@dataclass(frozen=True, slots=True)
class StaleReader:
    """A reader the signed team names who no longer works here (`left`), or whose key is not the
    one the team names (`new_key`): staff sign the team again without her or with her new key."""

    person_id: uuid.UUID
    display_name: str
    left: bool
    new_key: bool


@dataclass(frozen=True, slots=True)
class IntakeAdmin:
    open: bool
    next_serial: int
    team_signed_at: datetime | None
    team_valid: bool
    # When the team in force ends (staff sign it again before), or when the last one ended.
    team_valid_until: datetime | None
    candidates: list[Candidate]
    stale_readers: list[StaleReader]

    @property
    def refuses_every_letter(self) -> bool:
        """Her browser checks each reader's key against the team (js/intake/team-check.js): one
        changed key and the public page refuses every letter until the team is signed again."""
        return self.team_valid and any(r.new_key for r in self.stale_readers)


def _current_fingerprint(identities: dict[uuid.UUID, bytes], person_id: uuid.UUID) -> bytes | None:
    try:
        return crypto.Person.from_public_identity(identities[person_id]).fingerprint
    except (KeyError, crypto.CryptoError):
        return None


async def admin(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> IntakeAdmin:
    """What the staff page needs: page on or off, the team in force, who may be in it."""
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    scope = access.scope
    repo = IntakeRepository(uow.session)
    page = await repo.page(programme_id)
    row = await repo.team(scope.organisation_id, programme_id)
    record = await _verified_team(uow, repo, scope.organisation_id, programme_id, row) if row else None
    body = record.body if record else None
    holds = isinstance(body, crypto.IntakeTeam) and _team_dates_hold(body, utcnow().timestamp())
    valid_until = (
        datetime.fromtimestamp(body.valid_until, tz=UTC)
        if isinstance(body, crypto.IntakeTeam) and body.valid_until != 0
        else None
    )
    in_team = {uuid.UUID(r.person_id) for r in body.readers} if isinstance(body, crypto.IntakeTeam) else set()
    eligible = await repo.may_read_applications(scope.organisation_id, programme_id)
    with_keys = await repo.public_identities(sorted(eligible))
    # Staff of the programme and the organisation's administrators (who may be in none of its lists).
    names = await repo.names(scope.organisation_id, sorted(eligible))
    candidates = sorted(
        (Candidate(p, names.get(p, "?"), p in with_keys, p in in_team) for p in eligible),
        key=lambda c: c.display_name.casefold(),
    )
    stale: list[StaleReader] = []
    if isinstance(body, crypto.IntakeTeam):
        named = {uuid.UUID(r.person_id): r.fingerprint for r in body.readers}
        identities = await repo.public_identities(sorted(named))
        reader_names = await repo.names(scope.organisation_id, sorted(named))
        for person_id, fingerprint in named.items():
            left = person_id not in eligible
            new_key = _current_fingerprint(identities, person_id) != fingerprint
            if left or new_key:
                stale.append(StaleReader(person_id, reader_names.get(person_id, "?"), left, new_key))
        stale.sort(key=lambda r: r.display_name.casefold())
    return IntakeAdmin(
        open=bool(page and page.open),
        next_serial=await repo.latest_serial(scope.organisation_id, programme_id) + 1,
        team_signed_at=row.created_at if row else None,
        team_valid=holds,
        team_valid_until=valid_until,
        candidates=candidates,
        stale_readers=stale,
    )


async def set_open(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, *, open_: bool) -> None:
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    repo = IntakeRepository(uow.session)
    page = await repo.page(programme_id)
    if page is None:
        page = IntakePage(programme_id=programme_id, organisation_id=access.scope.organisation_id)
        uow.session.add(page)
    page.open, page.changed_by, page.changed_at = open_, caller.person_id, utcnow()
    await uow.flush()


async def sign_team(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, data: TeamCreate) -> None:
    """Store an intake team record signed in the caller's browser, if it holds along the chain,
    names this programme, is signed by her with the serial sent (above the stored one), and names
    each reader, an active staff member or administrator, by the key she has now."""
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    scope = access.scope
    repo = IntakeRepository(uow.session)
    if data.serial <= await repo.latest_serial(scope.organisation_id, programme_id):
        raise Conflict(N_("A newer intake team was signed already. Reload the page and sign again."), field="serial")
    programme_public = await trust.programme_public_key(uow, scope.organisation_id, programme_id)
    if programme_public is None:
        raise InvalidInput(
            N_("This programme has no key yet, so an intake team cannot be signed."), field="signed_record"
        )
    try:
        record = crypto.verify_record(
            crypto.b64u_decode(data.signed_record), programme_public, crypto.RecordKind.INTAKE_TEAM
        )
    except crypto.CryptoError:
        raise _team_not_valid() from None
    body = record.body
    if not (
        isinstance(body, crypto.IntakeTeam)
        and record.organisation_id == str(scope.organisation_id)
        and record.programme_id == str(programme_id)
        and record.signed_by == str(caller.person_id)
        and record.serial == data.serial
        and _team_dates_hold(body, utcnow().timestamp())
    ):
        raise _team_not_valid()
    if not body.readers:
        raise InvalidInput(N_("Choose at least one person for the intake team."), field="readers")
    try:
        readers = [uuid.UUID(r.person_id) for r in body.readers]
    except ValueError:
        raise _team_not_valid() from None
    if len(set(readers)) != len(readers):
        raise _team_not_valid()
    eligible = await repo.may_read_applications(scope.organisation_id, programme_id)
    if not set(readers) <= eligible:
        raise InvalidInput(
            N_("Only staff of this programme and administrators can be in the intake team."), field="readers"
        )
    identities = await repo.public_identities(readers)
    for entry, person_id in zip(body.readers, readers, strict=True):
        if entry.fingerprint != _current_fingerprint(identities, person_id):
            raise InvalidInput(
                N_(
                    "The intake team names someone by a key she no longer has, or before she has one. "
                    "Reload and sign again."
                ),
                field="signed_record",
            )
    uow.session.add(
        IntakeTeam(
            organisation_id=scope.organisation_id,
            programme_id=programme_id,
            serial=data.serial,
            signed_record=data.signed_record,
            signed_by=caller.person_id,
            created_at=utcnow(),
        )
    )
    await uow.flush()


# The public page -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PublicIntake:
    """What her browser needs to check the team and seal her letter; all of it served, so her
    browser checks it (docs/security.md)."""

    programme_id: uuid.UUID
    programme_name: str
    organisation_id: uuid.UUID
    organisation_public: bytes
    organisation_fingerprint: str
    certificate: bytes
    team_serial: int
    team_record: str
    readers: dict[uuid.UUID, bytes]  # person id -> public identity


async def _open_programme(repo: IntakeRepository, programme_id: uuid.UUID) -> Programme:
    programme = await repo.programme(programme_id)
    page = await repo.page(programme_id) if programme else None
    if programme is None or page is None or not page.open:
        raise NotFound(PAGE_CLOSED)
    return programme


async def _public(uow: UnitOfWork, repo: IntakeRepository, programme: Programme) -> PublicIntake:
    organisation_id = programme.organisation_id
    row = await repo.team(organisation_id, programme.id)
    record = await _verified_team(uow, repo, organisation_id, programme.id, row) if row else None
    organisation_public = await trust.organisation_public_key(uow, organisation_id)
    certificate = await repo.certificate(organisation_id, programme.id)
    if row is None or record is None or organisation_public is None or certificate is None:
        raise NotFound(PAGE_CLOSED)
    assert isinstance(record.body, crypto.IntakeTeam)
    if not _team_dates_hold(record.body, utcnow().timestamp()):
        raise NotFound(PAGE_CLOSED)
    readers = [uuid.UUID(r.person_id) for r in record.body.readers]
    return PublicIntake(
        programme_id=programme.id,
        programme_name=programme.name,
        organisation_id=organisation_id,
        organisation_public=organisation_public,
        organisation_fingerprint=trust.organisation_fingerprint(organisation_id, organisation_public),
        certificate=certificate,
        team_serial=row.serial,
        team_record=row.signed_record,
        readers=await repo.public_identities(readers),
    )


async def public_intake(uow: UnitOfWork, programme_id: uuid.UUID) -> PublicIntake:
    """The page is open and the programme has an intake team that holds; else 404 with a plain
    message (an open page without a team takes nothing: nobody could read it)."""
    repo = IntakeRepository(uow.session)
    return await _public(uow, repo, await _open_programme(repo, programme_id))


async def check_open(uow: UnitOfWork, programme_id: uuid.UUID) -> None:
    await _open_programme(IntakeRepository(uow.session), programme_id)


async def take_try(uow: UnitOfWork, programme_id: uuid.UUID, address: str) -> None:
    """Count one application try on her address and on the programme; 429 over either limit."""
    counters = [
        TryCounter(tries_key("intake-address", address), PER_ADDRESS),
        TryCounter(tries_key("intake-programme", str(programme_id)), PER_PROGRAMME),
    ]
    try:
        await accounts.take_try(uow, counters, WINDOW)
    except TooManyRequests as exc:
        raise TooManyRequests(
            N_("Too many applications were sent from here or to this programme. Please try again in an hour."),
            retry_after=exc.retry_after,
        ) from None


def consent_texts(message: str) -> set[str]:
    return {i18n.gettext(language, message) for language in i18n.ui_languages()}


def _check_contact(contact: str) -> str:
    if _EMAIL.fullmatch(contact):
        return contact
    if _PHONE.fullmatch(contact) and sum(ch.isdigit() for ch in contact) >= 8:
        return contact
    raise InvalidInput(
        N_("Fill in a phone number (at least 8 digits) or an e-mail address where we can reach you."), field="contact"
    )


def _decoded(value: str, field: str) -> bytes:
    try:
        return crypto.b64u_decode(value)
    except crypto.CryptoError:
        raise InvalidInput(
            N_("Your letter could not be sent safely. Reload the page and try again."), field=field
        ) from None


@dataclass(frozen=True, slots=True)
class Submitted:
    application_id: uuid.UUID
    status_token: str


async def submit(
    uow: UnitOfWork,
    programme_id: uuid.UUID,
    data: ApplicationCreate,
    *,
    language: str,
    referrer: Referrer | None = None,
) -> Submitted:
    """Keep an application whose letter is sealed to exactly the readers of the team in force.
    Every check comes before anything is written."""
    repo = IntakeRepository(uow.session)
    programme = await _open_programme(repo, programme_id) if referrer is None else await repo.programme(programme_id)
    if programme is None:
        raise NotFound(PAGE_CLOSED)
    if not data.name:
        raise InvalidInput(N_("Fill in a name."), field="name")
    contact = _check_contact(data.contact)
    expected_consent = consent_texts(CONSENT_REFERRAL if referrer else CONSENT_OWN)
    if not data.consent or data.consent_text not in expected_consent:
        raise InvalidInput(N_("Tick the box to agree; without it we cannot take the application."), field="consent")
    letter = _decoded(data.letter, "letter")
    size = len(letter) - _LETTER_OVERHEAD
    if size < 1:
        raise InvalidInput(N_("Write something in the letter."), field="letter")
    if size > MAX_LETTER_BYTES:
        raise InvalidInput(N_("The letter is too long. Make it shorter."), field="letter")
    try:
        intake_letter_key_id(letter)
    except crypto.CryptoError:
        raise InvalidInput(
            N_("Your letter could not be sent safely. Reload the page and try again."), field="letter"
        ) from None
    row = await repo.team(programme.organisation_id, programme_id)
    record = await _verified_team(uow, repo, programme.organisation_id, programme_id, row) if row else None
    if (
        row is None
        or record is None
        or not isinstance(record.body, crypto.IntakeTeam)
        or not _team_dates_hold(record.body, utcnow().timestamp())
    ):
        raise NotFound(PAGE_CLOSED)
    if data.team_serial != row.serial:
        raise Conflict(
            N_("The intake team changed while you wrote. Your letter is still here: send it again."),
            field="team_serial",
        )
    readers = {uuid.UUID(r.person_id) for r in record.body.readers}
    if set(data.keys) != readers:
        raise InvalidInput(N_("Your letter could not be sent safely. Reload the page and try again."), field="keys")
    for box in data.keys.values():
        sealed = _decoded(box, "keys")
        if len(sealed) != _SEALED_KEY_BYTES or sealed[:3] != bytes((0x01, 0x03, 0x06)):
            raise InvalidInput(N_("Your letter could not be sent safely. Reload the page and try again."), field="keys")
    if await repo.application_exists(data.application_id):
        raise Conflict(N_("This application was sent already."), field="application_id")
    token = secrets.token_urlsafe(32)
    application = Application(
        id=data.application_id,
        organisation_id=programme.organisation_id,
        programme_id=programme_id,
        referrer_id=referrer.id if referrer else None,
        name=data.name,
        contact=contact,
        consent_text=data.consent_text,
        language=language,
        team_serial=row.serial,
        letter=data.letter,
        status="pending",
        status_hash=_token_hash("status", token),
        status_public=x25519_public(_status_private(token)),
        created_at=utcnow(),
    )
    uow.session.add(application)
    await uow.flush()
    uow.session.add_all(
        ApplicationKey(application_id=application.id, reader_id=reader, sealed_key=box)
        for reader, box in data.keys.items()
    )
    await uow.flush()
    await _notify_staff(uow, programme.organisation_id, programme_id, readers)
    return Submitted(application.id, token)


async def _notify_staff(
    uow: UnitOfWork, organisation_id: uuid.UUID, programme_id: uuid.UUID, readers: set[uuid.UUID]
) -> None:
    """Tell the programme's staff and the team's readers who may still read applications that one
    arrived, without her name; at most one unread such notice each (it collapses)."""
    repo = IntakeRepository(uow.session)
    staff = await repo.programme_staff(organisation_id, programme_id)
    recipients = staff | (readers & await repo.may_read_applications(organisation_id, programme_id))
    for person_id in sorted(recipients):
        await notifications.notify(
            uow,
            organisation_id=organisation_id,
            programme_id=programme_id,
            person_id=person_id,
            kind=NEW_APPLICATION,
            subject_id=programme_id,
            link=f"/manage/programmes/{programme_id}/intake#intake-queue",
            collapse=True,
        )


async def queue_seen(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> None:
    """She opened the queue: her notice of new applications to this programme is read."""
    await notifications.mark_subject_read(uow, caller, NEW_APPLICATION, programme_id)


@dataclass(frozen=True, slots=True)
class Status:
    programme_name: str
    status: str
    reason: str
    invitation_code: str | None
    created_at: datetime
    time_zone: str


async def status(uow: UnitOfWork, token: str) -> Status:
    repo = IntakeRepository(uow.session)
    application = await repo.application_by_status(_token_hash("status", token)) if len(token) < 100 else None
    if application is None:
        raise NotFound(N_("We do not know this link. Check that you copied all of it."))
    programme = await repo.programme(application.programme_id)
    code = None
    if application.status == "accepted" and application.invitation_box:
        code = _open_code(token, application.invitation_box, application.status_public)
    return Status(
        programme_name=programme.name if programme else "",
        status=application.status,
        reason=application.decline_reason,
        invitation_code=code,
        created_at=application.created_at,
        time_zone=programme.time_zone if programme else "Europe/Amsterdam",
    )


# The queue -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueEntry:
    id: uuid.UUID
    name: str
    created_at: datetime
    partner: str | None
    status: str


async def queue(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> list[QueueEntry]:
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    repo = IntakeRepository(uow.session)
    partners = {r.id: r.partner_name for r in await repo.referrers(access.scope.organisation_id, programme_id)}
    return [
        QueueEntry(a.id, a.name, a.created_at, partners.get(a.referrer_id) if a.referrer_id else None, a.status)
        for a in await repo.applications(access.scope.organisation_id, programme_id)
    ]


@dataclass(frozen=True, slots=True)
class Opened:
    id: uuid.UUID
    programme_id: uuid.UUID
    name: str
    contact: str
    consent_text: str
    partner: str | None
    status: str
    decline_reason: str
    created_at: datetime
    letter: str
    sealed_key: str | None  # hers, when she is in the team the letter was sealed to
    person_id: uuid.UUID | None


def _subject(application: Application) -> uuid.UUID:
    # Before she has a person, the access log names the application.
    return application.person_id or application.id


@personal_data("application")
async def open_application(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, application_id: uuid.UUID
) -> Opened:
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    repo = IntakeRepository(uow.session)
    application = await repo.application(access.scope.organisation_id, programme_id, application_id)
    if application is None:
        raise NotFound(N_("This application does not exist (any more)."))
    partner = None
    if application.referrer_id:
        referrer = await repo.referrer(access.scope.organisation_id, programme_id, application.referrer_id)
        partner = referrer.partner_name if referrer else None
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[_subject(application)],
        record_kind="application",
        action=Action.read,
        programme_id=programme_id,
    )
    return Opened(
        id=application.id,
        programme_id=programme_id,
        name=application.name,
        contact=application.contact,
        consent_text=application.consent_text,
        partner=partner,
        status=application.status,
        decline_reason=application.decline_reason,
        created_at=application.created_at,
        letter=application.letter,
        sealed_key=await repo.sealed_key(application.id, caller.person_id),
        person_id=application.person_id,
    )


async def _pending(uow: UnitOfWork, access: programmes.Access, application_id: uuid.UUID) -> Application:
    repo = IntakeRepository(uow.session)
    application = await repo.application(access.scope.organisation_id, access.scope.programme_id, application_id)
    if application is None:
        raise NotFound(N_("This application does not exist (any more)."))
    if application.status != "pending":
        raise Conflict(N_("This application was decided already."))
    return application


@personal_data("application")
async def accept(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, application_id: uuid.UUID) -> str:
    """She becomes a participant of the programme with an invitation (the invitations service);
    its code is sealed to her status link, which shows it. Returns the code for staff too."""
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    application = await _pending(uow, access, application_id)
    person = await programmes.create_person(
        uow,
        caller,
        programme_id,
        PersonWithRoleCreate(display_name=application.name, language=application.language, role=Role.participant),
    )
    created = await invitations.create_invitation(
        uow, caller, programme_id, InvitationCreate(person_id=person.id, role=Role.participant)
    )
    application.status = "accepted"
    application.person_id = person.id
    application.invitation_box = _seal_code(application.status_public, created.code)
    application.decided_by, application.decided_at = caller.person_id, utcnow()
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[person.id],
        record_kind="application",
        action=Action.update,
        programme_id=programme_id,
    )
    await uow.flush()
    return created.code


@personal_data("application")
async def decline(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, application_id: uuid.UUID, data: Decline
) -> None:
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    application = await _pending(uow, access, application_id)
    if not data.reason:
        raise InvalidInput(N_("Write the reason she will read on her status page."), field="reason")
    application.status = "declined"
    application.decline_reason = data.reason
    application.decided_by, application.decided_at = caller.person_id, utcnow()
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[_subject(application)],
        record_kind="application",
        action=Action.update,
        programme_id=programme_id,
    )
    await uow.flush()


# Referral links --------------------------------------------------------------------------------


async def create_referrer(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, data: ReferrerCreate) -> str:
    """A link for a partner organisation; its token exists only in this answer."""
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    token = secrets.token_urlsafe(24)
    uow.session.add(
        Referrer(
            organisation_id=access.scope.organisation_id,
            programme_id=programme_id,
            partner_name=data.partner_name,
            token_hash=_token_hash("referral", token),
            created_by=caller.person_id,
            created_at=utcnow(),
        )
    )
    await uow.flush()
    return token


async def referrers(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> list[Referrer]:
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    return await IntakeRepository(uow.session).referrers(access.scope.organisation_id, programme_id)


async def withdraw_referrer(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, referrer_id: uuid.UUID) -> None:
    access = await programmes.authorize(uow, caller, programme_id, MANAGING_ROLES)
    row = await IntakeRepository(uow.session).referrer(access.scope.organisation_id, programme_id, referrer_id)
    if row is None:
        raise NotFound()
    row.withdrawn_at = row.withdrawn_at or utcnow()
    await uow.flush()


async def referrer_by_token(uow: UnitOfWork, token: str) -> Referrer:
    row = (
        await IntakeRepository(uow.session).referrer_by_token(_token_hash("referral", token))
        if len(token) < 100
        else None
    )
    if row is None:
        raise NotFound(N_("This referral link does not work (any more). Ask the programme for a new one."))
    return row


async def referral_intake(uow: UnitOfWork, token: str) -> tuple[Referrer, PublicIntake]:
    """A partner's form: as her own page, but open whether or not the public page is."""
    referrer = await referrer_by_token(uow, token)
    repo = IntakeRepository(uow.session)
    programme = await repo.programme(referrer.programme_id)
    if programme is None:
        raise NotFound(PAGE_CLOSED)
    return referrer, await _public(uow, repo, programme)
