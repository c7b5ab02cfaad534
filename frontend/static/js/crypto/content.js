// What people write: signed envelopes, items with their audience, messages and attachments.

import { SecretPurpose, unwrapKey, wrapKey } from './boxes.js';
import { Reader, Writer, bytes, checkId, checkResourceType, concat, equalBytes, lp } from './encoding.js';
import { refuse, refuseUnless, refusing, refusingSync } from './errors.js';
import {
  KEY_BYTES,
  KEY_ID_BYTES,
  NONCE_BYTES,
  SIGNATURE_BYTES,
  TAG_BYTES,
  aeadDecrypt,
  aeadEncrypt,
  draw,
  hkdf,
  keyId,
  systemRng,
  verify,
} from './primitives.js';
import { makeGrant } from './sharing.js';

const TAG_ENVELOPE = 0x06;
const TAG_ATTACHMENT_STREAM = 0x0c;
const TAG_ATTACHMENT_META = 0x0d;
export const CHUNK_BYTES = 65536;
const STREAM_HEADER_BYTES = 38;
const SALT_BYTES = 16;

// What an item claims to be; the envelope is bound to exactly this.
// context = { resourceType, resourceId, itemId, revision, author: Person }
export function associatedData(context, contentKeyId) {
  return new Writer(TAG_ENVELOPE)
    .str16(checkResourceType(context.resourceType))
    .str16(checkId(context.resourceId))
    .str16(checkId(context.itemId))
    .u64(context.revision)
    .raw(contentKeyId, KEY_ID_BYTES)
    .str16(checkId(context.author.userId))
    .raw(context.author.ed25519Public, 32)
    .getValue();
}

export const sealEnvelope = refusing(
  async (author, contentKey, { resourceType, resourceId, itemId, revision, plaintext, rng = systemRng }) => {
    const context = { resourceType, resourceId, itemId, revision, author: author.person };
    const contentKeyId = await keyId(contentKey);
    const ad = associatedData(context, contentKeyId);
    const nonce = await draw(rng, NONCE_BYTES);
    const ciphertext = await aeadEncrypt(contentKey, nonce, plaintext, ad);
    const unsigned = new Writer(TAG_ENVELOPE).raw(contentKeyId).raw(nonce).bytes32(ciphertext).getValue();
    const signature = await author.sign('eportfolio/v1/sig/envelope', concat(lp(ad), unsigned));
    return concat(unsigned, signature);
  },
);

function parseEnvelope(data) {
  const reader = new Reader(data, TAG_ENVELOPE);
  const contentKeyId = reader.raw(KEY_ID_BYTES);
  const nonce = reader.raw(NONCE_BYTES);
  const ciphertext = reader.bytes32();
  const unsigned = reader.consumed();
  const signature = reader.raw(SIGNATURE_BYTES);
  reader.end();
  refuseUnless(ciphertext.length >= TAG_BYTES);
  return { contentKeyId, nonce, ciphertext, unsigned, signature };
}

// Which key an envelope needs (to look it up before opening).
export const envelopeKeyId = refusingSync((data) => parseEnvelope(data).contentKeyId);

// Check the author's signature over what the item claims to be, then decrypt.
export const openEnvelope = refusing(async (data, contentKey, context) => {
  const { contentKeyId, nonce, ciphertext, unsigned, signature } = parseEnvelope(data);
  refuseUnless(equalBytes(await keyId(contentKey), contentKeyId));
  const ad = associatedData(context, contentKeyId);
  await verify(context.author.ed25519Public, 'eportfolio/v1/sig/envelope', concat(lp(ad), unsigned), signature);
  return aeadDecrypt(contentKey, nonce, ciphertext, ad);
});

// Who may read an item: only her, her coaches (the portfolio epoch key), or chosen people.
export const Audience = Object.freeze({
  onlyMe: () => ({ portfolioKey: null, people: [], grantResourceType: 'portfolio-item' }),
  coaches: refusingSync((portfolioKey) => {
    refuseUnless(portfolioKey instanceof Uint8Array && portfolioKey.length === KEY_BYTES);
    return { portfolioKey, people: [], grantResourceType: 'portfolio-item' };
  }),
  chosen: refusingSync((people) => ({ portfolioKey: null, people: [...people], grantResourceType: 'portfolio-item' })),
});

// A new item (or a new revision with the same itemKey), wrapped for its audience.
export const encryptItem = refusing(
  async (author, audience, { resourceType, resourceId, itemId, revision, plaintext, itemKey = null, rng = systemRng }) => {
    const key = itemKey ?? (await draw(rng, KEY_BYTES));
    const envelope = await sealEnvelope(author, key, { resourceType, resourceId, itemId, revision, plaintext, rng });
    const itemKeyId = await keyId(key);
    const audienceKey = audience.portfolioKey ?? author.userKey;
    const wrap = await wrapKey(audienceKey, SecretPurpose.ITEM_KEY, key, itemKeyId, { rng });
    const grants = [];
    for (const person of audience.people) {
      grants.push(
        await makeGrant(author, {
          resourceType: audience.grantResourceType,
          resourceId: itemId,
          epoch: 0,
          key,
          recipient: person,
          rng,
        }),
      );
    }
    return { envelope, itemKey: key, itemKeyId, wraps: [wrap], grants };
  },
);

// The item key from its wrap under the user key (a SessionKey) or a portfolio epoch key.
export const unwrapItemKey = refusing(async (wrap, audienceKey, itemKeyId) =>
  unwrapKey(wrap, audienceKey, SecretPurpose.ITEM_KEY, itemKeyId, itemKeyId),
);

export const encryptMessage = refusing(
  async (author, conversationKey, { conversationId, messageId, plaintext, rng = systemRng }) =>
    sealEnvelope(author, conversationKey, {
      resourceType: 'conversation',
      resourceId: conversationId,
      itemId: messageId,
      revision: 0,
      plaintext,
      rng,
    }),
);

export const decryptMessage = refusing(async (envelope, conversationKey, { conversationId, messageId, author }) =>
  openEnvelope(envelope, conversationKey, {
    resourceType: 'conversation',
    resourceId: conversationId,
    itemId: messageId,
    revision: 0,
    author,
  }),
);

// -- attachments --------------------------------------------------------------------------

export const encodeAttachmentMeta = refusingSync((meta) =>
  new Writer(TAG_ATTACHMENT_META)
    .str16(meta.fileName)
    .str16(meta.mediaType)
    .u64(meta.size)
    .raw(meta.streamSalt, SALT_BYTES)
    .getValue(),
);

export const decodeAttachmentMeta = refusingSync((data) => {
  const reader = new Reader(data, TAG_ATTACHMENT_META);
  const meta = {
    fileName: reader.str16(),
    mediaType: reader.str16(),
    size: reader.u64(),
    streamSalt: reader.raw(SALT_BYTES),
  };
  reader.end();
  return meta;
});

async function chunkKey(itemKey, salt) {
  return hkdf(itemKey, 'eportfolio/v1/attachment-stream', KEY_BYTES, salt);
}

function chunkNonce(index) {
  return concat(new Uint8Array(4), new Writer().u64(index).getValue());
}

function chunkAd(header, index, last) {
  return concat(header, new Writer().u64(index).u8(last ? 1 : 0).getValue());
}

// Encrypts a stream chunk by chunk: feed 64 KiB pieces, mark the last one.
export class AttachmentEncryptor {
  static async create(itemKey, { rng = systemRng } = {}) {
    const self = new AttachmentEncryptor();
    self.streamSalt = await draw(rng, SALT_BYTES);
    self.header = new Writer(TAG_ATTACHMENT_STREAM)
      .raw(await keyId(itemKey))
      .raw(self.streamSalt)
      .u32(CHUNK_BYTES)
      .getValue();
    self.key = await chunkKey(itemKey, self.streamSalt);
    self.index = 0;
    self.finished = false;
    return self;
  }

  async encryptChunk(plaintext, { last }) {
    const full = plaintext.length === CHUNK_BYTES;
    refuseUnless(!this.finished && plaintext.length <= CHUNK_BYTES && (last || full));
    const ciphertext = await aeadEncrypt(this.key, chunkNonce(this.index), plaintext, chunkAd(this.header, this.index, last));
    this.index += 1;
    this.finished = last;
    return ciphertext;
  }
}

// Opens a stream; each chunk must be declared last exactly when nothing follows it.
export class AttachmentDecryptor {
  static async create(itemKey, header, streamSalt) {
    const reader = new Reader(header, TAG_ATTACHMENT_STREAM);
    const headerKeyId = reader.raw(KEY_ID_BYTES);
    const salt = reader.raw(SALT_BYTES);
    const chunkBytes = reader.u32();
    reader.end();
    refuseUnless(
      equalBytes(headerKeyId, await keyId(itemKey)) && equalBytes(salt, streamSalt) && chunkBytes === CHUNK_BYTES,
    );
    const self = new AttachmentDecryptor();
    self.header = header.slice();
    self.key = await chunkKey(itemKey, salt);
    self.index = 0;
    self.finished = false;
    return self;
  }

  async decryptChunk(ciphertext, { last }) {
    refuseUnless(!this.finished && ciphertext.length <= CHUNK_BYTES + TAG_BYTES);
    const plaintext = await aeadDecrypt(this.key, chunkNonce(this.index), ciphertext, chunkAd(this.header, this.index, last));
    refuseUnless(last || plaintext.length === CHUNK_BYTES);
    this.index += 1;
    this.finished = last;
    return plaintext;
  }
}

AttachmentEncryptor.create = refusing(AttachmentEncryptor.create);
AttachmentEncryptor.prototype.encryptChunk = refusing(AttachmentEncryptor.prototype.encryptChunk);
AttachmentDecryptor.create = refusing(AttachmentDecryptor.create);
AttachmentDecryptor.prototype.decryptChunk = refusing(AttachmentDecryptor.prototype.decryptChunk);

// Encrypt a whole attachment given as pieces of any size (e.g. from a File's stream).
// Returns { streamSalt, parts: [header, chunk 0, chunk 1, ...] }.
export const encryptAttachment = refusing(async (itemKey, pieces, { rng = systemRng } = {}) => {
  const encryptor = await AttachmentEncryptor.create(itemKey, { rng });
  const parts = [encryptor.header];
  let pending = new Uint8Array(0);
  for await (const piece of pieces) {
    pending = concat(pending, bytes(piece));
    while (pending.length > CHUNK_BYTES) {
      parts.push(await encryptor.encryptChunk(pending.slice(0, CHUNK_BYTES), { last: false }));
      pending = pending.slice(CHUNK_BYTES);
    }
  }
  parts.push(await encryptor.encryptChunk(pending, { last: true }));
  return { streamSalt: encryptor.streamSalt, parts };
});

// Yield plaintext chunks from ciphertext pieces of any size. Refuses (while iterating) a stream
// that is not exactly right, so keep what it yields until the iteration ends without error.
export async function* decryptAttachment(itemKey, stream, meta) {
  const pieceBytes = CHUNK_BYTES + TAG_BYTES;
  let pending = new Uint8Array(0);
  let decryptor = null;
  let size = 0;
  try {
    for await (const piece of stream) {
      pending = concat(pending, bytes(piece));
      if (decryptor === null && pending.length >= STREAM_HEADER_BYTES) {
        decryptor = await AttachmentDecryptor.create(itemKey, pending.slice(0, STREAM_HEADER_BYTES), meta.streamSalt);
        pending = pending.slice(STREAM_HEADER_BYTES);
      }
      while (decryptor !== null && pending.length > pieceBytes) {
        const chunk = await decryptor.decryptChunk(pending.slice(0, pieceBytes), { last: false });
        size += chunk.length;
        pending = pending.slice(pieceBytes);
        yield chunk;
      }
    }
    refuseUnless(decryptor !== null);
    const chunk = await decryptor.decryptChunk(pending, { last: true });
    size += chunk.length;
    refuseUnless(size === meta.size);
    yield chunk;
  } catch {
    throw refuse();
  }
}
