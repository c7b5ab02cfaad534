// Answers, feedback and personal assignments as her portfolio sees them: each is sealed exactly
// like a portfolio item for "my coaches" (resource type "portfolio", her portfolio id, the row id,
// the revision being written, the author), its item key wrapped under her current portfolio epoch
// key. Moving a row into her portfolio later is then a copy (docs/modules.md). Keys, grants to
// verified coaches and drafts come from the portfolio's browser modules; nothing is done twice.

import { Audience, b64uDecode, b64uEncode, encryptItem, openEnvelope, unwrapItemKey } from '../crypto/index.js';
import { PortfolioClient, RESOURCE, api, decoder, encoder, newId } from '../portfolio/keyring.js';

export { api, newId };

// Her portfolio in this programme, opened by her (made on first use) or by one of her coaches,
// with every reader given the key her browser may give. Null when the coach has no portfolio of
// her to open (she never opened it); `ready` says whether the current key is here.
export async function openPortfolio(identity, programmeId, participantId) {
  const client = new PortfolioClient(identity, programmeId);
  if (identity.userId === participantId) {
    await client.open(null);
  } else {
    const listed = await api(`/api/v1/portfolio/programmes/${programmeId}/portfolios`);
    const hers = listed.ok ? listed.data.find((p) => p.participant_id === participantId) : null;
    if (!hers) return { client: null, ready: false };
    await client.open(hers.id);
    // The listing is the server's word: the portfolio must be hers, or nothing is sealed in it.
    if (client.portfolio.participant_id !== participantId) return { client: null, ready: false };
  }
  const ready = await client.ensureAccess();
  return { client, ready };
}

// The fields of an EnvelopeWrite for `value` (any JSON), as revision `revision` of row `id`.
export async function sealRow(client, { id, revision, value }) {
  const sealed = await encryptItem(client.identity, Audience.coaches(client.currentKey), {
    resourceType: RESOURCE,
    resourceId: client.id,
    itemId: id,
    revision,
    plaintext: encoder.encode(JSON.stringify(value)),
  });
  return {
    id,
    envelope: b64uEncode(sealed.envelope),
    key_id: b64uEncode(sealed.itemKeyId),
    item_key_wrap: b64uEncode(sealed.wraps[0]),
    base_revision: revision - 1,
  };
}

// Seal `fields` and `send` them; when her portfolio got a new key meanwhile (a coach left), the
// server answers 409 `stale_epoch`: fetch the new key and seal once more under it.
export async function sendSealed(client, fields, send) {
  let result = await send(await sealRow(client, fields));
  if (result.status === 409 && result.data?.error?.code === 'stale_epoch') {
    await client.open(client.id);
    await client.ensureAccess();
    result = await send(await sealRow(client, fields));
  }
  return result;
}

// The value of a stored row, or null when it cannot be opened or was not written by `author`.
// `authors` (id -> Person), when given, are the keys this browser verified for who may have
// written it: the row opens only under one of those, never under a key the server serves now.
export async function openRow(client, { id, authorId, envelope, expectedAuthors = null, authors = null }) {
  if (expectedAuthors && !expectedAuthors.includes(authorId)) return null;
  if (authors && !authors.has(authorId)) return null;
  try {
    // The identity served for the author must be the author's: a key served under another
    // person's id says nothing about who wrote the row.
    const author = authors ? authors.get(authorId) : await client.person(authorId);
    if (!author || author.userId !== authorId) return null;
    const wrap = b64uDecode(envelope.item_key_wrap ?? '');
    const keyId = b64uDecode(envelope.key_id);
    let itemKey = null;
    for (const epochKey of client.epochKeys.values()) {
      try {
        itemKey = await unwrapItemKey(wrap, epochKey, keyId);
        break;
      } catch {
        // wrapped under another epoch's key
      }
    }
    if (!itemKey) return null;
    const bytes = await openEnvelope(b64uDecode(envelope.envelope), itemKey, {
      resourceType: RESOURCE,
      resourceId: client.id,
      itemId: id,
      revision: envelope.revision,
      author,
    });
    return JSON.parse(decoder.decode(bytes));
  } catch {
    return null;
  }
}

// Photos are re-encoded before encryption; shared with her portfolio page.
export { reencode } from '../shared/images.js';

export const UPLOAD_ITEM_KIND = { photo: 'photo', document: 'document', voice: 'voice_note' };
