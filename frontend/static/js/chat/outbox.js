// Messages she sent that the server has not acknowledged yet, kept on this phone until it has:
// through a lost connection, a reload or a closed tab. Only the sealed envelope is kept (encrypted
// under the conversation key and signed by her), with the client id that makes a resend
// idempotent: the server stores it once however often it arrives.

import { objectStore } from '../shared/idb.js';

const DATABASE = 'eportfolio-chat';
const STORE = 'outbox';

const { transact } = objectStore(DATABASE, STORE, { keyPath: 'clientId' });

// { clientId, conversationId, epoch, body (base64url envelope), user, createdAt }
export async function keep(entry) {
  await transact('readwrite', (store) => store.put(entry));
}

// Her unsent messages in this conversation, oldest first.
export async function pending(user, conversationId) {
  try {
    const all = await transact('readonly', (store) => store.getAll());
    return all
      .filter((e) => e.user === user && e.conversationId === conversationId)
      .sort((a, b) => a.createdAt - b.createdAt);
  } catch {
    return [];
  }
}

export async function drop(clientId) {
  try {
    await transact('readwrite', (store) => store.delete(clientId));
  } catch {
    // nothing kept, nothing to drop
  }
}

// A client id made once per message, before the first attempt: 16 random bytes, base64url.
export function newClientId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
