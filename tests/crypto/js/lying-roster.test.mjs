// The duty roster's own signed dates bound every shift in it (frontend/static/js/chat/keys.js): a
// shift after the roster ends is nobody's "next" shift, so nobody gets her key for it now; a shift
// that ends before it starts is none; a shift that runs past the roster's end ends with it.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ConversationKeys, onDuty } from '../../../frontend/static/js/chat/keys.js';
import { NOW, PROGRAMME, identity } from './lying-harness.mjs';

const HOUR = 3600;

test('shifts outside the signed roster are not on duty now or next', async () => {
  const her = await identity('her.r', 'her');
  const keys = new ConversationKeys(her, PROGRAMME);
  const entry = (personId, start, until) => ({ personId, fingerprint: new Uint8Array(15), duty: 1, start, until });
  const body = {
    validFrom: NOW - 2 * HOUR,
    validUntil: NOW + 10 * HOUR,
    entries: [
      entry('coach-now', NOW - HOUR, NOW + 20 * HOUR), // runs past the roster's end
      entry('coach-next-year', NOW + 365 * 24 * HOUR, NOW + 366 * 24 * HOUR), // after the roster ends
      entry('coach-backwards', NOW - HOUR, NOW - 2 * HOUR), // ends before it starts
    ],
  };
  keys.roster = async () => ({ body });
  const entries = await keys.rosterEntries();
  assert.deepEqual(
    entries.map((e) => [e.personId, e.until]),
    [['coach-now', NOW + 10 * HOUR]],
    'only the shift within the roster, and only until the roster ends',
  );
  // "next" without the shift after the roster: nobody next, rather than someone a year away.
  assert.deepEqual(onDuty(entries, NOW).map((e) => e.personId), ['coach-now']);
  // After the roster's end nobody is on duty by it (the roster itself is refused then as well).
  assert.deepEqual(onDuty(entries, NOW + 11 * HOUR), []);
});
