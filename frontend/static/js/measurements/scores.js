// Scores as her browser checks and compares them, without the page: what a side holds once it is
// opened, the checks before it is sealed (every part of this instrument version scored once, on
// its scale, no part it lacks), the difference per part, and the series the charts draw.
// Pure functions, so that Node tests them with the files the browser is served.

export const NOTE_MAX = 1000;

// Problems with a side about to be sealed: [{ domain, problem, ... }]; empty when it is fine.
// `instrument` is { lowest, highest, domains: [{ key }] }.
export function scoreProblems(instrument, scores, notes = {}) {
  const problems = [];
  const keys = instrument.domains.map((d) => d.key);
  for (const key of Object.keys(scores)) {
    if (!keys.includes(key)) problems.push({ domain: key, problem: 'unknown-domain' });
  }
  for (const key of Object.keys(notes)) {
    if (!keys.includes(key)) problems.push({ domain: key, problem: 'unknown-domain' });
    else if (String(notes[key]).length > NOTE_MAX) problems.push({ domain: key, problem: 'too-long' });
  }
  for (const key of keys) {
    const value = scores[key];
    if (value === undefined || value === null || value === '') problems.push({ domain: key, problem: 'missing' });
    else if (!Number.isInteger(value) || value < instrument.lowest || value > instrument.highest) {
      problems.push({ domain: key, problem: 'out-of-scale', lowest: instrument.lowest, highest: instrument.highest });
    }
  }
  return problems;
}

// What is sealed for one side: bound to its measurement, side and instrument version, so that a
// side moved to another measurement by the server does not open as if it belonged there.
export function sideValue({ measurementId, side, instrument, scores, notes }) {
  const kept = {};
  for (const [key, text] of Object.entries(notes ?? {})) {
    const trimmed = String(text).trim();
    if (trimmed) kept[key] = trimmed;
  }
  return {
    v: 1,
    measurement: measurementId,
    side,
    instrument: { key: instrument.key, version: instrument.version },
    scores: { ...scores },
    notes: kept,
  };
}

// An opened side, if it is one of this measurement, this side and this instrument version and
// its scores pass the checks; else null (shown as "could not be opened").
export function checkedSide(value, { measurementId, side, instrument }) {
  if (!value || value.v !== 1 || value.measurement !== measurementId || value.side !== side) return null;
  if (value.instrument?.key !== instrument.key || value.instrument?.version !== instrument.version) return null;
  if (typeof value.scores !== 'object' || value.scores === null) return null;
  if (scoreProblems(instrument, value.scores, value.notes ?? {}).length) return null;
  return value;
}

// Per part: both scores and the difference (coach minus self); `same` when they agree.
export function compare(instrument, self, coach) {
  return instrument.domains.map((d) => {
    const a = self?.scores?.[d.key] ?? null;
    const b = coach?.scores?.[d.key] ?? null;
    const difference = a === null || b === null ? null : b - a;
    return {
      key: d.key,
      self: a,
      coach: b,
      difference,
      same: difference === 0,
      selfNote: self?.notes?.[d.key] ?? '',
      coachNote: coach?.notes?.[d.key] ?? '',
    };
  });
}

// Points over time for each part key: { key: [{ at, self, coach }] }, oldest first. `opened` is
// [{ at, instrument, self, coach }] with opened (checked) sides; parts are matched by key across
// versions of one instrument, so a newer version keeps the line going where a part stayed.
export function series(opened) {
  const lines = {};
  const sorted = [...opened].sort((x, y) => String(x.at).localeCompare(String(y.at)));
  for (const m of sorted) {
    for (const d of m.instrument.domains) {
      const self = m.self?.scores?.[d.key] ?? null;
      const coach = m.coach?.scores?.[d.key] ?? null;
      if (self === null && coach === null) continue;
      (lines[d.key] ??= []).push({ at: m.at, self, coach });
    }
  }
  return lines;
}

// The numbers that go out for reporting: the scores only, never the notes.
export function reportedNumbers(value) {
  return { ...value.scores };
}
