// Shared by the account pages: messages from the page, JSON calls with the CSRF token, the
// password KDF in the Web Worker with progress, and the checks on a new password.

import { deriveLoginSecrets, requireSupport, workerKdf } from '../crypto/index.js';
import { isCommonPassword } from './common-passwords.js';

export const messages = document.getElementById('page-messages')?.dataset ?? {};

export const MIN_PASSWORD = 8;

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content ?? '';
}

// POST (or another method) JSON; never throws for HTTP errors, only for a lost connection.
export async function api(path, body, method = 'POST') {
  let response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrfToken() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    return { ok: false, status: 0, data: { error: { message: messages.network } } };
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  return { ok: response.ok, status: response.status, data };
}

export function errorOf(result) {
  return result.data?.error?.message ?? messages.failed;
}

export function say(element, text) {
  if (!element) return;
  element.textContent = text ?? '';
  element.hidden = !text;
}

// The login KDF in the worker; the progress line hears each stage.
export function secretsFor(login, password, params, progress) {
  const kdf = workerKdf({ onProgress: (stage) => say(progress, messages[stage] ?? messages.working) });
  say(progress, messages.working);
  return deriveLoginSecrets(login, password, params, { kdf });
}

// A sentence for what is wrong with a new password, or null when it will do.
export function newPasswordProblem(password, repeated) {
  if ([...password].length < MIN_PASSWORD) return messages.tooShort;
  if (isCommonPassword(password)) return messages.common;
  if (password !== repeated) return messages.mismatch;
  return null;
}

// Keep the form usable while work runs; one submit at a time.
export function busy(form, on) {
  for (const button of form.querySelectorAll('button')) button.disabled = on;
  form.setAttribute('aria-busy', on ? 'true' : 'false');
}

export async function supported() {
  return requireSupport();
}
