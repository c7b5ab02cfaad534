// The one trust decision shared by the portfolio and the chat (frontend/static/js/shared/trust.js),
// the very file the browser is served, against an in-memory server: pins, keys confirmed in person,
// a coach's vouch after a coach-assisted reset, a changed organisation or programme key, and two
// pages saving the pinned-keys record at once.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as lib from '../../../frontend/static/js/crypto/index.js';
import {
  KEY_CHANGED,
  PINS_MISSING,
  PINS_ROLLBACK,
  PINS_UNAVAILABLE,
  TRUSTED,
  Trust,
  UNVERIFIED,
  keysOf,
  sessionMarks,
} from '../../../frontend/static/js/shared/trust.js';

const TEST = { allowTestParams: true };
const ORG = 'org-1';
const PROGRAMME = 'programme-a';

async function person(login, userId) {
  const params = await lib.KdfParams.create({ memoryKib: 8, iterations: 1 });
  return (await lib.Identity.create(login, `${login} password`, { userId, params, ...TEST })).identity;
}

async function certificate(orgKey, programmeKey) {
  return orgKey.signRecord(
    lib.RecordKind.PROGRAMME_KEY_CERTIFICATE,
    { ed25519Public: programmeKey.public },
    { organisationId: ORG, programmeId: PROGRAMME, serial: 1, issuedAt: 1_780_000_000, signedBy: 'admin' },
  );
}

// What the server stores for one user: her pinned-keys record (revision only goes up) and the
// organisation and programme keys it serves.
class Server {
  constructor(orgKey, programmeKey) {
    this.record = null;
    this.revision = 0;
    this.puts = 0;
    this.orgKey = orgKey;
    this.programmeKey = programmeKey;
    this.down = false;
  }

  // What her browser does at sign-up: the organisation key she compared with her invitation
  // paper, pinned as confirmed in revision 1 of her record.
  async signUp(owner) {
    const entry = { kind: lib.FingerprintKind.ORGANISATION_KEY, subjectId: ORG, keyMaterial: this.orgKey.public, confirmed: true };
    this.record = lib.b64uEncode(await lib.sealPinnedKeys(owner, 1, [entry]));
    this.revision = 1;
    return this;
  }

  async serve(orgKey, programmeKey) {
    this.orgKey = orgKey;
    this.programmeKey = programmeKey;
    this.certificate = await certificate(orgKey, programmeKey);
  }

  api = async (path, body, method = body === undefined ? 'GET' : 'POST') => {
    if (this.down) return { ok: false, status: 503, data: null };
    if (path === '/api/v1/pinned-keys' && method === 'GET') {
      return this.record ? { ok: true, status: 200, data: { revision: this.revision, record: this.record } } : { ok: false, status: 204, data: null };
    }
    if (path === '/api/v1/pinned-keys' && method === 'PUT') {
      this.puts += 1;
      if (body.revision <= this.revision) return { ok: false, status: 409, data: { error: { message: 'newer' } } };
      this.revision = body.revision;
      this.record = body.record;
      return { ok: true, status: 200, data: body };
    }
    if (path === '/api/v1/trust/organisation') {
      return { ok: true, status: 200, data: { subject_id: ORG, ed25519_public: lib.b64uEncode(this.orgKey.public) } };
    }
    if (path === `/api/v1/trust/programmes/${PROGRAMME}`) {
      return { ok: true, status: 200, data: { certificate: lib.b64uEncode(this.certificate) } };
    }
    return { ok: false, status: 404, data: null };
  };
}

// A server for `owner` who signed up (her record holds the organisation key she compared).
async function start(owner) {
  const server = new Server(await lib.SigningKey.generate(), await lib.SigningKey.generate());
  await server.serve(server.orgKey, server.programmeKey);
  return server.signUp(owner);
}

async function vouchRow(voucher, subject, former) {
  const vouch = await lib.makeVouch(voucher, { subject, former, vouchedAt: 1_780_000_000 });
  return { public_identity: '', vouch: lib.b64uEncode(vouch) };
}

test('a person is pinned from a verified record, never at first sight; a changed key is refused; a key confirmed in person counts everywhere', async () => {
  const [coach, coachAgain, owner] = await Promise.all([person('coach.a', 'c1'), person('coach.a', 'c1'), person('mother.a', 'p1')]);
  const server = await start(owner);
  const portfolio = await new Trust(owner, { api: server.api }).load();
  assert.equal(await portfolio.personStatus(coach.person, { signed: await coach.person.fingerprint() }), TRUSTED);
  assert.equal((await portfolio.save()).ok, true);

  // The coach gets new keys: the assignment still names the old ones, the pin too.
  const chat = await new Trust(owner, { api: server.api }).load();
  const signed = await coach.person.fingerprint();
  assert.equal(await chat.personStatus(coachAgain.person, { signed }), KEY_CHANGED);
  assert.equal(await chat.personStatus(coachAgain.person), KEY_CHANGED, 'the pin alone refuses it too');
  const stranger = await person('someone', 'x1');
  assert.equal(await chat.personStatus(stranger.person), UNVERIFIED, 'no signed record, no pin: never at first sight');
  assert.equal(chat.entry(lib.FingerprintKind.PERSON, 'x1'), null);

  // She confirms the new key in person on the portfolio page; the chat page, loading again, agrees
  // even though the signed record names the key the coach held before.
  assert.equal((await portfolio.confirmPerson(coachAgain.person)).ok, true);
  await chat.load();
  assert.equal(await chat.personStatus(coachAgain.person, { signed }), TRUSTED);
  assert.equal(await chat.personStatus(coach.person, { signed }), KEY_CHANGED, 'the old key is not his any more');
});

test('two pages saving at once both keep what they decided; a record rolled back is refused', async () => {
  const [owner, a, b] = await Promise.all([person('mother.a', 'p1'), person('coach.a', 'c1'), person('coach.b', 'c2')]);
  const server = await start(owner);
  const marks = sessionMarks(); // one session: both pages share its high-water marks
  const one = await new Trust(owner, { api: server.api, marks }).load();
  const two = await new Trust(owner, { api: server.api, marks }).load();
  assert.equal(await one.personStatus(a.person, { signed: await a.person.fingerprint() }), TRUSTED);
  assert.equal(await two.personStatus(b.person, { signed: await b.person.fingerprint() }), TRUSTED);
  assert.equal((await one.save()).ok, true);
  assert.equal((await two.save()).ok, true, 'a 409 is taken in and saved again');
  const fresh = await new Trust(owner, { api: server.api, marks }).load();
  assert.ok(fresh.entry(lib.FingerprintKind.PERSON, 'c1') && fresh.entry(lib.FingerprintKind.PERSON, 'c2'));

  const old = { record: server.record, revision: server.revision };
  const x = (await person('coach.x', 'c3')).person;
  assert.equal(await fresh.personStatus(x, { signed: await x.fingerprint() }), TRUSTED);
  await fresh.save();
  server.record = old.record;
  server.revision = old.revision;
  await assert.rejects(() => fresh.load(), (error) => error.problem === PINS_ROLLBACK, 'an older record than seen is refused');
  // Another page of the same session, opened after the rollback, refuses it too.
  const later = new Trust(owner, { api: server.api, marks });
  await assert.rejects(() => later.load(), (error) => error.problem === PINS_ROLLBACK);
  assert.equal((await later.programmeKey(PROGRAMME)).key, null, 'nothing is trusted meanwhile');
});

test("her new key is taken on a verified coach's vouch only, along the chain from the key pinned here", async () => {
  const [coachB, coachA, stranger] = await Promise.all([person('coach.b', 'c2'), person('coach.a', 'c1'), person('someone', 'x1')]);
  const [before, after, later] = await Promise.all([person('mother.a', 'p1'), person('mother.a', 'p1'), person('mother.a', 'p1')]);
  const server = await start(coachB);
  const trust = await new Trust(coachB, { api: server.api }).load();
  assert.equal(await trust.participantStatus(before.person, { firstSight: true }), TRUSTED);
  await trust.save();

  assert.equal(await trust.personStatus(after.person), KEY_CHANGED, 'after the reset her key differs');
  const fromStranger = [await vouchRow(stranger, after.person, before.person)];
  assert.equal(await trust.acceptVouched(after.person, fromStranger, [coachA.person.ed25519Public]), false);
  const forAnotherKey = [await vouchRow(coachA, later.person, before.person)];
  assert.equal(await trust.acceptVouched(after.person, forAnotherKey, [coachA.person.ed25519Public]), false);
  const tampered = await vouchRow(coachA, after.person, before.person);
  const bytes = lib.b64uDecode(tampered.vouch);
  bytes[bytes.length - 1] ^= 1;
  tampered.vouch = lib.b64uEncode(bytes);
  assert.equal(await trust.acceptVouched(after.person, [tampered], [coachA.person.ed25519Public]), false);
  assert.equal(await trust.personStatus(after.person), KEY_CHANGED, 'none of that changed the pin');

  // Two resets, vouched one at a time: followed from the key pinned here to the key she has now.
  const rows = [await vouchRow(coachA, later.person, after.person), await vouchRow(coachA, after.person, before.person)];
  assert.equal(await trust.acceptVouched(later.person, rows, [coachA.person.ed25519Public]), true);
  assert.equal(await trust.personStatus(later.person), TRUSTED);
  assert.equal(trust.entry(lib.FingerprintKind.PERSON, 'p1').confirmed, true);
  await trust.save();
  const again = await new Trust(coachB, { api: server.api }).load();
  assert.deepEqual(again.entry(lib.FingerprintKind.PERSON, 'p1').keyMaterial, keysOf(later.person));
});

test('a changed organisation or programme key is named with both fingerprints and trusted only once confirmed', async () => {
  const owner = await person('mother.a', 'p1');
  const [orgKey, programmeKey, newProgrammeKey, newOrgKey] = await Promise.all(
    [1, 2, 3, 4].map(() => lib.SigningKey.generate()),
  );
  const server = new Server(orgKey, programmeKey);
  await server.serve(orgKey, programmeKey);
  await server.signUp(owner);
  const trust = await new Trust(owner, { api: server.api }).load();
  assert.deepEqual((await trust.programmeKey(PROGRAMME)).key, programmeKey.public);
  await trust.save();

  await server.serve(orgKey, newProgrammeKey);
  const changed = (await trust.programmeKey(PROGRAMME)).changed;
  assert.equal(changed.kind, lib.FingerprintKind.PROGRAMME_KEY);
  const fp = async (key) => lib.fingerprintText(await lib.fingerprint(lib.FingerprintKind.PROGRAMME_KEY, PROGRAMME, key.public));
  assert.equal(changed.before.text, await fp(programmeKey));
  assert.equal(changed.now.text, await fp(newProgrammeKey));
  assert.match(changed.now.qr, /^EPFP1:[0-9A-Z]{24}$/);
  assert.equal((await trust.programmeKey(PROGRAMME)).key, null, 'still not trusted on its own');

  // Swapped again while she was comparing: what she confirmed is not what is served, refused.
  await server.serve(orgKey, await lib.SigningKey.generate());
  assert.equal((await trust.confirmKey(changed)).status, 409);
  await server.serve(orgKey, newProgrammeKey);
  assert.equal((await trust.confirmKey(changed)).ok, true);
  const fresh = await new Trust(owner, { api: server.api }).load();
  assert.deepEqual((await fresh.programmeKey(PROGRAMME)).key, newProgrammeKey.public);

  // A new organisation key is named first; its programme key is then checked under it.
  await server.serve(newOrgKey, newProgrammeKey);
  const orgChange = (await fresh.programmeKey(PROGRAMME)).changed;
  assert.equal(orgChange.kind, lib.FingerprintKind.ORGANISATION_KEY);
  assert.equal((await fresh.confirmKey(orgChange)).ok, true);
  assert.deepEqual((await fresh.programmeKey(PROGRAMME)).key, newProgrammeKey.public);
});

test('a browser that never met her before the reset waits for a vouch instead of pinning at first sight', async () => {
  const [coachC, coachA, stranger] = await Promise.all([person('coach.c', 'c3'), person('coach.a', 'c1'), person('someone', 'x1')]);
  const [before, after] = await Promise.all([person('mother.a', 'p1'), person('mother.a', 'p1')]);
  const server = await start(coachC);
  const trust = await new Trust(coachC, { api: server.api }).load();
  const rows = [await vouchRow(stranger, after.person, before.person)];
  assert.equal(await trust.acceptVouched(after.person, rows, [coachA.person.ed25519Public]), false);
  assert.equal(trust.entry(lib.FingerprintKind.PERSON, 'p1'), null, 'nothing pinned');
  rows.push(await vouchRow(coachA, after.person, before.person));
  assert.equal(await trust.acceptVouched(after.person, rows, [coachA.person.ed25519Public]), true);
  assert.equal(trust.entry(lib.FingerprintKind.PERSON, 'p1').confirmed, true);
});

test("a key she held before counts once her pin moved only on a trusted coach's signed vouch", async () => {
  const [coachB, coachA, coachANew, other] = await Promise.all([
    person('coach.b', 'c2'), person('coach.a', 'c1'), person('coach.a', 'c1'), person('mother.a', 'p1'),
  ]);
  const [before, after] = await Promise.all([person('mother.a', 'p1'), person('mother.a', 'p1')]);
  const server = await start(coachB);
  const trust = await new Trust(coachB, { api: server.api }).load();
  assert.equal(await trust.personStatus(coachA.person, { signed: await coachA.person.fingerprint() }), TRUSTED);
  const { vouch } = await vouchRow(coachA, after.person, before.person);
  assert.equal(await trust.vouchedFormer(vouch, before.person, coachA.person), true);
  assert.equal(await trust.vouchedFormer(vouch, other.person, coachA.person), false, 'another former key');
  assert.equal(await trust.vouchedFormer(null, before.person, coachA.person), false, 'no vouch, no former key');
  // Signed by a key this browser does not trust for that coach (his key changed): refused.
  const forged = (await vouchRow(coachANew, after.person, before.person)).vouch;
  assert.equal(await trust.vouchedFormer(forged, before.person, coachANew.person), false);
  // Its own vouch counts without a pin.
  const own = (await vouchRow(coachB, after.person, before.person)).vouch;
  assert.equal(await trust.vouchedFormer(own, before.person, coachB.person, { own: true }), true);
});

test('withheld pins (204), an error or no answer stop everything; nothing is pinned at first sight', async () => {
  const owner = await person('mother.a', 'p1');
  const server = new Server(await lib.SigningKey.generate(), await lib.SigningKey.generate());
  await server.serve(server.orgKey, server.programmeKey);
  // The server withholds her record: the organisation key it serves is not taken.
  const trust = new Trust(owner, { api: server.api });
  await assert.rejects(() => trust.load(), (error) => error.problem === PINS_MISSING);
  const { key, changed } = await trust.programmeKey(PROGRAMME);
  assert.equal(key, null);
  assert.equal(changed.missing, true);
  assert.equal(changed.kind, lib.FingerprintKind.ORGANISATION_KEY);
  assert.equal(changed.before, null, 'there is no old code to show');
  assert.equal(server.puts, 0, 'nothing was pinned at first sight');
  // She compares the organisation's code with staff in person: her record starts again.
  assert.equal((await trust.confirmKey(changed)).ok, true);
  assert.equal(server.revision, 1);
  assert.deepEqual((await new Trust(owner, { api: server.api }).programmeKey(PROGRAMME)).key, server.programmeKey.public);

  // An error or no answer: nothing is trusted, nothing is saved.
  server.down = true;
  const down = new Trust(owner, { api: server.api });
  await assert.rejects(() => down.load(), (error) => error.problem === PINS_UNAVAILABLE);
  assert.deepEqual((await down.programmeKey(PROGRAMME)).changed, { problem: PINS_UNAVAILABLE });
});

test('a record withheld after the session saw one is restarted above what was seen', async () => {
  const owner = await person('mother.a', 'p1');
  const server = await start(owner);
  const marks = sessionMarks();
  const page = await new Trust(owner, { api: server.api, marks }).load();
  const coach = await person('coach.a', 'c1');
  await page.personStatus(coach.person, { signed: await coach.person.fingerprint() });
  await page.save();
  assert.equal(server.revision, 2);
  server.record = null; // withheld
  server.revision = 0;
  const next = new Trust(owner, { api: server.api, marks });
  const { changed } = await next.programmeKey(PROGRAMME);
  assert.equal(changed.missing, true);
  assert.equal((await next.confirmKey(changed)).ok, true);
  assert.equal(server.revision, 3, 'above revision 2, which this session saw');
});
