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
import { objectStore, request } from '../shared/idb.js';

const DATABASE = 'eportfolio-drafts';
const STORE = 'drafts';
const RESOURCE = 'portfolio-draft';

const { open, transact } = objectStore(DATABASE, STORE);

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

// After she got a new user key (withdrawing programme-recovery consent): each draft key of hers
// kept here is wrapped again by `rewrap(wrap, keyId)`; a draft that cannot be is dropped.
export async function rewrapDrafts(userId, rewrap) {
  let entries;
  try {
    const db = await open();
    try {
      const store = db.transaction(STORE, 'readonly').objectStore(STORE);
      const [keys, values] = await Promise.all([request(store.getAllKeys()), request(store.getAll())]);
      entries = keys.map((key, index) => [key, values[index]]);
    } finally {
      db.close();
    }
  } catch {
    return;
  }
  for (const [name, record] of entries) {
    if (!record || record.user !== userId) continue;
    try {
      const wrap = await rewrap(record.wrap, record.keyId);
      await transact('readwrite', (store) => store.put({ ...record, wrap }, name));
    } catch {
      await dropDraft(name);
    }
  }
}
