// Which group a conversation is, against a server that lies about it (frontend/static/js/chat/keys.js,
// the file the browser is served). A group's conversation has the one id derived from its programme
// and group (docs/crypto-spec.md 8), so another group's valid record, served for this conversation,
// names nobody here; such an id (UUID version 8) served as another kind or group, even to a fresh
// session, gets nobody anything; and a conversation whose record this session took cannot be
// served again without its record to bring back approvals.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ConversationKeys } from '../../../frontend/static/js/chat/keys.js';
import { CONVERSATION, ChatServer, GROUP, NOW, PROGRAMME, identity, lib } from './lying-harness.mjs';

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

test('the id of a conversation is the one both implementations derive from kind, programme and subject', async () => {
  const [programme, subject] = ['0b0e3a9e-1111-4a4a-8a8a-000000000001', '0b0e3a9e-2222-4a4a-8a8a-000000000002'];
  // The same values tests/unit/test_conversation_id.py pins for the Python twin.
  assert.equal(await lib.conversationId('coaching', programme, subject), '0b58b468-bd1f-8659-876b-ebec255c0360');
  assert.equal(await lib.conversationId('group', programme, subject), '566b3872-3d1c-8e62-83e9-662c04b60fb7');
  assert.equal(await lib.conversationId('supervision', programme, subject), '375b958d-e165-85d4-adfd-da4dee5b630f');
  assert.notEqual(await lib.conversationId('group', PROGRAMME, GROUP), await lib.conversationId('group', PROGRAMME, 'group-2'));
  assert.notEqual(await lib.conversationId('group', PROGRAMME, GROUP), await lib.conversationId('group', 'programme-b', GROUP));
  await assert.rejects(lib.conversationId('portfolio', PROGRAMME, GROUP));
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
  assert.ok(!page.membership, 'the record of group 2 is not about this conversation');
  assert.equal(server.reading().has('eve'), false, 'Eve gets no key of group 1');
  assert.deepEqual(server.grants.map((g) => g.recipient_id).filter((id) => id !== 'ann'), [], 'nobody unapproved gets a key');
  assert.equal(page.groupProblem, 'invalid', "a group's conversation served as another group's");
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
  for (const [why, lie, problem] of [
    ['without its record', (c) => ({ ...c, membership_record: null }), 'withheld'],
    ['as an unsigned group of another id', (c) => ({ ...c, group_id: 'group-9', membership_record: null }), 'invalid'],
    ['as a supervision conversation', (c) => ({ ...c, kind: 'supervision', group_id: null, membership_record: null }), 'invalid'],
  ]) {
    server.lies[route] = lie;
    server.rotationDue = true;
    const page = await visit(ann);
    assert.equal(page.groupProblem, problem, why);
    assert.equal(server.reading().has('eve'), false, `Eve gets nothing when it is served ${why}`);
    assert.equal(server.epoch, 1, `no key is made when it is served ${why}`);
  }
});

test('a group conversation served as her coaching conversation, in a fresh session, gives her coach nothing', async () => {
  const { server, trainer, ann, bea, visit } = await setting();
  const carl = await identity('carl.b', 'carl');
  await server.serve(carl);
  server.record = await server.signGroup([
    [trainer, 'trainer'],
    [ann, 'participant'],
    [bea, 'participant'],
  ]);
  await visit(ann);
  assert.deepEqual([...server.reading()].sort(), ['ann', 'bea', 'trainer']);
  // Ann's next session (a new phone, or after logging out) starts without marks.
  server.marks.delete('ann');
  // Carl is Ann's coach by a valid signed assignment. To Ann's fresh session (no marks), the server
  // serves the group's conversation as Ann's own coaching conversation, with Carl as her coach.
  const assignment = await server.programme.signRecord(
    lib.RecordKind.COACH_ASSIGNMENT,
    { participantId: 'ann', coachId: 'carl', coachFingerprint: await carl.person.fingerprint(), role: lib.CoachRole.INDIVIDUAL, validFrom: NOW - 3600, validUntil: 0 },
    { ...server.meta, serial: 1 },
  );
  server.lies[`GET /api/v1/programmes/${PROGRAMME}/coach-assignments`] = () => [
    { coach_id: 'carl', signed_record: lib.b64uEncode(assignment), ended_at: null },
  ];
  server.members.push({ person_id: 'carl', display_name: 'Carl', role: 'coach' });
  server.lies[route] = (c) => ({ ...c, kind: 'coaching', group_id: null, participant_id: 'ann', membership_record: null });
  server.rotationDue = true;
  const page = await visit(ann);
  assert.equal(server.reading().has('carl'), false, "Carl gets no key of the group's conversation");
  assert.equal(server.grants.some((g) => g.recipient_id === 'carl'), false);
  assert.equal(page.groupProblem, 'invalid');
});

test('her coaching conversation served as an unsigned group gives someone she approved in a group nothing', async () => {
  const { server, ann, eve, visit } = await setting();
  // Ann approved Eve's key once, in a group staff never signed.
  const before = await visit(ann);
  await before.trust.load();
  await before.trust.confirmPerson(await before.person('eve'));
  // Her coaching conversation (its id derived from her id) served as an unsigned group with Eve in it.
  server.conversationId = await lib.conversationId('coaching', PROGRAMME, 'ann');
  server.members = [
    { person_id: 'ann', display_name: 'Ann', role: 'participant' },
    { person_id: 'eve', display_name: 'Eve', role: 'participant' },
  ];
  server.grants = [];
  server.epochs = [];
  server.epoch = 0;
  const page = await visit(ann);
  assert.equal(page.groupProblem, 'invalid');
  assert.equal(server.reading(1).has('eve'), false, 'Eve gets no key of her coaching conversation');
  assert.equal(server.grants.some((g) => g.recipient_id === 'eve'), false);
});
