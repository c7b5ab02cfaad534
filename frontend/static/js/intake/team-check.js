// Whom her letter may be sealed to: the readers of the programme's intake team record, checked in
// her browser along organisation key -> programme certificate -> record (docs/crypto-spec.md 8.1).
// Everything here is served by the server; what a lying server can and cannot do with it is in
// docs/security.md ("Applications"). No reader the record does not name gets anything; a reader
// the record names whose key the server does not serve as named stops the whole letter.

import {
  FingerprintKind,
  Person,
  RecordKind,
  b64uDecode,
  fingerprint,
  fingerprintText,
  verifyProgrammeKey,
  verifyRecord,
} from '../crypto/index.js';

// A record's days start at 00:00 UTC; where she is a day may start up to 14 hours earlier.
const DAY_START_SLACK = 14 * 3600;

// An intake team holds for a limited time (docs/crypto-spec.md 8.1): staff sign it again before it
// ends, so a team a server keeps serving (one naming a reader taken off it since) stops counting.
export const TEAM_VALID_DAYS = 120;
const DAY = 86400;

// The dates a team signed at `now` (seconds) carries: from the start of that day (UTC) for
// TEAM_VALID_DAYS days.
export function teamValidity(now = Date.now() / 1000) {
  const validFrom = Math.floor(now / DAY) * DAY;
  return { validFrom, validUntil: validFrom + TEAM_VALID_DAYS * DAY };
}

export class TeamRefused extends Error {
  constructor(reason) {
    super(reason);
    this.reason = reason; // 'chain', 'key_changed', 'rollback'
  }
}

function sameBytes(a, b) {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

// served: the JSON of GET .../team. expected: what the page itself is about (organisation and
// programme ids), the organisation key this browser saw before (or null) and the highest team
// serial it saw (or 0). Returns { readers: Person[], serial, organisationPublic, organisationFingerprint }.
export async function intakeReaders(served, { organisationId, programmeId, pinnedOrganisation = null, seenSerial = 0, now = Date.now() / 1000 }) {
  let organisationPublic;
  let record;
  try {
    if (served.organisation_id !== organisationId || served.programme_id !== programmeId) throw new Error('other');
    organisationPublic = b64uDecode(served.organisation_public);
    if (pinnedOrganisation !== null && !sameBytes(pinnedOrganisation, organisationPublic)) {
      throw new TeamRefused('key_changed');
    }
    const programmePublic = await verifyProgrammeKey(b64uDecode(served.certificate), organisationPublic, programmeId);
    record = await verifyRecord(b64uDecode(served.team_record), programmePublic, RecordKind.INTAKE_TEAM);
  } catch (error) {
    if (error instanceof TeamRefused) throw error;
    throw new TeamRefused('chain');
  }
  const { body } = record;
  if (
    record.organisationId !== organisationId ||
    record.programmeId !== programmeId ||
    record.serial !== served.team_serial ||
    body.validFrom > now + DAY_START_SLACK ||
    // Never a team without an end, nor one longer than a team is signed for, nor one that ended.
    body.validUntil === 0 ||
    body.validUntil - body.validFrom > TEAM_VALID_DAYS * DAY ||
    body.validUntil <= now ||
    body.readers.length === 0
  ) {
    throw new TeamRefused('chain');
  }
  if (record.serial < seenSerial) throw new TeamRefused('rollback');
  const identities = new Map((served.readers ?? []).map((r) => [r.person_id, r.public_identity]));
  const readers = [];
  for (const entry of body.readers) {
    let person;
    try {
      person = await Person.fromPublicIdentity(b64uDecode(identities.get(entry.personId) ?? ''));
    } catch {
      throw new TeamRefused('chain');
    }
    if (person.userId !== entry.personId || !sameBytes(await person.fingerprint(), entry.fingerprint)) {
      throw new TeamRefused('chain');
    }
    readers.push(person);
  }
  const organisationFingerprint = fingerprintText(
    await fingerprint(FingerprintKind.ORGANISATION_KEY, organisationId, organisationPublic),
  );
  return { readers, serial: record.serial, organisationPublic, organisationFingerprint };
}
