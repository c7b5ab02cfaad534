// A group's member list signed in the staff member's browser (docs/crypto-spec.md 8, kind 0x05).
//
// The forms work without this module and then change the group unsigned (the page says the list
// is not signed). When her browser holds the programme key, each change (add a participant or a
// trainer, remove someone) gets a record of the group as it is after the change: every member
// with an account by id, key fingerprint and role, valid from today, the serial above the last,
// signed with the programme key, in the form's hidden `signed_record` field. Members' browsers
// admit the group chat's readers by this record alone; the server checks it again before it
// keeps anything, and undoes the change when it does not hold.

import {
  FingerprintKind,
  GroupRole,
  Person,
  RecordKind,
  SigningKey,
  b64uDecode,
  b64uEncode,
  loadSession,
  verifyProgrammeKey,
  verifyRecord,
} from '../crypto/index.js';
import { KEY_CHANGED, Trust, TrustError, keysOf } from '../shared/trust.js';
import { call, getJson } from '../shared/http.js';

const settings = document.getElementById('group-signing')?.dataset;
const status = document.getElementById('signing-status');
const ROLES = { participant: GroupRole.PARTICIPANT, trainer: GroupRole.TRAINER };

// Her copy of the programme key, opened after checking organisation key -> certificate -> key.
async function openProgrammeKey(identity) {
  const served = await getJson(`/api/v1/trust/programmes/${settings.programmeId}`);
  if (!served.sealed_copy) return null;
  const organisation = await getJson('/api/v1/trust/organisation');
  const certified = await verifyProgrammeKey(
    b64uDecode(served.certificate),
    b64uDecode(organisation.ed25519_public),
    settings.programmeId,
  );
  return SigningKey.open(b64uDecode(served.sealed_copy), identity, certified);
}

// Each member's key as this staff member's browser knows it: pinned in her own signed record, or
// pinned now the first time she signs for him (docs/security.md). A key that changed since is
// refused: it is checked with him in person first. Null for someone without an account yet (no
// key to name: the list names him once he has one and staff sign again).
async function memberFingerprint(trust, personId) {
  const served = await call(`/api/v1/trust/programmes/${settings.programmeId}/people/${personId}`);
  if (served.status === 404) return null;
  if (!served.ok) throw new Error('no answer');
  const person = await Person.fromPublicIdentity(b64uDecode(served.data.public_identity));
  if (person.userId !== personId) throw new Error('the server answered for someone else');
  if (!trust.checkVerified(FingerprintKind.PERSON, person.userId, keysOf(person))) {
    throw new TrustError({ status: 409, data: null }, KEY_CHANGED);
  }
  return person.fingerprint();
}

// The group after `change` ({ add: { personId, role } } or { remove: personId }), signed.
async function sign(change) {
  const identity = await loadSession();
  if (identity === null) return '';
  const key = await openProgrammeKey(identity);
  if (key === null) return '';
  const served = await getJson(`/api/v1/programmes/${settings.programmeId}/groups/${settings.groupId}/membership-record`);
  let serial = Math.max(Number(settings.nextSerial ?? 1), served.serial + 1);
  if (served.signed_record) {
    try {
      const last = await verifyRecord(b64uDecode(served.signed_record), key.public, RecordKind.GROUP_MEMBERSHIP);
      serial = Math.max(serial, last.serial + 1);
    } catch {
      // a stored record that does not verify carries nothing over
    }
  }
  let members = served.members.map((m) => ({ personId: m.person_id, role: m.role }));
  if (change.remove) members = members.filter((m) => m.personId !== change.remove);
  if (change.add && !members.some((m) => m.personId === change.add.personId)) members.push(change.add);
  const trust = await new Trust(identity, { api: call }).load();
  const named = [];
  for (const member of members) {
    const fingerprint = await memberFingerprint(trust, member.personId);
    if (fingerprint) named.push({ personId: member.personId, fingerprint, role: ROLES[member.role] });
  }
  const saved = await trust.save();
  if (!saved.ok) throw new Error('pins not saved');
  const now = new Date();
  const record = await key.signRecord(
    RecordKind.GROUP_MEMBERSHIP,
    {
      groupId: settings.groupId,
      // From the start of today (UTC; members' browsers allow for the day starting earlier where
      // they are), until the next list: a newer serial replaces it.
      validFrom: Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) / 1000,
      validUntil: 0,
      members: named,
    },
    {
      organisationId: settings.organisationId,
      programmeId: settings.programmeId,
      serial,
      issuedAt: Math.floor(Date.now() / 1000),
      signedBy: settings.personId,
    },
  );
  return b64uEncode(record);
}

function show(text) {
  if (!status) return;
  status.textContent = text ?? '';
  status.hidden = !text;
}

// Sign, put the record in the hidden field and send the form. A change that cannot be signed is
// sent unsigned, as without JavaScript (the page then says the list is not signed); "sign now"
// needs the signature.
function signOnSubmit(form, changeOf, { required = false } = {}) {
  form.addEventListener('submit', async (event) => {
    if (form.dataset.signed === 'yes') return;
    event.preventDefault();
    for (const button of form.querySelectorAll('button')) button.disabled = true;
    show(settings.signing);
    let record = '';
    try {
      record = await sign(changeOf(form));
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

if (settings?.holdsKey === 'yes') {
  for (const form of document.querySelectorAll('form.group-add-form')) {
    signOnSubmit(form, (f) => {
      const role = f.elements.role.value;
      const personId = (role === 'trainer' ? f.elements.trainer_id : f.elements.person_id).value;
      return { add: { personId, role } };
    });
  }
  for (const form of document.querySelectorAll('form.group-remove-form')) {
    signOnSubmit(form, (f) => ({ remove: f.dataset.personId }));
  }
  for (const form of document.querySelectorAll('form.group-sign-form')) {
    signOnSubmit(form, () => ({}), { required: true });
    form.hidden = false;
  }
}
