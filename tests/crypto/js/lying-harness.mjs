// A fake server for the lying-server tests (lying-review.test.mjs): one programme, her portfolio, and a
// record of every body the browser sent, with `lies` that rewrite chosen answers.
import * as lib from '../../../frontend/static/js/crypto/index.js';
import { PortfolioClient } from '../../../frontend/static/js/portfolio/keyring.js';
import { sessionMarks } from '../../../frontend/static/js/shared/trust.js';

export { lib };
const TEST = { allowTestParams: true };
export const ORG = 'org-1';
export const PROGRAMME = 'programme-a';
export const NOW = Math.floor(Date.now() / 1000);

export async function identity(login, userId) {
  const params = await lib.KdfParams.create({ memoryKib: 8, iterations: 1 });
  return (await lib.Identity.create(login, `${login} password`, { userId, params, ...TEST })).identity;
}

export class Server {
  async setUp(her, coach) {
    this.org = await lib.SigningKey.generate();
    this.programme = await lib.SigningKey.generate();
    this.meta = { organisationId: ORG, programmeId: PROGRAMME, issuedAt: NOW, signedBy: 'staff' };
    this.certificate = await this.org.signRecord(lib.RecordKind.PROGRAMME_KEY_CERTIFICATE, { ed25519Public: this.programme.public }, { ...this.meta, serial: 1 });
    this.assignment = await this.programme.signRecord(
      lib.RecordKind.COACH_ASSIGNMENT,
      { participantId: her.userId, coachId: coach.userId, coachFingerprint: await coach.fingerprint(), role: lib.CoachRole.INDIVIDUAL, validFrom: NOW - 3600, validUntil: 0 },
      { ...this.meta, serial: 1 },
    );
    this.people = new Map();
    for (const person of [her, coach]) this.people.set(person.userId, lib.b64uEncode(await person.publicIdentity()));
    const entry = { kind: lib.FingerprintKind.ORGANISATION_KEY, subjectId: ORG, keyMaterial: this.org.public, confirmed: true };
    this.pins = { revision: 1, record: lib.b64uEncode(await lib.sealPinnedKeys(her, 1, [entry])) };
    this.her = her;
    this.portfolio = { id: 'pf-1', participant_id: her.userId, my_role: 'owner', epoch: 0, rotation_due: false, members: [
      { person_id: her.userId, role: 'owner', display_name: 'Her', has_current_grant: false },
      { person_id: coach.userId, role: 'coach', display_name: 'Coach', has_current_grant: false },
    ] };
    this.epochs = [];
    this.grants = [];
    this.posted = []; // every request body the browser sent
    this.lies = {};
    this.routes = []; // extra handlers (method, path, body) => {status,data} | undefined
  }

  handle(method, path, body, query) {
    const ok = (data, status = 200) => ({ status, data });
    for (const route of this.routes) {
      const r = route(method, path, body, query);
      if (r) return r;
    }
    const base = `/api/v1/portfolio/${this.portfolio.id}`;
    if (path === '/api/v1/pinned-keys' && method === 'GET') return ok(this.pins);
    if (path === '/api/v1/pinned-keys' && method === 'PUT') {
      if (body.revision <= this.pins.revision) return ok({ error: { message: 'newer' } }, 409);
      this.pins = { revision: body.revision, record: body.record };
      return ok(body);
    }
    if (path === '/api/v1/trust/organisation') return ok({ subject_id: ORG, ed25519_public: lib.b64uEncode(this.org.public) });
    if (path === `/api/v1/trust/programmes/${PROGRAMME}`) return ok({ certificate: lib.b64uEncode(this.certificate) });
    const person = path.match(/^\/api\/v1\/trust\/programmes\/[^/]+\/people\/([^/]+)$/);
    if (person) return this.people.has(person[1]) ? ok({ public_identity: this.people.get(person[1]) }) : ok(null, 404);
    if (path.endsWith('/former-identities')) return ok([]);
    if (path === `/api/v1/programmes/${PROGRAMME}/coach-assignments`) {
      if (query.get('participant_id') !== this.her.userId) return ok([]);
      return ok([{ coach_id: this.portfolio.members[1].person_id, signed_record: lib.b64uEncode(this.assignment), ended_at: null }]);
    }
    if (path === `/api/v1/portfolio/programmes/${PROGRAMME}/mine` || path === base) return ok(structuredClone(this.portfolio));
    if (path === `${base}/epochs` && method === 'GET') return ok(this.epochs);
    if (path === `${base}/grants/mine`) return ok(this.grants.filter((g) => g.recipient_id === (this.me ?? this.her).userId));
    if (path === `${base}/epochs` && method === 'POST') {
      if (body.epoch !== this.portfolio.epoch + 1) return ok({ error: { message: 'stale' } }, 409);
      this.portfolio.epoch = body.epoch;
      this.portfolio.rotation_due = false;
      this.epochs.push({ epoch: body.epoch, record: body.record });
      for (const g of body.grants) this.grants.push({ epoch: body.epoch, recipient_id: g.recipient_id, grant: g.grant });
      for (const m of this.portfolio.members) m.has_current_grant = body.grants.some((g) => g.recipient_id === m.person_id);
      return ok({ epoch: body.epoch }, 201);
    }
    if (path === `${base}/grants` && method === 'POST') {
      for (const g of body.grants) this.grants.push({ epoch: body.epoch, recipient_id: g.recipient_id, grant: g.grant });
      return ok([], 201);
    }
    if (path === `${base}/grants/own` && method === 'POST') {
      // Her grants to herself: each replaces her grant of that epoch (the server checks the signature).
      const me = (this.me ?? this.her).userId;
      for (const g of body.grants) {
        this.grants = this.grants.filter((row) => !(row.epoch === g.epoch && row.recipient_id === me));
        this.grants.push({ epoch: g.epoch, recipient_id: me, grant: g.grant });
      }
      return ok([], 201);
    }
    if (path === `${base}/items` && method === 'POST') return ok({ id: body.id }, 201);
    return ok({ error: { message: `no route ${method} ${path}` } }, 404);
  }

  fetch = async (url, init = {}) => {
    const { pathname, searchParams } = new URL(url, 'http://localhost');
    const method = init.method ?? 'GET';
    const body = init.body === undefined ? undefined : JSON.parse(init.body);
    if (body !== undefined) this.posted.push({ method, path: pathname, body });
    let { status, data } = this.handle(method, pathname, body, searchParams);
    const lie = this.lies[`${method} ${pathname}`];
    if (lie) data = lie(structuredClone(data));
    return { ok: status >= 200 && status < 300, status, json: async () => data };
  };
}

export async function setting() {
  const [her, coach, mallory] = await Promise.all([identity('mother.a', 'her'), identity('coach.a', 'coach'), identity('mallory', 'mallory')]);
  const server = new Server();
  await server.setUp(her, coach);
  globalThis.document = { querySelector: () => null };
  globalThis.fetch = server.fetch;
  const marks = sessionMarks();
  const visit = async (Client = PortfolioClient, id = null) => {
    const client = new Client(her, PROGRAMME);
    client.trust.marks = marks;
    await client.open(id);
    await client.ensureAccess();
    return client;
  };
  return { server, her, coach, mallory, visit, marks };
}

// Which grants in the posted bodies are made out to `who`, and can `who` open them?
export async function grantsTo(server, who, resourceType, resourceId, granter = server.her) {
  const keys = [];
  for (const { body } of server.posted) {
    for (const g of body?.grants ?? []) {
      if (g.recipient_id !== who.userId) continue;
      const grant = lib.readGrant ? null : null;
      const epoch = body.epoch;
      try {
        const { key } = await lib.openGrant(lib.b64uDecode(g.grant), who, [granter.person.ed25519Public], { resourceType, resourceId, epoch });
        keys.push({ epoch, key });
      } catch (e) { keys.push({ epoch, error: String(e) }); }
    }
  }
  return keys;
}

// A chat server for a group conversation (chat/keys.js), as each member's browser sees it when
// `caller` is that member: served keys, each user's pinned-keys record, the signed chain, the
// group's signed membership record as stored (`record`, base64url), and the member list the
// server decides (`members`). `lies` rewrite chosen answers, as for the portfolio server. With
// `kind` (and `participantId` or `coachId`, and `conversationId`) it serves her coaching or a
// supervision conversation instead; `roster` and `assignments` are the programme's signed duty
// roster (base64url) and the coach assignment rows it serves.
export const GROUP = 'group-1';
// A group's conversation has the id derived from its programme and group (docs/crypto-spec.md 8).
export const CONVERSATION = await lib.conversationId('group', PROGRAMME, GROUP);

export class ChatServer {
  async setUp() {
    this.org = await lib.SigningKey.generate();
    this.programme = await lib.SigningKey.generate();
    this.meta = { organisationId: ORG, programmeId: PROGRAMME, issuedAt: NOW, signedBy: 'staff' };
    this.certificate = await this.org.signRecord(lib.RecordKind.PROGRAMME_KEY_CERTIFICATE, { ed25519Public: this.programme.public }, { ...this.meta, serial: 1 });
    this.people = new Map();
    this.pins = new Map();
    this.marks = new Map(); // user id -> her session's marks (one browser session per person)
    this.members = [];
    this.record = null;
    this.epoch = 0;
    this.rotationDue = false;
    this.epochs = [];
    this.grants = [];
    this.lies = {};
    this.caller = null;
    this.kind = 'group';
    this.participantId = null;
    this.coachId = null;
    this.roster = null;
    this.assignments = [];
    return this;
  }

  // The programme's duty roster as staff sign it: entries [[identity, duty, start, until]].
  async signRoster(entries, { serial = 1, validFrom = NOW - 3600, validUntil = NOW + 6 * 86_400 } = {}) {
    const body = {
      validFrom,
      validUntil,
      entries: await Promise.all(
        entries.map(async ([who, duty, start, until]) => ({ personId: who.userId, fingerprint: await who.person.fingerprint(), duty, start, until })),
      ),
    };
    return lib.b64uEncode(await this.programme.signRecord(lib.RecordKind.DUTY_ROSTER, body, { ...this.meta, serial }));
  }

  // A coach assignment row as the server serves it, signed by staff.
  async assign(her, coach, { serial = 1, endedAt = null } = {}) {
    const body = {
      participantId: her.userId,
      coachId: coach.userId,
      coachFingerprint: await coach.person.fingerprint(),
      role: lib.CoachRole.INDIVIDUAL,
      validFrom: NOW - 3600,
      validUntil: 0,
    };
    const record = await this.programme.signRecord(lib.RecordKind.COACH_ASSIGNMENT, body, { ...this.meta, serial });
    return { coach_id: coach.userId, signed_record: lib.b64uEncode(record), ended_at: endedAt };
  }

  async serve(identity) {
    this.people.set(identity.userId, lib.b64uEncode(await identity.publicIdentity()));
    if (this.pins.has(identity.userId)) return;
    const entry = { kind: lib.FingerprintKind.ORGANISATION_KEY, subjectId: ORG, keyMaterial: this.org.public, confirmed: true };
    this.pins.set(identity.userId, { revision: 1, record: lib.b64uEncode(await lib.sealPinnedKeys(identity, 1, [entry])) });
  }

  // The group's member list as staff sign it: [[identity, role]]; `key`, `programmeId`,
  // `groupId`, `serial` and `fingerprints` (person id -> fingerprint) let a test sign a wrong one.
  async signGroup(members, { serial = 1, key = this.programme, programmeId = PROGRAMME, groupId = GROUP, validUntil = 0, fingerprints = {} } = {}) {
    const body = {
      groupId,
      validFrom: NOW - 3600,
      validUntil,
      members: await Promise.all(
        members.map(async ([who, role]) => ({
          personId: who.userId,
          fingerprint: fingerprints[who.userId] ?? (await who.person.fingerprint()),
          role: role === 'trainer' ? lib.GroupRole.TRAINER : lib.GroupRole.PARTICIPANT,
        })),
      ),
    };
    return lib.b64uEncode(await key.signRecord(lib.RecordKind.GROUP_MEMBERSHIP, body, { ...this.meta, programmeId, serial }));
  }

  reading(epoch = this.epoch) {
    return new Set(this.grants.filter((g) => g.epoch === epoch).map((g) => g.recipient_id));
  }

  conversation() {
    const reading = this.reading();
    const group = this.kind === 'group';
    return {
      id: this.conversationId ?? CONVERSATION,
      kind: this.kind,
      group_id: group ? GROUP : null,
      participant_id: this.participantId,
      coach_id: this.coachId,
      epoch: this.epoch,
      rotation_due: this.rotationDue || this.epoch === 0,
      membership_record: group ? this.record : null,
      members: this.members.map((m) => ({ ...m, can_read: reading.has(m.person_id) })),
    };
  }

  handle(method, path, body) {
    const ok = (data, status = 200) => ({ status, data });
    const me = this.caller;
    const base = `/api/v1/chat/conversations/${this.conversationId ?? CONVERSATION}`;
    if (path === '/api/v1/pinned-keys' && method === 'GET') return this.pins.has(me) ? ok(this.pins.get(me)) : ok(null, 204);
    if (path === '/api/v1/pinned-keys' && method === 'PUT') {
      if (body.revision <= (this.pins.get(me)?.revision ?? 0)) return ok({ error: { message: 'newer' } }, 409);
      this.pins.set(me, { revision: body.revision, record: body.record });
      return ok(body);
    }
    if (path === '/api/v1/trust/organisation') return ok({ subject_id: ORG, ed25519_public: lib.b64uEncode(this.org.public) });
    if (path === `/api/v1/trust/programmes/${PROGRAMME}`) return ok({ certificate: lib.b64uEncode(this.certificate) });
    const person = path.match(/^\/api\/v1\/trust\/programmes\/[^/]+\/people\/([^/]+)$/);
    if (person) return this.people.has(person[1]) ? ok({ public_identity: this.people.get(person[1]) }) : ok(null, 404);
    if (path.endsWith('/former-identities')) return ok([]);
    if (path === `/api/v1/chat/programmes/${PROGRAMME}/rosters/current`) return ok(this.roster ? { signed_record: this.roster } : null);
    if (path === `/api/v1/programmes/${PROGRAMME}/coach-assignments`) {
      // As the programme serves them: a coach sees her records only while he is one of her
      // coaches himself (a reader on duty is not); she sees her own.
      const mine = me === this.participantId || this.assignments.some((row) => row.coach_id === me && !row.ended_at);
      return ok(mine || !this.participantId ? this.assignments : []);
    }
    if (!this.members.some((m) => m.person_id === me)) return ok({ error: { message: 'not a member' } }, 403);
    if (path === base) return ok(this.conversation());
    if (path === `${base}/coach-assignments`) return ok(this.kind === 'coaching' ? this.assignments : []);
    if (path === `${base}/epochs` && method === 'GET') return ok(this.epochs);
    if (path === `${base}/grants/mine`) return ok(this.grants.filter((g) => g.recipient_id === me));
    if (path === `${base}/epochs` && method === 'POST') {
      if (body.epoch !== this.epoch + 1) return ok({ error: { message: 'someone else' } }, 409);
      this.epoch = body.epoch;
      this.rotationDue = false;
      this.epochs.push({ epoch: body.epoch, record: body.record, created_by: me });
      for (const g of body.grants) this.grants.push({ epoch: body.epoch, recipient_id: g.recipient_id, granter_id: me, grant: g.grant });
      return ok({ epoch: body.epoch }, 201);
    }
    if (path === `${base}/grants/own` && method === 'POST') {
      // Her grants to herself: each replaces her grant of that epoch.
      for (const g of body.grants) {
        this.grants = this.grants.filter((row) => !(row.epoch === g.epoch && row.recipient_id === me));
        this.grants.push({ epoch: g.epoch, recipient_id: me, granter_id: me, grant: g.grant });
      }
      return ok([], 201);
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
    const method = init.method ?? 'GET';
    const body = init.body === undefined ? undefined : JSON.parse(init.body);
    let { status, data } = this.handle(method, pathname, body);
    const lie = this.lies[`${method} ${pathname}`];
    if (lie) data = lie(structuredClone(data));
    return { ok: status >= 200 && status < 300, status, json: async () => data };
  };

  // One person at her browser: the conversation page opened afresh, in her one browser session.
  async visit(who, Keys) {
    this.caller = who.userId;
    globalThis.fetch = this.fetch;
    const keys = new Keys(who, PROGRAMME);
    if (!this.marks.has(who.userId)) this.marks.set(who.userId, sessionMarks());
    keys.trust.marks = this.marks.get(who.userId);
    await keys.open(this.conversationId ?? CONVERSATION);
    await keys.ensureAccess();
    return keys;
  }
}
