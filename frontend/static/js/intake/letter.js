// Opens an application's letter in the staff member's browser: the letter key sealed to her key
// (SealedBox purpose 0x06), then the letter (SecretBox purpose 0x07), both bound to this programme
// and this application (docs/crypto-spec.md 8.1). The text goes in with textContent only. Her
// name and contact sealed inside the letter are compared with the ones this page shows; when they
// differ, a plain warning says so (letter-format.js).

import { b64uDecode, loadSession } from '../crypto/index.js';
import { getJson } from '../shared/http.js';
import { openServedLetter } from './letter-format.js';

const place = document.getElementById('letter');

async function open() {
  place.textContent = place.dataset.opening;
  const served = await getJson(place.dataset.url);
  if (!served.sealed_key) {
    place.textContent = place.dataset.notForYou;
    return;
  }
  const identity = await loadSession();
  if (identity === null) throw new Error('no session');
  const shown = {
    name: document.getElementById('application-name')?.textContent ?? '',
    contact: document.getElementById('application-contact')?.textContent ?? '',
  };
  const opened = await openServedLetter(served, identity, shown, b64uDecode);
  place.textContent = opened.text;
  place.dataset.opened = 'yes';
  document.getElementById('letter-mismatch').hidden = !opened.mismatch;
}

if (place) {
  open().catch(() => {
    place.textContent = place.dataset.failed;
  });
}
