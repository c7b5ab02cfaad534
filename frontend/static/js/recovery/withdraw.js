// Withdrawing her programme-recovery consent (docs/crypto-spec.md 5.4). The programme's copy of
// her user key is deleted and, because a copy may have been kept, her browser makes a new user key
// under the same password and recovery code, wraps everything that was under the old one again
// (her private keys, "only me" item keys, her pinned keys, her consents in other programmes, the
// drafts on this phone) and sends it all in one request. Only wrapped keys leave the browser.

import { CryptoError, Identity, KdfParams, b64uDecode, b64uEncode, saveSession } from '../crypto/index.js';
import { api, busy, errorOf, messages, say, secretsFor, supported } from '../accounts/common.js';
import { rewrapDrafts } from '../portfolio/drafts.js';
import { sessionMarks } from '../shared/trust.js';
import { checkedRecoveryKey, get, me, words } from './trust.js';

const form = document.getElementById('withdraw-form');
const { programmeId } = document.getElementById('consent').dataset;
const text = form?.dataset ?? {};

const same = (a, b) => a.length === b.length && a.every((byte, i) => byte === b[i]);

class Refused extends Error {}

// Everything the request carries, made from what the server says is under her user key.
async function rotate(identity, secrets, recoveryCode, plan, progress) {
  const bundle = b64uDecode(plan.key_bundle);
  let unlocked;
  try {
    unlocked = await Identity.unlockWithSecrets(bundle, secrets, { userId: identity.userId });
  } catch {
    throw new Refused(words.wrongPassword);
  }
  // The bundle must be the one her session holds: the same person, the same user key.
  if (!same(unlocked.userKeyId, identity.userKeyId) || !same(await unlocked.fingerprint(), await identity.fingerprint())) {
    throw new Refused(text.notYours);
  }
  say(progress, text.making);
  let rotation;
  try {
    rotation = await Identity.rotateUserKey(bundle, secrets, { userId: identity.userId, recoveryCode });
  } catch {
    throw new Refused(text.wrongCode);
  }
  try {
    say(progress, text.items);
    const items = [];
    for (const [index, item] of plan.items.entries()) {
      say(progress, `${text.items} ${index + 1} / ${plan.items.length}`);
      const wrap = await rotation.rewrapItemKey(b64uDecode(item.user_wrap), b64uDecode(item.key_id));
      items.push({ item_id: item.item_id, user_wrap: b64uEncode(wrap) });
    }
    let pinned = null;
    if (plan.pinned_keys) {
      // Not older than the newest this session saw: a rollback must not become the record that
      // her new user key opens.
      const seen = (await sessionMarks().load())[`pins:${identity.userId}`] ?? 0;
      const { revision, record } = await rotation.resealPinnedKeys(b64uDecode(plan.pinned_keys.record), {
        minRevision: Math.max(plan.pinned_keys.revision, seen),
      });
      pinned = { revision, record: b64uEncode(record) };
    }
    const kept = [];
    for (const consent of plan.consents) {
      if (consent.programme_id === programmeId) continue;
      const { publicKey } = await checkedRecoveryKey(consent.programme_id);
      const sealed = await rotation.sealForProgrammeRecovery(publicKey);
      kept.push({ programme_id: consent.programme_id, sealed_user_key: b64uEncode(sealed) });
    }
    return {
      rotation,
      body: {
        old_user_key_id: plan.user_key_id,
        current_auth_proof: b64uEncode(secrets.authProof()),
        key_bundle: b64uEncode(rotation.bundle),
        recovery_proof: b64uEncode(rotation.recoveryAuthProof),
        new_recovery_code: rotation.recoveryCode !== null,
        items,
        pinned_keys: pinned,
        kept_consents: kept,
      },
    };
  } catch (error) {
    rotation.wipe();
    throw error instanceof CryptoError ? new Refused(text.notYours) : error;
  }
}

async function withdraw(password, recoveryCode, progress) {
  const identity = await me();
  const plan = await get('/api/v1/recovery/rotation');
  if (!plan.ok) throw new Refused(errorOf(plan));
  const pre = await api('/api/v1/auth/prelogin', { login: identity.login });
  if (!pre.ok) throw new Refused(errorOf(pre));
  const secrets = await secretsFor(identity.login, password, KdfParams.fromBytes(b64uDecode(pre.data.kdf_params)), progress);
  let made;
  try {
    made = await rotate(identity, secrets, recoveryCode, plan.data, progress);
  } finally {
    secrets.wipe();
  }
  const { rotation, body } = made;
  try {
    say(progress, text.saving);
    const answer = await api(`/api/v1/recovery/programmes/${programmeId}/consent/withdraw`, body);
    if (answer.status === 401) throw new Refused(words.wrongPassword);
    if (answer.status === 409) throw new Refused(text.changed);
    if (!answer.ok) throw new Refused(errorOf(answer));
    // Stored: this browser keeps her session with the new keys, and its drafts follow.
    await saveSession(rotation.identity);
    await rewrapDrafts(identity.userId, (wrap, keyId) => rotation.rewrapItemKey(wrap, keyId));
    return rotation.recoveryCode ? await rotation.recoveryCode.text() : null;
  } finally {
    rotation.wipe();
  }
}

form?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const problem = document.getElementById('e-withdraw');
  const progress = document.getElementById('withdraw-progress');
  say(problem, '');
  const newCode = form.elements.new_code.checked;
  // The password and code fields have no name (a form sent without this script must not carry them).
  const passwordField = document.getElementById('f-withdraw-password');
  const codeField = document.getElementById('f-recovery-code');
  const typed = codeField.value.trim();
  if (!newCode && !typed) return say(problem, text.noCode);
  if (!(await supported())) return;
  busy(form, true);
  try {
    const shown = await withdraw(passwordField.value, newCode ? null : typed, progress);
    passwordField.value = '';
    codeField.value = '';
    document.getElementById('withdraw-part').hidden = true;
    document.getElementById('consent-state').hidden = true;
    const done = document.getElementById('withdraw-done');
    if (shown) {
      document.getElementById('new-recovery-code').textContent = shown;
      document.getElementById('new-code-part').hidden = false;
    }
    done.hidden = false;
    done.querySelector('.alert')?.focus?.();
  } catch (error) {
    say(problem, error instanceof Refused ? error.message : error.message || messages.failed);
  } finally {
    say(progress, '');
    busy(form, false);
  }
});
