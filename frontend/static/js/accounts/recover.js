// Forgot the password: the recovery code is checked for typing errors here, proven to the
// server, opens the user key from the bundle, and a new password wraps it again.

import { Identity, KdfParams, RecoveryCode, b64uDecode, b64uEncode, normaliseLogin, saveSession } from '../crypto/index.js';
import { api, busy, errorOf, messages, newPasswordProblem, say, secretsFor, supported } from './common.js';

const form = document.getElementById('recover-form');
const progress = document.getElementById('progress');
const problem = document.getElementById('e-form');
const codeProblem = document.getElementById('e-code');
const passwordProblem = document.getElementById('e-password');
// The code and password fields have no name (a form sent without this script must not carry them).
const field = (id) => document.getElementById(id);

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  for (const element of [problem, codeProblem, passwordProblem]) say(element, '');
  let login;
  try {
    login = normaliseLogin(form.elements.login.value.trim());
  } catch {
    return say(problem, messages.loginFormat);
  }
  const text = field('f-code').value;
  let code;
  try {
    code = await RecoveryCode.parse(text);
  } catch {
    return say(codeProblem, messages.codeTypo);
  }
  const password = field('f-password').value;
  const weak = newPasswordProblem(password, field('f-password2').value);
  if (weak) return say(passwordProblem, weak);
  if (!(await supported())) return;
  busy(form, true);
  try {
    const proof = b64uEncode(await code.authProof());
    const started = await api('/api/v1/auth/recovery/start', { login, recovery_proof: proof });
    if (!started.ok) return say(problem, errorOf(started));
    const next = await secretsFor(login, password, await KdfParams.create(), progress);
    const result = await Identity.recover(b64uDecode(started.data.key_bundle), text, next, {
      userId: started.data.person_id,
    });
    const done = await api('/api/v1/auth/recovery/complete', {
      login,
      recovery_proof: proof,
      key_bundle: b64uEncode(result.bundle),
      auth_proof: b64uEncode(result.authProof),
    });
    if (!done.ok) return say(problem, errorOf(done));
    await saveSession(result.identity);
    offerNewCode(result.bundle, next);
  } catch {
    say(problem, messages.failed);
  } finally {
    say(progress, '');
    busy(form, false);
  }
});

// Right after a reset: the code she used may have been seen, so offer a new one. Only its
// recovery copy changes; the server then forgets the old code's proof.
function offerNewCode(bundle, secrets) {
  document.getElementById('reset-step').hidden = true;
  const offer = document.getElementById('new-code-offer');
  offer.hidden = false;
  offer.scrollIntoView();
  const button = document.getElementById('make-new-code');
  const trouble = document.getElementById('e-new-code');
  document.getElementById('skip-new-code').addEventListener('click', () => secrets.wipe());
  button.addEventListener('click', async () => {
    say(trouble, '');
    button.disabled = true;
    try {
      const made = await Identity.newRecoveryCode(bundle, secrets);
      const answer = await api('/api/v1/account/recovery-code', {
        current_auth_proof: b64uEncode(secrets.authProof()),
        key_bundle: b64uEncode(made.bundle),
        recovery_proof: b64uEncode(made.recoveryAuthProof),
      });
      if (!answer.ok) return say(trouble, errorOf(answer));
      secrets.wipe();
      showCode(await made.recoveryCode.text());
    } catch {
      say(trouble, messages.failed);
    } finally {
      button.disabled = false;
    }
  });
}

function showCode(text) {
  document.getElementById('recovery-code').textContent = text;
  document.getElementById('new-code-offer').hidden = true;
  const sheet = document.getElementById('recovery-step');
  sheet.hidden = false;
  sheet.scrollIntoView();
  document.getElementById('print-code').addEventListener('click', () => globalThis.print());
  document.getElementById('recovery-check').addEventListener('submit', (event) => {
    event.preventDefault();
    const typed = event.target.querySelector('input').value.trim().toUpperCase();
    if (typed !== text.slice(-4)) {
      document.getElementById('e-last-group').hidden = false;
      return;
    }
    globalThis.location.assign('/');
  });
}
