// Feature detection: which capabilities the scheme needs are missing in this browser.
// We send browsers that lack any of them to a plain "update your browser" page rather than
// to a JavaScript fallback for the curves: one implementation path, tested end to end.

export const UNSUPPORTED_URL = '/unsupported-browser';

async function works(test) {
  try {
    await test();
    return true;
  } catch {
    return false;
  }
}

// The list of missing capabilities; empty when everything is there.
export async function detectSupport() {
  const missing = [];
  const subtle = globalThis.crypto?.subtle;
  if (!subtle || typeof globalThis.crypto.getRandomValues !== 'function') {
    missing.push('webcrypto');
  } else {
    const checks = {
      'aes-gcm': () => subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt']),
      hkdf: () => subtle.importKey('raw', new Uint8Array(32), 'HKDF', false, ['deriveBits']),
      x25519: async () => {
        const pair = await subtle.generateKey({ name: 'X25519' }, false, ['deriveBits']);
        await subtle.deriveBits({ name: 'X25519', public: pair.publicKey }, pair.privateKey, 256);
      },
      ed25519: async () => {
        const pair = await subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
        await subtle.sign('Ed25519', pair.privateKey, new Uint8Array(1));
      },
    };
    for (const [name, test] of Object.entries(checks)) {
      if (!(await works(test))) missing.push(name);
    }
  }
  if (typeof WebAssembly !== 'object') missing.push('webassembly');
  if (typeof Worker !== 'function') missing.push('worker');
  if (typeof indexedDB !== 'object' || indexedDB === null) missing.push('indexeddb');
  return missing;
}

// For pages: go to the "update your browser" page when anything is missing.
export async function requireSupport() {
  const missing = await detectSupport();
  if (missing.length > 0) globalThis.location.assign(UNSUPPORTED_URL);
  return missing.length === 0;
}
