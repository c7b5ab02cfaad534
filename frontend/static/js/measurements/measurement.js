// One measurement. Whoever has not scored yet (she, or her coach) scores every part on this phone;
// the browser checks each score against the instrument version, seals the scores and notes for
// her portfolio's "my coaches" audience and hands them in once. When both are in, both sides are
// opened here and shown side by side with the differences. Decrypted text goes in with textContent.

import { loadSession, requireSupport } from '../crypto/index.js';
import { fill } from '../shared/dom.js';
import { api, newId, openPortfolio, sendSealed } from '../modules/sealed.js';
import { openSides, reportMissing } from './opened.js';
import { compare, scoreProblems, sideValue } from './scores.js';

const $ = (id) => document.getElementById(id);
const root = $('measurement');
const words = $('measurement-words').dataset;
const base = root.dataset.api;
const instrument = JSON.parse(root.dataset.instrument || 'null');
const her = root.dataset.her === 'true';
let client = null;

function say(text, kind = 'warning') {
  const node = $('measurement-status');
  node.textContent = text ?? '';
  node.hidden = !text;
  node.className = `alert alert--${kind}`;
}

function problemText(problem) {
  if (problem.problem === 'out-of-scale') return fill(words.outOfScale, problem);
  if (problem.problem === 'unknown-domain') return fill(words.unknownDomain, { domain: problem.domain });
  if (problem.problem === 'too-long') return words.tooLong;
  return words.choose;
}

function readForm(form) {
  const scores = {};
  const notes = {};
  for (const fieldset of form.querySelectorAll('fieldset[data-domain]')) {
    const key = fieldset.dataset.domain;
    const chosen = fieldset.querySelector('input[type=radio]:checked');
    if (chosen) scores[key] = Number(chosen.value);
    const note = fieldset.querySelector('textarea');
    if (note && note.value.trim()) notes[key] = note.value;
  }
  return { scores, notes };
}

function showProblems(form, problems) {
  for (const fieldset of form.querySelectorAll('fieldset[data-domain]')) {
    const mine = problems.find((p) => p.domain === fieldset.dataset.domain);
    const node = fieldset.querySelector('[data-domain-error]');
    node.textContent = mine ? problemText(mine) : '';
    node.hidden = !mine;
    fieldset.classList.toggle('domain--error', Boolean(mine));
  }
  const missing = problems.filter((p) => p.problem === 'missing').length;
  const other = problems.find((p) => p.problem !== 'missing');
  say(other ? problemText(other) : fill(words.chooseAll, { count: missing }));
  const first = form.querySelector('.domain--error') ?? form;
  first.scrollIntoView({ block: 'start' });
}

async function handIn(form, measurement) {
  const { scores, notes } = readForm(form);
  const problems = scoreProblems(instrument, scores, notes);
  if (problems.length) return showProblems(form, problems);
  showProblems(form, []);
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  say(words.sending, 'info');
  try {
    const value = sideValue({ measurementId: measurement.id, side: root.dataset.mine, instrument, scores, notes });
    const result = await sendSealed(client, { id: newId(), revision: 1, value }, (sealed) =>
      api(`${base}/measurements/${measurement.id}/sides`, sealed),
    );
    if (!result.ok) return say(result.status ? (result.data?.error?.message ?? words.failed) : words.network);
    window.location.reload();
  } catch {
    say(words.failed);
  } finally {
    button.disabled = false;
  }
  return null;
}

function showComparison(opened) {
  for (const row of compare(instrument, opened.self, opened.coach)) {
    const card = root.querySelector(`#comparison [data-domain="${CSS.escape(row.key)}"]`);
    if (!card) continue;
    card.querySelector('[data-self]').textContent = row.self ?? words.cannotOpen;
    card.querySelector('[data-coach]').textContent = row.coach ?? words.cannotOpen;
    const diff = card.querySelector('[data-diff]');
    if (row.difference === null) diff.textContent = '–';
    else if (row.same) diff.textContent = words.same;
    else diff.textContent = fill(row.difference > 0 ? words.higherCoach : words.higherSelf, { num: Math.abs(row.difference) });
    card.classList.toggle('compare--differs', row.difference !== null && !row.same);
    card.dataset.difference = row.difference ?? '';
    for (const [side, text] of [['self', row.selfNote], ['coach', row.coachNote]]) {
      const node = card.querySelector(`[data-note-${side}]`);
      node.textContent = text ? fill(side === 'self' ? words.noteSelf : words.noteCoach, { text }) : '';
      node.hidden = !text;
    }
  }
}

async function start() {
  if (!instrument) return null;
  if (!(await requireSupport())) return null;
  say(words.opening, 'info');
  const identity = await loadSession().catch(() => null);
  if (!identity) return say(words.noSession);
  try {
    const opened = await openPortfolio(identity, root.dataset.programme, root.dataset.participantId);
    client = opened.client;
    if (!client || !opened.ready) return say(words.waiting);
    const loaded = await api(`${base}/measurements/${root.dataset.measurement}`);
    if (!loaded.ok) return say(loaded.data?.error?.message ?? words.network);
    const measurement = loaded.data;
    say('');
    const form = $('score-form');
    if (form) {
      for (const control of form.querySelectorAll('input, textarea')) control.disabled = false;
      form.hidden = false;
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        handIn(form, measurement);
      });
    }
    const sides = await openSides(client, measurement, instrument);
    if (sides.broken) say(words.cannotOpen);
    if (measurement.both_submitted) showComparison(sides);
    if (her) {
      const consent = { consenting: root.dataset.consenting === 'true', statement: root.dataset.statement || null };
      await reportMissing(base, measurement, sides, client, consent);
    }
    root.dataset.ready = 'true';
  } catch (error) {
    say(error?.status ? error.message : words.failed);
  }
  return null;
}

start();
