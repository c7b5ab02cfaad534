// The confirm screen for a changed organisation or programme key (partials/key_change.html), on
// the portfolio and chat pages, for participants and coaches alike. While it shows, the trust
// module trusts nothing signed with the changed key, so this browser grants nothing by itself.
// Only "checked in person: the same" pins the new key (confirmed), through shared/trust.js.

import { FingerprintKind } from '../crypto/index.js';

const $ = (id) => document.getElementById(id);

function qrUrl(payload) {
  return `/recovery/fingerprint.svg?payload=${encodeURIComponent(payload)}`;
}

function say(text, kind) {
  const status = $('key-change-status');
  status.textContent = text ?? '';
  status.className = `alert alert--${kind}`;
  status.hidden = !text;
}

// Shows `changed` (from Trust.programmeKey) or hides the screen when it is null. `onConfirmed`
// runs once the new key is pinned, to share again as usual. With her list of trusted keys
// missing (`changed.missing`) she compares her organisation's code in person; with it unreadable
// or rolled back (only `changed.problem`) the screen explains and offers nothing to confirm.
export function showKeyChange(trust, changed, { onConfirmed = async () => {} } = {}) {
  const panel = $('key-change');
  if (!panel) return false;
  panel.hidden = !changed;
  if (!changed) return false;
  const words = $('key-change-messages').dataset;
  const problemOnly = Boolean(changed.problem) && !changed.missing;
  $('key-change-explain-changed').hidden = Boolean(changed.problem);
  $('key-change-explain-missing').hidden = !changed.missing;
  $('key-change-explain-problem').hidden = !problemOnly;
  $('key-change-compare').hidden = problemOnly;
  say('', 'warning');
  if (problemOnly) {
    $('key-change-heading').textContent = words.problem;
    $('key-change-explain-problem').textContent = changed.problem === 'pins_rollback' ? words.rollback : words.unavailable;
    panel.dataset.kind = changed.problem;
    panel.scrollIntoView?.();
    return true;
  }
  const organisation = changed.kind === FingerprintKind.ORGANISATION_KEY;
  $('key-change-heading').textContent = changed.missing ? words.missing : organisation ? words.organisation : words.programme;
  panel.dataset.kind = changed.missing ? 'missing' : organisation ? 'organisation' : 'programme';
  $('key-change-old').hidden = !changed.before;
  // With no old code there is nothing "new" about it: the code of her organisation, the same.
  const nowHeading = $('key-change-now-heading');
  nowHeading.dataset.label ??= nowHeading.textContent;
  nowHeading.textContent = changed.missing ? words.missingCode : nowHeading.dataset.label;
  const confirmButton = $('key-change-confirm');
  confirmButton.dataset.label ??= confirmButton.textContent;
  confirmButton.textContent = changed.missing ? words.missingConfirm : confirmButton.dataset.label;
  if (changed.before) {
    $('key-change-before').textContent = changed.before.text;
    $('key-change-before-qr').src = qrUrl(changed.before.qr);
  }
  $('key-change-now').textContent = changed.now.text;
  $('key-change-now-qr').src = qrUrl(changed.now.qr);
  const confirm = $('key-change-confirm');
  confirm.disabled = false;
  confirm.onclick = async () => {
    confirm.disabled = true;
    const result = await trust.confirmKey(changed).catch(() => ({ ok: false, status: 0 }));
    confirm.disabled = false;
    if (result.status === 409) return say(words.moved, 'warning');
    if (!result.ok) return say(result.status === 0 ? words.network : words.failed, 'warning');
    panel.hidden = true;
    await onConfirmed();
    return null;
  };
  $('key-change-differ').onclick = () => say(words.differ, 'warning');
  panel.scrollIntoView?.();
  return true;
}
