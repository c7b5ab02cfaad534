// After logout: forget every key this browser kept for the session.

import { wipe } from '../crypto/index.js';

const status = document.getElementById('wipe-status');
wipe()
  .then(() => {
    status.textContent = status.dataset.wiped;
    status.dataset.state = 'wiped';
  })
  .catch(() => {
    status.dataset.state = 'failed';
  });
