// Login: pre-login gives the KDF parameters, the worker derives the secrets, the server checks
// the auth proof and only then returns the key bundle, which is unlocked once into the key store.

import { Identity, KdfParams, b64uDecode, b64uEncode, saveSession } from '../crypto/index.js';
import { api, busy, errorOf, messages, say, secretsFor, supported } from './common.js';

const form = document.getElementById('login-form');
const progress = document.getElementById('progress');
const problem = document.getElementById('e-form');

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!(await supported())) return;
  say(problem, '');
  busy(form, true);
  try {
    const login = form.elements.login.value.trim();
    const pre = await api('/api/v1/auth/prelogin', { login });
    if (!pre.ok) return say(problem, errorOf(pre));
    let secrets;
    try {
      secrets = await secretsFor(login, document.getElementById('f-password').value, KdfParams.fromBytes(b64uDecode(pre.data.kdf_params)), progress);
    } catch {
      return say(problem, messages.failed);
    }
    const answer = await api('/api/v1/auth/login', { login, auth_proof: b64uEncode(secrets.authProof()) });
    if (!answer.ok) return say(problem, errorOf(answer));
    const identity = await Identity.unlockWithSecrets(b64uDecode(answer.data.key_bundle), secrets, {
      userId: answer.data.person_id,
    });
    secrets.wipe();
    await saveSession(identity);
    say(progress, messages.done);
    globalThis.location.assign('/');
  } catch {
    say(problem, messages.failed);
  } finally {
    say(progress, '');
    busy(form, false);
  }
});
