// Coach assignments signed in the staff member's browser (docs/crypto-spec.md 8, kind 0x01).
//
// The forms work without this module and then store the assignment unsigned. When her browser
// holds the programme key, each form gets a record carrying exactly what it submits (participant,
// coach, the coach's key fingerprint, kind, from/until), signed with the programme key, in its
// hidden `signed_record` field. The server checks the chain again before it keeps anything.

import {
  CoachRole,
  Person,
  RecordKind,
  SigningKey,
  b64uDecode,
  b64uEncode,
  loadSession,
  verifyProgrammeKey,
  verifyRecord,
} from '../crypto/index.js';
import { knownPerson } from '../shared/trust.js';
import { call, getJson } from '../shared/http.js';

const settings = document.getElementById('assignment-signing')?.dataset;
const status = document.getElementById('signing-status');
const ROLES = { individual: CoachRole.INDIVIDUAL, budget: CoachRole.BUDGET, work: CoachRole.WORK };
const DAY = 24 * 3600;

// Whole days, as the server counts them: from 00:00 UTC of the first day to 00:00 UTC of the
// day after the last; 0 when open-ended.
function seconds(isoDate) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate ?? '');
  if (!match) throw new Error('not a date');
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) / 1000;
}

let programmeKey = null;
let serial = Number(settings?.nextSerial ?? 1);

// Her copy of the programme key, opened after checking organisation key -> certificate -> key.
async function openProgrammeKey() {
  if (programmeKey) return programmeKey;
  const identity = await loadSession();
  if (identity === null) return null;
  const served = await getJson(`/api/v1/trust/programmes/${settings.programmeId}`);
  if (!served.sealed_copy) return null;
  const organisation = await getJson('/api/v1/trust/organisation');
  const certified = await verifyProgrammeKey(
    b64uDecode(served.certificate),
    b64uDecode(organisation.ed25519_public),
    settings.programmeId,
  );
  programmeKey = await SigningKey.open(b64uDecode(served.sealed_copy), identity, certified);
  return programmeKey;
}

// The coach's key as this staff member's browser knows it: the key pinned in her own signed record,
// or, the first time she assigns him, the key served now (pinned then; docs/security.md). A key
// that changed since is refused: it is checked with the coach in person first.
async function coachFingerprint(identity, coachId) {
  const served = await getJson(`/api/v1/trust/programmes/${settings.programmeId}/people/${coachId}`);
  const coach = await Person.fromPublicIdentity(b64uDecode(served.public_identity));
  if (coach.userId !== coachId) throw new Error('the server answered for someone else');
  await knownPerson(identity, coach, call);
  return coach.fingerprint();
}

// Every coach assignment record of the programme that verifies under its key: the serial goes on
// from the newest (not from what the page says), and an end or a second signature keeps what the
// record before it said (the coach's key, the start) instead of what the page says.
async function verifiedRecords(key) {
  const rows = await getJson(`/api/v1/programmes/${settings.programmeId}/coach-assignments`);
  const records = [];
  for (const row of rows) {
    if (!row.signed_record) continue;
    try {
      const record = await verifyRecord(b64uDecode(row.signed_record), key.public, RecordKind.COACH_ASSIGNMENT);
      if (record.programmeId === settings.programmeId) records.push(record);
    } catch {
      // a record that does not verify carries nothing over
    }
  }
  return records;
}

async function sign({ participantId, coachId, kind, startsOn, endsOn }, mode) {
  const key = await openProgrammeKey();
  if (key === null) return '';
  const identity = await loadSession();
  const records = await verifiedRecords(key);
  for (const record of records) serial = Math.max(serial, record.serial + 1);
  const prior = records
    .filter((r) => r.body.participantId === participantId && r.body.coachId === coachId && r.body.role === ROLES[kind])
    .sort((a, b) => b.serial - a.serial)[0];
  let validUntil = endsOn ? seconds(endsOn) + DAY : 0;
  let body;
  if (mode === 'end') {
    // An end is of a record signed before, and never later than today in the programme's time
    // zone (at most a day ahead of UTC), so an "end" cannot extend it.
    if (!prior) throw new Error('nothing signed to end');
    const latest = seconds(new Date().toISOString().slice(0, 10)) + 2 * DAY;
    validUntil = Math.min(validUntil || latest, latest);
    body = { ...prior.body, validUntil };
  } else if (prior && mode === 'sign') {
    // A second signature, or the end signed later: never longer than what was signed before.
    const limit = prior.body.validUntil || Number.MAX_SAFE_INTEGER;
    body = { ...prior.body, validUntil: validUntil ? Math.min(validUntil, limit) : prior.body.validUntil };
  } else {
    body = {
      participantId,
      coachId,
      coachFingerprint: await coachFingerprint(identity, coachId),
      role: ROLES[kind],
      validFrom: seconds(startsOn),
      validUntil,
    };
  }
  const record = await key.signRecord(
    RecordKind.COACH_ASSIGNMENT,
    body,
    {
      organisationId: settings.organisationId,
      programmeId: settings.programmeId,
      serial,
      issuedAt: Math.floor(Date.now() / 1000),
      signedBy: settings.personId,
    },
  );
  serial += 1;
  return b64uEncode(record);
}

function show(text) {
  if (!status) return;
  status.textContent = text ?? '';
  status.hidden = !text;
}

// Sign, put the record in the hidden field and send the form. Anything that fails sends it
// unsigned, as without JavaScript; the list then says "not signed".
function signOnSubmit(form, factsOf, { required = false, mode = 'new' } = {}) {
  form.addEventListener('submit', async (event) => {
    if (form.dataset.signed === 'yes') return;
    event.preventDefault();
    for (const button of form.querySelectorAll('button')) button.disabled = true;
    show(settings.signing);
    let record = '';
    try {
      record = await sign(factsOf(form), mode);
    } catch {
      record = '';
    }
    if (required && !record) {
      show(settings.cannotSign);
      for (const button of form.querySelectorAll('button')) button.disabled = false;
      return;
    }
    form.elements.signed_record.value = record;
    form.dataset.signed = 'yes';
    form.submit();
  });
}

function fromData(form) {
  const { participantId, coachId, kind, startsOn, endsOn } = form.dataset;
  return { participantId, coachId, kind, startsOn, endsOn: endsOn || null };
}

function fromFields(form) {
  const field = (name) => form.elements[name].value;
  return {
    participantId: field('participant_id'),
    coachId: field('coach_id'),
    kind: field('kind'),
    startsOn: field('starts_on'),
    endsOn: field('ends_on') || null,
  };
}

if (settings?.holdsKey === 'yes') {
  const assign = document.getElementById('assign-form');
  if (assign) signOnSubmit(assign, fromFields);
  for (const form of document.querySelectorAll('form.end-form')) signOnSubmit(form, fromData, { mode: 'end' });
  for (const form of document.querySelectorAll('form.sign-form')) {
    signOnSubmit(form, fromData, { required: true, mode: 'sign' });
    form.hidden = false;
  }
}
