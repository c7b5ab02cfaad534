// The organisation key page: an administrator's browser that holds the organisation key seals it
// to another administrator's public key (checked to be hers), so the key is never in one hand only.

import { Person, SigningKey, b64uDecode, b64uEncode, loadSession } from '../crypto/index.js';
import { knownPerson } from '../shared/trust.js';
import { api, errorOf, messages, say, supported } from './common.js';

const root = document.getElementById('organisation-key');
const problem = document.getElementById('e-form');

async function get(path) {
  const answer = await api(path, undefined, 'GET');
  if (!answer.ok) throw new Error(errorOf(answer));
  return answer.data;
}

async function giveKey(holderId) {
  const identity = await loadSession();
  if (identity === null) throw new Error('no keys in this session');
  const served = await get('/api/v1/trust/organisation');
  const key = await SigningKey.open(b64uDecode(served.sealed_copy), identity, b64uDecode(served.ed25519_public));
  const holder = await Person.fromPublicIdentity(
    b64uDecode((await get(`/api/v1/trust/organisation/people/${holderId}`)).public_identity),
  );
  if (holder.userId !== holderId) throw new Error('the server answered for someone else');
  await knownPerson(identity, holder, (path, body, method) => api(path, body, method ?? (body === undefined ? 'GET' : 'POST')));
  return api('/api/v1/trust/organisation/copies', {
    holder_id: holderId,
    sealed_copy: b64uEncode(await key.sealFor(holder)),
  });
}

for (const button of root.querySelectorAll('[data-give-to]')) {
  button.addEventListener('click', async () => {
    if (!(await supported())) return;
    say(problem, '');
    button.disabled = true;
    try {
      const answer = await giveKey(button.dataset.giveTo);
      if (!answer.ok) return say(problem, errorOf(answer));
      globalThis.location.reload();
    } catch {
      say(problem, messages.failed);
    } finally {
      button.disabled = false;
    }
  });
}
