// Signed records (coach assignments, duty roster, group membership, intake team, programme keys) and the keys that sign them.

import { SealedPurpose, openSealed, sealTo } from './boxes.js';
import { Reader, Writer, checkId, concat, equalBytes, lp, utf8 } from './encoding.js';
import { refuseUnless, refusing } from './errors.js';
import { FINGERPRINT_BYTES, fingerprint } from './fingerprints.js';
import {
  KEY_BYTES,
  SIGNATURE_BYTES,
  draw,
  ed25519Public,
  keyId,
  sha256,
  sign,
  systemRng,
  verify,
  x25519Public,
} from './primitives.js';

const TAG_SIGNED_RECORD = 0x08;

export const RecordKind = Object.freeze({
  COACH_ASSIGNMENT: 0x01,
  DUTY_ROSTER: 0x02,
  PROGRAMME_RECOVERY_KEY: 0x03,
  PROGRAMME_KEY_CERTIFICATE: 0x04,
  GROUP_MEMBERSHIP: 0x05,
  INTAKE_TEAM: 0x06,
});
export const CoachRole = Object.freeze({ INDIVIDUAL: 0x01, BUDGET: 0x02, WORK: 0x03, SUPERVISOR: 0x04 });
export const Duty = Object.freeze({ COACH: 0x01, SUPERVISOR: 0x02 });
// A member's place in a group: a participant, or the group's trainer or coach.
export const GroupRole = Object.freeze({ PARTICIPANT: 0x01, TRAINER: 0x02 });

function checkEnum(values, value) {
  refuseUnless(Object.values(values).includes(value));
  return value;
}

// Each body kind: how to write it and how to read it back.
const BODIES = {
  [RecordKind.COACH_ASSIGNMENT]: {
    write: (body) =>
      new Writer()
        .str16(checkId(body.participantId))
        .str16(checkId(body.coachId))
        .raw(body.coachFingerprint, FINGERPRINT_BYTES)
        .u8(checkEnum(CoachRole, body.role))
        .u64(body.validFrom)
        .u64(body.validUntil)
        .getValue(),
    read: (reader) => ({
      participantId: reader.id16(),
      coachId: reader.id16(),
      coachFingerprint: reader.raw(FINGERPRINT_BYTES),
      role: checkEnum(CoachRole, reader.u8()),
      validFrom: reader.u64(),
      validUntil: reader.u64(),
    }),
  },
  [RecordKind.DUTY_ROSTER]: {
    write: (body) => {
      const writer = new Writer().u64(body.validFrom).u64(body.validUntil).u16(body.entries.length);
      for (const entry of body.entries) {
        writer.str16(checkId(entry.personId)).raw(entry.fingerprint, FINGERPRINT_BYTES);
        writer.u8(checkEnum(Duty, entry.duty)).u64(entry.start).u64(entry.until);
      }
      return writer.getValue();
    },
    read: (reader) => {
      const validFrom = reader.u64();
      const validUntil = reader.u64();
      const count = reader.u16();
      const entries = [];
      for (let i = 0; i < count; i += 1) {
        entries.push({
          personId: reader.id16(),
          fingerprint: reader.raw(FINGERPRINT_BYTES),
          duty: checkEnum(Duty, reader.u8()),
          start: reader.u64(),
          until: reader.u64(),
        });
      }
      return { validFrom, validUntil, entries };
    },
  },
  [RecordKind.GROUP_MEMBERSHIP]: {
    write: (body) => {
      const writer = new Writer().str16(checkId(body.groupId)).u64(body.validFrom).u64(body.validUntil);
      writer.u16(body.members.length);
      for (const member of body.members) {
        writer.str16(checkId(member.personId)).raw(member.fingerprint, FINGERPRINT_BYTES);
        writer.u8(checkEnum(GroupRole, member.role));
      }
      return writer.getValue();
    },
    read: (reader) => {
      const groupId = reader.id16();
      const validFrom = reader.u64();
      const validUntil = reader.u64();
      const count = reader.u16();
      const members = [];
      for (let i = 0; i < count; i += 1) {
        members.push({
          personId: reader.id16(),
          fingerprint: reader.raw(FINGERPRINT_BYTES),
          role: checkEnum(GroupRole, reader.u8()),
        });
      }
      return { groupId, validFrom, validUntil, members };
    },
  },
  // The staff who may read applications to a programme, each by her key.
  [RecordKind.INTAKE_TEAM]: {
    write: (body) => {
      const writer = new Writer().u64(body.validFrom).u64(body.validUntil).u16(body.readers.length);
      for (const reader of body.readers) {
        writer.str16(checkId(reader.personId)).raw(reader.fingerprint, FINGERPRINT_BYTES);
      }
      return writer.getValue();
    },
    read: (reader) => {
      const validFrom = reader.u64();
      const validUntil = reader.u64();
      const count = reader.u16();
      const readers = [];
      for (let i = 0; i < count; i += 1) {
        readers.push({ personId: reader.id16(), fingerprint: reader.raw(FINGERPRINT_BYTES) });
      }
      return { validFrom, validUntil, readers };
    },
  },
  [RecordKind.PROGRAMME_RECOVERY_KEY]: {
    write: (body) => new Writer().raw(body.x25519Public, 32).getValue(),
    read: (reader) => ({ x25519Public: reader.raw(32) }),
  },
  [RecordKind.PROGRAMME_KEY_CERTIFICATE]: {
    write: (body) => new Writer().raw(body.ed25519Public, 32).getValue(),
    read: (reader) => ({ ed25519Public: reader.raw(32) }),
  },
};

// An organisation or programme Ed25519 key, held by staff whose browsers sign records.
export class SigningKey {
  constructor(privateKey, publicKey) {
    this.privateKey = privateKey; // raw seed or non-extractable CryptoKey
    this.public = publicKey;
  }

  static async fromSeed(seed) {
    refuseUnless(seed instanceof Uint8Array && seed.length === KEY_BYTES);
    return new SigningKey(seed, await ed25519Public(seed));
  }

  static async generate({ rng = systemRng } = {}) {
    return SigningKey.fromSeed(await draw(rng, KEY_BYTES));
  }

  async fingerprint(kind, subjectId) {
    return fingerprint(kind, subjectId, this.public);
  }

  // Wrap the private half for another staff member (or admin). Needs the raw seed.
  async sealFor(member, { rng = systemRng } = {}) {
    refuseUnless(this.privateKey instanceof Uint8Array);
    return sealTo(member.x25519Public, SealedPurpose.SIGNING_KEY, this.privateKey, this.public, { rng });
  }

  static async open(box, holder, publicKey) {
    const seed = await holder.openSealed(box, SealedPurpose.SIGNING_KEY, publicKey);
    const key = await SigningKey.fromSeed(seed);
    refuseUnless(equalBytes(key.public, publicKey));
    return key;
  }

  async signRecord(kind, body, { organisationId, programmeId, serial, issuedAt, signedBy }) {
    const signed = new Writer(TAG_SIGNED_RECORD)
      .u8(checkEnum(RecordKind, kind))
      .str16(checkId(organisationId))
      .str16(checkId(programmeId))
      .u64(serial)
      .u64(issuedAt)
      .str16(checkId(signedBy))
      .raw(this.public, 32)
      .bytes32(BODIES[kind].write(body))
      .getValue();
    return concat(signed, await sign(this.privateKey, 'eportfolio/v1/sig/record', signed));
  }
}

SigningKey.fromSeed = refusing(SigningKey.fromSeed);
SigningKey.generate = refusing(SigningKey.generate);
SigningKey.open = refusing(SigningKey.open);
for (const name of ['fingerprint', 'sealFor', 'signRecord']) {
  SigningKey.prototype[name] = refusing(SigningKey.prototype[name]);
}

// Parse and check a record of the expected kind signed by the expected key.
export const verifyRecord = refusing(async (data, signerPublic, kind) => {
  const reader = new Reader(data, TAG_SIGNED_RECORD);
  refuseUnless(reader.u8() === kind && BODIES[kind] !== undefined);
  const organisationId = reader.id16();
  const programmeId = reader.id16();
  const serial = reader.u64();
  const issuedAt = reader.u64();
  const signedBy = reader.id16();
  const publicKey = reader.raw(32);
  const bodyReader = new Reader(reader.bytes32());
  const body = BODIES[kind].read(bodyReader);
  bodyReader.end();
  const signed = reader.consumed();
  const signature = reader.raw(SIGNATURE_BYTES);
  reader.end();
  refuseUnless(equalBytes(publicKey, signerPublic));
  await verify(publicKey, 'eportfolio/v1/sig/record', signed, signature);
  return { kind, organisationId, programmeId, serial, issuedAt, signedBy, signerPublic: publicKey, body };
});

// Organisation key -> certificate -> the programme's signing key.
export const verifyProgrammeKey = refusing(async (certificate, organisationPublic, programmeId) => {
  const record = await verifyRecord(certificate, organisationPublic, RecordKind.PROGRAMME_KEY_CERTIFICATE);
  refuseUnless(record.programmeId === programmeId);
  return record.body.ed25519Public;
});

// The X25519 key that programme recovery copies are sealed to; held by recovery officers.
export class ProgrammeRecoveryKey {
  constructor(privateRaw, publicKey) {
    this.privateRaw = privateRaw;
    this.public = publicKey;
  }

  static async fromPrivate(privateRaw) {
    refuseUnless(privateRaw instanceof Uint8Array && privateRaw.length === KEY_BYTES);
    return new ProgrammeRecoveryKey(privateRaw, await x25519Public(privateRaw));
  }

  static async generate({ rng = systemRng } = {}) {
    return ProgrammeRecoveryKey.fromPrivate(await draw(rng, KEY_BYTES));
  }

  async sealFor(officer, { rng = systemRng } = {}) {
    return sealTo(officer.x25519Public, SealedPurpose.RECOVERY_OFFICER_KEY, this.privateRaw, this.public, {
      rng,
    });
  }

  static async open(box, officer, publicKey) {
    const privateRaw = await officer.openSealed(box, SealedPurpose.RECOVERY_OFFICER_KEY, publicKey);
    const key = await ProgrammeRecoveryKey.fromPrivate(privateRaw);
    refuseUnless(equalBytes(key.public, publicKey));
    return key;
  }

  // After checking her identity in person: her user key, to her new device's key.
  async resealToDevice(recoveryCopy, { userId, userKeyId, devicePublic, rng = systemRng }) {
    const context = new Writer().raw(userKeyId, 16).str16(checkId(userId)).getValue();
    const userKey = await openSealed(
      recoveryCopy,
      this.privateRaw,
      this.public,
      SealedPurpose.PROGRAMME_RECOVERY,
      context,
    );
    try {
      refuseUnless(equalBytes(await keyId(userKey), userKeyId));
      return await sealTo(devicePublic, SealedPurpose.RECOVERY_DEVICE, userKey, context, { rng });
    } finally {
      userKey.fill(0);
    }
  }
}

ProgrammeRecoveryKey.fromPrivate = refusing(ProgrammeRecoveryKey.fromPrivate);
ProgrammeRecoveryKey.generate = refusing(ProgrammeRecoveryKey.generate);
ProgrammeRecoveryKey.open = refusing(ProgrammeRecoveryKey.open);
for (const name of ['sealFor', 'resealToDevice']) {
  ProgrammeRecoveryKey.prototype[name] = refusing(ProgrammeRecoveryKey.prototype[name]);
}

// The one id a conversation of this kind about this subject may have (docs/crypto-spec.md 8): a
// UUID (version 8) from SHA-256 over kind, programme and subject (her id in a coaching
// conversation, the group's, the coach's in a supervision conversation), so a browser knows what a
// conversation is, whatever the server says. Random ids are version 4: no derived id is one.
export const CONVERSATION_KINDS = Object.freeze(['coaching', 'group', 'supervision']);
export const conversationId = refusing(async (kind, programmeId, subjectId) => {
  refuseUnless(CONVERSATION_KINDS.includes(kind));
  const digest = (
    await sha256(
      concat(lp(utf8('eportfolio/v1/conversation')), lp(utf8(kind)), lp(utf8(checkId(programmeId))), lp(utf8(checkId(subjectId)))),
    )
  ).slice(0, 16);
  digest[6] = (digest[6] & 0x0f) | 0x80;
  digest[8] = (digest[8] & 0x3f) | 0x80;
  const hex = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
});
