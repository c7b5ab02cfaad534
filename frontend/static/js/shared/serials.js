// The serial of a record a staff browser signs (docs/crypto-spec.md 8): members' browsers take
// the record with the higher serial and refuse one older than they saw, so a serial the server
// could make low would let it serve an older record (naming someone staff removed) over the new
// one. The serial is therefore never the server's to choose: it is above the last record this
// browser verified and above any serial this session saw, and at least the seconds since
// 1970 (UTC), so a record signed now is above every record signed before, even one the server
// withholds from this browser. The server's own "next serial" (a hint in the page) is taken only
// to go higher, and only within reason (a huge one would leave no room for the next: a lock-out).

import { RecordKind, b64uDecode, verifyRecord } from '../crypto/index.js';

const HINT_CEILING = 2 ** 50;

export function nextSerial({ verified = 0, seen = 0, hint = 0, now = Date.now() } = {}) {
  const known = (value) => (Number.isSafeInteger(value) && value >= 0 ? value : 0);
  const usableHint = Number.isSafeInteger(hint) && hint > 0 && hint < HINT_CEILING ? hint : 0;
  const serial = Math.max(known(verified) + 1, known(seen) + 1, usableHint, Math.floor(now / 1000));
  if (!Number.isSafeInteger(serial)) throw new RangeError('no serial left');
  return serial;
}

// The next duty roster's serial (js/programmes/roster.js): above the roster in force as this
// browser verifies it (its serial raises the session's mark, as a participant's browser does)
// and above any this session saw. A roster the server withholds cannot be told from one that
// has ended; the time-based floor keeps the new roster above it all the same.
export async function rosterSerial({ api, programmePublic, programmeId, marks, hint = 0, now = Date.now() }) {
  const mark = `roster:${programmeId}`;
  let verified = 0;
  const served = await api(`/api/v1/chat/programmes/${programmeId}/rosters/current`);
  if (served.ok && served.data?.signed_record) {
    try {
      const record = await verifyRecord(b64uDecode(served.data.signed_record), programmePublic, RecordKind.DUTY_ROSTER);
      if (record.programmeId === programmeId) verified = record.serial;
    } catch {
      verified = 0; // one that does not verify carries nothing over
    }
  }
  if (verified) await marks.raise({ [`serial:${mark}`]: verified });
  const seen = (await marks.load())[`serial:${mark}`] ?? 0;
  return nextSerial({ verified, seen, hint, now });
}
