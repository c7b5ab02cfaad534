// Files in her portfolio that survive a closed app. The file is encrypted here under the item key
// (docs/crypto-spec.md 7.2); before anything is sent, the encrypted stream and the sealed item
// write that names it are kept on this phone (IndexedDB: ciphertext only, like the chat's files
// on their way). Then the item is made, the stream announced with its size and SHA-256, and sent
// part by part. When the page opens again, what is kept goes on from the part the server names,
// and the server completes the file only when it is exactly this stream (same hash). When
// nothing is kept here (storage cleared, another phone), the item says the file did not arrive
// and she chooses the file again: a new stream under the same item key, into the same item.
//
// An attachment item's envelope holds JSON: { v: 1, title, file: base64url(AttachmentMeta) },
// so the title she typed is kept next to the file's own name. Items from before hold the
// AttachmentMeta bytes themselves (tag 01 0D); both are read here.

import {
  b64uDecode,
  b64uEncode,
  decodeAttachmentMeta,
  encodeAttachmentMeta,
  encryptItem,
  sealEnvelope,
} from '../crypto/index.js';
import { objectStore } from '../shared/idb.js';
import { encryptStream, sendParts } from '../shared/streams.js';
import { RESOURCE, api, newId } from './keyring.js';

const DATABASE = 'eportfolio-uploads';
const STORE = 'uploads';
const { transact } = objectStore(DATABASE, STORE, { keyPath: 'itemId' });

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

// Content of an attachment item -------------------------------------------------------------

export function fileContent({ title = '', meta }) {
  return encoder.encode(JSON.stringify({ v: 1, title, file: b64uEncode(meta) }));
}

// { title, meta } of an attachment item's plaintext; throws when it is neither form.
export function readFileContent(bytes) {
  if (bytes[0] === 0x01 && bytes[1] === 0x0d) return { title: '', meta: decodeAttachmentMeta(bytes) };
  const content = JSON.parse(decoder.decode(bytes));
  if (content?.v !== 1 || typeof content.file !== 'string') throw new Error('not an attachment item');
  return {
    title: typeof content.title === 'string' ? content.title : '',
    meta: decodeAttachmentMeta(b64uDecode(content.file)),
  };
}

// What is kept on this phone ----------------------------------------------------------------

// { itemId, user, portfolioId, parts: [Uint8Array], size, sha256,
//   write: { method, path, body, base } (the sealed item write that names this stream), savedAt }
async function keep(record) {
  try {
    await transact('readwrite', (store) => store.put(record));
    return true;
  } catch {
    return false; // private browsing without storage: the upload still runs while the page is open
  }
}

async function forget(itemId) {
  try {
    await transact('readwrite', (store) => store.delete(itemId));
    await transact('readwrite', (store) => store.delete(`made:${itemId}`));
  } catch {
    // nothing kept, nothing to forget
  }
}

// A small mark that the server made the item (so an item she removed meanwhile is never made
// again from what is kept here); the stream itself is not written a second time for it.
async function markMade(itemId) {
  try {
    await transact('readwrite', (store) => store.put({ itemId: `made:${itemId}` }));
  } catch {
    // without storage nothing is kept to be made again either
  }
}

async function wasMade(itemId) {
  try {
    return Boolean(await transact('readonly', (store) => store.get(`made:${itemId}`)));
  } catch {
    return false;
  }
}

// Uploads of this person in this portfolio kept on this phone, oldest first.
export async function keptUploads(client) {
  try {
    const all = await transact('readonly', (store) => store.getAll());
    return all
      .filter((r) => r.user === client.identity.userId && r.portfolioId === client.id)
      .sort((a, b) => a.savedAt - b.savedAt);
  } catch {
    return [];
  }
}

async function sha256Hex(parts) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await new Blob(parts).arrayBuffer()));
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function sameBytes(a, b) {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

// Sending -----------------------------------------------------------------------------------

const given = (result) => result.status >= 400 && result.status < 500 && result.status !== 408 && result.status !== 429;

// Whether the item as the server has it names this stream (its signed metadata has the salt of
// the stream's header), so the stream is the item's file and not one it replaced; null when
// this phone cannot open the item now (then nothing kept is given up).
async function names(client, item, parts) {
  const opened = await client.openItem(item).catch(() => null);
  if (!opened) return null;
  try {
    return sameBytes(readFileContent(opened.bytes).meta.streamSalt, parts[0].subarray(18, 34));
  } catch {
    return false;
  }
}

// Bring one kept upload as far as it goes: the item write (when the server does not have it
// yet), the announcement (the server says which part comes next), then the missing parts.
// Resolves with the last answer, plus `stage` ('write', 'announce', 'parts', 'verify') when it
// failed. What is kept is forgotten when the server holds the whole stream, checked by a proof
// over a fresh challenge (storedIntact), or when the server refused it (4xx): then the item shows that its file
// did not arrive. A server that says "complete" for a stream it does not hold ('verify') loses
// nothing: the stream stays on this phone.
// `fresh`: the item is being made now (the server cannot have it yet, so it is not asked).
export async function runUpload(client, record, { onProgress, fresh = false } = {}) {
  const fetched = fresh ? { ok: false, status: 404 } : await api(`/api/v1/portfolio/items/${record.itemId}`);
  if (!fetched.ok && fetched.status !== 404) return { ...fetched, stage: 'write' };
  let item = fetched.ok ? fetched.data : null;
  const named = item ? await names(client, item, record.parts) : false;
  if (named === null) return { ok: false, status: 0, data: null, stage: 'write' };
  if (!named) {
    const { write } = record;
    const applies = write && (write.method === 'POST' ? !item && !(await wasMade(record.itemId)) : item?.revision === write.base);
    if (!applies) {
      await forget(record.itemId);
      return { ok: false, status: 409, data: null, stage: 'write' };
    }
    const written = await api(write.path, write.body, write.method);
    if (!written.ok) return { ...written, stage: 'write' };
    if (write.method === 'POST') await markMade(record.itemId);
    item = written.data;
  }
  const restart = Boolean(item.attachment) && !item.attachment.complete && item.attachment.sha256 !== record.sha256;
  const url = `/api/v1/portfolio/items/${record.itemId}/attachment`;
  const announced = await api(url, { size: record.size, sha256: record.sha256, restart });
  if (!announced.ok) {
    if (given(announced)) await forget(record.itemId);
    return { ...announced, stage: 'announce' };
  }
  let sent = announced;
  if (!announced.data.complete) {
    sent = await sendParts(api, {
      partUrl: (index) => `${url}/parts/${index}`,
      statusUrl: url,
      parts: record.parts,
      missing: announced.data.missing,
      onProgress,
    });
  }
  if (!sent.ok) {
    if (given(sent)) await forget(record.itemId);
    return { ...sent, stage: 'parts' };
  }
  // What is kept here may be her only copy: it goes only once the server is seen to hold exactly
  // this stream, never on its word "complete".
  const check = await storedIntact(record, url);
  if (!check.intact) return { ok: false, status: check.status, data: null, stage: 'verify' };
  await forget(record.itemId);
  return { ...sent, item };
}

// Whether the server holds exactly the stream kept here: its status names it complete, with this
// size and hash, and it answers a fresh random challenge with SHA-256(challenge || stream), which
// only a server holding every byte can work out (the server could echo the hash she announced;
// the proof shows it kept the bytes). Her phone checks the proof against the stream it kept, so
// the file is not downloaded again on her prepaid data. { intact, status }: status 0 when the
// check could not be made (no connection) or the server's answer did not hold.
export async function storedIntact(record, url = `/api/v1/portfolio/items/${record.itemId}/attachment`) {
  const stated = await api(url);
  const data = stated.ok ? stated.data : null;
  if (!data?.complete || data.size !== record.size || (data.sha256 != null && data.sha256 !== record.sha256)) {
    return { intact: false, status: stated.status };
  }
  const challenge = crypto.getRandomValues(new Uint8Array(32));
  const answered = await api(`${url}/proof`, { challenge: b64uEncode(challenge) });
  if (!answered.ok) return { intact: false, status: answered.status };
  const intact = answered.data?.proof === (await sha256Hex([challenge, ...record.parts]));
  return { intact, status: intact ? 200 : 0 };
}

// The file of an item, opened here for her to keep or see: { blob } when every chunk proved
// authentic, { damaged: true } when the stream is not the file the item's signed metadata names
// (changed or cut on the server: a CryptoError, or any other refusal to open it), { failed: true }
// when it could not be fetched (no connection, not there).
export async function openFile(client, entry) {
  try {
    const blob = await client.downloadFile(entry.item, entry.key, entry.meta);
    return blob ? { blob } : { failed: true };
  } catch {
    return { damaged: true };
  }
}

// A new file item: encrypt, keep on this phone, make the item (its envelope holds her title and
// the file's metadata), announce and send. Resolves like runUpload, with the item's `id`.
export async function uploadNew(client, { kind, audience, chosen, blob, fileName, mediaType, title, onProgress }) {
  const id = newId();
  const { key, parts, streamSalt, plainSize } = await encryptStream(blob);
  const plaintext = fileContent({ title, meta: encodeAttachmentMeta({ fileName, mediaType, size: plainSize, streamSalt }) });
  const seal = async () => {
    const sealed = await encryptItem(client.identity, await client.audienceFor(audience, chosen), {
      resourceType: RESOURCE,
      resourceId: client.id,
      itemId: id,
      revision: 1,
      plaintext,
      itemKey: key,
    });
    const body = {
      id,
      kind,
      audience,
      key_id: b64uEncode(sealed.itemKeyId),
      envelope: b64uEncode(sealed.envelope),
      keys: client.keyCopies(audience, sealed, chosen),
    };
    return { method: 'POST', path: `/api/v1/portfolio/${client.id}/items`, body, base: 0 };
  };
  const record = {
    itemId: id,
    user: client.identity.userId,
    portfolioId: client.id,
    parts,
    size: parts.reduce((sum, part) => sum + part.length, 0),
    sha256: await sha256Hex(parts),
    write: await seal(),
    savedAt: Date.now(),
  };
  await keep(record);
  let result = await runUpload(client, record, { onProgress, fresh: true });
  // The portfolio key changed while she was choosing (a coach left): seal under the new one, once.
  if (result.stage === 'write' && (await client.epochMoved(result))) {
    record.write = await seal();
    await keep(record);
    result = await runUpload(client, record, { onProgress, fresh: true });
  }
  if (result.stage === 'write' && given(result)) await forget(id);
  return { ...result, id };
}

// The file chosen again for an item whose file did not arrive: a new stream under the item's
// own key, named in a new revision of the item (her title kept), then announced in place of the
// one that never completed.
export async function resendInto(client, entry, { blob, fileName, mediaType, onProgress }) {
  const { item, key } = entry;
  const { parts, streamSalt, plainSize } = await encryptStream(blob, key);
  const meta = encodeAttachmentMeta({ fileName, mediaType, size: plainSize, streamSalt });
  const envelope = await sealEnvelope(client.identity, key, {
    resourceType: RESOURCE,
    resourceId: client.id,
    itemId: item.id,
    revision: item.revision + 1,
    plaintext: fileContent({ title: entry.title ?? '', meta }),
  });
  const record = {
    itemId: item.id,
    user: client.identity.userId,
    portfolioId: client.id,
    parts,
    size: parts.reduce((sum, part) => sum + part.length, 0),
    sha256: await sha256Hex(parts),
    write: {
      method: 'PUT',
      path: `/api/v1/portfolio/items/${item.id}`,
      body: { base_revision: item.revision, envelope: b64uEncode(envelope) },
      base: item.revision,
    },
    savedAt: Date.now(),
  };
  await keep(record);
  const result = await runUpload(client, record, { onProgress });
  if (result.stage === 'write' && given(result)) await forget(item.id);
  return result;
}

// Everything kept on this phone for this portfolio goes on, one file after the other.
// `onProgress(itemId, percent)` while sending, `onDone(itemId, result)` after each.
export async function resumeUploads(client, { onProgress, onDone } = {}) {
  for (const record of await keptUploads(client)) {
    let result;
    try {
      result = await runUpload(client, record, { onProgress: (percent) => onProgress?.(record.itemId, percent) });
    } catch {
      result = { ok: false, status: 0, data: null };
    }
    onDone?.(record.itemId, result);
  }
}
