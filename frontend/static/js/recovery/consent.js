// Her consent: the password opens her user key here once more, it is sealed to the programme
// recovery key (after its signed record checks out) and only that sealed copy is sent.

import { Identity, KdfParams, b64uDecode, b64uEncode } from '../crypto/index.js';
import { api, busy, errorOf, messages, say, secretsFor, supported } from '../accounts/common.js';
import { checkedRecoveryKey, me, words } from './trust.js';

const form = document.getElementById('consent-form');
const { programmeId } = document.getElementById('consent').dataset;

form?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const problem = document.getElementById('e-form');
  const progress = document.getElementById('progress');
  say(problem, '');
  if (!(await supported())) return;
  busy(form, true);
  try {
    const identity = await me();
    const { publicKey } = await checkedRecoveryKey(programmeId);
    const pre = await api('/api/v1/auth/prelogin', { login: identity.login });
    const secrets = await secretsFor(identity.login, document.getElementById('f-password').value, KdfParams.fromBytes(b64uDecode(pre.data.kdf_params)), progress);
    let sealed;
    try {
      sealed = await Identity.sealForProgrammeRecovery(identity.bundle.toBytes(), secrets, publicKey, { userId: identity.userId });
    } catch {
      return say(problem, words.wrongPassword);
    } finally {
      secrets.wipe();
    }
    const answer = await api(`/api/v1/recovery/programmes/${programmeId}/consent`, { sealed_user_key: b64uEncode(sealed) }, 'PUT');
    if (!answer.ok) return say(problem, errorOf(answer));
    globalThis.location.reload();
  } catch (error) {
    say(problem, error.message || messages.failed);
  } finally {
    say(progress, '');
    busy(form, false);
  }
});
