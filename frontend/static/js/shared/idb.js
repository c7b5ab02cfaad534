// What is kept on this phone between pages (drafts, unsent messages, uploads on their way) lives
// in IndexedDB: one object store per database, one transaction per call, the database closed
// again after each. (The session key store in crypto/keystore.js keeps its own copy of this, so
// the crypto module stays self-contained.)

export function request(operation) {
  return new Promise((resolve, reject) => {
    operation.onsuccess = () => resolve(operation.result);
    operation.onerror = () => reject(operation.error);
  });
}

// The one store `store` of `database` (made on first use with `options`, e.g. { keyPath }):
// `open()` gives the database, `transact(mode, action)` runs `action(objectStore)`, which returns
// a request, and resolves with its result once the transaction is complete.
export function objectStore(database, store, options = undefined) {
  async function open() {
    const opening = indexedDB.open(database, 1);
    opening.onupgradeneeded = () => opening.result.createObjectStore(store, options);
    return request(opening);
  }

  async function transact(mode, action) {
    const db = await open();
    try {
      const transaction = db.transaction(store, mode);
      const done = new Promise((resolve, reject) => {
        transaction.oncomplete = resolve;
        transaction.onerror = () => reject(transaction.error);
        transaction.onabort = () => reject(transaction.error);
      });
      const result = await request(action(transaction.objectStore(store)));
      await done;
      return result;
    } finally {
      db.close();
    }
  }

  return { open, transact };
}
