// The chat page's notification panel (frontend/static/js/chat/push.js, the very file the browser
// is served): one line about this phone and at most one thing to do. Never "turn them off" next to
// "this phone gets none"; after the browser refuses, how to allow them in its settings.

import assert from 'node:assert/strict';
import { test } from 'node:test';

let loaded = 0;

// A chat page with push on the server, in a browser whose permission is `permission` and which
// answers `answer` when asked.
async function page(permission, answer = 'denied') {
  const element = (extra = {}) => ({ dataset: {}, hidden: true, textContent: '', listeners: {}, addEventListener(type, fn) { this.listeners[type] = fn; }, ...extra });
  const elements = {
    'chat-push': element({ dataset: { enabled: 'true', on: 'on', ask: 'ask', blocked: 'blocked', failed: 'failed' } }),
    'chat-push-device-state': element(),
    'chat-push-device': element(),
    'chat-push-switch': element({ dataset: { device: 'true' } }),
  };
  globalThis.document = { getElementById: (id) => elements[id] ?? null, querySelector: () => null };
  globalThis.window = globalThis;
  globalThis.PushManager = class {};
  const subscription = { toJSON: () => ({ endpoint: 'https://push.example/1', keys: {} }) };
  const registration = { pushManager: { getSubscription: async () => subscription, subscribe: async () => subscription } };
  Object.defineProperty(globalThis, 'navigator', { value: { serviceWorker: { register: async () => registration } }, configurable: true });
  globalThis.Notification = {
    permission,
    requestPermission: async () => {
      globalThis.Notification.permission = answer;
      return answer;
    },
  };
  globalThis.fetch = async (path) => {
    const data = path === '/api/v1/chat/push' ? { enabled: true, public_key: 'AQAB', subscriptions: 0 } : {};
    return { ok: true, status: 200, json: async () => data };
  };
  loaded += 1;
  await import(`../../../frontend/static/js/chat/push.js?page=${loaded}`);
  await settle();
  return elements;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

function shown(elements) {
  const state = elements['chat-push-device-state'];
  return {
    line: state.hidden ? null : state.textContent,
    ask: !elements['chat-push-device'].hidden,
    off: !elements['chat-push-switch'].hidden,
  };
}

test('never asked: "not yet" and only the button to get them, no switch to turn them off', async () => {
  const elements = await page('default');
  assert.deepEqual(shown(elements), { line: 'ask', ask: true, off: false });
});

test('she taps and the browser refuses: how to allow them, and no "turn off"', async () => {
  const elements = await page('default', 'denied');
  await elements['chat-push-device'].listeners.click();
  await settle();
  assert.deepEqual(shown(elements), { line: 'blocked', ask: false, off: false });
});

test('blocked before: the same one line', async () => {
  assert.deepEqual(shown(await page('denied')), { line: 'blocked', ask: false, off: false });
});

test('this phone gets them: that line and the switch to turn them off', async () => {
  assert.deepEqual(shown(await page('granted')), { line: 'on', ask: false, off: true });
});
