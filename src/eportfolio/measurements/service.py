"""Use cases of the measurements feature: which instruments a programme can measure with, staff
adding an instrument or a new version of one for their organisation, and measurements of a
participant: her self-score beside her coach's, her consent to report scores, and the numeric
scores her browser reports under that consent.

Every programme has the shipped instruments; an organisation's own versions come on top. A
version, once there, is never changed or replaced: measurements name it by key and version. Should
a later release ship a version an organisation had already added under the same key and number,
the organisation's own stays the one its programmes see, so its measurements keep their meaning.

Instrument definitions are programme content, not a person's data: those routes are not
access-logged. Measurements are hers: every use case on them writes access-log rows.

Scores and notes arrive sealed in her browser (or her coach's) for her portfolio's "my coaches"
audience, exactly as answers to assignments; the server keeps the envelope, the instrument key and
version, who scored and when. It withholds the other side's envelope until both are in: a
courtesy the server keeps, not a cryptographic guarantee (her coaches hold the key either way).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from eportfolio import crypto
from eportfolio.accounts import service as accounts
from eportfolio.assignments import service as assignments
from eportfolio.domain.measurements import (
    InstrumentDefinition,
    InstrumentVersionRead,
    InstrumentVersionSummary,
    MeasurementCreate,
    MeasurementRead,
    MeasurementSideName,
    ReportedScoresWrite,
    ReportedTotal,
    ScoreConsentRead,
    ScoreConsentWithdraw,
    ScoreConsentWrite,
    SideRead,
)
from eportfolio.domain.modules import EnvelopeRead, EnvelopeWrite
from eportfolio.domain.people import MANAGING_ROLES, Role
from eportfolio.kit.audit import Action, personal_data, record_access
from eportfolio.kit.auth import Caller
from eportfolio.kit.clock import utcnow
from eportfolio.kit.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from eportfolio.kit.i18n import gettext
from eportfolio.kit.uow import UnitOfWork
from eportfolio.measurements.repository import MeasurementRepository
from eportfolio.measurements.shipped import shipped
from eportfolio.measurements.tables import InstrumentVersion, Measurement, MeasurementSide, ReportedScores, ScoreConsent
from eportfolio.portfolio import service as portfolio
from eportfolio.programmes.service import Access, authorize

# Who may add an instrument or a version: programme staff and organisation admins.
AUTHORS = MANAGING_ROLES

# What the definition's validators say (``domain.measurements.VALIDATOR_MESSAGES``), listed here so
# that they are extracted and translated; a test keeps the two lists the same.
VALIDATOR_MESSAGES = (
    N_("Give this text in Dutch (nl) as well."),
    N_("Give this text in English (en) as well."),
    N_("Two domains have the same key. Give each domain its own key."),
    N_("Two levels have the same value. Give each level its own value."),
    N_("Number the levels one after the other, from low to high, without gaps."),
    N_("This domain describes the same level twice."),
    N_("A domain describes a level that is not on the scale."),
)

VERSION_TAKEN = N_(
    "This instrument has version %(newest)s already, and a version is never changed. "
    "Add your changes as version %(next)s."
)


# Read models -------------------------------------------------------------------------------


def _summary(definition: InstrumentDefinition, row: InstrumentVersion | None) -> InstrumentVersionSummary:
    return InstrumentVersionSummary(
        key=definition.key,
        version=definition.version,
        name=dict(definition.name),
        domain_count=len(definition.domains),
        lowest=definition.lowest,
        highest=definition.highest,
        shipped=row is None,
        added_at=row.created_at if row else None,
    )


def _definition(row: InstrumentVersion) -> InstrumentDefinition:
    return InstrumentDefinition.model_validate(row.definition)


def _read(definition: InstrumentDefinition, row: InstrumentVersion | None) -> InstrumentVersionRead:
    return InstrumentVersionRead(
        key=definition.key,
        version=definition.version,
        shipped=row is None,
        added_at=row.created_at if row else None,
        added_by=row.added_by if row else None,
        # A copy: the shipped definitions are shared by every request of the process.
        definition=definition.model_copy(deep=True),
    )


# Use cases ---------------------------------------------------------------------------------


async def list_instruments(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> list[InstrumentVersionSummary]:
    """Every version of every instrument the programme can measure with, by key and version."""
    access = await authorize(uow, caller, programme_id, Role)
    rows = await MeasurementRepository(uow.session).instrument_versions(access.scope)
    found = {index: _summary(definition, None) for index, definition in shipped().items()}
    for row in rows:
        found[(row.key, row.version)] = _summary(_definition(row), row)
    return [found[index] for index in sorted(found)]


async def get_instrument(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, key: str, version: int
) -> InstrumentVersionRead:
    access = await authorize(uow, caller, programme_id, Role)
    row = await MeasurementRepository(uow.session).instrument_version(access.scope, key, version)
    if row is not None:
        return _read(_definition(row), row)
    definition = shipped().get((key, version))
    if definition is None:
        raise NotFound(N_("This instrument or this version of it does not exist."))
    return _read(definition, None)


async def add_version(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, definition: InstrumentDefinition
) -> InstrumentVersionRead:
    """Add an instrument (version 1 or any first number) or a newer version of one, shipped or the
    organisation's own. A number that is taken, or lower than the newest, is refused: the version
    that exists stays as it is."""
    access = await authorize(uow, caller, programme_id, AUTHORS)
    repo = MeasurementRepository(uow.session)
    taken = [version for key, version in shipped() if key == definition.key]
    own_newest = await repo.newest_version(access.scope, definition.key)
    if own_newest is not None:
        taken.append(own_newest)
    newest = max(taken, default=None)
    if newest is not None and definition.version <= newest:
        raise InvalidInput(VERSION_TAKEN, params={"newest": newest, "next": newest + 1}, field="version")
    row = InstrumentVersion(
        organisation_id=access.scope.organisation_id,
        key=definition.key,
        version=definition.version,
        definition=definition.model_dump(mode="json"),
        added_by=caller.person_id,
        added_in_programme_id=access.scope.programme_id,
    )
    uow.session.add(row)
    await uow.flush()
    return _read(definition, row)


async def definition_of(uow: UnitOfWork, access: Access, key: str, version: int) -> InstrumentDefinition | None:
    """The definition of one instrument version as this programme sees it, or None."""
    row = await MeasurementRepository(uow.session).instrument_version(access.scope, key, version)
    if row is not None:
        return _definition(row)
    return shipped().get((key, version))


# Measurements: her self-score beside her coach's -----------------------------------------------

# Who takes part in a measurement: she (her self-score) and her coaches (their score).
SCORERS = frozenset({Role.participant, Role.coach})
SIDE_OF_ROLE = {Role.participant: MeasurementSideName.self, Role.coach: MeasurementSideName.coach}
ONLY_HER_AND_HER_COACH = N_("Scores are only for her and her coach. Staff see reported totals, not her scores.")
UNKNOWN_VERSION = N_("This instrument or this version of it does not exist. Choose one from the list.")


async def _scorer_access(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> Access:
    try:
        return await authorize(uow, caller, programme_id, SCORERS)
    except Forbidden:
        raise Forbidden(ONLY_HER_AND_HER_COACH) from None


async def _check_may_score(uow: UnitOfWork, caller: Caller, access: Access, participant_id: uuid.UUID) -> None:
    """She may for herself; a coach only for a participant whose coach assignment counts today."""
    if access.role is Role.participant:
        if participant_id != caller.person_id:
            raise NotFound()
        return
    if participant_id not in await assignments.caseload(uow, caller, access):
        raise NotFound()


def _visible(row: MeasurementSide, mine: MeasurementSideName, both: bool) -> bool:
    return both or row.side == mine.value


def _measurement_read(
    measurement: Measurement,
    sides: list[MeasurementSide],
    definition: InstrumentDefinition | None,
    mine: MeasurementSideName,
    reported: set[str],
) -> MeasurementRead:
    both = {s.side for s in sides} == {side.value for side in MeasurementSideName}
    return MeasurementRead(
        id=measurement.id,
        programme_id=measurement.programme_id,
        participant_id=measurement.participant_id,
        instrument_key=measurement.instrument_key,
        instrument_version=measurement.instrument_version,
        instrument_name=dict(definition.name) if definition else {},
        opened_by=measurement.opened_by,
        opened_at=measurement.opened_at,
        sides=[
            SideRead(
                id=s.id,
                side=MeasurementSideName(s.side),
                author_id=s.author_id,
                submitted_at=s.submitted_at,
                envelope=EnvelopeRead(
                    envelope=s.envelope, key_id=s.key_id, item_key_wrap=s.item_key_wrap, revision=s.revision
                )
                if _visible(s, mine, both)
                else None,
            )
            for s in sorted(sides, key=lambda s: s.side != MeasurementSideName.self.value)
        ],
        both_submitted=both,
        reported_sides=[MeasurementSideName(side) for side in sorted(reported)],
    )


def _log(uow: UnitOfWork, caller: Caller, access: Access, participant_id: uuid.UUID, kind: str, action: Action) -> None:
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=[participant_id],
        record_kind=kind,
        action=action,
        programme_id=access.scope.programme_id,
    )


@personal_data("measurement")
async def list_measurements(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, participant_id: uuid.UUID
) -> list[MeasurementRead]:
    """Her measurements, oldest first, each with its sides (the other side's envelope withheld
    until both are in)."""
    access = await _scorer_access(uow, caller, programme_id)
    await _check_may_score(uow, caller, access, participant_id)
    repo = MeasurementRepository(uow.session)
    rows = await repo.measurements_of(access.scope, participant_id)
    sides = await repo.sides_of(access.scope, [m.id for m in rows])
    reported = await repo.reported_sides(access.scope, [m.id for m in rows])
    mine = SIDE_OF_ROLE[access.role]
    definitions: dict[tuple[str, int], InstrumentDefinition | None] = {}
    result = []
    for m in rows:
        index = (m.instrument_key, m.instrument_version)
        if index not in definitions:
            definitions[index] = await definition_of(uow, access, *index)
        result.append(_measurement_read(m, sides.get(m.id, []), definitions[index], mine, reported.get(m.id, set())))
    _log(uow, caller, access, participant_id, "measurement", Action.read)
    return result


async def _measurement(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, measurement_id: uuid.UUID
) -> tuple[Access, Measurement]:
    access = await _scorer_access(uow, caller, programme_id)
    row = await MeasurementRepository(uow.session).get_measurement(access.scope, measurement_id)
    if row is None:
        raise NotFound()
    await _check_may_score(uow, caller, access, row.participant_id)
    return access, row


@personal_data("measurement")
async def get_measurement(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, measurement_id: uuid.UUID
) -> tuple[MeasurementRead, InstrumentDefinition | None, Role]:
    """One measurement with the definition of its own instrument version, and the caller's role."""
    access, row = await _measurement(uow, caller, programme_id, measurement_id)
    repo = MeasurementRepository(uow.session)
    sides = (await repo.sides_of(access.scope, [row.id])).get(row.id, [])
    reported = (await repo.reported_sides(access.scope, [row.id])).get(row.id, set())
    definition = await definition_of(uow, access, row.instrument_key, row.instrument_version)
    _log(uow, caller, access, row.participant_id, "measurement", Action.read)
    return _measurement_read(row, sides, definition, SIDE_OF_ROLE[access.role], reported), definition, access.role


@personal_data("measurement")
async def open_measurement(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, participant_id: uuid.UUID, data: MeasurementCreate
) -> MeasurementRead:
    """She or her coach opens a measurement of her with one instrument version."""
    access = await _scorer_access(uow, caller, programme_id)
    await _check_may_score(uow, caller, access, participant_id)
    definition = await definition_of(uow, access, data.instrument_key, data.instrument_version)
    if definition is None:
        raise InvalidInput(UNKNOWN_VERSION, field="instrument_version")
    row = Measurement(
        organisation_id=access.scope.organisation_id,
        programme_id=access.scope.programme_id,
        participant_id=participant_id,
        instrument_key=data.instrument_key,
        instrument_version=data.instrument_version,
        opened_by=caller.person_id,
        opened_at=utcnow(),
    )
    uow.session.add(row)
    await uow.flush()
    _log(uow, caller, access, participant_id, "measurement", Action.create)
    return _measurement_read(row, [], definition, SIDE_OF_ROLE[access.role], set())


@personal_data("measurement")
async def submit_side(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, measurement_id: uuid.UUID, data: EnvelopeWrite
) -> MeasurementRead:
    """Her self-score (she) or her coach's score (a coach of hers), sealed in the browser. Each
    side is submitted once; a second submission of the same side is refused."""
    access, row = await _measurement(uow, caller, programme_id, measurement_id)
    side = SIDE_OF_ROLE[access.role]
    repo = MeasurementRepository(uow.session)
    sides = (await repo.sides_of(access.scope, [row.id])).get(row.id, [])
    if any(s.side == side.value for s in sides):
        raise Conflict(
            N_("Her own score is in already. A score is handed in once and not changed.")
            if side is MeasurementSideName.self
            else N_("Her coach's score is in already. A score is handed in once and not changed."),
            field="side",
        )
    if data.base_revision != 0:
        raise Conflict(N_("A new score starts at revision 0."), field="base_revision")
    assignments.check_envelope(data)
    await portfolio.check_current_epoch(uow, access.scope, row.participant_id, data.item_key_wrap)
    if data.id is not None and await repo.id_in_use(data.id):
        raise Conflict(N_("This was saved already. Reload the page to see it."), field="id")
    new = MeasurementSide(
        id=data.id or uuid.uuid4(),
        organisation_id=access.scope.organisation_id,
        programme_id=access.scope.programme_id,
        measurement_id=row.id,
        participant_id=row.participant_id,
        side=side.value,
        author_id=caller.person_id,
        envelope=data.envelope,
        key_id=data.key_id,
        item_key_wrap=data.item_key_wrap,
        revision=1,
        size=len(data.envelope),
        submitted_at=utcnow(),
    )
    uow.session.add(new)
    try:
        await uow.flush()
    except IntegrityError:
        # The other device of the same side got there first (the unique side per measurement).
        raise Conflict(N_("This score is in already. Reload the page to see it."), field="side") from None
    _log(uow, caller, access, row.participant_id, "measurement", Action.create)
    definition = await definition_of(uow, access, row.instrument_key, row.instrument_version)
    reported = (await repo.reported_sides(access.scope, [row.id])).get(row.id, set())
    return _measurement_read(row, [*sides, new], definition, side, reported)


# Consent to report scores ---------------------------------------------------------------------

CONSENT_TEXT = N_(
    "I agree that my programme may use my scores for its reports. Only the numbers go: not my notes "
    "and not my coach's notes. Reports show totals of many mothers, never my name. I can stop this "
    "at any time; then the numbers that were sent are deleted."
)


def consent_text(language: str) -> str:
    """The consent text in one language, as her page shows it and as it is recorded."""
    return gettext(language, CONSENT_TEXT)


def _consent_read(row: ScoreConsent | None) -> ScoreConsentRead:
    if row is None:
        return ScoreConsentRead(consenting=False)
    newest = row.withdrawal if row.withdrawn_at is not None else row.statement
    return ScoreConsentRead(
        consenting=row.withdrawn_at is None,
        id=row.id,
        language=row.language,
        text=row.text,
        agreed_at=row.agreed_at,
        withdrawn_at=row.withdrawn_at,
        statement=crypto.b64u_encode(newest) if newest else None,
    )


async def _her_own(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> Access:
    try:
        return await authorize(uow, caller, programme_id, {Role.participant})
    except Forbidden:
        raise Forbidden(N_("Only she herself can agree to report her scores, or stop it.")) from None


NOT_SIGNED = N_("Your phone did not sign this with your own key. Reload the page and try again.")


async def _signed_by_her(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, data: str, kind: str, newest: ScoreConsent | None
) -> tuple[bytes, crypto.ScoreConsentStatement]:
    """Her statement, checked: signed by her registered identity key, for this programme, her,
    this kind, and newer than every statement kept for her here (an old one sent again is not
    a new word of hers)."""
    account = await accounts.account_of_person(uow, caller.person_id)
    if account is None or not account.public_identity:
        raise Conflict(N_("You have no keys yet; finish signing up first."))
    her = accounts.person_fingerprint(account)
    try:
        raw = crypto.b64u_decode(data)
        statement = crypto.verify_score_consent(raw, her.ed25519_public)
    except crypto.CryptoError:
        raise InvalidInput(NOT_SIGNED, field="statement") from None
    if (
        statement.programme_id != str(programme_id)
        or statement.person_id != str(caller.person_id)
        or statement.kind != kind
    ):
        raise InvalidInput(NOT_SIGNED, field="statement")
    if newest is not None and statement.serial <= max(newest.serial or 0, newest.withdrawal_serial or 0):
        raise Conflict(
            N_("Your phone signed this before your newest choice here. Reload the page and try again."),
            field="statement",
        )
    return raw, statement


@personal_data("score_consent")
async def get_consent(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> ScoreConsentRead:
    access = await _her_own(uow, caller, programme_id)
    row = await MeasurementRepository(uow.session).newest_consent(access.scope, caller.person_id)
    _log(uow, caller, access, caller.person_id, "score_consent", Action.read)
    return _consent_read(row)


@personal_data("score_consent")
async def give_consent(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, data: ScoreConsentWrite
) -> ScoreConsentRead:
    """She agrees, with the text her page showed her; it must be the text of this version of the
    app in that language, so what is recorded is what she read. Her browser signs her 'agree'
    over that text's SHA-256 with her identity key; without that signature nothing is stored."""
    access = await _her_own(uow, caller, programme_id)
    if data.text.strip() != consent_text(data.language).strip():
        raise InvalidInput(
            N_("The consent text has changed since your page was opened. Reload the page and read it again."),
            field="text",
        )
    repo = MeasurementRepository(uow.session)
    current = await repo.newest_consent(access.scope, caller.person_id, lock=True)
    raw, statement = await _signed_by_her(uow, caller, programme_id, data.statement, "agree", current)
    if statement.language != data.language or statement.text_sha256 != crypto.consent_text_sha256(
        consent_text(data.language)
    ):
        raise InvalidInput(
            N_("The consent text has changed since your page was opened. Reload the page and read it again."),
            field="text",
        )
    if current is not None and current.withdrawn_at is None and current.statement is not None:
        # She agreed again on another phone: her newest signed word is the one served.
        current.statement, current.serial = raw, statement.serial
        await uow.flush()
        return _consent_read(current)
    if current is not None and current.withdrawn_at is None:
        # Agreed before signed consent: that row ends here, the signed one takes its place.
        current.withdrawn_at = utcnow()
    row = ScoreConsent(
        organisation_id=access.scope.organisation_id,
        programme_id=access.scope.programme_id,
        participant_id=caller.person_id,
        language=data.language,
        text=consent_text(data.language),
        agreed_at=utcnow(),
        statement=raw,
        serial=statement.serial,
    )
    uow.session.add(row)
    await uow.flush()
    _log(uow, caller, access, caller.person_id, "score_consent", Action.create)
    return _consent_read(row)


@personal_data("score_consent")
async def withdraw_consent(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, data: ScoreConsentWithdraw
) -> ScoreConsentRead:
    """She withdraws: her browser sends no more scores, and the ones sent are deleted now. Her
    browser signs her 'withdraw'; it is kept with the consent so that every phone of hers that is
    served it stops reporting, whatever the server says later."""
    access = await _her_own(uow, caller, programme_id)
    repo = MeasurementRepository(uow.session)
    # Locked first (PostgreSQL): a report under way commits before the delete below, which then
    # takes its row too.
    current = await repo.newest_consent(access.scope, caller.person_id, lock=True)
    raw, statement = await _signed_by_her(uow, caller, programme_id, data.statement, "withdraw", current)
    if current is None:
        return _consent_read(current)
    if current.withdrawn_at is not None:
        # She stopped before (on another phone): her newest signed word is the one served.
        current.withdrawal, current.withdrawal_serial = raw, statement.serial
        await uow.flush()
        return _consent_read(current)
    current.withdrawn_at = utcnow()
    current.withdrawal = raw
    current.withdrawal_serial = statement.serial
    await repo.delete_reported(access.scope, caller.person_id)
    await uow.flush()
    _log(uow, caller, access, caller.person_id, "score_consent", Action.update)
    _log(uow, caller, access, caller.person_id, "reported_scores", Action.delete)
    return _consent_read(current)


@personal_data("reported_scores")
async def report_scores(
    uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID, measurement_id: uuid.UUID, data: ReportedScoresWrite
) -> MeasurementRead:
    """Her browser sends the numeric scores of one side (no notes), only while she consents.

    The server checks what it can of plaintext: every domain of the instrument version once, no
    other, each score on its scale. A side is reported after it is submitted, her coach's side
    only once she can see it (both sides in)."""
    access = await _her_own(uow, caller, programme_id)
    repo = MeasurementRepository(uow.session)
    row = await repo.get_measurement(access.scope, measurement_id)
    if row is None or row.participant_id != caller.person_id:
        raise NotFound()
    # Locked (PostgreSQL): a withdrawal at the same moment waits for this transaction and then
    # deletes what it stored, or went first and is seen here.
    consent = await repo.newest_consent(access.scope, caller.person_id, lock=True)
    if consent is None or consent.withdrawn_at is not None or consent.statement is None:
        raise Forbidden(N_("You have not agreed to report your scores, so they stay in your portfolio."))
    sides = (await repo.sides_of(access.scope, [row.id])).get(row.id, [])
    both = {s.side for s in sides} == {side.value for side in MeasurementSideName}
    if data.side.value not in {s.side for s in sides} or (data.side is MeasurementSideName.coach and not both):
        raise Conflict(N_("This score is not in yet, so it cannot be reported."), field="side")
    definition = await definition_of(uow, access, row.instrument_key, row.instrument_version)
    if definition is None:
        raise NotFound(UNKNOWN_VERSION)
    check_scores(definition, data.scores)
    await repo.delete_reported_side(access.scope, row.id, data.side.value)
    uow.session.add(
        ReportedScores(
            organisation_id=access.scope.organisation_id,
            programme_id=access.scope.programme_id,
            participant_id=caller.person_id,
            measurement_id=row.id,
            side=data.side.value,
            instrument_key=row.instrument_key,
            instrument_version=row.instrument_version,
            scores=dict(data.scores),
            consent_id=consent.id,
            reported_at=utcnow(),
        )
    )
    await uow.flush()
    _log(uow, caller, access, caller.person_id, "reported_scores", Action.create)
    reported = (await repo.reported_sides(access.scope, [row.id])).get(row.id, set())
    return _measurement_read(row, sides, definition, MeasurementSideName.self, reported)


def check_scores(definition: InstrumentDefinition, scores: dict[str, int]) -> None:
    """Every domain of the version scored once, nothing else, each on the scale."""
    keys = definition.domain_keys()
    unknown = [key for key in scores if key not in keys]
    if unknown:
        raise InvalidInput(
            N_("This instrument version has no domain '%(domain)s'."), params={"domain": unknown[0]}, field="scores"
        )
    missing = [key for key in keys if key not in scores]
    if missing:
        raise InvalidInput(
            N_("Give a score for every domain. Still open: %(count)s."), params={"count": len(missing)}, field="scores"
        )
    for key, value in scores.items():
        if not definition.lowest <= value <= definition.highest:
            raise InvalidInput(
                N_("A score must be from %(lowest)s to %(highest)s."),
                params={"lowest": definition.lowest, "highest": definition.highest},
                field=f"scores.{key}",
            )


@personal_data("reported_scores")
async def reported_totals(uow: UnitOfWork, caller: Caller, programme_id: uuid.UUID) -> list[ReportedTotal]:
    """For staff: per instrument version, side and domain, how many reported scores and their
    average. Only totals of at least ``MIN_GROUP`` mothers are shown; smaller groups are left out
    so that no one can be picked out."""
    access = await authorize(uow, caller, programme_id, AUTHORS)
    rows = await MeasurementRepository(uow.session).reported(access.scope)
    groups: dict[tuple[str, int, str, str], list[tuple[uuid.UUID, int]]] = {}
    for row in rows:
        for domain, value in row.scores.items():
            groups.setdefault((row.instrument_key, row.instrument_version, row.side, domain), []).append(
                (row.participant_id, int(value))
            )
    totals = []
    for (key, version, side, domain), values in sorted(groups.items()):
        people = {person for person, _ in values}
        if len(people) < MIN_GROUP:
            continue
        totals.append(
            ReportedTotal(
                instrument_key=key,
                instrument_version=version,
                side=MeasurementSideName(side),
                domain=domain,
                scores=len(values),
                people=len(people),
                average=round(sum(v for _, v in values) / len(values), 2),
            )
        )
    _log_many(uow, caller, access, people_of(rows))
    return totals


MIN_GROUP = 5


def people_of(rows: list[ReportedScores]) -> list[uuid.UUID]:
    return list(dict.fromkeys(row.participant_id for row in rows))


def _log_many(uow: UnitOfWork, caller: Caller, access: Access, subjects: list[uuid.UUID]) -> None:
    record_access(
        uow,
        caller,
        role=access.role,
        subjects=subjects,
        record_kind="reported_scores",
        action=Action.read,
        programme_id=access.scope.programme_id,
    )


async def last_measured(
    uow: UnitOfWork, participants: Collection[tuple[uuid.UUID, uuid.UUID]]
) -> dict[tuple[uuid.UUID, uuid.UUID], datetime]:
    """When each (programme, participant) last handed in a side of a measurement, for the
    trajectory's reminders (a job acting for the system: dates only, never scores)."""
    return await MeasurementRepository(uow.session).last_measured(participants)
