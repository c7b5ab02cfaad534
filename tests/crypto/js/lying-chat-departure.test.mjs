// Her coach leaves her coaching conversation (frontend/static/js/chat/keys.js, the very file the
// browser is served; docs/crypto-spec.md 6.3): the server keeps listing him as able to read the
// current key and never says a rotation is due, or lists him as "on duty". Her browser makes a new
// key without him, as her portfolio does. Readers on duty her own browser granted keep theirs
// until the weekly rotation, so honest visits make no new key.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ConversationKeys } from '../../../frontend/static/js/chat/keys.js';
import { ChatServer, NOW, PROGRAMME, identity, lib } from './lying-harness.mjs';


async function coaching() {
  const server = await new ChatServer().setUp();
  const [her, coach, night] = await Promise.all([identity('mother.a', 'her'), identity('coach.a', 'coach'), identity('coach.night', 'night')]);
  for (const who of [her, coach, night]) await server.serve(who);
  server.kind = 'coaching';
  server.participantId = 'her';
  server.conversationId = await lib.conversationId('coaching', PROGRAMME, 'her');
  server.assignments = [await server.assign(her, coach)];
  server.roster = await server.signRoster([[night, lib.Duty.COACH, NOW - 3600, NOW + 8 * 3600]]);
  server.members = [
    { person_id: 'her', display_name: 'Her', role: 'participant' },
    { person_id: 'coach', display_name: 'Coach', role: 'coach' },
    { person_id: 'night', display_name: 'Night', role: 'on_duty' },
  ];
  globalThis.document = { querySelector: () => null };
  const first = await server.visit(her, ConversationKeys);
  assert.equal(server.epoch, 1);
  assert.deepEqual([...server.reading()].sort(), ['coach', 'her', 'night']);
  return { server, her, coach, night, first };
}

// Grants made out to `who` for `epoch` that he can open.
async function opens(server, who, epoch) {
  const resource = { resourceType: 'conversation', resourceId: server.conversationId, epoch };
  const signers = [...server.people.keys()];
  const keys = [];
  for (const row of server.grants.filter((g) => g.epoch === epoch && g.recipient_id === who.userId)) {
    try {
      const publics = await Promise.all(signers.map(async (id) => lib.Person.fromPublicIdentity(lib.b64uDecode(server.people.get(id)))));
      keys.push((await lib.openGrant(lib.b64uDecode(row.grant), who, publics.map((p) => p.ed25519Public), resource)).key);
    } catch {
      // not his
    }
  }
  return keys;
}

test('a coach whose assignment ended, still listed as reading, gets a new key made without him', async () => {
  const { server, her, coach } = await coaching();
  // Honest visits while he is her coach and the night coach on duty: no new key.
  await server.visit(her, ConversationKeys);
  await server.visit(coach, ConversationKeys);
  assert.equal(server.epoch, 1);

  // His assignment ends; the server still lists him as holding the key, with no rotation due.
  server.assignments = [await server.assign(her, coach, { endedAt: new Date().toISOString() })];
  const page = await server.visit(her, ConversationKeys);
  assert.equal(page.counting.has('coach'), false);
  assert.equal(server.epoch, 2, 'her browser made a new key without him');
  assert.deepEqual([...server.reading()].sort(), ['her', 'night']);
  assert.deepEqual(await opens(server, coach, 2), [], 'he opens nothing of the new key');
  assert.ok(page.currentKey);
  await server.visit(her, ConversationKeys);
  assert.equal(server.epoch, 2, 'and only once');
});

test('the server relabelling the departed coach as on duty does not keep him on her key', async () => {
  const { server, her, coach } = await coaching();
  server.assignments = [await server.assign(her, coach, { endedAt: new Date().toISOString() })];
  server.members = server.members.map((m) => (m.person_id === 'coach' ? { ...m, role: 'on_duty' } : m));
  await server.visit(her, ConversationKeys);
  assert.equal(server.epoch, 2, 'she never granted him as a reader on duty');
  assert.deepEqual(await opens(server, coach, 2), []);
});

test('a reader on duty she granted keeps the key until the weekly rotation, also after his shift', async () => {
  const { server, her, night } = await coaching();
  // Still on duty: nothing to do.
  await server.visit(her, ConversationKeys);
  assert.equal(server.epoch, 1);
  // His shift is over (a newer roster without him now or next); he still holds the key she gave
  // him on duty: her browser knows it granted him, so no new key on every visit.
  server.roster = await server.signRoster([[night, lib.Duty.COACH, NOW - 3 * 3600, NOW - 3600]], { serial: 2, validFrom: NOW - 4 * 3600 });
  const page = await server.visit(her, ConversationKeys);
  assert.equal(page.counting.has('night'), false);
  assert.equal(server.epoch, 1);
  // The weekly rotation leaves him out.
  server.rotationDue = true;
  await server.visit(her, ConversationKeys);
  assert.equal(server.epoch, 2);
  assert.deepEqual([...server.reading()].sort(), ['coach', 'her']);
});

test("in her coach's browser a departed co-coach still listed as reading gets a new key made without him", async () => {
  const { server, her, coach } = await coaching();
  const other = await identity('coach.b', 'other');
  await server.serve(other);
  server.members.push({ person_id: 'other', display_name: 'Other', role: 'coach' });
  server.assignments = [await server.assign(her, coach), await server.assign(her, other, { serial: 1 })];
  await server.visit(her, ConversationKeys);
  assert.ok(server.reading().has('other'));
  await server.visit(coach, ConversationKeys);
  assert.equal(server.epoch, 1, 'honest: the night coach on duty is hers to decide');
  server.assignments = [await server.assign(her, coach), await server.assign(her, other, { endedAt: new Date().toISOString() })];
  await server.visit(coach, ConversationKeys);
  assert.equal(server.epoch, 2);
  assert.equal(server.reading().has('other'), false);
});
