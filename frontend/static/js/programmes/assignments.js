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
} from '../crypto/index.js';

const settings = document.getElementById('assignment-signing')?.dataset;
const status = document.getElementById('signing-status');
const ROLES = { individual: CoachRole.INDIVIDUAL, budget: CoachRole.BUDGET, work: CoachRole.WORK };
const DAY = 24 * 3600;

async function getJson(path) {
  const response = await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

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

async function coachFingerprint(coachId) {
  const served = await getJson(`/api/v1/trust/programmes/${settings.programmeId}/people/${coachId}`);
  const coach = await Person.fromPublicIdentity(b64uDecode(served.public_identity));
  if (coach.userId !== coachId) throw new Error('the server answered for someone else');
  return coach.fingerprint();
}

async function sign({ participantId, coachId, kind, startsOn, endsOn }) {
  const key = await openProgrammeKey();
  if (key === null) return '';
  const record = await key.signRecord(
    RecordKind.COACH_ASSIGNMENT,
    {
      participantId,
      coachId,
      coachFingerprint: await coachFingerprint(coachId),
      role: ROLES[kind],
      validFrom: seconds(startsOn),
      validUntil: endsOn ? seconds(endsOn) + DAY : 0,
    },
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
function signOnSubmit(form, factsOf, { required = false } = {}) {
  form.addEventListener('submit', async (event) => {
    if (form.dataset.signed === 'yes') return;
    event.preventDefault();
    for (const button of form.querySelectorAll('button')) button.disabled = true;
    show(settings.signing);
    let record = '';
    try {
      record = await sign(factsOf(form));
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
  for (const form of document.querySelectorAll('form.end-form')) signOnSubmit(form, fromData);
  for (const form of document.querySelectorAll('form.sign-form')) {
    signOnSubmit(form, fromData, { required: true });
    form.hidden = false;
  }
}
