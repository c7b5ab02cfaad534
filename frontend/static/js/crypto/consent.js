// Her signed word on reporting her scores: 'agree' or 'withdraw', for one programme, with the
// SHA-256 of the consent text she was shown, its language and a serial (docs/crypto-spec.md).

import { Reader, Writer, checkId, concat, equalBytes, utf8 } from './encoding.js';
import { refuseUnless, refusing, refusingSync } from './errors.js';
import { SIGNATURE_BYTES, sha256, verify } from './primitives.js';

const TAG_SCORE_CONSENT = 0x0f;
const LABEL = 'eportfolio/v1/sig/score-consent';
const KINDS = { 1: 'agree', 2: 'withdraw' };
const CODES = { agree: 1, withdraw: 2 };

// The hash of a consent text as both sides compute it: its trimmed UTF-8.
export const consentTextSha256 = refusing(async (text) => sha256(utf8(String(text).trim())));

function parse(data) {
  const reader = new Reader(data, TAG_SCORE_CONSENT);
  const programmeId = reader.id16();
  const personId = reader.id16();
  const code = reader.u8();
  const textSha256 = reader.raw(32);
  const language = reader.id16();
  const serial = reader.u64();
  const signerPublic = reader.raw(32);
  const signed = reader.consumed();
  const signature = reader.raw(SIGNATURE_BYTES);
  reader.end();
  refuseUnless(code in KINDS && Number.isSafeInteger(serial) && serial >= 1 && language.length <= 8);
  return {
    statement: { programmeId, personId, kind: KINDS[code], textSha256, language, serial, signerPublic },
    signed,
    signature,
  };
}

// Signed by her own identity key: she agrees ('agree') or stops ('withdraw').
export const signScoreConsent = refusing(async (signer, { programmeId, kind, text, language, serial }) => {
  refuseUnless(kind in CODES);
  const signed = new Writer(TAG_SCORE_CONSENT)
    .str16(checkId(programmeId))
    .str16(checkId(signer.userId))
    .u8(CODES[kind])
    .raw(await consentTextSha256(text), 32)
    .str16(checkId(language))
    .u64(serial)
    .raw(signer.person.ed25519Public, 32)
    .getValue();
  parse(concat(signed, new Uint8Array(SIGNATURE_BYTES))); // the same checks a reader makes
  return concat(signed, await signer.sign(LABEL, signed));
});

// The fields, no trust implied.
export const readScoreConsent = refusingSync((data) => parse(data).statement);

// Check the signature against her Ed25519 key (the one the caller trusts for her).
export const verifyScoreConsent = refusing(async (data, herPublic) => {
  const { statement, signed, signature } = parse(data);
  refuseUnless(equalBytes(statement.signerPublic, herPublic));
  await verify(herPublic, LABEL, signed, signature);
  return statement;
});
