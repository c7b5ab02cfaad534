// The browser twin of eportfolio.crypto (docs/crypto-spec.md). Pages import from here.

import * as boxes from './boxes.js';
import { refusing } from './errors.js';

export { CryptoError } from './errors.js';
export { b64uDecode, b64uEncode } from './encoding.js';
export { SealedPurpose, SecretPurpose } from './boxes.js';
// The raw boxes, for tools and tests that work below the keyring.
export const sealSecret = refusing(boxes.sealSecret);
export const openSecret = refusing(boxes.openSecret);
export const sealTo = refusing(boxes.sealTo);
export const openSealed = refusing(boxes.openSealed);
export { SessionKey, importX25519Private, keyId, sha256, systemRng, x25519Public } from './primitives.js';
export {
  AUTH_LOGIN,
  AUTH_RECOVERY,
  KdfParams,
  LoginSecrets,
  MAXIMUM,
  MINIMUM,
  TEST_MINIMUM,
  deriveLoginSecrets,
  loginSalt,
  normaliseLogin,
  parseAuthProof,
  runLoginKdf,
} from './kdf.js';
export { RecoveryCode } from './recovery.js';
export {
  FingerprintKind,
  fingerprint,
  fingerprintQr,
  fingerprintText,
  parseFingerprintQr,
} from './fingerprints.js';
export { Identity, KeyBundle, Person, UserKeyRotation, newDeviceKey } from './identity.js';
export { makeGrant, newEpoch, openGrant, openPreviousKey, readGrant, verifyEpoch, verifyGrant } from './sharing.js';
export {
  CoachRole,
  Duty,
  GroupRole,
  ProgrammeRecoveryKey,
  RecordKind,
  SigningKey,
  conversationId,
  verifyProgrammeKey,
  verifyRecord,
} from './records.js';
export { MAX_LETTER_BYTES, intakeLetterKeyId, openIntakeLetter, sealIntakeLetter } from './intake.js';
export { openPinnedKeys, sealPinnedKeys } from './pinned.js';
export { consentTextSha256, readScoreConsent, signScoreConsent, verifyScoreConsent } from './consent.js';
export { makeVouch, readVouch, verifyVouch } from './vouch.js';
export {
  AttachmentDecryptor,
  AttachmentEncryptor,
  Audience,
  associatedData as envelopeAssociatedData,
  CHUNK_BYTES,
  decodeAttachmentMeta,
  decryptAttachment,
  decryptMessage,
  encodeAttachmentMeta,
  encryptAttachment,
  encryptItem,
  encryptMessage,
  envelopeKeyId,
  openEnvelope,
  sealEnvelope,
  unwrapItemKey,
} from './content.js';
export { detectSupport, requireSupport, UNSUPPORTED_URL } from './support.js';
export { loadMarks, loadSession, raiseMarks, saveSession, wipe } from './keystore.js';
export { workerKdf } from './kdf-client.js';
