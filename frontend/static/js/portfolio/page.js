// The portfolio page: opens her keys from this session, makes sure every current reader has the
// key, and shows the list (searched on this phone), the editor per kind, items with their
// comments, and file uploads with a progress bar. Decrypted text goes in with textContent only.

import { fingerprintQr, loadSession, requireSupport } from '../crypto/index.js';
import { fill, h, plural } from '../shared/dom.js';
import { dropDraft, draftKeyOf, keepDraft, loadDraft } from './drafts.js';
import { drawGenogram, drawSociogram } from './diagrams.js';
import {
  GoalEditor,
  PeopleEditor,
  labels,
  mergePlans,
  planSummary,
  planView,
  words,
} from './editors.js';
import { PortfolioClient, decoder, encoder } from './keyring.js';
import { showKeyChange } from '../shared/key-change.js';
import { KEY_CHANGED } from '../shared/trust.js';
import { reencode } from '../shared/images.js';
import { VoiceRecorder } from '../shared/recorder.js';
import { formatDay, formatMoment } from '../shared/dates.js';
import { keptUploads, openFile, readFileContent, resendInto, resumeUploads, uploadNew } from './uploads.js';

const app = document.getElementById('portfolio-app');
const $ = (id) => document.getElementById(id);
const views = { list: $('list-view'), editor: $('editor-view'), item: $('item-view') };
const FILE_KINDS = new Set(['photo', 'video', 'voice_note', 'document']);
const TEXT_KINDS = new Set(['diary', 'motivation_letter', 'life_story', 'assignment_answer']);
const ACCEPT = { photo: 'image/*', video: 'video/*', voice_note: 'audio/*', document: '' };

let client;
let opened = new Map(); // item id -> { item, content, key, meta, broken }
let editing = null; // { kind, item, key, base, content }
let draftTimer = null;
let voiceRecorder = null; // a voice note recorded here (MediaRecorder), saved like a chosen file
const shownUrls = new Set();
const sending = new Map(); // item id -> percent sent, for files on their way up from this phone
// Items whose file the server calls complete but did not give back as sent: kept on this phone.
const unconfirmed = new Set();

// A passing note ("Saved.") belongs to the screen it was said for: the one shown next (the saved
// item), not every screen after it. A warning stays until it is answered or replaced.
let passingNote = null; // 'fresh' until the next screen is shown, then 'shown'

function say(text, kind = 'warning') {
  const status = $('status');
  status.textContent = text ?? '';
  status.hidden = !text;
  status.className = `alert alert--${kind}`;
  passingNote = text && kind === 'success' ? 'fresh' : null;
}

function show(name) {
  for (const [key, node] of Object.entries(views)) node.hidden = key !== name;
  if (passingNote === 'fresh') passingNote = 'shown';
  else if (passingNote === 'shown') say('');
  globalThis.scrollTo?.(0, 0);
}

function problem(id, text) {
  const node = $(id);
  node.textContent = text ?? '';
  node.hidden = !text;
}

function titleOf(entry) {
  if (entry.broken) return words.cannotOpen;
  if (entry.meta) return entry.title || entry.meta.fileName;
  return entry.content?.title || labels.kinds?.[entry.item.kind] || words.untitled;
}

// A voice note plays and a photo shows in the page, decrypted here into a Blob URL.
async function showInline(entry, body) {
  const status = h('p', { class: 'muted', role: 'status', text: words.openingFile });
  body.append(status);
  const { blob, damaged } = await openFile(client, entry);
  if (app.dataset.item !== entry.item.id) return; // she went on to another item meanwhile
  if (damaged) showDamaged(entry);
  if (!blob) {
    status.textContent = damaged ? words.fileDamaged : words.fileBroken;
    return;
  }
  const url = URL.createObjectURL(blob);
  shownUrls.add(url);
  const shown =
    entry.item.kind === 'photo'
      ? h('img', { src: url, alt: entry.meta.fileName, class: 'item-photo' })
      : h('audio', { src: url, controls: true, preload: 'metadata', class: 'item-audio', 'aria-label': entry.meta.fileName });
  shown.dataset.size = String(blob.size);
  status.replaceWith(shown);
}

window.addEventListener('pagehide', () => {
  for (const url of shownUrls) URL.revokeObjectURL(url);
});

function searchText(entry) {
  if (entry.broken) return '';
  if (entry.meta) return [entry.title, entry.meta.fileName].filter(Boolean).join(' ').toLowerCase();
  const c = entry.content ?? {};
  const parts = [c.title, c.body];
  for (const goal of c.goals ?? []) parts.push(goal.text, ...(goal.steps ?? []).map((s) => s.text));
  for (const person of [...(c.people ?? []), ...(c.members ?? [])]) parts.push(person.name);
  return parts.filter(Boolean).join(' ').toLowerCase();
}

// Open every item here; one that fails is listed with a warning, never hidden.
async function loadItems() {
  const items = await client.items();
  opened = new Map();
  for (const item of items) {
    const result = await client.openItem(item);
    const entry = { item, broken: !result, key: result?.key ?? null };
    if (result) {
      if (FILE_KINDS.has(item.kind)) {
        try {
          ({ meta: entry.meta, title: entry.title } = readFileContent(result.bytes));
        } catch {
          entry.broken = true;
        }
      } else {
        try {
          entry.content = JSON.parse(decoder.decode(result.bytes));
        } catch {
          entry.broken = true;
        }
      }
    }
    opened.set(item.id, entry);
  }
  renderList();
}

function renderList() {
  const query = $('f-search').value.trim().toLowerCase();
  const list = $('items');
  const rows = [];
  for (const entry of opened.values()) {
    if (query && !searchText(entry).includes(query)) continue;
    const item = entry.item;
    const facts = [labels.kinds?.[item.kind], labels.audiences?.[item.audience], formatDay(item.updated_at)];
    if (item.kind === 'goal_plan' && item.progress !== null) facts.push(`${item.progress}%`);
    if (item.comment_count) facts.push(plural(words.comments, item.comment_count));
    const open = h('button', { type: 'button', class: 'link-button item-open', text: titleOf(entry) });
    open.addEventListener('click', () => showItem(item.id));
    const fileNote = fileNoteOf(item);
    rows.push(
      h(
        'li',
        {
          class: `card item-card${entry.broken ? ' item-card--broken' : ''}`,
          'data-item': item.id,
          'data-file-status': item.file_status ?? null,
        },
        open,
        h('p', { class: 'muted', text: facts.filter(Boolean).join(' · ') }),
        fileNote ? h('p', { class: 'badge badge--warning item-file-note', text: fileNote }) : null,
      ),
    );
  }
  list.replaceChildren(...rows);
  $('empty').hidden = rows.length > 0;
}

// Files that did not (yet) arrive ----------------------------------------------------------------

// The short note on a list row: being sent from this phone, or did not arrive.
function fileNoteOf(item) {
  if (!FILE_KINDS.has(item.kind)) return null;
  if (unconfirmed.has(item.id)) return words.fileNotArrived;
  if (item.file_status === 'complete') return null;
  if (sending.has(item.id)) return fill(words.uploading, { percent: sending.get(item.id) });
  return words.fileNotArrived;
}

// In the item: on its way from this phone (with progress), or did not arrive: she chooses the
// file again and it goes into this same item; her coaches read that it did not arrive.
function showFileState(entry) {
  const { item } = entry;
  const panel = $('file-missing');
  const kept = unconfirmed.has(item.id);
  const incomplete = FILE_KINDS.has(item.kind) && (item.file_status !== 'complete' || kept) && !entry.broken;
  panel.hidden = !incomplete;
  if (!incomplete) return;
  const here = sending.has(item.id);
  $('file-missing-text').textContent = kept
    ? words.fileUnconfirmed
    : here ? words.fileSending : client.owner ? words.fileMissing : words.fileMissingReader;
  $('resend').hidden = here || kept || !client.owner;
  $('f-resend').accept = ACCEPT[item.kind] ?? '';
  $('f-resend').value = '';
  $('resend-progress').hidden = !here;
  $('resend-progress').value = sending.get(item.id) ?? 0;
  $('resend-status').textContent = here ? fill(words.uploading, { percent: sending.get(item.id) }) : '';
  problem('e-resend', '');
}

function showSending(itemId, percent) {
  sending.set(itemId, percent);
  const note = document.querySelector(`#items li[data-item="${itemId}"] .item-file-note`);
  if (note) note.textContent = fill(words.uploading, { percent });
  if (app.dataset.item === itemId && !views.item.hidden) {
    $('resend-progress').hidden = false;
    $('resend-progress').value = percent;
    $('resend-status').textContent = fill(words.uploading, { percent });
  }
}

async function afterSending(itemId, result) {
  sending.delete(itemId);
  // The server says the file is complete but did not give back what was sent: it stays here.
  if (result.stage === 'verify') unconfirmed.add(itemId);
  else if (result.ok) unconfirmed.delete(itemId);
  if (!result.ok && result.status === 0 && result.stage !== 'verify') return; // offline: kept on this phone for next time
  const viewing = app.dataset.item === itemId && !views.item.hidden;
  await loadItems();
  if (viewing) await showItem(itemId);
  if (result.stage === 'verify') say(words.fileUnconfirmed);
  else if (result.ok) say(words.uploaded, 'success');
  else if (viewing) problem('e-resend', result.data?.error?.message ?? words.failed);
}

// What was on its way when the app was closed goes on now (only her own phone keeps any).
async function resumeKept() {
  if (!client.owner) return;
  const kept = await keptUploads(client);
  if (kept.length === 0) return;
  for (const record of kept) sending.set(record.itemId, 0);
  renderList();
  await resumeUploads(client, { onProgress: showSending, onDone: afterSending });
}

$('resend-button').addEventListener('click', async () => {
  const entry = opened.get(app.dataset.item);
  const file = $('f-resend').files[0];
  if (!entry) return;
  if (!file) return problem('e-resend', words.chooseFile);
  problem('e-resend', '');
  $('resend-button').disabled = true;
  try {
    const prepared = await reencode(file);
    sending.set(entry.item.id, 0);
    showFileState(entry);
    const result = await resendInto(client, entry, {
      blob: prepared.blob,
      fileName: prepared.name,
      mediaType: prepared.type,
      onProgress: (percent) => showSending(entry.item.id, percent),
    });
    await afterSending(entry.item.id, result);
  } catch {
    sending.delete(entry.item.id);
    problem('e-resend', words.failed);
  } finally {
    $('resend-button').disabled = false;
  }
  return null;
});

// Viewing an item ---------------------------------------------------------------------------------

async function showItem(itemId) {
  const entry = opened.get(itemId);
  if (!entry) return;
  const { item } = entry;
  $('view-heading').textContent = titleOf(entry);
  $('view-meta').textContent = [
    labels.kinds?.[item.kind],
    labels.audiences?.[item.audience],
    fill(words.revision, { revision: item.revision }),
    item.author_id === client.me ? words.byMe : fill(words.by, { name: memberName(item.author_id) }),
  ].join(' · ');
  $('view-warning').textContent = entry.broken ? words.cannotOpen : entry.damaged ? words.fileDamaged : '';
  $('view-warning').hidden = !(entry.broken || entry.damaged);
  showFileState(entry);
  const body = $('view-body');
  body.replaceChildren();
  const download = $('view-download');
  download.hidden = true;
  const content = entry.content ?? {};
  if (!entry.broken) {
    if (entry.meta) {
      download.hidden = !item.attachment?.complete || Boolean(entry.damaged);
      download.onclick = async (event) => {
        event.preventDefault();
        const { blob, damaged } = await openFile(client, entry);
        if (damaged) return showDamaged(entry);
        if (!blob) return say(words.failed);
        const url = URL.createObjectURL(blob);
        const link = h('a', { href: url, download: entry.meta.fileName });
        document.body.append(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
      };
      if (item.attachment?.complete && (item.kind === 'voice_note' || item.kind === 'photo')) showInline(entry, body);
    } else if (item.kind === 'goal_plan') {
      body.append(planView(content, { coach: !client.owner, onDecide: (g, s, yes) => decide(entry, g, s, yes) }));
    } else if (item.kind === 'sociogram' || item.kind === 'genogram') {
      const diagram = h('div', { class: 'diagram' });
      const draw = item.kind === 'sociogram' ? drawSociogram : drawGenogram;
      draw(diagram, content.people ?? content.members ?? [], {
        me: words.me,
        label: titleOf(entry),
        supports: labels.supports,
        relations: labels.relations,
      });
      body.append(diagram);
    }
    if (content.date) body.append(h('p', { class: 'muted', text: content.date }));
    for (const paragraph of String(content.body ?? '').split(/\n{2,}/)) {
      if (paragraph.trim()) body.append(h('p', { class: 'item-text', text: paragraph }));
    }
  }
  $('view-edit').hidden = entry.broken || (!client.owner && item.kind !== 'goal_plan') || Boolean(entry.meta);
  $('view-edit').onclick = () => startEditor(item.kind, entry);
  app.dataset.item = item.id;
  show('item');
  await renderComments(entry);
}

// A file that is not the one the item's signed metadata names (changed or cut on the server):
// shown as damaged, in plain words, never opened.
function showDamaged(entry) {
  entry.damaged = true;
  $('view-warning').textContent = words.fileDamaged;
  $('view-warning').hidden = false;
  $('view-download').hidden = true;
  document.querySelector(`#items li[data-item="${entry.item.id}"]`)?.classList.add('item-card--broken');
  say(words.fileDamaged);
}

function memberName(personId) {
  if (personId === client.me) return words.commentByMe;
  return client.portfolio.members.find((m) => m.person_id === personId)?.display_name ?? '';
}

async function renderComments(entry) {
  const list = $('comments');
  list.replaceChildren();
  $('comment-form').hidden = entry.broken;
  if (entry.broken) return;
  for (const comment of await client.comments(entry.item, entry.key)) {
    list.append(
      h(
        'li',
        { class: 'card comment' },
        h('p', { class: 'muted', text: `${memberName(comment.author_id)} · ${formatMoment(comment.created_at)}` }),
        h('p', { class: comment.text === null ? 'alert alert--warning' : 'comment-text', text: comment.text ?? words.cannotOpen }),
      ),
    );
  }
}

async function decide(entry, goalId, stepId, accepted) {
  const plan = structuredClone(entry.content);
  const step = plan.goals.find((g) => g.id === goalId)?.steps.find((s) => s.id === stepId);
  if (!step) return;
  if (accepted) step.suggested_by = null;
  else step.declined = true;
  await saveRevision({ kind: 'goal_plan', item: entry.item, key: entry.key, base: entry.item.revision, content: entry.content }, plan);
}

// The editor -------------------------------------------------------------------------------------

const goalEditor = new GoalEditor($('goal-list'), $('add-goal'), {
  coach: app.dataset.portfolio !== '',
  me: app.dataset.me,
  onChange: () => scheduleDraft(),
});
const sociogram = new PeopleEditor('sociogram', $('people-list'), $('add-person'), $('sociogram-diagram'), {
  me: words.me,
  onChange: () => scheduleDraft(),
});
const genogram = new PeopleEditor('genogram', $('family-list'), $('add-relative'), $('genogram-diagram'), {
  me: words.me,
  onChange: () => scheduleDraft(),
});

function partVisible(kind) {
  return {
    text: TEXT_KINDS.has(kind) || kind === 'sociogram' || kind === 'genogram',
    date: TEXT_KINDS.has(kind),
    goal_plan: kind === 'goal_plan',
    sociogram: kind === 'sociogram',
    genogram: kind === 'genogram',
    file: FILE_KINDS.has(kind),
  };
}

function collect() {
  const kind = editing.kind;
  const content = { v: 1, title: $('f-title').value.trim() };
  if (partVisible(kind).text) content.body = $('f-body').value;
  if (partVisible(kind).date) content.date = $('f-date').value;
  if (kind === 'goal_plan') content.goals = goalEditor.value();
  if (kind === 'sociogram') content.people = sociogram.value();
  if (kind === 'genogram') content.members = genogram.value();
  return content;
}

function put(content) {
  $('f-title').value = content.title ?? '';
  $('f-body').value = content.body ?? '';
  $('f-date').value = content.date ?? '';
  goalEditor.set(content.goals ?? []);
  sociogram.set(content.people ?? []);
  genogram.set(content.members ?? []);
}

function audienceValue() {
  const audience = new FormData($('editor')).get('audience') ?? 'my_coaches';
  const chosen = [...$('chosen-people').querySelectorAll('input:checked')].map((i) => i.value);
  return { audience, chosen };
}

function renderChosen(selected = []) {
  const box = $('chosen-people');
  const coaches = client.portfolio.members.filter((m) => m.role === 'coach');
  box.replaceChildren(
    ...coaches.map((m) => {
      const inputNode = h('input', { type: 'checkbox', value: m.person_id, name: 'chosen' });
      inputNode.checked = selected.includes(m.person_id);
      return h('label', { class: 'check' }, inputNode, ` ${m.display_name}`);
    }),
  );
  box.hidden = audienceValue().audience !== 'chosen';
}

function draftName() {
  return draftKeyOf(client.id, editing?.item?.id ?? null, editing?.kind);
}

function scheduleDraft() {
  if (!editing || FILE_KINDS.has(editing.kind)) return;
  clearTimeout(draftTimer);
  draftTimer = setTimeout(async () => {
    try {
      await keepDraft(client.identity, draftName(), { content: collect(), base: editing.base });
      $('draft-status').textContent = words.draftKept;
    } catch {
      $('draft-status').textContent = '';
    }
  }, 600);
}

async function startEditor(kind, entry = null) {
  editing = {
    kind,
    item: entry?.item ?? null,
    key: entry?.key ?? null,
    base: entry?.item.revision ?? 0,
    content: entry?.content ?? { v: 1 },
  };
  $('editor-heading').textContent = labels.kinds?.[kind] ?? '';
  for (const [part, visible] of Object.entries(partVisible(kind))) {
    for (const node of document.querySelectorAll(`[data-part="${part}"]`)) node.hidden = !visible;
  }
  $('f-file').accept = ACCEPT[kind] ?? '';
  $('f-file').value = '';
  $('portfolio-recorder').hidden = kind !== 'voice_note';
  if (kind === 'voice_note') {
    voiceRecorder ??= new VoiceRecorder($('portfolio-recorder'));
    voiceRecorder.reset();
  }
  $('upload-progress').hidden = true;
  $('upload-status').textContent = '';
  $('merge').hidden = true;
  problem('e-editor', '');
  $('draft-status').textContent = '';
  for (const node of document.querySelectorAll('#editor [data-owner-only]')) node.hidden = !client.owner;
  const audience = entry?.item.audience ?? 'my_coaches';
  for (const radio of document.querySelectorAll('input[name="audience"]')) radio.checked = radio.value === audience;
  const chosen = (entry?.item.keys ?? []).filter((k) => k.kind === 'grant').map((k) => k.recipient_id);
  renderChosen(chosen);
  put(editing.content);
  const draft = await loadDraft(client.identity, draftName());
  if (draft && draft.value.base === editing.base) {
    put(draft.value.content);
    $('draft-status').textContent = words.draftRestored;
  }
  app.dataset.editing = kind;
  show('editor');
  $('f-title').focus();
}

async function saveRevision(state, content) {
  const summary = state.kind === 'goal_plan' ? planSummary(content) : {};
  const { audience, chosen } = audienceValue();
  const changeAudience = client.owner && state.item && views.editor.hidden === false && audience !== state.item.audience;
  const { result, itemKey } = await client.updateItem(state.item, state.key, {
    plaintext: encoder.encode(JSON.stringify(content)),
    base: state.base,
    audience: changeAudience ? audience : null,
    chosen,
    summary,
  });
  if (result.status === 409 && result.data?.error?.current_revision) {
    return showMerge(state, content);
  }
  if (!result.ok) return problem('e-editor', result.data?.error?.message ?? (result.status ? words.failed : words.network));
  await dropDraft(draftKeyOf(client.id, state.item.id, state.kind));
  state.key = itemKey;
  say(words.saved, 'success');
  await loadItems();
  await showItem(state.item.id);
  return null;
}

// Someone saved first: fetch theirs, combine, and let her check before saving on top of it.
async function showMerge(state, mine) {
  const theirs = await client.item(state.item.id);
  const opened_ = await client.openItem(theirs);
  if (!opened_) return problem('e-editor', words.cannotOpen);
  const theirContent = JSON.parse(decoder.decode(opened_.bytes));
  let merged;
  if (state.kind === 'goal_plan') {
    merged = mergePlans(state.content, mine, theirContent);
    $('merge-note').textContent = words.merged;
  } else {
    merged = { ...theirContent, body: [theirContent.body, mine.body].filter(Boolean).join('\n\n') };
    $('merge-note').textContent = words.mergeText;
  }
  $('merge-theirs').textContent = theirContent.body ?? JSON.stringify(theirContent.goals ?? theirContent, null, 1);
  $('merge-mine').textContent = mine.body ?? JSON.stringify(mine.goals ?? mine, null, 1);
  editing = { ...state, item: theirs, key: opened_.key, base: theirs.revision, content: theirContent };
  if (views.editor.hidden) {
    await startEditor(state.kind, { item: theirs, key: opened_.key, content: theirContent });
  }
  put(merged);
  $('merge').hidden = false;
  $('merge-keep').onclick = () => $('editor').requestSubmit();
  $('merge-theirs-button').onclick = () => {
    put(theirContent);
    $('merge').hidden = true;
  };
  return null;
}

async function saveFile() {
  const file = $('f-file').files[0];
  const recording = editing.kind === 'voice_note' && !file ? voiceRecorder?.recording : null;
  if (!file && !recording) return problem('e-editor', editing.kind === 'voice_note' ? words.chooseOrRecord : words.chooseFile);
  const { audience, chosen } = audienceValue();
  const prepared = recording
    ? { blob: recording.blob, name: recording.fileName, type: recording.mediaType }
    : await reencode(file);
  const progress = $('upload-progress');
  progress.hidden = false;
  progress.value = 0;
  // The item is called what she typed; only without a title does it show the file's name.
  const result = await uploadNew(client, {
    kind: editing.kind,
    audience,
    chosen,
    blob: prepared.blob,
    fileName: prepared.name,
    mediaType: prepared.type,
    title: $('f-title').value.trim(),
    onProgress: (percent) => {
      progress.value = percent;
      $('upload-status').textContent = fill(words.uploading, { percent });
    },
  });
  if (!result.ok) {
    // Kept on this phone when the connection is gone: it goes on when she opens the portfolio again.
    if (result.status === 0) return problem('e-editor', words.fileKept);
    await loadItems();
    return problem('e-editor', result.data?.error?.message ?? words.failed);
  }
  progress.value = 100;
  $('upload-status').textContent = words.uploaded;
  voiceRecorder?.reset();
  await loadItems();
  show('list');
  return null;
}

$('editor').addEventListener('submit', async (event) => {
  event.preventDefault();
  problem('e-editor', '');
  const buttons = $('editor').querySelectorAll('button');
  for (const b of buttons) b.disabled = true;
  try {
    const { audience, chosen } = audienceValue();
    if (client.owner && audience === 'chosen' && chosen.length === 0) return problem('e-editor', words.choosePeople);
    // Her phone seals for others only under a key it checked itself; what she typed stays.
    if (audience !== 'only_me' && !client.currentKey) return problem('e-editor', words.notSharing);
    if (FILE_KINDS.has(editing.kind)) return await saveFile();
    const content = collect();
    if (editing.item) return await saveRevision(editing, content);
    const { result } = await client.createItem({
      kind: editing.kind,
      audience,
      chosen,
      plaintext: encoder.encode(JSON.stringify(content)),
      summary: editing.kind === 'goal_plan' ? planSummary(content) : {},
    });
    if (!result.ok) return problem('e-editor', result.data?.error?.message ?? (result.status ? words.failed : words.network));
    await dropDraft(draftName());
    say(words.saved, 'success');
    await loadItems();
    await showItem(result.data.id);
  } catch {
    problem('e-editor', words.failed);
  } finally {
    for (const b of buttons) b.disabled = false;
  }
  return null;
});

$('editor').addEventListener('input', () => scheduleDraft());
$('audience').addEventListener('change', () => {
  $('chosen-people').hidden = audienceValue().audience !== 'chosen';
});
$('editor-back').addEventListener('click', () => show(editing?.item ? 'item' : 'list'));
$('view-back').addEventListener('click', () => show('list'));
$('f-search').addEventListener('input', renderList);
$('new-form').addEventListener('submit', (event) => {
  event.preventDefault();
  startEditor($('f-new-kind').value);
});
$('comment-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const entry = opened.get(app.dataset.item);
  const text = $('f-comment').value.trim();
  if (!entry || !text) return;
  const result = await client.comment(entry.item, entry.key, text);
  if (!result.ok) return problem('e-comment', result.data?.error?.message ?? words.network);
  problem('e-comment', '');
  $('f-comment').value = '';
  await renderComments(entry);
});

// Her coach's side of coach-assisted recovery: her grant is for keys she no longer has, or her
// key is not the one this browser trusts and no coach it trusts vouched for the new one.
async function offerRecovery() {
  const owner = client.portfolio.members.find((m) => m.role === 'owner');
  const panel = $('recovery-panel');
  panel.hidden = true;
  if (client.owner || !owner || client.epochKeys.size === 0) return;
  if (owner.has_current_grant && client.herKey !== KEY_CHANGED) return;
  const person = await client.person(owner.person_id).catch(() => null);
  if (!person) return;
  $('recovery-fingerprint').textContent = await person.fingerprintText();
  const qr = fingerprintQr(await person.fingerprint());
  $('recovery-qr').src = `/recovery/fingerprint.svg?payload=${encodeURIComponent(qr)}`;
  panel.hidden = false;
  $('recovery-confirm').onclick = async () => {
    const result = await client.grantEveryEpoch(owner.person_id, $('recovery-fingerprint').textContent);
    if (!result.ok) return say(result.data?.error?.message ?? words.failed);
    panel.hidden = true;
    showReaders();
    say(words.saved, 'success');
    return null;
  };
}

function showReaders() {
  const names = client.portfolio.members.filter((m) => m.has_current_grant).map((m) => m.display_name);
  $('readers').textContent = fill(words.readers, { names: names.join(', ') });
}

// Her side of a coach's changed key: a "check in person" button per such coach, opening the
// new fingerprint (text and QR) and the two answers.
function offerCoachChecks() {
  const list = $('coach-checks');
  list.replaceChildren();
  $('coach-check').hidden = true;
  const changed = client.owner ? (client.unconfirmed ?? []).filter((m) => m.reason === 'key_changed') : [];
  for (const member of changed) {
    const button = h('button', {
      class: 'button button--secondary',
      type: 'button',
      'data-check': member.person_id,
      text: fill(words.checkCoach, { name: member.display_name }),
    });
    button.addEventListener('click', () => openCoachCheck(member));
    list.append(h('li', {}, button));
  }
  list.hidden = changed.length === 0;
}

async function openCoachCheck(member) {
  const panel = $('coach-check');
  const name = member.display_name;
  const shown = await client.coachFingerprint(member.person_id).catch(() => null);
  if (!shown) return say(words.failed);
  $('coach-check-heading').textContent = fill(words.checkHeading, { name });
  $('coach-check-fingerprint').textContent = shown.text;
  $('coach-check-qr').src = `/recovery/fingerprint.svg?payload=${encodeURIComponent(shown.qr)}`;
  panel.dataset.person = member.person_id;
  panel.hidden = false;
  panel.scrollIntoView?.();
  $('coach-check-same').onclick = async () => {
    $('coach-check-same').disabled = true;
    const result = await client.confirmCoach(member.person_id, shown.text).catch(() => ({ ok: false }));
    $('coach-check-same').disabled = false;
    if (result.status === 409) {
      panel.hidden = true;
      return say(fill(words.checkMoved, { name }));
    }
    if (!result.ok) return say(result.status === 0 ? words.network : words.failed);
    showReaders();
    offerCoachChecks();
    say(fill(words.checkSame, { name }), 'success');
    return null;
  };
  $('coach-check-differ').onclick = () => {
    panel.hidden = true;
    say(fill(words.checkDiffer, { name }));
  };
  return null;
}

async function start() {
  if (!(await requireSupport())) return;
  say(words.opening, 'warning');
  const identity = await loadSession().catch(() => null);
  if (!identity) return say(words.noSession);
  client = new PortfolioClient(identity, app.dataset.programme);
  try {
    const portfolio = await client.open(app.dataset.portfolio || null);
    const owner = portfolio.members.find((m) => m.role === 'owner');
    $('portfolio-heading').textContent = client.owner ? words.myPortfolio : fill(words.portfolioOf, { name: owner?.display_name });
    for (const node of document.querySelectorAll('[data-owner-only]')) node.hidden = !client.owner;
    const hasKey = await client.ensureAccess();
    showReaders();
    showKeyChange(client.trust, client.keyChange, { onConfirmed: () => globalThis.location.reload() });
    const notes = [];
    // With her list of trusted keys unreadable the confirm screen explains; a refused key says
    // so; only a key that never came is "ask your coach" (her) or "waiting" (a coach).
    if (client.trustProblem) {
      // the confirm screen above says what to do
    } else if (client.tampered) notes.push(words.tampered);
    else if (!hasKey && client.owner && client.portfolio.epoch > 0) {
      notes.push(fill(words.askCoach, { fingerprint: await identity.person.fingerprintText() }));
    } else if (!hasKey && !client.owner) notes.push(words.waiting);
    await offerRecovery();
    for (const member of client.unconfirmed ?? []) {
      if (member.reason !== 'programme_key_changed') notes.push(fill(words.notConfirmed, { name: member.display_name }));
    }
    offerCoachChecks();
    say(notes.join(' '));
    await loadItems();
    app.dataset.ready = 'true';
    // A link from a notice or her home ("?item=…") opens that item with its replies.
    const wanted = new URLSearchParams(globalThis.location.search).get('item');
    if (wanted && opened.has(wanted)) await showItem(wanted);
    else show('list');
    resumeKept().catch(() => null);
  } catch (error) {
    say(openingProblem(error));
    app.dataset.failed = error?.status === 0 ? 'network' : error?.status ? 'server' : 'keys';
  }
  return null;
}

// Why the portfolio could not be opened, in plain words: no connection, the server's own
// message, a server that answered wrongly, or keys this phone could not open.
function openingProblem(error) {
  if (error?.status === 0) return words.network;
  if (error?.status && error.data?.error?.message) return error.data.error.message;
  if (error?.status) return words.serverFailed;
  return words.keysFailed;
}

start();
