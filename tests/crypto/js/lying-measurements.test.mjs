// Measurements as a lying server serves them (docs/crypto-spec.md 6.3, "who counts"): her browser
// opens a side only when her browser, not the server, says who may have written it. The self side
// only from the participant of the portfolio her own browser opened; the coach side only from a
// coach in a signed assignment her browser verified and that holds now, under the key it names.
// A side from anyone else (a former coach who still holds an older key, a key served under
// another person's id, a participant the server swapped in) is "could not be opened".
// Runs opened.js and sealed.js, the very files the browser is served.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  forgetConsent,
  newestSeen,
  openSides,
  rememberConsent,
  reportMissing,
  signConsent,
} from '../../../frontend/static/js/measurements/opened.js';
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

const TEXT = 'Ik ga akkoord dat mijn programma mijn scores gebruikt.';

// Her statement as her browser signs it on some phone (its own storage), base64url as served.
async function signedOn(identity, kind, { storage: device = storage(), now = Date.now() } = {}) {
  return signConsent(identity, PROGRAMME, { kind, text: TEXT, language: 'nl', storage: device, now });
}

test('a page that says she consents sends no number unless she agreed herself on this device', async () => {
  const { server, her, visit } = await setting();
  const client = await visit();
  const device = storage();
  const statement = await signedOn(her, 'agree', { storage: storage() });
  // The server writes data-consenting="true" and serves her signed 'agree' from another phone,
  // but she never clicked "I agree" here.
  assert.deepEqual(await report(server, client, { consenting: true, statement, storage: device }), []);
  // She agrees herself: the numbers go, never the notes.
  rememberConsent(her, PROGRAMME, { storage: device });
  const sent = await report(server, client, { consenting: true, statement, storage: device });
  assert.deepEqual(sent, [{ side: 'self', scores: { 'well-being': 2 } }, { side: 'coach', scores: { 'well-being': 4 } }]);
  // The server can stop reporting (she withdrew elsewhere), never start it.
  assert.deepEqual(await report(server, client, { consenting: false, statement, storage: device }), []);
  // She stops on this device: nothing more goes, whatever the page says.
  forgetConsent(her, PROGRAMME, { storage: device });
  assert.deepEqual(await report(server, client, { consenting: true, statement, storage: device }), []);
});

test('a consent row without her signature, or signed by another key, sends no number', async () => {
  const { server, her, mallory, coach, visit } = await setting();
  const client = await visit();
  const device = storage();
  rememberConsent(her, PROGRAMME, { storage: device });
  // The server says she consents and serves no statement (a row it wrote itself).
  assert.deepEqual(await report(server, client, { consenting: true, storage: device }), []);
  // Nor with an 'agree' signed by someone else, even under her user id's name.
  for (const signer of [mallory, coach]) {
    const forged = await signedOn(signer, 'agree');
    assert.deepEqual(await report(server, client, { consenting: true, statement: forged, storage: device }), []);
  }
  // Nor with a statement of hers changed by one bit.
  const raw = lib.b64uDecode(await signedOn(her, 'agree'));
  raw[raw.length - 1] ^= 1;
  assert.deepEqual(await report(server, client, { consenting: true, statement: lib.b64uEncode(raw), storage: device }), []);
  // Nor with her signed 'withdraw' served as if she consented.
  const stop = await signedOn(her, 'withdraw');
  assert.deepEqual(await report(server, client, { consenting: true, statement: stop, storage: device }), []);
  // Her own signed 'agree', newer than that 'withdraw': the numbers go.
  const agree = await signedOn(her, 'agree', { now: Date.now() + 60_000 });
  assert.equal((await report(server, client, { consenting: true, statement: agree, storage: device })).length, 2);
});

test('an old "agree" served after a newer "withdraw" this phone saw sends nothing', async () => {
  const { server, her, visit } = await setting();
  const client = await visit();
  const phone = storage();
  const other = storage();
  rememberConsent(her, PROGRAMME, { storage: phone });
  const agree = await signedOn(her, 'agree', { storage: other, now: 1_780_000_000_000 });
  assert.equal((await report(server, client, { consenting: true, statement: agree, storage: phone })).length, 2);
  // She withdraws on the other phone; the server serves that 'withdraw' to this phone once.
  const stop = await signedOn(her, 'withdraw', { storage: other, now: 1_780_000_100_000 });
  assert.deepEqual(await report(server, client, { consenting: false, statement: stop, storage: phone }), []);
  assert.deepEqual(newestSeen(her, PROGRAMME, { storage: phone }), { serial: 1_780_000_100_000, kind: 'withdraw' });
  // Then it lies: it says she consents and serves her old 'agree' again. This phone saw newer.
  assert.deepEqual(await report(server, client, { consenting: true, statement: agree, storage: phone }), []);
  // A withdrawal signed on this very phone stops it the same way, even if the server never keeps it.
  const third = storage();
  rememberConsent(her, PROGRAMME, { storage: third });
  assert.equal((await report(server, client, { consenting: true, statement: agree, storage: third })).length, 2);
  await signedOn(her, 'withdraw', { storage: third, now: 1_780_000_200_000 });
  rememberConsent(her, PROGRAMME, { storage: third }); // even were the device flag back
  assert.deepEqual(await report(server, client, { consenting: true, statement: agree, storage: third }), []);
  // Only a newer 'agree' of hers starts it again, and its serial is above all this phone saw.
  const again = await signedOn(her, 'agree', { storage: third, now: 1 });
  assert.ok(lib.readScoreConsent(lib.b64uDecode(again)).serial > 1_780_000_200_000);
  assert.equal((await report(server, client, { consenting: true, statement: again, storage: third })).length, 2);
});

test('a statement for another programme or another mother sends nothing', async () => {
  const { server, her, visit } = await setting();
  const client = await visit();
  const device = storage();
  rememberConsent(her, PROGRAMME, { storage: device });
  const elsewhere = await lib.signScoreConsent(her, { programmeId: 'programme-b', kind: 'agree', text: TEXT, language: 'nl', serial: 5 });
  assert.deepEqual(await report(server, client, { consenting: true, statement: lib.b64uEncode(elsewhere), storage: device }), []);
});

test('a coach\'s browser never reports, and her browser reports only her own measurement', async () => {
  const { server, her, coach, visit } = await setting();
  const device = storage();
  rememberConsent(her, PROGRAMME, { storage: device });
  rememberConsent(coach, PROGRAMME, { storage: device });
  const hers = await visit();
  const statement = await signedOn(her, 'agree');
  // Her own page with her signed 'agree' reports (so the refusals below are about who and what).
  assert.equal((await report(server, hers, { consenting: true, statement, storage: device })).length, 2);
  // A measurement the server says is someone else's, on her page.
  assert.deepEqual(await report(server, hers, { consenting: true, statement, storage: device }, { id: 'm2', participant_id: 'mallory', reported_sides: [], both_submitted: true }), []);
  // Her coach's browser on her pages, told she consents.
  server.me = coach;
  const his = await visit();
  his.identity = coach;
  his.owner = false;
  const hisStatement = await signedOn(coach, 'agree');
  for (const served of [statement, hisStatement]) {
    assert.deepEqual(await report(server, his, { consenting: true, statement: served, storage: device }), []);
    // Nor when the server claims he owns it: the portfolio's participant is her, not him.
    his.owner = true;
    assert.deepEqual(await report(server, his, { consenting: true, statement: served, storage: device }), []);
    his.owner = false;
  }
});
