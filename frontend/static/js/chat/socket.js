// The chat connection of this page: one WebSocket at /ws (docs/chat-protocol.md). It resumes
// after every reconnect with the last seq it holds per conversation, so nothing is missed or
// shown twice; it reconnects with back-off after the network drops, at once when the phone says
// it is online again or the screen comes back on, and notices a half-open socket by pinging.
// Pages listen for frames by type: socket.addEventListener('message', (e) => e.detail ...).
// The socket that sent a message gets no `message` frame for it, only its `ack`: this class then
// makes the `message` event itself from the frame it sent and the ack (seq, id, time), so pages see
// her own messages as before.

const PING_EVERY_MS = 25_000;
const PONG_WITHIN_MS = 10_000;
const MAX_BACKOFF_MS = 30_000;
const LOGIN_AGAIN = 4401;

export class ChatSocket extends EventTarget {
  constructor({ url = defaultUrl() } = {}) {
    super();
    this.url = url;
    this.lastSeq = new Map(); // conversation id -> newest seq this page holds
    this.me = null; // her person id, from `welcome`
    this.sending = new Map(); // client id -> `send` frame on this connection, until its ack or error
    this.state = 'idle'; // idle | connecting | ready | offline | login
    this.socket = null;
    this.attempts = 0;
    this.retryTimer = null;
    this.pingTimer = null;
    this.pongTimer = null;
    globalThis.addEventListener?.('online', () => this.connectNow());
    globalThis.addEventListener?.('offline', () => this.drop());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState !== 'visible') return;
      if (this.state === 'ready') this.ping();
      else this.connectNow();
    });
  }

  // Follow a conversation from `seq` on: the next resume asks for everything after it.
  follow(conversationId, seq = 0) {
    this.lastSeq.set(conversationId, Math.max(seq, this.lastSeq.get(conversationId) ?? 0));
  }

  seen(conversationId, seq) {
    if (this.lastSeq.has(conversationId)) this.follow(conversationId, seq);
  }

  get ready() {
    return this.state === 'ready';
  }

  start() {
    this.connectNow();
  }

  connectNow() {
    if (this.state === 'login') return;
    clearTimeout(this.retryTimer);
    if (this.socket && this.socket.readyState <= WebSocket.OPEN) return;
    this.open();
  }

  open() {
    if (navigator.onLine === false) {
      // The phone knows it is offline: wait for its 'online' event rather than fail loudly.
      this.setState('offline');
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.connectNow(), MAX_BACKOFF_MS);
      return;
    }
    this.setState('connecting');
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch {
      this.retry();
      return;
    }
    this.socket = socket;
    socket.addEventListener('message', (event) => {
      if (socket !== this.socket) return;
      this.receive(event.data);
    });
    socket.addEventListener('close', (event) => {
      if (socket !== this.socket) return;
      this.socket = null;
      this.stopPinging();
      if (event.code === LOGIN_AGAIN) {
        this.setState('login');
        return;
      }
      this.retry();
    });
  }

  receive(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    clearTimeout(this.pongTimer);
    if (frame.type === 'welcome') {
      this.me = frame.person_id;
      this.sending.clear(); // acks of an earlier connection never come: the page sends again
      this.sendFrame({ type: 'resume', since: Object.fromEntries(this.lastSeq) });
    } else if (frame.type === 'message') {
      this.seen(frame.message.conversation_id, frame.message.seq);
    } else if (frame.type === 'ack') {
      this.acknowledged(frame);
    } else if (frame.type === 'error' && frame.ref) {
      this.sending.delete(frame.ref);
    } else if (frame.type === 'caught_up') {
      this.attempts = 0;
      this.setState('ready');
      this.startPinging();
    }
    this.dispatchEvent(new CustomEvent(frame.type, { detail: frame }));
  }

  // Her message as the others receive it, from what this page sent and the ack.
  acknowledged(ack) {
    const sent = this.sending.get(ack.client_id);
    if (!sent) return;
    this.sending.delete(ack.client_id);
    const message = {
      id: ack.message_id,
      conversation_id: ack.conversation_id,
      seq: ack.seq,
      kind: 'person',
      author_id: this.me,
      client_id: ack.client_id,
      body: sent.body,
      epoch: sent.epoch,
      notice: null,
      params: {},
      created_at: ack.created_at,
    };
    this.seen(message.conversation_id, message.seq);
    this.dispatchEvent(new CustomEvent('message', { detail: { type: 'message', message } }));
  }

  // Send a frame now; false when there is no open connection (the caller keeps it for later).
  send(frame) {
    if (!this.ready) return false;
    return this.sendFrame(frame);
  }

  sendFrame(frame) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    try {
      this.socket.send(JSON.stringify(frame));
      if (frame.type === 'send') this.sending.set(frame.client_id, frame);
      return true;
    } catch {
      return false;
    }
  }

  // The network is gone: close now rather than wait for a timeout, and come back with back-off.
  drop() {
    const socket = this.socket;
    this.socket = null;
    this.stopPinging();
    try {
      socket?.close();
    } catch {
      // closing a dead socket may fail; it is gone either way
    }
    if (this.state !== 'login') this.retry();
  }

  retry() {
    this.setState('offline');
    clearTimeout(this.retryTimer);
    const wait = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.attempts) * (0.5 + Math.random() / 2);
    this.attempts = Math.min(this.attempts + 1, 8);
    this.retryTimer = setTimeout(() => this.connectNow(), wait);
  }

  ping() {
    if (!this.sendFrame({ type: 'ping' })) return;
    clearTimeout(this.pongTimer);
    // No answer at all: the socket is half-open (the phone slept, the network changed).
    this.pongTimer = setTimeout(() => this.drop(), PONG_WITHIN_MS);
  }

  startPinging() {
    this.stopPinging();
    this.pingTimer = setInterval(() => this.ping(), PING_EVERY_MS);
  }

  stopPinging() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: state }));
  }
}

function defaultUrl() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}
