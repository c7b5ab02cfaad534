// Fingerprints: at least 80 bits (here 120), as groups of text and as a QR payload.

import {
  bigintFromBytes,
  bytesFromBigint,
  checkId,
  concat,
  crockfordDecode,
  crockfordEncode,
  lp,
  utf8,
} from './encoding.js';
import { refuseUnless, refusing, refusingSync } from './errors.js';
import { sha256 } from './primitives.js';

export const FINGERPRINT_BYTES = 15;
const FINGERPRINT_CHARS = 24;
export const QR_PREFIX = 'EPFP1:';

export const FingerprintKind = Object.freeze({
  PERSON: 0x01,
  ORGANISATION_KEY: 0x02,
  PROGRAMME_KEY: 0x03,
  PROGRAMME_RECOVERY_KEY: 0x04,
  RECOVERY_DEVICE_KEY: 0x05,
});

const KEY_MATERIAL_BYTES = { 1: 64, 2: 32, 3: 32, 4: 32, 5: 32 };

export function checkKeyMaterial(kind, keyMaterial) {
  refuseUnless(KEY_MATERIAL_BYTES[kind] !== undefined);
  refuseUnless(keyMaterial instanceof Uint8Array && keyMaterial.length === KEY_MATERIAL_BYTES[kind]);
}

export const fingerprint = refusing(async (kind, subjectId, keyMaterial) => {
  checkKeyMaterial(kind, keyMaterial);
  const digest = await sha256(
    concat(
      lp(utf8('eportfolio/v1/fingerprint')),
      Uint8Array.of(kind),
      lp(utf8(checkId(subjectId))),
      lp(keyMaterial),
    ),
  );
  return digest.slice(0, FINGERPRINT_BYTES);
});

function chars(value) {
  refuseUnless(value instanceof Uint8Array && value.length === FINGERPRINT_BYTES);
  return crockfordEncode(bigintFromBytes(value), FINGERPRINT_CHARS);
}

// Six groups of four characters, for reading aloud or comparing on screen.
export const fingerprintText = refusingSync((value) => chars(value).match(/.{4}/g).join(' '));

// The QR payload: EPFP1: and the 24 characters (QR alphanumeric mode).
export const fingerprintQr = refusingSync((value) => QR_PREFIX + chars(value));

export const parseFingerprintQr = refusingSync((payload) => {
  refuseUnless(typeof payload === 'string' && payload.startsWith(QR_PREFIX));
  const text = payload.slice(QR_PREFIX.length);
  refuseUnless(text.length === FINGERPRINT_CHARS);
  return bytesFromBigint(crockfordDecode(text), FINGERPRINT_BYTES);
});
