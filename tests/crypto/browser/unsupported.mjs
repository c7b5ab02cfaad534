// Pretend this browser has no X25519 in WebCrypto: the page must go to the update page.
const generateKey = crypto.subtle.generateKey.bind(crypto.subtle);
crypto.subtle.generateKey = (algorithm, ...rest) =>
  algorithm?.name === 'X25519' ? Promise.reject(new DOMException('unsupported', 'NotSupportedError')) : generateKey(algorithm, ...rest);

const { requireSupport } = await import('/static/js/crypto/index.js');
await requireSupport();
