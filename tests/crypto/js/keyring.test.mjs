// The keyring as features use it, in the browser code: the journeys of CRYPTO.md end to end.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as lib from '../../../frontend/static/js/crypto/index.js';

const TEST = { allowTestParams: true };
const enc = (text) => new TextEncoder().encode(text);
const dec = (data) => new TextDecoder().decode(data);

async function signUp(login, userId, password = `${login} password`) {
  const params = await lib.KdfParams.create({ memoryKib: 8, iterations: 1 });
  const result = await lib.Identity.create(login, password, { userId, params, ...TEST });
  return { ...result, login, password, params };
}

async function refused(action) {
  await assert.rejects(action, (error) => error instanceof lib.CryptoError && error.message === 'refused');
}

test('sign-up, login, password change and recovery keep the same user key', async () => {
  const mama = await signUp('Mama.Noor', 'p1');
  assert.match(await mama.recoveryCode.text(), /^([0-9A-HJKMNP-TV-Z]{4}-){6}[0-9A-HJKMNP-TV-Z]{4}$/);
  assert.deepEqual(lib.parseAuthProof(mama.authProof).kind, lib.AUTH_LOGIN);
  assert.deepEqual(lib.parseAuthProof(mama.recoveryAuthProof).kind, lib.AUTH_RECOVERY);

  const again = await lib.Identity.unlock(mama.bundle, 'mama.noor', mama.password, { userId: 'p1', ...TEST });
  assert.deepEqual(again.userKeyId, mama.identity.userKeyId);
  assert.equal(again.userKey.cryptoKey.extractable, false);
  assert.equal(again.x25519Private.extractable, false);
  assert.equal(again.ed25519Private.extractable, false);

  const oldSecrets = await lib.deriveLoginSecrets('mama.noor', mama.password, mama.params, TEST);
  const newParams = await lib.KdfParams.create({ memoryKib: 16, iterations: 2 });
  const newSecrets = await lib.deriveLoginSecrets('mama.noor', 'nieuw wachtwoord', newParams, TEST);
  const changed = await lib.Identity.changePassword(mama.bundle, oldSecrets, newSecrets);
  await refused(() => lib.Identity.unlock(changed.bundle, 'mama.noor', mama.password, { userId: 'p1', ...TEST }));
  const afterChange = await lib.Identity.unlock(changed.bundle, 'mama.noor', 'nieuw wachtwoord', { userId: 'p1', ...TEST });
  assert.deepEqual(afterChange.userKeyId, mama.identity.userKeyId);

  const code = await mama.recoveryCode.text();
  const resetSecrets = await lib.deriveLoginSecrets('mama.noor', 'na herstel', newParams, TEST);
  const recovered = await lib.Identity.recover(changed.bundle, code.toLowerCase(), resetSecrets, { userId: 'p1' });
  assert.deepEqual(recovered.identity.userKeyId, mama.identity.userKeyId);
  await lib.Identity.unlock(recovered.bundle, 'mama.noor', 'na herstel', { userId: 'p1', ...TEST });

  const renewed = await lib.Identity.newRecoveryCode(recovered.bundle, resetSecrets);
  await refused(() => lib.Identity.recover(renewed.bundle, code, resetSecrets, { userId: 'p1' }));
  const viaNew = await lib.Identity.recover(renewed.bundle, await renewed.recoveryCode.text(), resetSecrets, { userId: 'p1' });
  assert.deepEqual(viaNew.identity.userKeyId, mama.identity.userKeyId);
});

test('the real minimum KDF parameters are the default and lower ones are refused', async () => {
  const params = await lib.KdfParams.create();
  assert.deepEqual([params.memoryKib, params.iterations, params.parallelism], [65536, 3, 1]);
  await refused(() => lib.Identity.create('mama.noor', 'pw', { userId: 'p', params: new lib.KdfParams(8, 1, 1, params.seed) }));
  const started = performance.now();
  const secrets = await lib.deriveLoginSecrets('mama.noor', 'een wachtwoord', params);
  assert.equal(secrets.masterKey.length, 32);
  assert.ok(performance.now() - started < 30000);
});

test('a coach is added by a signed assignment and a grant, and reads back through epochs', async () => {
  const mama = (await signUp('mama.noor', 'p1')).identity;
  const coach = (await signUp('coach.sanne', 'c1')).identity;
  const staff = (await signUp('staff.eva', 's1')).identity;
  const organisation = await lib.SigningKey.generate();
  const programme = await lib.SigningKey.generate();
  const meta = { organisationId: 'o1', programmeId: 'prog', signedBy: staff.userId, issuedAt: 1767225600 };
  const certificate = await organisation.signRecord(lib.RecordKind.PROGRAMME_KEY_CERTIFICATE, { ed25519Public: programme.public }, { ...meta, serial: 1 });
  const assignment = await programme.signRecord(
    lib.RecordKind.COACH_ASSIGNMENT,
    { participantId: mama.userId, coachId: coach.userId, coachFingerprint: await coach.fingerprint(), role: lib.CoachRole.INDIVIDUAL, validFrom: 0, validUntil: 0 },
    { ...meta, serial: 1 },
  );
  // Her browser: organisation key pinned from the invitation -> certificate -> assignment.
  const programmeKey = await lib.verifyProgrammeKey(certificate, organisation.public, 'prog');
  const record = await lib.verifyRecord(assignment, programmeKey, lib.RecordKind.COACH_ASSIGNMENT);
  const published = await lib.Person.fromPublicIdentity(await coach.publicIdentity());
  assert.deepEqual(record.body.coachFingerprint, await published.fingerprint());

  const first = await lib.newEpoch(mama, { resourceType: 'portfolio', resourceId: 'pf1', epoch: 1 });
  const entry = await lib.encryptItem(mama, lib.Audience.coaches(first.key), {
    resourceType: 'portfolio-entry', resourceId: 'pf1', itemId: 'e1', revision: 1, plaintext: enc('mijn eerste stap'),
  });
  const second = await lib.newEpoch(mama, { resourceType: 'portfolio', resourceId: 'pf1', epoch: 2, previousKey: first.key });
  const grant = await lib.makeGrant(mama, { resourceType: 'portfolio', resourceId: 'pf1', epoch: 2, key: second.key, recipient: published });

  // The coach's browser: accept the grant from the participant, walk back to epoch 1, read.
  const { key } = await lib.openGrant(grant, coach, [mama.person.ed25519Public]);
  const previous = await lib.openPreviousKey(second.record, key, [mama.person.ed25519Public]);
  const itemKey = await lib.unwrapItemKey(entry.wraps[0], previous, entry.itemKeyId);
  const context = { resourceType: 'portfolio-entry', resourceId: 'pf1', itemId: 'e1', revision: 1, author: mama.person };
  assert.equal(dec(await lib.openEnvelope(entry.envelope, itemKey, context)), 'mijn eerste stap');
});

test('only-me items stay hers; chosen people get a grant; messages carry their author', async () => {
  const mama = (await signUp('mama.noor', 'p1')).identity;
  const coach = (await signUp('coach.sanne', 'c1')).identity;
  const budget = (await signUp('budget.karim', 'b1')).identity;
  const diary = await lib.encryptItem(mama, lib.Audience.onlyMe(), {
    resourceType: 'diary', resourceId: 'pf1', itemId: 'd1', revision: 1, plaintext: enc('alleen voor mij'),
  });
  assert.equal(diary.grants.length, 0);
  const mine = await lib.unwrapItemKey(diary.wraps[0], mama.userKey, diary.itemKeyId);
  await refused(() => lib.unwrapItemKey(diary.wraps[0], new Uint8Array(32), diary.itemKeyId));
  const context = { resourceType: 'diary', resourceId: 'pf1', itemId: 'd1', revision: 1, author: mama.person };
  assert.equal(dec(await lib.openEnvelope(diary.envelope, mine, context)), 'alleen voor mij');

  const budgetItem = await lib.encryptItem(mama, lib.Audience.chosen([budget.person]), {
    resourceType: 'budget', resourceId: 'pf1', itemId: 'b1', revision: 1, plaintext: enc('schulden'),
  });
  const { key } = await lib.openGrant(budgetItem.grants[0], budget, [mama.person.ed25519Public]);
  await refused(() => lib.openGrant(budgetItem.grants[0], coach, [mama.person.ed25519Public]));
  const budgetContext = { resourceType: 'budget', resourceId: 'pf1', itemId: 'b1', revision: 1, author: mama.person };
  assert.equal(dec(await lib.openEnvelope(budgetItem.envelope, key, budgetContext)), 'schulden');

  const conversation = await lib.newEpoch(coach, { resourceType: 'conversation', resourceId: 'cv1', epoch: 1 });
  const message = await lib.encryptMessage(coach, conversation.key, { conversationId: 'cv1', messageId: 'm1', plaintext: enc('hoi') });
  const read = { conversationId: 'cv1', messageId: 'm1', author: coach.person };
  assert.equal(dec(await lib.decryptMessage(message, conversation.key, read)), 'hoi');
  await refused(() => lib.decryptMessage(message, conversation.key, { ...read, author: mama.person }));
  await refused(() => lib.decryptMessage(message, conversation.key, { ...read, messageId: 'm2' }));
});

test('programme recovery: consent copy, officer, new device, new password', async () => {
  const mama = await signUp('mama.noor', 'p1');
  const officer = (await signUp('officer.lin', 'o1')).identity;
  const recoveryKey = await lib.ProgrammeRecoveryKey.generate();
  const forOfficer = await recoveryKey.sealFor(officer.person);
  const secrets = await lib.deriveLoginSecrets('mama.noor', mama.password, mama.params, TEST);
  const copy = await lib.Identity.sealForProgrammeRecovery(mama.bundle, secrets, recoveryKey.public, { userId: 'p1' });

  const device = await lib.newDeviceKey();
  assert.equal(device.privateKey.extractable, false);
  const held = await lib.ProgrammeRecoveryKey.open(forOfficer, officer, recoveryKey.public);
  const resealed = await held.resealToDevice(copy, { userId: 'p1', userKeyId: mama.identity.userKeyId, devicePublic: device.publicKey });
  const newSecrets = await lib.deriveLoginSecrets('mama.noor', 'nieuw na herstel', mama.params, TEST);
  const restored = await lib.Identity.recoverOnDevice(mama.bundle, resealed, device, newSecrets, { userId: 'p1' });
  assert.deepEqual(restored.identity.userKeyId, mama.identity.userKeyId);
  await lib.Identity.unlock(restored.bundle, 'mama.noor', 'nieuw na herstel', { userId: 'p1', ...TEST });
  await refused(() => held.resealToDevice(copy, { userId: 'p2', userKeyId: mama.identity.userKeyId, devicePublic: device.publicKey }));
});

test('pinned keys survive a fresh browser and refuse a rollback', async () => {
  const mama = (await signUp('mama.noor', 'p1')).identity;
  const coach = (await signUp('coach.sanne', 'c1')).identity;
  const material = new Uint8Array([...coach.person.x25519Public, ...coach.person.ed25519Public]);
  const one = await lib.sealPinnedKeys(mama, 1, [{ kind: lib.FingerprintKind.PERSON, subjectId: 'c1', keyMaterial: material, confirmed: false }]);
  const two = await lib.sealPinnedKeys(mama, 2, [{ kind: lib.FingerprintKind.PERSON, subjectId: 'c1', keyMaterial: material, confirmed: true }]);
  assert.equal((await lib.openPinnedKeys(mama, two, { minRevision: 1 })).entries[0].confirmed, true);
  await refused(() => lib.openPinnedKeys(mama, one, { minRevision: 2 }));
  await refused(() => lib.sealPinnedKeys(mama, 3, [
    { kind: 1, subjectId: 'c1', keyMaterial: material, confirmed: true },
    { kind: 1, subjectId: 'c1', keyMaterial: material, confirmed: false },
  ]));
});

test('feature detection in Node finds the crypto and names what only a browser has', async () => {
  const missing = await lib.detectSupport();
  assert.deepEqual(missing, ['worker', 'indexeddb']);
  assert.equal(lib.UNSUPPORTED_URL, '/unsupported-browser');
});

test('the key store refuses to work without IndexedDB rather than keep keys elsewhere', async () => {
  const mama = (await signUp('mama.noor', 'p1')).identity;
  await refused(() => lib.saveSession(mama));
  await refused(() => lib.loadSession());
  await refused(() => lib.wipe());
});

test('wrong argument types give CryptoError, never another error', async () => {
  const mama = (await signUp('mama.noor', 'p1')).identity;
  for (const action of [
    () => lib.Identity.unlock(undefined, 'mama.noor', 'x', { userId: 'p1' }),
    () => lib.Identity.create(42, 'x', { userId: 'p1' }),
    () => lib.makeGrant(mama, {}),
    () => lib.newEpoch(mama, { resourceType: 'PORTFOLIO', resourceId: 'x', epoch: 1 }),
    () => lib.newEpoch(mama, { resourceType: 'portfolio', resourceId: 'x', epoch: 2 }),
    () => lib.encryptItem(mama, lib.Audience.onlyMe(), { resourceType: 'diary', resourceId: '', itemId: 'i', revision: 1, plaintext: enc('x') }),
    () => lib.encryptItem(mama, lib.Audience.onlyMe(), { resourceType: 'diary', resourceId: 'r', itemId: 'i', revision: -1, plaintext: enc('x') }),
    () => lib.sealEnvelope(mama, new Uint8Array(31), { resourceType: 'diary', resourceId: 'r', itemId: 'i', revision: 1, plaintext: enc('x') }),
    () => lib.fingerprint(9, 'x', new Uint8Array(32)),
    () => lib.encryptAttachment(new Uint8Array(32), 'not pieces'),
  ]) {
    await refused(action);
  }
  assert.throws(() => lib.normaliseLogin(null), lib.CryptoError);
  assert.throws(() => lib.b64uEncode('text'), lib.CryptoError);
  assert.throws(() => lib.fingerprintText(new Uint8Array(3)), lib.CryptoError);
});
