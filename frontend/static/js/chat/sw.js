// The service worker of eportfolio, served at /sw.js so its scope covers every page. It only
// shows the Web Push notifications the server sends when she has no chat open: the payload is one
// neutral sentence in her language ("You have a new message"), with no name, no conversation and
// no content, so nothing is shown on a locked screen that could tell anyone what she wrote. A tap
// opens the chat (or brings an open chat to the front). Nothing is cached here.

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

function bodyOf(data) {
  if (!data) return '';
  try {
    return String(data.json().body ?? '');
  } catch {
    return data.text();
  }
}

// Where a tap leads: a path on this site the push names (the chat, or her notifications for
// "someone is waiting"), never anywhere else.
function pathOf(data) {
  try {
    const url = String(data?.json().url ?? '');
    return /^\/(chat|notifications)\b[\w/#-]*$/.test(url) ? url : '/chat';
  } catch {
    return '/chat';
  }
}

self.addEventListener('push', (event) => {
  // One notification at a time, replaced by the next: a count of messages is also information.
  event.waitUntil(
    self.registration.showNotification('eportfolio', {
      body: bodyOf(event.data),
      tag: 'eportfolio-chat',
      renotify: true,
      data: { path: pathOf(event.data) },
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(
    (async () => {
      const path = event.notification.data?.path ?? '/chat';
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const open = windows.find((w) => new URL(w.url).pathname === path);
      if (open) return open.focus();
      return self.clients.openWindow(path);
    })(),
  );
});
