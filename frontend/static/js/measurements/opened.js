// Opening the sides of measurements with her portfolio's keys, and reporting the numbers when she
// consents. Shared by the measurement page and her growth page.

import { b64uDecode, b64uEncode, signScoreConsent, verifyScoreConsent } from '../crypto/index.js';
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

// Whether her consent to report lives on this device: written only when she herself clicks
// "I agree" on this device (never from what the page or the server says), removed when she
// clicks "Stop". Keyed by her own user id and the programme.
const consentKey = (userId, programmeId) => `eportfolio:score-consent:${programmeId}:${userId}`;

function storageOf(storage) {
  try {
    return storage ?? globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

export function rememberConsent(identity, programmeId, { storage = null, at = Date.now() } = {}) {
  storageOf(storage)?.setItem(consentKey(identity.userId, programmeId), JSON.stringify({ at }));
}

export function forgetConsent(identity, programmeId, { storage = null } = {}) {
  storageOf(storage)?.removeItem(consentKey(identity.userId, programmeId));
}

// The newest consent statement of hers this device signed or was served and verified:
// { serial, kind }. A served statement older than it (a server replaying her old 'agree' after
// she withdrew, here or on another phone whose 'withdraw' this device saw) sends nothing.
const seenKey = (userId, programmeId) => `eportfolio:score-consent-seen:${programmeId}:${userId}`;

export function newestSeen(identity, programmeId, { storage = null } = {}) {
  try {
    const seen = JSON.parse(storageOf(storage)?.getItem(seenKey(identity.userId, programmeId)) ?? 'null');
    return seen && Number.isSafeInteger(seen.serial) && ['agree', 'withdraw'].includes(seen.kind) ? seen : null;
  } catch {
    return null;
  }
}

// Keep `statement` as the newest seen if it is newer than the one kept (a 'withdraw' wins a tie).
export function noteSeen(identity, programmeId, statement, { storage = null } = {}) {
  const seen = newestSeen(identity, programmeId, { storage });
  const newer =
    !seen || statement.serial > seen.serial || (statement.serial === seen.serial && statement.kind === 'withdraw');
  if (!newer) return;
  try {
    storageOf(storage)?.setItem(
      seenKey(identity.userId, programmeId),
      JSON.stringify({ serial: statement.serial, kind: statement.kind }),
    );
  } catch {
    // No storage on this device: the served statement alone decides, still signed by her.
  }
}

// Her signed 'agree' or 'withdraw' (crypto/consent.js), base64url for the form. The serial is
// the time in milliseconds, and always above the newest statement this device saw, so the
// server keeps it as her newest word.
export async function signConsent(identity, programmeId, { kind, text, language, storage = null, now = Date.now() }) {
  const seen = newestSeen(identity, programmeId, { storage });
  const serial = Math.max(Math.floor(now), (seen?.serial ?? 0) + 1);
  const data = await signScoreConsent(identity, { programmeId, kind, text, language, serial });
  noteSeen(identity, programmeId, { serial, kind }, { storage });
  return b64uEncode(data);
}

// The served statement, verified with her own key as this browser holds it (never a key the
// server names): for this programme and her, and noted as seen. Null when it does not verify.
export async function servedConsent(client, statement, { storage = null } = {}) {
  const identity = client?.identity;
  if (!identity || !statement) return null;
  try {
    const checked = await verifyScoreConsent(b64uDecode(statement), identity.person.ed25519Public);
    if (checked.programmeId !== client.programmeId || checked.personId !== identity.userId) return null;
    noteSeen(identity, client.programmeId, checked, { storage });
    return checked;
  } catch {
    return null;
  }
}

// Her browser reports only (1) in her own browser: the signed-in identity is the participant of
// the portfolio it opened from her own root ("mine"), never a coach's browser; (2) when she
// agreed on this device herself; (3) while the server still says she consents (the server
// can stop reporting, never start it); and (4) when the server serves her own signed 'agree',
// verified with her key, no older than the newest statement this device signed or saw. The
// page's flags alone never send a number.
export async function mayReport(client, { consenting, statement = null, storage = null } = {}) {
  if (!client?.owner || !client.portfolio || client.portfolio.participant_id !== client.identity?.userId) return false;
  const served = await servedConsent(client, statement, { storage });
  if (consenting !== true || !served || served.kind !== 'agree') return false;
  const seen = newestSeen(client.identity, client.programmeId, { storage });
  if (seen && (served.serial < seen.serial || (served.serial === seen.serial && seen.kind !== 'agree'))) return false;
  try {
    return Boolean(storageOf(storage)?.getItem(consentKey(client.identity.userId, client.programmeId)));
  } catch {
    return false;
  }
}

// With her consent, send the numbers (never the notes) of the sides she can read that were not
// sent yet; the server checks them against the instrument version once more.
export async function reportMissing(
  base,
  measurement,
  opened,
  client,
  { consenting = false, statement = null, storage = null } = {},
) {
  if (!(await mayReport(client, { consenting, statement, storage }))) return;
  if (measurement.participant_id !== client.portfolio.participant_id) return;
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
