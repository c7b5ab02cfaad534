// User-key rotation in the browser code (docs/crypto-spec.md 5.4): a changed rotated bundle, an
// old box spliced in, a re-wrap that is not hers and a rotation without her password or code are
// refused with CryptoError, and the old user key opens nothing the rotation made.

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
    return true;
  }
  return false;
}

function variants(data) {
  const out = [];
  for (let i = 0; i < data.length; i += 1) {
    const copy = data.slice();
    copy[i] ^= 0x01;
    out.push(copy);
  }
  const extended = new Uint8Array(data.length + 1);
  extended.set(data);
  return [...out, data.slice(0, -1), data.slice(0, data.length >> 1), extended];
}

let entry;
let rotation;
let her;
let secrets;
let params;

before(async () => {
  const identities = (await load('identities')).people;
  entry = identities.participant;
  rotation = await load('rotation');
  params = lib.KdfParams.fromBytes(unhex(entry.params));
  secrets = await lib.deriveLoginSecrets(entry.login, entry.password, params, { allowTestParams: true });
  her = await lib.Identity.unlockWithSecrets(unhex(entry.bundle), secrets, { userId: entry.user_id });
});

const unlock = (bundle) => lib.Identity.unlockWithSecrets(bundle, secrets, { userId: entry.user_id });

test('every changed byte of a rotated bundle is refused, and spliced old boxes too', async () => {
  const bundle = unhex(rotation.kept_code.bundle);
  assert.equal((await unlock(bundle)).userKeyId.length, 16);
  for (const changed of variants(bundle)) assert.ok(await refused(() => unlock(changed)));
  const old = lib.KeyBundle.fromBytes(unhex(entry.bundle));
  const rotated = lib.KeyBundle.fromBytes(bundle);
  for (const field of ['kekBox', 'recoveryBox', 'privateKeysBox', 'userKeyId']) {
    const spliced = rotated.with({ [field]: old[field] }).toBytes();
    assert.ok(await refused(() => unlock(spliced)), field);
  }
});

test('the old user key opens nothing the rotation made', async () => {
  const kept = rotation.kept_code;
  const itemKeyId = unhex(rotation.item_key_id);
  assert.ok(await refused(() => lib.unwrapItemKey(unhex(kept.item_wrap), her.userKey, itemKeyId)));
  assert.ok(await refused(() => lib.openPinnedKeys(her, unhex(kept.pinned_record))));
  const bundle = lib.KeyBundle.fromBytes(unhex(kept.bundle));
  const publics = new Uint8Array([...bundle.x25519Public, ...bundle.ed25519Public]);
  assert.ok(
    await refused(() => lib.openSecret(bundle.privateKeysBox, her.userKey, lib.SecretPurpose.PRIVATE_KEYS, publics)),
  );
});

test('a rotation needs her password and her own recovery code', async () => {
  const wrong = await lib.deriveLoginSecrets(entry.login, 'niet haar wachtwoord', params, { allowTestParams: true });
  const options = { userId: entry.user_id, recoveryCode: entry.recovery_code };
  assert.ok(await refused(() => lib.Identity.rotateUserKey(unhex(entry.bundle), wrong, options)));
  const coachCode = (await load('identities')).people.coach.recovery_code;
  assert.ok(
    await refused(() =>
      lib.Identity.rotateUserKey(unhex(entry.bundle), secrets, { userId: entry.user_id, recoveryCode: coachCode }),
    ),
  );
  for (const changed of variants(unhex(entry.bundle)).filter((_, i) => i % 11 === 0)) {
    assert.ok(await refused(() => lib.Identity.rotateUserKey(changed, secrets, options)));
  }
});

test('a rotation re-wraps only her own keys, under their own ids', async () => {
  const made = await lib.Identity.rotateUserKey(unhex(entry.bundle), secrets, {
    userId: entry.user_id,
    recoveryCode: entry.recovery_code,
  });
  const itemKeyId = unhex(rotation.item_key_id);
  const oldWrap = unhex(rotation.old_item_wrap);
  const rewrapped = await made.rewrapItemKey(oldWrap, itemKeyId);
  assert.deepEqual(await lib.unwrapItemKey(rewrapped, made.identity.userKey, itemKeyId), unhex(rotation.item_key));
  const coach = (await load('identities')).people.coach;
  const coachIdentity = await lib.Identity.unlock(unhex(coach.bundle), coach.login, coach.password, {
    userId: coach.user_id,
    allowTestParams: true,
  });
  const theirs = await coachIdentity.wrapUnderUserKey(lib.SecretPurpose.ITEM_KEY, unhex(rotation.item_key), itemKeyId);
  assert.ok(await refused(() => made.rewrapItemKey(theirs, itemKeyId)));
  assert.ok(await refused(() => made.rewrapItemKey(rewrapped, itemKeyId)));
  assert.ok(await refused(() => made.rewrapItemKey(oldWrap, new Uint8Array(16))));
  for (const changed of variants(oldWrap)) assert.ok(await refused(() => made.rewrapItemKey(changed, itemKeyId)));
  const pinned = unhex((await load('pinned_keys')).record);
  assert.ok(await refused(() => made.resealPinnedKeys(pinned, { minRevision: 6 })));
  const resealed = await made.resealPinnedKeys(pinned, { minRevision: 5 });
  assert.equal(resealed.revision, 6);
  assert.equal((await lib.openPinnedKeys(made.identity, resealed.record, { minRevision: 6 })).revision, 6);
  made.wipe();
  assert.ok(await refused(() => made.rewrapItemKey(oldWrap, itemKeyId)), 'nothing is left after wipe()');
});
