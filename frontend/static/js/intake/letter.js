// Opens an application's letter in the staff member's browser: the letter key sealed to her key
// (SealedBox purpose 0x06), then the letter (SecretBox purpose 0x07), both bound to this programme
// and this application (docs/crypto-spec.md 8.1). The text goes in with textContent only.

import { b64uDecode, loadSession, openIntakeLetter } from '../crypto/index.js';
import { getJson } from '../shared/http.js';

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
  const plaintext = await openIntakeLetter(b64uDecode(served.letter), b64uDecode(served.sealed_key), identity, {
    programmeId: served.programme_id,
    applicationId: served.application_id,
  });
  place.textContent = new TextDecoder().decode(plaintext);
  place.dataset.opened = 'yes';
}

if (place) {
  open().catch(() => {
    place.textContent = place.dataset.failed;
  });
}
