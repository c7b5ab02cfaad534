// Quick exit: one tap (or Escape twice) wipes the keys held for this session and leaves for a
// neutral site; /quick-exit also ends the session on the server. location.replace keeps this
// page out of the back button's history.
import { wipe } from './crypto/keystore.js';

const WIPE_WAIT_MS = 300;

async function leave(target) {
  // Never let a slow IndexedDB hold her here: leave after a short wait whatever happened.
  await Promise.race([wipe().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, WIPE_WAIT_MS))]);
  try {
    sessionStorage.clear();
  } catch {
    // storage can be unavailable in private modes; nothing to clear then
  }
  window.location.replace(target);
}

for (const link of document.querySelectorAll('[data-quick-exit]')) {
  link.addEventListener('click', (event) => {
    event.preventDefault();
    leave(link.getAttribute('href'));
  });
}

let lastEscape = 0;
document.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape') return;
  const now = Date.now();
  if (now - lastEscape < 1000) {
    const link = document.querySelector('[data-quick-exit]');
    if (link) leave(link.getAttribute('href'));
  }
  lastEscape = now;
});
