// Measurements as a lying server serves them (docs/crypto-spec.md 6.3, "who counts"): her browser
// opens a side only when her browser, not the server, says who may have written it. The self side
// only from the participant of the portfolio her own browser opened; the coach side only from a
// coach in a signed assignment her browser verified and that holds now, under the key it names.
// A side from anyone else (a former coach who still holds an older key, a key served under
// another person's id, a participant the server swapped in) is "could not be opened".
// Runs opened.js and sealed.js, the very files the browser is served.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { forgetConsent, openSides, rememberConsent, reportMissing } from '../../../frontend/static/js/measurements/opened.js';
import { sideValue } from '../../../frontend/static/js/measurements/scores.js';
import { openRow, sealRow } from '../../../frontend/static/js/modules/sealed.js';
import { PROGRAMME, lib, setting } from './lying-harness.mjs';

const bridge = { key: 'bridge-to-self-sufficiency', version: 1, lowest: 1, highest: 5, domains: [{ key: 'well-being' }] };

// A side written by `writer` with her portfolio's current key (a former coach kept an older one).
async function side(client, writer, { measurementId = 'm1', which, score = 3, rowId = `${which}-${writer.userId}`, authorId = writer.userId }) {
  const value = sideValue({ measurementId, side: which, instrument: bridge, scores: { 'well-being': score }, notes: {} });
  const sealed = await sealRow({ identity: writer, currentKey: client.currentKey, id: client.id }, { id: rowId, revision: 1, value });
  return {
    id: rowId,
    side: which,
    author_id: authorId,
    envelope: { envelope: sealed.envelope, key_id: sealed.key_id, item_key_wrap: sealed.item_key_wrap, revision: 1 },
  };
}

test('her own side and her verified coach\'s side open', async () => {
  const { her, coach, visit } = await setting();
  const client = await visit();
  const measurement = { id: 'm1', participant_id: her.userId, sides: [await side(client, her, { which: 'self', score: 2 }), await side(client, coach, { which: 'coach', score: 4 })] };
  const opened = await openSides(client, measurement, bridge);
  assert.equal(opened.broken, false);
  assert.equal(opened.self.scores['well-being'], 2);
  assert.equal(opened.coach.scores['well-being'], 4);
});

test('a coach side by someone with no verified assignment now (a former coach holding a key) cannot be opened', async () => {
  const { server, her, mallory, visit } = await setting();
  server.people.set(mallory.userId, lib.b64uEncode(await mallory.publicIdentity()));
  const client = await visit();
  const measurement = { id: 'm1', participant_id: her.userId, sides: [await side(client, mallory, { which: 'coach', score: 1 })] };
  const opened = await openSides(client, measurement, bridge);
  assert.equal(opened.coach, null);
  assert.equal(opened.broken, true);
});

test('a coach side by her coach after the server ended his assignment cannot be opened', async () => {
  const { server, her, coach, visit } = await setting();
  const client = await visit();
  const written = await side(client, coach, { which: 'coach' });
  server.lies[`GET /api/v1/programmes/programme-a/coach-assignments`] = (rows) => rows.map((r) => ({ ...r, ended_at: '2026-01-01T00:00:00Z' }));
  const later = await visit();
  const opened = await openSides(later, { id: 'm1', participant_id: her.userId, sides: [written] }, bridge);
  assert.equal(opened.coach, null);
  assert.equal(opened.broken, true);
});

test('the self side is checked against her portfolio\'s participant, not the participant the server names', async () => {
  const { server, her, mallory, visit } = await setting();
  server.people.set(mallory.userId, lib.b64uEncode(await mallory.publicIdentity()));
  const client = await visit();
  // The server says the measurement is Mallory's, and serves a self side Mallory wrote.
  const measurement = { id: 'm1', participant_id: mallory.userId, sides: [await side(client, mallory, { which: 'self', score: 5 })] };
  const opened = await openSides(client, measurement, bridge);
  assert.equal(opened.self, null);
  assert.equal(opened.broken, true);
  // Nor does a self side by Mallory open when the server names her as the participant.
  const named = { id: 'm1', participant_id: her.userId, sides: [await side(client, mallory, { which: 'self', authorId: her.userId })] };
  assert.equal((await openSides(client, named, bridge)).self, null);
});

test('a row opens only under an identity served for its author\'s own user id', async () => {
  const { server, coach, mallory, visit } = await setting();
  const client = await visit();
  // The server serves Mallory's identity under her coach's id, and a row Mallory wrote as his.
  server.people.set(coach.userId, lib.b64uEncode(await mallory.publicIdentity()));
  const row = await side(client, mallory, { which: 'coach', authorId: coach.userId });
  client.people.delete(coach.userId);
  assert.equal(await openRow(client, { id: row.id, authorId: coach.userId, envelope: row.envelope }), null);
  // Written by Mallory as herself, it opens (the key is hers; who she is is the caller's question).
  server.people.set(mallory.userId, lib.b64uEncode(await mallory.publicIdentity()));
  const own = await side(client, mallory, { which: 'coach' });
  assert.ok(await openRow(client, { id: own.id, authorId: mallory.userId, envelope: own.envelope }));
});

// A device's storage, as the browser's localStorage.
function storage() {
  const items = new Map();
  return { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => items.set(k, String(v)), removeItem: (k) => items.delete(k) };
}

// Her browser's report of one measurement with both sides opened; the bodies it POSTed to /reported.
async function report(server, client, options, measurement = null) {
  const m = measurement ?? { id: 'm1', participant_id: server.her.userId, reported_sides: [], both_submitted: true };
  const opened = { self: { scores: { 'well-being': 2 }, notes: { 'well-being': 'geheim' } }, coach: { scores: { 'well-being': 4 }, notes: {} } };
  server.routes.push((method, path) => (method === 'POST' && path.endsWith('/reported') ? { status: 200, data: {} } : undefined));
  const before = server.posted.length;
  await reportMissing('/api/v1/measurements/programmes/programme-a', m, opened, client, options);
  return server.posted.slice(before).filter((p) => p.path.endsWith('/reported')).map((p) => p.body);
}

test('a page that says she consents sends no number unless she agreed herself on this device', async () => {
  const { server, her, visit } = await setting();
  const client = await visit();
  const device = storage();
  // The server writes data-consenting="true", but she never clicked "I agree" here.
  assert.deepEqual(await report(server, client, { consenting: true, storage: device }), []);
  // She agrees herself: the numbers go, never the notes.
  rememberConsent(her, PROGRAMME, { storage: device });
  const sent = await report(server, client, { consenting: true, storage: device });
  assert.deepEqual(sent, [{ side: 'self', scores: { 'well-being': 2 } }, { side: 'coach', scores: { 'well-being': 4 } }]);
  // The server can stop reporting (she withdrew elsewhere), never start it.
  assert.deepEqual(await report(server, client, { consenting: false, storage: device }), []);
  // She stops on this device: nothing more goes, whatever the page says.
  forgetConsent(her, PROGRAMME, { storage: device });
  assert.deepEqual(await report(server, client, { consenting: true, storage: device }), []);
});

test('a coach\'s browser never reports, and her browser reports only her own measurement', async () => {
  const { server, her, coach, visit } = await setting();
  const device = storage();
  rememberConsent(her, PROGRAMME, { storage: device });
  rememberConsent(coach, PROGRAMME, { storage: device });
  const hers = await visit();
  // A measurement the server says is someone else's, on her page.
  assert.deepEqual(await report(server, hers, { consenting: true, storage: device }, { id: 'm2', participant_id: 'mallory', reported_sides: [], both_submitted: true }), []);
  // Her coach's browser on her pages, told she consents.
  server.me = coach;
  const his = await visit();
  his.identity = coach;
  his.owner = false;
  assert.deepEqual(await report(server, his, { consenting: true, storage: device }), []);
  // Nor when the server claims he owns it: the portfolio's participant is her, not him.
  his.owner = true;
  assert.deepEqual(await report(server, his, { consenting: true, storage: device }), []);
});
