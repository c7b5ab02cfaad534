// Signed grants (a key wrapped for one reader) and epoch records (keys chained back in time).

import { SealedPurpose, SecretPurpose, sealTo, unwrapKey, wrapKey } from './boxes.js';
import { Reader, Writer, checkId, checkResourceType, concat, equalBytes } from './encoding.js';
import { refuseUnless, refusing, refusingSync } from './errors.js';
import { FINGERPRINT_BYTES } from './fingerprints.js';
import { KEY_BYTES, KEY_ID_BYTES, SIGNATURE_BYTES, draw, keyId, systemRng, verify } from './primitives.js';

const TAG_GRANT = 0x07;
const TAG_EPOCH_RECORD = 0x09;
const NO_KEY_ID = new Uint8Array(KEY_ID_BYTES);

function grantHeader(grant) {
  return new Writer(TAG_GRANT)
    .str16(checkResourceType(grant.resourceType))
    .str16(checkId(grant.resourceId))
    .u32(grant.epoch)
    .raw(grant.keyId, KEY_ID_BYTES)
    .str16(checkId(grant.recipientId))
    .raw(grant.recipientFingerprint, FINGERPRINT_BYTES)
    .str16(checkId(grant.granterId))
    .raw(grant.granterPublic, 32)
    .getValue();
}

function parseGrant(data) {
  const reader = new Reader(data, TAG_GRANT);
  const grant = Object.freeze({
    resourceType: reader.resourceType(),
    resourceId: reader.id16(),
    epoch: reader.u32(),
    keyId: reader.raw(KEY_ID_BYTES),
    recipientId: reader.id16(),
    recipientFingerprint: reader.raw(FINGERPRINT_BYTES),
    granterId: reader.id16(),
    granterPublic: reader.raw(32),
  });
  const header = reader.consumed();
  const box = reader.bytes16();
  const signed = reader.consumed();
  const signature = reader.raw(SIGNATURE_BYTES);
  reader.end();
  return { grant, header, box, signed, signature };
}

function accepted(publicKey, acceptedKeys) {
  return [...acceptedKeys].some((candidate) => equalBytes(candidate, publicKey));
}

// Wrap `key` for `recipient` and sign what was granted, to whom, by whom.
export const makeGrant = refusing(
  async (granter, { resourceType, resourceId, epoch, key, recipient, rng = systemRng }) => {
    const header = grantHeader({
      resourceType,
      resourceId,
      epoch,
      keyId: await keyId(key),
      recipientId: recipient.userId,
      recipientFingerprint: await recipient.fingerprint(),
      granterId: granter.userId,
      granterPublic: granter.person.ed25519Public,
    });
    const box = await sealTo(recipient.x25519Public, SealedPurpose.GRANT_KEY, key, header, { rng });
    const signed = new Writer().raw(header).bytes16(box).getValue();
    return concat(signed, await granter.sign('eportfolio/v1/sig/grant', signed));
  },
);

// Parse without opening or trusting (for the server, and to look up the granter).
export const readGrant = refusingSync((data) => parseGrant(data).grant);

// Check the signature against the Ed25519 keys the caller accepts as granters.
export const verifyGrant = refusing(async (data, acceptedGranters) => {
  const { grant, signed, signature } = parseGrant(data);
  refuseUnless(accepted(grant.granterPublic, acceptedGranters));
  await verify(grant.granterPublic, 'eportfolio/v1/sig/grant', signed, signature);
  return grant;
});

// What a caller expects a signed structure to be about: every field given must match.
function matches(signed, expected) {
  for (const [name, value] of Object.entries(expected ?? {})) {
    if (value !== undefined && signed[name] !== value) return false;
  }
  return true;
}

// Accept a key only from a grant signed by an accepted granter, made out to her, and (when the
// caller says which) for the resource and epoch it asked for: a grant for another resource or
// epoch is refused, whatever the server says it is.
export const openGrant = refusing(async (data, recipient, acceptedGranters, expected = {}) => {
  const grant = await verifyGrant(data, acceptedGranters);
  const { header, box } = parseGrant(data);
  refuseUnless(
    grant.recipientId === recipient.userId &&
      equalBytes(grant.recipientFingerprint, await recipient.fingerprint()) &&
      matches(grant, expected),
  );
  const key = await recipient.openSealed(box, SealedPurpose.GRANT_KEY, header);
  refuseUnless(equalBytes(await keyId(key), grant.keyId));
  return { grant, key };
});

function epochHeader(record) {
  return new Writer(TAG_EPOCH_RECORD)
    .str16(checkResourceType(record.resourceType))
    .str16(checkId(record.resourceId))
    .u32(record.epoch)
    .raw(record.keyId, KEY_ID_BYTES)
    .raw(record.previousKeyId, KEY_ID_BYTES)
    .str16(checkId(record.creatorId))
    .raw(record.creatorPublic, 32)
    .getValue();
}

// A fresh key for `epoch`, carrying the previous epoch's key (none for epoch 1).
export const newEpoch = refusing(
  async (creator, { resourceType, resourceId, epoch, previousKey = null, rng = systemRng }) => {
    refuseUnless(Number.isSafeInteger(epoch) && epoch >= 1 && (epoch === 1) === (previousKey === null));
    const key = await draw(rng, KEY_BYTES);
    const header = epochHeader({
      resourceType,
      resourceId,
      epoch,
      keyId: await keyId(key),
      previousKeyId: previousKey === null ? NO_KEY_ID : await keyId(previousKey),
      creatorId: creator.userId,
      creatorPublic: creator.person.ed25519Public,
    });
    const box =
      previousKey === null
        ? new Uint8Array(0)
        : await wrapKey(key, SecretPurpose.EPOCH_CHAIN, previousKey, header, { rng });
    const signed = new Writer().raw(header).bytes16(box).getValue();
    const record = concat(signed, await creator.sign('eportfolio/v1/sig/epoch', signed));
    return { key, keyId: await keyId(key), record };
  },
);

function parseEpoch(data) {
  const reader = new Reader(data, TAG_EPOCH_RECORD);
  const record = Object.freeze({
    resourceType: reader.resourceType(),
    resourceId: reader.id16(),
    epoch: reader.u32(),
    keyId: reader.raw(KEY_ID_BYTES),
    previousKeyId: reader.raw(KEY_ID_BYTES),
    creatorId: reader.id16(),
    creatorPublic: reader.raw(32),
  });
  const header = reader.consumed();
  const box = reader.bytes16();
  const signed = reader.consumed();
  const signature = reader.raw(SIGNATURE_BYTES);
  reader.end();
  const first = record.epoch === 1;
  refuseUnless(
    record.epoch >= 1 &&
      first === equalBytes(record.previousKeyId, NO_KEY_ID) &&
      first === (box.length === 0),
  );
  return { record, header, box, signed, signature };
}

// Check the signature against the Ed25519 keys the caller accepts as creators, and (when the
// caller says which) that the record is about that resource and epoch.
export const verifyEpoch = refusing(async (data, acceptedCreators, expected = {}) => {
  const { record, signed, signature } = parseEpoch(data);
  refuseUnless(accepted(record.creatorPublic, acceptedCreators) && matches(record, expected));
  await verify(record.creatorPublic, 'eportfolio/v1/sig/epoch', signed, signature);
  return record;
});

// Walk one step back: with this epoch's key, get the previous epoch's key.
export const openPreviousKey = refusing(async (data, key, acceptedCreators, expected = {}) => {
  const record = await verifyEpoch(data, acceptedCreators, expected);
  const { header, box } = parseEpoch(data);
  refuseUnless(record.epoch !== 1 && equalBytes(await keyId(key), record.keyId));
  return unwrapKey(box, key, SecretPurpose.EPOCH_CHAIN, record.previousKeyId, header);
});
