// A coach's signed word that he checked her new key in person (coach-assisted recovery).

import { Reader, Writer, checkId, concat, equalBytes } from './encoding.js';
import { refuseUnless, refusing, refusingSync } from './errors.js';
import { FINGERPRINT_BYTES } from './fingerprints.js';
import { SIGNATURE_BYTES, verify } from './primitives.js';

const TAG_VOUCH = 0x0e;
const LABEL = 'eportfolio/v1/sig/vouch';

function parse(data) {
  const reader = new Reader(data, TAG_VOUCH);
  const vouch = {
    subjectId: reader.id16(),
    formerFingerprint: reader.raw(FINGERPRINT_BYTES),
    newFingerprint: reader.raw(FINGERPRINT_BYTES),
    vouchedAt: reader.u64(),
    voucherId: reader.id16(),
    voucherPublic: reader.raw(32),
  };
  const signed = reader.consumed();
  const signature = reader.raw(SIGNATURE_BYTES);
  reader.end();
  refuseUnless(!equalBytes(vouch.formerFingerprint, vouch.newFingerprint) && vouch.voucherId !== vouch.subjectId);
  return { vouch, signed, signature };
}

// Signed by the coach who compared her new fingerprint (`subject`) with her in person; `former`
// is the key she held before, so a browser that pinned that one can follow the change.
export const makeVouch = refusing(async (voucher, { subject, former, vouchedAt }) => {
  refuseUnless(subject.userId === former.userId);
  const signed = new Writer(TAG_VOUCH)
    .str16(checkId(subject.userId))
    .raw(await former.fingerprint(), FINGERPRINT_BYTES)
    .raw(await subject.fingerprint(), FINGERPRINT_BYTES)
    .u64(vouchedAt)
    .str16(checkId(voucher.userId))
    .raw(voucher.person.ed25519Public, 32)
    .getValue();
  parse(concat(signed, new Uint8Array(SIGNATURE_BYTES))); // the same checks a reader makes
  return concat(signed, await voucher.sign(LABEL, signed));
});

// The fields, no trust implied.
export const readVouch = refusingSync((data) => parse(data).vouch);

// Check the signature against the Ed25519 keys the caller accepts as vouchers.
export const verifyVouch = refusing(async (data, acceptedVouchers) => {
  const { vouch, signed, signature } = parse(data);
  refuseUnless([...acceptedVouchers].some((candidate) => equalBytes(candidate, vouch.voucherPublic)));
  await verify(vouch.voucherPublic, LABEL, signed, signature);
  return vouch;
});
