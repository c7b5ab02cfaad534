// The one error every refusal of the crypto library throws, and the guards that enforce it.

export class CryptoError extends Error {
  constructor() {
    super('refused');
    this.name = 'CryptoError';
  }
}

export function refuse() {
  return new CryptoError();
}

export function refuseUnless(condition) {
  if (!condition) throw new CryptoError();
}

// Any exception escaping a public async function becomes a bare CryptoError: WebCrypto's
// OperationError, a TypeError from a wrong argument, a RangeError from a short buffer, ...
export function refusing(fn) {
  return async function guarded(...args) {
    try {
      return await fn.apply(this, args);
    } catch {
      throw new CryptoError();
    }
  };
}

export function refusingSync(fn) {
  return function guarded(...args) {
    try {
      return fn.apply(this, args);
    } catch {
      throw new CryptoError();
    }
  };
}
