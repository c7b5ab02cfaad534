// Her growth page: every measurement of hers is opened on this phone (hers, or her coach's who
// holds her portfolio key), and the distance she travelled is drawn from the opened scores: the
// bridge as she stands now and one chart per part over time. Nothing drawn here left the phone
// in plaintext; with her consent the numbers (not the notes) go out for reporting.

import { loadSession, requireSupport } from '../crypto/index.js';
import { fill, h } from '../shared/dom.js';
import { api, openPortfolio } from '../modules/sealed.js';
import { bridgePicture, coachKey, fitNames, lineChart, stepKey } from './charts.js';
import {
  forgetConsent,
  localised,
  mayReport,
  openSides,
  rememberConsent,
  reportMissing,
  servedConsent,
  signConsent,
} from './opened.js';
import { series } from './scores.js';

const $ = (id) => document.getElementById(id);
const root = $('growth');
const words = $('measurement-words').dataset;
const base = root.dataset.api;
const her = root.dataset.her === 'true';
const BRIDGE = 'bridge-to-self-sufficiency';

function say(text, kind = 'warning') {
  const node = $('growth-status');
  node.textContent = text ?? '';
  node.hidden = !text;
  node.className = `alert alert--${kind}`;
}

function shortDay(iso) {
  const locale = document.documentElement.lang === 'en' ? 'en-GB' : 'nl-NL';
  const timeZone = root.dataset.timeZone || undefined;
  // "7 dec 2026": the whole year, never "7 dec. 26" (a two-digit year reads like a day).
  const parts = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', year: 'numeric', timeZone })
    .formatToParts(new Date(iso));
  const part = (type) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('day')} ${part('month').replace(/\.$/, '')} ${part('year')}`;
}

async function definitionOf(cache, key, version) {
  const index = `${key}:${version}`;
  if (!cache.has(index)) {
    const loaded = await api(`${base}/instruments/${encodeURIComponent(key)}/versions/${version}`);
    cache.set(index, loaded.ok ? localised(loaded.data.definition, root.dataset.lang) : null);
  }
  return cache.get(index);
}

function drawBridge(newest) {
  const instrument = newest.instrument;
  const pillars = instrument.domains.map((d) => ({
    key: d.key,
    name: d.name,
    self: newest.self?.scores?.[d.key] ?? null,
    coach: newest.coach?.scores?.[d.key] ?? null,
  }));
  const title = her ? words.bridge : words.bridgeHer;
  const picture = bridgePicture({
    title,
    description: words.bridgeDesc,
    pillars,
    lowest: instrument.lowest,
    highest: instrument.highest,
    stepWord: words.step,
  });
  // What the filled steps and the mark mean, drawn the same as in the picture.
  const key = h(
    'p',
    { class: 'legend bridge-keys' },
    h('span', { 'data-key': 'self' }, stepKey(), ` ${words.self}`),
    h('span', { 'data-key': 'coach' }, coachKey(), ` ${words.coach}`),
  );
  const legend = h(
    'ul',
    { class: 'bridge-legend' },
    ...pillars.map((p) =>
      h('li', { 'data-pillar': p.key }, h('strong', { text: p.name }), ` ${words.self}: ${p.self ?? '–'} · ${words.coach}: ${p.coach ?? '–'}`),
    ),
  );
  $('bridge').replaceChildren(h('h3', { text: title }), h('p', { class: 'hint', text: words.bridgeDesc }), picture, key, legend);
  fitNames(picture);
}

function drawCharts(opened) {
  const charts = [];
  const byKey = new Map();
  for (const m of opened) byKey.set(m.instrument.key, [...(byKey.get(m.instrument.key) ?? []), m]);
  for (const list of byKey.values()) {
    const newest = list[list.length - 1].instrument;
    const lines = series(list);
    if (byKey.size > 1) charts.push(h('h3', { class: 'chart-grid__title', text: newest.name }));
    for (const d of newest.domains) {
      const points = lines[d.key];
      if (!points?.length) continue;
      const title = fill(words.overTime, { domain: d.name });
      charts.push(
        h(
          'figure',
          { class: 'chart-card', 'data-chart': d.key },
          h('figcaption', { text: title }),
          lineChart({
            title,
            description: fill(words.chartDesc, { domain: d.name }),
            points,
            lowest: newest.lowest,
            highest: newest.highest,
            label: shortDay,
            words,
          }),
        ),
      );
    }
  }
  $('charts').replaceChildren(...charts);
  if (charts.length) {
    $('charts').prepend(
      h(
        'p',
        { class: 'legend' },
        h('span', {}, h('span', { class: 'key key--self' }), ` ${words.self}`),
        h('span', {}, h('span', { class: 'key key--coach' }), ` ${words.coach}`),
      ),
    );
  }
}

// Her own click on "I agree" (or "Stop") on this device is what lets this browser send numbers;
// the page's word that she consents never does (opened.js, mayReport). Her browser signs the
// choice with her identity key before the form goes; the server keeps nothing unsigned.
function watchConsent(identity) {
  const agree = document.querySelector('#consent form[action$="/consent"]');
  const stop = document.querySelector('#consent form[action$="/consent/withdraw"]');
  const signed = (form, kind, text, language, remember) => {
    form?.addEventListener('submit', async (event) => {
      if (form.dataset.signed === 'true') return;
      event.preventDefault();
      const button = form.querySelector('button');
      if (button) button.disabled = true;
      try {
        const programmeId = root.dataset.programme;
        form.elements.statement.value = await signConsent(identity, programmeId, { kind, text: text(), language });
        remember(identity, programmeId);
        form.dataset.signed = 'true';
        form.submit();
      } catch {
        if (button) button.disabled = false;
        say(words.failed);
      }
    });
  };
  const lang = root.dataset.lang;
  signed(agree, 'agree', () => agree.elements.text.value, lang, rememberConsent);
  signed(stop, 'withdraw', () => stop?.dataset.text ?? '', stop?.dataset.language || lang, forgetConsent);
}

async function start() {
  if (!(await requireSupport())) return null;
  say(words.opening, 'info');
  const identity = await loadSession().catch(() => null);
  if (!identity) return say(words.noSession);
  if (her) watchConsent(identity);
  try {
    const listed = await api(`${base}/participants/${root.dataset.participantId}/measurements`);
    if (!listed.ok) return say(listed.data?.error?.message ?? words.network);
    const opened = await openPortfolio(identity, root.dataset.programme, root.dataset.participantId);
    const client = opened.client;
    if (!client || !opened.ready) return say(words.waiting);
    // She agreed on another phone (or before phones kept it): this phone sends nothing until she
    // says here that it may.
    const here = $('consent-this-phone');
    const consent = { consenting: root.dataset.consenting === 'true', statement: root.dataset.statement || null };
    const served = her ? await servedConsent(client, consent.statement) : null;
    if (her && here && consent.consenting && served?.kind === 'agree' && !(await mayReport(client, consent))) {
      here.hidden = false;
      $('consent-here').addEventListener('click', () => {
        rememberConsent(identity, root.dataset.programme);
        window.location.reload();
      });
    }
    const cache = new Map();
    const drawn = [];
    let broken = false;
    for (const m of listed.data) {
      const instrument = await definitionOf(cache, m.instrument_key, m.instrument_version);
      if (!instrument) continue;
      const sides = await openSides(client, m, instrument);
      broken ||= sides.broken;
      if (her) await reportMissing(base, m, sides, client, consent);
      if (sides.self || sides.coach) drawn.push({ at: m.opened_at, instrument, self: sides.self, coach: sides.coach });
    }
    say(broken ? words.cannotOpen : drawn.length ? '' : words.nothing, broken ? 'warning' : 'info');
    const bridges = drawn.filter((m) => m.instrument.key === BRIDGE);
    if (bridges.length) drawBridge(bridges[bridges.length - 1]);
    drawCharts(drawn);
    const print = $('print');
    if (drawn.length) {
      print.hidden = false;
      print.addEventListener('click', () => window.print());
    }
    root.dataset.ready = 'true';
  } catch (error) {
    say(error?.status ? error.message : words.failed);
  }
  return null;
}

start();
