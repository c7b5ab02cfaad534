// "Waiting for your approval" on a supervision conversation, or a group whose staff never signed
// its member list: the members this browser gives no key by itself (no signed record names them,
// or their key changed since she approved it), each with name, fingerprint (text and QR) and a
// large "Give access" button. Approving pins the key she saw in her signed pinned-keys record and
// grants the conversation key (keys.js). A group with a signed member list admits by that list
// alone: its members come without a fingerprint here, so no card offers to override it.

import { fill, h } from '../shared/dom.js';

const $ = (id) => document.getElementById(id);

function qrUrl(payload) {
  return `/recovery/fingerprint.svg?payload=${encodeURIComponent(payload)}`;
}

// `keys` is the page's ConversationKeys after ensureAccess; `run(task)` runs a task after the
// page's other work (frames are handled one after the other); `done()` shows the new state.
export function renderApprovals(keys, { run, done, roleNames }) {
  const panel = $('chat-approvals');
  if (!panel) return;
  const words = panel.dataset;
  const reading = new Set(keys.portfolio.members.filter((m) => m.can_read).map((m) => m.person_id));
  // Everyone this browser would not give the next key to: waiting for approval, or a key changed
  // since. Someone another member gave access to is here too, or the next key would leave her out.
  const waiting = (keys.unconfirmed ?? []).filter((m) => m.fingerprint);
  panel.hidden = waiting.length === 0;
  $('chat-approval-list').replaceChildren(
    ...waiting.map((member) => {
      const changed = member.reason === 'key_changed';
      const why = changed ? words.changed : reading.has(member.person_id) ? words.reads : words.waiting;
      const status = h('p', { class: 'chat-approval__status', role: 'status' });
      const button = h('button', { type: 'button', class: 'button chat-approval__give', text: words.give });
      button.addEventListener('click', () =>
        run(async () => {
          button.disabled = true;
          status.textContent = words.giving;
          const result = await keys
            .approve(member.person_id, member.fingerprint.text)
            .catch(() => ({ ok: false, status: 0 }));
          button.disabled = false;
          if (result.status === 409) status.textContent = words.moved;
          else if (!result.ok) status.textContent = result.status === 0 ? words.network : words.failed;
          else done();
        }),
      );
      const role = roleNames[member.role] ?? member.role;
      return h(
        'li',
        {
          class: changed ? 'chat-approval chat-approval--changed' : 'chat-approval',
          'data-person': member.person_id,
          'data-reason': member.reason,
          'data-reads': reading.has(member.person_id) ? 'true' : 'false',
        },
        h('p', { class: 'chat-approval__name', text: `${member.display_name} (${role})` }),
        h('p', {
          class: 'chat-approval__why',
          text: fill(why, { name: member.display_name }),
        }),
        h('p', { class: 'chat-approval__label', text: words.code }),
        h('p', { class: 'fingerprint chat-approval__code', text: member.fingerprint.text }),
        h('img', {
          class: 'chat-approval__qr',
          src: qrUrl(member.fingerprint.qr),
          alt: fill(words.qr, { name: member.display_name }),
          width: '160',
          height: '160',
        }),
        button,
        status,
      );
    }),
  );
}
