// What a staff browser signs as a group's member list (frontend/static/js/programmes/group-list.js,
// the very file the group page runs), against a server that lies: the list is the last record this
// browser verified plus exactly the change staff made; an account the server adds (or someone staff
// removed, put back) is named only when staff tick her after seeing her name and fingerprint; the
// serial is never the server's; a record the session saw and the server withholds, or serves older,
// stops the signing. And members' browsers (chat/keys.js) then refuse the older record.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ConversationKeys } from '../../../frontend/static/js/chat/keys.js';
import { GroupListProblem, OLDER, WITHHELD, planMembers, signGroupList } from '../../../frontend/static/js/programmes/group-list.js';
import { nextSerial } from '../../../frontend/static/js/shared/serials.js';
import { sessionMarks } from '../../../frontend/static/js/shared/trust.js';
import { ChatServer, GROUP, ORG, PROGRAMME, identity, lib } from './lying-harness.mjs';

// The staff member's view of the programme: her pins, the chain, her copy of the programme key, each
// person's key, and the group's record and member list as the server chooses to serve them.
async function setting() {
  const chat = await new ChatServer().setUp();
  const [staff, trainer, ann, bea, mallory] = await Promise.all(
    ['staff', 'trainer', 'ann', 'bea', 'mallory'].map((name) => identity(`${name}.a`, name)),
  );
  for (const person of [staff, trainer, ann, bea, mallory]) await chat.serve(person);
  const sealedCopy = lib.b64uEncode(await chat.programme.sealFor(staff.person));
  const names = { trainer: 'Trainer', ann: 'Ann', bea: 'Bea', mallory: 'Mallory' };
  const group = { record: null, members: [] };
  const list = (...ids) => ids.map((id) => ({ person_id: id, role: id === 'trainer' ? 'trainer' : 'participant', display_name: names[id], has_key: true }));
  const api = async (path, body, method = body === undefined ? 'GET' : 'POST') => {
    const ok = (data, status = 200) => ({ ok: status < 300, status, data });
    if (path === `/api/v1/trust/programmes/${PROGRAMME}`) {
      return ok({ certificate: lib.b64uEncode(chat.certificate), sealed_copy: sealedCopy });
    }
    if (path === `/api/v1/programmes/${PROGRAMME}/groups/${GROUP}/membership-record`) {
      // The server's own serial is a lie it may tell as well: 0, "nothing signed yet".
      return ok({ group_id: GROUP, serial: 0, signed_record: group.record, members: group.members });
    }
    chat.caller = staff.userId;
    const answer = chat.handle(method, path, body);
    return ok(answer.data, answer.status);
  };
  const sign = (change, options = {}) =>
    signGroupList({
      identity: staff,
      api,
      organisationId: ORG,
      programmeId: PROGRAMME,
      groupId: GROUP,
      signedBy: staff.userId,
      change,
      ...options,
    });
  const stored = (serial, ...people) =>
    chat.signGroup(people.map((who) => [who, who === trainer ? 'trainer' : 'participant']), { serial });
  return { chat, staff, trainer, ann, bea, mallory, group, list, sign, stored };
}

async function namedIn(record, chat) {
  const checked = await lib.verifyRecord(lib.b64uDecode(record), chat.programme.public, lib.RecordKind.GROUP_MEMBERSHIP);
  return { serial: checked.serial, ids: checked.body.members.map((m) => m.personId).sort() };
}

test('an account the server adds when staff add someone is not signed unless staff tick her', async () => {
  const { chat, trainer, ann, mallory, group, list, sign, stored } = await setting();
  group.record = await stored(1, trainer, ann);
  // Staff add Bea; the server lists Mallory in the group as well.
  group.members = list('trainer', 'ann', 'mallory');
  const shown = [];
  const signed = await sign({ add: { personId: 'bea', role: 'participant' } }, {
    approve: async (extra) => {
      shown.push(...extra);
      return new Set();
    },
  });
  assert.deepEqual((await namedIn(signed.record, chat)).ids, ['ann', 'bea', 'trainer'], 'Mallory is not named');
  assert.equal(shown.length, 1, 'staff were shown the one person they did not add');
  assert.equal(shown[0].personId, 'mallory');
  assert.equal(shown[0].name, 'Mallory');
  assert.equal(shown[0].fingerprintText, lib.fingerprintText(await mallory.person.fingerprint()));

  // Ticked after seeing her name and code (someone added earlier without the programme key), she is.
  const ticked = await sign({}, { approve: async () => new Set(['mallory']) });
  assert.deepEqual((await namedIn(ticked.record, chat)).ids, ['ann', 'mallory', 'trainer']);
});

test('someone staff removed is not put back by the server at the next change', async () => {
  const { chat, trainer, ann, bea, group, list, sign, stored } = await setting();
  group.record = await stored(3, trainer, ann, bea);
  group.members = list('trainer', 'ann', 'bea');
  const removed = await sign({ remove: 'bea' });
  assert.deepEqual((await namedIn(removed.record, chat)).ids, ['ann', 'trainer']);
  // The server stores it, then lists Bea in the group again when staff next sign.
  group.record = removed.record;
  let asked = [];
  const again = await sign({}, { approve: async (extra) => ((asked = extra.map((e) => e.personId)), new Set()) });
  assert.deepEqual(asked, ['bea'], 'Bea is shown, never carried over');
  assert.deepEqual((await namedIn(again.record, chat)).ids, ['ann', 'trainer']);
});

test('a member the server keeps with another key than the record names is refused', async () => {
  const { chat, trainer, ann, group, list, sign } = await setting();
  const other = await identity('ann.b', 'ann');
  group.record = await chat.signGroup([[trainer, 'trainer'], [ann, 'participant']], { serial: 2 });
  group.members = list('trainer', 'ann');
  await chat.serve(other); // the server now serves another key for Ann
  await assert.rejects(sign({}), (error) => error.problem === 'key_changed');
});

test('the serial is not the server\'s: above the last verified, and at least the seconds since 1970', async () => {
  const { chat, trainer, ann, group, list, sign, stored } = await setting();
  const now = Date.UTC(2026, 11, 7, 12, 0, 0);
  group.record = await stored(7, trainer, ann);
  group.members = list('trainer', 'ann');
  const first = await sign({ add: { personId: 'bea', role: 'participant' } }, { now, hint: 1 });
  assert.equal(first.serial, now / 1000);
  // A record signed later in the same second goes above it.
  group.record = first.record;
  group.members = list('trainer', 'ann', 'bea');
  assert.equal((await sign({ remove: 'bea' }, { now })).serial, now / 1000 + 1);
  assert.equal(nextSerial({ verified: 2 ** 40, now }), 2 ** 40 + 1);
  assert.equal(nextSerial({ hint: 2 ** 52, now }), now / 1000, 'a huge hint from the server is not built on');
  assert.equal(nextSerial({ hint: 'x', verified: -4, now: 0 }), 1);
});

test('withheld: a fresh browser signs above any record signed before; one that saw a record refuses', async () => {
  const { chat, trainer, ann, bea, group, list, sign, stored } = await setting();
  // The older record (serial 5, Bea in it) exists; the server withholds it and says serial 0.
  const older = await stored(5, trainer, ann, bea);
  group.record = null;
  group.members = list('trainer', 'ann', 'bea');
  let asked = [];
  const fresh = await sign({ remove: 'bea' }, { approve: async (extra) => ((asked = extra.map((e) => e.personId)), new Set(['trainer', 'ann'])) });
  assert.deepEqual(asked.sort(), ['ann', 'trainer'], 'with no record to build on, everyone listed is shown');
  const signed = await namedIn(fresh.record, chat);
  assert.deepEqual(signed.ids, ['ann', 'trainer']);
  assert.ok(signed.serial > 5 && signed.serial >= Math.floor(Date.now() / 1000) - 5, 'not 1');

  // A member's browser takes the new record, then refuses the older one the server serves again.
  chat.members = [
    { person_id: 'trainer', display_name: 'Trainer', role: 'trainer' },
    { person_id: 'ann', display_name: 'Ann', role: 'participant' },
  ];
  chat.record = fresh.record;
  globalThis.document = { querySelector: () => null };
  const annPage = await chat.visit(ann, ConversationKeys);
  assert.equal(annPage.groupProblem, null);
  chat.record = older;
  const later = await chat.visit(ann, ConversationKeys);
  assert.equal(later.groupProblem, 'invalid', 'the older record, naming Bea, is refused');

  // The same staff session, once it verified a record, refuses to sign when it is withheld or older.
  const marks = sessionMarks();
  group.record = fresh.record;
  group.members = list('trainer', 'ann');
  await sign({}, { marks });
  group.record = null;
  await assert.rejects(sign({ add: { personId: 'bea', role: 'participant' } }, { marks }), (e) => e instanceof GroupListProblem && e.problem === WITHHELD);
  group.record = older;
  await assert.rejects(sign({ add: { personId: 'bea', role: 'participant' } }, { marks }), (e) => e.problem === OLDER);
});

test('a record older than one this browser signed carries nothing over unseen', async () => {
  const { trainer, ann, bea, group, list, sign, stored } = await setting();
  const marks = sessionMarks();
  group.record = await stored(4, trainer, ann, bea);
  group.members = list('trainer', 'ann', 'bea');
  const removed = await sign({ remove: 'bea' }, { marks });
  // The server "refused" that one and keeps serving the record with Bea (serial 4, which the
  // session saw and so cannot call older): everything it lists is shown again.
  let asked = [];
  await sign({}, { marks, approve: async (extra) => ((asked = extra.map((e) => e.personId).sort()), new Set()) });
  assert.ok(removed.serial > 4);
  assert.deepEqual(asked, ['ann', 'bea', 'trainer']);
});

test('planMembers: the last record, the change, and the rest for staff to tick', () => {
  const last = [
    { personId: 'trainer', role: 2, fingerprint: new Uint8Array([1]) },
    { personId: 'ann', role: 1, fingerprint: new Uint8Array([2]) },
    { personId: 'cas', role: 1, fingerprint: new Uint8Array([3]) },
  ];
  const served = [
    { person_id: 'trainer', role: 'trainer', display_name: 'T' },
    { person_id: 'ann', role: 'participant', display_name: 'A' },
    { person_id: 'mallory', role: 'participant', display_name: 'M' },
    { person_id: 'dee', role: 'participant', display_name: 'D', has_key: false },
  ];
  const plan = planMembers({ last, served, change: { add: { personId: 'bea', role: 'participant' } } });
  assert.deepEqual(plan.kept.map((m) => m.personId), ['trainer', 'ann']);
  assert.deepEqual(plan.added, { personId: 'bea', role: 1 });
  assert.deepEqual(plan.extra, [{ personId: 'mallory', role: 1, name: 'M' }]);
  assert.deepEqual(plan.gone, ['cas'], 'no longer listed: left out');
  const removal = planMembers({ last, served, change: { remove: 'ann' } });
  assert.deepEqual(removal.kept.map((m) => m.personId), ['trainer']);
  assert.deepEqual(removal.extra.map((m) => m.personId), ['mallory']);
});
