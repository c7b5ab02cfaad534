// The duty roster's week pattern and exceptions as shifts (js/programmes/roster.js; tested in
// tests/crypto/js/roster.test.mjs). No DOM here: the page reads its form and passes the words.

const DAY_MS = 24 * 3600 * 1000;
const MAX_DAYS = 13 * 7;
const MAX_SHIFTS = 2000;

// A roster that cannot be made as it stands; the message is for her.
export class RosterProblem extends Error {}

export function say(template, params = {}) {
  return (template ?? '').replace(/%\((\w+)\)s/g, (_, key) => String(params[key] ?? ''));
}

// Time in the programme's zone ---------------------------------------------------------------

const two = (n) => String(n).padStart(2, '0');

export function zoneOffsets(zone) {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  // The zone's offset (ms) at an instant.
  return (instant) => {
    const p = Object.fromEntries(format.formatToParts(new Date(instant)).map((x) => [x.type, x.value]));
    return Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second)) - instant;
  };
}

// A wall-clock time of the programme as seconds since the epoch, as the server reads it (Python's
// zoneinfo with fold=0: an hour that happens twice counts the first time; an hour skipped in
// spring counts with the offset before the change).
export function localToEpoch(offsetAt, day, minutes) {
  const naive = day + minutes * 60_000;
  const before = offsetAt(naive - DAY_MS);
  const after = offsetAt(naive + DAY_MS);
  const first = naive - before;
  if (offsetAt(first) === before) return first / 1000;
  const second = naive - after;
  if (offsetAt(second) === after) return second / 1000;
  return first / 1000;
}

// A day as ms at 00:00 UTC of that calendar date (only ever used as a calendar date).
export function dayOf(isoDate) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate ?? '');
  if (!match) return null;
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
}

export function isoDay(day) {
  return new Date(day).toISOString().slice(0, 10);
}

export function minutesOf(time) {
  const match = /^(\d{2}):(\d{2})/.exec(time ?? '');
  return match ? Number(match[1]) * 60 + Number(match[2]) : null;
}

function localText(day, minutes) {
  const moment = new Date(day + minutes * 60_000);
  return `${moment.toISOString().slice(0, 10)}T${two(moment.getUTCHours())}:${two(moment.getUTCMinutes())}:00`;
}

// The week and its exceptions as shifts in the programme's local time, checked: what staff see is
// what is signed. Throws RosterProblem with words for her.
export function expand({ from, until, blocks, exceptions, offsetAt }, words) {
  if (from === null || until === null || until < from) throw new RosterProblem(words.noDates);
  if ((until - from) / DAY_MS + 1 > MAX_DAYS) throw new RosterProblem(words.tooLong);
  const useful = blocks.filter((b) => b.coach || b.supervisor);
  if (useful.length === 0) throw new RosterProblem(words.noBlocks);
  for (const block of blocks) {
    if (!block.coach && !block.supervisor) throw new RosterProblem(say(words.nobody, { num: block.number }));
    if (block.days.length === 0) throw new RosterProblem(say(words.noDays, { num: block.number }));
    if (block.start === null || block.end === null) throw new RosterProblem(say(words.badTime, { num: block.number }));
    if (!block.nextDay && block.end <= block.start) {
      throw new RosterProblem(say(words.endBeforeStart, { num: block.number }));
    }
  }
  const special = new Map();
  for (const exception of exceptions) {
    if (exception.day === null || exception.day < from || exception.day > until) {
      throw new RosterProblem(say(words.badException, { num: exception.number }));
    }
    special.set(exception.day, exception);
  }
  const shifts = [];
  for (let day = from; day <= until; day += DAY_MS) {
    const weekday = (new Date(day).getUTCDay() + 6) % 7;
    const exception = special.get(day);
    for (const block of blocks) {
      if (!block.days.includes(weekday)) continue;
      const endMinutes = block.end + (block.nextDay ? 24 * 60 : 0);
      for (const duty of ['coach', 'supervisor']) {
        const person = exception && exception[duty] !== 'same' ? exception[duty] : block[duty];
        if (!person) continue;
        shifts.push({
          personId: person,
          duty,
          startsAt: localText(day, block.start),
          endsAt: localText(day, endMinutes),
          start: localToEpoch(offsetAt, day, block.start),
          until: localToEpoch(offsetAt, day, endMinutes),
          day,
        });
      }
    }
  }
  if (shifts.length > MAX_SHIFTS) throw new RosterProblem(words.tooMany);
  for (const duty of ['coach', 'supervisor']) {
    const mine = shifts.filter((s) => s.duty === duty).sort((a, b) => a.start - b.start);
    let latest = -Infinity;
    for (let i = 0; i < mine.length; i += 1) {
      const overlaps = mine[i].start < latest;
      latest = Math.max(latest, mine[i].until);
      if (overlaps) {
        const label = duty === 'coach' ? words.dutyCoach : words.dutySupervisor;
        throw new RosterProblem(say(words.overlap, { day: `${isoDay(mine[i].day)} ${mine[i].startsAt.slice(11, 16)}`, name: label }));
      }
    }
  }
  const validFrom = localToEpoch(offsetAt, from, 0);
  const validUntil = Math.max(localToEpoch(offsetAt, until + DAY_MS, 0), ...shifts.map((s) => s.until));
  return { shifts, validFrom, validUntil };
}


const WEEK_MINUTES = 7 * 24 * 60;

// The times in the week pattern when nobody is on duty (no coach and no second line), as spans
// {fromDay, fromMinute, untilDay, untilMinute} (day 0 is Monday). The week wraps: a gap from
// Saturday 17:00 to Monday 08:00 is one span. Only blocks with someone chosen count.
export function weekGaps(blocks) {
  const covered = new Array(WEEK_MINUTES).fill(false);
  for (const block of blocks) {
    if ((!block.coach && !block.supervisor) || block.start === null || block.end === null) continue;
    const length = block.end + (block.nextDay ? 24 * 60 : 0) - block.start;
    for (const weekday of block.days) {
      const begin = weekday * 24 * 60 + block.start;
      for (let m = 0; m < length; m += 1) covered[(begin + m) % WEEK_MINUTES] = true;
    }
  }
  if (covered.every(Boolean)) return [];
  if (!covered.some(Boolean)) return [{ fromDay: 0, fromMinute: 0, untilDay: 0, untilMinute: 0, always: true }];
  // Begin at a covered minute just before a gap, so a gap over the week's end is not cut in two.
  let origin = 0;
  while (!(covered[origin] && !covered[(origin + 1) % WEEK_MINUTES])) origin += 1;
  const gaps = [];
  let open = null;
  for (let step = 1; step <= WEEK_MINUTES; step += 1) {
    const minute = (origin + step) % WEEK_MINUTES;
    if (!covered[minute] && open === null) open = minute;
    if (covered[minute] && open !== null) {
      gaps.push({ fromDay: Math.floor(open / 1440), fromMinute: open % 1440, untilDay: Math.floor(minute / 1440), untilMinute: minute % 1440 });
      open = null;
    }
  }
  return gaps.sort((a, b) => a.fromDay * 1440 + a.fromMinute - (b.fromDay * 1440 + b.fromMinute));
}
