// The portfolio as her browser (or her coach's) sees it: the JSON API, the portfolio key per
// epoch (from the grant to me, then back along the signed chain), who gets a key and when, and
// items, comments and attachment streams sealed and opened here. The server only ever sees
// ciphertext. Decrypted text leaves this module as strings; pages insert it with textContent.

import {
  Audience,
  FingerprintKind,
  Person,
  RecordKind,
  b64uDecode,
  b64uEncode,
  encryptItem,
  fingerprintQr,
  fingerprintText,
  keyId,
  makeGrant,
  newEpoch,
  openEnvelope,
  makeVouch,
  openGrant,
  openPreviousKey,
  readVouch,
  sealEnvelope,
  unwrapItemKey,
  verifyEpoch,
  verifyRecord,
} from '../crypto/index.js';
import { KEY_CHANGED, PINS_UNAVAILABLE, TRUSTED, Trust, equal, keysOf } from '../shared/trust.js';
import { downloadStream } from '../shared/streams.js';

export const RESOURCE = 'portfolio';
export const COMMENTS = 'portfolio-comment';
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content ?? '';
}

// A JSON call; never throws for HTTP errors (status 0: no connection).
export async function api(path, body, method = body === undefined ? 'GET' : 'POST', raw = false) {
  let response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: {
        'content-type': raw ? 'application/octet-stream' : 'application/json',
        accept: 'application/json',
        'x-csrf-token': csrfToken(),
      },
      body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
    });
  } catch {
    return { ok: false, status: 0, data: null };
  }
  let data = null;
  try {
    data = response.status === 204 ? null : await response.json();
  } catch {
    data = null;
  }
  return { ok: response.ok, status: response.status, data };
}

export class ApiError extends Error {
  constructor(result) {
    super(result.data?.error?.message ?? 'failed');
    this.status = result.status;
    this.data = result.data;
  }
}

async function must(path, body, method) {
  const result = await api(path, body, method);
  if (!result.ok) throw new ApiError(result);
  return result.data;
}

// A record's dates are whole days from 00:00 UTC (docs/crypto-spec.md, Deviations); a day starts
// up to 14 hours earlier where she is (00:30 in Emmen is still yesterday in UTC).
export const DAY_STARTS_EARLIER = 14 * 3600;

// Whether a signed record's own dates hold `now` (seconds); a `validUntil` of 0 is open-ended.
export function validAt(body, now = Math.floor(Date.now() / 1000)) {
  return body.validFrom <= now + DAY_STARTS_EARLIER && (body.validUntil === 0 || now < body.validUntil);
}

export function newId() {
  return crypto.randomUUID();
}

export class PortfolioClient {
  constructor(identity, programmeId) {
    this.identity = identity;
    this.programmeId = programmeId;
    this.people = new Map(); // person id -> Person as served
    this.epochKeys = new Map();
    this.warnings = [];
    this.trust = new Trust(identity, { api }); // the one place pins are read, decided and saved
  }

  get me() {
    return this.identity.userId;
  }

  async open(portfolioId) {
    const served = portfolioId
      ? await must(`/api/v1/portfolio/${portfolioId}`)
      : await must(`/api/v1/portfolio/programmes/${this.programmeId}/mine`, {});
    this.settle(served, { asked: portfolioId, mine: !portfolioId });
    return this.portfolio;
  }

  // What the server says a resource is, held to what this page already knows: it is the one asked
  // for, its participant never changes under the page, and "mine" is hers. Whose it is decides
  // who counts, so it comes from her id, never from the server's word about her role.
  settle(served, { asked = null, mine = false } = {}) {
    const lie = () => new ApiError({ status: 409, data: { error: { message: 'changed' } } });
    if ((asked && served.id !== asked) || (this.id && served.id !== this.id)) throw lie();
    if (mine && served.participant_id !== this.me) throw lie();
    if (this.participantId !== undefined && served.participant_id !== this.participantId) throw lie();
    this.portfolio = served;
    this.id = served.id;
    this.participantId = served.participant_id;
    this.owner = Boolean(served.participant_id) && served.participant_id === this.me;
  }

  async person(personId) {
    if (!this.people.has(personId)) {
      const served = await must(`/api/v1/trust/programmes/${this.programmeId}/people/${personId}`);
      this.people.set(personId, Person.fromPublicIdentity(b64uDecode(served.public_identity)));
    }
    return this.people.get(personId);
  }

  // Who counts ---------------------------------------------------------------------------
  //
  // One rule (CRYPTO.md, "Trust: who may read"): a key counts only through a chain this browser
  // verified from the organisation key she pinned: organisation -> programme certificate -> a
  // signed record valid today by its own dates and serial (coach assignment, duty roster) -> the
  // key that record names; or a key this browser's user approved after comparing codes. Member
  // lists, former identities, `ended_at`, epoch numbers and identities the server sends are hints
  // for display. `counting` holds the readers who count now (person id -> Person); `past` those
  // who counted when they signed (an assignment that has ended), trusted only to walk back
  // through history, never to give a current key.

  // Ed25519 keys whose signatures on grants and epoch records are taken: the readers who count
  // now, and (with `past`) those who counted before and the keys they held before a reset that
  // a trusted signed vouch names.
  async signerKeys({ past = false } = {}) {
    const people = [...(this.counting ?? new Map([[this.me, this.identity.person]])).values()];
    if (past) people.push(...(this.past ?? new Map()).values());
    const keys = people.map((person) => person.ed25519Public);
    if (!past) return keys;
    // Keys held before a reset, each only when pinned here or named by a trusted vouch: hers too
    // while her new key waits for her coach's check (what she signed before still verifies).
    const ids = new Set([...people.map((person) => person.userId), this.portfolio?.participant_id].filter(Boolean));
    for (const id of ids) {
      for (const former of await this.formerPeople(id).catch(() => [])) keys.push(former.ed25519Public);
    }
    return keys;
  }

  // Her former identities as the server lists them (newest first), each with a coach's vouch, if any.
  async formerRows(personId) {
    this.formerServed ??= new Map();
    if (!this.formerServed.has(personId)) {
      const result = await api(`/api/v1/recovery/programmes/${this.programmeId}/people/${personId}/former-identities`);
      this.formerServed.set(personId, result.ok && Array.isArray(result.data) ? result.data : []);
    }
    return this.formerServed.get(personId);
  }

  // Keys someone held before a coach-assisted reset: what she signed with them still verifies.
  // A former key is taken only when it is the key pinned here for her, or when a signed vouch
  // names it as the key she held before, signed by this browser's user or by a coach whose key
  // this browser trusts; never on the server's list alone.
  async formerPeople(personId) {
    this.former ??= new Map();
    if (this.former.has(personId)) return this.former.get(personId);
    const people = [];
    const rows = await this.formerRows(personId);
    if (rows.length) {
      await this.trust.ready().catch(() => null);
      const pinned = this.trust.entry(FingerprintKind.PERSON, personId);
      for (const row of rows) {
        try {
          const person = await Person.fromPublicIdentity(b64uDecode(row.public_identity));
          if (person.userId !== personId) continue;
          // A coach's browser that never met her takes the keys she held before as it would take
          // her key at first sight (docs/security.md): only to read what she signed then.
          const unmet = !pinned && !this.owner && this.mayMeet && personId === this.portfolio?.participant_id;
          if (unmet || (pinned && equal(pinned.keyMaterial, keysOf(person))) || (await this.vouchedFormer(row, person))) {
            people.push(person);
          }
        } catch {
          // A former identity that does not check out is not accepted.
        }
      }
    }
    this.former.set(personId, people);
    return people;
  }

  // Whether a signed vouch names `former` as her key before a reset, signed by this browser's
  // user or by someone whose key this browser trusts (not on the server's word alone).
  async vouchedFormer(row, former) {
    if (!row.vouch) return false;
    try {
      const { voucherId } = readVouch(b64uDecode(row.vouch));
      const own = voucherId === this.me;
      // Only her coach in a verified signed assignment vouches (docs/crypto-spec.md 9.1): a key
      // merely pinned here (another mother approved in a group) does not. A coach whose
      // assignment has ended since still vouched while he was her coach: his vouch names only
      // the key she held before, which opens nothing new (what she signed then still verifies,
      // only to read), so his leaving does not make what she wrote before a reset unreadable.
      const voucher = own ? this.identity.person : (this.coaches?.get(voucherId) ?? this.past?.get(voucherId));
      if (!voucher) return false;
      return await this.trust.vouchedFormer(row.vouch, former, voucher, { own });
    } catch {
      return false;
    }
  }

  // Her current key first, then the keys she held before a reset.
  async authors(personId) {
    return [await this.person(personId), ...(await this.formerPeople(personId))];
  }

  // Where this resource's epochs and grants are served (a conversation overrides it).
  get keysPath() {
    return `/api/v1/portfolio/${this.id}`;
  }

  get resourceType() {
    return RESOURCE;
  }

  // Every epoch key I can reach, each checked against what was signed, never against what the
  // server's JSON says: a grant opens only when it is made out to me for this resource and the
  // epoch it claims, signed by a reader who counted; an epoch record only when it is about this
  // resource and epoch and its key id is the key's. From the newest key, back along the chain.
  // Then `verifiedEpoch`: the newest epoch whose record and grant come from readers who count now
  // (the only key this browser encrypts to others under), refused when older than an epoch this
  // session saw (a rollback) or when the chain forks.
  //
  // Keys I keep (docs/crypto-spec.md 6.3): a grant signed by my own key now vouches for its key
  // and epoch by itself (no record needed: only my browser signs with it, and only for a key it
  // took under this rule). Every key that came from a reader who counts now, or back along the
  // chain from such a key, is granted to me again under my own signature (`keepOwnKeys`), so a
  // reader who leaves later cannot take it with him. A key that only a reader who counted before
  // gave me is read with, never kept, granted on or sealed under.
  async loadKeys() {
    const resource = { resourceType: this.resourceType, resourceId: this.id };
    this.epochs = await must(`${this.keysPath}/epochs`);
    const grants = await must(`${this.keysPath}/grants/mine`);
    const now = await this.signerKeys();
    const all = await this.signerKeys({ past: true });
    const mine = this.identity.person.ed25519Public;
    this.epochKeys = new Map();
    this.epochFrom = new Map(); // epoch -> whether its grant came from someone who counts now
    this.ownEpochs = new Set(); // epochs whose grant to me is signed by my own key now
    this.keptEpochs = new Set(); // epochs whose key came from readers who count now, or back along the chain from one
    this.fork = false;
    this.refusedEpochs = new Set(); // epochs the server offered a key for that did not check out
    const records = new Map();
    for (const row of this.epochs) {
      try {
        const data = b64uDecode(row.record);
        const record = await verifyEpoch(data, all, { ...resource, epoch: row.epoch });
        if (records.has(record.epoch)) this.fork = true;
        records.set(record.epoch, { data, record, current: now.some((k) => equal(k, record.creatorPublic)) });
      } catch {
        this.warnings.push('epoch');
      }
    }
    for (const row of grants) {
      try {
        const { grant, key } = await openGrant(b64uDecode(row.grant), this.identity, all, { ...resource, epoch: row.epoch });
        const own = equal(grant.granterPublic, mine);
        const record = records.get(grant.epoch)?.record;
        // A record that verifies must name this key; without one only my own signature will do.
        if (record ? !equal(await keyId(key), record.keyId) : !own) throw new Error('not this epoch');
        const held = this.epochKeys.get(grant.epoch);
        if (held && !equal(held, key)) this.fork = true; // two keys for one epoch
        if (!held) this.epochKeys.set(grant.epoch, key);
        const fromNow = now.some((k) => equal(k, grant.granterPublic));
        this.epochFrom.set(grant.epoch, (this.epochFrom.get(grant.epoch) ?? false) || fromNow);
        if (own) this.ownEpochs.add(grant.epoch);
        if (fromNow) this.keptEpochs.add(grant.epoch);
      } catch {
        this.warnings.push('grant');
        this.refusedEpochs.add(row.epoch);
      }
    }
    const newest = Math.max(0, ...this.epochKeys.keys());
    for (let epoch = newest; epoch > 1; epoch -= 1) {
      const key = this.epochKeys.get(epoch);
      const entry = records.get(epoch);
      if (!key || !entry) continue; // an epoch I hold by my own grant, or none: go on below it
      try {
        const previous = await openPreviousKey(entry.data, key, all, { ...resource, epoch });
        const held = this.epochKeys.get(epoch - 1);
        if (held && !equal(held, previous)) this.fork = true; // two keys for one epoch
        if (!held) this.epochKeys.set(epoch - 1, previous);
        // Back along the chain from a key I keep, the previous key is mine to keep too; but not
        // through a record my own key made: what I trusted then, I granted to myself then, and a
        // key only a departed reader gave me must not come back as mine through my own record.
        if (this.keptEpochs.has(epoch) && !equal(entry.record.creatorPublic, mine) && (!held || equal(held, previous))) {
          this.keptEpochs.add(epoch - 1);
        }
      } catch {
        this.warnings.push('epoch');
      }
    }
    this.verifiedEpoch = null;
    this.rollback = false;
    const mark = await this.trust.epochMark(this.resourceType, this.id);
    const top = records.get(newest);
    if (newest > 0 && top?.current && this.epochFrom.get(newest) && !this.fork) {
      if (newest < mark) this.rollback = true;
      else {
        this.verifiedEpoch = newest;
        await this.trust.raiseEpochMark(this.resourceType, this.id, newest);
      }
    } else if (newest > 0 && newest < mark) this.rollback = true;
    if (this.fork) this.warnings.push('fork');
    if (this.rollback) this.warnings.push('rollback');
    await this.keepOwnKeys();
    return this.epochKeys;
  }

  // The keys I keep that rest on someone else's signature, granted to me again under my own key
  // in one request (the server replaces my grant of each epoch with it). Not while the chain
  // forks: which of two keys is right is not mine to settle by signing one. When it fails (no
  // network) the next visit tries again; nothing is lost meanwhile.
  async keepOwnKeys() {
    if (this.fork) return false;
    const epochs = [...this.keptEpochs].filter((e) => this.epochKeys.has(e) && !this.ownEpochs.has(e)).sort((a, b) => a - b);
    if (!epochs.length) return true;
    const grants = [];
    for (const epoch of epochs) {
      const grant = await makeGrant(this.identity, {
        resourceType: this.resourceType,
        resourceId: this.id,
        epoch,
        key: this.epochKeys.get(epoch),
        recipient: this.identity.person,
      });
      grants.push({ epoch, grant: b64uEncode(grant) });
    }
    // A hundred at a time: a conversation rotates weekly, so an old one has many epochs.
    let ok = true;
    for (let at = 0; at < grants.length; at += 100) {
      const part = grants.slice(at, at + 100);
      const result = await api(`${this.keysPath}/grants/own`, { grants: part });
      if (result.ok) for (const { epoch } of part) this.ownEpochs.add(epoch);
      ok = ok && result.ok;
    }
    return ok;
  }

  // Whether what the server served about keys did not check out in a way she should be told of:
  // a key offered for the current epoch that was refused, two keys for one epoch, or an older
  // epoch than this session saw. Her phone then shares nothing new under it.
  get tampered() {
    return Boolean(this.fork || this.rollback || this.refusedEpochs?.has(this.portfolio.epoch));
  }

  // The key this browser seals for her readers under: the current epoch's, only when the server's
  // current epoch is the one this browser verified and her pins could be read. Reading older
  // items needs only `epochKeys`.
  get currentKey() {
    if (this.trustProblem || this.verifiedEpoch == null || this.verifiedEpoch !== this.portfolio.epoch) return null;
    return this.epochKeys.get(this.verifiedEpoch) ?? null;
  }

  // Pins are the shared trust module's (shared/trust.js); these only pass on to it.
  async loadPins() {
    return this.trust.load();
  }

  async savePins() {
    return this.trust.save();
  }

  // The key her coach has now, as a fingerprint: { text, qr } for comparing in person.
  async coachFingerprint(personId) {
    this.people.delete(personId); // the key as served now, not as first seen on this page
    const fingerprint = await (await this.person(personId)).fingerprint();
    return { text: fingerprintText(fingerprint), qr: fingerprintQr(fingerprint) };
  }

  // She compared her coach's new fingerprint in person and it was the same: pin this key as
  // confirmed (a new revision of her record, sealed and signed under her keys), then grant as
  // usual. `expected` is the fingerprint she saw, so a key swapped meanwhile is not pinned.
  async confirmCoach(personId, expected) {
    this.people.delete(personId);
    const coach = await this.person(personId);
    if (fingerprintText(await coach.fingerprint()) !== expected) return { ok: false, status: 409, data: null };
    const saved = await this.trust.confirmPerson(coach);
    if (!saved.ok) return saved;
    await this.open(this.id);
    await this.ensureAccess();
    return { ok: true };
  }

  // The programme's signing key, certified by the organisation key; null when either is not the
  // key pinned here or her pins cannot be read (then nothing signed with it is trusted, and
  // `keyChange` says why, for the confirm screen).
  async programmeKey() {
    const { key, changed } = await this.trust.programmeKey(this.programmeId);
    this.keyChange = changed;
    if (changed?.problem) this.trustProblem = changed.problem;
    return key;
  }

  // Her coaches by the signed assignment records the server serves, each verified along
  // organisation -> programme -> record: for this programme and her, signed by someone other than
  // the coach (a staff member cannot make himself her coach alone), not older than a record this
  // session saw for the same coach, valid today by its own dates, and naming the key served now
  // (or a key she confirmed in person). The only coaches a member's browser grants to without
  // asking. Those it cannot vouch for are in `unconfirmed` with the reason; coaches whose record
  // has ended (or not yet begun) go into `past`, trusted only to walk back through history.
  async verifiedCoaches() {
    const participantId = this.portfolio.participant_id;
    const coachMembers = this.portfolio.members.filter((m) => m.role === 'coach');
    this.unconfirmed = [];
    this.past = new Map();
    this.assignedToMe = false;
    const programmePublic = await this.programmeKey();
    if (!programmePublic) {
      this.unconfirmed = coachMembers.map((m) => ({ ...m, reason: 'programme_key_changed' }));
      return new Map();
    }
    const newest = await this.assignmentRecords(programmePublic, participantId);
    const now = Math.floor(Date.now() / 1000);
    // Whether the programme signed this browser's user in as her coach, whatever key of his the
    // record names (his own key may have changed since): enough for him to meet her key.
    this.assignedToMe = [...newest.values()].some(
      (r) => r.body.coachId === this.me && validAt(r.body, now) && !r.endedByServer,
    );
    const verified = new Map();
    const reasons = new Map();
    for (const record of newest.values()) {
      const { coachId, coachFingerprint, validFrom, validUntil } = record.body;
      let coach;
      try {
        coach = await this.person(coachId);
      } catch {
        continue;
      }
      const status = await this.trust.personStatus(coach, { signed: coachFingerprint });
      const valid = validAt({ validFrom, validUntil }, now) && !record.endedByServer;
      if (status === TRUSTED && valid) verified.set(coachId, coach);
      else if (status === TRUSTED) this.past.set(coachId, coach);
      else reasons.set(coachId, 'key_changed');
    }
    for (const member of coachMembers) {
      if (!verified.has(member.person_id)) this.unconfirmed.push({ ...member, reason: reasons.get(member.person_id) ?? 'unverified' });
    }
    for (const id of verified.keys()) this.past.delete(id);
    await this.trust.save();
    return verified;
  }

  // Where the server lists her coach assignments with their signed records.
  assignmentsPath(participantId) {
    return `/api/v1/programmes/${this.programmeId}/coach-assignments?participant_id=${participantId}`;
  }

  // The newest signed assignment record per coach and role for this participant, each verified
  // under the programme key: for this programme and her, signed by someone other than the coach
  // (a staff member cannot make himself her coach alone), and not older than a record this session
  // saw for the same coach and role (a replayed start record after its signed end). Whether it is
  // valid today is the caller's question.
  async assignmentRecords(programmePublic, participantId) {
    const served = await api(this.assignmentsPath(participantId));
    if (!served.ok) throw new ApiError(served);
    const newest = new Map();
    for (const assignment of Array.isArray(served.data) ? served.data : []) {
      if (!assignment.signed_record) continue;
      try {
        const record = await verifyRecord(b64uDecode(assignment.signed_record), programmePublic, RecordKind.COACH_ASSIGNMENT);
        const { body } = record;
        if (record.programmeId !== this.programmeId || body.participantId !== participantId) continue;
        if (body.coachId !== assignment.coach_id || record.signedBy === body.coachId) continue;
        const name = `assignment:${this.programmeId}:${participantId}:${body.coachId}:${body.role}`;
        if (!(await this.trust.freshSerial(name, record.serial))) continue;
        // The server's word can take a reader away (an ending it has not had signed yet), never
        // add one: an ended row counts only to walk back through history.
        const checked = { ...record, endedByServer: Boolean(assignment.ended_at) };
        const known = newest.get(`${body.coachId}:${body.role}`);
        if (!known || known.serial < record.serial) newest.set(`${body.coachId}:${body.role}`, checked);
      } catch {
        // an assignment that does not verify vouches for nobody
      }
    }
    return newest;
  }

  // In a coach's browser: whether her key is the one pinned here. After a coach-assisted reset it
  // is not (nor taken at first sight); it is taken when a coach this browser verified (or this
  // browser's user) vouched for it in person (shared/trust.js). `coaches` are her verified coaches.
  async herStatus(coaches) {
    const herId = this.portfolio.participant_id;
    const her = await this.person(herId);
    const rows = await this.formerRows(herId);
    // Met for the first time after a reset: her new key is not taken at first sight; nor by a
    // browser whose user no verified record makes her reader (`mayMeet`).
    const unmet = !this.trust.entry(FingerprintKind.PERSON, herId) && rows.length > 0;
    if (!unmet && (await this.trust.participantStatus(her, { firstSight: this.mayMeet })) === TRUSTED) return TRUSTED;
    // Her coaches now; and, for a browser that never met her, also those whose signed assignment
    // has ended since (the coach who helped with her reset and then left): his vouch still says
    // what he checked with her in person, which is no weaker than the first sight such a browser
    // takes when there was no reset, and lets her next coach meet her new key. A browser that
    // pinned her key moves it only on a vouch by a coach who counts now.
    const vouchers = [this.identity.person, ...coaches.values(), ...(unmet ? (this.past ?? new Map()).values() : [])].map(
      (c) => c.ed25519Public,
    );
    if (await this.trust.acceptVouched(her, rows, vouchers)) {
      this.former?.delete(herId);
      await this.trust.save();
      return TRUSTED;
    }
    return KEY_CHANGED;
  }

  // Who counts now for her portfolio, decided once per visit before any key is opened: me, her
  // (in a coach's browser: while her key is the one trusted here), and her verified coaches.
  // With her pins unreadable (`trustProblem`) only my own key counts and nothing is shared.
  async decideReaders() {
    this.counting = new Map([[this.me, this.identity.person]]);
    this.past = new Map();
    this.unconfirmed = [];
    this.trustProblem = null;
    this.herKey = TRUSTED;
    try {
      await this.trust.load();
    } catch (error) {
      this.trustProblem = error.problem ?? PINS_UNAVAILABLE;
    }
    let coaches = new Map();
    try {
      coaches = await this.verifiedCoaches();
    } catch {
      coaches = new Map();
    }
    if (this.trustProblem) coaches = new Map();
    for (const [id, coach] of coaches) this.counting.set(id, coach);
    if (!this.owner) {
      const herId = this.portfolio.participant_id;
      this.mayMeet = await this.mayMeetHer(coaches).catch(() => false);
      try {
        this.herKey = this.trustProblem || !herId ? KEY_CHANGED : await this.herStatus(coaches);
        if (this.herKey === TRUSTED) this.counting.set(herId, await this.person(herId));
        await this.trust.save();
      } catch {
        this.herKey = KEY_CHANGED;
      }
      const her = this.portfolio.members.find((m) => m.person_id === herId);
      if (this.herKey !== TRUSTED && her) this.unconfirmed.push({ ...her, reason: 'key_changed' });
    }
    this.coaches = coaches;
    return this.counting;
  }

  // Whether this browser's user may take her key the first time it meets it: only as her coach in
  // a verified signed assignment (the chat adds the readers on duty in the verified roster).
  async mayMeetHer(coaches) {
    return coaches.has(this.me) || Boolean(this.assignedToMe);
  }

  async grantBody(epoch, key, personId) {
    const recipient = this.counting?.get(personId) ?? (await this.person(personId));
    const grant = await makeGrant(this.identity, {
      resourceType: this.resourceType,
      resourceId: this.id,
      epoch,
      key,
      recipient,
    });
    return { recipient_id: personId, grant: b64uEncode(grant) };
  }

  // Whether the current key must be replaced before this browser seals under it: none yet, the
  // server says so (a reader left, a week passed), or the key this browser holds for the current
  // epoch did not come from readers who count now, or someone the server lists as holding it
  // does not count (hints, but enough to start a new key: a new key costs little).
  needsNewEpoch() {
    if (this.portfolio.epoch === 0 || this.portfolio.rotation_due) return true;
    if (this.trustProblem || this.fork) return false;
    if (this.epochKeys.has(this.portfolio.epoch) && this.verifiedEpoch !== this.portfolio.epoch) return true;
    return this.portfolio.members.some((m) => m.has_current_grant && !this.counting.has(m.person_id));
  }

  // What a member browser does on opening: decide who counts, open the keys, make the first key,
  // start a new epoch after a reader left (or when the current one is not from readers who count
  // now), and (her browser only) grant the key to coaches in a verified signed assignment. A
  // coach's browser makes her a new key only while her key is the one it trusts (`herKey`).
  async ensureAccess() {
    await this.decideReaders();
    await this.loadKeys();
    const mayMake = this.owner || (this.epochKeys.has(this.portfolio.epoch) && this.herKey === TRUSTED);
    if (!this.trustProblem && !this.rollback && mayMake && this.needsNewEpoch()) {
      const recipients = [this.portfolio.participant_id, ...(this.owner ? this.coaches.keys() : [this.me])];
      await this.makeEpoch(`/api/v1/portfolio/${this.id}/epochs`, recipients);
    }
    if (this.owner && this.currentKey) {
      const missing = this.portfolio.members.filter((m) => !m.has_current_grant && this.coaches.has(m.person_id));
      if (missing.length) {
        const grants = [];
        for (const m of missing) grants.push(await this.grantBody(this.portfolio.epoch, this.currentKey, m.person_id));
        await api(`/api/v1/portfolio/${this.id}/grants`, { epoch: this.portfolio.epoch, grants });
        await this.open(this.id);
      }
    }
    return this.currentKey !== null;
  }

  // A new epoch after the newest this browser holds, chained to it, granted to `recipients`
  // (each a reader who counts now); on a conflict another member was first: take hers and look again.
  async makeEpoch(path, recipients, fallback = null) {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const held = Math.max(0, ...this.epochKeys.keys());
      const next = Math.max(this.portfolio.epoch, held) + 1;
      const previousKey = next === 1 ? null : this.epochKeys.get(next - 1);
      if (next > 1 && !previousKey) return false;
      const made = await newEpoch(this.identity, {
        resourceType: this.resourceType,
        resourceId: this.id,
        epoch: next,
        previousKey,
      });
      const grants = [];
      for (const id of new Set(recipients)) {
        if (id && this.counting.has(id)) grants.push(await this.grantBody(next, made.key, id));
      }
      const result = await api(path, { epoch: next, record: b64uEncode(made.record), grants });
      if (result.status === 422 && result.data?.error?.field === 'recipient_id' && fallback) {
        // The server no longer counts one of them (a shift that just ended): the readers it
        // must keep, once more; the others get the key by a grant later.
        return this.makeEpoch(path, fallback);
      }
      await this.open(this.id);
      await this.loadKeys();
      if (result.ok || result.status !== 409) return result.ok;
      if (!this.needsNewEpoch()) return false;
    }
    return false;
  }

  // Coach-assisted recovery: after checking her new fingerprint in person (`expected`, as shown),
  // grant her every epoch key this browser keeps, or took from her key before the reset (so she
  // need not walk back over records her old key signed), sign a vouch for her new key (her other
  // coaches' browsers take it on that word) and pin it here as confirmed. Only those
  // (docs/crypto-spec.md 6.3, "Keys she keeps"): a key only a reader who counted before gave this
  // browser (a coach who left) is read at most, so it is not passed on under this coach's
  // signature, which her browser would take as a key to keep.
  async grantEveryEpoch(personId, expected = null) {
    this.people.delete(personId);
    const her = await this.person(personId);
    if (expected !== null && fingerprintText(await her.fingerprint()) !== expected) {
      return { ok: false, status: 409, data: null };
    }
    this.formerServed?.delete(personId);
    const rows = await this.formerRows(personId);
    if (!rows.length) return { ok: false, status: 404, data: null };
    const former = await Person.fromPublicIdentity(b64uDecode(rows[0].public_identity));
    // He vouches only that her key before was the one his browser knew (pinned, or met as her
    // verified coach): not a key the server lists as hers. Checked before anything is granted.
    const known = this.trust.entry(FingerprintKind.PERSON, personId);
    const knew = known ? equal(known.keyMaterial, keysOf(former)) : this.mayMeet;
    if (former.userId !== personId || !knew) return { ok: false, status: 409, data: null };
    const holds = this.portfolio.members.some((m) => m.person_id === personId && m.has_current_grant);
    // The keys he keeps, with her key before the reset counting as a reader now (it is the one
    // his browser knew, and what she granted him with it is hers to have back): never one only a
    // reader who counted before gave him.
    const counting = this.counting;
    this.counting = new Map([...(counting ?? new Map([[this.me, this.identity.person]])), [personId, former]]);
    try {
      await this.loadKeys();
    } finally {
      this.counting = counting;
    }
    const kept = [...this.epochKeys.entries()].filter(([epoch]) => this.keptEpochs.has(epoch));
    for (const [epoch, key] of kept.sort((a, b) => b[0] - a[0])) {
      if (holds) break;
      const grant = await this.grantBody(epoch, key, personId);
      const result = await api(`/api/v1/portfolio/${this.id}/grants`, { epoch, grants: [grant] });
      if (!result.ok) return result;
    }
    const vouch = await makeVouch(this.identity, { subject: her, former, vouchedAt: Math.floor(Date.now() / 1000) });
    const path = `/api/v1/recovery/programmes/${this.programmeId}/people/${personId}/vouch`;
    const vouched = await api(path, { vouch: b64uEncode(vouch) });
    if (!vouched.ok) return vouched;
    const pinned = await this.trust.confirmPerson(her);
    if (!pinned.ok) return pinned;
    this.former?.delete(personId);
    this.formerServed?.delete(personId);
    this.herKey = TRUSTED;
    this.unconfirmed = (this.unconfirmed ?? []).filter((m) => m.person_id !== personId);
    await this.open(this.id);
    return { ok: true };
  }

  // Items --------------------------------------------------------------------------------

  async items() {
    return must(`/api/v1/portfolio/${this.id}/items`);
  }

  async item(itemId) {
    return must(`/api/v1/portfolio/items/${itemId}`);
  }

  async itemKey(item) {
    const keyId = b64uDecode(item.key_id);
    for (const copy of item.keys) {
      const wrap = b64uDecode(copy.blob);
      try {
        if (copy.kind === 'user') return await unwrapItemKey(wrap, this.identity.userKey, keyId);
        if (copy.kind === 'epoch' && this.epochKeys.has(copy.epoch)) {
          return await unwrapItemKey(wrap, this.epochKeys.get(copy.epoch), keyId);
        }
        if (copy.kind === 'grant' && copy.recipient_id === this.me) {
          const expected = { resourceType: 'portfolio-item', resourceId: item.id, epoch: 0 };
          return (await openGrant(wrap, this.identity, await this.signerKeys({ past: true }), expected)).key;
        }
      } catch {
        // try the next copy
      }
    }
    return null;
  }

  // { key, bytes } or null when it cannot be opened (shown with a warning, never hidden).
  async openItem(item) {
    const key = await this.itemKey(item);
    if (!key) return null;
    for (const author of await this.authors(item.author_id).catch(() => [])) {
      try {
        const bytes = await openEnvelope(b64uDecode(item.envelope), key, {
          resourceType: RESOURCE,
          resourceId: item.portfolio_id,
          itemId: item.id,
          revision: item.revision,
          author,
        });
        return { key, bytes };
      } catch {
        // signed with a key she held before a reset, perhaps: try that one
      }
    }
    return null;
  }

  async audienceFor(audience, chosen) {
    if (audience === 'only_me') return Audience.onlyMe();
    if (audience === 'chosen') {
      // Only readers who count by her own chain: a key the server names is no ground to share.
      const people = chosen.map((id) => this.counting?.get(id));
      if (people.some((person) => !person) || this.trustProblem) throw new Error('not verified');
      return Audience.chosen(people);
    }
    return Audience.coaches(this.currentKey);
  }

  keyCopies(audience, sealed, chosen) {
    if (audience === 'my_coaches') return { epoch: this.portfolio.epoch, epoch_wrap: b64uEncode(sealed.wraps[0]) };
    const keys = { user_wrap: b64uEncode(sealed.wraps[0]) };
    if (audience === 'chosen') {
      keys.grants = chosen.map((id, i) => ({ recipient_id: id, grant: b64uEncode(sealed.grants[i]) }));
    }
    return keys;
  }

  async createItem({ id = newId(), kind, audience, chosen = [], plaintext, summary = {} }, retried = false) {
    const sealed = await encryptItem(this.identity, await this.audienceFor(audience, chosen), {
      resourceType: RESOURCE,
      resourceId: this.id,
      itemId: id,
      revision: 1,
      plaintext,
    });
    const body = {
      id,
      kind,
      audience,
      key_id: b64uEncode(sealed.itemKeyId),
      envelope: b64uEncode(sealed.envelope),
      keys: this.keyCopies(audience, sealed, chosen),
      ...summary,
    };
    const result = await api(`/api/v1/portfolio/${this.id}/items`, body);
    if (!retried && (await this.epochMoved(result))) {
      return this.createItem({ id, kind, audience, chosen, plaintext, summary }, true);
    }
    return { result, itemKey: sealed.itemKey };
  }

  // The portfolio key changed while she was writing (a coach left): take the new key, once.
  async epochMoved(result) {
    if (result.status !== 409 || result.data?.error?.current_epoch === undefined) return false;
    await this.open(this.id);
    await this.ensureAccess();
    return this.currentKey !== null;
  }

  // A new revision on top of `base`; with a new audience the item gets a new key.
  async updateItem(item, key, { plaintext, base, audience = null, chosen = [], summary = {} }) {
    let itemKey = key;
    const body = { base_revision: base, ...summary };
    // Under an older epoch's key a reader who has since left holds that item key: a new revision
    // gets a new one, under the current key.
    const stale = item.audience === 'my_coaches' && (item.keys ?? []).some((k) => k.kind === 'epoch' && k.epoch !== this.portfolio.epoch);
    if (stale && !audience) audience = item.audience;
    if (audience && (audience !== item.audience || stale)) {
      const sealed = await encryptItem(this.identity, await this.audienceFor(audience, chosen), {
        resourceType: RESOURCE,
        resourceId: this.id,
        itemId: item.id,
        revision: base + 1,
        plaintext,
      });
      itemKey = sealed.itemKey;
      Object.assign(body, {
        audience,
        key_id: b64uEncode(sealed.itemKeyId),
        envelope: b64uEncode(sealed.envelope),
        keys: this.keyCopies(audience, sealed, chosen),
      });
    } else {
      const envelope = await sealEnvelope(this.identity, itemKey, {
        resourceType: RESOURCE,
        resourceId: this.id,
        itemId: item.id,
        revision: base + 1,
        plaintext,
      });
      body.envelope = b64uEncode(envelope);
    }
    return { result: await api(`/api/v1/portfolio/items/${item.id}`, body, 'PUT'), itemKey };
  }

  // Comments -----------------------------------------------------------------------------

  async comments(item, key) {
    const rows = await must(`/api/v1/portfolio/items/${item.id}/comments`);
    const opened = [];
    for (const row of rows) {
      let text = null;
      for (const author of await this.authors(row.author_id).catch(() => [])) {
        try {
          const bytes = await openEnvelope(b64uDecode(row.envelope), key, {
            resourceType: COMMENTS,
            resourceId: item.id,
            itemId: row.id,
            revision: 0,
            author,
          });
          text = decoder.decode(bytes);
          break;
        } catch {
          text = null;
        }
      }
      opened.push({ ...row, text });
    }
    return opened;
  }

  async comment(item, key, text) {
    const id = newId();
    const envelope = await sealEnvelope(this.identity, key, {
      resourceType: COMMENTS,
      resourceId: item.id,
      itemId: id,
      revision: 0,
      plaintext: encoder.encode(text),
    });
    return api(`/api/v1/portfolio/items/${item.id}/comments`, {
      id,
      key_id: item.key_id,
      envelope: b64uEncode(envelope),
    });
  }

  // Attachments --------------------------------------------------------------------------

  // The decrypted file as a Blob, only after every chunk proved authentic.
  async downloadFile(item, key, meta) {
    return downloadStream(`/api/v1/portfolio/items/${item.id}/attachment/download`, key, meta);
  }
}

export { decoder, encoder };
