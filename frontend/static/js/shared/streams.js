// Encrypted files as the portfolio and the chat send them (docs/crypto-spec.md 7.2): encrypted
// here in 64 KiB chunks under a random key, sent part by part, resumed with what the server says
// is missing, and opened again here only when every chunk is authentic. The server only ever
// sees the ciphertext.

import { AttachmentDecryptor, AttachmentEncryptor, CHUNK_BYTES } from '../crypto/index.js';

export const HEADER_BYTES = 38;
export const CIPHER_CHUNK = CHUNK_BYTES + 16;
const RETRIES_BEFORE_WAITING = 3;
const LONGEST_WAIT_MS = 30_000;

// The file encrypted under a new random key (or the one given): the header and chunks, ready to send.
export async function encryptStream(blob, key = crypto.getRandomValues(new Uint8Array(32))) {
  const plain = new Uint8Array(await blob.arrayBuffer());
  const encryptor = await AttachmentEncryptor.create(key);
  const parts = [encryptor.header];
  const count = Math.max(1, Math.ceil(plain.length / CHUNK_BYTES));
  for (let i = 0; i < count; i += 1) {
    const piece = plain.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES);
    parts.push(await encryptor.encryptChunk(piece, { last: i === count - 1 }));
  }
  return {
    key,
    keyId: encryptor.header.slice(2, 18),
    streamSalt: encryptor.streamSalt,
    parts,
    plainSize: plain.length,
    size: parts.reduce((sum, part) => sum + part.length, 0),
  };
}

function pause(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Wait until the browser says it is online again (or `ms` have passed).
function backOnline(ms) {
  return new Promise((resolve) => {
    const done = () => {
      window.removeEventListener('online', done);
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, ms);
    window.addEventListener('online', done);
  });
}

// Send the missing parts, one request each. A dropped connection or a server error is retried,
// then waited out (until the browser is online again), and the server is asked what it still
// misses before going on, so nothing is sent twice for nothing and nothing is skipped.
// `api(path, body, method, raw)` is the page's JSON helper; `partUrl(index)` and `statusUrl` name
// the resource. Resolves with the last answer: ok, or a refusal (4xx) the page shows.
export async function sendParts(api, { partUrl, statusUrl, parts, missing, onProgress, onWaiting, signal }) {
  let todo = [...missing];
  let last = { ok: true, status: 200, data: null };
  let failures = 0;
  const report = (stillMissing) => onProgress?.(Math.round((100 * (parts.length - stillMissing)) / parts.length));
  report(todo.length);
  while (todo.length) {
    if (signal?.aborted) return { ok: false, status: 0, data: null, aborted: true };
    const index = todo[0];
    last = await api(partUrl(index), parts[index], 'PUT', true);
    if (last.ok) {
      failures = 0;
      todo.shift();
      report(todo.length);
      continue;
    }
    if (last.status >= 400 && last.status < 500 && last.status !== 408 && last.status !== 429) return last;
    failures += 1;
    if (failures <= RETRIES_BEFORE_WAITING) {
      await pause(500 * 2 ** failures);
    } else {
      onWaiting?.();
      await backOnline(Math.min(LONGEST_WAIT_MS, 1000 * 2 ** failures));
    }
    const status = await api(statusUrl);
    if (status.ok) {
      todo = status.data.complete ? [] : [...status.data.missing];
      report(todo.length);
    }
  }
  report(0);
  return last;
}

// The decrypted file as a Blob of `type`, only after every chunk proved authentic; null when it
// could not be fetched, and a CryptoError when it is not the file the signed message names.
export async function downloadStream(url, key, meta, type = meta.mediaType || 'application/octet-stream') {
  let response;
  try {
    response = await fetch(url, { credentials: 'same-origin' });
  } catch {
    return null;
  }
  if (!response.ok) return null;
  const stream = new Uint8Array(await response.arrayBuffer());
  const decryptor = await AttachmentDecryptor.create(key, stream.subarray(0, HEADER_BYTES), meta.streamSalt);
  const out = [];
  for (let offset = HEADER_BYTES; offset < stream.length; offset += CIPHER_CHUNK) {
    const piece = stream.subarray(offset, offset + CIPHER_CHUNK);
    out.push(await decryptor.decryptChunk(piece, { last: offset + CIPHER_CHUNK >= stream.length }));
  }
  if (stream.length <= HEADER_BYTES) throw new Error('cut off');
  return new Blob(out, { type });
}
