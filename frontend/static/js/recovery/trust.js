// Shared by the recovery pages: the programme key checked along the chain organisation ->
// certificate -> programme key, and the signed programme recovery key record checked with it.

import { RecordKind, b64uDecode, loadSession, verifyProgrammeKey, verifyRecord } from '../crypto/index.js';
import { api } from '../accounts/common.js';

export const words = document.getElementById('recovery-messages')?.dataset ?? {};

export async function get(path) {
  return api(path, undefined, 'GET');
}

export async function me() {
  const identity = await loadSession();
  if (identity === null) throw new Error(words.noKeys);
  return identity;
}

export async function programmePublic(programmeId) {
  const organisation = await get('/api/v1/trust/organisation');
  const programme = await get(`/api/v1/trust/programmes/${programmeId}`);
  if (!organisation.ok || !programme.ok) throw new Error(words.recordInvalid);
  return verifyProgrammeKey(
    b64uDecode(programme.data.certificate),
    b64uDecode(organisation.data.ed25519_public),
    programmeId,
  );
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
