// Tampering, in the browser code: every changed, cut, extended or misplaced structure is refused
// with CryptoError and nothing else; then the attacks that keep the bytes intact.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { before, test } from 'node:test';

import * as lib from '../../../frontend/static/js/crypto/index.js';
import { unhex } from './vectorgen.mjs';

const load = async (name) =>
  JSON.parse(await readFile(new URL(`../vectors/python/${name}.json`, import.meta.url), 'utf8'));

async function refused(action) {
  try {
    await action();
  } catch (error) {
    assert.ok(error instanceof lib.CryptoError, `threw ${error?.name}: ${error?.message}`);
    assert.equal(error.message, 'refused');
    return true;
  }
  return false;
}

let v;
const people = {};
const structures = {};

before(async () => {
  v = {};
  for (const name of ['identities', 'envelopes', 'grants', 'epochs', 'records', 'boxes', 'pinned_keys', 'recovery', 'attachments', 'vouches', 'score_consents']) {
    v[name] = await load(name);
  }
  for (const [name, entry] of Object.entries(v.identities.people)) {
    people[name] = await lib.Identity.unlock(unhex(entry.bundle), entry.login, entry.password, {
      userId: entry.user_id,
      allowTestParams: true,
    });
  }
  const entry = v.identities.people.participant;
  const envelope = v.envelopes.cases[0];
  const context = {
    resourceType: envelope.resource_type,
    resourceId: envelope.resource_id,
    itemId: envelope.item_id,
    revision: envelope.revision,
    author: people.participant.person,
  };
  const programmePublic = unhex(v.records.programme_public);
  const secret = v.boxes.secret[1];
  const sealed = v.boxes.sealed[0];
  const coachKey = people.coach.person.ed25519Public;
  const chain = v.epochs.chain;
  const record = (kind) => (data) => lib.verifyRecord(data, programmePublic, kind);
  Object.assign(structures, {
    'key bundle (password)': [
      unhex(entry.bundle),
      (data) => lib.Identity.unlock(data, entry.login, entry.password, { userId: entry.user_id, allowTestParams: true }),
    ],
    'public identity': [unhex(entry.public_identity), (data) => lib.Person.fromPublicIdentity(data)],
    'secret box': [
      unhex(secret.box),
      (data) => lib.openSecret(data, unhex(secret.key), secret.purpose, unhex(secret.context)),
    ],
    'sealed box': [
      unhex(sealed.box),
      (data) =>
        lib.openSealed(data, unhex(sealed.recipient_private), unhex(sealed.recipient_public), sealed.purpose, unhex(sealed.context)),
    ],
    envelope: [unhex(envelope.envelope), (data) => lib.openEnvelope(data, unhex(envelope.content_key), context)],
    grant: [unhex(v.grants.grant), (data) => lib.openGrant(data, people.coach, [people.participant.person.ed25519Public])],
    'epoch record (first)': [unhex(chain[0].record), (data) => lib.verifyEpoch(data, [coachKey])],
    'epoch record (chained)': [unhex(chain[2].record), (data) => lib.openPreviousKey(data, unhex(chain[2].key), [coachKey])],
    'programme key certificate': [
      unhex(v.records.certificate),
      (data) => lib.verifyProgrammeKey(data, unhex(v.records.organisation_public), v.records.programme_id),
    ],
    'coach assignment': [unhex(v.records.coach_assignment), record(lib.RecordKind.COACH_ASSIGNMENT)],
    'duty roster': [unhex(v.records.duty_roster), record(lib.RecordKind.DUTY_ROSTER)],
    'programme recovery key': [unhex(v.records.recovery_key), record(lib.RecordKind.PROGRAMME_RECOVERY_KEY)],
    'signing key for staff': [
      unhex(v.records.programme_key_for_staff),
      (data) => lib.SigningKey.open(data, people.staff, programmePublic),
    ],
    'pinned keys': [unhex(v.pinned_keys.record), (data) => lib.openPinnedKeys(people.participant, data)],
    vouch: [unhex(v.vouches.vouch), (data) => lib.verifyVouch(data, [coachKey])],
    'score consent': [
      unhex(v.score_consents.statements[1].statement),
      (data) => lib.verifyScoreConsent(data, people.participant.person.ed25519Public),
    ],
  });
});

test('every untouched structure opens', async () => {
  for (const [name, [data, open]] of Object.entries(structures)) {
    assert.equal(await refused(() => open(data)), false, name);
  }
});

test('a flipped bit in any byte of any structure is refused', async () => {
  for (const [name, [data, open]] of Object.entries(structures)) {
    for (let position = 0; position < data.length; position += 1) {
      const changed = data.slice();
      changed[position] ^= 1 << position % 8;
      assert.ok(await refused(() => open(changed)), `${name} at ${position}`);
    }
  }
});

test('a truncated or extended structure is refused', async () => {
  for (const [name, [data, open]] of Object.entries(structures)) {
    for (let length = 0; length < data.length; length += 1) {
      assert.ok(await refused(() => open(data.slice(0, length))), `${name} cut to ${length}`);
    }
    const longer = new Uint8Array(data.length + 1);
    longer.set(data);
    assert.ok(await refused(() => open(longer)), `${name} extended`);
  }
});

test('another version or structure tag is refused', async () => {
  for (const [name, [data, open]] of Object.entries(structures)) {
    for (const version of [0x00, 0x02, 0xff]) {
      const changed = data.slice();
      changed[0] = version;
      assert.ok(await refused(() => open(changed)), `${name} version ${version}`);
    }
    for (let tag = 0; tag < 16; tag += 1) {
      if (tag === data[1]) continue;
      const changed = data.slice();
      changed[1] = tag;
      assert.ok(await refused(() => open(changed)), `${name} tag ${tag}`);
    }
  }
});

test('anything that is not bytes is refused', async () => {
  for (const [name, [, open]] of Object.entries(structures)) {
    for (const wrong of [null, undefined, 'text', 12, [1, 2], {}]) {
      assert.ok(await refused(() => open(wrong)), `${name} with ${typeof wrong}`);
    }
  }
});

function itemContext() {
  const envelope = v.envelopes.cases[0];
  return {
    envelope: unhex(envelope.envelope),
    key: unhex(envelope.content_key),
    context: {
      resourceType: envelope.resource_type,
      resourceId: envelope.resource_id,
      itemId: envelope.item_id,
      revision: envelope.revision,
      author: people.participant.person,
    },
  };
}

test('an envelope served as another item, revision or author is refused', async () => {
  const { envelope, key, context } = itemContext();
  const coach = people.coach.person;
  for (const swapped of [
    { ...context, itemId: 'item-4' },
    { ...context, resourceId: 'portfolio-18' },
    { ...context, resourceType: 'diary' },
    { ...context, revision: context.revision - 1 },
    { ...context, revision: context.revision + 1 },
    { ...context, author: coach },
    { ...context, author: new lib.Person(context.author.userId, coach.x25519Public, coach.ed25519Public) },
    { ...context, author: new lib.Person('someone-else', context.author.x25519Public, context.author.ed25519Public) },
  ]) {
    assert.ok(await refused(() => lib.openEnvelope(envelope, key, swapped)));
  }
  assert.ok(await refused(() => lib.openEnvelope(envelope, new Uint8Array(32), context)), 'unknown key id');
});

test('a grant is accepted only from an accepted granter and only by its recipient', async () => {
  const grant = unhex(v.grants.grant);
  const { participant, coach, budget_coach: budget } = people;
  assert.ok(await refused(() => lib.openGrant(grant, coach, [])));
  assert.ok(await refused(() => lib.openGrant(grant, coach, [budget.person.ed25519Public])));
  assert.ok(await refused(() => lib.openGrant(grant, budget, [participant.person.ed25519Public])));
  const forged = await lib.makeGrant(budget, {
    resourceType: 'portfolio',
    resourceId: 'portfolio-17',
    epoch: 3,
    key: unhex(v.grants.key),
    recipient: coach.person,
  });
  assert.ok(await refused(() => lib.openGrant(forged, coach, [participant.person.ed25519Public])));
});

test('records signed by the wrong key, unsigned or read as another kind are refused', async () => {
  const programmePublic = unhex(v.records.programme_public);
  const organisationPublic = unhex(v.records.organisation_public);
  const assignment = unhex(v.records.coach_assignment);
  assert.ok(await refused(() => lib.verifyRecord(assignment, organisationPublic, lib.RecordKind.COACH_ASSIGNMENT)));
  assert.ok(await refused(() => lib.verifyRecord(assignment, programmePublic, lib.RecordKind.DUTY_ROSTER)));
  const roster = unhex(v.records.duty_roster);
  roster.fill(0, roster.length - 64);
  assert.ok(await refused(() => lib.verifyRecord(roster, programmePublic, lib.RecordKind.DUTY_ROSTER)));
  const impostor = await lib.SigningKey.generate();
  const forged = await impostor.signRecord(
    lib.RecordKind.PROGRAMME_RECOVERY_KEY,
    { x25519Public: new Uint8Array(32).fill(9) },
    { organisationId: 'org-smart-mama', programmeId: 'programme-emmen', serial: 2, issuedAt: 1, signedBy: 'x' },
  );
  assert.ok(await refused(() => lib.verifyRecord(forged, programmePublic, lib.RecordKind.PROGRAMME_RECOVERY_KEY)));
  assert.ok(await refused(() => lib.verifyProgrammeKey(unhex(v.records.certificate), organisationPublic, 'programme-zuid')));
});

test('an epoch by a non-member, an older pinned-keys record and another owner are refused', async () => {
  const chain = v.epochs.chain;
  const participantKey = people.participant.person.ed25519Public;
  assert.ok(await refused(() => lib.openPreviousKey(unhex(chain[1].record), unhex(chain[1].key), [participantKey])));
  assert.ok(await refused(() => lib.openPinnedKeys(people.participant, unhex(v.pinned_keys.record), { minRevision: 6 })));
  assert.ok(await refused(() => lib.openPinnedKeys(people.coach, unhex(v.pinned_keys.record))));
});

test('a bundle with weakened KDF parameters is refused before any work', async () => {
  const entry = v.identities.people.participant;
  const bundle = lib.KeyBundle.fromBytes(unhex(entry.bundle));
  const weakened = bundle.with({ params: new lib.KdfParams(32768, 1, 1, bundle.params.seed) });
  assert.ok(await refused(() => lib.Identity.unlock(weakened.toBytes(), entry.login, entry.password, { userId: entry.user_id })));
  const lifted = bundle.with({ params: new lib.KdfParams(16, 1, 1, bundle.params.seed) });
  assert.ok(
    await refused(() =>
      lib.Identity.unlock(lifted.toBytes(), entry.login, entry.password, { userId: entry.user_id, allowTestParams: true }),
    ),
  );
});

test('a wrong password or login is refused', async () => {
  const entry = v.identities.people.participant;
  for (const [login, password] of [[entry.login, 'zon op het Water'], ['mama.noor2', entry.password]]) {
    assert.ok(
      await refused(() => lib.Identity.unlock(unhex(entry.bundle), login, password, { userId: entry.user_id, allowTestParams: true })),
    );
  }
});

test('attachment streams cut, reordered, extended or changed are refused', async () => {
  const item = v.attachments.cases[3];
  const meta = lib.decodeAttachmentMeta(unhex(item.meta));
  const key = unhex(item.item_key);
  const stream = lib.b64uDecode(item.stream);
  const header = stream.slice(0, 38);
  const first = stream.slice(38, 38 + 65552);
  const last = stream.slice(38 + 65552);
  const join = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  };
  const opens = async (data, m = meta) => {
    try {
      for await (const _chunk of lib.decryptAttachment(key, [data], m));
      return true;
    } catch (error) {
      assert.ok(error instanceof lib.CryptoError);
      return false;
    }
  };
  assert.ok(await opens(stream));
  assert.equal(await opens(join(header, first)), false);
  assert.equal(await opens(join(header, last, first)), false);
  assert.equal(await opens(join(stream, last)), false);
  assert.equal(await opens(header), false);
  assert.equal(await opens(stream, { ...meta, size: meta.size - 1 }), false);
  assert.equal(await opens(stream, { ...meta, streamSalt: new Uint8Array(16) }), false);
  for (const position of [...Array(38).keys(), 38, 5000, 65589, 65590, stream.length - 1]) {
    const changed = stream.slice();
    changed[position] ^= 0x10;
    assert.equal(await opens(changed), false, `position ${position}`);
  }
});
