// Her portfolio's keys (frontend/static/js/portfolio/keyring.js, the very file the browser is
// served) against a server that lies about epochs and grants: a grant for another resource or
// epoch, an epoch record for another resource, a forked or rolled-back epoch, an epoch number the
// JSON names that the signed records do not. Each is refused: her browser has no key to seal
// under, and says so (`tampered`), rather than sealing where the attacker can read.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { NOW, ORG, PROGRAMME, lib, setting } from './lying-harness.mjs';

// The server says `epoch` is the current one, whichever way her browser opens the portfolio.
function claim(server, epoch) {
  server.lies[`GET /api/v1/portfolio/pf-1`] = (p) => ({ ...p, epoch });
  server.lies[`POST /api/v1/portfolio/programmes/${PROGRAMME}/mine`] = (p) => ({ ...p, epoch });
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
