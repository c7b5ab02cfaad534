// What a second pair of eyes found a lying server could still do, each now refused: who "the
// participant" is and whose role this is come from her own id, not the server's JSON; a coach's
// browser takes her key at first sight only as her verified coach; a 1:1 conversation served as a
// group gives nobody off duty a key; only her verified coach vouches for a key she held before a
// reset; a pin revision the server names cannot leave no room for the next.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ConversationKeys } from '../../../frontend/static/js/chat/keys.js';
import { PortfolioClient } from '../../../frontend/static/js/portfolio/keyring.js';
import { sessionMarks } from '../../../frontend/static/js/shared/trust.js';
import { ORG, PROGRAMME, grantsTo, identity, lib, setting } from './lying-harness.mjs';

test('her own portfolio served as someone else\'s, or with another participant, is refused', async () => {
  const { server, mallory, visit } = await setting();
  await visit();
  server.people.set(mallory.userId, lib.b64uEncode(await mallory.publicIdentity()));
  const lie = (p) => ({ ...p, my_role: 'coach', participant_id: mallory.userId, rotation_due: true });
  server.lies[`POST /api/v1/portfolio/programmes/${PROGRAMME}/mine`] = lie;
  server.lies['GET /api/v1/portfolio/pf-1'] = lie;
  server.posted = [];
  await assert.rejects(() => visit(), (error) => error.status === 409);
  assert.deepEqual(await grantsTo(server, mallory, 'portfolio', 'pf-1'), []);
});

test("a coach's browser takes a participant's key at first sight only as her verified coach", async () => {
  const { server, her, coach, mallory } = await setting();
  const herPage = new PortfolioClient(her, PROGRAMME);
  await herPage.open(null);
  await herPage.ensureAccess();
  server.pins = { revision: 1, record: lib.b64uEncode(await lib.sealPinnedKeys(coach, 1, [{ kind: lib.FingerprintKind.ORGANISATION_KEY, subjectId: ORG, keyMaterial: server.org.public, confirmed: true }])) };
  server.me = coach;
  const marks = sessionMarks();
  server.lies['GET /api/v1/portfolio/pf-1'] = (p) => ({ ...p, my_role: 'coach' });
  const honest = new PortfolioClient(coach, PROGRAMME);
  honest.trust.marks = marks;
  await honest.open('pf-1');
  await honest.ensureAccess();
  assert.ok(honest.currentKey, 'her verified coach reads');
  // The server now says the participant of this portfolio is Mallory: refused outright.
  server.people.set(mallory.userId, lib.b64uEncode(await mallory.publicIdentity()));
  server.lies['GET /api/v1/portfolio/pf-1'] = (p) => ({ ...p, my_role: 'coach', participant_id: mallory.userId, rotation_due: true });
  const page = new PortfolioClient(coach, PROGRAMME);
  page.trust.marks = marks;
  await page.open('pf-1');
  await page.ensureAccess();
  assert.equal(page.counting.has(mallory.userId), false, 'no verified assignment makes him her coach');
  assert.equal(page.trust.entry(lib.FingerprintKind.PERSON, mallory.userId), null, 'nothing pinned at first sight');
  assert.deepEqual(await grantsTo(server, mallory, 'portfolio', 'pf-1', coach), []);
  assert.equal(page.currentKey, null);
});

test('her coaching conversation served with another participant gives that person nothing', async () => {
  const { server, her, mallory } = await setting();
  const C = 'conv-1';
  const conv = { id: C, participant_id: her.userId, epoch: 0, rotation_due: true, members: [
    { person_id: her.userId, role: 'participant', display_name: 'Her', can_read: false },
    { person_id: 'coach', role: 'coach', display_name: 'Coach', can_read: false },
  ] };
  const grants = [];
  server.routes.push((method, path, body) => {
    const ok = (data, status = 200) => ({ status, data });
    const base = `/api/v1/chat/conversations/${C}`;
    if (path === base) return ok(structuredClone(conv));
    if (path === `${base}/epochs` && method === 'GET') return ok([]);
    if (path === `${base}/grants/mine`) return ok([]);
    if (path.startsWith(`/api/v1/chat/programmes/`)) return ok(null, 404);
    if (path === `${base}/epochs` && method === 'POST') {
      for (const g of body.grants) grants.push({ epoch: body.epoch, ...g });
      return ok({ epoch: body.epoch }, 201);
    }
    if (path === `${base}/grants` && method === 'POST') {
      for (const g of body.grants) grants.push({ epoch: body.epoch, ...g });
      return ok([], 201);
    }
    return undefined;
  });
  server.people.set(mallory.userId, lib.b64uEncode(await mallory.publicIdentity()));
  server.lies[`GET /api/v1/chat/conversations/${C}`] = (c) => ({ ...c, participant_id: mallory.userId,
    members: [...c.members, { person_id: mallory.userId, role: 'participant', display_name: 'Mallory', can_read: false }] });
  const keys = new ConversationKeys(her, PROGRAMME);
  await keys.open(C);
  await keys.ensureAccess();
  assert.equal(keys.owner, false);
  assert.deepEqual(grants.filter((g) => g.recipient_id === mallory.userId), []);
});

test('only her verified coach vouches for a key she held before a reset', async () => {
  const { server, her, visit } = await setting();
  await visit();
  const [other, x] = await Promise.all([identity('another.mother', 'other'), identity('mother.a', 'her')]);
  // Another mother she approved in a group (pinned, confirmed) signs a vouch naming X as her key before.
  const vouch = await lib.makeVouch(other, { subject: her.person, former: x.person, vouchedAt: Math.floor(Date.now() / 1000) });
  server.people.set(other.userId, lib.b64uEncode(await other.publicIdentity()));
  const formerRow = { public_identity: lib.b64uEncode(await x.publicIdentity()), vouch: lib.b64uEncode(vouch) };
  server.routes.push((method, path) => (path.endsWith(`/people/${her.userId}/former-identities`)
    ? { status: 200, data: [formerRow] } : undefined));
  const page = new PortfolioClient(her, PROGRAMME);
  await page.open(null);
  await page.trust.load();
  await page.trust.confirmPerson(other.person);
  await page.ensureAccess();
  const formers = await page.formerPeople(her.userId);
  assert.deepEqual(formers, [], 'a key merely pinned here vouches for nothing');
});

test('a pin revision the server names beyond reason is not built on', async () => {
  const { server, her } = await setting();
  // The server serves a record that does not open, with a revision near the ceiling.
  server.lies['GET /api/v1/pinned-keys'] = () => ({ revision: Number.MAX_SAFE_INTEGER - 1, record: 'AQoA' });
  const page = new PortfolioClient(her, PROGRAMME);
  await page.open(null);
  await page.ensureAccess();
  assert.equal(page.trustProblem, 'pins_missing');
  assert.ok(page.keyChange?.missing);
  server.posted = [];
  await page.trust.confirmKey(page.keyChange).catch(() => null); // she compared the code in person
  const sent = server.posted.filter((p) => p.path === '/api/v1/pinned-keys').map((p) => p.body.revision);
  assert.ok(sent.length > 0);
  assert.ok(sent.every((revision) => revision < 2 ** 31), `her browser signed revisions ${sent}`);
});

test('a new revision of an item from before a coach left gets a new key, under the current epoch', async () => {
  const { server, visit } = await setting();
  let page = await visit();
  server.routes.push((method, path) => (path.startsWith('/api/v1/portfolio/items/') || path.endsWith('/items')
    ? { status: 200, data: { id: 'item-1' } } : undefined));
  const { itemKey } = await page.createItem({ id: 'item-1', kind: 'entry', audience: 'my_coaches', plaintext: new TextEncoder().encode('old') });
  const item = { id: 'item-1', audience: 'my_coaches', keys: [{ kind: 'epoch', epoch: 1 }], revision: 1 };
  server.portfolio.rotation_due = true;
  page = await visit();
  assert.equal(server.portfolio.epoch, 2);
  server.posted = [];
  const { itemKey: newKey } = await page.updateItem(item, itemKey, { plaintext: new TextEncoder().encode('new'), base: 1 });
  const put = server.posted.find((p) => p.path === '/api/v1/portfolio/items/item-1').body;
  assert.equal(put.keys.epoch, 2, 'wrapped under the current epoch');
  assert.notDeepEqual(newKey, itemKey, 'a new item key: whoever held the old one reads nothing new');
});
