// Her home page checks her coach assignments in her own browser: organisation key (the one she
// pinned at sign-up) -> programme key certificate -> the signed record -> the coach's key. The
// server's answer is only what the page shows before this check, and without JavaScript.

import {
  FingerprintKind,
  Person,
  RecordKind,
  b64uDecode,
  loadSession,
  openPinnedKeys,
  verifyProgrammeKey,
  verifyRecord,
} from '../crypto/index.js';

const messages = document.getElementById('home-messages')?.dataset ?? {};

async function getJson(path) {
  const response = await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

function equal(a, b) {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

// The organisation key the server serves, refused when it is not the one she pinned.
async function organisationKey(identity) {
  const served = b64uDecode((await getJson('/api/v1/trust/organisation')).ed25519_public);
  const response = await fetch('/api/v1/pinned-keys', { headers: { accept: 'application/json' } });
  if (response.status === 200) {
    const { entries } = await openPinnedKeys(identity, b64uDecode((await response.json()).record));
    const pin = entries.find((e) => e.kind === FingerprintKind.ORGANISATION_KEY);
    if (pin && !equal(pin.keyMaterial, served)) throw new Error('the organisation key changed');
  }
  return served;
}

async function verified(identity, programmeId, assignment) {
  const organisation = await organisationKey(identity);
  const { certificate } = await getJson(`/api/v1/trust/programmes/${programmeId}`);
  const programmePublic = await verifyProgrammeKey(b64uDecode(certificate), organisation, programmeId);
  const record = await verifyRecord(b64uDecode(assignment.signed_record), programmePublic, RecordKind.COACH_ASSIGNMENT);
  const served = await getJson(`/api/v1/trust/programmes/${programmeId}/people/${assignment.coach_id}`);
  const coach = await Person.fromPublicIdentity(b64uDecode(served.public_identity));
  const now = Date.now() / 1000;
  return (
    record.programmeId === programmeId &&
    record.body.participantId === identity.userId &&
    record.body.coachId === assignment.coach_id &&
    coach.userId === assignment.coach_id &&
    equal(record.body.coachFingerprint, await coach.fingerprint()) &&
    (record.body.validUntil === 0 || record.body.validUntil > now)
  );
}

function mark(item, ok) {
  item.dataset.checked = ok ? 'signed' : 'not-signed';
  const place = item.querySelector('.coach-trust');
  const badge = document.createElement('span');
  badge.className = ok ? 'badge' : 'badge badge--warning';
  badge.textContent = ok ? messages.confirmed : messages.notConfirmed;
  place.replaceChildren(badge);
}

async function check(list, identity) {
  const { programmeId } = list.dataset;
  const items = list.querySelectorAll('li[data-assignment-id]');
  if (!items.length) return;
  const assignments = new Map(
    (await getJson(`/api/v1/programmes/${programmeId}/coach-assignments`)).map((a) => [a.id, a]),
  );
  for (const item of items) {
    const assignment = assignments.get(item.dataset.assignmentId);
    let ok = false;
    if (assignment?.signed_record) {
      try {
        ok = await verified(identity, programmeId, assignment);
      } catch {
        ok = false;
      }
    }
    mark(item, ok);
  }
}

const identity = await loadSession().catch(() => null);
if (identity !== null) {
  for (const list of document.querySelectorAll('ul.my-coaches')) {
    check(list, identity).catch(() => {});
  }
}
