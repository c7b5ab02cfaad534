// Wycheproof vectors through the browser code's primitive wrappers, held to the same pinned
// outcome for "acceptable" cases as the Python twin (tests/crypto/wycheproof/acceptable.json).

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';

import { CryptoError } from '../../../frontend/static/js/crypto/errors.js';
import {
  aeadDecrypt,
  aeadEncrypt,
  ed25519VerifyRaw,
  x25519Shared,
} from '../../../frontend/static/js/crypto/primitives.js';
import { hex, unhex } from './vectorgen.mjs';

const load = async (name) =>
  JSON.parse(await readFile(new URL(`../wycheproof/${name}`, import.meta.url), 'utf8'));

async function outcome(action) {
  try {
    return { ok: true, value: await action() };
  } catch (error) {
    assert.ok(error instanceof CryptoError, `threw ${error?.name}`);
    return { ok: false };
  }
}

test('AES-256-GCM', async () => {
  const data = await load('aes_gcm_test.json');
  let count = 0;
  for (const group of data.testGroups) {
    if (group.keySize !== 256 || group.ivSize !== 96 || group.tagSize !== 128) continue;
    for (const t of group.tests) {
      count += 1;
      const sealed = unhex(t.ct + t.tag);
      const opened = await outcome(() => aeadDecrypt(unhex(t.key), unhex(t.iv), sealed, unhex(t.aad)));
      if (t.result === 'valid') {
        assert.equal(hex(await aeadEncrypt(unhex(t.key), unhex(t.iv), unhex(t.msg), unhex(t.aad))), t.ct + t.tag, `${t.tcId}`);
        assert.ok(opened.ok && hex(opened.value) === t.msg, `${t.tcId}`);
      } else {
        assert.equal(opened.ok, false, `${t.tcId}`);
      }
    }
  }
  assert.ok(count > 50);
});

test('X25519', async () => {
  const data = await load('x25519_test.json');
  const pinned = (await load('acceptable.json')).x25519;
  let count = 0;
  for (const group of data.testGroups) {
    for (const t of group.tests) {
      count += 1;
      const shared = await outcome(() => x25519Shared(unhex(t.private), unhex(t.public)));
      if (t.result === 'valid') assert.ok(shared.ok && hex(shared.value) === t.shared, `${t.tcId}`);
      else if (t.result === 'invalid') assert.equal(shared.ok, false, `${t.tcId}`);
      else {
        if (t.flags.includes('ZeroSharedSecret')) assert.equal(shared.ok, false, `${t.tcId}`);
        assert.equal(shared.ok, pinned[String(t.tcId)], `${t.tcId}`);
        if (shared.ok) assert.equal(hex(shared.value), t.shared, `${t.tcId}`);
      }
    }
  }
  assert.ok(count > 500);
});

test('Ed25519', async () => {
  const data = await load('ed25519_test.json');
  const pinned = (await load('acceptable.json')).ed25519;
  let count = 0;
  for (const group of data.testGroups) {
    for (const t of group.tests) {
      count += 1;
      const verified = await outcome(() => ed25519VerifyRaw(unhex(group.publicKey.pk), unhex(t.msg), unhex(t.sig)));
      if (t.result === 'acceptable') assert.equal(verified.ok, pinned[String(t.tcId)], `${t.tcId}`);
      else assert.equal(verified.ok, t.result === 'valid', `${t.tcId}`);
    }
  }
  assert.ok(count > 200);
});
