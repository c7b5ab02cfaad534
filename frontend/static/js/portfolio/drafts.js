// Drafts never lost: what she types is kept on this phone until saved, encrypted under a fresh key
// that is wrapped under her user key (so a stolen phone without her login shows nothing), and
// restored after a crash, a closed tab or a lost connection.

import {
  SecretPurpose,
  keyId,
  openEnvelope,
  sealEnvelope,
  unwrapItemKey,
} from '../crypto/index.js';

const DATABASE = 'eportfolio-drafts';
const STORE = 'drafts';
const RESOURCE = 'portfolio-draft';

function request(operation) {
  return new Promise((resolve, reject) => {
    operation.onsuccess = () => resolve(operation.result);
    operation.onerror = () => reject(operation.error);
  });
}

async function open() {
  const opening = indexedDB.open(DATABASE, 1);
  opening.onupgradeneeded = () => opening.result.createObjectStore(STORE);
  return request(opening);
}

async function transact(mode, action) {
  const db = await open();
  try {
    const transaction = db.transaction(STORE, mode);
    const result = await request(action(transaction.objectStore(STORE)));
    await new Promise((resolve, reject) => {
      transaction.oncomplete = resolve;
      transaction.onerror = () => reject(transaction.error);
    });
    return result;
  } finally {
    db.close();
  }
}

function draftId(name) {
  return name.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 200) || 'draft';
}

// Keep `value` (any JSON) as the draft called `name`.
export async function keepDraft(identity, name, value) {
  const key = crypto.getRandomValues(new Uint8Array(32));
  const id = await keyId(key);
  const wrap = await identity.wrapUnderUserKey(SecretPurpose.ITEM_KEY, key, id);
  const envelope = await sealEnvelope(identity, key, {
    resourceType: RESOURCE,
    resourceId: identity.userId,
    itemId: draftId(name),
    revision: 0,
    plaintext: new TextEncoder().encode(JSON.stringify(value)),
  });
  key.fill(0);
  await transact('readwrite', (store) =>
    store.put({ wrap, keyId: id, envelope, savedAt: Date.now(), user: identity.userId }, name),
  );
}

// The draft called `name`, or null (none, someone else's, or it cannot be opened).
export async function loadDraft(identity, name) {
  let record;
  try {
    record = await transact('readonly', (store) => store.get(name));
  } catch {
    return null;
  }
  if (!record || record.user !== identity.userId) return null;
  try {
    const key = await unwrapItemKey(record.wrap, identity.userKey, record.keyId);
    const bytes = await openEnvelope(record.envelope, key, {
      resourceType: RESOURCE,
      resourceId: identity.userId,
      itemId: draftId(name),
      revision: 0,
      author: identity.person,
    });
    return { value: JSON.parse(new TextDecoder().decode(bytes)), savedAt: record.savedAt };
  } catch {
    return null;
  }
}

export async function dropDraft(name) {
  try {
    await transact('readwrite', (store) => store.delete(name));
  } catch {
    // nothing kept, nothing to drop
  }
}

export const draftKeyOf = (portfolioId, itemId, kind) => `${portfolioId}:${itemId ?? `new-${kind}`}`;
