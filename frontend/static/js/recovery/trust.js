// Shared by the recovery pages: the programme key checked along the chain organisation ->
// certificate -> programme key against her pins, and the signed programme recovery key record
// checked with it.

import { RecordKind, b64uDecode, loadSession, verifyRecord } from '../crypto/index.js';
import { api } from '../accounts/common.js';
import { showKeyChange } from '../shared/key-change.js';
import { Trust } from '../shared/trust.js';

export const words = document.getElementById('recovery-messages')?.dataset ?? {};

export async function get(path) {
  return api(path, undefined, 'GET');
}

export async function me() {
  const identity = await loadSession();
  if (identity === null) throw new Error(words.noKeys);
  return identity;
}

// The programme key along organisation -> certificate -> programme, each the key pinned in this
// user's record (shared/trust.js). A changed one is refused, and the confirm screen shows it.
export async function programmePublic(programmeId) {
  const trust = new Trust(await me(), { api: (path, body, method) => api(path, body, method ?? 'GET') });
  const { key, changed } = await trust.programmeKey(programmeId);
  if (!key) {
    showKeyChange(trust, changed, { onConfirmed: () => globalThis.location.reload() });
    throw new Error(words.keyChanged);
  }
  await trust.save();
  return key;
}

// The recovery key as served, accepted only when its record verifies under the programme key.
export async function checkedRecoveryKey(programmeId) {
  const served = await get(`/api/v1/recovery/programmes/${programmeId}/key`);
  if (!served.ok) throw new Error(words.recordInvalid);
  const record = await verifyRecord(
    b64uDecode(served.data.signed_record),
    await programmePublic(programmeId),
    RecordKind.PROGRAMME_RECOVERY_KEY,
  );
  const publicKey = b64uDecode(served.data.x25519_public);
  if (record.programmeId !== programmeId || !record.body.x25519Public.every((b, i) => b === publicKey[i])) {
    throw new Error(words.recordInvalid);
  }
  return { served: served.data, publicKey };
}
