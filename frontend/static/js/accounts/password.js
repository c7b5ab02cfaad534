// Change password: the current password opens the user key (from this session's bundle), a new
// KDF run wraps it again; the server checks the current proof and ends her other sessions.

import { Identity, KdfParams, b64uDecode, b64uEncode, loadSession, saveSession } from '../crypto/index.js';
import { api, busy, errorOf, messages, newPasswordProblem, say, secretsFor, supported } from './common.js';

const form = document.getElementById('password-form');
const progress = document.getElementById('progress');
const problem = document.getElementById('e-form');
const passwordProblem = document.getElementById('e-password');
// The password fields have no name (a form sent without this script must not carry them): by id.
const field = (id) => document.getElementById(id);

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  say(problem, '');
  say(passwordProblem, '');
  document.getElementById('done').hidden = true;
  const password = field('f-password').value;
  const weak = newPasswordProblem(password, field('f-password2').value);
  if (weak) return say(passwordProblem, weak);
  if (!(await supported())) return;
  busy(form, true);
  try {
    const identity = await loadSession();
    if (identity === null) return say(problem, messages.failed);
    const current = await secretsFor(identity.login, field('f-current').value, identity.bundle.params, progress);
    const next = await secretsFor(identity.login, password, await KdfParams.create(), progress);
    let changed;
    try {
      changed = await Identity.changePassword(identity.bundle.toBytes(), current, next);
    } catch {
      // The current password did not open her key: let the server count and answer it.
      changed = null;
    }
    const answer = await api('/api/v1/account/password', {
      current_auth_proof: b64uEncode(current.authProof()),
      key_bundle: b64uEncode(changed ? changed.bundle : identity.bundle.toBytes()),
      auth_proof: b64uEncode(next.authProof()),
    });
    if (!answer.ok) return say(problem, errorOf(answer));
    await saveSession(await Identity.unlockWithSecrets(changed.bundle, next, { userId: identity.userId }));
    current.wipe();
    next.wipe();
    form.reset();
    document.getElementById('done').hidden = false;
  } catch {
    say(problem, messages.failed);
  } finally {
    say(progress, '');
    busy(form, false);
  }
});
