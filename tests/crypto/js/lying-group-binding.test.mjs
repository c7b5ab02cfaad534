// Which group a conversation is, against a server that lies about it (frontend/static/js/chat/keys.js,
// the file the browser is served). A group's conversation has the one id derived from its programme
// and group (docs/crypto-spec.md 8), so another group's valid record, served for this conversation,
// names nobody here; and a conversation whose record this session took cannot be served again as
// another group, another kind or without its record to bring back approvals or coaches.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ConversationKeys } from '../../../frontend/static/js/chat/keys.js';
import { CONVERSATION, ChatServer, GROUP, PROGRAMME, identity, lib } from './lying-harness.mjs';

async function setting() {
  const server = await new ChatServer().setUp();
  const [trainer, ann, bea, eve] = await Promise.all([
    identity('trainer.b', 'trainer'),
    identity('ann.b', 'ann'),
    identity('bea.b', 'bea'),
    identity('eve.b', 'eve'),
  ]);
  for (const person of [trainer, ann, bea, eve]) await server.serve(person);
  server.members = [
    { person_id: 'trainer', display_name: 'Trainer', role: 'trainer' },
    { person_id: 'ann', display_name: 'Ann', role: 'participant' },
    { person_id: 'bea', display_name: 'Bea', role: 'participant' },
  ];
  globalThis.document = { querySelector: () => null };
  const visit = (who) => server.visit(who, ConversationKeys);
  return { server, trainer, ann, bea, eve, visit };
}

const route = `GET /api/v1/chat/conversations/${CONVERSATION}`;

test('the id of a group conversation is the one both implementations derive from programme and group', async () => {
  const id = await lib.groupConversationId('0b0e3a9e-1111-4a4a-8a8a-000000000001', '0b0e3a9e-2222-4a4a-8a8a-000000000002');
  assert.equal(id, 'cee8bded-f0bf-8aa0-adc2-a9451425c6d2', 'the same value tests/unit/test_group_conversation_id.py pins');
  assert.notEqual(await lib.groupConversationId(PROGRAMME, GROUP), await lib.groupConversationId(PROGRAMME, 'group-2'));
  assert.notEqual(await lib.groupConversationId(PROGRAMME, GROUP), await lib.groupConversationId('programme-b', GROUP));
});

test("another group's valid record, served for this conversation, gives its members nothing", async () => {
  const { server, ann, eve, visit } = await setting();
  // Group 2 is real: staff signed it, and it names Ann (she is in it) and Eve.
  const other = await server.signGroup(
    [
      [ann, 'participant'],
      [eve, 'participant'],
    ],
    { groupId: 'group-2' },
  );
  server.members.push({ person_id: 'eve', display_name: 'Eve', role: 'participant' });
  server.lies[route] = (c) => ({ ...c, group_id: 'group-2', membership_record: other });
  const page = await visit(ann);
  assert.equal(page.membership, null, 'the record of group 2 is not about this conversation');
  assert.equal(server.reading().has('eve'), false, 'Eve gets no key of group 1');
  assert.deepEqual(server.grants.map((g) => g.recipient_id).filter((id) => id !== 'ann'), [], 'nobody unapproved gets a key');
  assert.equal(page.unconfirmed.find((m) => m.person_id === 'eve').reason, 'unapproved');
});

test('a conversation whose record the session took, served as another group, kind or without it, stops every grant', async () => {
  const { server, trainer, ann, bea, eve, visit } = await setting();
  server.record = await server.signGroup([
    [trainer, 'trainer'],
    [ann, 'participant'],
    [bea, 'participant'],
  ]);
  await visit(ann);
  assert.deepEqual([...server.reading()].sort(), ['ann', 'bea', 'trainer']);
  // Ann approved Eve once, in a supervision or unsigned conversation: that approval is for Eve's key.
  const approveEve = await visit(ann);
  await approveEve.trust.load();
  approveEve.people.delete('eve');
  await approveEve.trust.confirmPerson(await approveEve.person('eve'));

  server.members.push({ person_id: 'eve', display_name: 'Eve', role: 'participant' });
  for (const [why, lie] of [
    ['without its record', (c) => ({ ...c, membership_record: null })],
    ['as an unsigned group of another id', (c) => ({ ...c, group_id: 'group-9', membership_record: null })],
    ['as a supervision conversation', (c) => ({ ...c, kind: 'supervision', group_id: null, membership_record: null })],
  ]) {
    server.lies[route] = lie;
    server.rotationDue = true;
    const page = await visit(ann);
    assert.equal(page.groupProblem, 'withheld', why);
    assert.equal(server.reading().has('eve'), false, `Eve gets nothing when it is served ${why}`);
    assert.equal(server.epoch, 1, `no key is made when it is served ${why}`);
  }
});
