// What her letter holds once opened. Since version 1 her browser seals her name and contact inside
// the letter with its text, as JSON {"v": 1, "name", "contact", "letter"}, so that a staff
// browser can compare them with the name and contact the server shows beside it: the server keeps
// those in plaintext (staff must reach her) and could pair her letter with another contact
// (docs/security.md). A letter from before holds only its text (UTF-8) and is shown as it is,
// with nothing to compare. The sealing itself (docs/crypto-spec.md 8.1) is the same for both.

import { openIntakeLetter } from '../crypto/index.js';

export const LETTER_VERSION = 1;

// Her browser: the plaintext to seal.
export function encodeLetter({ name, contact, letter }) {
  return new TextEncoder().encode(JSON.stringify({ v: LETTER_VERSION, name, contact, letter }));
}

// A staff browser: { text, name, contact } (name and contact null for a letter from before).
export function readLetter(plaintext) {
  const text = new TextDecoder().decode(plaintext);
  if (text.startsWith('{')) {
    try {
      const inner = JSON.parse(text);
      if (
        inner !== null &&
        inner.v === LETTER_VERSION &&
        typeof inner.name === 'string' &&
        typeof inner.contact === 'string' &&
        typeof inner.letter === 'string'
      ) {
        return { text: inner.letter, name: inner.name, contact: inner.contact };
      }
    } catch {
      // not ours: a letter from before that starts with a brace
    }
  }
  return { text, name: null, contact: null };
}

function same(a, b) {
  return String(a ?? '').trim().normalize('NFC') === String(b ?? '').trim().normalize('NFC');
}

// Whether the name or contact the page shows is not the one sealed in the letter. A letter from
// before has none to compare, so it never differs.
export function differsFromShown(opened, shown) {
  if (opened.name === null) return false;
  return !same(opened.name, shown.name) || !same(opened.contact, shown.contact);
}

// served: the JSON of GET .../applications/{id}; reader: her Identity; shown: { name, contact }
// as the page shows them. Returns { text, mismatch }.
export async function openServedLetter(served, reader, shown, decode) {
  const plaintext = await openIntakeLetter(decode(served.letter), decode(served.sealed_key), reader, {
    programmeId: served.programme_id,
    applicationId: served.application_id,
  });
  const opened = readLetter(plaintext);
  return { text: opened.text, mismatch: differsFromShown(opened, shown) };
}
