// A coach who gave her keys leaves (docs/crypto-spec.md 6.3, "Keys she keeps"). Her browser grants
// every key it took from a reader who counts now to herself under her own key, so his leaving can
// take a reader away but never her keys; and a server that lies cannot use that to slip her a key:
// a "self-grant" she did not sign, or a key the departed coach made after he left, is never kept,
// granted on or sealed under; and his vouch for her new key after a reset lets her next coach meet
// it, but moves no pin a browser that knows her holds. After her reset her coach grants her only
// the keys he keeps, so a key only a departed coach gave him is not slipped to her as one to keep.
// Runs keyring.js, the very file the browser is served.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { PortfolioClient } from '../../../frontend/static/js/portfolio/keyring.js';
import { sessionMarks } from '../../../frontend/static/js/shared/trust.js';
import { PROGRAMME, grantsTo, identity, lib, setting } from './lying-harness.mjs';

const RESOURCE = { resourceType: 'portfolio', resourceId: 'pf-1' };

// Her coach (counting now) makes epoch 2 after epoch 1 and grants it to her and himself.
async function coachMakesEpoch(server, her, coach, previousKey) {
  const made = await lib.newEpoch(coach, { ...RESOURCE, epoch: 2, previousKey });
  server.epochs.push({ epoch: 2, record: lib.b64uEncode(made.record) });
  for (const who of [her, coach]) {
    const grant = await lib.makeGrant(coach, { ...RESOURCE, epoch: 2, key: made.key, recipient: who.person });
    server.grants.push({ epoch: 2, recipient_id: who.userId, grant: lib.b64uEncode(grant) });
  }
  server.portfolio.epoch = 2;
  return made.key;
}

// The POST /grants/own bodies her browser sent: { epoch -> grant bytes }.
function ownGrants(server) {
  const sent = new Map();
  for (const { method, path, body } of server.posted) {
    if (method !== 'POST' || !path.endsWith('/grants/own')) continue;
    for (const g of body.grants) sent.set(g.epoch, lib.b64uDecode(g.grant));
  }
  return sent;
}

test('after the coach who gave her a key leaves, she still opens every key, even with his records gone', async () => {
  const { server, her, coach, visit } = await setting();
  const first = await visit();
  const one = first.epochKeys.get(1);
  const two = await coachMakesEpoch(server, her, coach, one);

  // She opens her portfolio while he is her coach: the key he gave her is granted to her again,
  // signed by her own key, for this portfolio and epoch.
  const opened = await visit();
  assert.deepEqual(opened.epochKeys.get(2), two);
  const kept = ownGrants(server);
  assert.deepEqual([...kept.keys()], [2], 'epoch 1 was hers already; epoch 2 came from him');
  const { key } = await lib.openGrant(kept.get(2), her, [her.person.ed25519Public], { ...RESOURCE, epoch: 2 });
  assert.deepEqual(key, two);

  // He leaves: the server no longer serves his assignment (nor could her browser check it), and
  // says a new key is due.
  server.routes.push((method, path) => (path === `/api/v1/programmes/${PROGRAMME}/coach-assignments` ? { status: 200, data: [] } : undefined));
  server.portfolio.members = server.portfolio.members.filter((m) => m.person_id !== coach.userId);
  server.portfolio.rotation_due = true;
  const after = await visit();
  assert.equal(after.coaches.has(coach.userId), false);
  assert.deepEqual(after.epochKeys.get(1), one, 'what she wrote before he came still opens');
  assert.deepEqual(after.epochKeys.get(2), two, 'what was written while he was there still opens');
  assert.equal(server.portfolio.epoch, 3, 'her browser started a key without him');
  assert.ok(after.currentKey);
  assert.equal(after.tampered, false);
  assert.equal((await grantsTo(server, coach, 'portfolio', 'pf-1')).some((g) => g.epoch === 3), false, 'he gets nothing new');
  const back = await lib.openPreviousKey(lib.b64uDecode(server.epochs.find((e) => e.epoch === 3).record), after.currentKey, [her.person.ed25519Public], { ...RESOURCE, epoch: 3 });
  assert.deepEqual(back, two, 'the new key chains to the one he gave her');
});

test('without her own grant the same departure would have taken his key from her', async () => {
  // The control for the test above: the grant she kept is what carries the key.
  const { server, her, coach, visit } = await setting();
  const first = await visit();
  const two = await coachMakesEpoch(server, her, coach, first.epochKeys.get(1));
  await visit();
  server.grants = server.grants.filter((g) => !(g.epoch === 2 && g.recipient_id === her.userId));
  const hisGrant = await lib.makeGrant(coach, { ...RESOURCE, epoch: 2, key: two, recipient: her.person });
  server.grants.push({ epoch: 2, recipient_id: her.userId, grant: lib.b64uEncode(hisGrant) });
  server.routes.push((method, path) => (path === `/api/v1/programmes/${PROGRAMME}/coach-assignments` ? { status: 200, data: [] } : undefined));
  server.routes.push((method, path) => (path.endsWith('/grants/own') ? { status: 503, data: null } : undefined));
  const after = await visit();
  assert.equal(after.epochKeys.has(2), false, 'his signature alone no longer counts');
});

test('a self-grant she did not sign (the server\'s key under her name) is refused and never kept', async () => {
  const { server, her, visit } = await setting();
  const first = await visit();
  // Mallory makes a key pair that claims her user id, an epoch 2 and a "grant to herself".
  const fake = await identity('mallory', her.userId);
  const made = await lib.newEpoch(fake, { ...RESOURCE, epoch: 2, previousKey: first.epochKeys.get(1) });
  const grant = await lib.makeGrant(fake, { ...RESOURCE, epoch: 2, key: made.key, recipient: her.person });
  server.lies['GET /api/v1/portfolio/pf-1/grants/mine'] = (rows) => [...rows, { epoch: 2, recipient_id: her.userId, grant: lib.b64uEncode(grant) }];
  server.lies['GET /api/v1/portfolio/pf-1/epochs'] = (rows) => [...rows, { epoch: 2, record: lib.b64uEncode(made.record) }];
  server.lies['GET /api/v1/portfolio/pf-1'] = (p) => ({ ...p, epoch: 2 });
  server.lies[`POST /api/v1/portfolio/programmes/${PROGRAMME}/mine`] = (p) => ({ ...p, epoch: 2 });
  const page = await visit();
  assert.equal(page.epochKeys.has(2), false);
  assert.equal(page.currentKey, null);
  assert.equal(page.tampered, true);
  assert.equal(ownGrants(server).has(2), false, 'nothing she did not take is granted to her under her key');

  // Her own grant of epoch 1, served as the grant of epoch 2 (a replay), opens nothing either.
  const mine = server.grants.find((g) => g.epoch === 1 && g.recipient_id === her.userId).grant;
  server.lies['GET /api/v1/portfolio/pf-1/grants/mine'] = (rows) => [...rows, { epoch: 2, recipient_id: her.userId, grant: mine }];
  const replayed = await visit();
  assert.equal(replayed.epochKeys.has(2), false);
  assert.equal(replayed.currentKey, null);
});

test('a key the departed coach makes after he left is read at most, never kept, granted on or sealed under', async () => {
  const { server, her, coach, visit } = await setting();
  const first = await visit();
  // His assignment ends (the server says so; his record stays served: he counted before). Her
  // browser starts epoch 2 without him.
  server.routes.push((method, path) => {
    if (path !== `/api/v1/programmes/${PROGRAMME}/coach-assignments`) return undefined;
    return { status: 200, data: [{ coach_id: coach.userId, signed_record: lib.b64uEncode(server.assignment), ended_at: new Date().toISOString() }] };
  });
  await visit();
  assert.equal(server.portfolio.epoch, 2);
  // Then he and the server make an epoch 2 of their own (chained to the key he held), grant it
  // to her, and hide hers.
  const made = await lib.newEpoch(coach, { ...RESOURCE, epoch: 2, previousKey: first.epochKeys.get(1) });
  const grant = await lib.makeGrant(coach, { ...RESOURCE, epoch: 2, key: made.key, recipient: her.person });
  server.lies['GET /api/v1/portfolio/pf-1/epochs'] = (rows) => [...rows.filter((e) => e.epoch !== 2), { epoch: 2, record: lib.b64uEncode(made.record) }];
  server.lies['GET /api/v1/portfolio/pf-1/grants/mine'] = (rows) => [...rows.filter((g) => g.epoch !== 2), { epoch: 2, recipient_id: her.userId, grant: lib.b64uEncode(grant) }];
  const page = await visit();
  assert.equal(page.coaches.has(coach.userId), false);
  assert.equal(ownGrants(server).has(2), false, 'his key is not granted to her under her own key');
  assert.notDeepEqual(page.currentKey, made.key, 'she never seals under his key');
  assert.equal(server.portfolio.epoch, 3, 'her browser started a key of her own');
  assert.equal((await grantsTo(server, coach, 'portfolio', 'pf-1')).some((g) => g.epoch === 3), false, 'he gets nothing new');
  // Back along her own record to his key: still not hers to keep, on any later visit.
  const again = await visit();
  assert.ok(again.currentKey);
  assert.notDeepEqual(again.currentKey, made.key);
  assert.equal(ownGrants(server).has(2), false);
});

test("the departed coach's vouch lets her next coach meet her new key, but moves no pin a browser holds", async () => {
  const { server, her, coach } = await setting();
  const next = await identity('coach.b', 'coach-b');
  server.people.set(next.userId, lib.b64uEncode(await next.publicIdentity()));
  server.portfolio.members.push({ person_id: next.userId, role: 'coach', display_name: 'Coach B', has_current_grant: false });
  const meta = { organisationId: 'org-1', programmeId: PROGRAMME, issuedAt: Math.floor(Date.now() / 1000), signedBy: 'staff' };
  const nextRecord = await server.programme.signRecord(
    lib.RecordKind.COACH_ASSIGNMENT,
    { participantId: her.userId, coachId: next.userId, coachFingerprint: await next.fingerprint(), role: lib.CoachRole.INDIVIDUAL, validFrom: meta.issuedAt - 3600, validUntil: 0 },
    { ...meta, serial: 2 },
  );
  // Coach A has left (his record stays served, ended); Coach B is her coach now.
  server.routes.push((method, path) => (path === `/api/v1/programmes/${PROGRAMME}/coach-assignments`
    ? { status: 200, data: [
      { coach_id: coach.userId, signed_record: lib.b64uEncode(server.assignment), ended_at: new Date().toISOString() },
      { coach_id: next.userId, signed_record: lib.b64uEncode(nextRecord), ended_at: null },
    ] } : undefined));
  let formerRows = [];
  server.routes.push((method, path) => (path.endsWith(`/people/${her.userId}/former-identities`) ? { status: 200, data: formerRows } : undefined));
  server.lies['GET /api/v1/portfolio/pf-1'] = (p) => ({ ...p, my_role: 'coach' });
  const orgPin = [{ kind: lib.FingerprintKind.ORGANISATION_KEY, subjectId: 'org-1', keyMaterial: server.org.public, confirmed: true }];
  const coachB = async () => {
    const page = new PortfolioClient(next, PROGRAMME);
    await page.open('pf-1');
    await page.ensureAccess();
    return page;
  };
  server.me = next;

  // Her key was reset with Coach A, who vouched for the new key and then left. Coach B never met
  // her: A's vouch lets his browser take her new key.
  const reset = await identity('mother.a', her.userId);
  server.people.set(her.userId, lib.b64uEncode(await reset.publicIdentity()));
  const vouch = await lib.makeVouch(coach, { subject: reset.person, former: her.person, vouchedAt: meta.issuedAt });
  formerRows = [{ public_identity: lib.b64uEncode(await her.publicIdentity()), vouch: lib.b64uEncode(vouch) }];
  server.pins = { revision: 1, record: lib.b64uEncode(await lib.sealPinnedKeys(next, 1, orgPin)) };
  const met = await coachB();
  assert.equal(met.herKey, 'trusted', 'her next coach meets her new key on the vouch of the coach who checked it');
  assert.ok(met.counting.has(her.userId));

  // The server swaps her key for one of its own, and the departed coach signs a vouch for it:
  // Coach B's browser, which knows her key now, does not move its pin.
  const fake = await identity('mallory', her.userId);
  server.people.set(her.userId, lib.b64uEncode(await fake.publicIdentity()));
  const forged = await lib.makeVouch(coach, { subject: fake.person, former: reset.person, vouchedAt: meta.issuedAt + 60 });
  formerRows = [{ public_identity: lib.b64uEncode(await reset.publicIdentity()), vouch: lib.b64uEncode(forged) }, ...formerRows];
  server.posted = [];
  const swapped = await coachB();
  assert.equal(swapped.herKey, 'key_changed');
  assert.equal(swapped.counting.has(her.userId), false);
  assert.deepEqual(await grantsTo(server, fake, 'portfolio', 'pf-1', next), [], 'nothing is granted to the swapped key');
});

// Her coach's browser met her before her reset and kept epoch 1 under his own key
// (`coachKeptFirst`), or never sent his own grant (he met her key in the chat): either way he
// gives her back epoch 1, which came from her, and not what a departed coach alone gave him.
async function afterReset(coachKeptFirst) {
  const { server, her, coach, mallory, visit } = await setting();
  const meta = { organisationId: 'org-1', programmeId: PROGRAMME, issuedAt: Math.floor(Date.now() / 1000), signedBy: 'staff' };
  const orgPin = [{ kind: lib.FingerprintKind.ORGANISATION_KEY, subjectId: 'org-1', keyMaterial: server.org.public, confirmed: true }];
  server.people.set(mallory.userId, lib.b64uEncode(await mallory.publicIdentity()));
  const first = await visit();
  const one = first.epochKeys.get(1);

  // Her coach's browser meets her and keeps epoch 1 (her grant) under his own key.
  server.pins = { revision: 1, record: lib.b64uEncode(await lib.sealPinnedKeys(coach, 1, orgPin)) };
  server.me = coach;
  const coachMarks = sessionMarks();
  const coachVisit = async () => {
    const page = new PortfolioClient(coach, PROGRAMME);
    page.trust.marks = coachMarks;
    await page.open('pf-1');
    await page.ensureAccess();
    return page;
  };
  let refuseOwn = !coachKeptFirst;
  server.routes.push((method, path) => (refuseOwn && path.endsWith('/grants/own') ? { status: 503, data: null } : undefined));
  await coachVisit();
  refuseOwn = false;

  // Mallory was her coach before (her signed assignment has ended); with the server she makes an
  // epoch 2 from key 1 and grants it to him.
  const malloryRecord = await server.programme.signRecord(
    lib.RecordKind.COACH_ASSIGNMENT,
    { participantId: her.userId, coachId: mallory.userId, coachFingerprint: await mallory.fingerprint(), role: lib.CoachRole.INDIVIDUAL, validFrom: meta.issuedAt - 7200, validUntil: 0 },
    { ...meta, serial: 1 },
  );
  server.routes.push((method, path) => (path === `/api/v1/programmes/${PROGRAMME}/coach-assignments`
    ? { status: 200, data: [
      { coach_id: coach.userId, signed_record: lib.b64uEncode(server.assignment), ended_at: null },
      { coach_id: mallory.userId, signed_record: lib.b64uEncode(malloryRecord), ended_at: new Date().toISOString() },
    ] } : undefined));
  const made = await lib.newEpoch(mallory, { ...RESOURCE, epoch: 2, previousKey: one });
  server.epochs.push({ epoch: 2, record: lib.b64uEncode(made.record) });
  const toCoach = await lib.makeGrant(mallory, { ...RESOURCE, epoch: 2, key: made.key, recipient: coach.person });
  server.grants.push({ epoch: 2, recipient_id: coach.userId, grant: lib.b64uEncode(toCoach) });
  server.portfolio.epoch = 2;
  server.portfolio.members[0].has_current_grant = false;

  // Her key is reset with him: he opens the portfolio (her new key waits for his check) and
  // grants her what he holds after comparing codes.
  const reset = await identity('mother.a', her.userId);
  const before = lib.b64uEncode(await her.publicIdentity());
  server.people.set(her.userId, lib.b64uEncode(await reset.publicIdentity()));
  let vouch = null;
  server.routes.push((method, path, body) => {
    if (path.endsWith(`/people/${her.userId}/former-identities`)) return { status: 200, data: [{ public_identity: before, vouch }] };
    if (path.endsWith(`/people/${her.userId}/vouch`)) {
      vouch = body.vouch;
      return { status: 201, data: {} };
    }
    return undefined;
  });
  const page = await coachVisit();
  assert.equal(page.epochKeys.has(2), true, 'he reads what Mallory gave him');
  assert.equal(page.keptEpochs.has(2), false, 'but does not keep it');
  server.posted = [];
  const result = await page.grantEveryEpoch(her.userId, lib.fingerprintText(await reset.person.fingerprint()));
  assert.equal(result.ok, true);
  const granted = server.posted.filter((p) => p.path === '/api/v1/portfolio/pf-1/grants').map((p) => p.body.epoch);
  assert.deepEqual(granted, [1], 'only the key he keeps');

  // Her browser, on her new key, keeps epoch 1 and not Mallory's key.
  server.me = null;
  server.pins = { revision: 1, record: lib.b64uEncode(await lib.sealPinnedKeys(reset, 1, orgPin)) };
  server.posted = [];
  const mine = new PortfolioClient(reset, PROGRAMME);
  mine.trust.marks = sessionMarks();
  await mine.open();
  await mine.ensureAccess();
  assert.equal(mine.epochKeys.has(2), false);
  assert.equal(ownGrants(server).has(2), false, 'a key only a departed coach gave is never hers to keep');
  assert.equal(ownGrants(server).has(1), true);
}

test('after a reset her coach grants her only the keys he keeps, not one only a departed coach gave him', async () => {
  await afterReset(true);
});

test('after a reset her coach gives her back the keys she granted him with her key before, when he kept none', async () => {
  await afterReset(false);
});
