// SecretBox (AES-GCM under a symmetric key) and SealedBox (to an X25519 public key).

import { Reader, Writer, concat, equalBytes } from './encoding.js';
import { refuseUnless } from './errors.js';
import {
  KEY_BYTES,
  KEY_ID_BYTES,
  NONCE_BYTES,
  TAG_BYTES,
  aeadDecrypt,
  aeadEncrypt,
  draw,
  hkdf,
  keyId,
  x25519Public,
  x25519Shared,
} from './primitives.js';

const TAG_SECRET_BOX = 0x02;
const TAG_SEALED_BOX = 0x03;

export const SecretPurpose = Object.freeze({
  USER_KEY_KEK: 0x01,
  USER_KEY_RECOVERY: 0x02,
  PRIVATE_KEYS: 0x03,
  PINNED_KEYS: 0x04,
  ITEM_KEY: 0x05,
  EPOCH_CHAIN: 0x06,
  INTAKE_LETTER: 0x07,
});

export const SealedPurpose = Object.freeze({
  GRANT_KEY: 0x01,
  PROGRAMME_RECOVERY: 0x02,
  RECOVERY_DEVICE: 0x03,
  SIGNING_KEY: 0x04,
  RECOVERY_OFFICER_KEY: 0x05,
  INTAKE_LETTER_KEY: 0x06,
});

const SECRET_PLAINTEXT_BYTES = {
  [SecretPurpose.USER_KEY_KEK]: 32,
  [SecretPurpose.USER_KEY_RECOVERY]: 32,
  [SecretPurpose.PRIVATE_KEYS]: 64,
  [SecretPurpose.PINNED_KEYS]: null,
  [SecretPurpose.ITEM_KEY]: 32,
  [SecretPurpose.EPOCH_CHAIN]: 32,
  [SecretPurpose.INTAKE_LETTER]: null,
};

function checkLength(expected, length) {
  refuseUnless(expected === null || length === expected);
}

export async function sealSecret(key, purpose, plaintext, context, { rng }) {
  checkLength(SECRET_PLAINTEXT_BYTES[purpose], plaintext.length);
  const header = new Writer(TAG_SECRET_BOX).u8(purpose).raw(await keyId(key)).getValue();
  const nonce = await draw(rng, NONCE_BYTES);
  return concat(header, nonce, await aeadEncrypt(key, nonce, plaintext, concat(header, context)));
}

export async function openSecret(box, key, purpose, context) {
  const reader = new Reader(box, TAG_SECRET_BOX);
  refuseUnless(reader.u8() === purpose);
  refuseUnless(equalBytes(reader.raw(KEY_ID_BYTES), await keyId(key)));
  const header = reader.consumed();
  const nonce = reader.raw(NONCE_BYTES);
  const ciphertext = reader.rest();
  refuseUnless(ciphertext.length >= TAG_BYTES);
  checkLength(SECRET_PLAINTEXT_BYTES[purpose], ciphertext.length - TAG_BYTES);
  return aeadDecrypt(key, nonce, ciphertext, concat(header, context));
}

export async function wrapKey(wrappingKey, purpose, key, context, { rng }) {
  return sealSecret(wrappingKey, purpose, key, context, { rng });
}

// Open a wrapped key and hold it to the id it must commit to.
export async function unwrapKey(box, wrappingKey, purpose, expectedId, context) {
  const key = await openSecret(box, wrappingKey, purpose, context);
  refuseUnless(key.length === KEY_BYTES && equalBytes(await keyId(key), expectedId));
  return key;
}

const SEALED_PLAINTEXT_BYTES = 32; // every sealed purpose carries one 32-byte key

async function sealedKeyAndNonce(shared, ephPublic, recipient) {
  return hkdf(shared, 'eportfolio/v1/sealed-box', KEY_BYTES + NONCE_BYTES, concat(ephPublic, recipient));
}

export async function sealTo(recipientPublic, purpose, plaintext, context, { rng }) {
  checkLength(SEALED_PLAINTEXT_BYTES, plaintext.length);
  const ephPrivate = await draw(rng, KEY_BYTES);
  const ephPublic = await x25519Public(ephPrivate);
  const okm = await sealedKeyAndNonce(
    await x25519Shared(ephPrivate, recipientPublic),
    ephPublic,
    recipientPublic,
  );
  const header = new Writer(TAG_SEALED_BOX).u8(purpose).raw(ephPublic).getValue();
  const ad = concat(header, recipientPublic, context);
  return concat(header, await aeadEncrypt(okm.slice(0, KEY_BYTES), okm.slice(KEY_BYTES), plaintext, ad));
}

// `recipientPrivate` may be a non-extractable CryptoKey; its public key is then passed along.
export async function openSealed(box, recipientPrivate, recipientPublic, purpose, context) {
  const reader = new Reader(box, TAG_SEALED_BOX);
  refuseUnless(reader.u8() === purpose);
  const ephPublic = reader.raw(32);
  const header = reader.consumed();
  const ciphertext = reader.rest();
  checkLength(SEALED_PLAINTEXT_BYTES + TAG_BYTES, ciphertext.length);
  const okm = await sealedKeyAndNonce(
    await x25519Shared(recipientPrivate, ephPublic),
    ephPublic,
    recipientPublic,
  );
  const ad = concat(header, recipientPublic, context);
  return aeadDecrypt(okm.slice(0, KEY_BYTES), okm.slice(KEY_BYTES), ciphertext, ad);
}
