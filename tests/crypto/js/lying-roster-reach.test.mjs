// How far the programme's signed duty roster reaches (frontend/static/js/chat/keys.js, the very
// file the browser is served; docs/crypto-spec.md 6.3): a shift makes someone a reader, and a
// signer of epochs and grants, of her coaching conversation only, and only while on duty now or on
// the next shift of that duty. A lying server with a person on the roster (a coach with some
// shift this week) cannot make a group's or a supervision conversation's members, or her coach,
// take a key that person made. And a later roster served before its time does not make the roster
// in force be refused for the rest of the session.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ConversationKeys } from '../../../frontend/static/js/chat/keys.js';
import { Writer, concat } from '../../../frontend/static/js/crypto/encoding.js';
import { sessionMarks } from '../../../frontend/static/js/shared/trust.js';
import { CONVERSATION, ChatServer, NOW, PROGRAMME, identity, lib, setting } from './lying-harness.mjs';

const DAY = 86_400;

// An epoch record a person signs for `epoch` of conversation `id`, chained to a key she does not
// hold (its box is noise): enough for a browser that takes her as a signer to take its key as
// current from her grant.
async function forgedEpoch(creator, id, epoch, previousKey) {
  const key = crypto.getRandomValues(new Uint8Array(32));
  const header = new Writer(0x09)
    .str16('conversation')
    .str16(id)
    .u32(epoch)
    .raw(await lib.keyId(key), 16)
    .raw(await lib.keyId(previousKey), 16)
    .str16(creator.userId)
    .raw(creator.person.ed25519Public, 32)
    .getValue();
  const signed = new Writer().raw(header).bytes16(crypto.getRandomValues(new Uint8Array(60))).getValue();
  return { key, record: concat(signed, await creator.sign('eportfolio/v1/sig/epoch', signed)) };
}

// The server posts `creator`'s epoch as the next one, with her grants to `recipients`.
async function inject(server, creator, recipients, previousKey) {
  const id = server.conversationId ?? CONVERSATION;
  const epoch = server.epoch + 1;
  const made = await forgedEpoch(creator, id, epoch, previousKey);
  server.epoch = epoch;
  server.epochs.push({ epoch, record: lib.b64uEncode(made.record), created_by: creator.userId });
  for (const who of recipients) {
    const grant = await lib.makeGrant(creator, { resourceType: 'conversation', resourceId: id, epoch, key: made.key, recipient: who.person });
    server.grants.push({ epoch, recipient_id: who.userId, granter_id: creator.userId, grant: lib.b64uEncode(grant) });
  }
  return made.key;
}

// Nothing sealed under `key`: her browser has no current key to seal under, and says so.
function refuses(page, key) {
  assert.notDeepEqual(page.currentKey, key, 'the roster person\'s key is not taken as current');
  assert.equal(page.currentKey, null);
  assert.equal(page.tampered, true, 'she is told a key was refused');
}

test('a person on duty now in the roster is no signer in a group: members refuse her epoch', async () => {
  const server = await new ChatServer().setUp();
  const [trainer, ann, bea, eve] = await Promise.all([identity('trainer.a', 'trainer'), identity('ann.a', 'ann'), identity('bea.a', 'bea'), identity('eve', 'eve')]);
  for (const who of [trainer, ann, bea, eve]) await server.serve(who);
  server.members = [
    { person_id: 'trainer', display_name: 'T', role: 'trainer' },
    { person_id: 'ann', display_name: 'A', role: 'participant' },
    { person_id: 'bea', display_name: 'B', role: 'participant' },
  ];
  globalThis.document = { querySelector: () => null };
  server.record = await server.signGroup([[trainer, 'trainer'], [ann, 'participant'], [bea, 'participant']]);
  const first = await server.visit(ann, ConversationKeys);
  const one = first.currentKey;
  assert.ok(one);
  await server.visit(bea, ConversationKeys);
  // Eve is on duty now in the programme's signed roster; the group's signed list does not name her.
  server.roster = await server.signRoster([[eve, lib.Duty.COACH, NOW - 3600, NOW + DAY]]);
  const evil = await inject(server, eve, [trainer, ann, bea], one);
  for (const who of [ann, bea]) {
    const page = await server.visit(who, ConversationKeys);
    refuses(page, evil);
    assert.equal(page.counting.has('eve'), false);
    assert.deepEqual(page.epochKeys.get(1), one, 'what was written before still opens');
  }
});

test('a supervisor on duty now is no reader or signer of a supervision chat she was not approved in', async () => {
  const server = await new ChatServer().setUp();
  const [coach, sue, eve] = await Promise.all([identity('coach.a', 'coach'), identity('sue', 'sue'), identity('eve', 'eve')]);
  for (const who of [coach, sue, eve]) await server.serve(who);
  server.kind = 'supervision';
  server.coachId = 'coach';
  server.conversationId = await lib.conversationId('supervision', PROGRAMME, 'coach');
  server.members = [
    { person_id: 'coach', display_name: 'C', role: 'coach' },
    { person_id: 'sue', display_name: 'S', role: 'supervisor' },
    { person_id: 'eve', display_name: 'E', role: 'supervisor' },
  ];
  globalThis.document = { querySelector: () => null };
  server.roster = await server.signRoster([[eve, lib.Duty.SUPERVISOR, NOW - 3600, NOW + DAY]]);
  let page = await server.visit(coach, ConversationKeys);
  const one = page.currentKey;
  assert.ok(one);
  assert.deepEqual([...server.reading()], ['coach'], 'the supervisor on duty waits for his approval');
  assert.deepEqual(Object.fromEntries(page.unconfirmed.map((m) => [m.person_id, m.reason])), { sue: 'unapproved', eve: 'unapproved' });
  await page.approve('sue', lib.fingerprintText(await sue.person.fingerprint()));
  assert.deepEqual([...server.reading()].sort(), ['coach', 'sue']);

  const evil = await inject(server, eve, [coach, sue], one);
  page = await server.visit(coach, ConversationKeys);
  refuses(page, evil);
  assert.equal(server.grants.some((g) => g.recipient_id === 'eve' && g.granter_id === 'coach'), false, 'she gets nothing from him');
});

// Her coaching conversation: her coach, and the night coach on duty now, the day coach next, and
// Eve with a shift later in the week.
async function coaching() {
  const server = await new ChatServer().setUp();
  const [her, coach, night, day, eve] = await Promise.all([
    identity('mother.a', 'her'),
    identity('coach.a', 'coach'),
    identity('coach.night', 'night'),
    identity('coach.day', 'day'),
    identity('eve', 'eve'),
  ]);
  for (const who of [her, coach, night, day, eve]) await server.serve(who);
  server.kind = 'coaching';
  server.participantId = 'her';
  server.conversationId = await lib.conversationId('coaching', PROGRAMME, 'her');
  server.assignments = [await server.assign(her, coach)];
  server.roster = await server.signRoster([
    [night, lib.Duty.COACH, NOW - 3600, NOW + 8 * 3600],
    [day, lib.Duty.COACH, NOW + DAY, NOW + DAY + 8 * 3600],
    [eve, lib.Duty.COACH, NOW + 3 * DAY, NOW + 3 * DAY + 8 * 3600],
  ]);
  server.members = [
    { person_id: 'her', display_name: 'Her', role: 'participant' },
    { person_id: 'coach', display_name: 'Coach', role: 'coach' },
    { person_id: 'night', display_name: 'Night', role: 'on_duty' },
    { person_id: 'day', display_name: 'Day', role: 'on_duty' },
    { person_id: 'eve', display_name: 'Eve', role: 'on_duty' },
  ];
  globalThis.document = { querySelector: () => null };
  return { server, her, coach, night, day, eve };
}

test('in her coaching conversation only readers on duty now or next sign: a later shift does not', async () => {
  const { server, her, coach, night, eve } = await coaching();
  const first = await server.visit(her, ConversationKeys);
  assert.deepEqual([...server.reading()].sort(), ['coach', 'day', 'her', 'night'], 'her coach, and on duty now and next');
  const one = first.currentKey;

  // Eve (a shift three days on) and the server post an epoch of hers with grants: her coach's
  // browser does not take it (before, every shift on the roster signed).
  const evil = await inject(server, eve, [her, coach], one);
  refuses(await server.visit(coach, ConversationKeys), evil);
  refuses(await server.visit(her, ConversationKeys), evil);

  // The honest weekly rotation by the coach on duty now is taken by both.
  server.epoch = 1;
  server.epochs = server.epochs.filter((e) => e.epoch === 1);
  server.grants = server.grants.filter((g) => g.epoch === 1);
  server.rotationDue = true;
  const made = await server.visit(night, ConversationKeys);
  assert.equal(server.epoch, 2, 'the night coach made the weekly key');
  server.rotationDue = false;
  const coachPage = await server.visit(coach, ConversationKeys);
  assert.deepEqual(coachPage.currentKey, made.currentKey);
  const herPage = await server.visit(her, ConversationKeys);
  assert.deepEqual(herPage.currentKey, made.currentKey);
  assert.equal(server.epoch, 2, 'no key made again on opening');
});

test('a later roster served before its time does not make the roster in force be refused', async () => {
  const { server, her, coach } = await setting();
  const C = await lib.conversationId('coaching', PROGRAMME, her.userId);
  const sign = async (serial, validFrom) =>
    lib.b64uEncode(
      await server.programme.signRecord(
        lib.RecordKind.DUTY_ROSTER,
        {
          validFrom,
          validUntil: validFrom + 7 * DAY,
          entries: [{ personId: coach.userId, fingerprint: await coach.person.fingerprint(), duty: lib.Duty.COACH, start: validFrom, until: validFrom + DAY }],
        },
        { ...server.meta, serial },
      ),
    );
  const current = await sign(3, NOW - 3600);
  const nextWeek = await sign(4, NOW + 7 * DAY);
  let served = nextWeek;
  server.routes.push((method, path) =>
    path === `/api/v1/chat/programmes/${PROGRAMME}/rosters/current` ? { status: 200, data: { signed_record: served } } : undefined,
  );
  const keys = new ConversationKeys(her, PROGRAMME);
  keys.trust.marks = sessionMarks();
  keys.settle({ id: C, kind: 'coaching', participant_id: her.userId, epoch: 1, members: [] }, {});
  await keys.trust.load();
  assert.deepEqual([...(await keys.dutyReaders()).keys()], [], "next week's roster is not in force");
  assert.equal(keys.rosterInvalid, true);
  served = current;
  assert.deepEqual([...(await keys.dutyReaders()).keys()], [coach.userId], 'the roster in force still counts');
  assert.equal(keys.rosterInvalid, false);
  // Once in force, the newer one counts, and the older one is refused from then on.
  served = await sign(4, NOW - 1800);
  assert.deepEqual([...(await keys.dutyReaders()).keys()], [coach.userId]);
  served = current;
  assert.deepEqual([...(await keys.dutyReaders()).keys()], []);
  assert.equal(keys.rosterInvalid, true);
});
