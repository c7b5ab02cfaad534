// The only primitives the scheme uses, from WebCrypto, with refusals made uniform.
//
// Symmetric keys are either raw bytes (Uint8Array(32)) or a SessionKey: a non-extractable
// AES-GCM CryptoKey with its key id, as the session key store keeps the user key.
// Private keys are either raw bytes or non-extractable CryptoKeys.

import { b64uDecode, bytes, concat, equalBytes, lp, utf8 } from './encoding.js';
import { refuse, refuseUnless, refusing } from './errors.js';

export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const KEY_ID_BYTES = 16;
export const SIGNATURE_BYTES = 64;
export const PUBLIC_KEY_BYTES = 32;

const X25519_PKCS8 = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
]);
const ED25519_PKCS8 = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

function subtle() {
  const api = globalThis.crypto?.subtle;
  if (!api) throw refuse();
  return api;
}

// Where random bytes come from: the platform CSPRNG, or a fixed stream when making vectors.
export function systemRng(size) {
  const out = new Uint8Array(size);
  for (let offset = 0; offset < size; offset += 65536) {
    globalThis.crypto.getRandomValues(out.subarray(offset, Math.min(size, offset + 65536)));
  }
  return out;
}

async function drawUnguarded(rng, size) {
  const data = await rng(size);
  refuseUnless(data instanceof Uint8Array && data.length === size);
  return data;
}

export class SessionKey {
  constructor(cryptoKey, id) {
    this.cryptoKey = cryptoKey;
    this.id = id;
  }

  static async fromRaw(raw, { extractable = false } = {}) {
    const key = await subtle().importKey('raw', checkKey(raw), 'AES-GCM', extractable, [
      'encrypt',
      'decrypt',
    ]);
    return new SessionKey(key, await keyId(raw));
  }
}

function checkKey(key) {
  const raw = bytes(key);
  refuseUnless(raw.length === KEY_BYTES);
  return raw;
}

async function sha256Unguarded(data) {
  return new Uint8Array(await subtle().digest('SHA-256', bytes(data)));
}

async function hkdfUnguarded(ikm, info, length, salt = new Uint8Array(0)) {
  const key = await subtle().importKey('raw', bytes(ikm), 'HKDF', false, ['deriveBits']);
  const bits = await subtle().deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: bytes(salt), info: utf8(info) },
    key,
    length * 8,
  );
  return new Uint8Array(bits);
}

// A key commits to its id: the id is derived from the key itself.
async function keyIdUnguarded(key) {
  if (key instanceof SessionKey) return key.id;
  return hkdf(checkKey(key), 'eportfolio/v1/key-id', KEY_ID_BYTES);
}

async function aesKey(key, usage) {
  if (key instanceof SessionKey) return key.cryptoKey;
  return subtle().importKey('raw', checkKey(key), 'AES-GCM', false, [usage]);
}

async function aeadEncryptUnguarded(key, nonce, plaintext, ad) {
  refuseUnless(bytes(nonce).length === NONCE_BYTES);
  const out = await subtle().encrypt(
    { name: 'AES-GCM', iv: nonce, additionalData: bytes(ad), tagLength: 128 },
    await aesKey(key, 'encrypt'),
    bytes(plaintext),
  );
  return new Uint8Array(out);
}

async function aeadDecryptUnguarded(key, nonce, ciphertext, ad) {
  refuseUnless(bytes(nonce).length === NONCE_BYTES && bytes(ciphertext).length >= TAG_BYTES);
  const out = await subtle().decrypt(
    { name: 'AES-GCM', iv: nonce, additionalData: bytes(ad), tagLength: 128 },
    await aesKey(key, 'decrypt'),
    bytes(ciphertext),
  );
  return new Uint8Array(out);
}

async function importX25519PrivateUnguarded(raw, { extractable = false } = {}) {
  refuseUnless(bytes(raw).length === KEY_BYTES);
  return subtle().importKey('pkcs8', concat(X25519_PKCS8, raw), 'X25519', extractable, [
    'deriveBits',
  ]);
}

async function importEd25519PrivateUnguarded(seed, { extractable = false } = {}) {
  refuseUnless(bytes(seed).length === KEY_BYTES);
  return subtle().importKey('pkcs8', concat(ED25519_PKCS8, seed), 'Ed25519', extractable, [
    'sign',
  ]);
}

async function publicFromPrivate(cryptoKey) {
  const jwk = await subtle().exportKey('jwk', cryptoKey);
  return b64uDecode(jwk.x);
}

async function x25519PublicUnguarded(privateRaw) {
  return publicFromPrivate(await importX25519Private(privateRaw, { extractable: true }));
}

async function ed25519PublicUnguarded(seed) {
  return publicFromPrivate(await importEd25519Private(seed, { extractable: true }));
}

// X25519, refusing the all-zero result that low-order points give.
async function x25519SharedUnguarded(privateKey, publicRaw) {
  refuseUnless(bytes(publicRaw).length === PUBLIC_KEY_BYTES);
  const key =
    privateKey instanceof Uint8Array ? await importX25519Private(privateKey) : privateKey;
  const peer = await subtle().importKey('raw', publicRaw, 'X25519', false, []);
  const shared = new Uint8Array(
    await subtle().deriveBits({ name: 'X25519', public: peer }, key, 256),
  );
  refuseUnless(!equalBytes(shared, new Uint8Array(32)));
  return shared;
}

async function signUnguarded(privateKey, label, message) {
  const key =
    privateKey instanceof Uint8Array ? await importEd25519Private(privateKey) : privateKey;
  const signature = await subtle().sign('Ed25519', key, concat(lp(utf8(label)), bytes(message)));
  return new Uint8Array(signature);
}

async function verifyUnguarded(publicRaw, label, message, signature) {
  await ed25519VerifyRaw(publicRaw, concat(lp(utf8(label)), bytes(message)), signature);
}

// Plain Ed25519 verification (no label); the Wycheproof tests go through here.
async function ed25519VerifyRawUnguarded(publicRaw, message, signature) {
  refuseUnless(
    bytes(publicRaw).length === PUBLIC_KEY_BYTES && bytes(signature).length === SIGNATURE_BYTES,
  );
  const key = await subtle().importKey('raw', publicRaw, 'Ed25519', false, ['verify']);
  refuseUnless(await subtle().verify('Ed25519', key, signature, bytes(message)));
}

// Every primitive refuses with CryptoError only, whatever WebCrypto throws.
export const draw = refusing(drawUnguarded);
export const sha256 = refusing(sha256Unguarded);
export const hkdf = refusing(hkdfUnguarded);
export const keyId = refusing(keyIdUnguarded);
export const aeadEncrypt = refusing(aeadEncryptUnguarded);
export const aeadDecrypt = refusing(aeadDecryptUnguarded);
export const importX25519Private = refusing(importX25519PrivateUnguarded);
export const importEd25519Private = refusing(importEd25519PrivateUnguarded);
export const x25519Public = refusing(x25519PublicUnguarded);
export const ed25519Public = refusing(ed25519PublicUnguarded);
export const x25519Shared = refusing(x25519SharedUnguarded);
export const sign = refusing(signUnguarded);
export const verify = refusing(verifyUnguarded);
export const ed25519VerifyRaw = refusing(ed25519VerifyRawUnguarded);
