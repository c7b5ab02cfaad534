// The duty roster as staff describe it (frontend/static/js/programmes/roster-shifts.js, the file the
// browser is served): a week of time blocks plus exceptions becomes shifts in the programme's local
// time, with the same seconds the server computes from those local times (Python's zoneinfo,
// fold=0) - otherwise the server refuses the signed roster as "not what was sent".

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { RosterProblem, dayOf, expand, localToEpoch, weekGaps, zoneOffsets } from '../../../frontend/static/js/programmes/roster-shifts.js';

const AMSTERDAM = zoneOffsets('Europe/Amsterdam');
const WORDS = {
  noDates: 'no dates',
  tooLong: 'too long',
  noBlocks: 'no blocks',
  nobody: 'block %(num)s nobody',
  noDays: 'block %(num)s no days',
  badTime: 'block %(num)s bad time',
  endBeforeStart: 'block %(num)s ends before it starts',
  badException: 'exception %(num)s outside',
  tooMany: 'too many',
  overlap: 'overlap on %(day)s (%(name)s)',
  dutyCoach: 'coach',
  dutySupervisor: 'second line',
};
const ALL_DAYS = [0, 1, 2, 3, 4, 5, 6];

function block(fields) {
  return { number: 1, days: ALL_DAYS, start: 8 * 60, end: 20 * 60, nextDay: false, coach: '', supervisor: '', ...fields };
}

test('local times become the seconds the server computes, across daylight saving changes', () => {
  // Values from Python: int(datetime(...).replace(tzinfo=ZoneInfo('Europe/Amsterdam')).timestamp())
  assert.equal(localToEpoch(AMSTERDAM, dayOf('2026-12-07'), 8 * 60), 1796626800);
  assert.equal(localToEpoch(AMSTERDAM, dayOf('2026-03-29'), 0), 1774738800);
  assert.equal(localToEpoch(AMSTERDAM, dayOf('2026-03-30'), 0), 1774821600);
  // 02:30 does not exist on 29 March (clocks go forward) and happens twice on 25 October.
  assert.equal(localToEpoch(AMSTERDAM, dayOf('2026-03-29'), 150), 1774747800);
  assert.equal(localToEpoch(AMSTERDAM, dayOf('2026-10-25'), 150), 1792888200);
  assert.equal(localToEpoch(zoneOffsets('America/Curacao'), dayOf('2026-12-07'), 20 * 60), 1796688000);
});

test('a week of blocks with a night block and a holiday becomes shifts in local time', () => {
  const { shifts, validFrom, validUntil } = expand(
    {
      from: dayOf('2026-12-07'), // a Monday
      until: dayOf('2026-12-13'),
      blocks: [
        block({ days: [0, 1, 2, 3, 4], start: 8 * 60, end: 17 * 60, coach: 'chantal', supervisor: 'bianca' }),
        block({ number: 2, start: 17 * 60, end: 8 * 60, nextDay: true, coach: 'giselle' }),
      ],
      exceptions: [
        { number: 1, day: dayOf('2026-12-09'), coach: 'giselle', supervisor: '' },
        { number: 2, day: dayOf('2026-12-12'), coach: '', supervisor: 'same' },
      ],
      offsetAt: AMSTERDAM,
    },
    WORDS,
  );
  const monday = shifts.filter((s) => s.startsAt.startsWith('2026-12-07'));
  assert.deepEqual(
    monday.map((s) => [s.personId, s.duty, s.startsAt, s.endsAt]),
    [
      ['chantal', 'coach', '2026-12-07T08:00:00', '2026-12-07T17:00:00'],
      ['bianca', 'supervisor', '2026-12-07T08:00:00', '2026-12-07T17:00:00'],
      ['giselle', 'coach', '2026-12-07T17:00:00', '2026-12-08T08:00:00'],
    ],
  );
  assert.equal(monday[0].start, 1796626800);
  assert.equal(monday[2].until - monday[2].start, 15 * 3600);
  // Wednesday: another coach and no second line; Saturday: nobody as coach at night.
  const wednesday = shifts.filter((s) => s.startsAt.startsWith('2026-12-09'));
  assert.deepEqual(
    wednesday.map((s) => [s.personId, s.duty]),
    [
      ['giselle', 'coach'],
      ['giselle', 'coach'],
    ],
  );
  assert.equal(shifts.filter((s) => s.startsAt.startsWith('2026-12-12')).length, 0);
  // Weekend days have only the night block.
  assert.equal(shifts.filter((s) => s.startsAt.startsWith('2026-12-13')).length, 1);
  assert.equal(validFrom, localToEpoch(AMSTERDAM, dayOf('2026-12-07'), 0));
  assert.equal(validUntil, localToEpoch(AMSTERDAM, dayOf('2026-12-14'), 8 * 60), 'the last night shift is inside');
});

test('mistakes are named so staff can put them right', () => {
  const base = { from: dayOf('2026-12-07'), until: dayOf('2026-12-13'), exceptions: [], offsetAt: AMSTERDAM };
  const problem = (fields) => {
    try {
      expand({ ...base, ...fields }, WORDS);
    } catch (error) {
      assert.ok(error instanceof RosterProblem);
      return error.message;
    }
    return null;
  };
  assert.equal(problem({ blocks: [block({ coach: 'a', start: 17 * 60, end: 8 * 60 })] }), 'block 1 ends before it starts');
  assert.equal(
    problem({ blocks: [block({ coach: 'a' }), block({ number: 2, coach: 'b', start: 12 * 60, end: 14 * 60 })] }),
    'overlap on 2026-12-07 12:00 (coach)',
  );
  assert.equal(problem({ blocks: [block({})] }), 'no blocks');
  assert.equal(problem({ blocks: [block({ coach: 'a', days: [] })] }), 'block 1 no days');
  assert.equal(problem({ blocks: [block({ coach: 'a' })], until: dayOf('2026-12-01') }), 'no dates');
  assert.equal(problem({ blocks: [block({ coach: 'a' })], until: dayOf('2027-06-01') }), 'too long');
  assert.equal(
    problem({ blocks: [block({ coach: 'a' })], exceptions: [{ number: 1, day: dayOf('2027-01-01'), coach: '', supervisor: '' }] }),
    'exception 1 outside',
  );
  // A coach and a second line at the same time is no overlap.
  assert.equal(problem({ blocks: [block({ coach: 'a', supervisor: 'b' })] }), null);
});

test('weekGaps lists the times nobody is on duty, across the end of the week', () => {
  const days = [0, 1, 2, 3, 4];
  const gaps = weekGaps([
    block({ days, start: 8 * 60, end: 17 * 60, coach: 'c' }),
    block({ days, start: 17 * 60, end: 8 * 60, nextDay: true, supervisor: 's' }),
  ]);
  // Mon 08:00 to Sat 08:00 covered: the weekend (Sat 08:00 to Mon 08:00) is one gap.
  assert.deepEqual(gaps, [{ fromDay: 5, fromMinute: 8 * 60, untilDay: 0, untilMinute: 8 * 60 }]);
  assert.deepEqual(weekGaps([block({ days: ALL_DAYS, start: 0, end: 0, nextDay: true, coach: 'c' })]), []);
  const nobody = weekGaps([block({ days: ALL_DAYS, start: 8 * 60, end: 20 * 60 })]);
  assert.equal(nobody.length, 1);
  assert.equal(nobody[0].always, true, 'a block with nobody chosen covers nothing');
  const evenings = weekGaps([block({ days: ALL_DAYS, start: 8 * 60, end: 20 * 60, coach: 'c' })]);
  assert.equal(evenings.length, 7);
  assert.deepEqual(evenings[0], { fromDay: 0, fromMinute: 20 * 60, untilDay: 1, untilMinute: 8 * 60 });
});
