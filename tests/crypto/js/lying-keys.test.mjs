// Her portfolio's keys (frontend/static/js/portfolio/keyring.js, the very file the browser is
// served) against a server that lies about epochs and grants: a grant for another resource or
// epoch, an epoch record for another resource, a forked or rolled-back epoch, an epoch number the
// JSON names that the signed records do not. Each is refused: her browser has no key to seal
// under, and says so (`tampered`), rather than sealing where the attacker can read.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as lib from '../../../frontend/static/js/crypto/index.js';
import { PortfolioClient } from '../../../frontend/static/js/portfolio/keyring.js';
import { sessionMarks } from '../../../frontend/static/js/shared/trust.js';

const TEST = { allowTestParams: true };
const ORG = 'org-1';
const PROGRAMME = 'programme-a';
const NOW = Math.floor(Date.now() / 1000);

async function identity(login, userId) {
  const params = await lib.KdfParams.create({ memoryKib: 8, iterations: 1 });
  return (await lib.Identity.create(login, `${login} password`, { userId, params, ...TEST })).identity;
}

// The honest state of one programme with her portfolio, which a test then bends.
class Server {
  async setUp(her, coach) {
    this.org = await lib.SigningKey.generate();
    this.programme = await lib.SigningKey.generate();
    const meta = { organisationId: ORG, programmeId: PROGRAMME, issuedAt: NOW, signedBy: 'staff' };
    this.certificate = await this.org.signRecord(lib.RecordKind.PROGRAMME_KEY_CERTIFICATE, { ed25519Public: this.programme.public }, { ...meta, serial: 1 });
    this.assignment = await this.programme.signRecord(
      lib.RecordKind.COACH_ASSIGNMENT,
      { participantId: her.userId, coachId: coach.userId, coachFingerprint: await coach.fingerprint(), role: lib.CoachRole.INDIVIDUAL, validFrom: NOW - 3600, validUntil: 0 },
      { ...meta, serial: 1 },
    );
    this.people = new Map();
    for (const person of [her, coach]) this.people.set(person.userId, lib.b64uEncode(await person.publicIdentity()));
    const entry = { kind: lib.FingerprintKind.ORGANISATION_KEY, subjectId: ORG, keyMaterial: this.org.public, confirmed: true };
    this.pins = { revision: 1, record: lib.b64uEncode(await lib.sealPinnedKeys(her, 1, [entry])) };
    this.portfolio = { id: 'pf-1', participant_id: her.userId, my_role: 'owner', epoch: 0, rotation_due: false, members: [
      { person_id: her.userId, role: 'owner', display_name: 'Her', has_current_grant: false },
      { person_id: coach.userId, role: 'coach', display_name: 'Coach', has_current_grant: false },
    ] };
    this.epochs = [];
    this.grants = []; // { epoch, recipient_id, grant }
    this.lies = {}; // path -> (data) => data
  }

  handle(method, path, body) {
    const ok = (data, status = 200) => ({ status, data });
    const base = `/api/v1/portfolio/${this.portfolio.id}`;
    if (path === '/api/v1/pinned-keys' && method === 'GET') return ok(this.pins);
    if (path === '/api/v1/pinned-keys' && method === 'PUT') {
      if (body.revision <= this.pins.revision) return ok({ error: { message: 'newer' } }, 409);
      this.pins = { revision: body.revision, record: body.record };
      return ok(body);
    }
    if (path === '/api/v1/trust/organisation') return ok({ subject_id: ORG, ed25519_public: lib.b64uEncode(this.org.public) });
    if (path === `/api/v1/trust/programmes/${PROGRAMME}`) return ok({ certificate: lib.b64uEncode(this.certificate) });
    const person = path.match(/^\/api\/v1\/trust\/programmes\/[^/]+\/people\/([^/]+)$/);
    if (person) return this.people.has(person[1]) ? ok({ public_identity: this.people.get(person[1]) }) : ok(null, 404);
    if (path.endsWith('/former-identities')) return ok([]);
    if (path === `/api/v1/programmes/${PROGRAMME}/coach-assignments`) {
      return ok([{ coach_id: this.portfolio.members[1].person_id, signed_record: lib.b64uEncode(this.assignment), ended_at: null }]);
    }
    if (path === `/api/v1/portfolio/programmes/${PROGRAMME}/mine` || path === base) return ok(this.portfolio);
    if (path === `${base}/epochs` && method === 'GET') return ok(this.epochs);
    if (path === `${base}/grants/mine`) return ok(this.grants.filter((g) => g.recipient_id === this.portfolio.participant_id));
    if (path === `${base}/epochs` && method === 'POST') {
      if (body.epoch !== this.portfolio.epoch + 1) return ok({ error: { message: 'stale' } }, 409);
      this.portfolio.epoch = body.epoch;
      this.portfolio.rotation_due = false;
      this.epochs.push({ epoch: body.epoch, record: body.record });
      for (const g of body.grants) this.grants.push({ epoch: body.epoch, recipient_id: g.recipient_id, grant: g.grant });
      for (const m of this.portfolio.members) m.has_current_grant = body.grants.some((g) => g.recipient_id === m.person_id);
      return ok({ epoch: body.epoch }, 201);
    }
    if (path === `${base}/grants` && method === 'POST') return ok([], 201);
    return ok({ error: { message: `no route ${method} ${path}` } }, 404);
  }

  fetch = async (url, init = {}) => {
    const { pathname } = new URL(url, 'http://localhost');
    const body = init.body === undefined ? undefined : JSON.parse(init.body);
    let { status, data } = this.handle(init.method ?? 'GET', pathname, body);
    const lie = this.lies[`${init.method ?? 'GET'} ${pathname}`];
    if (lie) data = lie(structuredClone(data));
    return { ok: status >= 200 && status < 300, status, json: async () => data };
  };
}

// The server says `epoch` is the current one, whichever way her browser opens the portfolio.
function claim(server, epoch) {
  server.lies[`GET /api/v1/portfolio/pf-1`] = (p) => ({ ...p, epoch });
  server.lies[`POST /api/v1/portfolio/programmes/${PROGRAMME}/mine`] = (p) => ({ ...p, epoch });
}

async function setting() {
  const [her, coach, mallory] = await Promise.all([identity('mother.a', 'her'), identity('coach.a', 'coach'), identity('mallory', 'mallory')]);
  const server = new Server();
  await server.setUp(her, coach);
  globalThis.document = { querySelector: () => null };
  globalThis.fetch = server.fetch;
  const marks = sessionMarks(); // her session's high-water marks, shared by every page she opens
  const visit = async () => {
    const client = new PortfolioClient(her, PROGRAMME);
    client.trust.marks = marks;
    await client.open(null);
    await client.ensureAccess();
    return client;
  };
  return { server, her, coach, mallory, visit };
}

test('a grant for another resource, or for another epoch, opens nothing', async () => {
  const { server, her, coach, visit } = await setting();
  let page = await visit();
  assert.equal(server.portfolio.epoch, 1);
  assert.ok(page.currentKey);

  // Her coach (who counts) granted her a key for another resource; the server serves it as hers.
  const other = await lib.newEpoch(coach, { resourceType: 'portfolio', resourceId: 'pf-other', epoch: 2, previousKey: page.currentKey });
  const wrong = await lib.makeGrant(coach, { resourceType: 'portfolio', resourceId: 'pf-other', epoch: 2, key: other.key, recipient: her.person });
  server.lies[`GET /api/v1/portfolio/pf-1/grants/mine`] = (rows) => [...rows, { epoch: 2, grant: lib.b64uEncode(wrong) }];
  server.lies[`GET /api/v1/portfolio/pf-1/epochs`] = (rows) => [...rows, { epoch: 2, record: lib.b64uEncode(other.record) }];
  claim(server, 2);
  page = await visit();
  assert.equal(page.epochKeys.has(2), false, 'neither the record nor the grant is about this portfolio');
  assert.equal(page.currentKey, null);
  assert.equal(page.tampered, true);

  // A grant for epoch 1 of this portfolio served as the grant for epoch 2.
  const first = server.grants.find((g) => g.recipient_id === her.userId && g.epoch === 1).grant;
  const second = await lib.newEpoch(coach, { resourceType: 'portfolio', resourceId: 'pf-1', epoch: 2, previousKey: page.epochKeys.get(1) });
  server.lies[`GET /api/v1/portfolio/pf-1/grants/mine`] = (rows) => [...rows, { epoch: 2, grant: first }];
  server.lies[`GET /api/v1/portfolio/pf-1/epochs`] = (rows) => [...rows, { epoch: 2, record: lib.b64uEncode(second.record) }];
  page = await visit();
  assert.equal(page.epochKeys.has(2), false);
  assert.equal(page.currentKey, null, 'the JSON says epoch 2; the grant says epoch 1');
});

test("an epoch and grant signed by someone the server adds are refused, whatever epoch number the JSON names", async () => {
  const { server, her, mallory, visit } = await setting();
  await visit();
  server.people.set(mallory.userId, lib.b64uEncode(await mallory.publicIdentity()));
  const made = await lib.newEpoch(mallory, { resourceType: 'portfolio', resourceId: 'pf-1', epoch: 2, previousKey: crypto.getRandomValues(new Uint8Array(32)) });
  const grant = await lib.makeGrant(mallory, { resourceType: 'portfolio', resourceId: 'pf-1', epoch: 2, key: made.key, recipient: her.person });
  server.portfolio.members.push({ person_id: mallory.userId, role: 'coach', display_name: 'Mallory', has_current_grant: true });
  server.lies[`GET /api/v1/portfolio/pf-1/grants/mine`] = (rows) => [...rows, { epoch: 2, grant: lib.b64uEncode(grant) }];
  server.lies[`GET /api/v1/portfolio/pf-1/epochs`] = (rows) => [...rows, { epoch: 2, record: lib.b64uEncode(made.record) }];
  claim(server, 2);
  const page = await visit();
  assert.equal(page.epochKeys.has(2), false);
  assert.equal(page.currentKey, null);
  assert.ok(page.unconfirmed.some((m) => m.person_id === mallory.userId), 'Mallory is shown as not checked');
});

test('a forked epoch (two keys for one epoch) stops sealing', async () => {
  const { server, her, coach, visit } = await setting();
  const page = await visit();
  const one = page.epochKeys.get(1);
  // Her coach (who counts) and the server make a second record for epoch 2 beside the honest one.
  server.portfolio.rotation_due = true;
  await visit();
  assert.equal(server.portfolio.epoch, 2);
  const fork = await lib.newEpoch(coach, { resourceType: 'portfolio', resourceId: 'pf-1', epoch: 2, previousKey: one });
  const grant = await lib.makeGrant(coach, { resourceType: 'portfolio', resourceId: 'pf-1', epoch: 2, key: fork.key, recipient: her.person });
  server.lies[`GET /api/v1/portfolio/pf-1/grants/mine`] = (rows) => [...rows, { epoch: 2, grant: lib.b64uEncode(grant) }];
  server.lies[`GET /api/v1/portfolio/pf-1/epochs`] = (rows) => [...rows, { epoch: 2, record: lib.b64uEncode(fork.record) }];
  const forked = await visit();
  assert.equal(forked.fork, true);
  assert.equal(forked.currentKey, null);
  assert.equal(forked.tampered, true);
});

test('an epoch older than her session saw is refused as current (a rollback)', async () => {
  const { server, visit } = await setting();
  await visit();
  server.portfolio.rotation_due = true;
  const second = await visit();
  assert.equal(server.portfolio.epoch, 2);
  assert.ok(second.currentKey);
  // The server hides epoch 2 and says epoch 1 is current again (from before a coach left, say).
  server.lies[`GET /api/v1/portfolio/pf-1/grants/mine`] = (rows) => rows.filter((g) => g.epoch === 1);
  server.lies[`GET /api/v1/portfolio/pf-1/epochs`] = (rows) => rows.filter((e) => e.epoch === 1);
  claim(server, 1);
  const rolled = await visit();
  assert.equal(rolled.rollback, true);
  assert.equal(rolled.currentKey, null);
  assert.equal(rolled.tampered, true);
});

test("a start record served again after its signed end (an older serial) does not make him her coach again", async () => {
  const { server, her, coach, visit } = await setting();
  let page = await visit();
  assert.ok(page.coaches.has(coach.userId));
  const start = server.assignment;
  const meta = { organisationId: ORG, programmeId: PROGRAMME, issuedAt: NOW, signedBy: 'staff' };
  const body = { participantId: her.userId, coachId: coach.userId, coachFingerprint: await coach.fingerprint(), role: lib.CoachRole.INDIVIDUAL, validFrom: NOW - 3600 };
  server.assignment = await server.programme.signRecord(lib.RecordKind.COACH_ASSIGNMENT, { ...body, validUntil: NOW - 60 }, { ...meta, serial: 2 });
  page = await visit();
  assert.equal(page.coaches.has(coach.userId), false, 'ended by its signed end record');
  server.assignment = start; // the server serves the start record again
  page = await visit();
  assert.equal(page.coaches.has(coach.userId), false, 'an older serial than this session saw is refused');
});
