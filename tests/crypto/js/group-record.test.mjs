// A group conversation admits its readers by the membership record staff signed with the
// programme key (frontend/static/js/chat/keys.js, the very file the browser is served), against a
// server that lies: members read each other at once, without comparing codes; a member the server
// slips in, an unsigned record, a record of another group or programme, an older serial, a record
// that names another key, or a record taken away gets nobody anything; a member a newer record
// leaves out stops counting and the next key is made without her.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ConversationKeys } from '../../../frontend/static/js/chat/keys.js';
import { CONVERSATION, ChatServer, identity, lib } from './lying-harness.mjs';

async function setting() {
  const server = await new ChatServer().setUp();
  const [trainer, ann, bea, eve] = await Promise.all([
    identity('trainer.a', 'trainer'),
    identity('ann.a', 'ann'),
    identity('bea.a', 'bea'),
    identity('eve', 'eve'),
  ]);
  for (const person of [trainer, ann, bea, eve]) await server.serve(person);
  server.members = [
    { person_id: 'trainer', display_name: 'Trainer', role: 'trainer' },
    { person_id: 'ann', display_name: 'Ann', role: 'participant' },
    { person_id: 'bea', display_name: 'Bea', role: 'participant' },
  ];
  globalThis.document = { querySelector: () => null };
  const visit = (who) => server.visit(who, ConversationKeys);
  const everyone = [
    [trainer, 'trainer'],
    [ann, 'participant'],
    [bea, 'participant'],
  ];
  return { server, trainer, ann, bea, eve, visit, everyone };
}

function reasons(keys) {
  return Object.fromEntries((keys.unconfirmed ?? []).map((m) => [m.person_id, m.reason]));
}

test('members named in the signed record read each other without comparing codes', async () => {
  const { server, trainer, ann, bea, visit, everyone } = await setting();
  server.record = await server.signGroup(everyone);
  const first = await visit(ann);
  assert.equal(first.groupProblem, null);
  assert.deepEqual([...server.reading()].sort(), ['ann', 'bea', 'trainer'], 'the first key, for all three at once');
  assert.deepEqual(reasons(first), {});
  for (const who of [trainer, bea]) {
    const page = await visit(who);
    assert.ok(page.currentKey, `${who.userId} opens the key Ann made`);
    assert.deepEqual(page.currentKey, first.currentKey);
    assert.deepEqual(reasons(page), {}, 'nobody waits for an approval');
  }
  // A message Ann seals opens for Bea, signed by Ann.
  const sealed = await first.seal('Hello group', 'client-000001');
  const beaPage = await visit(bea);
  const opened = await beaPage.openMessage({ epoch: 1, body: sealed, client_id: 'client-000001', author_id: 'ann' });
  assert.deepEqual(opened, { text: 'Hello group' });
});

test('a member the server slips in gets nothing, and no approval card lets anyone give her access', async () => {
  const { server, ann, eve, visit, everyone } = await setting();
  server.record = await server.signGroup(everyone);
  server.members.push({ person_id: 'eve', display_name: 'Eve', role: 'participant' });
  const page = await visit(ann);
  assert.equal(server.reading().has('eve'), false);
  assert.equal(reasons(page).eve, 'not_in_record');
  assert.equal(page.unconfirmed.find((m) => m.person_id === 'eve').fingerprint, undefined, 'nothing to approve');
  // Eve listed as holding the key (a lie): the next sender makes a new key without her.
  server.lies[`GET /api/v1/chat/conversations/${CONVERSATION}`] = (c) => ({
    ...c,
    members: c.members.map((m) => (m.person_id === 'eve' ? { ...m, can_read: true } : m)),
  });
  await visit(ann);
  assert.equal(server.epoch, 2);
  assert.deepEqual([...server.reading()].sort(), ['ann', 'bea', 'trainer']);
});

test('an unsigned record, or one of another group or programme, admits nobody', async () => {
  const { server, ann, visit, everyone } = await setting();
  const stranger = await lib.SigningKey.generate();
  for (const [why, record] of [
    ['signed by a key that is not the programme key', await server.signGroup(everyone, { key: stranger })],
    ['of another group', await server.signGroup(everyone, { groupId: 'group-2' })],
    ['of another programme', await server.signGroup(everyone, { programmeId: 'programme-b' })],
    ['ended by its own dates', await server.signGroup(everyone, { validUntil: Math.floor(Date.now() / 1000) - 60 })],
    ['not a record at all', 'AAAA'],
  ]) {
    server.record = record;
    const page = await visit(ann);
    assert.equal(page.groupProblem, 'invalid', why);
    assert.equal(server.epoch, 0, `no key is made under a record ${why}`);
    assert.deepEqual(server.grants, [], why);
  }
});

test('an older record after a newer one, or none after one, is refused; another key for a member is not taken', async () => {
  const { server, ann, bea, eve, visit, everyone } = await setting();
  const older = await server.signGroup(everyone, { serial: 1 });
  // Serial 2 names Bea by Eve's key (a server that swapped her key while staff signed).
  server.record = await server.signGroup(everyone, { serial: 2, fingerprints: { bea: await eve.person.fingerprint() } });
  let page = await visit(ann);
  assert.equal(page.groupProblem, null);
  assert.deepEqual([...server.reading()].sort(), ['ann', 'trainer'], 'not Bea: the record names another key');
  assert.equal(reasons(page).bea, 'key_changed');
  assert.equal(page.unconfirmed.find((m) => m.person_id === 'bea').fingerprint, undefined, 'no approval overrides the record');

  // The server serves serial 1 again (it named Bea's real key): Ann's session saw 2, so it is refused.
  server.record = older;
  page = await visit(ann);
  assert.equal(page.groupProblem, 'invalid');
  server.rotationDue = true;
  page = await visit(ann);
  assert.equal(server.epoch, 1, 'no key is made under a refused record');
  assert.equal(server.reading().has('bea'), false);

  // The server serves no record at all: approvals do not come back in its place.
  server.record = null;
  page = await visit(ann);
  assert.equal(page.groupProblem, 'withheld');
  assert.equal(server.epoch, 1);
  // A browser that never saw a record falls back to approvals: nobody is granted without one.
  const beaPage = await visit(bea);
  assert.equal(beaPage.groupProblem, null);
  assert.deepEqual(reasons(beaPage), { ann: 'unapproved', trainer: 'unapproved' });
  assert.equal(server.reading().has('bea'), false);
});

test('a member a newer record leaves out stops counting: the next key is made without her', async () => {
  const { server, trainer, ann, bea, visit, everyone } = await setting();
  server.record = await server.signGroup(everyone, { serial: 1 });
  await visit(trainer);
  assert.deepEqual([...server.reading()].sort(), ['ann', 'bea', 'trainer']);
  const before = (await visit(bea)).currentKey;
  assert.ok(before);

  // Staff take Bea out: serial 2 names the trainer and Ann. The server still lists Bea as reading
  // (and says nothing of a rotation): the trainer's browser makes the next key without her.
  server.record = await server.signGroup([everyone[0], everyone[1]], { serial: 2 });
  const page = await visit(trainer);
  assert.equal(server.epoch, 2);
  assert.deepEqual([...server.reading()].sort(), ['ann', 'trainer']);
  assert.equal(reasons(page).bea, 'not_in_record');
  // Ann takes the new key from the trainer; Bea's browser has none for it.
  assert.ok((await visit(ann)).currentKey);
  const beaPage = await visit(bea);
  assert.equal(beaPage.epochKeys.has(2), false);
  assert.equal(beaPage.groupProblem, 'not_named', 'her own browser sees the record no longer names her');
  assert.equal(server.epoch, 2, 'and makes no key of its own');
});
