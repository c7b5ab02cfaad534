"""Use cases of the measurements feature: which instruments a programme can measure with, and staff
adding an instrument or a new version of one for their organisation.

Every programme has the shipped instruments; an organisation's own versions come on top. A
version, once there, is never changed or replaced: measurements name it by key and version. Should
a later release ship a version an organisation had already added under the same key and number,
the organisation's own stays the one its programmes see, so its measurements keep their meaning.

Instrument definitions are programme content, not a person's data: nothing here is access-logged.
"""

from __future__ import annotations

import uuid

from eportfolio.domain.measurements import InstrumentDefinition, InstrumentVersionRead, InstrumentVersionSummary
from eportfolio.domain.people import MANAGING_ROLES, Role
from eportfolio.kit.auth import Caller
from eportfolio.kit.errors import N_, InvalidInput, NotFound
from eportfolio.kit.uow import UnitOfWork
from eportfolio.measurements.repository import MeasurementRepository
from eportfolio.measurements.shipped import shipped
from eportfolio.measurements.tables import InstrumentVersion
from eportfolio.programmes.service import authorize

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
