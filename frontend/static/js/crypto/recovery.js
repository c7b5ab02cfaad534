// The recovery code: 128 random bits shown once, with a typing check, and what derives from it.

import { CROCKFORD, bigintFromBytes, bytesFromBigint } from './encoding.js';
import { refuseUnless, refusing } from './errors.js';
import { AUTH_RECOVERY, encodeAuthProof } from './kdf.js';
import { KEY_BYTES, draw, hkdf, systemRng } from './primitives.js';

const CODE_BYTES = 16;
const DATA_SYMBOLS = 26;
const CODE_CHARS = 28;

// GF(32) with the primitive polynomial x^5 + x^2 + 1; alpha = 2.
const EXP = new Array(62).fill(0);
const LOG = new Array(32).fill(0);
{
  let value = 1;
  for (let power = 0; power < 31; power += 1) {
    EXP[power] = value;
    EXP[power + 31] = value;
    LOG[value] = power;
    value <<= 1;
    if (value & 32) value ^= 0b100101;
  }
}
const ALPHA = 2;
// g(x) = (x - alpha)(x - alpha^2) = x^2 + (alpha + alpha^2) x + alpha^3
const G1 = ALPHA ^ 4;
const G0 = 8;

function mul(a, b) {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a] + LOG[b]];
}

// Two Reed-Solomon check symbols: every single typo and neighbour swap is caught.
function checkSymbols(data) {
  let high = 0;
  let low = 0;
  for (const symbol of data) {
    const feedback = symbol ^ high;
    high = low ^ mul(feedback, G1);
    low = mul(feedback, G0);
  }
  return [high, low];
}

function isCodeword(symbols) {
  for (const point of [ALPHA, mul(ALPHA, ALPHA)]) {
    let value = 0;
    for (const symbol of symbols) value = mul(value, point) ^ symbol;
    if (value !== 0) return false;
  }
  return true;
}

export class RecoveryCode {
  constructor(secret) {
    refuseUnless(secret instanceof Uint8Array && secret.length === CODE_BYTES);
    this.secret = secret;
  }

  static async generate({ rng = systemRng } = {}) {
    return new RecoveryCode(await draw(rng, CODE_BYTES));
  }

  // Read what a person typed: spaces, hyphens, case and O/I/L are forgiven; typos are not.
  static async parse(text) {
    refuseUnless(typeof text === 'string');
    const compact = text
      .replace(/[ -]/g, '')
      .toUpperCase()
      .replace(/O/g, '0')
      .replace(/[IL]/g, '1');
    refuseUnless(compact.length === CODE_CHARS);
    const symbols = [...compact].map((char) => CROCKFORD.indexOf(char));
    refuseUnless(symbols.every((symbol) => symbol >= 0) && symbols[0] < 8 && isCodeword(symbols));
    let number = 0n;
    for (const symbol of symbols.slice(0, DATA_SYMBOLS)) number = (number << 5n) | BigInt(symbol);
    return new RecoveryCode(bytesFromBigint(number, CODE_BYTES));
  }

  // Seven groups of four Crockford base32 characters joined by hyphens.
  async text() {
    const number = bigintFromBytes(this.secret);
    const data = [];
    for (let i = DATA_SYMBOLS - 1; i >= 0; i -= 1) data.push(Number((number >> BigInt(5 * i)) & 31n));
    const chars = [...data, ...checkSymbols(data)].map((symbol) => CROCKFORD[symbol]).join('');
    return chars.match(/.{4}/g).join('-');
  }

  async kek() {
    return hkdf(this.secret, 'eportfolio/v1/recovery-kek', KEY_BYTES);
  }

  async authSecret() {
    return hkdf(this.secret, 'eportfolio/v1/recovery-auth', 32);
  }

  // What the browser sends to prove the code before a password reset.
  async authProof() {
    return encodeAuthProof(AUTH_RECOVERY, await this.authSecret());
  }
}

RecoveryCode.generate = refusing(RecoveryCode.generate);
RecoveryCode.parse = refusing(RecoveryCode.parse);
for (const name of ['text', 'kek', 'authSecret', 'authProof']) {
  RecoveryCode.prototype[name] = refusing(RecoveryCode.prototype[name]);
}
