// The duty roster made in the staff member's browser (docs/crypto-spec.md 8, kind 0x02).
//
// Staff describe a week (time blocks on weekdays, who is on duty as coach and who as second line)
// and exceptions (a date with other people or nobody). This module expands that into shifts in
// the programme's local time for the chosen period, names each person by the fingerprint of her
// identity key (pinned in this browser as for a coach assignment), signs the DutyRoster record with
// the programme key and posts it with a serial the server cannot choose (shared/serials.js). The
// server checks the chain and that the shifts sent are the ones signed; a participant's browser
// grants her conversation key to those the verified roster names on duty now and next.

import {
  Duty,
  Person,
  RecordKind,
  SigningKey,
  b64uDecode,
  b64uEncode,
  loadSession,
  verifyProgrammeKey,
} from '../crypto/index.js';
import { rosterSerial } from '../shared/serials.js';
import { KEY_CHANGED, knownPerson, sessionMarks } from '../shared/trust.js';
import { RosterProblem, dayOf, expand, minutesOf, say, weekGaps, zoneOffsets } from './roster-shifts.js';
import { call, getJson } from '../shared/http.js';

const form = document.getElementById('roster-form');
const settings = form?.dataset;
const labels = document.getElementById('roster-labels')?.dataset ?? {};
const DUTIES = { coach: Duty.COACH, supervisor: Duty.SUPERVISOR };

// The form as data ---------------------------------------------------------------------------

function blocksOf() {
  return [...document.querySelectorAll('#roster-blocks > li')].map((row, i) => ({
    number: i + 1,
    days: [...row.querySelectorAll('input[name=day]:checked')].map((box) => Number(box.value)),
    start: minutesOf(row.querySelector('input[name=start]').value),
    end: minutesOf(row.querySelector('input[name=end]').value),
    nextDay: row.querySelector('input[name=next_day]').checked,
    coach: row.querySelector('select[name=coach]').value,
    supervisor: row.querySelector('select[name=supervisor]').value,
  }));
}

function exceptionsOf() {
  return [...document.querySelectorAll('#roster-exceptions > li')].map((row, i) => ({
    number: i + 1,
    day: dayOf(row.querySelector('input[name=date]').value),
    coach: row.querySelector('select[name=coach]').value,
    supervisor: row.querySelector('select[name=supervisor]').value,
  }));
}

function nameOf(personId) {
  const option = form.querySelector(`option[value="${CSS.escape(personId)}"]`);
  return option ? option.textContent.replace(/\s*\(.*\)\s*$/, '').trim() : personId;
}

// Keys ----------------------------------------------------------------------------------------

async function openProgrammeKey(identity) {
  const served = await getJson(`/api/v1/trust/programmes/${settings.programmeId}`);
  if (!served.sealed_copy) return null;
  const organisation = await getJson('/api/v1/trust/organisation');
  const certified = await verifyProgrammeKey(
    b64uDecode(served.certificate),
    b64uDecode(organisation.ed25519_public),
    settings.programmeId,
  );
  return SigningKey.open(b64uDecode(served.sealed_copy), identity, certified);
}

// Her key as this browser knows it: pinned the first time it is met (as for a coach assignment);
// a key that changed since is refused until checked in person.
async function fingerprintOf(identity, personId) {
  const option = form.querySelector(`option[value="${CSS.escape(personId)}"]`);
  if (option?.dataset.noKey === 'yes') throw new RosterProblem(say(settings.noKey, { name: nameOf(personId) }));
  let person;
  try {
    const served = await getJson(`/api/v1/trust/programmes/${settings.programmeId}/people/${personId}`);
    person = await Person.fromPublicIdentity(b64uDecode(served.public_identity));
  } catch {
    throw new RosterProblem(say(settings.noKey, { name: nameOf(personId) }));
  }
  if (person.userId !== personId) throw new RosterProblem(settings.cannotSign);
  try {
    await knownPerson(identity, person, call);
  } catch (error) {
    if (error?.problem === KEY_CHANGED) throw new RosterProblem(say(settings.keyChanged, { name: nameOf(personId) }));
    throw error;
  }
  return person.fingerprint();
}

// The page ------------------------------------------------------------------------------------

function show(id, text) {
  const element = document.getElementById(id);
  element.textContent = text ?? '';
  element.hidden = !text;
}

function renumber() {
  for (const [list, label] of [['roster-blocks', labels.block], ['roster-exceptions', labels.exception]]) {
    document.querySelectorAll(`#${list} > li`).forEach((row, i) => {
      row.querySelector('.roster-row__number').textContent = say(label, { num: i + 1 });
    });
  }
}

function addRow(templateId, listId, fill = {}) {
  const row = document.getElementById(templateId).content.firstElementChild.cloneNode(true);
  for (const [name, value] of Object.entries(fill)) {
    if (name === 'days') {
      for (const box of row.querySelectorAll('input[name=day]')) box.checked = value.includes(Number(box.value));
    } else {
      const input = row.querySelector(`[name=${name}]`);
      if (input.type === 'checkbox') input.checked = Boolean(value);
      else input.value = value;
    }
  }
  row.querySelector('.roster-remove').addEventListener('click', () => {
    row.remove();
    renumber();
  });
  document.getElementById(listId).append(row);
  renumber();
  return row;
}

// The week pattern she saved, kept in this browser per programme (times and who, no content), so
// that the next roster starts from it. Exceptions in the past are dropped.
const PATTERN_KEY = `eportfolio.roster-pattern.${settings?.programmeId}`;

function remember() {
  const row = (element, names) =>
    Object.fromEntries(names.map((name) => {
      const input = element.querySelector(`[name=${name}]`);
      return [name, input.type === 'checkbox' ? input.checked : input.value];
    }));
  const pattern = {
    blocks: [...document.querySelectorAll('#roster-blocks > li')].map((li) => ({
      ...row(li, ['start', 'end', 'next_day', 'coach', 'supervisor']),
      days: [...li.querySelectorAll('input[name=day]:checked')].map((box) => Number(box.value)),
    })),
    exceptions: [...document.querySelectorAll('#roster-exceptions > li')].map((li) =>
      row(li, ['date', 'coach', 'supervisor']),
    ),
  };
  try {
    localStorage.setItem(PATTERN_KEY, JSON.stringify(pattern));
  } catch {
    // private mode or full: the next roster starts from the example again
  }
}

function recalled() {
  try {
    const pattern = JSON.parse(localStorage.getItem(PATTERN_KEY) ?? 'null');
    if (!pattern || !Array.isArray(pattern.blocks) || pattern.blocks.length === 0) return null;
    const first = document.getElementById('roster-from').value;
    // Only people who can still be chosen (the choices are in the row templates).
    const choices = document.getElementById('roster-block-template').content;
    const known = (value) => value === '' || value === 'same' || choices.querySelector(`option[value="${CSS.escape(value)}"]`);
    const blocks = pattern.blocks.filter((b) => known(b.coach) && known(b.supervisor));
    const exceptions = (pattern.exceptions ?? []).filter((e) => e.date >= first && known(e.coach) && known(e.supervisor));
    return blocks.length ? { blocks, exceptions } : null;
  } catch {
    return null;
  }
}

// Times nobody is on duty are allowed (a first message then gets the out-of-hours reply), but
// she should mean them: the first "Sign and save" lists them; the same gaps again go through.
function gapText(gap, weekdays) {
  const time = (minutes) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
  if (gap.always) return settings.gapsAlways;
  const until = gap.untilDay === gap.fromDay && gap.untilMinute > gap.fromMinute ? time(gap.untilMinute) : `${weekdays[gap.untilDay]} ${time(gap.untilMinute)}`;
  return `${weekdays[gap.fromDay]} ${time(gap.fromMinute)} – ${until}`;
}

function gapsUnseen(blocks) {
  const weekdays = [...document.getElementById('roster-block-template').content.querySelectorAll('.roster-day-check')].map(
    (label) => label.textContent.trim(),
  );
  const lines = weekGaps(blocks).map((gap) => gapText(gap, weekdays));
  const box = document.getElementById('roster-gaps');
  const seen = lines.join('|');
  if (lines.length === 0 || form.dataset.gapsSeen === seen) {
    box.hidden = lines.length === 0;
    return false;
  }
  form.dataset.gapsSeen = seen;
  const list = box.querySelector('ul');
  list.replaceChildren(...lines.map((line) => Object.assign(document.createElement('li'), { textContent: line })));
  box.hidden = false;
  box.scrollIntoView({ block: 'center' });
  return true;
}

// The week of the roster in force, as time blocks (the page gives it); only people who can still
// be chosen. Null when there is none: then the week she saved in this browser, or the example.
function currentPattern() {
  try {
    const blocks = JSON.parse(settings.currentPattern || '[]');
    const choices = document.getElementById('roster-block-template').content;
    const known = (value) => value === '' || choices.querySelector(`option[value="${CSS.escape(value)}"]`);
    const usable = blocks.filter((b) => known(b.coach) && known(b.supervisor) && (b.coach || b.supervisor));
    return usable.length ? { blocks: usable, exceptions: [] } : null;
  } catch {
    return null;
  }
}

function sameWeek(a, b) {
  const norm = (blocks) =>
    blocks
      .map((x) => JSON.stringify([[...x.days].sort(), x.start, x.end, Boolean(x.next_day), x.coach, x.supervisor]))
      .sort()
      .join();
  return norm(a) === norm(b);
}

async function save(event) {
  event.preventDefault();
  show('roster-error', '');
  const button = document.getElementById('roster-save');
  button.disabled = true;
  try {
    const { shifts, validFrom, validUntil } = expand({
      from: dayOf(document.getElementById('roster-from').value),
      until: dayOf(document.getElementById('roster-until').value),
      blocks: blocksOf(),
      exceptions: exceptionsOf(),
      offsetAt: zoneOffsets(settings.timeZone),
    }, settings);
    if (gapsUnseen(blocksOf())) {
      button.disabled = false;
      return;
    }
    show('roster-status', settings.signing);
    const identity = await loadSession();
    if (identity === null) throw new RosterProblem(settings.cannotSign);
    const key = await openProgrammeKey(identity);
    if (key === null) throw new RosterProblem(settings.cannotSign);
    const fingerprints = new Map();
    for (const personId of new Set(shifts.map((s) => s.personId))) {
      fingerprints.set(personId, await fingerprintOf(identity, personId));
    }
    // Never the serial the page names: an older roster the server keeps (someone on duty staff
    // took off) must not outrank this one in her browser (shared/serials.js).
    const serial = await rosterSerial({
      api: call,
      programmePublic: key.public,
      programmeId: settings.programmeId,
      marks: sessionMarks(),
      hint: Number(settings.nextSerial),
    });
    const record = await key.signRecord(
      RecordKind.DUTY_ROSTER,
      {
        validFrom,
        validUntil,
        entries: shifts.map((s) => ({
          personId: s.personId,
          fingerprint: fingerprints.get(s.personId),
          duty: DUTIES[s.duty],
          start: s.start,
          until: s.until,
        })),
      },
      {
        organisationId: settings.organisationId,
        programmeId: settings.programmeId,
        serial,
        issuedAt: Math.floor(Date.now() / 1000),
        signedBy: settings.personId,
      },
    );
    const saved = await call(`/api/v1/chat/programmes/${settings.programmeId}/rosters`, {
      serial,
      signed_record: b64uEncode(record),
      shifts: shifts.map((s) => ({ person_id: s.personId, duty: s.duty, starts_at: s.startsAt, ends_at: s.endsAt })),
    });
    if (!saved.ok) throw new RosterProblem(saved.data?.error?.message || settings.cannotSign);
    show('roster-status', settings.saved);
    remember();
    form.dataset.saved = 'yes';
    // A fresh page that says so at the top, next to the roster now in force (a reload kept her at
    // the bottom of the form with no word that it worked). A new query each time: a hash alone
    // would not load the page again.
    window.location.assign(`${window.location.pathname}?saved=${Date.now()}#roster-now`);
  } catch (error) {
    show('roster-status', '');
    show('roster-error', error instanceof RosterProblem ? error.message : settings.cannotSign);
    document.getElementById('roster-error').scrollIntoView({ block: 'center' });
    button.disabled = false;
  }
}

if (form) {
  document.getElementById('roster-add-block').addEventListener('click', () => {
    addRow('roster-block-template', 'roster-blocks').querySelector('input[name=day]').focus();
  });
  document.getElementById('roster-add-exception').addEventListener('click', () => {
    addRow('roster-exception-template', 'roster-exceptions').querySelector('input[name=date]').focus();
  });
  // The week she saved last time in this browser carries her exceptions too: it is taken when it
  // is the week in force (or there is none); a roster someone else made since wins.
  const inForce = currentPattern();
  const mine = recalled();
  const kept = mine && (!inForce || sameWeek(mine.blocks, inForce.blocks)) ? mine : inForce;
  if (kept) {
    // The roster in force (the server's week of it), or else the week she saved last time in this
    // browser: to change rather than make again.
    for (const block of kept.blocks) addRow('roster-block-template', 'roster-blocks', block);
    for (const exception of kept.exceptions) addRow('roster-exception-template', 'roster-exceptions', exception);
  } else {
    // To start with: a day block on weekdays and a night block every day, nobody chosen yet.
    addRow('roster-block-template', 'roster-blocks', { days: [0, 1, 2, 3, 4], start: '08:00', end: '17:00' });
    addRow('roster-block-template', 'roster-blocks', {
      days: [0, 1, 2, 3, 4, 5, 6],
      start: '17:00',
      end: '08:00',
      next_day: true,
    });
  }
  form.addEventListener('submit', save);
  form.dataset.ready = 'yes';
}
