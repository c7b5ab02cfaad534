// The conversation list and the shared inbox stay current: the page holds the same resuming
// socket as a conversation, and when a message, a marker or an escalation arrives it fetches
// this page again and swaps in the new list. The list carries no content, only names, counts
// and waiting times, so it is the server's HTML.

import { ChatSocket } from './socket.js';

const root = document.getElementById('chat-index');
const socket = new ChatSocket();
let timer = null;

async function refresh() {
  let response;
  try {
    response = await fetch(globalThis.location.pathname, { credentials: 'same-origin', headers: { accept: 'text/html' } });
  } catch {
    return;
  }
  if (!response.ok) return;
  const fresh = new DOMParser().parseFromString(await response.text(), 'text/html').getElementById('chat-index');
  if (!fresh) return;
  // The notifications section belongs to push.js (its worker state, its button): keep it as it is.
  const push = document.getElementById('chat-push');
  root.replaceChildren(...[...fresh.childNodes].map((node) => document.importNode(node, true)));
  if (push) document.getElementById('chat-push')?.replaceWith(push);
}

function soon() {
  clearTimeout(timer);
  timer = setTimeout(refresh, 500);
}

for (const kind of ['message', 'marker', 'escalation', 'epoch']) socket.addEventListener(kind, soon);
// After a reconnect the list may have changed while the phone was away.
socket.addEventListener('caught_up', soon);
socket.start();
