// A coach writes a personal assignment for one participant: sealed here under her portfolio key
// ("my coaches", the assignment id bound as the item id), kept as an encrypted draft until sent.

import { loadSession, requireSupport } from '../crypto/index.js';
import { dropDraft, keepDraft, loadDraft } from '../portfolio/drafts.js';
import { api, newId, openPortfolio, sendSealed } from './sealed.js';

const $ = (id) => document.getElementById(id);
const section = $('personal');
const form = $('personal-form');
const words = $('personal-messages').dataset;
const programmeId = section.dataset.programme;
const draftName = `module-personal:${programmeId}`;
let identity = null;
let draftTimer = null;

function say(text) {
  $('personal-status').textContent = text ?? '';
  $('personal-status').hidden = !text;
}

function typed() {
  return {
    participant: $('f-personal_participant').value,
    title: $('f-personal_title').value.trim(),
    text: $('f-personal_text').value,
    due_on: $('f-personal_due_on').value,
  };
}

form.addEventListener('input', () => {
  clearTimeout(draftTimer);
  draftTimer = setTimeout(async () => {
    try {
      await keepDraft(identity, draftName, typed());
      $('personal-draft-status').textContent = words.draftKept;
    } catch {
      $('personal-draft-status').textContent = '';
    }
  }, 400);
});

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const value = typed();
  if (!value.participant || !value.text.trim()) return say(words.choose);
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  say(words.opening);
  try {
    const { client, ready } = await openPortfolio(identity, programmeId, value.participant);
    if (!client || !ready) return say(words.waiting);
    const fields = { id: newId(), revision: 1, value: { v: 1, title: value.title, text: value.text } };
    const result = await sendSealed(client, fields, (content) =>
      api(`/api/v1/programmes/${programmeId}/personal-assignments`, {
        participant_id: value.participant,
        due_on: value.due_on || null,
        content,
      }),
    );
    if (!result.ok) return say(result.status ? (result.data?.error?.message ?? words.failed) : words.network);
    clearTimeout(draftTimer);
    await dropDraft(draftName);
    window.location.assign(`/programmes/${programmeId}/assign?given=1`);
  } catch {
    say(words.failed);
  } finally {
    button.disabled = false;
  }
  return null;
});

async function start() {
  if (!(await requireSupport())) return null;
  identity = await loadSession().catch(() => null);
  if (!identity) return say(words.noSession);
  const kept = await loadDraft(identity, draftName);
  if (kept) {
    $('f-personal_participant').value = kept.value.participant ?? '';
    $('f-personal_title').value = kept.value.title ?? '';
    $('f-personal_text').value = kept.value.text ?? '';
    $('f-personal_due_on').value = kept.value.due_on ?? '';
  }
  form.hidden = false;
  section.dataset.ready = 'true';
  return null;
}

start();
