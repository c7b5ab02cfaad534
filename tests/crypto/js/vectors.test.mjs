// The golden vectors, reproduced byte for byte and opened by the very files the browser is served.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';

import * as lib from '../../../frontend/static/js/crypto/index.js';
import { openVectors } from './open-vectors.mjs';
import { generate } from './vectorgen.mjs';

const NAMES = [
  'attachments', 'boxes', 'encoding', 'envelopes', 'epochs', 'fingerprints', 'grants',
  'identities', 'intake', 'items', 'kdf', 'pinned_keys', 'records', 'recovery', 'rotation', 'score_consents',
  'vouches',
];

async function load(origin, name) {
  return JSON.parse(await readFile(new URL(`../vectors/${origin}/${name}.json`, import.meta.url), 'utf8'));
}

for (const origin of ['python', 'js']) {
  test(`the browser code reproduces every ${origin} vector byte for byte`, async () => {
    const files = await generate(lib, origin);
    assert.deepEqual(Object.keys(files).sort(), NAMES);
    for (const name of NAMES) assert.deepEqual(files[name], await load(origin, name), name);
  });

  test(`the browser code opens every ${origin} vector`, async () => {
    const opened = await openVectors(lib, load, origin);
    assert.deepEqual([...opened].sort(), NAMES);
  });
}
