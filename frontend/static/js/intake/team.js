// The intake team signed in the staff member's browser (docs/crypto-spec.md 8, kind 0x06).
//
// Staff tick who may read applications; this module names each of them by the fingerprint of her
// identity key (pinned in this browser as for a coach assignment: a key that changed since is
// refused until checked in person), signs the IntakeTeam record with the programme key and posts
// it with the next serial. The server checks it again; an applicant's browser seals her letter
// to exactly the readers a verified record names.

import { Person, RecordKind, SigningKey, b64uDecode, b64uEncode, loadSession, verifyProgrammeKey } from '../crypto/index.js';
import { KEY_CHANGED, knownPerson } from '../shared/trust.js';
import { call, getJson } from '../shared/http.js';
import { nextSerial } from '../shared/serials.js';
import { teamValidity } from './team-check.js';

const form = document.getElementById('team-form');
const settings = form?.dataset;

function say(template, params = {}) {
  return template.replace(/%\((\w+)\)s/g, (_, name) => params[name] ?? '');
}

function show(id, text) {
  const element = document.getElementById(id);
  element.textContent = text ?? '';
  element.hidden = !text;
}

class Problem extends Error {}

async function openProgrammeKey(identity) {
  const served = await getJson(`/api/v1/trust/programmes/${settings.programmeId}`);
  if (!served.sealed_copy) throw new Problem(settings.failed);
  const organisation = await getJson('/api/v1/trust/organisation');
  const certified = await verifyProgrammeKey(
    b64uDecode(served.certificate),
    b64uDecode(organisation.ed25519_public),
    settings.programmeId,
  );
  return SigningKey.open(b64uDecode(served.sealed_copy), identity, certified);
}

async function readerOf(identity, box) {
  const served = await getJson(`/api/v1/trust/programmes/${settings.programmeId}/people/${box.value}`);
  const person = await Person.fromPublicIdentity(b64uDecode(served.public_identity));
  if (person.userId !== box.value) throw new Problem(settings.failed);
  try {
    await knownPerson(identity, person, call);
  } catch (error) {
    if (error?.problem === KEY_CHANGED) throw new Problem(say(settings.keyChanged, { name: box.dataset.name }));
    throw error;
  }
  return { personId: person.userId, fingerprint: await person.fingerprint() };
}

async function signAndSend() {
  const boxes = [...form.querySelectorAll('input[name=reader]:checked')];
  if (boxes.length === 0) throw new Problem(settings.nobody);
  const identity = await loadSession();
  if (identity === null) throw new Problem(settings.failed);
  const key = await openProgrammeKey(identity);
  const readers = [];
  for (const box of boxes) readers.push(await readerOf(identity, box));
  // The browser's serial, never the server's (docs/crypto-spec.md 8): a low one would let the
  // server serve an older team (naming a reader taken off it) over this one.
  const serial = nextSerial({ hint: Number(settings.nextSerial) });
  const record = await key.signRecord(
    RecordKind.INTAKE_TEAM,
    {
      // From the start of today (UTC) for TEAM_VALID_DAYS days, or until a newer serial replaces
      // it; staff sign it again before it ends (the staff page says when).
      ...teamValidity(),
      readers,
    },
    {
      organisationId: settings.organisationId,
      programmeId: settings.programmeId,
      serial,
      issuedAt: Math.floor(Date.now() / 1000),
      signedBy: settings.personId,
    },
  );
  const answer = await call(`/api/v1/intake/programmes/${settings.programmeId}/team`, {
    serial,
    signed_record: b64uEncode(record),
  });
  if (!answer.ok) throw new Problem(answer.data?.error?.message || settings.failed);
}

form?.addEventListener('submit', async (event) => {
  event.preventDefault();
  show('team-problem', '');
  show('team-status', settings.signing);
  const button = document.getElementById('team-sign');
  button.disabled = true;
  try {
    await signAndSend();
    window.location.assign(`${window.location.pathname}?signed=1`);
  } catch (error) {
    show('team-status', '');
    show('team-problem', error instanceof Problem ? error.message : settings.failed);
    button.disabled = false;
  }
});
