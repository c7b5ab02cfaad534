// Sign-up with an invitation: check the organisation key against the invitation paper, make the
// keys in this browser (Argon2id in the worker), send only wrapped keys and proofs, keep the
// unlocked keys for this session, then show the recovery code once.

import {
  FingerprintKind,
  Identity,
  KdfParams,
  SigningKey,
  b64uDecode,
  b64uEncode,
  fingerprint,
  fingerprintText,
  normaliseLogin,
  saveSession,
  sealPinnedKeys,
} from '../crypto/index.js';
import { api, busy, errorOf, messages, newPasswordProblem, say, secretsFor, supported } from './common.js';

const form = document.getElementById('signup-form');
const progress = document.getElementById('progress');
const problem = document.getElementById('e-form');
const loginProblem = document.getElementById('e-login');
const passwordProblem = document.getElementById('e-password');
// The password fields have no name (a form sent without this script must not carry them): by id.
const field = (id) => document.getElementById(id);
const { code, personId, organisationId, organisationKey, expectedFingerprint, makesOrganisationKey } = form.dataset;
let recoveryText = '';

async function showOrganisationFingerprint() {
  if (!organisationKey) return true;
  const computed = fingerprintText(
    await fingerprint(FingerprintKind.ORGANISATION_KEY, organisationId, b64uDecode(organisationKey)),
  );
  document.getElementById('computed-fingerprint').textContent = computed;
  if (computed !== expectedFingerprint) {
    say(problem, messages.fingerprintMismatch);
    busy(form, true);
    return false;
  }
  return true;
}

supported().then((ok) => ok && showOrganisationFingerprint());

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  say(problem, '');
  say(loginProblem, '');
  say(passwordProblem, '');
  let login;
  try {
    login = normaliseLogin(form.elements.login.value.trim());
  } catch {
    return say(loginProblem, messages.loginFormat);
  }
  const password = field('f-password').value;
  const weak = newPasswordProblem(password, field('f-password2').value);
  if (weak) return say(passwordProblem, weak);
  const fingerprintBox = form.elements.fingerprint_ok;
  if (fingerprintBox && !fingerprintBox.checked) return fingerprintBox.focus();
  if (!(await supported()) || !(await showOrganisationFingerprint())) return;

  busy(form, true);
  try {
    const secrets = await secretsFor(login, password, await KdfParams.create(), progress);
    const made = await Identity.createWithSecrets(secrets, { userId: personId });
    secrets.wipe();
    const body = {
      invitation_code: code,
      login,
      key_bundle: b64uEncode(made.bundle),
      public_identity: b64uEncode(made.publicIdentity),
      auth_proof: b64uEncode(made.authProof),
      recovery_proof: b64uEncode(made.recoveryAuthProof),
    };
    let pinned = organisationKey ? b64uDecode(organisationKey) : null;
    if (makesOrganisationKey) {
      const organisation = await SigningKey.generate();
      pinned = organisation.public;
      body.organisation_key = {
        ed25519_public: b64uEncode(organisation.public),
        sealed_copy: b64uEncode(await organisation.sealFor(made.identity.person)),
      };
    }
    const answer = await api('/api/v1/auth/signup', body);
    if (!answer.ok) {
      const field = answer.data?.error?.field;
      return say(field === 'login' ? loginProblem : problem, errorOf(answer));
    }
    await saveSession(made.identity);
    if (pinned) {
      // She compared it with her invitation paper (or made it herself): pinned as confirmed, so
      // every later page notices a changed organisation key.
      const entry = {
        kind: FingerprintKind.ORGANISATION_KEY,
        subjectId: organisationId,
        keyMaterial: pinned,
        confirmed: true,
      };
      const record = await sealPinnedKeys(made.identity, 1, [entry]);
      await api('/api/v1/pinned-keys', { revision: 1, record: b64uEncode(record) }, 'PUT');
    }
    recoveryText = await made.recoveryCode.text();
    document.getElementById('recovery-code').textContent = recoveryText;
    document.getElementById('signup-step').hidden = true;
    document.getElementById('recovery-step').hidden = false;
    document.getElementById('recovery-step').scrollIntoView();
  } catch {
    say(problem, messages.failed);
  } finally {
    say(progress, '');
    busy(form, false);
  }
});

document.getElementById('print-code').addEventListener('click', () => globalThis.print());

document.getElementById('recovery-check').addEventListener('submit', (event) => {
  event.preventDefault();
  const typed = event.target.querySelector('input').value.trim().toUpperCase();
  const wanted = recoveryText.slice(-4);
  const wrong = document.getElementById('e-last-group');
  if (typed !== wanted) {
    wrong.hidden = false;
    return;
  }
  globalThis.location.assign('/');
});
