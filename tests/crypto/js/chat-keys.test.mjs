// Who gets a group or supervision conversation's key from a member's browser
// (frontend/static/js/chat/keys.js, the very file the browser is served), against an in-memory
// chat server that may lie about who is in the conversation: only readers a verified signed record
// names (her coaches' assignments; the duty roster only in her coaching conversation, never here)
// and keys her user approved after seeing name and fingerprint get a grant, at the first key and
// at every rotation. A member the server slips in gets nothing; a member whose key the server
// swaps gets nothing until approved again.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as lib from '../../../frontend/static/js/crypto/index.js';
import { ConversationKeys } from '../../../frontend/static/js/chat/keys.js';

const TEST = { allowTestParams: true };
const ORG = 'org-1';
const PROGRAMME = 'programme-a';
const CONVERSATION = 'conversation-1';
const NOW = Math.floor(Date.now() / 1000);

async function identity(login, userId) {
  const params = await lib.KdfParams.create({ memoryKib: 8, iterations: 1 });
  return (await lib.Identity.create(login, `${login} password`, { userId, params, ...TEST })).identity;
}

// One programme's server as the browsers see it, for whoever `caller` is: people's served keys,
// each user's pinned-keys record, the signed chain and roster, and one conversation whose member
// list the test sets (the server decides it; nothing signs it).
class Server {
  constructor(orgKey, programmeKey) {
    this.orgKey = orgKey;
    this.programmeKey = programmeKey;
    this.people = new Map(); // user id -> served public identity (base64url)
    this.pins = new Map(); // user id -> { revision, record }
    this.assignments = new Map(); // participant id -> [assignment rows]
    this.roster = null;
    this.members = []; // [{ person_id, display_name, role }]
    this.epoch = 0;
    this.rotationDue = false;
    this.epochs = [];
    this.grants = []; // { epoch, recipient_id, granter_id, grant }
    this.caller = null;
  }

  async setUp() {
    this.certificate = await this.orgKey.signRecord(
      lib.RecordKind.PROGRAMME_KEY_CERTIFICATE,
      { ed25519Public: this.programmeKey.public },
      { organisationId: ORG, programmeId: PROGRAMME, serial: 1, issuedAt: NOW, signedBy: 'admin' },
    );
  }

  // A person's key as served; the first time, also the record her browser saved at sign-up (her
  // organisation key, compared with her invitation paper).
  async serve(identity) {
    this.people.set(identity.userId, lib.b64uEncode(await identity.publicIdentity()));
    if (this.pins.has(identity.userId)) return;
    const entry = { kind: lib.FingerprintKind.ORGANISATION_KEY, subjectId: ORG, keyMaterial: this.orgKey.public, confirmed: true };
    this.pins.set(identity.userId, { revision: 1, record: lib.b64uEncode(await lib.sealPinnedKeys(identity, 1, [entry])) });
  }

  async signRoster(entries) {
    const body = { validFrom: NOW - 3600, validUntil: NOW + 86_400, entries };
    this.roster = lib.b64uEncode(
      await this.programmeKey.signRecord(lib.RecordKind.DUTY_ROSTER, body, {
        organisationId: ORG,
        programmeId: PROGRAMME,
        serial: 1,
        issuedAt: NOW,
        signedBy: 'admin',
      }),
    );
  }

  reading(epoch = this.epoch) {
    return new Set(this.grants.filter((g) => g.epoch === epoch).map((g) => g.recipient_id));
  }

  conversation() {
    const reading = this.reading();
    return {
      id: CONVERSATION,
      kind: this.kind,
      participant_id: null,
      epoch: this.epoch,
      rotation_due: this.rotationDue || this.epoch === 0,
      members: this.members.map((m) => ({ ...m, can_read: reading.has(m.person_id) })),
    };
  }

  handle(method, path, body) {
    const ok = (data, status = 200) => ({ status, data });
    const me = this.caller;
    const base = `/api/v1/chat/conversations/${CONVERSATION}`;
    if (path === '/api/v1/pinned-keys' && method === 'GET') return this.pins.has(me) ? ok(this.pins.get(me)) : ok(null, 204);
    if (path === '/api/v1/pinned-keys' && method === 'PUT') {
      if (body.revision <= (this.pins.get(me)?.revision ?? 0)) return ok({ error: { message: 'newer' } }, 409);
      this.pins.set(me, { revision: body.revision, record: body.record });
      return ok(body);
    }
    if (path === '/api/v1/trust/organisation') return ok({ subject_id: ORG, ed25519_public: lib.b64uEncode(this.orgKey.public) });
    if (path === `/api/v1/trust/programmes/${PROGRAMME}`) return ok({ certificate: lib.b64uEncode(this.certificate) });
    const person = path.match(/^\/api\/v1\/trust\/programmes\/[^/]+\/people\/([^/]+)$/);
    if (person) return this.people.has(person[1]) ? ok({ public_identity: this.people.get(person[1]) }) : ok(null, 404);
    if (path.endsWith('/former-identities')) return ok([]);
    if (path === `/api/v1/chat/programmes/${PROGRAMME}/rosters/current`) return this.roster ? ok({ signed_record: this.roster }) : ok(null, 404);
    if (path === `/api/v1/programmes/${PROGRAMME}/coach-assignments`) return ok(this.assignments.get(me) ?? []);
    if (!this.members.some((m) => m.person_id === me)) return ok({ error: { message: 'not a member' } }, 403);
    if (path === base) return ok(this.conversation());
    if (path === `${base}/epochs` && method === 'GET') return ok(this.epochs);
    if (path === `${base}/grants/mine`) return ok(this.grants.filter((g) => g.recipient_id === me));
    if (path === `${base}/epochs` && method === 'POST') {
      if (body.epoch !== this.epoch + 1) return ok({ error: { message: 'someone else' } }, 409);
      if (!body.grants.some((g) => g.recipient_id === me)) return ok({ error: { message: 'and to you' } }, 422);
      this.epoch = body.epoch;
      this.rotationDue = false;
      this.epochs.push({ epoch: body.epoch, record: body.record, created_by: me });
      for (const g of body.grants) this.grants.push({ epoch: body.epoch, recipient_id: g.recipient_id, granter_id: me, grant: g.grant });
      return ok({ epoch: body.epoch }, 201);
    }
    if (path === `${base}/grants` && method === 'POST') {
      if (body.epoch !== this.epoch) return ok({ error: { message: 'stale' } }, 409);
      const reading = this.reading();
      for (const g of body.grants) {
        if (!reading.has(g.recipient_id)) this.grants.push({ epoch: body.epoch, recipient_id: g.recipient_id, granter_id: me, grant: g.grant });
      }
      return ok([], 201);
    }
    return ok({ error: { message: `no route ${method} ${path}` } }, 404);
  }

  fetch = async (url, init = {}) => {
    const { pathname } = new URL(url, 'http://localhost');
    const body = init.body === undefined ? undefined : JSON.parse(init.body);
    const { status, data } = this.handle(init.method ?? 'GET', pathname, body);
    return { ok: status >= 200 && status < 300, status, json: async () => data };
  };
}

// One person at her browser: a page of the conversation, opened afresh (as on every visit).
async function visit(server, who) {
  server.caller = who.userId;
  const keys = new ConversationKeys(who, PROGRAMME);
  await keys.open(CONVERSATION);
  await keys.ensureAccess();
  return keys;
}

function waiting(keys) {
  return Object.fromEntries((keys.unconfirmed ?? []).map((m) => [m.person_id, m.reason]));
}

async function setting() {
  const server = new Server(await lib.SigningKey.generate(), await lib.SigningKey.generate());
  await server.setUp();
  const [trainer, ann, bea] = await Promise.all([
    identity('trainer.a', 'trainer'),
    identity('ann.a', 'ann'),
    identity('bea.a', 'bea'),
  ]);
  for (const person of [trainer, ann, bea]) await server.serve(person);
  server.members = [
    { person_id: 'ann', display_name: 'Ann', role: 'participant' },
    { person_id: 'bea', display_name: 'Bea', role: 'participant' },
    { person_id: 'trainer', display_name: 'Trainer', role: 'staff' },
  ];
  globalThis.document = { querySelector: () => null };
  globalThis.fetch = server.fetch;
  return { server, trainer, ann, bea };
}

test('a group member is granted only after a member approves her name and fingerprint, and only by the approved key', async () => {
  const { server, trainer, ann, bea } = await setting();

  // The trainer's browser makes the first key, for nobody but itself: no signed record names the
  // mothers, and a key merely seen is no approval.
  let page = await visit(server, trainer);
  assert.equal(server.epoch, 1);
  assert.deepEqual([...server.reading()], ['trainer']);
  assert.deepEqual(waiting(page), { ann: 'unapproved', bea: 'unapproved' });
  const shown = page.unconfirmed.find((m) => m.person_id === 'ann').fingerprint;
  assert.equal(shown.text, lib.fingerprintText(await ann.person.fingerprint()));
  assert.match(shown.qr, /^EPFP1:/);

  // Opened again: still nothing for them (no pin taken at first sight).
  page = await visit(server, trainer);
  assert.deepEqual([...server.reading()], ['trainer']);

  // A code that is not the one served now is refused and grants nothing.
  const wrong = await page.approve('ann', lib.fingerprintText(await bea.person.fingerprint()));
  assert.equal(wrong.status, 409);
  assert.deepEqual([...server.reading()], ['trainer']);

  // She compares Ann's code and gives access: a signed grant, and Ann reads the key.
  const approved = await page.approve('ann', shown.text);
  assert.deepEqual(approved, { ok: true, reading: true });
  assert.deepEqual([...server.reading()].sort(), ['ann', 'trainer']);
  assert.deepEqual(waiting(page), { bea: 'unapproved' });

  // Ann's browser does not take the trainer's key (nor her grant) on the server's word either:
  // no signed record names the trainer for her. Once Ann approved the trainer's code, it does.
  let annPage = await visit(server, ann);
  assert.equal(annPage.currentKey, null, 'a grant from someone who does not count for her is refused');
  assert.deepEqual(waiting(annPage), { bea: 'unapproved', trainer: 'unapproved' });
  await annPage.approve('trainer', lib.fingerprintText(await trainer.person.fingerprint()));
  annPage = await visit(server, ann);
  assert.ok(annPage.currentKey, 'Ann opens the grant the trainer signed');
  assert.deepEqual(annPage.currentKey, page.currentKey);

  // Ann approves Bea (any one member's approval gives her the key); Bea's browser takes it once
  // Bea approved those who signed it.
  assert.equal((await annPage.approve('bea', lib.fingerprintText(await bea.person.fingerprint()))).reading, true);
  let beaPage = await visit(server, bea);
  assert.equal(beaPage.currentKey, null);
  await beaPage.approve('ann', lib.fingerprintText(await ann.person.fingerprint()));
  await beaPage.approve('trainer', lib.fingerprintText(await trainer.person.fingerprint()));
  beaPage = await visit(server, bea);
  assert.ok(beaPage.currentKey);

  // The approval is in her signed, encrypted pinned-keys record, so another page trusts it too.
  const again = await visit(server, trainer);
  assert.equal(again.trust.entry(lib.FingerprintKind.PERSON, 'ann').confirmed, true);
  assert.deepEqual(waiting(again), { bea: 'unapproved' }, 'Bea reads (Ann gave access) but the trainer did not approve her');
});

test('a member the server slips in, or whose key it swaps, gets no key, at the first epoch or at a rotation', async () => {
  const { server, trainer, ann, bea } = await setting();
  // The trainer is on duty in the programme's signed roster: no ground to read a group (only her
  // coaching conversation), so Ann's browser waits for her approval like anyone else's.
  await server.signRoster([
    { personId: 'trainer', fingerprint: await trainer.person.fingerprint(), duty: lib.Duty.COACH, start: NOW - 60, until: NOW + 3600 },
  ]);
  let annPage = await visit(server, ann);
  assert.deepEqual([...server.reading()], ['ann'], 'a shift on the roster gives nobody a group key');
  assert.deepEqual(waiting(annPage), { bea: 'unapproved', trainer: 'unapproved' });
  await annPage.approve('trainer', lib.fingerprintText(await trainer.person.fingerprint()));
  assert.deepEqual([...server.reading()].sort(), ['ann', 'trainer'], 'the trainer Ann approved, Bea waits');
  await annPage.approve('bea', lib.fingerprintText(await bea.person.fingerprint()));
  assert.deepEqual([...server.reading()].sort(), ['ann', 'bea', 'trainer']);

  // The server lists a stranger as a group member: no browser grants her anything.
  const eve = await identity('eve', 'eve');
  await server.serve(eve);
  server.members.push({ person_id: 'eve', display_name: 'Eve', role: 'participant' });
  annPage = await visit(server, ann);
  const trainerPage = await visit(server, trainer);
  assert.equal(server.reading().has('eve'), false);
  assert.equal(waiting(annPage).eve, 'unapproved');
  assert.equal(waiting(trainerPage).eve, 'unapproved');

  // The trainer's browser takes the key Ann made only once the trainer approved Ann's code: no
  // signed record names Ann for her.
  assert.equal(trainerPage.currentKey, null);
  await trainerPage.approve('ann', lib.fingerprintText(await ann.person.fingerprint()));
  assert.ok((await visit(server, trainer)).currentKey);

  // A weekly rotation by the trainer's browser: Bea waits for the trainer's approval, so the new
  // epoch is for the trainer and Ann; Ann's browser then grants it to Bea, whom Ann approved.
  server.rotationDue = true;
  await visit(server, trainer);
  assert.equal(server.epoch, 2);
  assert.deepEqual([...server.reading()].sort(), ['ann', 'trainer']);
  annPage = await visit(server, ann);
  assert.ok(annPage.currentKey, 'the trainer counts for Ann through her approval');
  assert.deepEqual([...server.reading()].sort(), ['ann', 'bea', 'trainer']);

  // The server swaps Bea's key for one it holds, and a reader leaves (rotation due): Ann's
  // browser makes epoch 3 without the swapped key and flags it; the stranger still gets nothing.
  const mallory = await identity('mallory', 'bea');
  await server.serve(mallory);
  server.rotationDue = true;
  annPage = await visit(server, ann);
  assert.equal(server.epoch, 3);
  assert.deepEqual([...server.reading()].sort(), ['ann', 'trainer']);
  assert.equal(waiting(annPage).bea, 'key_changed');
  // Visiting again grants her nothing either, until the new code is approved.
  annPage = await visit(server, ann);
  assert.equal(server.reading().has('bea'), false);
  const swapped = annPage.unconfirmed.find((m) => m.person_id === 'bea').fingerprint.text;
  assert.equal(swapped, lib.fingerprintText(await mallory.person.fingerprint()));
  assert.notEqual(swapped, lib.fingerprintText(await bea.person.fingerprint()));
});

test('in a supervision conversation a supervisor on the signed roster waits for approval like one who is not', async () => {
  const { server } = await setting();
  const [coach, sue, sam] = await Promise.all([identity('coach', 'coach'), identity('sue', 'sue'), identity('sam', 'sam')]);
  for (const person of [coach, sue, sam]) await server.serve(person);
  server.members = [
    { person_id: 'coach', display_name: 'Coach', role: 'coach' },
    { person_id: 'sue', display_name: 'Sue', role: 'supervisor' },
    { person_id: 'sam', display_name: 'Sam', role: 'supervisor' },
  ];
  server.kind = 'supervision';
  // Sue is on duty now and the roster names her key: in a supervision conversation only approvals
  // count (the roster is ground to read her coaching conversation only).
  await server.signRoster([
    { personId: 'sue', fingerprint: await sue.person.fingerprint(), duty: lib.Duty.SUPERVISOR, start: NOW - 60, until: NOW + 3600 },
  ]);
  const page = await visit(server, coach);
  assert.deepEqual([...server.reading()], ['coach']);
  assert.deepEqual(waiting(page), { sue: 'unapproved', sam: 'unapproved' });
  await page.approve('sue', lib.fingerprintText(await sue.person.fingerprint()));
  assert.deepEqual([...server.reading()].sort(), ['coach', 'sue']);

  // The server serves another key for Sue than the one approved, and a rotation is due: the new
  // epoch is not wrapped for that key, and she is shown as changed.
  await server.serve(await identity('sue', 'sue'));
  server.rotationDue = true;
  const later = await visit(server, coach);
  assert.equal(server.epoch, 2);
  assert.deepEqual([...server.reading()], ['coach']);
  assert.deepEqual(waiting(later), { sue: 'key_changed', sam: 'unapproved' });
});

test("in her browser, her coach in a signed assignment is granted at once; the assignment's end or another key undoes that", async () => {
  const { server, ann } = await setting();
  const coach = await identity('coach', 'coach');
  await server.serve(coach);
  server.members.push({ person_id: 'coach', display_name: 'Coach', role: 'staff' });
  const assignment = async (coachPerson, { serial = 1, validUntil = NOW + 86_400, signedBy = 'admin', ...row } = {}) => ({
    coach_id: 'coach',
    ended_at: null,
    signed_record: lib.b64uEncode(
      await server.programmeKey.signRecord(
        lib.RecordKind.COACH_ASSIGNMENT,
        {
          participantId: 'ann',
          coachId: 'coach',
          coachFingerprint: await coachPerson.fingerprint(),
          role: lib.CoachRole.INDIVIDUAL,
          validFrom: NOW - 3600,
          validUntil,
        },
        { organisationId: ORG, programmeId: PROGRAMME, serial, issuedAt: NOW, signedBy },
      ),
    ),
    ...row,
  });

  // Ended by its own signed dates, signed by the coach himself, or signed for another key: it
  // vouches for nobody (what the server says of `ended_at` is no ground either way).
  server.assignments.set('ann', [await assignment(coach.person, { validUntil: NOW - 60 })]);
  let page = await visit(server, ann);
  assert.deepEqual([...server.reading()], ['ann']);
  assert.equal(waiting(page).coach, 'unapproved');
  server.assignments.set('ann', [await assignment(coach.person, { signedBy: 'coach', serial: 2 })]);
  page = await visit(server, ann);
  assert.deepEqual([...server.reading()], ['ann'], 'a staff member cannot make himself her coach alone');
  const other = await identity('coach', 'coach');
  server.assignments.set('ann', [await assignment(other.person, { serial: 3 })]);
  page = await visit(server, ann);
  assert.equal(waiting(page).coach, 'key_changed');
  assert.deepEqual([...server.reading()], ['ann']);

  // Signed for the key served now: her browser grants him without asking (and the trainer waits).
  server.assignments.set('ann', [await assignment(coach.person, { serial: 4 })]);
  page = await visit(server, ann);
  assert.deepEqual([...server.reading()].sort(), ['ann', 'coach']);
  assert.deepEqual(waiting(page), { bea: 'unapproved', trainer: 'unapproved' });
});
