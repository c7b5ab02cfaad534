// The pinned-keys record: the public keys she accepted, encrypted and signed under her keys.

import { SecretPurpose, openSecret, sealSecret } from './boxes.js';
import { Reader, Writer, checkId, concat, utf8 } from './encoding.js';
import { refuseUnless, refusing } from './errors.js';
import { checkKeyMaterial } from './fingerprints.js';
import { SIGNATURE_BYTES, systemRng, verify } from './primitives.js';

const TAG_PINNED_KEYS = 0x0a;

function context(revision, ownerPublic) {
  return new Writer(TAG_PINNED_KEYS).u64(revision).raw(ownerPublic, 32).getValue();
}

function compareKeys(a, b) {
  if (a.kind !== b.kind) return a.kind - b.kind;
  const x = utf8(a.subjectId);
  const y = utf8(b.subjectId);
  for (let i = 0; i < Math.min(x.length, y.length); i += 1) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return x.length - y.length;
}

function checkOrder(entries) {
  for (let i = 1; i < entries.length; i += 1) {
    refuseUnless(compareKeys(entries[i - 1], entries[i]) < 0);
  }
}

function body(entries) {
  const ordered = [...entries].sort(compareKeys);
  checkOrder(ordered);
  const writer = new Writer().u16(ordered.length);
  for (const entry of ordered) {
    checkKeyMaterial(entry.kind, entry.keyMaterial);
    refuseUnless(typeof entry.confirmed === 'boolean');
    writer.u8(entry.kind).str16(checkId(entry.subjectId)).bytes16(entry.keyMaterial);
    writer.u8(entry.confirmed ? 1 : 0);
  }
  return writer.getValue();
}

function readBody(data) {
  const reader = new Reader(data);
  const entries = [];
  const count = reader.u16();
  for (let i = 0; i < count; i += 1) {
    const kind = reader.u8();
    const subjectId = reader.id16();
    const keyMaterial = reader.bytes16();
    const confirmed = reader.u8();
    checkKeyMaterial(kind, keyMaterial);
    refuseUnless(confirmed === 0 || confirmed === 1);
    entries.push({ kind, subjectId, keyMaterial, confirmed: confirmed === 1 });
  }
  reader.end();
  checkOrder(entries);
  return entries;
}

export const sealPinnedKeys = refusing(async (owner, revision, entries, { rng = systemRng } = {}) => {
  const ownerPublic = owner.person.ed25519Public;
  const box = await sealSecret(
    owner.userKey,
    SecretPurpose.PINNED_KEYS,
    body(entries),
    context(revision, ownerPublic),
    { rng },
  );
  const signed = new Writer(TAG_PINNED_KEYS).u64(revision).bytes16(box).getValue();
  return concat(signed, await owner.sign('eportfolio/v1/sig/pinned-keys', signed));
});

// Her pinned keys; refuses a record older than the one she has already seen.
export const openPinnedKeys = refusing(async (owner, data, { minRevision = 0 } = {}) => {
  const reader = new Reader(data, TAG_PINNED_KEYS);
  const revision = reader.u64();
  const box = reader.bytes16();
  const signed = reader.consumed();
  const signature = reader.raw(SIGNATURE_BYTES);
  reader.end();
  const ownerPublic = owner.person.ed25519Public;
  await verify(ownerPublic, 'eportfolio/v1/sig/pinned-keys', signed, signature);
  refuseUnless(revision >= minRevision);
  const plaintext = await openSecret(box, owner.userKey, SecretPurpose.PINNED_KEYS, context(revision, ownerPublic));
  return { revision, entries: readBody(plaintext) };
});
