// One login KDF in Chromium, in the KDF Web Worker the sign-up and login pages use.
// A fresh worker per run, as a page does: the time includes starting it and loading the WASM.
import { KdfParams, deriveLoginSecrets, workerKdf } from '/static/js/crypto/index.js';

const runs = Number(new URLSearchParams(location.search).get('runs') ?? 5);
const output = document.getElementById('result');
const params = await KdfParams.create();
const times = [];
for (let run = 0; run < runs; run += 1) {
  const started = performance.now();
  await deriveLoginSecrets('mama.noor', 'zon op het water', params, { kdf: workerKdf() });
  times.push(Math.round(performance.now() - started));
}
output.textContent = JSON.stringify({ runs_ms: times });
output.dataset.state = 'done';
