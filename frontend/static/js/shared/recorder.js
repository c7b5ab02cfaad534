// A voice note recorded in the browser (MediaRecorder), shared by the chat and the portfolio.
// Hold the button to record and let go to stop, or tap once to start and again to stop. She can
// listen back before she sends or saves it, or delete it and start again. The recording stays in
// this page (a Blob) until the page encrypts it; nothing is sent while recording.
// Words come from the shared partial partials/recorder.html (#recorder-words).

import { fill, h } from './dom.js';

const HOLD_MS = 600;
const LONGEST_MS = 5 * 60 * 1000;
const TYPES = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/mp4', 'audio/webm'];
const EXTENSIONS = { 'audio/webm': 'webm', 'audio/ogg': 'ogg', 'audio/mp4': 'm4a' };

export function recorderWords() {
  return document.getElementById('recorder-words')?.dataset ?? {};
}

export function canRecord() {
  return Boolean(navigator.mediaDevices?.getUserMedia) && typeof window.MediaRecorder === 'function';
}

function clock(ms) {
  const seconds = Math.floor(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

export class VoiceRecorder {
  // root: an empty element to build in. onSend(recording) is called with { blob, mediaType,
  // fileName, ms } when she presses the send button (sendLabel); without sendLabel there is no
  // send button and the page reads `recording` itself (the portfolio saves it with its form).
  constructor(root, { sendLabel = null, onSend = null, onChange = null } = {}) {
    this.root = root;
    this.words = recorderWords();
    this.onSend = onSend;
    this.onChange = onChange;
    this.recording = null;
    this.state = 'idle';
    this.pressStarted = false;
    this.build(sendLabel);
    if (!canRecord()) this.refuse(this.words.unsupported);
  }

  build(sendLabel) {
    const w = this.words;
    this.status = h('p', { class: 'recorder__status', role: 'status', 'aria-live': 'polite' });
    this.record = h('button', { type: 'button', class: 'button recorder__record', 'data-recorder': 'record', text: w.record });
    this.stopButton = h('button', { type: 'button', class: 'button button--danger recorder__stop', 'data-recorder': 'stop', text: w.stop, hidden: true });
    this.audio = h('audio', { controls: true, preload: 'metadata', class: 'recorder__audio', 'data-recorder': 'preview', hidden: true });
    this.send = sendLabel ? h('button', { type: 'button', class: 'button', 'data-recorder': 'send', text: sendLabel, hidden: true }) : null;
    this.discard = h('button', { type: 'button', class: 'button button--secondary', 'data-recorder': 'discard', text: w.discard, hidden: true });
    this.root.replaceChildren(
      h('p', { class: 'recorder__hint hint', text: w.hint }),
      h('div', { class: 'recorder__controls' }, this.record, this.stopButton),
      this.status,
      this.audio,
      h('div', { class: 'recorder__actions' }, this.send, this.discard),
    );
    // Hold to record: pointerdown starts, letting go after a moment stops. A short press is a tap:
    // recording goes on until the next tap or the stop button.
    this.record.addEventListener('pointerdown', (event) => {
      if (event.button !== 0 || this.state !== 'idle') return;
      this.pressStarted = true;
      this.pressedAt = Date.now();
      this.start();
    });
    const release = () => {
      if (this.pressStarted && this.state === 'recording' && Date.now() - this.pressedAt >= HOLD_MS) this.stop();
    };
    this.record.addEventListener('pointerup', release);
    this.record.addEventListener('pointercancel', release);
    this.record.addEventListener('contextmenu', (event) => event.preventDefault());
    this.record.addEventListener('click', () => {
      if (this.pressStarted) {
        this.pressStarted = false;
        return;
      }
      if (this.state === 'idle') this.start();
      else if (this.state === 'recording') this.stop();
    });
    this.stopButton.addEventListener('click', () => this.stop());
    this.discard.addEventListener('click', () => this.reset());
    this.send?.addEventListener('click', async () => {
      if (!this.recording || !this.onSend) return;
      this.send.disabled = true;
      try {
        const done = await this.onSend(this.recording);
        if (done !== false) this.reset();
      } finally {
        this.send.disabled = false;
      }
    });
  }

  say(text) {
    this.status.textContent = text ?? '';
  }

  // A refusal she can do something about (the microphone is blocked or missing) leaves the button
  // on, so she can try again after changing the setting; a browser that cannot record turns it off.
  refuse(text, { final = true } = {}) {
    this.state = final ? 'refused' : 'idle';
    this.record.disabled = final;
    this.root.dataset.state = 'refused';
    this.status.classList.add('recorder__status--problem');
    this.say(text);
  }

  async start() {
    if (this.state !== 'idle') return;
    if (!canRecord()) return this.refuse(this.words.unsupported);
    this.state = 'starting';
    this.status.classList.remove('recorder__status--problem');
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (error) {
      this.state = 'idle';
      this.pressStarted = false;
      const name = error?.name ?? '';
      if (name === 'NotAllowedError' || name === 'SecurityError') return this.refuse(this.words.refused, { final: false });
      if (name === 'NotFoundError' || name === 'OverconstrainedError') {
        return this.refuse(this.words.noMicrophone, { final: false });
      }
      return this.say(this.words.failed);
    }
    const mimeType = TYPES.find((type) => MediaRecorder.isTypeSupported?.(type));
    const recorder = new MediaRecorder(stream, mimeType ? { mimeType } : undefined);
    const chunks = [];
    recorder.addEventListener('dataavailable', (event) => {
      if (event.data?.size) chunks.push(event.data);
    });
    recorder.addEventListener('stop', () => {
      for (const track of stream.getTracks()) track.stop();
      clearInterval(this.ticker);
      clearTimeout(this.limit);
      if (this.discardNext) {
        this.discardNext = false;
        return null;
      }
      const type = (recorder.mimeType || mimeType || 'audio/webm').split(';')[0];
      const blob = new Blob(chunks, { type });
      if (!blob.size) {
        this.reset();
        return this.say(this.words.failed);
      }
      const stamp = new Date().toISOString().slice(0, 16).replace(/[-:T]/g, '');
      this.recording = { blob, mediaType: type, fileName: `voice-note-${stamp}.${EXTENSIONS[type] ?? 'webm'}`, ms: Date.now() - this.startedAt };
      this.showRecorded();
      return null;
    });
    this.mediaRecorder = recorder;
    this.startedAt = Date.now();
    recorder.start(1000);
    this.state = 'recording';
    this.root.dataset.state = 'recording';
    this.record.hidden = true;
    this.stopButton.hidden = false;
    this.stopButton.focus?.();
    const tick = () => this.say(fill(this.words.recording, { time: clock(Date.now() - this.startedAt) }));
    tick();
    this.ticker = setInterval(tick, 500);
    this.limit = setTimeout(() => this.stop(), LONGEST_MS);
    return null;
  }

  stop() {
    if (this.state !== 'recording') return;
    this.state = 'stopping';
    this.mediaRecorder.stop();
  }

  showRecorded() {
    this.state = 'recorded';
    this.root.dataset.state = 'recorded';
    this.url = URL.createObjectURL(this.recording.blob);
    this.audio.src = this.url;
    this.audio.hidden = false;
    this.stopButton.hidden = true;
    this.record.hidden = true;
    if (this.send) this.send.hidden = false;
    this.discard.hidden = false;
    this.say(fill(this.words.recorded, { time: clock(this.recording.ms) }));
    this.onChange?.(this.recording);
  }

  reset() {
    if (this.state === 'recording' || this.state === 'stopping') {
      this.discardNext = true;
      if (this.mediaRecorder.state !== 'inactive') this.mediaRecorder.stop();
    }
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = null;
    this.recording = null;
    this.audio.removeAttribute('src');
    this.audio.hidden = true;
    if (this.send) this.send.hidden = true;
    this.discard.hidden = true;
    this.stopButton.hidden = true;
    this.record.hidden = false;
    if (this.state !== 'refused') {
      this.state = 'idle';
      this.root.dataset.state = 'idle';
      this.say('');
    }
    this.onChange?.(null);
  }
}
