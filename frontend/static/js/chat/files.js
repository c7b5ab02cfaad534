// Photos, documents and voice notes in a conversation (docs/chat-protocol.md, "Files"). The file
// is encrypted here under a new random key and sent in 64 KiB parts like a portfolio attachment;
// the key and the file's name, type and size go only inside the message that names the file,
// which is encrypted under the conversation key and signed by her. The server sees ciphertext,
// its size and the kind (photo, document, voice note).

import { b64uDecode, b64uEncode, decodeAttachmentMeta, encodeAttachmentMeta } from '../crypto/index.js';
import { api, newId } from '../portfolio/keyring.js';
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

// Encrypt and send a file; resolves with { body } (the plaintext of the message that names it)
// once the server has every part, or { result } with the refusal. A dropped connection is waited
// out: the upload goes on with the parts the server still misses.
export async function uploadFile(conversationId, { kind, blob, fileName, mediaType, onProgress, onWaiting }) {
  const id = newId();
  const stream = await encryptStream(blob);
  const announcement = { id, kind, key_id: b64uEncode(stream.keyId), size: stream.size };
  let announced;
  for (let attempt = 0; ; attempt += 1) {
    announced = await api(base(conversationId), announcement);
    if (announced.ok || (announced.status >= 400 && announced.status < 500)) break;
    if (attempt >= 2) onWaiting?.();
    await pause(Math.min(30_000, 500 * 2 ** attempt));
  }
  if (!announced.ok) return { result: announced };
  const result = await sendParts(api, {
    partUrl: (index) => `${base(conversationId)}/${id}/parts/${index}`,
    statusUrl: `${base(conversationId)}/${id}`,
    parts: stream.parts,
    missing: announced.data.missing,
    onProgress,
    onWaiting,
  });
  if (!result.ok) return { result };
  const meta = encodeAttachmentMeta({ fileName, mediaType, size: stream.plainSize, streamSalt: stream.streamSalt });
  return { body: fileBody({ id, kind, key: stream.key, meta }) };
}

// The decrypted file as a Blob (null when it cannot be fetched; throws when it is not the file the
// signed message names). Documents are typed as plain bytes, so they are saved, never shown here.
export function openFile(conversationId, file) {
  const type = inline(file) ? file.meta.mediaType : 'application/octet-stream';
  return downloadStream(`${base(conversationId)}/${file.id}/download`, file.key, file.meta, type);
}
