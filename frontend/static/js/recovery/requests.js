// The recovery officer's browser: computes the fingerprint of her new phone's key (to compare in
// person), opens the programme recovery key and re-seals her user key to that phone.

import { FingerprintKind, ProgrammeRecoveryKey, b64uDecode, b64uEncode, fingerprint, fingerprintText } from '../crypto/index.js';
import { api, errorOf, messages, say, supported } from '../accounts/common.js';
import { checkedRecoveryKey, me, words } from './trust.js';

const list = document.getElementById('waiting');
const { programmeId } = list.dataset;

for (const entry of list.querySelectorAll('[data-request]')) {
  const devicePublic = b64uDecode(entry.dataset.devicePublic);
  fingerprint(FingerprintKind.RECOVERY_DEVICE_KEY, entry.dataset.personId, devicePublic).then((fp) => {
    entry.querySelector('[data-fingerprint]').textContent = fingerprintText(fp);
  });
  const button = entry.querySelector('[data-reseal]');
  const problem = entry.querySelector('[data-error]');
  button.addEventListener('click', async () => {
    say(problem, '');
    if (!entry.querySelector('[data-same]').checked) return say(problem, words.notSame);
    if (!(await supported())) return;
    button.disabled = true;
    try {
      const identity = await me();
      const { served, publicKey } = await checkedRecoveryKey(programmeId);
      const key = await ProgrammeRecoveryKey.open(b64uDecode(served.sealed_copy), identity, publicKey);
      const sealed = await key.resealToDevice(b64uDecode(entry.dataset.sealed), {
        userId: entry.dataset.personId,
        userKeyId: b64uDecode(entry.dataset.keyId),
        devicePublic,
      });
      const answer = await api(`/api/v1/recovery/programmes/${programmeId}/requests/${entry.dataset.request}/reseal`, {
        sealed_user_key: b64uEncode(sealed),
        identity_checked: entry.querySelector('[data-identity-checked]').checked,
      });
      if (!answer.ok) return say(problem, errorOf(answer));
      entry.querySelector('[data-done]').hidden = false;
    } catch (error) {
      say(problem, error.message || messages.failed);
    } finally {
      button.disabled = false;
    }
  });
}
