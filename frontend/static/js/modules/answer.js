// The assignment page. She answers one question per screen: what she types is kept on this phone
// as an encrypted draft at once (restored after a reload or a lost connection) and saved to the
// server, sealed for her coaches, when she moves on, taps Save or hands in. Her coach's browser
// opens every answer read-only and seals the feedback. Decrypted text goes in with textContent.

import { loadSession, requireSupport } from '../crypto/index.js';
import { dropDraft, keepDraft, loadDraft } from '../portfolio/drafts.js';
import { fill, h } from '../shared/dom.js';
import { readFileContent, uploadNew } from '../portfolio/uploads.js';
import { UPLOAD_ITEM_KIND, api, newId, openPortfolio, openRow, reencode, sendSealed } from './sealed.js';

const $ = (id) => document.getElementById(id);
const root = $('assignment');
const words = $('module-messages').dataset;
const mine = root.dataset.participant === 'true';
const editable = root.dataset.editable === 'true';
const base = root.dataset.api;
const fieldsets = [...root.querySelectorAll('fieldset.question')];

let client = null;
let detail = null;
const rows = new Map(); // question key -> her stored answer (from the server)
const files = new Map(); // question key -> [{ item_id, name, type, size }]
const dirty = new Set(); // question keys with a change not yet saved to the server
let draftTimer = null;

function say(text, kind = 'warning') {
  const node = $('answer-status');
  node.textContent = text ?? '';
  node.hidden = !text;
  node.className = `alert alert--${kind}`;
}

function draftName(key) {
  return `module:${root.dataset.assignment}:${key}`;
}

function revisionOf(key) {
  return rows.get(key)?.envelope.revision ?? 0;
}

// Reading and filling a question -------------------------------------------------------------

function controls(fieldset) {
  return [...fieldset.querySelectorAll('input[name], textarea')];
}

function valueOf(fieldset) {
  const kind = fieldset.dataset.kind;
  const inputs = controls(fieldset);
  if (kind === 'choice' || kind === 'scale') {
    const chosen = inputs.find((i) => i.checked);
    return { v: 1, [kind]: chosen ? Number(chosen.value) : null };
  }
  if (kind === 'checklist') return { v: 1, choices: inputs.filter((i) => i.checked).map((i) => Number(i.value)) };
  if (kind === 'upload') return { v: 1, files: files.get(fieldset.dataset.questionKey) ?? [] };
  return { v: 1, text: fieldset.querySelector('textarea')?.value ?? '' };
}

function put(fieldset, value) {
  const kind = fieldset.dataset.kind;
  const inputs = controls(fieldset);
  if (kind === 'choice' || kind === 'scale') {
    for (const i of inputs) i.checked = Number(i.value) === value?.[kind];
  } else if (kind === 'checklist') {
    for (const i of inputs) i.checked = (value?.choices ?? []).includes(Number(i.value));
  } else if (kind === 'upload') {
    files.set(fieldset.dataset.questionKey, [...(value?.files ?? [])]);
    renderFiles(fieldset);
  } else {
    const area = fieldset.querySelector('textarea');
    if (area) area.value = value?.text ?? '';
  }
}

function note(fieldset, text, kind = 'warning') {
  const node = fieldset.querySelector('[data-broken]');
  node.textContent = text ?? '';
  node.hidden = !text;
  node.className = kind === 'muted' ? 'muted' : `alert alert--${kind}`;
}

// Files are portfolio items of hers (encrypted attachments); the answer names them.
function renderFiles(fieldset) {
  const list = fieldset.querySelector('[data-files]');
  if (!list) return;
  list.replaceChildren(
    ...(files.get(fieldset.dataset.questionKey) ?? []).map((file) => {
      const open = h('button', { type: 'button', class: 'link-button', text: fill(words.download, { name: file.name }) });
      open.addEventListener('click', () => download(file));
      return h('li', { 'data-file': file.item_id }, open);
    }),
  );
}

async function download(file) {
  try {
    const item = await client.item(file.item_id);
    const opened = await client.openItem(item);
    if (!opened) return say(words.cannotOpen);
    const { meta } = readFileContent(opened.bytes);
    const blob = await client.downloadFile(item, opened.key, meta);
    if (!blob) return say(words.failed);
    const url = URL.createObjectURL(blob);
    const link = h('a', { href: url, download: meta.fileName });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch {
    say(words.failed);
  }
  return null;
}

// Her answers -----------------------------------------------------------------------------------

function scheduleDraft(fieldset) {
  const key = fieldset.dataset.questionKey;
  dirty.add(key);
  clearTimeout(draftTimer);
  draftTimer = setTimeout(() => keep(fieldset), 400);
}

async function keep(fieldset) {
  const key = fieldset.dataset.questionKey;
  try {
    const kept = await loadDraft(client.identity, draftName(key));
    const id = rows.get(key)?.id ?? kept?.value.id ?? newId();
    await keepDraft(client.identity, draftName(key), { id, base: revisionOf(key), value: valueOf(fieldset) });
    $('draft-status').textContent = words.draftKept;
  } catch {
    $('draft-status').textContent = '';
  }
}

// Seal and save one answer; true when the server has it (or there was nothing to save).
async function save(key, value, id) {
  const revision = revisionOf(key) + 1;
  const fields = { id: rows.get(key)?.id ?? id ?? newId(), revision, value };
  const result = await sendSealed(client, fields, (sealed) =>
    api(`${base}/answers/${encodeURIComponent(key)}`, sealed, 'PUT'),
  );
  if (result.ok) {
    rows.set(key, result.data);
    dirty.delete(key);
    await dropDraft(draftName(key));
    return { ok: true };
  }
  return { ok: false, message: result.status ? (result.data?.error?.message ?? words.failed) : words.network };
}

async function saveScreen() {
  const fieldset = fieldsets[0];
  if (!fieldset || !dirty.has(fieldset.dataset.questionKey)) return { ok: true };
  clearTimeout(draftTimer);
  await keep(fieldset);
  const kept = await loadDraft(client.identity, draftName(fieldset.dataset.questionKey));
  say(words.saving, 'info');
  const saved = await save(fieldset.dataset.questionKey, valueOf(fieldset), kept?.value.id);
  say(saved.ok ? words.saved : saved.message, saved.ok ? 'success' : 'warning');
  if (saved.ok) $('draft-status').textContent = '';
  return saved;
}

// Drafts of other questions (kept while offline) go to the server before she hands in.
async function saveKeptDrafts() {
  const keys = (detail.template?.questions ?? []).map((q) => q.key);
  if (detail.assignment.kind === 'personal') keys.push('answer');
  for (const key of keys) {
    const kept = await loadDraft(client.identity, draftName(key));
    if (!kept || kept.value.base !== revisionOf(key)) continue;
    const saved = await save(key, kept.value.value, kept.value.id);
    if (!saved.ok) return saved;
  }
  return { ok: true };
}

async function upload(fieldset, input) {
  const file = input.files[0];
  if (!file) return;
  const key = fieldset.dataset.questionKey;
  const progress = fieldset.querySelector('progress');
  const status = fieldset.querySelector('[data-upload-status]');
  input.disabled = true;
  progress.hidden = false;
  progress.value = 0;
  try {
    const prepared = await reencode(file);
    // A file item in her portfolio, kept on this phone until it arrived (portfolio/uploads.js).
    const result = await uploadNew(client, {
      title: '',
      kind: UPLOAD_ITEM_KIND[fieldset.dataset.uploadKind] ?? 'document',
      audience: 'my_coaches',
      chosen: [],
      blob: prepared.blob,
      fileName: prepared.name,
      mediaType: prepared.type,
      onProgress: (percent) => {
        progress.value = percent;
        status.textContent = fill(words.uploading, { percent });
      },
    });
    if (!result.ok) {
      status.textContent = result.status ? (result.data?.error?.message ?? words.failed) : words.network;
      return;
    }
    const { id } = result;
    progress.value = 100;
    status.textContent = prepared.asIs ? `${words.uploaded} ${words.asIs}` : words.uploaded;
    files.set(key, [...(files.get(key) ?? []), { item_id: id, name: prepared.name, type: prepared.type, size: prepared.blob.size }]);
    renderFiles(fieldset);
    dirty.add(key);
    await saveScreen();
  } catch {
    status.textContent = words.failed;
  } finally {
    input.disabled = false;
    input.value = '';
  }
}

function offerMerge(fieldset, key, kept) {
  const panel = $('answer-merge');
  if (!panel) return;
  const mine = kept.value;
  panel.querySelector('[data-mine]').textContent = typeof mine?.text === 'string' ? mine.text : words.mineNotText;
  panel.hidden = false;
  panel.querySelector('[data-keep-mine]').addEventListener('click', async () => {
    panel.hidden = true;
    put(fieldset, mine);
    dirty.add(key);
    $('draft-status').textContent = words.draftRestored;
    await keepDraft(client.identity, draftName(key), { id: kept.id, base: revisionOf(key), value: mine });
  });
  panel.querySelector('[data-keep-saved]').addEventListener('click', async () => {
    panel.hidden = true;
    await dropDraft(draftName(key));
  });
}

async function showHers() {
  const fieldset = fieldsets[0];
  if (!fieldset) return;
  const key = fieldset.dataset.questionKey;
  const row = rows.get(key);
  const kept = editable ? await loadDraft(client.identity, draftName(key)) : null;
  if (kept && kept.value.base === revisionOf(key)) {
    put(fieldset, kept.value.value);
    dirty.add(key);
    $('draft-status').textContent = words.draftRestored;
  } else if (row) {
    const value = await openRow(client, { id: row.id, authorId: row.author_id, envelope: row.envelope });
    if (value) put(fieldset, value);
    else note(fieldset, words.cannotOpen);
    // What she wrote here was based on an older answer than the one saved (from another device):
    // never drop it silently; she chooses.
    if (kept && JSON.stringify(kept.value.value) !== JSON.stringify(value)) offerMerge(fieldset, key, kept.value);
  }
  if (!editable) return;
  for (const control of controls(fieldset)) control.disabled = false;
  fieldset.addEventListener('input', () => scheduleDraft(fieldset));
  fieldset.addEventListener('change', () => scheduleDraft(fieldset));
  const chooser = fieldset.querySelector('input[type=file]');
  if (chooser) {
    fieldset.querySelector('[data-upload]').hidden = false;
    chooser.disabled = false;
    chooser.addEventListener('change', (event) => {
      event.stopPropagation();
      upload(fieldset, chooser);
    });
  }
  const saveButton = $('save-answer');
  if (saveButton) {
    saveButton.hidden = false;
    saveButton.addEventListener('click', () => saveScreen());
  }
  for (const link of document.querySelectorAll('a[data-move]')) {
    link.addEventListener('click', async (event) => {
      event.preventDefault();
      // Without a connection she stays here (the next screen could not load either); her answer
      // is kept on this phone and goes out when she taps again.
      if ((await saveScreen()).ok) window.location.href = link.href;
    });
  }
  $('hand-in')?.addEventListener('submit', async (event) => {
    event.preventDefault();
    let saved = await saveScreen();
    if (saved.ok) saved = await saveKeptDrafts();
    if (!saved.ok) return say(saved.message);
    event.target.submit();
    return null;
  });
}

// Her coach's view ---------------------------------------------------------------------------------

async function showToCoach() {
  for (const fieldset of fieldsets) {
    const row = rows.get(fieldset.dataset.questionKey);
    if (!row) {
      note(fieldset, words.notAnswered, 'muted');
      continue;
    }
    const value = await openRow(client, {
      id: row.id,
      authorId: row.author_id,
      envelope: row.envelope,
      expectedAuthors: [detail.assignment.participant_id],
    });
    if (value) put(fieldset, value);
    else note(fieldset, words.cannotOpen);
  }
  const form = $('feedback-form');
  if (!form) return;
  const name = `module-feedback:${root.dataset.assignment}`;
  const kept = await loadDraft(client.identity, name);
  if (kept) $('f-feedback').value = kept.value.text ?? '';
  form.hidden = false;
  form.addEventListener('input', () => {
    clearTimeout(draftTimer);
    draftTimer = setTimeout(async () => {
      await keepDraft(client.identity, name, { text: $('f-feedback').value });
      $('feedback-draft-status').textContent = words.draftKept;
    }, 400);
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = $('f-feedback').value.trim();
    if (!text) return say(words.emptyFeedback);
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      const fields = { id: newId(), revision: 1, value: { v: 1, text } };
      const result = await sendSealed(client, fields, (sealed) => api(`${base}/feedback`, sealed));
      if (!result.ok) return say(result.status ? (result.data?.error?.message ?? words.failed) : words.network);
      clearTimeout(draftTimer);
      await dropDraft(name);
      window.location.reload();
    } catch {
      say(words.failed);
    } finally {
      button.disabled = false;
    }
    return null;
  });
}

// Both ------------------------------------------------------------------------------------------------

async function showFeedback() {
  for (const node of root.querySelectorAll('[data-feedback-id]')) {
    const row = detail.feedback.find((f) => f.id === node.dataset.feedbackId);
    const value = row ? await openRow(client, { id: row.id, authorId: row.author_id, envelope: row.envelope }) : null;
    const text = node.querySelector('[data-text]');
    text.textContent = value?.text ?? words.cannotOpen;
    text.className = value ? 'item-text' : 'alert alert--warning';
    if (row && value) offerChange(node, row, value.text ?? '');
  }
}

// Her coach changes the feedback he wrote (the page renders the form for his own feedback only):
// a new revision of the same row, sealed again; a change made elsewhere meanwhile gets 409.
function offerChange(node, row, text) {
  const form = node.querySelector('[data-feedback-edit]');
  const change = node.querySelector('[data-feedback-change]');
  if (!form || !change) return;
  const area = form.querySelector('textarea');
  change.hidden = false;
  change.addEventListener('click', () => {
    area.value = text;
    form.hidden = false;
    change.hidden = true;
    area.focus();
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const changed = area.value.trim();
    if (!changed) return say(words.emptyFeedback);
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      const fields = { id: row.id, revision: row.envelope.revision + 1, value: { v: 1, text: changed } };
      const result = await sendSealed(client, fields, (sealed) => api(`${base}/feedback/${row.id}`, sealed, 'PUT'));
      if (result.ok) return window.location.reload();
      return say(result.status ? (result.data?.error?.message ?? words.failed) : words.network);
    } catch {
      return say(words.failed);
    } finally {
      button.disabled = false;
    }
  });
}

async function showPersonalText() {
  const content = detail.assignment.content;
  if (detail.assignment.kind !== 'personal' || !content) return;
  const value = await openRow(client, {
    id: detail.assignment.id,
    authorId: detail.assignment.assigned_by,
    envelope: content,
  });
  const text = root.querySelector('[data-personal-text]');
  if (!value) {
    text.textContent = words.cannotOpen;
    text.className = 'alert alert--warning';
    return;
  }
  if (value.title) root.querySelector('[data-personal-title]').textContent = value.title;
  text.textContent = value.text ?? '';
}

async function start() {
  if (!(await requireSupport())) return null;
  say(words.opening, 'info');
  const identity = await loadSession().catch(() => null);
  if (!identity) return say(words.noSession);
  try {
    const loaded = await api(base);
    if (!loaded.ok) return say(loaded.data?.error?.message ?? words.network);
    detail = loaded.data;
    for (const row of detail.answers) rows.set(row.question_key, row);
    const opened = await openPortfolio(identity, root.dataset.programme, root.dataset.participantId);
    client = opened.client;
    if (!client || !opened.ready) return say(words.waiting);
    say('');
    await showPersonalText();
    if (mine) await showHers();
    else await showToCoach();
    await showFeedback();
    root.dataset.ready = 'true';
  } catch (error) {
    say(error?.status ? error.message : words.failed);
  }
  return null;
}

start();
