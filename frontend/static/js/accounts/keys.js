// The programme key page: a holder's browser makes the programme key (certified by the
// organisation key) or passes it on to another staff member, sealed to her public key.

import {
  Person,
  RecordKind,
  SigningKey,
  b64uDecode,
  b64uEncode,
  loadSession,
  verifyProgrammeKey,
} from '../crypto/index.js';
import { knownPerson } from '../shared/trust.js';
import { api, errorOf, messages, say, supported } from './common.js';

const root = document.getElementById('keys');
const problem = document.getElementById('e-form');
const { programmeId, organisationId, personId } = root.dataset;

async function get(path) {
  return api(path, undefined, 'GET');
}

async function me() {
  const identity = await loadSession();
  if (identity === null) throw new Error('no keys in this session');
  return identity;
}

async function openOrganisationKey(identity) {
  const served = await get('/api/v1/trust/organisation');
  if (!served.ok) throw new Error(errorOf(served));
  return SigningKey.open(b64uDecode(served.data.sealed_copy), identity, b64uDecode(served.data.ed25519_public));
}

async function openProgrammeKey(identity) {
  const served = await get(`/api/v1/trust/programmes/${programmeId}`);
  if (!served.ok) throw new Error(errorOf(served));
  const organisation = await get('/api/v1/trust/organisation');
  // The chain organisation key -> certificate -> programme key, checked here, not on trust.
  const certified = await verifyProgrammeKey(
    b64uDecode(served.data.certificate),
    b64uDecode(organisation.data.ed25519_public),
    programmeId,
  );
  return SigningKey.open(b64uDecode(served.data.sealed_copy), identity, certified);
}

async function makeKey() {
  const identity = await me();
  const organisationKey = await openOrganisationKey(identity);
  const programmeKey = await SigningKey.generate();
  const certificate = await organisationKey.signRecord(
    RecordKind.PROGRAMME_KEY_CERTIFICATE,
    { ed25519Public: programmeKey.public },
    { organisationId, programmeId, serial: 1, issuedAt: Math.floor(Date.now() / 1000), signedBy: personId },
  );
  return api(`/api/v1/trust/programmes/${programmeId}`, {
    ed25519_public: b64uEncode(programmeKey.public),
    certificate: b64uEncode(certificate),
    sealed_copy: b64uEncode(await programmeKey.sealFor(identity.person)),
  });
}

async function giveKey(holderId) {
  const identity = await me();
  const programmeKey = await openProgrammeKey(identity);
  const served = await get(`/api/v1/trust/programmes/${programmeId}/people/${holderId}`);
  if (!served.ok) throw new Error(errorOf(served));
  const holder = await Person.fromPublicIdentity(b64uDecode(served.data.public_identity));
  if (holder.userId !== holderId) throw new Error(messages.failed);
  await knownPerson(identity, holder, (path, body, method) => api(path, body, method ?? (body === undefined ? 'GET' : 'POST')));
  return api(`/api/v1/trust/programmes/${programmeId}/copies`, {
    holder_id: holderId,
    sealed_copy: b64uEncode(await programmeKey.sealFor(holder)),
  });
}

async function run(button, action) {
  if (!(await supported())) return;
  say(problem, '');
  button.disabled = true;
  try {
    const answer = await action();
    if (!answer.ok) return say(problem, errorOf(answer));
    globalThis.location.reload();
  } catch {
    say(problem, messages.failed);
  } finally {
    button.disabled = false;
  }
}

document.getElementById('make-key')?.addEventListener('click', (event) => run(event.currentTarget, makeKey));
for (const button of root.querySelectorAll('[data-give-to]')) {
  button.addEventListener('click', () => run(button, () => giveKey(button.dataset.giveTo)));
}
