// An application's letter, sealed in her browser to the readers of a programme's intake team.
// She has no keys of her own: a random letter key, the letter in a SecretBox (purpose 0x07) under
// it, the letter key sealed to each reader the verified intake team record (kind 0x06) names
// (SealedBox purpose 0x06); both bound to the programme and the application (docs/crypto-spec.md 8.1).

import { SealedPurpose, SecretPurpose, openSecret, sealSecret, sealTo } from './boxes.js';
import { Reader, Writer, checkId, concat, equalBytes } from './encoding.js';
import { refuseUnless, refusing } from './errors.js';
import { KEY_BYTES, KEY_ID_BYTES, draw, keyId, systemRng } from './primitives.js';

const TAG_SECRET_BOX = 0x02;
// Letters are short; the server refuses more than this too.
export const MAX_LETTER_BYTES = 16384;

function context(programmeId, applicationId) {
  return new Writer().str16(checkId(programmeId)).str16(checkId(applicationId)).getValue();
}

function keyContext(letterKeyId, programmeId, applicationId, readerId) {
  return concat(letterKeyId, context(programmeId, applicationId), new Writer().str16(checkId(readerId)).getValue());
}

// readers: Person[] (each checked against the verified record by the caller).
// Returns { letter, keys: { [userId]: sealed letter key } }.
export const sealIntakeLetter = refusing(async (readers, { programmeId, applicationId, plaintext, rng = systemRng }) => {
  refuseUnless(readers.length > 0 && plaintext.length > 0 && plaintext.length <= MAX_LETTER_BYTES);
  refuseUnless(new Set(readers.map((r) => r.userId)).size === readers.length);
  const letterKey = await draw(rng, KEY_BYTES);
  const letter = await sealSecret(letterKey, SecretPurpose.INTAKE_LETTER, plaintext, context(programmeId, applicationId), {
    rng,
  });
  const letterKeyId = await keyId(letterKey);
  const keys = {};
  for (const reader of readers) {
    keys[reader.userId] = await sealTo(
      reader.x25519Public,
      SealedPurpose.INTAKE_LETTER_KEY,
      letterKey,
      keyContext(letterKeyId, programmeId, applicationId, reader.userId),
      { rng },
    );
  }
  return { letter, keys };
});

export const intakeLetterKeyId = refusing(async (letter) => {
  const reader = new Reader(letter, TAG_SECRET_BOX);
  refuseUnless(reader.u8() === SecretPurpose.INTAKE_LETTER);
  return reader.raw(KEY_ID_BYTES);
});

// reader: the staff member's Identity.
export const openIntakeLetter = refusing(async (letter, sealedKey, reader, { programmeId, applicationId }) => {
  const letterKeyId = await intakeLetterKeyId(letter);
  const letterKey = await reader.openSealed(
    sealedKey,
    SealedPurpose.INTAKE_LETTER_KEY,
    keyContext(letterKeyId, programmeId, applicationId, reader.userId),
  );
  refuseUnless(equalBytes(await keyId(letterKey), letterKeyId));
  const plaintext = await openSecret(letter, letterKey, SecretPurpose.INTAKE_LETTER, context(programmeId, applicationId));
  refuseUnless(plaintext.length > 0 && plaintext.length <= MAX_LETTER_BYTES);
  return plaintext;
});
