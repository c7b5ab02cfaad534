// The menu's Chat badge on a conversation page (frontend/static/js/chat/badge.js, the very file the
// browser is served): what she reads here comes off it at once, not at the next page load.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ChatBadge } from '../../../frontend/static/js/chat/badge.js';

function served(count) {
  const number = { textContent: String(count) };
  const words = { textContent: `${count} nieuw` };
  const badge = { dataset: { count: String(count) }, children: [number, words], removed: false, remove() { this.removed = true; } };
  return { badge, number, words };
}

test('reading this conversation takes its messages off the badge; the others stay', () => {
  // 5 unread in all: 3 here (read up to 7 of 10), 2 in another conversation.
  const { badge, number, words } = served(5);
  const chat = new ChatBadge(badge, { readSeq: 7, lastSeq: 10 });
  assert.equal(chat.read(10), 2);
  assert.equal(badge.dataset.count, '2');
  assert.equal(number.textContent, '2');
  assert.equal(words.textContent, '2 nieuw');
  assert.equal(badge.removed, false);
});

test('all read: the badge goes; messages that came after the page was served never count', () => {
  const { badge } = served(3);
  const chat = new ChatBadge(badge, { readSeq: 7, lastSeq: 10 });
  assert.equal(chat.read(8), 2);
  assert.equal(chat.read(14), 0, 'seq 11 to 14 came later and were never in the badge');
  assert.equal(badge.removed, true);
});

test('no badge in the menu: nothing to do', () => {
  assert.equal(new ChatBadge(null, { readSeq: 0, lastSeq: 4 }).read(4), 0);
});
