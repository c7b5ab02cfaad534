// One trust decision for the portfolio and the chat: the keys this browser's user accepted (her
// pinned-keys record, sealed and signed under her keys on the server), the chain organisation ->
// programme, a person's key against a signed record, keys confirmed in person, and a coach's
// signed vouch for her new key after a coach-assisted reset (docs/crypto-spec.md 9 and 9.1).
// Pages and clients ask this module; none keeps pins of its own, so a confirmation made on one
// page counts on every other one.
//
// No DOM here: the caller passes `api(path, body, method)` (never throws; { ok, status, data }),
// so this file runs as served in Node's tests as well.

import {
  FingerprintKind,
  b64uDecode,
  b64uEncode,
  fingerprint,
  fingerprintQr,
  fingerprintText,
  loadMarks,
  openPinnedKeys,
  raiseMarks,
  sealPinnedKeys,
  verifyProgrammeKey,
  verifyVouch,
} from '../crypto/index.js';

export const TRUSTED = 'trusted';
export const KEY_CHANGED = 'key_changed';
export const UNAPPROVED = 'unapproved';
export const UNVERIFIED = 'unverified';

// Why her pins cannot be used: no record she can open (204, never after a sign-up on an honest
// server; or one sealed under keys she had before a reset), no answer or an error, or a record
// older than one this session saw (a rollback). Each stops every grant and every encryption to
// others until it is put right.
export const PINS_MISSING = 'pins_missing';
export const PINS_UNAVAILABLE = 'pins_unavailable';
export const PINS_ROLLBACK = 'pins_rollback';

// The session's high-water marks (crypto/keystore.js), or a page-memory stand-in where there is
// no IndexedDB (Node's tests): the newest pin revision, epoch and record serial seen.
export function sessionMarks() {
  let memory = {};
  const raise = (updates) => {
    memory = { ...memory };
    for (const [name, value] of Object.entries(updates)) memory[name] = Math.max(memory[name] ?? 0, value);
    return memory;
  };
  if (typeof indexedDB !== 'object' || indexedDB === null) {
    return { load: async () => memory, raise: async (updates) => raise(updates) };
  }
  return {
    load: async () => loadMarks().catch(() => memory),
    raise: async (updates) => raiseMarks(updates).catch(() => raise(updates)),
  };
}

export function equal(a, b) {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

// A person's key material as pinned: x25519 public then ed25519 public.
export function keysOf(person) {
  return new Uint8Array([...person.x25519Public, ...person.ed25519Public]);
}

function slot(kind, subjectId) {
  return `${kind}:${subjectId}`;
}

export class TrustError extends Error {
  // Without a message from the server, none: pages then say "something went wrong" in her language.
  constructor(result, problem = null) {
    super(result.data?.error?.message ?? '');
    this.status = result.status;
    this.data = result.data;
    this.problem = problem;
  }
}

export class Trust {
  constructor(identity, { api, marks = sessionMarks() }) {
    this.identity = identity;
    this.api = api;
    this.marks = marks;
    this.entries = new Map();
    this.decided = new Map(); // what this page pinned and has not saved yet
    this.revision = 0;
    this.seen = 0; // the newest revision this session has seen: an older one is refused
    this.loaded = false;
    this.problem = null; // PINS_MISSING, PINS_UNAVAILABLE or PINS_ROLLBACK while her pins cannot be used
  }

  // Her record as stored now, with what this page decided on top: a key confirmed in person here
  // wins; a key this page merely met first gives way to one another page pinned meanwhile.
  // Refused (TrustError with `problem`) when there is no record, no answer, or an older revision
  // than this session saw: a server cannot make her browser start again from nothing.
  async load() {
    const fail = (result, problem) => {
      this.problem = problem;
      this.loaded = false;
      throw new TrustError(result, problem);
    };
    const result = await this.api('/api/v1/pinned-keys');
    if (result.status === 204 || (result.ok && !result.data?.record)) fail(result, PINS_MISSING);
    if (!result.ok) fail(result, PINS_UNAVAILABLE);
    const marks = await this.marks.load();
    this.seen = Math.max(this.seen, marks[this.markName] ?? 0);
    const entries = new Map();
    let opened;
    // A revision the server names is taken only within reason: a huge one would leave no room
    // for the next (a lock-out).
    const served = result.data.revision;
    this.servedRevision = Number.isSafeInteger(served) && served >= 0 && served < 2 ** 31 ? served : 0;
    try {
      opened = await openPinnedKeys(this.identity, b64uDecode(result.data.record));
    } catch {
      // Not hers to open: sealed under keys she had before a reset, or tampered with. Either way
      // only her organisation's code, compared in person, starts it again (above this revision).
      fail(result, PINS_MISSING);
    }
    if (opened.revision < this.seen) fail(result, PINS_ROLLBACK);
    const revision = opened.revision;
    for (const entry of opened.entries) entries.set(slot(entry.kind, entry.subjectId), entry);
    for (const [key, entry] of this.decided) {
      if (entry.confirmed || !entries.has(key)) entries.set(key, entry);
      else this.decided.delete(key);
    }
    this.entries = entries;
    this.revision = revision;
    this.seen = Math.max(this.seen, revision);
    await this.marks.raise({ [this.markName]: revision });
    this.loaded = true;
    this.problem = null;
    return this;
  }

  get markName() {
    return `pins:${this.identity.userId}`;
  }

  // Where her record is missing (PINS_MISSING), she starts it again by confirming her
  // organisation's key in person (the confirm screen): above every revision this session saw, so
  // the record the server withheld cannot come back in its place.
  async restart(organisationEntry) {
    const marks = await this.marks.load();
    this.revision = Math.max(this.seen, marks[this.markName] ?? 0, this.servedRevision ?? 0);
    this.entries = new Map([[slot(organisationEntry.kind, organisationEntry.subjectId), organisationEntry]]);
    this.decided = new Map(this.entries);
    this.loaded = true;
    this.problem = null;
    return this.save();
  }

  // A signed record's serial, per what it is about (`name`): refused when older than the newest
  // this session saw for the same thing (a replayed start record after its signed end).
  async freshSerial(name, serial) {
    const marks = await this.marks.load();
    if (serial < (marks[`serial:${name}`] ?? 0)) return false;
    await this.marks.raise({ [`serial:${name}`]: serial });
    return true;
  }

  // The newest epoch this session saw for a resource: a server that serves an older one as
  // current (a rollback, say to before a coach left) is refused.
  async epochMark(resourceType, resourceId) {
    return (await this.marks.load())[`epoch:${resourceType}:${resourceId}`] ?? 0;
  }

  async raiseEpochMark(resourceType, resourceId, epoch) {
    await this.marks.raise({ [`epoch:${resourceType}:${resourceId}`]: epoch });
  }

  async ready() {
    if (!this.loaded) await this.load();
    return this;
  }

  entry(kind, subjectId) {
    return this.entries.get(slot(kind, subjectId)) ?? null;
  }

  pin(kind, subjectId, keyMaterial, confirmed) {
    const entry = { kind, subjectId, keyMaterial, confirmed };
    this.entries.set(slot(kind, subjectId), entry);
    this.decided.set(slot(kind, subjectId), entry);
  }

  // True when this is the pinned key, pinning it now when none is; false when it differs from the
  // pinned one. Only for a key the caller has just verified along her chain (a programme key
  // certified by her pinned organisation key, a key a verified signed record names): nothing is
  // pinned at first sight.
  checkVerified(kind, subjectId, keyMaterial) {
    const known = this.entry(kind, subjectId);
    if (!known) {
      this.pin(kind, subjectId, keyMaterial, false);
      return true;
    }
    return equal(known.keyMaterial, keyMaterial);
  }

  // A new revision of her record when this page decided anything; another page that saved first
  // (409) is taken in and this page's decisions are put on top of it.
  async save() {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      if (this.decided.size === 0) return { ok: true, status: 200, data: null };
      if (!this.loaded) return { ok: false, status: 0, data: null };
      const revision = this.revision + 1;
      const record = await sealPinnedKeys(this.identity, revision, [...this.entries.values()]);
      const result = await this.api('/api/v1/pinned-keys', { revision, record: b64uEncode(record) }, 'PUT');
      if (result.ok) {
        this.revision = revision;
        this.seen = Math.max(this.seen, revision);
        await this.marks.raise({ [this.markName]: revision });
        this.decided.clear();
        return result;
      }
      if (result.status !== 409) return result;
      await this.load();
    }
    return { ok: false, status: 409, data: null };
  }

  // The one decision about a person's key: TRUSTED when it is the key pinned here or confirmed in
  // person, or (pinned now) the key a verified signed record names for him (`signed`, the
  // fingerprint in an assignment or roster this browser verified); KEY_CHANGED when another key
  // is pinned or signed for him; UNVERIFIED when nothing she holds vouches for it (no first sight).
  // A key confirmed in person counts even when the record was signed for the key he held before.
  async personStatus(person, { signed = null } = {}) {
    const keys = keysOf(person);
    const pinned = this.entry(FingerprintKind.PERSON, person.userId);
    if (pinned?.confirmed && equal(pinned.keyMaterial, keys)) return TRUSTED;
    if (signed && !equal(signed, await person.fingerprint())) return KEY_CHANGED;
    if (!signed && !pinned) return UNVERIFIED;
    return this.checkVerified(FingerprintKind.PERSON, person.userId, keys) ? TRUSTED : KEY_CHANGED;
  }

  // A coach's browser meeting a participant of his: her key is named by no signed record, so the
  // first key his browser sees for her, while a verified assignment makes him her coach, is
  // pinned (docs/security.md says what this leaves open); any later change is KEY_CHANGED.
  async participantStatus(person, { firstSight = false } = {}) {
    const keys = keysOf(person);
    const pinned = this.entry(FingerprintKind.PERSON, person.userId);
    if (pinned?.confirmed && equal(pinned.keyMaterial, keys)) return TRUSTED;
    if (!pinned && !firstSight) return UNVERIFIED;
    return this.checkVerified(FingerprintKind.PERSON, person.userId, keys) ? TRUSTED : KEY_CHANGED;
  }

  // Someone no verified record names for this browser (another mother in her group, a trainer):
  // TRUSTED only for the key she approved after seeing name and fingerprint, or confirmed in
  // person; KEY_CHANGED when another key is pinned for him; UNAPPROVED otherwise. Nothing is
  // pinned here: a key merely seen before is not an approval.
  approvalStatus(person) {
    const pinned = this.entry(FingerprintKind.PERSON, person.userId);
    if (!pinned) return UNAPPROVED;
    if (!equal(pinned.keyMaterial, keysOf(person))) return KEY_CHANGED;
    return pinned.confirmed ? TRUSTED : UNAPPROVED;
  }

  // In person: she (or a coach) compared this key's fingerprint and it was the same. Approving a
  // reader after seeing name and fingerprint pins the same way.
  async confirmPerson(person) {
    await this.load();
    this.pin(FingerprintKind.PERSON, person.userId, keysOf(person), true);
    return this.save();
  }

  // After a coach-assisted reset her key differs from the one pinned here. It is taken (pinned as
  // confirmed) when signed vouches lead from the pinned key to the key served now, each signed by
  // one of `vouchers` (Ed25519 keys of coaches whose signed assignment and key this browser
  // verified, and its own). `rows` are her former identities as the server lists them.
  // With no pin here (a browser that never met her before the reset), a verified vouch for the key
  // served now is needed: after a reset her new key is not taken at first sight.
  async acceptVouched(person, rows, vouchers) {
    const pinned = this.entry(FingerprintKind.PERSON, person.userId);
    if (!vouchers.length) return false;
    const target = await person.fingerprint();
    const links = new Map();
    for (const row of rows ?? []) {
      if (!row.vouch) continue;
      try {
        const vouch = await verifyVouch(b64uDecode(row.vouch), vouchers);
        if (vouch.subjectId === person.userId) links.set(b64uEncode(vouch.formerFingerprint), vouch.newFingerprint);
      } catch {
        // a vouch that does not verify under a trusted coach's key counts for nothing
      }
    }
    if (!pinned && ![...links.values()].some((next) => equal(next, target))) return false;
    let at = pinned ? await fingerprint(FingerprintKind.PERSON, person.userId, pinned.keyMaterial) : target;
    for (let step = 0; step <= links.size && !equal(at, target); step += 1) {
      at = links.get(b64uEncode(at)) ?? at;
    }
    if (!equal(at, target)) return false;
    this.pin(FingerprintKind.PERSON, person.userId, keysOf(person), true);
    return true;
  }

  // Whether the signed vouch (base64url, as the server lists it with her former identity) names
  // `former` as the key she held before, signed by `voucher`: a Person whose key is the one
  // trusted here, or this browser's own user (`own`). The server's word alone does not count.
  async vouchedFormer(vouch, former, voucher, { own = false } = {}) {
    if (!vouch) return false;
    try {
      if (!own && (await this.personStatus(voucher)) !== TRUSTED) return false;
      const checked = await verifyVouch(b64uDecode(vouch), [voucher.ed25519Public]);
      return (
        checked.subjectId === former.userId &&
        checked.voucherId === voucher.userId &&
        equal(checked.formerFingerprint, await former.fingerprint())
      );
    } catch {
      return false;
    }
  }

  // The programme's signing key along organisation -> certificate -> programme, each the key
  // pinned here (pinned now when new). { key } when all is as pinned; { key: null, changed } when
  // the organisation or programme key differs: then nothing signed with it is trusted until she
  // confirms the new key in person (confirmKey).
  // With her pins missing, the confirm screen asks her to compare her organisation's code in
  // person (`changed.missing`); with them unavailable or rolled back it only explains
  // (`changed.problem`). Either way the key is null: nothing is trusted, granted or shared.
  async programmeKey(programmeId) {
    try {
      await this.ready();
    } catch (error) {
      if (!error.problem) throw error;
      if (error.problem !== PINS_MISSING) return { key: null, changed: { problem: error.problem } };
      const organisation = await this.must('/api/v1/trust/organisation');
      const served = b64uDecode(organisation.ed25519_public);
      const changed = await this.change(FingerprintKind.ORGANISATION_KEY, organisation.subject_id, served);
      return { key: null, changed: { ...changed, missing: true, problem: PINS_MISSING } };
    }
    const organisation = await this.must('/api/v1/trust/organisation');
    const orgPublic = b64uDecode(organisation.ed25519_public);
    const orgId = organisation.subject_id;
    // Her organisation key is pinned at sign-up against the printed code, or confirmed in person:
    // never taken at first sight from the server.
    const pinnedOrg = this.entry(FingerprintKind.ORGANISATION_KEY, orgId);
    if (!pinnedOrg || !equal(pinnedOrg.keyMaterial, orgPublic)) {
      return { key: null, changed: await this.change(FingerprintKind.ORGANISATION_KEY, orgId, orgPublic) };
    }
    const programme = await this.must(`/api/v1/trust/programmes/${programmeId}`);
    const programmePublic = await verifyProgrammeKey(b64uDecode(programme.certificate), orgPublic, programmeId);
    if (!this.checkVerified(FingerprintKind.PROGRAMME_KEY, programmeId, programmePublic)) {
      return { key: null, changed: await this.change(FingerprintKind.PROGRAMME_KEY, programmeId, programmePublic) };
    }
    return { key: programmePublic, changed: null };
  }

  // What the confirm screen shows: the pinned and the served key's fingerprints (text and QR).
  async change(kind, subjectId, served) {
    const shown = async (material) => {
      const value = await fingerprint(kind, subjectId, material);
      return { text: fingerprintText(value), qr: fingerprintQr(value) };
    };
    const pinned = this.entry(kind, subjectId);
    return {
      kind,
      subjectId,
      served,
      before: pinned ? await shown(pinned.keyMaterial) : null,
      now: await shown(served),
    };
  }

  // She compared the new fingerprint with staff in person and it was the same: pin it, confirmed.
  // Refused (409) when the server serves another key by now than the one she compared, or (for a
  // programme key) when the organisation key is not the one pinned here.
  async confirmKey(changed) {
    const missing = await this.load().then(
      () => false,
      (error) => {
        if (error.problem !== PINS_MISSING) throw error;
        return true;
      },
    );
    const organisation = await this.must('/api/v1/trust/organisation');
    const orgPublic = b64uDecode(organisation.ed25519_public);
    let material = orgPublic;
    if (missing) {
      // Her record is gone: only her organisation's key, compared in person, starts it again.
      if (changed.kind !== FingerprintKind.ORGANISATION_KEY || organisation.subject_id !== changed.subjectId) {
        return { ok: false, status: 409, data: null };
      }
      if (!equal(material, changed.served)) return { ok: false, status: 409, data: null };
      return this.restart({ kind: changed.kind, subjectId: changed.subjectId, keyMaterial: material, confirmed: true });
    }
    if (changed.kind === FingerprintKind.PROGRAMME_KEY) {
      const pinnedOrg = this.entry(FingerprintKind.ORGANISATION_KEY, organisation.subject_id);
      if (!pinnedOrg || !equal(pinnedOrg.keyMaterial, orgPublic)) {
        return { ok: false, status: 409, data: null };
      }
      const programme = await this.must(`/api/v1/trust/programmes/${changed.subjectId}`);
      material = await verifyProgrammeKey(b64uDecode(programme.certificate), orgPublic, changed.subjectId);
    } else if (organisation.subject_id !== changed.subjectId) {
      return { ok: false, status: 409, data: null };
    }
    if (!equal(material, changed.served)) return { ok: false, status: 409, data: null };
    this.pin(changed.kind, changed.subjectId, material, true);
    return this.save();
  }

  async must(path) {
    const result = await this.api(path);
    if (!result.ok) throw new TrustError(result);
    return result.data;
  }
}

// Before this browser hands a key to someone (the organisation or programme key to a colleague,
// the recovery key to an officer) or signs a record naming him (a coach assignment): his key as
// its user knows it, pinned in her signed record, or pinned now the first time she meets it
// (docs/security.md says what that leaves open). A key that changed since is refused: it is
// compared in person first. Throws when her pins cannot be read or the key changed.
export async function knownPerson(identity, person, api) {
  const trust = await new Trust(identity, { api }).load();
  // No message of its own: the page says "something went wrong" in her language.
  const quiet = { error: { message: '' } };
  if (!trust.checkVerified(FingerprintKind.PERSON, person.userId, keysOf(person))) {
    throw new TrustError({ status: 409, data: quiet }, KEY_CHANGED);
  }
  const saved = await trust.save();
  if (!saved.ok) throw new TrustError({ status: saved.status, data: quiet });
  return person;
}
