// A conversation's keys as her browser (or her coach's) holds them: the key per epoch from the
// signed grant to me and back along the signed chain; a new epoch when the server says rotation is
// due (any member holding the key); grants of the current key to the members this browser could
// verify, and (her browser only) to the coaches and supervisors on duty now and next in the
// programme's signed duty roster. In a group conversation the readers are those named, by key, in
// the group's membership record staff signed with the programme key (`groupMembers`); in a
// supervision conversation, or a group whose staff never signed one, a member no signed record
// vouches for gets the key only once this browser's user approved her key after seeing her name
// and fingerprint (`approve`). Messages are sealed and opened here; decrypted text leaves this
// module as strings for textContent.
//
// Trust decisions are shared/trust.js's, through the portfolio's client: the same people, the same
// programme key, the same pins and confirmations. Only what is about a conversation is written here.

import {
  RecordKind,
  b64uDecode,
  b64uEncode,
  decryptMessage,
  encryptMessage,
  fingerprintQr,
  fingerprintText,
  conversationId,
  verifyRecord,
} from '../crypto/index.js';
import { ApiError, PortfolioClient, api, validAt } from '../portfolio/keyring.js';
import { KEY_CHANGED, PINS_UNAVAILABLE, TRUSTED, UNAPPROVED, equal } from '../shared/trust.js';

export const RESOURCE = 'conversation';
// The form of a derived conversation id (docs/crypto-spec.md 8): UUID version 8. A conversation
// made before ids were derived has a random (version 4) id.
const DERIVED_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
// Why a member gets nothing under a group's signed record: it does not name her (yet).
export const NOT_IN_RECORD = 'not_in_record';
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

async function must(path, body, method) {
  const result = await api(path, body, method);
  if (!result.ok) throw new ApiError(result);
  return result.data;
}

// The roster's entries on duty now, and the next shift of each duty.
export function onDuty(entries, now = Date.now() / 1000) {
  const chosen = entries.filter((e) => e.start <= now && now < e.until);
  for (const duty of new Set(entries.map((e) => e.duty))) {
    const later = entries.filter((e) => e.duty === duty && e.start > now);
    const next = Math.min(...later.map((e) => e.start));
    chosen.push(...later.filter((e) => e.start === next));
  }
  return chosen;
}

export class ConversationKeys extends PortfolioClient {
  // The conversation stands where the portfolio's client expects its resource: it has the same
  // shape (participant_id, epoch, rotation_due, members with role and person_id).
  async open(conversationId) {
    const served = await must(`/api/v1/chat/conversations/${conversationId}`);
    // Which group it is never changes under the page: the signed member list is checked against it.
    if (this.groupId !== undefined && (served.group_id ?? null) !== this.groupId) {
      throw new ApiError({ status: 409, data: { error: { message: 'changed' } } });
    }
    this.settle(served, { asked: conversationId });
    this.groupId = served.group_id ?? null;
    this.conversation = this.portfolio;
    return this.portfolio;
  }

  // Readers on duty now or next in the verified roster may take her key the first time they meet
  // it in her coaching conversation, as her coach in a verified assignment may.
  async mayMeetHer(coaches) {
    if (coaches.has(this.me) || this.assignedToMe) return true;
    if (!(await this.rosterApplies())) return false;
    return onDuty(await this.rosterEntries().catch(() => [])).some((entry) => entry.personId === this.me);
  }

  // Whether the duty roster names readers of this conversation at all: only of her coaching
  // conversation (docs/crypto-spec.md 6.3), one with a participant whose id, when derived, is the
  // one derived from her (bindingProblem). A group's readers are those its signed member list
  // names, a supervision conversation's those a member approved: a shift on the roster is no
  // ground to read or sign either.
  async rosterApplies() {
    return this.portfolio.kind === 'coaching' && Boolean(this.portfolio.participant_id) && !(await this.bindingProblem());
  }

  // A group or supervision conversation has no participant: there is nobody to ask for.
  async person(personId) {
    if (!personId) throw new Error('no such person');
    return super.person(personId);
  }

  // Epochs and grants of a conversation; the portfolio client opens them (loadKeys).
  get keysPath() {
    return `/api/v1/chat/conversations/${this.id}`;
  }

  get resourceType() {
    return RESOURCE;
  }

  // Her coaches' signed assignments as served to a member of her coaching conversation: a reader
  // on duty is a member but not her coach, and the programme lists him no assignment of hers.
  // Each record is still verified here under the programme key (assignmentRecords).
  assignmentsPath(participantId) {
    if (this.portfolio?.kind === 'coaching' && participantId === this.portfolio.participant_id) {
      return `/api/v1/chat/conversations/${this.id}/coach-assignments`;
    }
    return super.assignmentsPath(participantId);
  }

  // The programme's current duty roster once it verifies along organisation -> programme ->
  // record, is valid today by its own dates and is not older than a roster this session saw;
  // null without a roster. Throws when one is served that does not verify.
  async roster() {
    const served = await api(`/api/v1/chat/programmes/${this.programmeId}/rosters/current`);
    if (!served.ok || !served.data) return null;
    const programmePublic = await this.programmeKey();
    if (!programmePublic) throw new Error('programme key changed');
    const record = await verifyRecord(b64uDecode(served.data.signed_record), programmePublic, RecordKind.DUTY_ROSTER);
    if (record.programmeId !== this.programmeId) throw new Error('another programme');
    // Dates first: a later roster served before its time must not mark its serial as seen, or the
    // roster in force would be refused as older for the rest of the session.
    if (!validAt(record.body)) throw new Error('not valid today');
    if (!(await this.trust.freshSerial(`roster:${this.programmeId}`, record.serial))) throw new Error('older roster');
    return record;
  }

  // The entries of the verified roster, each within the roster's own signed dates (a shift that
  // starts after the roster ends is nobody's next shift; one that never starts is none); [] without one.
  async rosterEntries() {
    const body = (await this.roster())?.body;
    if (!body) return [];
    const end = body.validUntil || Infinity;
    return body.entries
      .filter((e) => e.start < e.until && e.start < end && e.until > body.validFrom)
      .map((e) => ({ ...e, start: Math.max(e.start, body.validFrom), until: Math.min(e.until, end) }));
  }

  // The coaches and supervisors on duty now, and on the next shift of each duty, in the signed
  // roster; only those whose key is the one in the roster and the one she pinned. Nobody outside
  // her coaching conversation (rosterApplies).
  async dutyReaders(now = Date.now() / 1000) {
    this.rosterInvalid = false;
    const readers = new Map();
    if (!(await this.rosterApplies())) return readers;
    try {
      for (const entry of onDuty(await this.rosterEntries(), now)) {
        if (readers.has(entry.personId) || entry.personId === this.me) continue;
        const person = await this.person(entry.personId);
        if ((await this.trust.personStatus(person, { signed: entry.fingerprint })) !== TRUSTED) continue;
        readers.set(entry.personId, person);
      }
    } catch {
      this.rosterInvalid = true;
      return new Map();
    }
    return readers;
  }

  // Her browser's own record, for this session, of the readers on duty it granted a key to here:
  // person id -> the newest epoch granted (marks `duty:<conversation id>:<person id>`). The server
  // can list a coach who left as "on duty"; only her own grant makes someone who does not count
  // now (a shift that ended since) no reason for a new key before the weekly one.
  async loadDutyGrants() {
    const prefix = `duty:${this.id}:`;
    const marks = await this.trust.marks.load().catch(() => ({}));
    this.dutyGranted = new Map(
      Object.entries(marks)
        .filter(([name]) => name.startsWith(prefix))
        .map(([name, epoch]) => [name.slice(prefix.length), epoch]),
    );
  }

  // Every grant this browser signs; one of hers to a reader on duty now or next is written down
  // (loadDutyGrants) before it is sent.
  async grantBody(epoch, key, personId) {
    const body = await super.grantBody(epoch, key, personId);
    if (this.owner && this.onDutyNow?.has(personId)) {
      await this.trust.marks.raise({ [`duty:${this.id}:${personId}`]: epoch }).catch(() => null);
      this.dutyGranted?.set(personId, Math.max(this.dutyGranted.get(personId) ?? 0, epoch));
    }
    return body;
  }

  // Whether someone listed as holding the current key who does not count now may keep it until
  // the weekly rotation: in her browser, a reader on duty it granted this epoch to itself; in a
  // coach's browser, whoever the server lists as on duty (only her browser grants them; it
  // checks its own record).
  heldOnDuty(member) {
    if (!this.owner) return member.role === 'on_duty';
    return (this.dutyGranted?.get(member.person_id) ?? 0) >= this.portfolio.epoch;
  }

  get currentEpoch() {
    return this.portfolio.epoch;
  }

  // The members this browser can vouch for in a coaching conversation: her coaches in a verified
  // signed assignment, and (in a coach's browser) her, by the key pinned for her. The others are
  // in `unconfirmed` with the reason, and get nothing from this browser until that is put right.
  async verifiedMembers() {
    await this.decideReaders();
    const verified = new Map(this.counting);
    verified.delete(this.me);
    this.unconfirmed = this.unconfirmed.filter((m) => m.person_id !== this.me);
    return verified;
  }

  // Fingerprints that records this browser verified name, per person, in a group conversation
  // without a signed member list or a supervision conversation: (when I am a participant in it)
  // my coaches in a signed coach assignment valid today. Not the duty roster: a shift is ground to
  // read her coaching conversation only (rosterApplies), never a group's or a supervision chat.
  async signedFingerprints() {
    const signed = new Map();
    const mine = this.portfolio.members.find((m) => m.person_id === this.me);
    if (mine?.role !== 'participant') return signed;
    let programmePublic = null;
    try {
      // Only look for the programme key when there is a signed record to check with it.
      const served = await api(`/api/v1/programmes/${this.programmeId}/coach-assignments?participant_id=${this.me}`);
      if (!served.ok || !(served.data ?? []).some((row) => row.signed_record)) return signed;
      programmePublic = await this.programmeKey();
      if (!programmePublic) return signed;
      for (const record of (await this.assignmentRecords(programmePublic, this.me)).values()) {
        if (validAt(record.body) && !record.endedByServer) signed.set(record.body.coachId, record.body.coachFingerprint);
      }
    } catch {
      // no programme key or records to check them with: they vouch for nobody
    }
    return signed;
  }

  // A group conversation's signed membership record (docs/crypto-spec.md 6.3): the members named
  // in it (person id -> { personId, fingerprint, role }) once it verifies along organisation ->
  // programme -> record, is about this conversation's group and programme, is valid today by its
  // own dates, is not older than a record this session saw for the group, and names this
  // browser's user by her own key. null when the group has no record (and this session never saw
  // one): then approvals decide, as in a supervision conversation. Otherwise an empty map with
  // `groupProblem` ('invalid', 'withheld' or 'not_named') when it does not hold: nobody counts.
  async groupMembers() {
    this.groupProblem = null;
    this.membership = null;
    if (!(await this.boundToGroup())) return null;
    const mark = `group:${this.groupId}`;
    const served = this.portfolio.membership_record;
    if (!served) {
      // A record this session saw cannot be taken away: that would bring back approvals it ended.
      if (!((await this.trust.marks.load())[`serial:${mark}`] ?? 0)) return null;
      this.groupProblem = 'withheld';
      return new Map();
    }
    let record;
    try {
      const programmePublic = await this.programmeKey();
      if (!programmePublic) throw new Error('programme key changed');
      record = await verifyRecord(b64uDecode(served), programmePublic, RecordKind.GROUP_MEMBERSHIP);
      if (record.programmeId !== this.programmeId || record.body.groupId !== this.groupId) throw new Error('another group');
      if (!validAt(record.body)) throw new Error('not valid today');
      if (!(await this.trust.freshSerial(mark, record.serial))) throw new Error('older record');
    } catch {
      this.groupProblem = 'invalid';
      return new Map();
    }
    // This conversation's record, from now on in this session: served as anything else it stops
    // every grant (bindingProblem).
    await this.trust.freshSerial(`conversation:${this.id}`, record.serial);
    this.membership = record;
    const named = new Map(record.body.members.map((entry) => [entry.personId, entry]));
    const mine = named.get(this.me);
    if (!mine || !equal(mine.fingerprint, await this.identity.person.fingerprint())) {
      this.groupProblem = 'not_named';
      return new Map();
    }
    return named;
  }

  // The id this conversation has when the server made it by its kind and subject (her id in a
  // coaching conversation, the group's, the coach's in a supervision conversation; docs/crypto-
  // spec.md 8); null when the kind or subject is missing.
  async derivedId() {
    const { kind, participant_id: participant, group_id: group, coach_id: coach } = this.portfolio;
    const subject = { coaching: participant, group, supervision: coach }[kind];
    try {
      return subject ? await conversationId(kind, this.programmeId, subject) : null;
    } catch {
      return null;
    }
  }

  // Whether this is the group's own conversation: its id is the one derived from the programme
  // and the group the record names, so the server cannot serve another group's valid record for
  // it. A group conversation made before ids were derived is not bound: only approvals count
  // there, as in a supervision conversation.
  async boundToGroup() {
    return this.portfolio.kind === 'group' && Boolean(this.groupId) && this.id === (await this.derivedId());
  }

  // Why nobody gets anything from this browser whatever the server says the conversation is:
  // 'invalid' for a conversation with a derived id (a UUID of version 8, which no random id is)
  // served as another kind or about another subject (a group's conversation as her coaching
  // conversation, say: her coaches would get the group's key), 'withheld' for one whose group
  // record this session took served without it. Otherwise null.
  async bindingProblem() {
    if (DERIVED_ID.test(this.id) && this.id !== (await this.derivedId())) return 'invalid';
    const seen = (await this.trust.marks.load())[`serial:conversation:${this.id}`] ?? 0;
    if (seen > 0 && !((await this.boundToGroup()) && this.portfolio.membership_record)) return 'withheld';
    return null;
  }

  // Under the group's verified record: the members the server lists count when the record names
  // them with the key served now (pinned then, as for any signed record; a key confirmed in
  // person counts too). Someone it does not name, or names by another key, gets nothing from this
  // browser, and no approval changes that: only staff signing the group again does.
  async recordMembers(named, verified) {
    if (this.groupProblem) return verified;
    for (const member of this.portfolio.members) {
      if (member.person_id === this.me || member.role === 'on_duty') continue;
      const entry = named.get(member.person_id);
      if (!entry) {
        this.unconfirmed.push({ ...member, reason: NOT_IN_RECORD });
        continue;
      }
      let person;
      try {
        this.people.delete(member.person_id);
        person = await this.person(member.person_id);
      } catch {
        continue;
      }
      if ((await this.trust.personStatus(person, { signed: entry.fingerprint })) === TRUSTED) {
        verified.set(member.person_id, person);
        this.counting.set(member.person_id, person);
      } else {
        this.unconfirmed.push({ ...member, reason: 'key_changed' });
      }
    }
    return verified;
  }

  // A group conversation (its participants and trainers) or a supervision conversation (a coach
  // and the programme's supervisors): the server's list of members is not a signed record. A
  // group with a signed membership record admits by that record alone (recordMembers); without
  // one, and in a supervision conversation, this browser grants by itself only to members a
  // verified record names with the key served now (signedFingerprints) and to keys its user
  // approved or confirmed in person before. Everyone else is in `unconfirmed` with her fingerprint: 'unapproved' (waiting for
  // approval) or 'key_changed' (another key than the one approved); they get nothing from this
  // browser until approved. Someone without keys yet is skipped; on-duty readers hold their grant.
  async vouchedMembers() {
    const verified = new Map();
    this.counting = new Map([[this.me, this.identity.person]]);
    this.past = new Map();
    this.unconfirmed = [];
    this.trustProblem = null;
    try {
      await this.trust.load();
    } catch (error) {
      this.trustProblem = error.problem ?? PINS_UNAVAILABLE;
      await this.programmeKey().catch(() => null); // for the confirm screen
      return verified;
    }
    const named = await this.groupMembers();
    if (named) return this.recordMembers(named, verified);
    const signed = await this.signedFingerprints();
    for (const member of this.portfolio.members) {
      if (member.person_id === this.me || member.role === 'on_duty') continue;
      let person;
      try {
        this.people.delete(member.person_id); // the key as served now, not as first seen on this page
        person = await this.person(member.person_id);
      } catch {
        continue;
      }
      const status = signed.has(member.person_id)
        ? await this.trust.personStatus(person, { signed: signed.get(member.person_id) })
        : this.trust.approvalStatus(person);
      if (status === TRUSTED) {
        verified.set(member.person_id, person);
        this.counting.set(member.person_id, person);
        continue;
      }
      const value = await person.fingerprint();
      this.unconfirmed.push({
        ...member,
        reason: status === KEY_CHANGED ? 'key_changed' : UNAPPROVED,
        fingerprint: { text: fingerprintText(value), qr: fingerprintQr(value) },
      });
    }
    return verified;
  }

  // Her user saw this member's name and fingerprint (`expected`, as shown) and gave access: the
  // key is pinned as approved (confirmed) in her signed pinned-keys record, then granted with a
  // signed grant like any vouched reader. Refused (409) when the key served now is not the one she
  // saw. { ok, reading } where `reading` says whether the member can read the current key now.
  async approve(personId, expected) {
    this.people.delete(personId);
    const person = await this.person(personId);
    if (fingerprintText(await person.fingerprint()) !== expected) return { ok: false, status: 409, data: null };
    const saved = await this.trust.confirmPerson(person);
    if (!saved.ok) return saved;
    await this.open(this.id);
    await this.ensureAccess();
    const reading = this.portfolio.members.some((m) => m.person_id === personId && m.can_read);
    return { ok: true, reading };
  }

  // Someone the server lists as able to read the current key who does not count here. Under a
  // group's signed record: someone it does not name (or names by another key), a member staff
  // removed, say. In her coaching conversation: someone who counts neither by a verified signed
  // assignment nor on duty now or next, unless her own browser granted him this epoch while he
  // was on duty (heldOnDuty: his grant stands until the weekly rotation), so a coach whose
  // assignment ended, still listed as reading with no rotation due, gets a new key made without
  // him, as in her portfolio.
  needsNewEpoch() {
    if (this.portfolio.epoch === 0 || this.portfolio.rotation_due) return true;
    if (this.trustProblem || this.fork) return false;
    if (this.epochKeys.has(this.portfolio.epoch) && this.verifiedEpoch !== this.portfolio.epoch) return true;
    if (this.membership && !this.groupProblem) {
      return this.portfolio.members.some((m) => m.can_read && m.role !== 'on_duty' && !this.counting.has(m.person_id));
    }
    if (this.portfolio.kind === 'coaching' && this.portfolio.participant_id && !this.groupProblem) {
      return this.portfolio.members.some((m) => m.can_read && !this.counting.has(m.person_id) && !this.heldOnDuty(m));
    }
    return false;
  }

  // What a member browser does on opening. First who counts: in a coaching conversation her and
  // her coaches in verified signed assignments (and, in her browser, the readers on duty in the
  // verified roster); in a group or supervision conversation the members a verified record names
  // or her user approved. Then the keys, checked against that. Her browser makes the first key (in
  // a group or supervision conversation: any member's). Any member holding the current key starts
  // the next epoch when the server says rotation is due (a week old, or a coach left) or when the
  // current key did not come from readers who count now, granted to itself, her and the members it
  // could verify. Then the verified members who cannot read yet get the current key; her browser
  // also grants it to the coaches and supervisors on duty now and next in the signed roster.
  async ensureAccess() {
    const shared = !this.portfolio.participant_id;
    let verified;
    const lost = await this.bindingProblem();
    if (lost) {
      this.counting = new Map([[this.me, this.identity.person]]);
      this.past = new Map();
      this.unconfirmed = [];
      this.groupProblem = lost;
      verified = new Map();
      await this.trust.load().catch((error) => {
        this.trustProblem = error.problem ?? PINS_UNAVAILABLE;
      });
    } else {
      verified = shared ? await this.vouchedMembers() : await this.verifiedMembers();
    }
    const duty = this.owner && !this.trustProblem && !this.groupProblem ? await this.dutyReaders() : new Map();
    this.onDutyNow = new Set(duty.keys());
    for (const [id, person] of duty) this.counting.set(id, person);
    // In her coaching conversation readers on duty sign epochs and grants too (an escalation, a
    // weekly rotation): they count while on duty now or next in the verified roster, as in her
    // browser. Nowhere else: in a group only its signed member list counts, in a supervision
    // conversation only approvals.
    if (!this.owner && !this.trustProblem && !this.groupProblem && (await this.rosterApplies())) {
      this.rosterInvalid = false;
      try {
        for (const entry of onDuty(await this.rosterEntries())) {
          if (this.counting.has(entry.personId)) continue;
          const person = await this.person(entry.personId);
          if ((await this.trust.personStatus(person, { signed: entry.fingerprint })) === TRUSTED) {
            this.counting.set(entry.personId, person);
          }
        }
      } catch {
        this.rosterInvalid = true;
      }
    }
    await this.trust.save().catch(() => null);
    await this.loadKeys();
    await this.loadDutyGrants();
    const herId = this.portfolio.participant_id;
    const herKnown = !herId || herId === this.me || verified.has(herId);
    const maker = this.owner || this.epochKeys.has(this.portfolio.epoch) || (shared && this.portfolio.epoch === 0);
    if (maker && herKnown && !this.trustProblem && !this.groupProblem && !this.rollback && this.needsNewEpoch()) {
      const path = `/api/v1/chat/conversations/${this.id}/epochs`;
      await this.makeEpoch(path, [this.me, ...verified.keys(), ...duty.keys()], [this.me, ...verified.keys()]);
    }
    await this.grantMissing(new Map([...verified, ...duty]));
    return this.currentKey !== null;
  }

  // Grants of the current key to wanted readers who cannot read yet; the server announces each
  // new reader to everyone in the conversation ("a coach joined").
  async grantMissing(wanted) {
    if (!this.currentKey) return false;
    const reading = new Set(this.portfolio.members.filter((m) => m.can_read).map((m) => m.person_id));
    const missing = [...wanted.keys()].filter((id) => !reading.has(id) && id !== this.me);
    if (!missing.length) return false;
    const grants = [];
    for (const id of missing) grants.push(await this.grantBody(this.portfolio.epoch, this.currentKey, id));
    const path = `/api/v1/chat/conversations/${this.id}/grants`;
    const result = await api(path, { epoch: this.portfolio.epoch, grants });
    if (result.status === 422 && grants.length > 1) {
      // One of them the server does not count (yet, or any more): give the others theirs.
      for (const grant of grants) await api(path, { epoch: this.portfolio.epoch, grants: [grant] });
    }
    await this.open(this.id);
    return true;
  }

  // Before she sends: the readers on duty now and next get the key, so an escalation never
  // waits for her to come back. Looked at again at most every five minutes.
  async grantOnDuty() {
    if (!this.owner || !this.currentKey || navigator.onLine === false) return;
    if (this.dutyCheckedAt && Date.now() - this.dutyCheckedAt < 300_000) return;
    this.dutyCheckedAt = Date.now();
    const duty = await this.dutyReaders();
    this.onDutyNow = new Set(duty.keys());
    for (const [id, person] of duty) this.counting?.set(id, person);
    await this.grantMissing(duty);
    await this.savePins();
  }

  async seal(text, clientId) {
    const envelope = await encryptMessage(this.identity, this.currentKey, {
      conversationId: this.id,
      messageId: clientId,
      plaintext: encoder.encode(text),
    });
    return b64uEncode(envelope);
  }

  // The text of a message, or { error: 'locked' } (no key for its epoch) or { error: 'broken' }
  // (it does not open or its signature is wrong: shown as a warning, never hidden).
  async openMessage(message) {
    const key = this.epochKeys.get(message.epoch);
    if (!key) return { error: 'locked' };
    // Her key now first, then the keys she held before a reset (what she wrote then).
    for (const author of await this.authors(message.author_id).catch(() => [])) {
      try {
        const bytes = await decryptMessage(b64uDecode(message.body), key, {
          conversationId: this.id,
          messageId: message.client_id,
          author,
        });
        return { text: decoder.decode(bytes) };
      } catch {
        // signed with a key she held before a reset, perhaps: try that one
      }
    }
    return { error: 'broken' };
  }

  // Her own unsent envelope under an older epoch, sealed again under the current key.
  async reseal(entry) {
    const opened = await this.openMessage({ epoch: entry.epoch, body: entry.body, client_id: entry.clientId, author_id: this.me });
    if (opened.error) return null;
    return { ...entry, epoch: this.portfolio.epoch, body: await this.seal(opened.text, entry.clientId) };
  }
}
