// The browser twin of eportfolio.crypto (docs/crypto-spec.md). Pages import from here.

export { CryptoError } from './errors.js';
export { b64uDecode, b64uEncode } from './encoding.js';
export { SealedPurpose, SecretPurpose } from './boxes.js';
export { SessionKey, keyId, systemRng } from './primitives.js';
export {
  AUTH_LOGIN,
  AUTH_RECOVERY,
  KdfParams,
  LoginSecrets,
  MAXIMUM,
  MINIMUM,
  TEST_MINIMUM,
  deriveLoginSecrets,
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
export { Identity, KeyBundle, Person, newDeviceKey } from './identity.js';
export { makeGrant, newEpoch, openGrant, openPreviousKey, readGrant, verifyEpoch, verifyGrant } from './sharing.js';
export {
  CoachRole,
  Duty,
  ProgrammeRecoveryKey,
  RecordKind,
  SigningKey,
  verifyProgrammeKey,
  verifyRecord,
} from './records.js';
export { openPinnedKeys, sealPinnedKeys } from './pinned.js';
export {
  AttachmentDecryptor,
  AttachmentEncryptor,
  Audience,
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
export { loadSession, saveSession, wipe } from './keystore.js';
export { workerKdf } from './kdf-client.js';
