// Runs in real Chromium under the project's CSP: the golden vectors, Wycheproof, the KDF in its
// Web Worker and the IndexedDB key store, using the very files the browser is served.

import * as lib from '/static/js/crypto/index.js';
import { openVectors } from '/crypto-tests/js/open-vectors.mjs';
import { generate, hex, unhex } from '/crypto-tests/js/vectorgen.mjs';

const violations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  violations.push(`${event.violatedDirective} ${event.blockedURI}`);
});

const load = async (origin, name) => (await fetch(`/crypto-tests/vectors/${origin}/${name}.json`)).json();
const wycheproof = async (name) => (await fetch(`/crypto-tests/wycheproof/${name}`)).json();

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

async function accepted(action) {
  try {
    await action();
    return true;
  } catch (error) {
    if (!(error instanceof lib.CryptoError)) throw error;
    return false;
  }
}

async function runWycheproof() {
  const primitives = await import('/static/js/crypto/primitives.js');
  const pinned = await wycheproof('acceptable.json');
  const wrong = [];
  for (const group of (await wycheproof('aes_gcm_test.json')).testGroups) {
    if (group.keySize !== 256 || group.ivSize !== 96) continue;
    for (const t of group.tests) {
      const ok = await accepted(async () => {
        const out = await primitives.aeadDecrypt(unhex(t.key), unhex(t.iv), unhex(t.ct + t.tag), unhex(t.aad));
        if (hex(out) !== t.msg) throw new lib.CryptoError();
      });
      if (ok !== (t.result === 'valid')) wrong.push(`aes-gcm ${t.tcId}`);
    }
  }
  for (const group of (await wycheproof('x25519_test.json')).testGroups) {
    for (const t of group.tests) {
      let shared = null;
      await accepted(async () => {
        shared = hex(await primitives.x25519Shared(unhex(t.private), unhex(t.public)));
      });
      const expected = t.result === 'acceptable' ? pinned.x25519[t.tcId] : t.result === 'valid';
      if ((shared !== null) !== expected || (shared !== null && shared !== t.shared)) wrong.push(`x25519 ${t.tcId}`);
    }
  }
  for (const group of (await wycheproof('ed25519_test.json')).testGroups) {
    for (const t of group.tests) {
      const ok = await accepted(() => primitives.ed25519VerifyRaw(unhex(group.publicKey.pk), unhex(t.msg), unhex(t.sig)));
      const expected = t.result === 'acceptable' ? pinned.ed25519[t.tcId] : t.result === 'valid';
      if (ok !== expected) wrong.push(`ed25519 ${t.tcId} (${t.result})`);
    }
  }
  return wrong;
}

async function runKdfWorker() {
  const vector = (await load('python', 'kdf')).derivations[0];
  const params = lib.KdfParams.fromBytes(unhex(vector.params));
  const stages = [];
  const kdf = lib.workerKdf({ onProgress: (stage) => stages.push(stage) });
  const times = [];
  let secrets = null;
  for (let run = 0; run < 3; run += 1) {
    const started = performance.now();
    secrets = await lib.deriveLoginSecrets(vector.login, vector.password, params, { kdf });
    times.push(Math.round(performance.now() - started));
  }
  const lowered = new lib.KdfParams(8, 1, 1, params.seed);
  const refusedLow = !(await accepted(() => lib.deriveLoginSecrets(vector.login, vector.password, lowered, { kdf })));
  return {
    minimumMet: vector.minimum_met,
    matchesPython: hex(secrets.masterKey) === vector.master_key && hex(secrets.authSecret) === vector.auth_secret,
    times,
    stages: [...new Set(stages)],
    refusedLow,
  };
}

async function runKeyStore() {
  const params = await lib.KdfParams.create({ memoryKib: 8, iterations: 1 });
  const signup = await lib.Identity.create('mama.noor', 'zon op het water', { userId: 'p1', params, allowTestParams: true });
  const note = await lib.encryptItem(signup.identity, lib.Audience.onlyMe(), {
    resourceType: 'diary', resourceId: 'pf1', itemId: 'd1', revision: 1, plaintext: new TextEncoder().encode('mijn dagboek'),
  });
  await lib.saveSession(signup.identity);
  const loaded = await lib.loadSession();
  const extractable = [loaded.userKey.cryptoKey, loaded.x25519Private, loaded.ed25519Private].map((key) => key.extractable);
  const itemKey = await lib.unwrapItemKey(note.wraps[0], loaded.userKey, note.itemKeyId);
  const context = { resourceType: 'diary', resourceId: 'pf1', itemId: 'd1', revision: 1, author: loaded.person };
  const text = new TextDecoder().decode(await lib.openEnvelope(note.envelope, itemKey, context));
  const signed = await lib.encryptMessage(loaded, new Uint8Array(32).fill(1), { conversationId: 'c', messageId: 'm', plaintext: new Uint8Array(1) });
  const signatureOk = await accepted(() =>
    lib.decryptMessage(signed, new Uint8Array(32).fill(1), { conversationId: 'c', messageId: 'm', author: signup.identity.person }),
  );
  const exportRefused = !(await accepted(async () => {
    try {
      await crypto.subtle.exportKey('raw', loaded.userKey.cryptoKey);
    } catch {
      throw new lib.CryptoError();
    }
  }));
  await lib.wipe();
  const afterWipe = await lib.loadSession();
  return { extractable, text, signatureOk, exportRefused, wiped: afterWipe === null };
}

async function main() {
  const result = { support: await lib.detectSupport() };
  result.opened = {};
  result.reproduced = {};
  for (const origin of ['python', 'js']) {
    result.opened[origin] = await openVectors(lib, load, origin);
    const files = await generate(lib, origin);
    const mismatched = [];
    for (const [name, body] of Object.entries(files)) if (!same(body, await load(origin, name))) mismatched.push(name);
    result.reproduced[origin] = { files: Object.keys(files).length, mismatched };
  }
  result.wycheproofWrong = await runWycheproof();
  result.kdf = await runKdfWorker();
  result.keyStore = await runKeyStore();
  result.violations = violations;
  return result;
}

const output = document.getElementById('result');
main().then(
  (result) => {
    output.dataset.state = 'done';
    output.textContent = JSON.stringify(result);
  },
  (error) => {
    output.dataset.state = 'failed';
    output.textContent = `${error?.name}: ${error?.message}\n${error?.stack}`;
  },
);
