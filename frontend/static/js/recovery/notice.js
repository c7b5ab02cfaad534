// Her next login after a recovery: the notice says what happened and when, until she has read it.

import { api } from '../accounts/common.js';

const box = document.getElementById('recovery-notice');
const KINDS = { programme: 'programme', coach_assisted: 'coachAssisted' };

async function show() {
  const answer = await api('/api/v1/recovery/notices', undefined, 'GET');
  if (!answer.ok || answer.data.length === 0) return;
  const latest = answer.data[answer.data.length - 1];
  const text = box.dataset[KINDS[latest.kind]] ?? box.dataset.programme;
  const when = new Date(latest.recovered_at).toLocaleDateString(document.documentElement.lang || undefined);
  document.getElementById('recovery-notice-text').textContent = text.replace('{date}', when);
  box.hidden = false;
}

box?.querySelector('button').addEventListener('click', async () => {
  const answer = await api('/api/v1/recovery/notices/seen', undefined, 'POST');
  if (answer.ok) box.hidden = true;
});

if (box) show();
