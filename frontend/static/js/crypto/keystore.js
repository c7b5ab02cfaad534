// The session key store: the unlocked keys as non-extractable CryptoKeys in IndexedDB, so the
// Argon2id runs once per login and not per page. `wipe()` on logout and on quick exit.

import { refuseUnless, refusing } from './errors.js';
import { Identity, KeyBundle, Person } from './identity.js';
import { SessionKey } from './primitives.js';

export const DATABASE = 'eportfolio-keys';
const STORE = 'session';
const RECORD = 'identity';

function request(operation) {
  return new Promise((resolve, reject) => {
    operation.onsuccess = () => resolve(operation.result);
    operation.onerror = () => reject(operation.error);
    operation.onblocked = () => reject(new Error('blocked'));
  });
}

async function open() {
  refuseUnless(typeof indexedDB === 'object' && indexedDB !== null);
  const opening = indexedDB.open(DATABASE, 1);
  opening.onupgradeneeded = () => opening.result.createObjectStore(STORE);
  return request(opening);
}

async function transact(mode, action) {
  const db = await open();
  try {
    const transaction = db.transaction(STORE, mode);
    const done = new Promise((resolve, reject) => {
      transaction.oncomplete = resolve;
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
    const result = await request(action(transaction.objectStore(STORE)));
    await done;
    return result;
  } finally {
    db.close();
  }
}

function checkNonExtractable(key) {
  refuseUnless(key instanceof CryptoKey && key.extractable === false);
  return key;
}

// Keep the unlocked identity for this session. Only non-extractable keys are stored.
export const saveSession = refusing(async (identity) => {
  refuseUnless(identity instanceof Identity);
  const record = {
    userId: identity.userId,
    login: identity.login,
    userKey: checkNonExtractable(identity.userKey.cryptoKey),
    userKeyId: identity.userKey.id,
    x25519Private: checkNonExtractable(identity.x25519Private),
    ed25519Private: checkNonExtractable(identity.ed25519Private),
    bundle: identity.bundle.toBytes(),
  };
  await transact('readwrite', (store) => store.put(record, RECORD));
});

// The identity kept for this session, or null when there is none.
export const loadSession = refusing(async () => {
  const record = await transact('readonly', (store) => store.get(RECORD));
  if (record === undefined) return null;
  const bundle = KeyBundle.fromBytes(record.bundle);
  return new Identity({
    userId: record.userId,
    login: record.login,
    userKey: new SessionKey(checkNonExtractable(record.userKey), record.userKeyId),
    x25519Private: checkNonExtractable(record.x25519Private),
    ed25519Private: checkNonExtractable(record.ed25519Private),
    person: new Person(record.userId, bundle.x25519Public, bundle.ed25519Public),
    bundle,
  });
});

// High-water marks this session has seen, shared by every page of it: the newest revision of her
// pinned-keys record, the newest epoch of each resource, the newest serial of each signed record.
// A server that later serves an older one (a rollback) is refused. A plain object of numbers.
const MARKS = 'marks';

export const loadMarks = refusing(async () => {
  const marks = await transact('readonly', (store) => store.get(MARKS));
  return marks && typeof marks === 'object' ? marks : {};
});

// Raise the marks named in `updates` (never lower one); returns the marks as stored now.
export const raiseMarks = refusing(async (updates) => {
  const db = await open();
  try {
    const transaction = db.transaction(STORE, 'readwrite');
    const store = transaction.objectStore(STORE);
    const done = new Promise((resolve, reject) => {
      transaction.oncomplete = resolve;
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
    const current = (await request(store.get(MARKS))) ?? {};
    const next = { ...current };
    for (const [name, value] of Object.entries(updates)) {
      refuseUnless(Number.isSafeInteger(value));
      next[name] = Math.max(next[name] ?? 0, value);
    }
    store.put(next, MARKS);
    await done;
    return next;
  } finally {
    db.close();
  }
});

// Forget every key of this session: logout and quick exit call this.
export const wipe = refusing(async () => {
  refuseUnless(typeof indexedDB === 'object' && indexedDB !== null);
  await request(indexedDB.deleteDatabase(DATABASE));
});
