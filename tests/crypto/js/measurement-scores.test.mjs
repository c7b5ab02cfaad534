// Her browser's checks of a score before it is sealed, and what it compares and reports after.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  checkedSide,
  compare,
  reportedNumbers,
  scoreProblems,
  series,
  sideValue,
} from '../../../frontend/static/js/measurements/scores.js';

const bridge = {
  key: 'bridge-to-self-sufficiency',
  version: 1,
  lowest: 1,
  highest: 5,
  domains: [{ key: 'well-being' }, { key: 'children' }],
};

test('a score outside the scale or for a part the version lacks is refused', () => {
  assert.deepEqual(scoreProblems(bridge, { 'well-being': 3, children: 5 }), []);
  assert.deepEqual(scoreProblems(bridge, { 'well-being': 6, children: 1 })[0], {
    domain: 'well-being', problem: 'out-of-scale', lowest: 1, highest: 5,
  });
  assert.equal(scoreProblems(bridge, { 'well-being': 0, children: 1 })[0].problem, 'out-of-scale');
  assert.equal(scoreProblems(bridge, { 'well-being': 2.5, children: 1 })[0].problem, 'out-of-scale');
  assert.deepEqual(scoreProblems(bridge, { 'well-being': 2, children: 1, dreams: 3 }), [
    { domain: 'dreams', problem: 'unknown-domain' },
  ]);
  assert.deepEqual(scoreProblems(bridge, { 'well-being': 2 }), [{ domain: 'children', problem: 'missing' }]);
  assert.equal(scoreProblems(bridge, { 'well-being': 2, children: 1 }, { children: 'x'.repeat(1001) })[0].problem, 'too-long');
});

test('an opened side must belong to this measurement, side and instrument version', () => {
  const value = sideValue({
    measurementId: 'm1', side: 'self', instrument: bridge,
    scores: { 'well-being': 2, children: 4 }, notes: { children: '  Gaat goed  ', 'well-being': ' ' },
  });
  assert.deepEqual(value.notes, { children: 'Gaat goed' });
  const where = { measurementId: 'm1', side: 'self', instrument: bridge };
  assert.equal(checkedSide(value, where), value);
  assert.equal(checkedSide(value, { ...where, measurementId: 'm2' }), null);
  assert.equal(checkedSide(value, { ...where, side: 'coach' }), null);
  assert.equal(checkedSide(value, { ...where, instrument: { ...bridge, version: 2 } }), null);
  assert.equal(checkedSide({ ...value, scores: { 'well-being': 9, children: 4 } }, where), null);
});

test('the difference per part, highlighted where they differ', () => {
  const self = { scores: { 'well-being': 2, children: 4 }, notes: { children: 'Mijn zoon slaapt goed' } };
  const coach = { scores: { 'well-being': 3, children: 4 }, notes: {} };
  const rows = compare(bridge, self, coach);
  assert.deepEqual(rows.map((r) => [r.key, r.difference, r.same]), [['well-being', 1, false], ['children', 0, true]]);
  assert.equal(rows[1].selfNote, 'Mijn zoon slaapt goed');
});

test('lines over time follow each part across measurements, oldest first; reports carry no notes', () => {
  const lines = series([
    { at: '2026-06-01', instrument: bridge, self: { scores: { 'well-being': 3, children: 3 } }, coach: null },
    { at: '2026-01-01', instrument: bridge, self: { scores: { 'well-being': 1, children: 2 } }, coach: { scores: { 'well-being': 2, children: 2 } } },
  ]);
  assert.deepEqual(lines['well-being'], [
    { at: '2026-01-01', self: 1, coach: 2 },
    { at: '2026-06-01', self: 3, coach: null },
  ]);
  assert.deepEqual(reportedNumbers({ scores: { children: 4 }, notes: { children: 'geheim' } }), { children: 4 });
});
