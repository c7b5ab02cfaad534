// A reader on duty opens her coaching conversation (frontend/static/js/chat/keys.js, the very file
// the browser is served): he is a member but not her coach, so the programme lists him none of her
// assignments. His browser checks her coaches' signed records as served to a member of the
// conversation, so her coach counts there too: no false "could not be checked" about a coach whose
// record is fine, and no new key made without her. A record that does not verify still counts for
// nobody.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ConversationKeys } from '../../../frontend/static/js/chat/keys.js';
import { ChatServer, NOW, PROGRAMME, identity, lib } from './lying-harness.mjs';

async function escalated() {
  const server = await new ChatServer().setUp();
  const [her, coach, peer] = await Promise.all([identity('mother.d', 'her'), identity('coach.d', 'coach'), identity('peer.d', 'peer')]);
  for (const who of [her, coach, peer]) await server.serve(who);
  server.kind = 'coaching';
  server.participantId = 'her';
  server.conversationId = await lib.conversationId('coaching', PROGRAMME, 'her');
  server.assignments = [await server.assign(her, coach)];
  server.roster = await server.signRoster([[peer, lib.Duty.COACH, NOW - 3600, NOW + 8 * 3600]]);
  server.members = [
    { person_id: 'her', display_name: 'Her', role: 'participant' },
    { person_id: 'coach', display_name: 'Coach', role: 'coach' },
    { person_id: 'peer', display_name: 'Peer', role: 'on_duty' },
  ];
  globalThis.document = { querySelector: () => null };
  await server.visit(her, ConversationKeys);
  await server.visit(coach, ConversationKeys);
  assert.equal(server.epoch, 1);
  assert.deepEqual([...server.reading()].sort(), ['coach', 'her', 'peer']);
  return { server, her, coach, peer };
}

test("the reader on duty verifies her coach's signed assignment and says nothing is wrong", async () => {
  const { server, peer } = await escalated();
  const page = await server.visit(peer, ConversationKeys);
  assert.ok(page.currentKey, 'he reads her messages');
  assert.deepEqual(page.unconfirmed, [], 'her coach is not reported as unchecked');
  assert.ok(page.counting.has('coach'), 'her coach counts in his browser too');
  assert.equal(server.epoch, 1, 'no new key made without her coach');
});

test('a record not signed by the programme still vouches for nobody in his browser', async () => {
  const { server, her, coach, peer } = await escalated();
  const other = await lib.SigningKey.generate();
  const body = {
    participantId: her.userId,
    coachId: coach.userId,
    coachFingerprint: await coach.person.fingerprint(),
    role: lib.CoachRole.INDIVIDUAL,
    validFrom: NOW - 3600,
    validUntil: 0,
  };
  const forged = await other.signRecord(lib.RecordKind.COACH_ASSIGNMENT, body, { ...server.meta, serial: 1 });
  server.assignments = [{ coach_id: 'coach', signed_record: lib.b64uEncode(forged), ended_at: null }];
  const page = await server.visit(peer, ConversationKeys);
  assert.equal(page.counting.has('coach'), false);
  assert.deepEqual(page.unconfirmed.map((m) => [m.person_id, m.reason]), [['coach', 'unverified']]);
});
