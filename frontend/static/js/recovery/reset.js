// Coach-assisted recovery on her phone: after the warning, new keys are made here (as at sign-up)
// and the reset code lets them replace the old ones; then her new recovery code and fingerprint.

import { Identity, KdfParams, b64uEncode, saveSession } from '../crypto/index.js';
import { api, busy, errorOf, messages, newPasswordProblem, say, secretsFor, supported } from '../accounts/common.js';

const $ = (id) => document.getElementById(id);
const form = $('reset-form');

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  say($('e-form'), '');
  say($('e-password'), '');
  const weak = newPasswordProblem($('f-password').value, $('f-password2').value);
  if (weak) return say($('e-password'), weak);
  if (!(await supported())) return;
  busy(form, true);
  try {
    const code = $('f-code').value.trim();
    const preview = await api('/api/v1/recovery/reset/preview', { token: code });
    if (!preview.ok) return say($('e-form'), errorOf(preview));
    const { login, person_id: userId } = preview.data;
    const secrets = await secretsFor(login, $('f-password').value, await KdfParams.create(), $('progress'));
    const made = await Identity.createWithSecrets(secrets, { userId });
    const done = await api('/api/v1/recovery/reset/complete', {
      code,
      understood_only_me_lost: $('f-understood').checked,
      key_bundle: b64uEncode(made.bundle),
      public_identity: b64uEncode(made.publicIdentity),
      auth_proof: b64uEncode(made.authProof),
      recovery_proof: b64uEncode(made.recoveryAuthProof),
    });
    secrets.wipe();
    if (!done.ok) return say($('e-form'), errorOf(done));
    await saveSession(made.identity);
    $('recovery-code').textContent = await made.recoveryCode.text();
    $('my-fingerprint').textContent = await made.identity.person.fingerprintText();
    form.hidden = true;
    $('reset-done').hidden = false;
  } catch {
    say($('e-form'), messages.failed);
  } finally {
    say($('progress'), '');
    busy(form, false);
  }
});
