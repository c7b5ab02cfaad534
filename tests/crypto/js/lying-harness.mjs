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
