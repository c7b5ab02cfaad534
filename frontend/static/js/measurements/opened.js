// Opening the sides of measurements with her portfolio's keys, and reporting the numbers when she
// consents. Shared by the measurement page and her growth page.

import { api, openRow } from '../modules/sealed.js';
import { checkedSide, reportedNumbers } from './scores.js';

// The opened, checked value of each side the server gave us: { self, coach } (null where it is
// not there, withheld, or does not open). Who wrote a side is this browser's decision, never the
// server's: the self side only from the participant of the portfolio her own browser opened (her
// root), under the key this browser trusts for her; the coach side only from a coach in a signed
// assignment this browser verified and that holds now (the portfolio's rule of who counts), under
// the key that assignment names. Any other side is "could not be opened".
export async function openSides(client, measurement, instrument) {
  const found = { self: null, coach: null, broken: false };
  const herId = client.portfolio?.participant_id;
  const counting = client.counting ?? new Map();
  const her = herId && counting.has(herId) ? new Map([[herId, counting.get(herId)]]) : new Map();
  const coaches = new Map([...(client.coaches ?? new Map())].filter(([id]) => id !== herId));
  const hers = Boolean(herId) && measurement.participant_id === herId;
  for (const side of measurement.sides) {
    if (!side.envelope) continue;
    const value = hers
      ? await openRow(client, {
          id: side.id,
          authorId: side.author_id,
          envelope: side.envelope,
          authors: side.side === 'self' ? her : side.side === 'coach' ? coaches : new Map(),
        })
      : null;
    const checked = checkedSide(value, { measurementId: measurement.id, side: side.side, instrument });
    if (checked) found[side.side] = checked;
    else found.broken = true;
  }
  return found;
}

// With her consent, send the numbers (never the notes) of the sides she can read that were not
// sent yet; the server checks them against the instrument version once more.
export async function reportMissing(base, measurement, opened) {
  for (const side of ['self', 'coach']) {
    if (!opened[side] || measurement.reported_sides.includes(side)) continue;
    if (side === 'coach' && !measurement.both_submitted) continue;
    await api(`${base}/measurements/${measurement.id}/reported`, { side, scores: reportedNumbers(opened[side]) });
  }
}

// A definition in the page's language, as the charts and the comparison need it.
export function localised(definition, language) {
  const local = (texts) => texts?.[language] ?? texts?.nl ?? Object.values(texts ?? {})[0] ?? '';
  return {
    key: definition.key,
    version: definition.version,
    name: local(definition.name),
    lowest: definition.levels[0].value,
    highest: definition.levels[definition.levels.length - 1].value,
    domains: definition.domains.map((d) => ({ key: d.key, name: local(d.name) })),
  };
}
