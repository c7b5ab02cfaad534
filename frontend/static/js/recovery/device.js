// Her new phone: a fresh device key (its private half never leaves this browser), its
// fingerprint as text and QR for the officer, then, once the officer re-sealed her user key to
// it, a new password; the server ends every other session.

import {
  FingerprintKind, Identity, KdfParams, b64uDecode, b64uEncode, fingerprint, fingerprintQr, fingerprintText,
  newDeviceKey, saveSession,
} from '../crypto/index.js';
import { api, busy, errorOf, messages, newPasswordProblem, say, secretsFor, supported } from '../accounts/common.js';
import { words } from './trust.js';

const $ = (id) => document.getElementById(id);
let device = null;
let token = null;
let ready = null;

$('device-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  say($('e-form'), '');
  if (!(await supported())) return;
  busy(event.target, true);
  try {
    device = await newDeviceKey();
    const login = event.target.elements.login.value.trim();
    const answer = await api('/api/v1/recovery/device', { login, device_public: b64uEncode(device.publicKey) });
    if (!answer.ok) return say($('e-form'), errorOf(answer));
    // The phone shows the fingerprint it computed itself, not the server's.
    const own = await fingerprint(FingerprintKind.RECOVERY_DEVICE_KEY, answer.data.person_id, device.publicKey);
    token = answer.data.token;
    $('device-fingerprint').textContent = fingerprintText(own);
    $('device-qr').src = `/recovery/fingerprint.svg?payload=${encodeURIComponent(fingerprintQr(own))}`;
    $('device-start').hidden = true;
    $('device-code').hidden = false;
    say($('device-waiting'), words.waiting);
    poll();
  } catch {
    say($('e-form'), messages.failed);
  } finally {
    busy(event.target, false);
  }
});

async function poll() {
  const answer = await api('/api/v1/recovery/device/state', { token });
  if (answer.ok && answer.data.ready) {
    ready = answer.data;
    $('device-code').hidden = true;
    $('device-password').hidden = false;
    return;
  }
  setTimeout(poll, 2000);
}

$('password-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  const problem = $('e-password-form');
  say(problem, '');
  say($('e-password'), '');
  const weak = newPasswordProblem($('f-password').value, $('f-password2').value);
  if (weak) return say($('e-password'), weak);
  busy(form, true);
  try {
    const next = await secretsFor(ready.login, $('f-password').value, await KdfParams.create(), $('progress'));
    const result = await Identity.recoverOnDevice(
      b64uDecode(ready.key_bundle), b64uDecode(ready.sealed_user_key), device, next, { userId: ready.person_id },
    );
    const done = await api('/api/v1/recovery/device/complete', {
      token,
      key_bundle: b64uEncode(result.bundle),
      auth_proof: b64uEncode(result.authProof),
    });
    next.wipe();
    if (!done.ok) return say(problem, errorOf(done));
    await saveSession(result.identity);
    globalThis.location.assign('/');
  } catch {
    say(problem, messages.failed);
  } finally {
    say($('progress'), '');
    busy(form, false);
  }
});
