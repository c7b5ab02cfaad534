// Her home page checks her coach assignments in her own browser: organisation key (the one she
// pinned at sign-up) -> programme key certificate -> the signed record (not signed by the coach
// himself) -> the coach's key. The server's answer is only what the page shows before this
// check, and without JavaScript.

import { Person, RecordKind, b64uDecode, loadSession, verifyRecord } from '../crypto/index.js';
import { TRUSTED, Trust } from '../shared/trust.js';

const messages = document.getElementById('home-messages')?.dataset ?? {};

// Reads only (this page saves no pins): { ok, status, data }, never throws for HTTP errors.
async function read(path) {
  const response = await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  let data = null;
  try {
    data = response.status === 204 ? null : await response.json();
  } catch {
    data = null;
  }
  return { ok: response.ok, status: response.status, data };
}

async function getJson(path) {
  const result = await read(path);
  if (!result.ok) throw new Error(`${path}: ${result.status}`);
  return result.data;
}

// The chain and the coach's key as the one trust decision sees them (shared/trust.js): the
// organisation and programme keys she pinned, the coach's key pinned or confirmed in person.
async function verified(trust, identity, programmeId, assignment) {
  if (!trust) return false;
  const { key: programmePublic } = await trust.programmeKey(programmeId);
  if (!programmePublic) return false;
  const record = await verifyRecord(b64uDecode(assignment.signed_record), programmePublic, RecordKind.COACH_ASSIGNMENT);
  const served = await getJson(`/api/v1/trust/programmes/${programmeId}/people/${assignment.coach_id}`);
  const coach = await Person.fromPublicIdentity(b64uDecode(served.public_identity));
  const now = Date.now() / 1000;
  return (
    record.programmeId === programmeId &&
    record.body.participantId === identity.userId &&
    record.body.coachId === assignment.coach_id &&
    // Signed by the coach himself (staff who assigned themselves): not confirmed until someone
    // else signs it, as the server counts it.
    !assignment.ended_at &&
    record.signedBy !== record.body.coachId &&
    record.body.validFrom <= now + 14 * 3600 && // a day starts up to 14 hours earlier where she is
    coach.userId === assignment.coach_id &&
    (await trust.personStatus(coach, { signed: record.body.coachFingerprint })) === TRUSTED &&
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

async function check(list, identity, trust) {
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
        ok = await verified(trust, identity, programmeId, assignment);
      } catch {
        ok = false;
      }
    }
    mark(item, ok);
  }
}

const identity = await loadSession().catch(() => null);
if (identity !== null) {
  const trust = new Trust(identity, { api: read });
  const loaded = trust.load().catch(() => null);
  for (const list of document.querySelectorAll('ul.my-coaches')) {
    // A record of pins that does not open (or a server error) leaves every assignment unverified.
    loaded.then((ready) => check(list, identity, ready)).catch(() => {});
  }
}
