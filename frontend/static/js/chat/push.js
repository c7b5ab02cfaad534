// Notifications on this phone: her switch (a form that works without JavaScript) says whether she
// wants them at all; this script registers the service worker and, when she taps the button,
// asks the browser for permission and hands the server this browser's push subscription. The
// server only ever sends "You have a new message"; see sw.js.

import { b64uDecode } from '../crypto/index.js';
import { api } from '../portfolio/keyring.js';

const section = document.getElementById('chat-push');
const $ = (id) => document.getElementById(id);

// One line about this phone and at most one thing to do: the button to get notifications here
// while the browser has not been asked, the switch to turn them off once this phone gets them.
// (Her switch says she wants them unless she turned them off; it is not a choice for this phone.)
function show(state) {
  const line = $('chat-push-device-state');
  line.dataset.state = state;
  line.textContent = section.dataset[state] ?? '';
  line.hidden = !line.textContent;
  $('chat-push-device').hidden = state !== 'ask';
  const off = $('chat-push-switch');
  if (off?.dataset.device === 'true') off.hidden = state !== 'on';
}

async function subscribe(registration, publicKey) {
  const subscription =
    (await registration.pushManager.getSubscription()) ??
    (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64uDecode(publicKey) }));
  const saved = await api('/api/v1/chat/push/subscriptions', subscription.toJSON());
  show(saved.ok ? 'on' : 'failed');
}

async function start() {
  if (!section || section.dataset.enabled !== 'true') return;
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) {
    show('unsupported');
    return;
  }
  const registration = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  section.dataset.worker = 'ready';
  const settings = await api('/api/v1/chat/push');
  if (!settings.ok) return;
  const publicKey = settings.data.public_key;
  if (!publicKey) {
    show('notConfigured');
    return;
  }
  if (Notification.permission === 'denied') {
    show('blocked');
    return;
  }
  if (Notification.permission === 'granted') {
    await subscribe(registration, publicKey).catch(() => show('failed'));
    return;
  }
  show('ask');
  $('chat-push-device').addEventListener('click', async () => {
    const permission = await Notification.requestPermission();
    if (permission !== 'granted') {
      show(permission === 'denied' ? 'blocked' : 'ask');
      return;
    }
    await subscribe(registration, publicKey).catch(() => show('failed'));
  });
}

start().catch(() => show('failed'));
