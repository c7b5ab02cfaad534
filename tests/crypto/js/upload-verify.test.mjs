// Her only copy of a file is never given up on the server's word (frontend/static/js/portfolio/
// uploads.js, the very file the page runs): a server that answers "complete" for a stream it does
// not hold is caught by a proof over a fresh challenge (SHA-256 of the challenge and the stored
// bytes, which her phone checks against the stream it kept; no download again), and the upload
// stays on her phone. And a file
// the server changed opens as "damaged" (openFile), never as an error the page does not catch.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { PortfolioClient } from '../../../frontend/static/js/portfolio/keyring.js';
import { openFile, runUpload, storedIntact } from '../../../frontend/static/js/portfolio/uploads.js';
import { encryptStream } from '../../../frontend/static/js/shared/streams.js';

const ITEM = '0b3e5f7a-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
const URL_BASE = `/api/v1/portfolio/items/${ITEM}/attachment`;

async function hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function join(parts) {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

// A file encrypted as the page does it, kept as the page keeps it, and a server that stores parts
// (or, lying, says "complete" without them, echoing her size and hash).
async function setting({ lying }) {
  const plain = new Uint8Array(150_000).map((_, i) => i % 251);
  const stream = await encryptStream(new Blob([plain]));
  const record = {
    itemId: ITEM,
    parts: stream.parts,
    size: stream.size,
    sha256: await hex(join(stream.parts)),
    write: { method: 'POST', path: '/api/v1/portfolio/pf-1/items', body: { id: ITEM }, base: 0 },
  };
  const stored = new Map();
  const asked = [];
  const status = () => {
    const complete = lying || stored.size === stream.parts.length;
    const missing = stream.parts.map((_, i) => i).filter((i) => !stored.has(i));
    return { item_id: ITEM, size: record.size, parts: stream.parts.length, received: stored.size, complete, missing: complete ? [] : missing, sha256: record.sha256 };
  };
  globalThis.document = { querySelector: () => null };
  globalThis.fetch = async (url, init = {}) => {
    const method = init.method ?? 'GET';
    asked.push(`${method} ${url}`);
    const json = (data, code = 200) => ({ ok: code < 300, status: code, json: async () => data, arrayBuffer: async () => new ArrayBuffer(0) });
    if (url === record.write.path && method === 'POST') return json({ id: ITEM, revision: 1, attachment: null }, 201);
    if (url === URL_BASE && method === 'POST') return json(status());
    if (url === `${URL_BASE}/proof` && method === 'POST') {
      // Only what the server really holds can go into the proof.
      const challenge = Buffer.from(JSON.parse(init.body).challenge, 'base64url');
      const held = join([...stored.keys()].sort((a, b) => a - b).map((i) => stored.get(i)));
      return json({ proof: await hex(join([new Uint8Array(challenge), held])) });
    }
    if (url === URL_BASE) return json(status());
    const part = url.match(/\/parts\/(\d+)$/);
    if (part && method === 'PUT') {
      stored.set(Number(part[1]), new Uint8Array(init.body));
      return json(status());
    }
    if (url === `${URL_BASE}/download`) {
      const bytes = join([...stored.keys()].sort((a, b) => a - b).map((i) => stored.get(i)));
      return { ok: true, status: 200, arrayBuffer: async () => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) };
    }
    return json({ error: { message: `no route ${method} ${url}` } }, 404);
  };
  return { record, stored, asked, stream, plain };
}

test('a server that says "complete" for a stream it never got does not take her only copy', async () => {
  const { record, asked } = await setting({ lying: true });
  const result = await runUpload(null, record, { fresh: true });
  assert.equal(result.ok, false, 'not taken as stored');
  assert.equal(result.stage, 'verify');
  assert.ok(asked.includes(`POST ${URL_BASE}/proof`), 'her browser asked the server to prove it holds the bytes');
  assert.ok(!asked.includes(`GET ${URL_BASE}/download`), 'without downloading the file again');
  assert.deepEqual(await storedIntact(record), { intact: false, status: 0 });
});

test('an honest server: sent, proved with the same bytes, done', async () => {
  const { record, stored, stream, asked } = await setting({ lying: false });
  const result = await runUpload(null, record, { fresh: true });
  assert.equal(result.ok, true, JSON.stringify(result));
  assert.ok(!asked.includes(`GET ${URL_BASE}/download`), 'no download on her data');
  assert.equal(stored.size, stream.parts.length);
  assert.deepEqual(await storedIntact(record), { intact: true, status: 200 });
  // One changed byte on the server, or another hash in its status, is not "stored".
  stored.get(1)[5] ^= 1;
  assert.equal((await storedIntact(record)).intact, false);
  stored.get(1)[5] ^= 1;
  assert.equal((await storedIntact({ ...record, sha256: '0'.repeat(64) })).intact, false);
});

test('a file changed on the server opens as damaged, not as an uncaught error', async () => {
  const { record, stored, stream, plain } = await setting({ lying: false });
  await runUpload(null, record, { fresh: true });
  const client = new PortfolioClient(null, 'programme-a');
  const entry = { item: { id: ITEM }, key: stream.key, meta: { streamSalt: stream.streamSalt, mediaType: 'image/jpeg' } };
  const good = await openFile(client, entry);
  assert.deepEqual(new Uint8Array(await good.blob.arrayBuffer()), plain);
  stored.get(2)[40] ^= 1; // tampered on the server
  assert.deepEqual(await openFile(client, entry), { damaged: true });
  stored.clear();
  assert.deepEqual(await openFile(client, entry), { damaged: true }, 'an empty stream is no file');
  globalThis.fetch = async () => ({ ok: false, status: 404 });
  assert.deepEqual(await openFile(client, entry), { failed: true });
});
