// One login KDF (Argon2id, 64 MiB, t=3, p=1) in Node, with the very code the browser is served.
// Usage: node bench/crypto/login-kdf.mjs [runs]   -> prints JSON: {"runs_ms": [...]}

import { KdfParams, runLoginKdf } from '../../frontend/static/js/crypto/kdf.js';

const runs = Number(process.argv[2] ?? 5);
const params = await KdfParams.create();
const times = [];
for (let run = 0; run < runs; run += 1) {
  const started = performance.now();
  await runLoginKdf('mama.noor', 'zon op het water', params);
  times.push(Math.round(performance.now() - started));
}
console.log(JSON.stringify({ runs_ms: times }));
