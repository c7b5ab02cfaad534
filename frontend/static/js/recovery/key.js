// The programme recovery key page: a staff browser makes the key (signed with the programme key,
// sealed to every recovery officer with an account); an officer's browser passes it on.

import {
  Person,
  ProgrammeRecoveryKey,
  RecordKind,
  SigningKey,
  b64uDecode,
  b64uEncode,
} from '../crypto/index.js';
import { api, errorOf, messages, say, supported } from '../accounts/common.js';
import { knownPerson } from '../shared/trust.js';
import { checkedRecoveryKey, get, me, programmePublic } from './trust.js';

const root = document.getElementById('recovery-key');
const problem = document.getElementById('e-form');
const { programmeId, organisationId, personId } = root.dataset;

// An officer's key as this browser knows it: pinned in its user's signed record, or pinned now the
// first time (docs/security.md). A key that changed since gets no copy of the recovery key.
async function officerPerson(officer, identity) {
  const person = await Person.fromPublicIdentity(b64uDecode(officer.public_identity));
  if (person.userId !== officer.person_id) throw new Error(messages.failed);
  return knownPerson(identity, person, (path, body, method) => api(path, body, method ?? (body === undefined ? 'GET' : 'POST')));
}

async function makeKey() {
  const identity = await me();
  const served = await get(`/api/v1/trust/programmes/${programmeId}`);
  if (!served.ok) throw new Error(errorOf(served));
  const programmeKey = await SigningKey.open(b64uDecode(served.data.sealed_copy), identity, await programmePublic(programmeId));
  const officers = await get(`/api/v1/recovery/programmes/${programmeId}/officers`);
  const recoveryKey = await ProgrammeRecoveryKey.generate();
  const record = await programmeKey.signRecord(
    RecordKind.PROGRAMME_RECOVERY_KEY,
    { x25519Public: recoveryKey.public },
    { organisationId, programmeId, serial: 1, issuedAt: Math.floor(Date.now() / 1000), signedBy: personId },
  );
  const copies = [];
  for (const officer of officers.data.filter((o) => o.public_identity)) {
    copies.push({
      holder_id: officer.person_id,
      sealed_copy: b64uEncode(await recoveryKey.sealFor(await officerPerson(officer, identity))),
    });
  }
  return api(`/api/v1/recovery/programmes/${programmeId}/key`, { signed_record: b64uEncode(record), copies });
}

async function giveKey(holderId) {
  const identity = await me();
  const { served, publicKey } = await checkedRecoveryKey(programmeId);
  const key = await ProgrammeRecoveryKey.open(b64uDecode(served.sealed_copy), identity, publicKey);
  const officers = await get(`/api/v1/recovery/programmes/${programmeId}/officers`);
  const officer = officers.data.find((o) => o.person_id === holderId);
  const sealed = b64uEncode(await key.sealFor(await officerPerson(officer, identity)));
  return api(`/api/v1/recovery/programmes/${programmeId}/key/copies`, { holder_id: holderId, sealed_copy: sealed });
}

async function run(button, action) {
  if (!(await supported())) return;
  say(problem, '');
  button.disabled = true;
  try {
    const answer = await action();
    if (!answer.ok) return say(problem, errorOf(answer));
    globalThis.location.reload();
  } catch (error) {
    say(problem, error.message || messages.failed);
  } finally {
    button.disabled = false;
  }
}

document.getElementById('make-recovery-key')?.addEventListener('click', (event) => run(event.currentTarget, makeKey));
for (const button of root.querySelectorAll('[data-give-to]')) {
  button.addEventListener('click', () => run(button, () => giveKey(button.dataset.giveTo)));
}
