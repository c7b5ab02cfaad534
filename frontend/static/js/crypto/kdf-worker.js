// The login KDF in a Web Worker, so the page stays responsive while Argon2id runs.
//
// Message in:  { id, login, password, params (KdfParams bytes), allowTestParams }
// Messages out: { id, stage: 'loading' | 'deriving' }, then { id, stage: 'done', output }
//               (64 bytes, transferred) or { id, stage: 'refused' }.
// hash-wasm runs Argon2id in one call, so there is no percentage to report: the stages let the
// page show that work is going on.

import { KdfParams, runLoginKdf } from './kdf.js';

self.addEventListener('message', async (event) => {
  const { id, login, password, params, allowTestParams } = event.data ?? {};
  try {
    self.postMessage({ id, stage: 'loading' });
    const parsed = KdfParams.fromBytes(params);
    self.postMessage({ id, stage: 'deriving' });
    const output = await runLoginKdf(login, password, parsed, { allowTestParams: allowTestParams === true });
    self.postMessage({ id, stage: 'done', output }, [output.buffer]);
  } catch {
    self.postMessage({ id, stage: 'refused' });
  }
});
