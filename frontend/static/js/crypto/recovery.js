// The recovery code: 128 random bits shown once, with a typing check, and what derives from it.

import { bigintFromBytes, bytesFromBigint, concat, crockfordDecode, crockfordEncode, lp, utf8 } from './encoding.js';
import { refuseUnless, refusing } from './errors.js';
import { AUTH_RECOVERY, encodeAuthProof } from './kdf.js';
import { KEY_BYTES, draw, hkdf, sha256, systemRng } from './primitives.js';

const CODE_BYTES = 16;
const CODE_CHARS = 28;
const CHECK_BITS = 12n;

async function check(code) {
  const digest = await sha256(concat(lp(utf8('eportfolio/v1/recovery-code')), code));
  return BigInt(((digest[0] << 8) | digest[1]) >> 4);
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
    refuseUnless(compact.length === CODE_CHARS && /^[\x00-\x7f]*$/.test(compact));
    const number = crockfordDecode(compact);
    const secret = bytesFromBigint(number >> CHECK_BITS, CODE_BYTES);
    refuseUnless((number & ((1n << CHECK_BITS) - 1n)) === (await check(secret)));
    return new RecoveryCode(secret);
  }

  // Seven groups of four Crockford base32 characters joined by hyphens.
  async text() {
    const packed = (bigintFromBytes(this.secret) << CHECK_BITS) | (await check(this.secret));
    return crockfordEncode(packed, CODE_CHARS).match(/.{4}/g).join('-');
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
