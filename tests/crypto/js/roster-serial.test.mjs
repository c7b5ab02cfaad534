// The duty roster's serial is not the server's to choose (frontend/static/js/shared/serials.js, as
// js/programmes/roster.js uses it). Before, staff's browser signed the new roster (Mallory taken off
// duty) with the serial the server put in the page (data-next-serial=1); the server then served the
// old roster (serial 5, Mallory on duty now) again and her browser took it over the new one.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ConversationKeys } from '../../../frontend/static/js/chat/keys.js';
import { api } from '../../../frontend/static/js/portfolio/keyring.js';
import { rosterSerial } from '../../../frontend/static/js/shared/serials.js';
import { sessionMarks } from '../../../frontend/static/js/shared/trust.js';
import { NOW, PROGRAMME, lib, setting } from './lying-harness.mjs';

async function roster(server, serial, who) {
  return lib.b64uEncode(
    await server.programme.signRecord(
      lib.RecordKind.DUTY_ROSTER,
      {
        validFrom: NOW - 3600,
        validUntil: NOW + 86400 * 6,
        entries: [{ personId: who.userId, fingerprint: await who.person.fingerprint(), duty: lib.Duty.COACH, start: NOW - 3600, until: NOW + 86400 }],
      },
      { ...server.meta, serial },
    ),
  );
}

async function onDutyFor(her, C, marks) {
  const keys = new ConversationKeys(her, PROGRAMME);
  keys.trust.marks = marks;
  keys.settle({ id: C, kind: 'coaching', participant_id: her.userId, epoch: 1, members: [] }, {});
  await keys.trust.load();
  const readers = [...(await keys.dutyReaders()).keys()];
  return { readers, invalid: keys.rosterInvalid };
}

test('a roster staff sign while the server withholds the older one and names serial 1 outranks it', async () => {
  const { server, her, coach, mallory } = await setting();
  server.people.set('mallory', lib.b64uEncode(await mallory.publicIdentity()));
  const C = await lib.conversationId('coaching', PROGRAMME, her.userId);
  const older = await roster(server, 5, mallory); // Mallory on duty now
  let served = null; // withheld from staff's page
  server.routes.push((method, path) =>
    path === `/api/v1/chat/programmes/${PROGRAMME}/rosters/current` ? { status: 200, data: served && { signed_record: served } } : undefined,
  );
  const serial = await rosterSerial({ api, programmePublic: server.programme.public, programmeId: PROGRAMME, marks: sessionMarks(), hint: 1 });
  assert.ok(serial > 5, `the new roster's serial (${serial}) is above the withheld one`);
  const newer = await roster(server, serial, coach); // staff put the coach on duty instead

  const marks = sessionMarks();
  served = newer;
  assert.deepEqual(await onDutyFor(her, C, marks), { readers: [coach.userId], invalid: false });
  served = older;
  assert.deepEqual(await onDutyFor(her, C, marks), { readers: [], invalid: true }, 'the older roster is refused');
});

test('the next serial goes on from the verified roster in force and the session, never below', async () => {
  const { server, coach } = await setting();
  let served = await roster(server, 2 ** 40, coach);
  server.routes.push((method, path) =>
    path === `/api/v1/chat/programmes/${PROGRAMME}/rosters/current` ? { status: 200, data: { signed_record: served } } : undefined,
  );
  const marks = sessionMarks();
  const options = { api, programmePublic: server.programme.public, programmeId: PROGRAMME, marks, hint: 3, now: 0 };
  assert.equal(await rosterSerial(options), 2 ** 40 + 1);
  // Then an older one, and one signed by another key: the session's mark holds.
  served = await roster(server, 9, coach);
  assert.equal(await rosterSerial(options), 2 ** 40 + 1);
  const stranger = await lib.SigningKey.generate();
  served = lib.b64uEncode(await stranger.signRecord(lib.RecordKind.DUTY_ROSTER, { validFrom: 0, validUntil: 0, entries: [] }, { ...server.meta, serial: 2 ** 45 }));
  assert.equal(await rosterSerial({ ...options, marks: sessionMarks() }), 3, 'a forged roster carries nothing over; the hint is taken to go higher');
});
