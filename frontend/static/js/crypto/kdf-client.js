// The page side of the KDF worker: a `kdf` function for deriveLoginSecrets() and
// Identity.create/unlock that runs Argon2id in kdf-worker.js, with progress stages.

import { refuse } from './errors.js';

export const WORKER_URL = new URL('./kdf-worker.js', import.meta.url);

// Returns a kdf function; `onProgress(stage)` hears 'loading', 'deriving' and 'done'.
export function workerKdf({ onProgress = () => {} } = {}) {
  return (login, password, params, { allowTestParams = false } = {}) =>
    new Promise((resolve, reject) => {
      const worker = new Worker(WORKER_URL, { type: 'module' });
      const id = globalThis.crypto.randomUUID();
      const finish = (error, output) => {
        worker.terminate();
        if (error) reject(error);
        else resolve(output);
      };
      worker.addEventListener('error', () => finish(refuse()));
      worker.addEventListener('message', (event) => {
        const { stage, output } = event.data ?? {};
        if (event.data?.id !== id) return;
        onProgress(stage);
        if (stage === 'done') finish(null, new Uint8Array(output));
        if (stage === 'refused') finish(refuse());
      });
      worker.postMessage({ id, login, password, params: params.toBytes(), allowTestParams });
    });
}
