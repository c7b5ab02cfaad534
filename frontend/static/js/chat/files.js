// Photos, documents and voice notes in a conversation (docs/chat-protocol.md, "Files"). The file
// is encrypted here under a new random key and sent in 64 KiB parts like a portfolio attachment;
// the key and the file's name, type and size go only inside the message that names the file,
// which is encrypted under the conversation key and signed by her. The server sees ciphertext,
// its size and the kind (photo, document, voice note). A file on its way up is kept on this phone
// (its encrypted parts and the sealed message) and goes on after a dropped connection or a reload.

import { b64uDecode, b64uEncode, decodeAttachmentMeta, encodeAttachmentMeta } from '../crypto/index.js';
import { api, newId } from '../portfolio/keyring.js';
import { objectStore } from '../shared/idb.js';
import { downloadStream, encryptStream, sendParts } from '../shared/streams.js';

// A message's plaintext is her text (UTF-8); a message with a file starts with U+0000, then JSON.
export const FILE_MARK = '\u0000';
export const KINDS = ['photo', 'document', 'voice_note'];
export const MAX_FILE_BYTES = 50 * 1024 * 1024 - 1024 * 1024; // the server's limit, less the encryption
// What the recipient's browser shows inline; anything else is offered as a download only.
const INLINE = {
  photo: ['image/jpeg', 'image/png', 'image/webp', 'image/gif'],
  voice_note: ['audio/webm', 'audio/ogg', 'audio/mp4', 'audio/mpeg', 'audio/wav', 'audio/aac'],
};

const base = (conversationId) => `/api/v1/chat/conversations/${conversationId}/attachments`;

export function fileBody({ id, kind, key, meta, text = '' }) {
  return FILE_MARK + JSON.stringify({ v: 1, file: { id, kind, key: b64uEncode(key), meta: b64uEncode(meta) }, text });
}

// { text } for a text message, { text, file: { id, kind, key, meta } } for a file, or
// { text: '', broken: true } when a file message is not in the right form.
export function readBody(text) {
  if (typeof text !== 'string' || !text.startsWith(FILE_MARK)) return { text };
  try {
    const body = JSON.parse(text.slice(1));
    const file = body?.file ?? {};
    const key = b64uDecode(file.key);
    if (body.v !== 1 || !KINDS.includes(file.kind) || !/^[0-9a-f-]{36}$/.test(file.id) || key.length !== 32) {
      throw new Error('not a file message');
    }
    const meta = decodeAttachmentMeta(b64uDecode(file.meta));
    return { text: typeof body.text === 'string' ? body.text : '', file: { id: file.id, kind: file.kind, key, meta } };
  } catch {
    return { text: '', broken: true };
  }
}

export function inline(file) {
  return (INLINE[file.kind] ?? []).includes(String(file.meta.mediaType).split(';')[0]);
}

function pause(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// A file on its way up, kept on this phone until the server has all of it: through a lost
// connection, a reload or a closed tab. Only ciphertext is kept: the encrypted parts and the
// sealed message that names the file (its key is inside that envelope, never kept in the clear).
const DATABASE = 'eportfolio-chat-uploads';
const STORE = 'uploads';

const { transact } = objectStore(DATABASE, STORE, { keyPath: 'clientId' });

// { clientId, user, conversationId, entry (the sealed message, as the outbox keeps it),
//   file: { id, kind, keyId, size }, parts: [Uint8Array], text (what the unsent message shows) }
export async function keepUpload(upload) {
  try {
    await transact('readwrite', (store) => store.put(upload));
    return true;
  } catch {
    return false; // private browsing without storage: the upload still runs while the page is open
  }
}

export async function pendingUploads(user, conversationId) {
  try {
    const all = await transact('readonly', (store) => store.getAll());
    return all
      .filter((u) => u.user === user && u.conversationId === conversationId)
      .sort((a, b) => a.entry.createdAt - b.entry.createdAt);
  } catch {
    return [];
  }
}

export async function dropUpload(clientId) {
  try {
    await transact('readwrite', (store) => store.delete(clientId));
  } catch {
    // nothing kept, nothing to drop
  }
}

// Encrypt a file under a new random key: its parts, and the plaintext of the message that will
// name it (to be sealed under the conversation key before anything is kept or sent).
export async function prepareFile({ kind, blob, fileName, mediaType }) {
  const id = newId();
  const stream = await encryptStream(blob);
  const meta = encodeAttachmentMeta({ fileName, mediaType, size: stream.plainSize, streamSalt: stream.streamSalt });
  return {
    file: { id, kind, keyId: b64uEncode(stream.keyId), size: stream.size },
    parts: stream.parts,
    body: fileBody({ id, kind, key: stream.key, meta }),
  };
}

// Announce the file (again, after a reload: the server answers with what it still misses) and
// send the missing parts. Resolves { ok: true } once the server has every part, or the refusal.
// A dropped connection is waited out.
export async function sendFile(conversationId, { file, parts }, { onProgress, onWaiting } = {}) {
  const announcement = { id: file.id, kind: file.kind, key_id: file.keyId, size: file.size };
  let announced;
  for (let attempt = 0; ; attempt += 1) {
    announced = await api(base(conversationId), announcement);
    if (announced.ok || (announced.status >= 400 && announced.status < 500)) break;
    if (attempt >= 2) onWaiting?.();
    await pause(Math.min(30_000, 500 * 2 ** attempt));
  }
  if (!announced.ok) return announced;
  return sendParts(api, {
    partUrl: (index) => `${base(conversationId)}/${file.id}/parts/${index}`,
    statusUrl: `${base(conversationId)}/${file.id}`,
    parts,
    missing: announced.data.complete ? [] : announced.data.missing,
    onProgress,
    onWaiting,
  });
}

// The decrypted file as a Blob (null when it cannot be fetched; throws when it is not the file the
// signed message names). Documents are typed as plain bytes, so they are saved, never shown here.
export function openFile(conversationId, file) {
  const type = inline(file) ? file.meta.mediaType : 'application/octet-stream';
  return downloadStream(`${base(conversationId)}/${file.id}/download`, file.key, file.meta, type);
}
