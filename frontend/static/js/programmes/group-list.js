// The group member list a staff browser signs (docs/crypto-spec.md 8, kind 0x05), without the
// page: js/programmes/group-members.js puts it in the forms, Node's tests run it as served.
//
// Members' browsers give the group key to exactly the people this record names, so what is
// signed is never the server's list. It is the last record this browser verified (each member by
// id and the key fingerprint that record names) plus exactly the change staff made here (the
// person added, the person removed). Anyone else the server lists as a member (someone added
// without the programme key, someone who got a key since, or an account the server slipped in)
// is named only when staff tick her after seeing her name and key fingerprint (`approve`).
// Someone the server no longer lists is left out: a server can always refuse service, so taking
// its word to subtract costs nothing.
//
// The serial is never the server's to choose either (shared/serials.js). A record this session
// verified before and the server now withholds or serves older stops the signing: members'
// browsers would take a newer record naming whoever the server likes.

import {
  FingerprintKind,
  GroupRole,
  Person,
  RecordKind,
  SigningKey,
  b64uDecode,
  b64uEncode,
  fingerprintText,
  verifyProgrammeKey,
  verifyRecord,
} from '../crypto/index.js';
import { nextSerial } from '../shared/serials.js';
import { KEY_CHANGED, Trust, TrustError, equal, keysOf, sessionMarks } from '../shared/trust.js';

export const ROLES = { participant: GroupRole.PARTICIPANT, trainer: GroupRole.TRAINER };

// Why nothing was signed: the record this session saw is not served (WITHHELD), or an older one is
// (OLDER). The page says so; a reload does not help while the server keeps it up.
export const WITHHELD = 'withheld';
export const OLDER = 'older';

export class GroupListProblem extends Error {
  constructor(problem) {
    super(problem);
    this.problem = problem;
  }
}

// Which people the new record names, before any key is looked at. `last`: the members of the last
// record this browser verified ([{ personId, fingerprint, role }]) or null when it has none it can
// build on; `served`: the members as the server lists them ([{ person_id, role, display_name,
// has_key }]); `change`: { add: { personId, role } }, { remove: personId } or {} (sign as it is).
// Returns `kept` (from the last record and still listed), `added` (the person staff added, or
// null), `extra` (listed, with a key, but neither: each needs staff's tick) and `gone` (in the
// last record, not listed any more, not the one removed: left out).
export function planMembers({ last, served, change = {} }) {
  const base = new Map((last ?? []).map((m) => [m.personId, m]));
  if (change.remove) base.delete(change.remove);
  const listed = new Map(served.map((m) => [m.person_id, m]));
  const kept = [...base.values()].filter((m) => listed.has(m.personId));
  const gone = [...base.values()].filter((m) => !listed.has(m.personId)).map((m) => m.personId);
  let added = null;
  if (change.add && !base.has(change.add.personId) && ROLES[change.add.role]) {
    added = { personId: change.add.personId, role: ROLES[change.add.role] };
  }
  const extra = served
    .filter((m) => m.person_id !== change.remove && m.person_id !== added?.personId && !base.has(m.person_id))
    .filter((m) => ROLES[m.role] && m.has_key !== false)
    .map((m) => ({ personId: m.person_id, role: ROLES[m.role], name: m.display_name ?? '' }));
  return { kept, added, extra, gone };
}

// Her copy of the programme key, opened after checking organisation key -> certificate -> key.
async function openProgrammeKey(api, identity, programmeId) {
  const served = await must(api, `/api/v1/trust/programmes/${programmeId}`);
  if (!served.sealed_copy) return null;
  const organisation = await must(api, '/api/v1/trust/organisation');
  const certified = await verifyProgrammeKey(
    b64uDecode(served.certificate),
    b64uDecode(organisation.ed25519_public),
    programmeId,
  );
  return SigningKey.open(b64uDecode(served.sealed_copy), identity, certified);
}

async function must(api, path) {
  const result = await api(path);
  if (!result.ok) throw new Error(`${path}: ${result.status}`);
  return result.data;
}

// A person's key as the server serves it now; null for someone without an account or keys yet.
async function servedPerson(api, programmeId, personId) {
  const served = await api(`/api/v1/trust/programmes/${programmeId}/people/${personId}`);
  if (served.status === 404) return null;
  if (!served.ok) throw new Error('no answer');
  const person = await Person.fromPublicIdentity(b64uDecode(served.data.public_identity));
  if (person.userId !== personId) throw new Error('the server answered for someone else');
  return person;
}

function keyChanged() {
  return new TrustError({ status: 409, data: null }, KEY_CHANGED);
}

// The last record of this group this browser can build on: verified under the programme key,
// about this programme and group, not older than the session saw. Throws WITHHELD or OLDER.
async function lastRecord({ served, key, organisationId, programmeId, groupId, seen }) {
  let record = null;
  if (served.signed_record) {
    try {
      record = await verifyRecord(b64uDecode(served.signed_record), key.public, RecordKind.GROUP_MEMBERSHIP);
      if (
        record.organisationId !== organisationId ||
        record.programmeId !== programmeId ||
        record.body.groupId !== groupId
      ) {
        record = null;
      }
    } catch {
      record = null;
    }
  }
  if (record === null && seen > 0) throw new GroupListProblem(WITHHELD);
  if (record !== null && record.serial < seen) throw new GroupListProblem(OLDER);
  return record;
}

// Sign the group after `change`. `approve(extra)` is asked, when the server lists people beyond the
// last verified record and the change, with each one's { personId, role, name, fingerprint,
// fingerprintText }; it answers with the ids staff ticked (a Set). Only those are named.
// Resolves with { record (base64url, '' when this browser holds no programme key), serial,
// members, extra, gone }.
export async function signGroupList({
  identity,
  api,
  marks = sessionMarks(),
  organisationId,
  programmeId,
  groupId,
  signedBy,
  change = {},
  approve = async () => new Set(),
  hint = 0,
  now = Date.now(),
}) {
  const key = await openProgrammeKey(api, identity, programmeId);
  if (key === null) return { record: '', serial: 0, members: [], extra: [], gone: [] };
  const served = await must(api, `/api/v1/programmes/${programmeId}/groups/${groupId}/membership-record`);
  const mark = `group:${groupId}`;
  const known = await marks.load();
  const seen = known[`serial:${mark}`] ?? 0;
  const signedHere = known[`signed:${mark}`] ?? 0;
  const last = await lastRecord({ served, key, organisationId, programmeId, groupId, seen });
  if (last) await marks.raise({ [`serial:${mark}`]: last.serial });
  // A record older than one this browser signed: the server refused that one, or serves an older
  // list in its place. Either way nothing it names is carried over unseen.
  const base = last && last.serial >= signedHere ? last.body.members : null;
  const plan = planMembers({ last: base, served: served.members ?? [], change });

  const trust = await new Trust(identity, { api, marks }).load();
  const named = [];
  // Everyone the last record names keeps the key it names; a key changed since counts only when
  // this browser's user confirmed it in person (otherwise it is compared in person first).
  for (const member of plan.kept) {
    const person = await servedPerson(api, programmeId, member.personId);
    if (person === null) continue;
    const current = await person.fingerprint();
    if (!equal(current, member.fingerprint)) {
      const pinned = trust.entry(FingerprintKind.PERSON, person.userId);
      if (!(pinned?.confirmed && equal(pinned.keyMaterial, keysOf(person)))) throw keyChanged();
    }
    named.push({ personId: member.personId, fingerprint: current, role: member.role });
  }
  // The person staff added: pinned here the first time this browser signs for her (docs/security.md).
  if (plan.added) {
    const person = await servedPerson(api, programmeId, plan.added.personId);
    if (person !== null) {
      if (!trust.checkVerified(FingerprintKind.PERSON, person.userId, keysOf(person))) throw keyChanged();
      named.push({ ...plan.added, fingerprint: await person.fingerprint() });
    }
  }
  // Anyone else only when staff tick her, having seen her name and key fingerprint.
  const extra = [];
  for (const member of plan.extra) {
    const person = await servedPerson(api, programmeId, member.personId);
    if (person === null) continue;
    const value = await person.fingerprint();
    extra.push({ ...member, person, fingerprint: value, fingerprintText: fingerprintText(value) });
  }
  if (extra.length) {
    const ticked = await approve(extra.map(({ person, ...shown }) => shown));
    for (const member of extra) {
      if (!ticked?.has(member.personId)) continue;
      if (!trust.checkVerified(FingerprintKind.PERSON, member.personId, keysOf(member.person))) throw keyChanged();
      named.push({ personId: member.personId, fingerprint: member.fingerprint, role: member.role });
    }
  }
  const saved = await trust.save();
  if (!saved.ok) throw new Error('pins not saved');

  const serial = nextSerial({ verified: last?.serial ?? 0, seen: Math.max(seen, signedHere), hint, now });
  const day = new Date(now);
  const record = await key.signRecord(
    RecordKind.GROUP_MEMBERSHIP,
    {
      groupId,
      // From the start of today (UTC; members' browsers allow for the day starting earlier where
      // they are), until the next list: a newer serial replaces it.
      validFrom: Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()) / 1000,
      validUntil: 0,
      members: named,
    },
    { organisationId, programmeId, serial, issuedAt: Math.floor(now / 1000), signedBy },
  );
  await marks.raise({ [`signed:${mark}`]: serial });
  return {
    record: b64uEncode(record),
    serial,
    members: named,
    extra: extra.map(({ person, ...shown }) => shown),
    gone: plan.gone,
  };
}
