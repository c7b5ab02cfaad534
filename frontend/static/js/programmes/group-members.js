// A group's member list signed in the staff member's browser (docs/crypto-spec.md 8, kind 0x05).
//
// The forms work without this module and then change the group unsigned (the page says the list
// is not signed). When her browser holds the programme key, each change (add a participant or a
// trainer, remove someone) gets a record of the group as it is after the change, signed with the
// programme key, in the form's hidden `signed_record` field. What it names is decided in
// group-list.js: the last record this browser verified plus exactly this change; anyone else the
// server lists is shown here by name and code and named only when she ticks her. Members'
// browsers admit the group chat's readers by this record alone; the server checks it again
// before it keeps anything, and undoes the change when it does not hold.

import { loadSession } from '../crypto/index.js';
import { fill, h } from '../shared/dom.js';
import { call } from '../shared/http.js';
import { KEY_CHANGED } from '../shared/trust.js';
import { GroupListProblem, signGroupList } from './group-list.js';

const settings = document.getElementById('group-signing')?.dataset;
const status = document.getElementById('signing-status');
const panel = document.getElementById('group-extra');

function show(text) {
  if (!status) return;
  status.textContent = text ?? '';
  status.hidden = !text;
}

// The people the server lists beyond the last record and this change, each with a box to tick;
// resolves with the ids she ticked when she signs, or null when she cancels.
function askWhoBelongs(extra) {
  const list = document.getElementById('group-extra-list');
  list.replaceChildren(
    ...extra.map((person) => {
      const id = `extra-${person.personId}`;
      return h(
        'li',
        { class: 'card group-extra', 'data-person-id': person.personId },
        h(
          'div',
          { class: 'field field--check' },
          h('input', { type: 'checkbox', id, value: person.personId }),
          h('label', { for: id, text: person.name || person.personId }),
        ),
        h('p', { class: 'fingerprint', text: fill(settings.code, { code: person.fingerprintText }) }),
      );
    }),
  );
  panel.hidden = false;
  panel.scrollIntoView({ block: 'start' });
  return new Promise((resolve) => {
    const done = (answer) => {
      panel.hidden = true;
      document.getElementById('group-extra-sign').onclick = null;
      document.getElementById('group-extra-cancel').onclick = null;
      resolve(answer);
    };
    document.getElementById('group-extra-sign').onclick = () =>
      done(new Set([...list.querySelectorAll('input:checked')].map((box) => box.value)));
    document.getElementById('group-extra-cancel').onclick = () => done(null);
  });
}

class Cancelled extends Error {}

// The group after `change` ({ add: { personId, role } }, { remove: personId } or {}), signed.
async function sign(change) {
  const identity = await loadSession();
  if (identity === null) return '';
  const signed = await signGroupList({
    identity,
    api: call,
    organisationId: settings.organisationId,
    programmeId: settings.programmeId,
    groupId: settings.groupId,
    signedBy: settings.personId,
    change,
    hint: Number(settings.nextSerial),
    approve: async (extra) => {
      show('');
      const ticked = await askWhoBelongs(extra);
      if (ticked === null) throw new Cancelled();
      show(settings.signing);
      return ticked;
    },
  });
  return signed.record;
}

function whyNot(error) {
  if (error instanceof GroupListProblem) return settings.withheld;
  if (error?.problem === KEY_CHANGED) return settings.keyChanged;
  return settings.cannotSign;
}

// Sign, put the record in the hidden field and send the form. A change that cannot be signed
// (no key here, no answer) is sent unsigned, as without JavaScript (the page then says the list is
// not signed); one refused for a reason she must see first (a record withheld, a changed key, or
// she cancelled) is not sent. "Sign now" needs the signature.
function signOnSubmit(form, changeOf, { required = false } = {}) {
  form.addEventListener('submit', async (event) => {
    if (form.dataset.signed === 'yes') return;
    event.preventDefault();
    const buttons = [...document.querySelectorAll('form.group-add-form button, form.group-remove-form button, form.group-sign-form button')];
    for (const button of buttons) button.disabled = true;
    const again = (text) => {
      show(text);
      for (const button of buttons) button.disabled = false;
    };
    show(settings.signing);
    let record = '';
    try {
      record = await sign(changeOf(form));
    } catch (error) {
      if (error instanceof Cancelled) return again('');
      if (error instanceof GroupListProblem || error?.problem === KEY_CHANGED) return again(whyNot(error));
      record = '';
    }
    if (required && !record) return again(settings.cannotSign);
    form.elements.signed_record.value = record;
    form.dataset.signed = 'yes';
    form.submit();
    return null;
  });
}

if (settings?.holdsKey === 'yes') {
  for (const form of document.querySelectorAll('form.group-add-form')) {
    signOnSubmit(form, (f) => {
      const role = f.elements.role.value;
      const personId = (role === 'trainer' ? f.elements.trainer_id : f.elements.person_id).value;
      return { add: { personId, role } };
    });
  }
  for (const form of document.querySelectorAll('form.group-remove-form')) {
    signOnSubmit(form, (f) => ({ remove: f.dataset.personId }));
  }
  for (const form of document.querySelectorAll('form.group-sign-form')) {
    signOnSubmit(form, () => ({}), { required: true });
    form.hidden = false;
  }
}
