// The conversation page: her keys from this session, the conversation's key per epoch, one
// WebSocket that resumes where it left off, and messages with their state (sending, sent,
// delivered, read). What she types is sealed here and kept on the phone until the server has
// acknowledged it. Decrypted text goes into the page with textContent only. Photos, documents and
// voice notes are encrypted here and sent first (files.js); the message then names the file and
// carries its key. The recipient's browser opens it here: photos and voice notes inline from a
// Blob URL, documents as a download.

import { loadSession, requireSupport } from '../crypto/index.js';
import { fill, h } from '../shared/dom.js';
import { reencode } from '../shared/images.js';
import { VoiceRecorder } from '../shared/recorder.js';
import { api } from '../portfolio/keyring.js';
import {
  MAX_FILE_BYTES,
  dropUpload,
  inline,
  keepUpload,
  openFile,
  pendingUploads,
  prepareFile,
  readBody,
  sendFile as sendStream,
} from './files.js';
import { ConversationKeys, NOT_IN_RECORD } from './keys.js';
import { ChatBadge } from './badge.js';
import { renderApprovals } from './approvals.js';
import { showKeyChange } from '../shared/key-change.js';
import { drop, keep, newClientId, pending } from './outbox.js';
import { ChatSocket } from './socket.js';

const app = document.getElementById('chat-app');
const $ = (id) => document.getElementById(id);
const words = $('chat-words').dataset;
const roleNames = JSON.parse($('chat-roles').dataset.roles);
const conversationId = app.dataset.conversation;
const me = app.dataset.me;
const HISTORY = 100;
const TYPING_EVERY_MS = 3000;
const TYPING_SHOWN_MS = 5000;

let keys;
const socket = new ChatSocket();
const messages = new Map(); // seq -> { message, text, error }
const unsent = new Map(); // client id -> { entry, text, state, reason, inflight }
const markers = new Map(); // person id -> { read_seq, delivered_seq }
let firstSeq = null;
let readSent = 0;
let deliveredSent = 0;
let typingSentAt = 0;
let typingTimer = null;
let work = Promise.resolve();

// Frames are handled one after the other: opening a message is asynchronous, and the order of
// the list must be the order of the seq.
function serially(task) {
  work = work.then(task).catch(() => say(words.cannotOpen));
  return work;
}

function say(text) {
  const status = $('chat-status');
  status.textContent = text ?? '';
  status.hidden = !text;
}

function nameOf(personId) {
  if (personId === me) return words.you;
  return keys?.portfolio.members.find((m) => m.person_id === personId)?.display_name || words.someone;
}

function timeOf(iso) {
  const date = iso ? new Date(iso) : new Date();
  return date.toLocaleTimeString(document.documentElement.lang || undefined, { hour: '2-digit', minute: '2-digit' });
}

// Connection ----------------------------------------------------------------------------------

function showConnection(state) {
  const line = $('chat-connection');
  line.dataset.state = state;
  line.textContent =
    { ready: words.online, offline: words.offline, login: words.login }[state] ?? words.connecting;
  for (const entry of unsent.values()) if (!entry.reason) entry.state = state === 'ready' ? 'sending' : 'waiting';
  renderUnsent();
}

socket.addEventListener('state', (event) => {
  showConnection(event.detail);
  if (event.detail !== 'ready') for (const entry of unsent.values()) entry.inflight = false;
});
socket.addEventListener('caught_up', () => {
  serially(async () => {
    await loadMarkers();
    markRead();
    await flush();
  });
});
socket.addEventListener('message', (event) => {
  const message = event.detail.message;
  if (message.conversation_id !== conversationId) return;
  serially(() => receive(message));
});
socket.addEventListener('ack', (event) => {
  const ack = event.detail;
  if (ack.conversation_id !== conversationId) return;
  serially(async () => {
    await drop(ack.client_id);
    unsent.delete(ack.client_id);
    renderUnsent();
  });
});
socket.addEventListener('error', (event) => {
  const error = event.detail;
  const entry = unsent.get(error.ref);
  if (!entry) return;
  serially(() => refused(entry, error));
});
socket.addEventListener('marker', (event) => {
  const marker = event.detail.marker;
  if (marker.conversation_id !== conversationId) return;
  markers.set(marker.person_id, marker);
  renderStates();
});
socket.addEventListener('typing', (event) => {
  if (event.detail.conversation_id !== conversationId || event.detail.person_id === me) return;
  $('chat-typing').textContent = fill(words.typing, { name: nameOf(event.detail.person_id) });
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => {
    $('chat-typing').textContent = '';
  }, TYPING_SHOWN_MS);
});
socket.addEventListener('epoch', (event) => {
  if (event.detail.conversation_id !== conversationId) return;
  serially(async () => {
    await keys.open(conversationId);
    showAccess(await keys.ensureAccess());
    await reopenLocked();
    await loadMarkers();
    await flush();
  });
});

// Messages ------------------------------------------------------------------------------------

async function receive(message) {
  if (messages.has(message.seq)) return;
  const shown = { message, text: null, error: null };
  if (message.kind === 'person') Object.assign(shown, await keys.openMessage(message));
  messages.set(message.seq, shown);
  if (firstSeq === null || message.seq < firstSeq) firstSeq = message.seq;
  if (message.author_id === me && unsent.has(message.client_id)) {
    unsent.delete(message.client_id);
    await drop(message.client_id);
    renderUnsent();
  }
  if (message.author_id !== me && message.kind === 'person') $('chat-typing').textContent = '';
  place(render(shown), message.seq);
  if (message.kind === 'system' && message.notice === 'coach_joined') {
    await keys.open(conversationId);
    // Someone gave access (perhaps to me): take the key if I have none yet, and show who reads.
    showAccess(keys.currentKey ? true : await keys.ensureAccess());
    await reopenLocked();
    await loadMarkers(); // who holds which key changed: "read" is painted again
  }
  markRead();
}

// Messages shown as locked that this page can open now (a key came since): shown again, and
// then read.
async function reopenLocked() {
  for (const [seq, shown] of messages) {
    if (shown.error !== 'locked' || !keys.epochKeys.has(shown.message.epoch)) continue;
    Object.assign(shown, { text: null, error: null }, await keys.openMessage(shown.message));
    place(render(shown), seq);
  }
  markRead();
}

function systemText(message) {
  const p = message.params ?? {};
  if (message.notice === 'out_of_hours') return [p.text || words.outOfHours, p.crisis_numbers ? fill(words.crisis, { numbers: p.crisis_numbers }) : ''];
  if (message.notice === 'escalated') return [Number(p.level) >= 2 ? words.escalatedSecond : words.escalatedFirst];
  if (message.notice === 'coach_joined') return [fill(words.coachJoined, { name: p.display_name })];
  return [''];
}

function render({ message, text, error }) {
  const time = h('time', { datetime: message.created_at, text: timeOf(message.created_at) });
  if (message.kind === 'system') {
    const label = message.notice === 'out_of_hours' ? words.outOfHours : words.system;
    return h(
      'li',
      { class: `chat-msg chat-msg--system chat-msg--${message.notice}`, role: 'note', 'data-seq': message.seq },
      h('p', { class: 'chat-msg__label', text: label }),
      ...systemText(message).filter(Boolean).map((line) => h('p', { class: 'chat-msg__text', text: line })),
      h('p', { class: 'chat-msg__meta' }, time),
    );
  }
  const mine = message.author_id === me;
  const classes = ['chat-msg', mine ? 'chat-msg--mine' : 'chat-msg--theirs'];
  if (error) classes.push(`chat-msg--${error}`);
  const content = error ? null : readBody(text);
  const body =
    error === 'broken' || content?.broken
      ? h('p', { class: 'chat-msg__warning', role: 'alert', text: words.cannotOpen })
      : error === 'locked'
        ? h('p', { class: 'chat-msg__locked', text: words.noKey })
        : content.file
          ? fileView(content.file)
          : h('p', { class: 'chat-msg__text', text });
  const meta = h('p', { class: 'chat-msg__meta' }, time);
  if (mine) meta.append(' ', h('span', { class: 'chat-msg__state' }));
  const node = h(
    'li',
    { class: classes.join(' '), 'data-seq': message.seq, 'data-client': message.client_id },
    mine ? null : h('p', { class: 'chat-msg__author', text: nameOf(message.author_id) }),
    body,
    meta,
  );
  if (mine) paintState(node, message.seq);
  return node;
}

// Insert in seq order, before the unsent messages.
function place(node, seq) {
  const list = $('chat-messages');
  const after = [...list.querySelectorAll('li[data-seq]')].find((li) => Number(li.dataset.seq) > seq);
  const unsentFirst = list.querySelector('li[data-unsent]');
  const old = list.querySelector(`li[data-seq="${seq}"]`);
  if (old) old.replaceWith(node);
  else list.insertBefore(node, after ?? unsentFirst ?? null);
  $('chat-empty')?.remove();
  if (!after) node.scrollIntoView?.({ block: 'end' });
}

// "Read" only when someone else who holds the key of the message's epoch (a grant for it, as the
// server lists with each marker) has read it: a member still waiting for a key may have the page
// open, but could not open the message. Nobody else with that key: "waiting for a reader".
function stateOf(seq) {
  const epoch = messages.get(seq)?.message.epoch;
  const holders = new Set();
  for (const [personId, marker] of markers) {
    if (personId !== me && (marker.epochs ?? []).includes(epoch)) holders.add(personId);
  }
  if (epoch === keys?.portfolio.epoch) {
    for (const member of keys.portfolio.members) if (member.can_read && member.person_id !== me) holders.add(member.person_id);
  }
  if (!holders.size) return 'noReader';
  let delivered = false;
  for (const personId of holders) {
    const marker = markers.get(personId);
    if (!marker) continue;
    if (marker.read_seq >= seq) return 'read';
    if (marker.delivered_seq >= seq) delivered = true;
  }
  return delivered ? 'delivered' : 'sent';
}

function paintState(node, seq) {
  const state = stateOf(seq);
  const label = node.querySelector('.chat-msg__state');
  if (!label) return;
  label.dataset.state = state;
  label.textContent = words[state];
}

function renderStates() {
  for (const node of $('chat-messages').querySelectorAll('li.chat-msg--mine[data-seq]')) {
    paintState(node, Number(node.dataset.seq));
  }
}

function renderUnsent() {
  const list = $('chat-messages');
  for (const node of list.querySelectorAll('li[data-unsent]')) node.remove();
  for (const [clientId, entry] of unsent) {
    const state = entry.reason ? 'failed' : entry.state;
    const label = entry.reason
      ? fill(words.failed, { reason: entry.reason })
      : state === 'sending'
        ? words.sending
        : words.waitingNetwork;
    list.append(
      h(
        'li',
        { class: 'chat-msg chat-msg--mine chat-msg--unsent', 'data-unsent': 'true', 'data-client': clientId },
        h('p', { class: 'chat-msg__text', text: preview(entry.text) }),
        h(
          'p',
          { class: 'chat-msg__meta' },
          h('time', { text: timeOf(new Date(entry.entry.createdAt).toISOString()) }),
          ' ',
          h('span', { class: 'chat-msg__state', 'data-state': state, text: label }),
        ),
      ),
    );
  }
  if (unsent.size) list.lastElementChild?.scrollIntoView?.({ block: 'end' });
}

// The menu's Chat badge, as served with this page: what she reads here comes off it.
const badge = new ChatBadge(document.querySelector('[data-nav="chat"] .nav__badge'), {
  readSeq: Number(app.dataset.readSeq ?? 0),
  lastSeq: Number(app.dataset.lastSeq ?? 0),
});

// Read and delivered markers: read while the page is in view, delivered while it is not.
function markRead() {
  const newest = Math.max(0, ...[...messages.keys()]);
  if (!newest) return;
  // Read only up to the first message this page could not open (no key for it yet): that one is
  // not read, whatever the page shows.
  const locked = [...messages].filter(([, shown]) => shown.error === 'locked').map(([seq]) => seq);
  const readable = locked.length ? Math.min(...locked) - 1 : newest;
  if (document.visibilityState === 'visible') {
    if (readable > readSent && socket.send({ type: 'read', conversation_id: conversationId, seq: readable })) {
      readSent = readable;
      badge.read(readable);
    }
    if (readable < newest && newest > deliveredSent && socket.send({ type: 'delivered', conversation_id: conversationId, seq: newest })) {
      deliveredSent = newest;
    }
  } else if (newest > deliveredSent && socket.send({ type: 'delivered', conversation_id: conversationId, seq: newest })) {
    deliveredSent = newest;
  }
}

async function loadMarkers() {
  const result = await api(`/api/v1/chat/conversations/${conversationId}/markers`);
  if (!result.ok) return;
  for (const marker of result.data) markers.set(marker.person_id, marker);
  readSent = Math.max(readSent, markers.get(me)?.read_seq ?? 0);
  renderStates();
}

// Sending -------------------------------------------------------------------------------------

async function flush() {
  if (!socket.ready) return;
  for (const [clientId, entry] of unsent) {
    if (entry.inflight || entry.reason) continue;
    entry.inflight = socket.send({
      type: 'send',
      conversation_id: conversationId,
      client_id: clientId,
      epoch: entry.entry.epoch,
      body: entry.entry.body,
    });
    entry.state = entry.inflight ? 'sending' : 'waiting';
  }
  renderUnsent();
}

async function refused(entry, error) {
  entry.inflight = false;
  if (error.code === 'stale_epoch') {
    await keys.open(conversationId);
    await keys.ensureAccess();
    const again = keys.currentKey ? await keys.reseal(entry.entry) : null;
    if (again) {
      entry.entry = again;
      await keep(again);
      return flush();
    }
  } else if (['too_many_requests', 'server_error', 'conflict'].includes(error.code)) {
    setTimeout(() => serially(flush), 1000 * (error.retry_after || 2));
    return null;
  }
  // Refused for good (she is no longer in it, or it is not right): shown with the reason, and
  // the text stays on the screen so nothing she wrote is lost from sight.
  entry.reason = error.message;
  await drop(entry.entry.clientId);
  renderUnsent();
  return null;
}

// A message sealed under the current key (her text, or the body that names a file).
async function sealed(text) {
  const clientId = newClientId();
  return {
    clientId,
    conversationId,
    epoch: keys.currentEpoch,
    body: await keys.seal(text, clientId),
    user: me,
    createdAt: Date.now(),
  };
}

// Keep a sealed message on this phone and send it (run inside `serially`).
async function enqueue(entry, text) {
  await keep(entry);
  unsent.set(entry.clientId, { entry, text, state: socket.ready ? 'sending' : 'waiting' });
  renderUnsent();
  try {
    await keys.grantOnDuty();
  } catch {
    // offline: the readers on duty get the key with the next message
  }
  await flush();
}

function queue(text) {
  return serially(async () => enqueue(await sealed(text), text));
}

$('chat-form').addEventListener('submit', (event) => {
  event.preventDefault();
  // A text never starts with U+0000: that marks a message that names a file.
  const text = $('chat-text').value.trim().replace(/^\u0000+/, '');
  if (!text || !keys?.currentKey) return;
  $('chat-text').value = '';
  queue(text);
});

$('chat-text').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && matchMedia('(pointer: fine)').matches) {
    event.preventDefault();
    $('chat-form').requestSubmit();
  }
});

$('chat-text').addEventListener('input', () => {
  if (Date.now() - typingSentAt < TYPING_EVERY_MS) return;
  if (socket.send({ type: 'typing', conversation_id: conversationId })) typingSentAt = Date.now();
});

document.addEventListener('visibilitychange', () => markRead());

// Files -----------------------------------------------------------------------------------------

const KIND_WORDS = { photo: 'photo', document: 'document', voice_note: 'voiceNote' };
const shownUrls = new Set();

function sizeText(bytes) {
  const size = Number(bytes);
  if (size >= 1024 * 1024) return `${(size / (1024 * 1024)).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(size / 1024))} KB`;
}

// What an unsent message shows: her text, or which file it names.
function preview(text) {
  const content = readBody(text ?? '');
  if (!content.file) return content.text ?? '';
  return `${words[KIND_WORDS[content.file.kind]]}: ${content.file.meta.fileName}`;
}

async function fetchFile(file) {
  try {
    return (await openFile(conversationId, file)) ?? 'gone';
  } catch {
    return 'broken';
  }
}

// A photo or voice note opens at once (decrypted here, shown from a Blob URL); a document waits
// for a tap and is saved, never shown in the page.
function fileView(file) {
  const label = `${words[KIND_WORDS[file.kind]]}: ${file.meta.fileName} (${sizeText(file.meta.size)})`;
  const box = h('div', { class: `chat-file chat-file--${file.kind}`, 'data-file': file.id, 'data-kind': file.kind });
  const status = h('p', { class: 'chat-file__status muted', text: words.openingFile });
  const problem = (result) => {
    status.textContent = result === 'broken' ? words.fileBroken : words.fileGone;
    status.className = result === 'broken' ? 'chat-msg__warning' : 'chat-file__status muted';
    if (result === 'broken') status.setAttribute('role', 'alert');
  };
  if (file.kind === 'document' || !inline(file)) {
    const button = h('button', { type: 'button', class: 'button button--secondary chat-file__save', text: fill(words.saveFile, { name: file.meta.fileName }) });
    box.append(h('p', { class: 'chat-file__name', text: label }), button);
    button.addEventListener('click', async () => {
      button.disabled = true;
      box.append(status);
      const blob = await fetchFile(file);
      button.disabled = false;
      if (typeof blob === 'string') return problem(blob);
      status.remove();
      const url = URL.createObjectURL(blob);
      const link = h('a', { href: url, download: file.meta.fileName, class: 'chat-file__link', text: file.meta.fileName });
      box.append(link);
      link.click();
      box.dataset.opened = String(blob.size);
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      return null;
    });
    return box;
  }
  box.append(status);
  fetchFile(file).then((blob) => {
    if (typeof blob === 'string') return problem(blob);
    const url = URL.createObjectURL(blob);
    shownUrls.add(url);
    const shown =
      file.kind === 'photo'
        ? h('img', { src: url, alt: fill(words.photoAlt, { name: file.meta.fileName }), class: 'chat-file__photo' })
        : h('audio', { src: url, controls: true, preload: 'metadata', class: 'chat-file__audio', 'aria-label': label });
    status.replaceWith(shown, h('p', { class: 'chat-file__name muted', text: label }));
    box.dataset.opened = String(blob.size);
    return null;
  });
  return box;
}

function showUpload(percent, text) {
  $('chat-upload').hidden = false;
  if (percent !== null) $('chat-upload-progress').value = percent;
  $('chat-upload-status').textContent = text;
}

let uploads = Promise.resolve(true); // one file at a time, in the order she chose them

// Encrypt a file, seal the message that names it, keep both on this phone (ciphertext only), then
// send the file and, once the server has all of it, the message. Resolves false when it was not
// sent (the reason is on the screen).
async function sendFile({ kind, blob, fileName, mediaType }) {
  if (!keys?.currentKey) return false;
  if (blob.size > MAX_FILE_BYTES) {
    showUpload(0, words.fileTooBig);
    return false;
  }
  $('chat-attach-menu').hidden = true;
  $('chat-attach').setAttribute('aria-expanded', 'false');
  showUpload(0, `${words.uploading} 0%`);
  const prepared = await prepareFile({ kind, blob, fileName, mediaType });
  const entry = await sealed(prepared.body);
  const record = { clientId: entry.clientId, user: me, conversationId, entry, file: prepared.file, parts: prepared.parts };
  await keepUpload(record);
  return upload(record, prepared.body);
}

function upload(record, text = null) {
  uploads = uploads.then(() => finishUpload(record, text)).catch(() => false);
  return uploads;
}

async function finishUpload(record, text) {
  showUpload(0, `${words.uploading} 0%`);
  const result = await sendStream(conversationId, record, {
    onProgress: (percent) => showUpload(percent, `${words.uploading} ${percent}%`),
    onWaiting: () => showUpload(null, words.uploadWaiting),
  });
  if (!result.ok) {
    // Refused for good (too large for her quota, no longer a member): said, and not tried again.
    await dropUpload(record.clientId);
    showUpload(null, fill(words.uploadFailed, { reason: result.data?.error?.message ?? words.offline }));
    return false;
  }
  $('chat-upload').hidden = true;
  await serially(async () => {
    const shown = text ?? (await keys.openMessage({ ...record.entry, client_id: record.clientId, author_id: me })).text;
    await enqueue(record.entry, shown ?? '');
    await dropUpload(record.clientId);
  });
  return true;
}

async function pickPhoto(input) {
  const file = input.files[0];
  input.value = '';
  if (!file) return;
  showUpload(0, words.preparing);
  const prepared = await reencode(file).catch(() => null);
  if (!prepared?.blob) {
    showUpload(0, words.fileBroken);
    return;
  }
  await sendFile({
    kind: prepared.asIs ? 'document' : 'photo',
    blob: prepared.blob,
    fileName: prepared.name,
    mediaType: prepared.type || 'application/octet-stream',
  });
}

$('chat-camera').addEventListener('change', () => pickPhoto($('chat-camera')));
$('chat-photo').addEventListener('change', () => pickPhoto($('chat-photo')));
$('chat-document').addEventListener('change', async () => {
  const file = $('chat-document').files[0];
  $('chat-document').value = '';
  if (file) await sendFile({ kind: 'document', blob: file, fileName: file.name, mediaType: file.type || 'application/octet-stream' });
});
$('chat-attach').addEventListener('click', () => {
  const menu = $('chat-attach-menu');
  menu.hidden = !menu.hidden;
  $('chat-attach').setAttribute('aria-expanded', String(!menu.hidden));
});

let recorder = null;
$('chat-voice').addEventListener('click', () => {
  $('chat-attach-menu').hidden = true;
  $('chat-attach').setAttribute('aria-expanded', 'false');
  const panel = $('chat-recorder');
  recorder ??= new VoiceRecorder(panel, {
    sendLabel: words.sendVoice,
    onSend: async (recording) => {
      const sent = await sendFile({
        kind: 'voice_note',
        blob: recording.blob,
        fileName: recording.fileName,
        mediaType: recording.mediaType,
      });
      if (sent) panel.hidden = true;
      return sent;
    },
  });
  panel.hidden = !panel.hidden;
});

window.addEventListener('pagehide', () => {
  for (const url of shownUrls) URL.revokeObjectURL(url);
});

// Who can read it -----------------------------------------------------------------------------

// Why someone cannot read yet: this phone could not check the key or the signed assignment
// (nothing is shared with them until that is right), or their key simply has not been given yet.
function whyNot(member) {
  const unconfirmed = (keys.unconfirmed ?? []).find((m) => m.person_id === member.person_id);
  if (unconfirmed?.reason === 'key_changed') return words.cannotReadKeyChanged;
  if (unconfirmed?.reason === 'unapproved') return words.cannotReadUnapproved;
  if (unconfirmed?.reason === NOT_IN_RECORD) return words.cannotReadNotInRecord;
  if (unconfirmed) return words.cannotReadUnverified;
  return words.cannotRead;
}

function unconfirmedNotes() {
  // Members waiting for approval are shown with their code and a button instead (approvals.js).
  const note = { key_changed: words.notConfirmed, [NOT_IN_RECORD]: words.notInRecord };
  return (keys.unconfirmed ?? []).filter((m) => !m.fingerprint).map((m) =>
    fill(note[m.reason] ?? words.notVerified, { name: m.display_name }),
  );
}

// Who can read it, why someone cannot yet, and whether she can write (only with the key).
function showAccess(hasKey) {
  renderReaders();
  renderApprovals(keys, { run: serially, done: () => showAccess(keys.currentKey !== null), roleNames });
  const notes = [];
  const shared = !keys.portfolio.participant_id;
  // Someone gave her the key, but her phone takes it only from people whose code she checked.
  const given = keys.portfolio.members.some((m) => m.person_id === me && m.can_read);
  const waiting = shared && given && !keys.trustProblem ? words.checkToOpen : shared ? words.waitingApproval : words.waitingAccess;
  // A group's signed member list: she is not on it (yet), or it could not be checked.
  const group = { not_named: words.notNamed, invalid: words.groupInvalid, withheld: words.groupInvalid }[keys.groupProblem];
  if (!hasKey) notes.push(keys.owner ? words.noKey : group ?? waiting);
  else if (group) notes.push(group);
  notes.push(...unconfirmedNotes());
  if (keys.rosterInvalid) notes.push(words.rosterInvalid);
  if (keys.tampered) notes.push(words.tampered);
  say(notes.join(' '));
  $('chat-text').disabled = !hasKey;
  $('chat-send').disabled = !hasKey;
  for (const control of document.querySelectorAll('[data-needs-key]')) control.disabled = !hasKey;
}

function renderReaders() {
  const members = keys.portfolio.members;
  const list = $('chat-readers');
  list.replaceChildren(
    ...members.map((m) =>
      h(
        'li',
        {
          class: m.can_read ? 'chat-reader' : 'chat-reader chat-reader--not-yet',
          'data-person': m.person_id,
          'data-reason': m.can_read ? '' : ((keys.unconfirmed ?? []).find((u) => u.person_id === m.person_id)?.reason ?? 'waiting'),
        },
        `${m.person_id === me ? words.you : m.display_name} (${roleNames[m.role] ?? m.role}): `,
        m.can_read ? words.canRead : whyNot(m),
      ),
    ),
  );
  const readers = members.filter((m) => m.can_read && m.person_id !== me).map((m) => m.display_name);
  $('chat-readers-names').textContent = readers.length ? readers.join(', ') : words.readersNone;
}

// Earlier messages, over HTTP (the socket resumes from the newest page only).
function earlierButton() {
  $('chat-earlier')?.remove();
  if (!firstSeq || firstSeq <= 1) return;
  const button = h('button', { type: 'button', id: 'chat-earlier', class: 'button button--secondary', text: words.earlier });
  button.addEventListener('click', () =>
    serially(async () => {
      const limit = Math.min(HISTORY, firstSeq - 1);
      const result = await api(`/api/v1/chat/conversations/${conversationId}/messages?after=${firstSeq - 1 - limit}&limit=${limit}`);
      if (!result.ok) return;
      for (const message of result.data.messages) await receive(message);
      earlierButton();
    }),
  );
  $('chat-messages').before(button);
}

async function start() {
  if (!(await requireSupport())) return;
  say(words.opening);
  const identity = await loadSession().catch(() => null);
  if (!identity) return say(words.noSession);
  keys = new ConversationKeys(identity, app.dataset.programme);
  try {
    const conversation = await keys.open(conversationId);
    const hasKey = await keys.ensureAccess();
    showAccess(hasKey);
    showKeyChange(keys.trust, keys.keyChange, { onConfirmed: () => globalThis.location.reload() });
    for (const entry of await pending(me, conversationId)) {
      const opened = await keys.openMessage({ ...entry, client_id: entry.clientId, author_id: me });
      unsent.set(entry.clientId, { entry, text: opened.text ?? '', state: 'waiting' });
    }
    renderUnsent();
    for (const record of await pendingUploads(me, conversationId)) upload(record);
    if (!conversation.last_seq) $('chat-messages').append(h('li', { id: 'chat-empty', class: 'muted', text: words.empty }));
    const since = Math.max(0, conversation.last_seq - HISTORY);
    firstSeq = since + 1;
    socket.follow(conversationId, since);
    socket.start();
    earlierButton();
    app.dataset.ready = 'true';
  } catch (error) {
    openingFailed(error);
  }
  return null;
}

// The conversation could not be opened (its keys, or the server): say so where she looks for
// the connection, so the page never stays at "Connecting…", and say why above the messages.
function openingFailed(error) {
  const offline = error?.status === 0;
  const why = offline ? words.offline : error?.status ? words.serverFailed : words.keysFailed;
  const line = $('chat-connection');
  line.dataset.state = offline ? 'offline' : 'failed';
  line.textContent = why;
  say(error?.status && error.data?.error?.message ? error.data.error.message : ''); // said once, above
  app.dataset.failed = offline ? 'network' : error?.status ? 'server' : 'keys';
  $('chat-text').disabled = true;
  $('chat-send').disabled = true;
}

start();
