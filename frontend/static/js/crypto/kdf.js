// Login names, KDF parameters and the password KDF that gives the master key and auth secret.

import { Reader, Writer, lp, utf8 } from './encoding.js';
import { refuse, refuseUnless, refusing, refusingSync } from './errors.js';
import { KEY_BYTES, draw, hkdf, sha256, systemRng } from './primitives.js';

const TAG_KDF_PARAMS = 0x01;
const TAG_AUTH_PROOF = 0x0b;
const ARGON2ID = 0x01;
const SEED_BYTES = 16;
export const AUTH_LOGIN = 0x01;
export const AUTH_RECOVERY = 0x02;

export const MINIMUM = Object.freeze({ memoryKib: 65536, iterations: 3, parallelism: 1 });
export const TEST_MINIMUM = Object.freeze({ memoryKib: 8, iterations: 1, parallelism: 1 });
export const MAXIMUM = Object.freeze({ memoryKib: 1048576, iterations: 16, parallelism: 4 });

// The vendored Argon2id build, pinned; see frontend/static/vendor/README.md.
export const ARGON2_URL = new URL('../../vendor/hash-wasm/argon2.umd.min.js', import.meta.url);
export const ARGON2_INTEGRITY =
  'sha384-tP0Wy54CKmng7i9EoTlPySD0hBx6Octj0VS6MfwlnUu111MPa+JLm0CCbep6XJ1W';

// NFKC, lower-case, then [a-z0-9._-]{3,32}; anything else is refused.
export const normaliseLogin = refusingSync((login) => {
  if (typeof login !== 'string') throw refuse();
  const normalised = login.normalize('NFKC').toLowerCase();
  refuseUnless(/^[a-z0-9._-]{3,32}$/.test(normalised));
  return normalised;
});

function passwordBytes(password) {
  refuseUnless(typeof password === 'string' && password.length > 0);
  return utf8(password.normalize('NFC'));
}

// Argon2id parameters and salt seed, stored per user so they can be raised later.
export class KdfParams {
  constructor(memoryKib, iterations, parallelism, seed) {
    this.memoryKib = memoryKib;
    this.iterations = iterations;
    this.parallelism = parallelism;
    this.seed = seed;
    Object.freeze(this);
  }

  // Fresh parameters with a random seed (the defaults are the minimum).
  static async create({
    memoryKib = MINIMUM.memoryKib,
    iterations = MINIMUM.iterations,
    parallelism = MINIMUM.parallelism,
    rng = systemRng,
  } = {}) {
    return new KdfParams(memoryKib, iterations, parallelism, await draw(rng, SEED_BYTES));
  }

  toBytes() {
    return new Writer(TAG_KDF_PARAMS)
      .u8(ARGON2ID)
      .u32(this.memoryKib)
      .u32(this.iterations)
      .u32(this.parallelism)
      .raw(this.seed, SEED_BYTES)
      .getValue();
  }

  static fromBytes(data) {
    const reader = new Reader(data, TAG_KDF_PARAMS);
    refuseUnless(reader.u8() === ARGON2ID);
    const params = new KdfParams(reader.u32(), reader.u32(), reader.u32(), reader.raw(SEED_BYTES));
    reader.end();
    return params;
  }

  equals(other) {
    return (
      other instanceof KdfParams &&
      this.memoryKib === other.memoryKib &&
      this.iterations === other.iterations &&
      this.parallelism === other.parallelism &&
      this.seed.length === other.seed.length &&
      this.seed.every((byte, i) => byte === other.seed[i])
    );
  }

  // Refuse parameters below the minimum (or the test minimum) or above the maximum.
  check({ allowTestParams = false } = {}) {
    const floor = allowTestParams ? TEST_MINIMUM : MINIMUM;
    refuseUnless(
      floor.memoryKib <= this.memoryKib &&
        this.memoryKib <= MAXIMUM.memoryKib &&
        floor.iterations <= this.iterations &&
        this.iterations <= MAXIMUM.iterations &&
        floor.parallelism <= this.parallelism &&
        this.parallelism <= MAXIMUM.parallelism &&
        this.memoryKib >= 8 * this.parallelism &&
        this.seed instanceof Uint8Array &&
        this.seed.length === SEED_BYTES,
    );
  }
}

KdfParams.fromBytes = refusingSync(KdfParams.fromBytes);

export const loginSalt = refusing(async (login, seed) => {
  const name = utf8(normaliseLogin(login));
  const digest = await sha256(new Writer().raw(lp(utf8('eportfolio/v1/salt'))).raw(lp(name)).raw(lp(seed)).getValue());
  return digest.slice(0, 16);
});

let argon2Loaded = null;

// Load hash-wasm's Argon2id. In a browser the file is first fetched with its SRI value, so a
// changed file is refused (worker imports cannot carry an integrity attribute). In Node the
// file is read from disk and the tests compare its hash with the pinned value.
function loadArgon2id() {
  if (argon2Loaded === null) {
    argon2Loaded = (async () => {
      if (ARGON2_URL.protocol !== 'file:') {
        const response = await fetch(ARGON2_URL, { integrity: ARGON2_INTEGRITY });
        refuseUnless(response.ok);
      }
      const module = await import(ARGON2_URL.href);
      const api = module.default?.argon2id ? module.default : globalThis.hashwasm;
      refuseUnless(typeof api?.argon2id === 'function');
      return api.argon2id;
    })();
    argon2Loaded.catch(() => {
      argon2Loaded = null;
    });
  }
  return argon2Loaded;
}

// The raw 64-byte Argon2id output for a login. This is what the Web Worker runs; Node tests
// call it directly. Parameters outside the accepted range are refused before any work.
export const runLoginKdf = refusing(async (login, password, params, { allowTestParams = false } = {}) => {
  refuseUnless(params instanceof KdfParams);
  params.check({ allowTestParams });
  const argon2id = await loadArgon2id();
  const out = await argon2id({
    password: passwordBytes(password),
    salt: await loginSalt(login, params.seed),
    parallelism: params.parallelism,
    iterations: params.iterations,
    memorySize: params.memoryKib,
    hashLength: 64,
    outputType: 'binary',
  });
  refuseUnless(out instanceof Uint8Array && out.length === 64);
  return out;
});

// One Argon2id run: the master key stays here, the auth secret goes to the server.
export class LoginSecrets {
  constructor(login, params, masterKey, authSecret) {
    this.login = login;
    this.params = params;
    this.masterKey = masterKey;
    this.authSecret = authSecret;
  }

  async kek() {
    return hkdf(this.masterKey, 'eportfolio/v1/kek', KEY_BYTES);
  }

  authProof() {
    return encodeAuthProof(AUTH_LOGIN, this.authSecret);
  }

  // Forget the secrets once the keys are unwrapped.
  wipe() {
    this.masterKey.fill(0);
    this.authSecret.fill(0);
  }
}

// Run the login KDF once. `kdf` lets a page run it in the Web Worker (kdf-client.js); the
// default runs it here, as Node does.
export const deriveLoginSecrets = refusing(
  async (login, password, params, { allowTestParams = false, kdf = runLoginKdf } = {}) => {
    refuseUnless(params instanceof KdfParams);
    params.check({ allowTestParams });
    const name = normaliseLogin(login);
    const out = await kdf(name, password, params, { allowTestParams });
    refuseUnless(out instanceof Uint8Array && out.length === 64);
    return new LoginSecrets(name, params, out.slice(0, 32), out.slice(32, 64));
  },
);

export function encodeAuthProof(kind, secret) {
  return new Writer(TAG_AUTH_PROOF).u8(kind).raw(secret, 32).getValue();
}

export const parseAuthProof = refusingSync((data) => {
  const reader = new Reader(data, TAG_AUTH_PROOF);
  const kind = reader.u8();
  refuseUnless(kind === AUTH_LOGIN || kind === AUTH_RECOVERY);
  const secret = reader.raw(32);
  reader.end();
  return { kind, secret };
});
