// A person's keys: public identity, the wrapped key bundle, and the unlocked Identity.
//
// The unlocked Identity holds her user key and private keys as non-extractable CryptoKeys.
// What needs the raw user key (a new password, a new recovery code, the programme recovery
// copy) is done by static functions that unwrap it again from the bundle.

import {
  SealedPurpose,
  SecretPurpose,
  openSealed,
  openSecret,
  sealSecret,
  sealTo,
  unwrapKey,
  wrapKey,
} from './boxes.js';
import { Reader, Writer, checkId, concat, equalBytes } from './encoding.js';
import { refuseUnless, refusing, refusingSync } from './errors.js';
import { FingerprintKind, fingerprint, fingerprintText } from './fingerprints.js';
import { KdfParams, deriveLoginSecrets, normaliseLogin } from './kdf.js';
import {
  KEY_BYTES,
  KEY_ID_BYTES,
  SIGNATURE_BYTES,
  SessionKey,
  draw,
  ed25519Public,
  importEd25519Private,
  importX25519Private,
  keyId,
  sign,
  systemRng,
  verify,
  x25519Public,
} from './primitives.js';
import { openPinnedKeys, sealPinnedKeys } from './pinned.js';
import { RecoveryCode } from './recovery.js';

const TAG_KEY_BUNDLE = 0x04;
const TAG_PUBLIC_IDENTITY = 0x05;
const KDF_PARAMS_BYTES = 31;

// Someone's public keys, as her browser published them (or as pinned).
export class Person {
  constructor(userId, x25519Public, ed25519Public) {
    this.userId = checkId(userId);
    refuseUnless(
      x25519Public instanceof Uint8Array &&
        x25519Public.length === 32 &&
        ed25519Public instanceof Uint8Array &&
        ed25519Public.length === 32,
    );
    this.x25519Public = x25519Public;
    this.ed25519Public = ed25519Public;
  }

  async fingerprint() {
    return fingerprint(
      FingerprintKind.PERSON,
      this.userId,
      concat(this.x25519Public, this.ed25519Public),
    );
  }

  async fingerprintText() {
    return fingerprintText(await this.fingerprint());
  }

  unsignedBytes() {
    return new Writer(TAG_PUBLIC_IDENTITY)
      .str16(checkId(this.userId))
      .raw(this.x25519Public, 32)
      .raw(this.ed25519Public, 32)
      .getValue();
  }

  // Parse a PublicIdentity and check its self-signature.
  static async fromPublicIdentity(data) {
    const reader = new Reader(data, TAG_PUBLIC_IDENTITY);
    const person = new Person(reader.id16(), reader.raw(32), reader.raw(32));
    const signed = reader.consumed();
    const signature = reader.raw(SIGNATURE_BYTES);
    reader.end();
    await verify(person.ed25519Public, 'eportfolio/v1/sig/identity', signed, signature);
    return person;
  }
}

Person.fromPublicIdentity = refusing(Person.fromPublicIdentity);

// What the server keeps for a person: her keys, each wrapped.
export class KeyBundle {
  constructor(fields) {
    this.params = fields.params;
    this.userKeyId = fields.userKeyId;
    this.x25519Public = fields.x25519Public;
    this.ed25519Public = fields.ed25519Public;
    this.kekBox = fields.kekBox;
    this.recoveryBox = fields.recoveryBox;
    this.privateKeysBox = fields.privateKeysBox;
    this.signature = fields.signature ?? new Uint8Array(0);
  }

  with(changes) {
    return new KeyBundle({ ...this, ...changes });
  }

  toBytes() {
    return concat(this.signedBytes(), this.signature);
  }

  // What her Ed25519 signature covers: everything but the signature.
  signedBytes() {
    return new Writer(TAG_KEY_BUNDLE)
      .raw(this.params.toBytes(), KDF_PARAMS_BYTES)
      .raw(this.userKeyId, KEY_ID_BYTES)
      .raw(this.x25519Public, 32)
      .raw(this.ed25519Public, 32)
      .bytes16(this.kekBox)
      .bytes16(this.recoveryBox)
      .bytes16(this.privateKeysBox)
      .getValue();
  }

  static fromBytes(data) {
    const reader = new Reader(data, TAG_KEY_BUNDLE);
    const bundle = new KeyBundle({
      params: KdfParams.fromBytes(reader.raw(KDF_PARAMS_BYTES)),
      userKeyId: reader.raw(KEY_ID_BYTES),
      x25519Public: reader.raw(32),
      ed25519Public: reader.raw(32),
      kekBox: reader.bytes16(),
      recoveryBox: reader.bytes16(),
      privateKeysBox: reader.bytes16(),
    });
    bundle.signature = reader.raw(SIGNATURE_BYTES);
    reader.end();
    return bundle;
  }

  kekContext() {
    return concat(this.params.toBytes(), this.userKeyId);
  }

  async signedWith(ed25519Private) {
    const signature = await sign(ed25519Private, 'eportfolio/v1/sig/key-bundle', this.signedBytes());
    return this.with({ signature });
  }

  // Refuse a bundle whose parts were changed, even parts this unlock does not open.
  async verify() {
    await verify(this.ed25519Public, 'eportfolio/v1/sig/key-bundle', this.signedBytes(), this.signature);
  }
}

// Re-sign a changed bundle: her signing key is in the private-keys box under the user key.
async function resign(bundle, userKey) {
  const publics = concat(bundle.x25519Public, bundle.ed25519Public);
  const privateRaw = await openSecret(bundle.privateKeysBox, userKey, SecretPurpose.PRIVATE_KEYS, publics);
  try {
    return await bundle.signedWith(privateRaw.slice(32));
  } finally {
    privateRaw.fill(0);
  }
}

async function userKeyContext(userKeyId, userId) {
  return new Writer().raw(userKeyId).str16(checkId(userId)).getValue();
}

async function unwrapWithSecrets(bundle, secrets) {
  refuseUnless(bundle.params.equals(secrets.params));
  return unwrapKey(
    bundle.kekBox,
    await secrets.kek(),
    SecretPurpose.USER_KEY_KEK,
    bundle.userKeyId,
    bundle.kekContext(),
  );
}

async function rewrapForPassword(bundle, userKey, newSecrets, rng) {
  const next = bundle.with({ params: newSecrets.params });
  const kekBox = await wrapKey(
    await newSecrets.kek(),
    SecretPurpose.USER_KEY_KEK,
    userKey,
    next.kekContext(),
    { rng },
  );
  return resign(next.with({ kekBox }), userKey);
}

// An unlocked person: acts as her browser does.
export class Identity {
  constructor({ userId, login, userKey, x25519Private, ed25519Private, person, bundle }) {
    this.userId = checkId(userId);
    this.login = login;
    this.userKey = userKey; // SessionKey (non-extractable CryptoKey and its id)
    this.x25519Private = x25519Private; // non-extractable CryptoKey
    this.ed25519Private = ed25519Private; // non-extractable CryptoKey
    this.person = person;
    this.bundle = bundle; // KeyBundle
  }

  get userKeyId() {
    return this.userKey.id;
  }

  // Sign-up: new keys, wrapped under the password and a new recovery code.
  static async create(login, password, { userId, params, allowTestParams = false, rng = systemRng, kdf } = {}) {
    const chosen = params ?? (await KdfParams.create({ rng }));
    const secrets = await deriveLoginSecrets(login, password, chosen, { allowTestParams, kdf });
    return Identity.createWithSecrets(secrets, { userId, rng });
  }

  // Sign-up after the KDF already ran (in the page's Web Worker).
  static async createWithSecrets(secrets, { userId, rng = systemRng } = {}) {
    const userKey = await draw(rng, KEY_BYTES);
    const x25519PrivateRaw = await draw(rng, KEY_BYTES);
    const ed25519Seed = await draw(rng, KEY_BYTES);
    const code = await RecoveryCode.generate({ rng });
    const userKeyId = await keyId(userKey);
    const publics = concat(await x25519Public(x25519PrivateRaw), await ed25519Public(ed25519Seed));
    const unsealed = new KeyBundle({
      params: secrets.params,
      userKeyId,
      x25519Public: publics.slice(0, 32),
      ed25519Public: publics.slice(32),
    });
    const bundle = unsealed.with({
      kekBox: await wrapKey(
        await secrets.kek(),
        SecretPurpose.USER_KEY_KEK,
        userKey,
        unsealed.kekContext(),
        { rng },
      ),
      recoveryBox: await wrapKey(await code.kek(), SecretPurpose.USER_KEY_RECOVERY, userKey, userKeyId, {
        rng,
      }),
      privateKeysBox: await sealSecret(
        userKey,
        SecretPurpose.PRIVATE_KEYS,
        concat(x25519PrivateRaw, ed25519Seed),
        publics,
        { rng },
      ),
    });
    const signed = await bundle.signedWith(ed25519Seed);
    x25519PrivateRaw.fill(0);
    ed25519Seed.fill(0);
    const identity = await Identity.fromUserKey(signed, userKey, { userId, login: secrets.login });
    userKey.fill(0);
    return {
      identity,
      bundle: signed.toBytes(),
      recoveryCode: code,
      authProof: secrets.authProof(),
      recoveryAuthProof: await code.authProof(),
      publicIdentity: await identity.publicIdentity(),
    };
  }

  // Log in: run the KDF with the bundle's parameters and unwrap everything.
  static async unlock(bundleBytes, login, password, { userId, allowTestParams = false, kdf } = {}) {
    const bundle = KeyBundle.fromBytes(bundleBytes);
    const secrets = await deriveLoginSecrets(login, password, bundle.params, { allowTestParams, kdf });
    return Identity.unlockWithSecrets(bundleBytes, secrets, { userId });
  }

  // Log in with secrets from the one KDF run whose auth secret the server accepted.
  static async unlockWithSecrets(bundleBytes, secrets, { userId } = {}) {
    const bundle = KeyBundle.fromBytes(bundleBytes);
    const userKey = await unwrapWithSecrets(bundle, secrets);
    try {
      return await Identity.fromUserKey(bundle, userKey, { userId, login: secrets.login });
    } finally {
      userKey.fill(0);
    }
  }

  // A new password (or new KDF parameters): re-wraps the user key only.
  static async changePassword(bundleBytes, oldSecrets, newSecrets, { rng = systemRng } = {}) {
    const bundle = KeyBundle.fromBytes(bundleBytes);
    const userKey = await unwrapWithSecrets(bundle, oldSecrets);
    try {
      const next = await rewrapForPassword(bundle, userKey, newSecrets, rng);
      return { bundle: next.toBytes(), authProof: newSecrets.authProof() };
    } finally {
      userKey.fill(0);
    }
  }

  // Forgot the password: the recovery code opens the user key, which gets a new password.
  static async recover(bundleBytes, recoveryCode, newSecrets, { userId, rng = systemRng } = {}) {
    const bundle = KeyBundle.fromBytes(bundleBytes);
    const code = await RecoveryCode.parse(recoveryCode);
    const userKey = await unwrapKey(
      bundle.recoveryBox,
      await code.kek(),
      SecretPurpose.USER_KEY_RECOVERY,
      bundle.userKeyId,
      bundle.userKeyId,
    );
    return Identity.withNewPassword(bundle, userKey, newSecrets, { userId, rng });
  }

  // Programme recovery: the officer sealed her user key to this device's fresh key.
  static async recoverOnDevice(bundleBytes, sealedUserKey, device, newSecrets, { userId, rng = systemRng } = {}) {
    const bundle = KeyBundle.fromBytes(bundleBytes);
    const context = await userKeyContext(bundle.userKeyId, userId);
    const userKey = await openSealed(
      sealedUserKey,
      device.privateKey,
      device.publicKey,
      SealedPurpose.RECOVERY_DEVICE,
      context,
    );
    refuseUnless(equalBytes(await keyId(userKey), bundle.userKeyId));
    return Identity.withNewPassword(bundle, userKey, newSecrets, { userId, rng });
  }

  static async withNewPassword(bundle, userKey, newSecrets, { userId, rng }) {
    try {
      const next = await rewrapForPassword(bundle, userKey, newSecrets, rng);
      const identity = await Identity.fromUserKey(next, userKey, { userId, login: newSecrets.login });
      return { identity, bundle: next.toBytes(), authProof: newSecrets.authProof() };
    } finally {
      userKey.fill(0);
    }
  }

  // Replace the recovery copy: returns the new bundle and the code to show once.
  static async newRecoveryCode(bundleBytes, secrets, { rng = systemRng } = {}) {
    const bundle = KeyBundle.fromBytes(bundleBytes);
    const userKey = await unwrapWithSecrets(bundle, secrets);
    try {
      const code = await RecoveryCode.generate({ rng });
      const recoveryBox = await wrapKey(
        await code.kek(),
        SecretPurpose.USER_KEY_RECOVERY,
        userKey,
        bundle.userKeyId,
        { rng },
      );
      return {
        bundle: (await resign(bundle.with({ recoveryBox }), userKey)).toBytes(),
        recoveryCode: code,
        recoveryAuthProof: await code.authProof(),
      };
    } finally {
      userKey.fill(0);
    }
  }

  // With her consent: the third copy of her user key, for the programme recovery key.
  // The caller has verified the signed programme recovery key record first.
  static async sealForProgrammeRecovery(bundleBytes, secrets, recoveryPublic, { userId, rng = systemRng } = {}) {
    const bundle = KeyBundle.fromBytes(bundleBytes);
    const userKey = await unwrapWithSecrets(bundle, secrets);
    try {
      const context = await userKeyContext(bundle.userKeyId, userId);
      return await sealTo(recoveryPublic, SealedPurpose.PROGRAMME_RECOVERY, userKey, context, { rng });
    } finally {
      userKey.fill(0);
    }
  }

  // A new user key under her password and recovery code (docs/crypto-spec.md 5.4); she keeps
  // both. `secrets` (her password, typed again) must open the current password copy and a typed
  // `recoveryCode` the current recovery copy; without her code a new one is made (shown once).
  static async rotateUserKey(bundleBytes, secrets, { userId, recoveryCode = null, rng = systemRng } = {}) {
    const bundle = KeyBundle.fromBytes(bundleBytes);
    await bundle.verify(); // the boxes this rotation does not open must be hers too
    const oldUserKey = await unwrapWithSecrets(bundle, secrets);
    let newUserKey = null;
    let privateRaw = null;
    try {
      const code = recoveryCode === null ? null : await RecoveryCode.parse(recoveryCode);
      if (code !== null) {
        const opened = await unwrapKey(
          bundle.recoveryBox,
          await code.kek(),
          SecretPurpose.USER_KEY_RECOVERY,
          bundle.userKeyId,
          bundle.userKeyId,
        );
        refuseUnless(equalBytes(opened, oldUserKey));
        opened.fill(0);
      }
      const publics = concat(bundle.x25519Public, bundle.ed25519Public);
      privateRaw = await openSecret(bundle.privateKeysBox, oldUserKey, SecretPurpose.PRIVATE_KEYS, publics);
      newUserKey = await draw(rng, KEY_BYTES);
      const newCode = code === null ? await RecoveryCode.generate({ rng }) : null;
      const kept = code ?? newCode;
      const newId = await keyId(newUserKey);
      const unsealed = bundle.with({ userKeyId: newId });
      const kekBox = await wrapKey(await secrets.kek(), SecretPurpose.USER_KEY_KEK, newUserKey, unsealed.kekContext(), {
        rng,
      });
      const recoveryBox = await wrapKey(await kept.kek(), SecretPurpose.USER_KEY_RECOVERY, newUserKey, newId, { rng });
      const privateKeysBox = await sealSecret(newUserKey, SecretPurpose.PRIVATE_KEYS, privateRaw, publics, { rng });
      const rotated = await unsealed.with({ kekBox, recoveryBox, privateKeysBox }).signedWith(privateRaw.slice(32));
      const identity = await Identity.fromUserKey(rotated, newUserKey, { userId, login: secrets.login });
      const rotation = new UserKeyRotation({
        identity,
        oldUserKey,
        newUserKey,
        recoveryCode: newCode,
        recoveryAuthProof: await kept.authProof(),
      });
      return rotation;
    } catch (error) {
      oldUserKey.fill(0);
      throw error;
    } finally {
      newUserKey?.fill(0);
      privateRaw?.fill(0);
    }
  }

  static async fromUserKey(bundle, userKey, { userId, login }) {
    const publics = concat(bundle.x25519Public, bundle.ed25519Public);
    const privateRaw = await openSecret(bundle.privateKeysBox, userKey, SecretPurpose.PRIVATE_KEYS, publics);
    try {
      const x25519Raw = privateRaw.slice(0, 32);
      const ed25519Raw = privateRaw.slice(32);
      refuseUnless(
        equalBytes(concat(await x25519Public(x25519Raw), await ed25519Public(ed25519Raw)), publics),
      );
      await bundle.verify();
      const identity = new Identity({
        userId,
        login,
        userKey: await SessionKey.fromRaw(userKey),
        x25519Private: await importX25519Private(x25519Raw),
        ed25519Private: await importEd25519Private(ed25519Raw),
        person: new Person(userId, bundle.x25519Public, bundle.ed25519Public),
        bundle,
      });
      x25519Raw.fill(0);
      ed25519Raw.fill(0);
      return identity;
    } finally {
      privateRaw.fill(0);
    }
  }

  async fingerprint() {
    return this.person.fingerprint();
  }

  async publicIdentity() {
    const signed = this.person.unsignedBytes();
    return concat(signed, await this.sign('eportfolio/v1/sig/identity', signed));
  }

  async sign(label, message) {
    return sign(this.ed25519Private, label, message);
  }

  async openSealed(box, purpose, context) {
    return openSealed(box, this.x25519Private, this.person.x25519Public, purpose, context);
  }

  async wrapUnderUserKey(purpose, key, context, { rng = systemRng } = {}) {
    return wrapKey(this.userKey, purpose, key, context, { rng });
  }
}

// A user-key rotation in progress: the new bundle, and what re-wraps her other keys. Holds the
// old and the new raw user key until `wipe()`; only the re-wrapped boxes leave the browser.
export class UserKeyRotation {
  #oldUserKey;
  #newUserKey;

  constructor({ identity, oldUserKey, newUserKey, recoveryCode, recoveryAuthProof }) {
    this.identity = identity;
    this.bundle = identity.bundle.toBytes();
    this.newUserKeyId = identity.userKeyId;
    this.recoveryCode = recoveryCode; // a new RecoveryCode to show once, or null when she kept hers
    this.recoveryAuthProof = recoveryAuthProof;
    this.#oldUserKey = oldUserKey;
    this.#newUserKey = newUserKey.slice();
  }

  // An item (or draft) key wrapped under the old user key, wrapped again under the new one.
  async rewrapItemKey(wrap, itemKeyId, { rng = systemRng } = {}) {
    const itemKey = await unwrapKey(wrap, this.#oldUserKey, SecretPurpose.ITEM_KEY, itemKeyId, itemKeyId);
    try {
      return await wrapKey(this.#newUserKey, SecretPurpose.ITEM_KEY, itemKey, itemKeyId, { rng });
    } finally {
      itemKey.fill(0);
    }
  }

  // Her pinned-keys record under the new user key, one revision higher.
  async resealPinnedKeys(record, { minRevision = 0, rng = systemRng } = {}) {
    const old = { person: this.identity.person, userKey: this.#oldUserKey };
    const { revision, entries } = await openPinnedKeys(old, record, { minRevision });
    return { revision: revision + 1, record: await sealPinnedKeys(this.identity, revision + 1, entries, { rng }) };
  }

  // A programme recovery copy of the new user key (for a consent she keeps elsewhere).
  async sealForProgrammeRecovery(recoveryPublic, { rng = systemRng } = {}) {
    const context = await userKeyContext(this.newUserKeyId, this.identity.userId);
    return sealTo(recoveryPublic, SealedPurpose.PROGRAMME_RECOVERY, this.#newUserKey, context, { rng });
  }

  wipe() {
    this.#oldUserKey.fill(0);
    this.#newUserKey.fill(0);
  }
}

for (const name of ['rewrapItemKey', 'resealPinnedKeys', 'sealForProgrammeRecovery']) {
  UserKeyRotation.prototype[name] = refusing(UserKeyRotation.prototype[name]);
}

for (const name of [
  'rotateUserKey',
  'create',
  'createWithSecrets',
  'unlock',
  'unlockWithSecrets',
  'changePassword',
  'recover',
  'recoverOnDevice',
  'newRecoveryCode',
  'sealForProgrammeRecovery',
]) {
  Identity[name] = refusing(Identity[name]);
}
for (const name of ['fingerprint', 'fingerprintText']) {
  Person.prototype[name] = refusing(Person.prototype[name]);
}
for (const name of ['fingerprint', 'publicIdentity', 'sign', 'openSealed', 'wrapUnderUserKey']) {
  Identity.prototype[name] = refusing(Identity.prototype[name]);
}
KeyBundle.fromBytes = refusingSync(KeyBundle.fromBytes);

// A fresh X25519 key for a device that is being recovered.
export const newDeviceKey = refusing(async ({ rng = systemRng } = {}) => {
  const privateRaw = await draw(rng, KEY_BYTES);
  return {
    privateKey: await importX25519Private(privateRaw),
    publicKey: await x25519Public(privateRaw),
  };
});
