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
  decodeAttachmentMeta,
  encodeAttachmentMeta,
  encryptItem,
  fingerprintQr,
  fingerprintText,
  makeGrant,
  newEpoch,
  openEnvelope,
  makeVouch,
  openGrant,
  openPreviousKey,
  readVouch,
  sealEnvelope,
  unwrapItemKey,
  verifyRecord,
} from '../crypto/index.js';
import { KEY_CHANGED, TRUSTED, Trust, equal, keysOf } from '../shared/trust.js';
import { downloadStream, encryptStream, sendParts } from '../shared/streams.js';

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
    this.portfolio = portfolioId
      ? await must(`/api/v1/portfolio/${portfolioId}`)
      : await must(`/api/v1/portfolio/programmes/${this.programmeId}/mine`, {});
    this.id = this.portfolio.id;
    this.owner = this.portfolio.my_role === 'owner';
    return this.portfolio;
  }

  async person(personId) {
    if (!this.people.has(personId)) {
      const served = await must(`/api/v1/trust/programmes/${this.programmeId}/people/${personId}`);
      this.people.set(personId, Person.fromPublicIdentity(b64uDecode(served.public_identity)));
    }
    return this.people.get(personId);
  }

  // Keys whose signatures on grants and epoch records I accept: hers, mine and her readers'.
  async accepted() {
    const ids = new Set([this.portfolio.participant_id, this.me, ...this.portfolio.members.map((m) => m.person_id)]);
    for (const epoch of this.epochs ?? []) ids.add(epoch.created_by);
    const keys = [];
    for (const id of ids) {
      try {
        keys.push((await this.person(id)).ed25519Public);
        for (const former of await this.formerPeople(id)) keys.push(former.ed25519Public);
      } catch {
        // Someone without keys signs nothing we could accept.
      }
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
  // Where this browser pinned her key, a former key is taken only when it is the pinned one, or
  // when the pin is her new key and a trusted signed vouch names it as the key she held before.
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
          if (pinned && !equal(pinned.keyMaterial, keysOf(person))) {
            const current = await this.person(personId);
            if (!equal(pinned.keyMaterial, keysOf(current)) || !(await this.vouchedFormer(row, person))) continue;
          }
          people.push(person);
        } catch {
          // A former identity that does not check out is not accepted.
        }
      }
    }
    this.former.set(personId, people);
    return people;
  }

  // Once her pin here moved to her new key, a key she held before is taken only when a signed
  // vouch names it as her former key, signed by this browser's user or by someone whose key this
  // browser trusts (not on the server's word alone).
  async vouchedFormer(row, former) {
    if (!row.vouch) return false;
    try {
      const { voucherId } = readVouch(b64uDecode(row.vouch));
      const own = voucherId === this.me;
      const voucher = own ? this.identity.person : await this.person(voucherId);
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

  // Every epoch key I can reach: the newest grant to me, then back along the chain.
  async loadKeys() {
    this.epochs = await must(`${this.keysPath}/epochs`);
    const grants = await must(`${this.keysPath}/grants/mine`);
    const accepted = await this.accepted();
    this.epochKeys = new Map();
    for (const grant of grants) {
      try {
        const { key } = await openGrant(b64uDecode(grant.grant), this.identity, accepted);
        this.epochKeys.set(grant.epoch, key);
      } catch {
        this.warnings.push('grant');
      }
    }
    const records = new Map(this.epochs.map((e) => [e.epoch, b64uDecode(e.record)]));
    const newest = Math.max(0, ...this.epochKeys.keys());
    for (let epoch = newest; epoch > 1; epoch -= 1) {
      if (this.epochKeys.has(epoch - 1) || !records.has(epoch)) continue;
      try {
        this.epochKeys.set(epoch - 1, await openPreviousKey(records.get(epoch), this.epochKeys.get(epoch), accepted));
      } catch {
        this.warnings.push('epoch');
        break;
      }
    }
    return this.epochKeys;
  }

  get currentKey() {
    return this.epochKeys.get(this.portfolio.epoch) ?? null;
  }

  // Pins are the shared trust module's (shared/trust.js); these only pass on to it.
  async loadPins() {
    return this.trust.load();
  }

  checkPin(kind, subjectId, keyMaterial) {
    return this.trust.check(kind, subjectId, keyMaterial);
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
  // key pinned here (then nothing signed with it is trusted, and `keyChange` says which key
  // changed, for the confirm screen).
  async programmeKey() {
    const { key, changed } = await this.trust.programmeKey(this.programmeId);
    this.keyChange = changed;
    return key;
  }

  // Her coaches whose signed assignment verifies under the certified programme key and whose
  // key is the one pinned: the only readers a member's browser grants to without asking. Those
  // it cannot vouch for are in `unconfirmed`, each with the reason ('key_changed' or 'unverified').
  async verifiedCoaches() {
    const participantId = this.portfolio.participant_id;
    const coachMembers = this.portfolio.members.filter((m) => m.role === 'coach');
    this.unconfirmed = [];
    const programmePublic = await this.programmeKey();
    if (!programmePublic) {
      this.unconfirmed = coachMembers.map((m) => ({ ...m, reason: 'programme_key_changed' }));
      return new Map();
    }
    const assignments = await must(
      `/api/v1/programmes/${this.programmeId}/coach-assignments?participant_id=${participantId}`,
    );
    const verified = new Map();
    for (const member of coachMembers) {
      let ok = false;
      let reason = 'unverified';
      for (const assignment of assignments) {
        if (assignment.coach_id !== member.person_id || !assignment.signed_record || assignment.ended_at) continue;
        try {
          const record = await verifyRecord(b64uDecode(assignment.signed_record), programmePublic, RecordKind.COACH_ASSIGNMENT);
          const signed =
            record.programmeId === this.programmeId &&
            record.body.participantId === participantId &&
            record.body.coachId === member.person_id;
          if (!signed) continue;
          const coach = await this.person(member.person_id);
          const status = await this.trust.personStatus(coach, { signed: record.body.coachFingerprint });
          if (status === TRUSTED) ok = true;
          else reason = 'key_changed';
        } catch {
          ok = false;
        }
        if (ok) break;
      }
      if (ok) verified.set(member.person_id, await this.person(member.person_id));
      else this.unconfirmed.push({ ...member, reason });
    }
    await this.trust.save();
    return verified;
  }

  // In a coach's browser: whether her key is the one pinned here. After a coach-assisted reset it
  // is not (nor taken at first sight); it is taken when a coach this browser verified (or this
  // browser's user) vouched for it in person (shared/trust.js). `coaches` are her verified coaches.
  async herStatus(coaches) {
    const herId = this.portfolio.participant_id;
    const her = await this.person(herId);
    const rows = await this.formerRows(herId);
    // Met for the first time after a reset: her new key is not taken at first sight.
    const unmet = !this.trust.entry(FingerprintKind.PERSON, herId) && rows.length > 0;
    if (!unmet && (await this.trust.personStatus(her)) === TRUSTED) return TRUSTED;
    const vouchers = [this.identity.person.ed25519Public, ...[...coaches.values()].map((c) => c.ed25519Public)];
    if (await this.trust.acceptVouched(her, rows, vouchers)) {
      this.former?.delete(herId);
      await this.trust.save();
      return TRUSTED;
    }
    return KEY_CHANGED;
  }

  async grantBody(epoch, key, personId) {
    const grant = await makeGrant(this.identity, {
      resourceType: RESOURCE,
      resourceId: this.id,
      epoch,
      key,
      recipient: await this.person(personId),
    });
    return { recipient_id: personId, grant: b64uEncode(grant) };
  }

  // What a member browser does on opening: make the first key, start a new epoch after a reader
  // left, and (her browser only) grant the key to coaches in a verified signed assignment. A
  // coach's browser makes her a new key only while her key is the one it trusts (`herKey`).
  async ensureAccess() {
    await this.loadKeys();
    let coaches = new Map();
    this.herKey = TRUSTED;
    if (this.owner) {
      await this.trust.load();
      try {
        coaches = await this.verifiedCoaches();
      } catch {
        coaches = new Map();
      }
    } else {
      let others = new Map();
      try {
        await this.trust.load();
        try {
          others = await this.verifiedCoaches();
        } catch {
          others = new Map();
        }
        this.herKey = await this.herStatus(others);
        await this.trust.save();
      } catch {
        this.herKey = KEY_CHANGED;
      }
      const her = this.portfolio.members.find((m) => m.role === 'owner');
      this.unconfirmed = this.herKey === TRUSTED || !her ? [] : [{ ...her, reason: 'key_changed' }];
    }
    const needsEpoch = this.portfolio.epoch === 0 || this.portfolio.rotation_due;
    if (needsEpoch && (this.owner || (this.currentKey && this.herKey === TRUSTED))) {
      const recipients = [this.portfolio.participant_id, ...(this.owner ? coaches.keys() : [this.me])];
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const next = this.portfolio.epoch + 1;
        const made = await newEpoch(this.identity, {
          resourceType: RESOURCE,
          resourceId: this.id,
          epoch: next,
          previousKey: next === 1 ? null : this.currentKey,
        });
        const grants = [];
        for (const id of new Set(recipients)) grants.push(await this.grantBody(next, made.key, id));
        const result = await api(`/api/v1/portfolio/${this.id}/epochs`, {
          epoch: next,
          record: b64uEncode(made.record),
          grants,
        });
        await this.open(this.id);
        if (result.ok || result.status !== 409) break;
        await this.loadKeys(); // someone else was first: take her epoch and look again
        if (!this.portfolio.rotation_due) break;
      }
      await this.loadKeys();
    }
    if (this.owner && this.currentKey) {
      const missing = this.portfolio.members.filter((m) => !m.has_current_grant && coaches.has(m.person_id));
      if (missing.length) {
        const grants = [];
        for (const m of missing) grants.push(await this.grantBody(this.portfolio.epoch, this.currentKey, m.person_id));
        await api(`/api/v1/portfolio/${this.id}/grants`, { epoch: this.portfolio.epoch, grants });
        await this.open(this.id);
      }
    }
    return this.currentKey !== null;
  }

  // Coach-assisted recovery: after checking her new fingerprint in person (`expected`, as shown),
  // grant her every epoch key this browser holds (so she need not walk back over records her old
  // key signed), sign a vouch for her new key (her other coaches' browsers take it on that word)
  // and pin it here as confirmed.
  async grantEveryEpoch(personId, expected = null) {
    this.people.delete(personId);
    const her = await this.person(personId);
    if (expected !== null && fingerprintText(await her.fingerprint()) !== expected) {
      return { ok: false, status: 409, data: null };
    }
    const holds = this.portfolio.members.some((m) => m.person_id === personId && m.has_current_grant);
    for (const [epoch, key] of [...this.epochKeys.entries()].sort((a, b) => b[0] - a[0])) {
      if (holds) break;
      const grant = await this.grantBody(epoch, key, personId);
      const result = await api(`/api/v1/portfolio/${this.id}/grants`, { epoch, grants: [grant] });
      if (!result.ok) return result;
    }
    this.formerServed?.delete(personId);
    const rows = await this.formerRows(personId);
    if (!rows.length) return { ok: false, status: 404, data: null };
    const former = await Person.fromPublicIdentity(b64uDecode(rows[0].public_identity));
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
          return (await openGrant(wrap, this.identity, await this.accepted())).key;
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
    if (audience === 'chosen') return Audience.chosen(await Promise.all(chosen.map((id) => this.person(id))));
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
    if (audience && audience !== item.audience) {
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

  // Encrypt the file here (64 KiB chunks), make the item (its envelope holds the metadata), then
  // send the stream part by part; resumes with what the server says is missing.
  async uploadFile(file, retried = false) {
    const { id = newId(), kind, audience, chosen, blob, fileName, mediaType, onProgress } = file;
    const { key: itemKey, parts, streamSalt, plainSize } = await encryptStream(blob);
    const meta = encodeAttachmentMeta({ fileName, mediaType, size: plainSize, streamSalt });
    const sealed = await encryptItem(this.identity, await this.audienceFor(audience, chosen), {
      resourceType: RESOURCE,
      resourceId: this.id,
      itemId: id,
      revision: 1,
      plaintext: meta,
      itemKey,
    });
    const made = await api(`/api/v1/portfolio/${this.id}/items`, {
      id,
      kind,
      audience,
      key_id: b64uEncode(sealed.itemKeyId),
      envelope: b64uEncode(sealed.envelope),
      keys: this.keyCopies(audience, sealed, chosen),
    });
    if (!made.ok && !retried && (await this.epochMoved(made))) return this.uploadFile({ ...file, id }, true);
    if (!made.ok) return made;
    const size = parts.reduce((sum, part) => sum + part.length, 0);
    const announced = await api(`/api/v1/portfolio/items/${id}/attachment`, { size });
    if (!announced.ok) return announced;
    return this.sendParts(id, parts, announced.data.missing, onProgress);
  }

  async sendParts(itemId, parts, missing, onProgress) {
    return sendParts(api, {
      partUrl: (index) => `/api/v1/portfolio/items/${itemId}/attachment/parts/${index}`,
      statusUrl: `/api/v1/portfolio/items/${itemId}/attachment`,
      parts,
      missing,
      onProgress,
    });
  }

  // The decrypted file as a Blob, only after every chunk proved authentic.
  async downloadFile(item, key, meta) {
    return downloadStream(`/api/v1/portfolio/items/${item.id}/attachment/download`, key, meta);
  }

  decodeMeta(bytes) {
    return decodeAttachmentMeta(bytes);
  }
}

export { decoder, encoder };
