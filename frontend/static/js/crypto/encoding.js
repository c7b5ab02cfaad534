// Byte-level building blocks of the wire format: integers, length-prefixed fields, base64url.

import { refuse, refusingSync } from './errors.js';

export const VERSION = 0x01;
const MAX_ID_BYTES = 255;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function utf8(text) {
  if (typeof text !== 'string') throw refuse();
  return encoder.encode(text);
}

export function bytes(data) {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw refuse();
}

export function concat(...parts) {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i += 1) diff |= a[i] ^ b[i];
  return diff === 0;
}

export function lp(data) {
  return concat(new Writer().u32(data.length).getValue(), data);
}

export function checkId(value) {
  if (typeof value !== 'string') throw refuse();
  const size = utf8(value).length;
  if (size < 1 || size > MAX_ID_BYTES) throw refuse();
  return value;
}

export function checkResourceType(value) {
  if (typeof value !== 'string' || !/^[a-z0-9._-]{1,64}$/.test(value)) throw refuse();
  return value;
}

export const b64uEncode = refusingSync((data) => {
  const input = bytes(data);
  let binary = '';
  for (let i = 0; i < input.length; i += 0x8000) {
    binary += String.fromCharCode(...input.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
});

export const b64uDecode = refusingSync((text) => {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw refuse();
  }
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const binary = atob(padded);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) out[i] = binary.charCodeAt(i);
  if (b64uEncode(out) !== text) throw refuse();
  return out;
});

// Appends fields in wire order.
export class Writer {
  constructor(tag) {
    this.parts = [];
    if (tag !== undefined) this.u8(VERSION).u8(tag);
  }

  raw(data, size) {
    const value = bytes(data);
    if (size !== undefined && value.length !== size) throw refuse();
    this.parts.push(value.slice());
    return this;
  }

  u8(value) {
    return this.int(value, 1);
  }

  u16(value) {
    return this.int(value, 2);
  }

  u32(value) {
    return this.int(value, 4);
  }

  u64(value) {
    return this.int(value, 8);
  }

  int(value, size) {
    if (!Number.isSafeInteger(value) || value < 0 || value >= 2 ** (8 * size)) throw refuse();
    const out = new Uint8Array(size);
    let rest = value;
    for (let i = size - 1; i >= 0; i -= 1) {
      out[i] = rest % 256;
      rest = Math.floor(rest / 256);
    }
    this.parts.push(out);
    return this;
  }

  str16(value) {
    return this.bytes16(utf8(value));
  }

  bytes16(data) {
    return this.u16(bytes(data).length).raw(data);
  }

  bytes32(data) {
    return this.u32(bytes(data).length).raw(data);
  }

  getValue() {
    return concat(...this.parts);
  }
}

// Reads fields in wire order; any shortfall, excess or malformed field is refused.
export class Reader {
  constructor(data, tag) {
    this.data = bytes(data);
    this.offset = 0;
    if (tag !== undefined && (this.u8() !== VERSION || this.u8() !== tag)) throw refuse();
  }

  consumed() {
    return this.data.slice(0, this.offset);
  }

  raw(size) {
    const end = this.offset + size;
    if (size < 0 || end > this.data.length) throw refuse();
    const chunk = this.data.slice(this.offset, end);
    this.offset = end;
    return chunk;
  }

  rest() {
    return this.raw(this.data.length - this.offset);
  }

  int(size) {
    let value = 0;
    for (const byte of this.raw(size)) value = value * 256 + byte;
    if (value > MAX_SAFE) throw refuse();
    return value;
  }

  u8() {
    return this.int(1);
  }

  u16() {
    return this.int(2);
  }

  u32() {
    return this.int(4);
  }

  u64() {
    const high = this.int(4);
    const low = this.int(4);
    if (high > 0x1fffff) throw refuse();
    return high * 2 ** 32 + low;
  }

  bytes16() {
    return this.raw(this.u16());
  }

  bytes32() {
    return this.raw(this.u32());
  }

  str16() {
    return decoder.decode(this.bytes16());
  }

  id16() {
    return checkId(this.str16());
  }

  resourceType() {
    return checkResourceType(this.str16());
  }

  end() {
    if (this.offset !== this.data.length) throw refuse();
  }
}

export const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

// `value` (a BigInt) as exactly `chars` Crockford base32 characters, most significant first.
export function crockfordEncode(value, chars) {
  let out = '';
  for (let i = chars - 1; i >= 0; i -= 1) {
    out += CROCKFORD[Number((value >> BigInt(5 * i)) & 31n)];
  }
  return out;
}

export function crockfordDecode(text) {
  let value = 0n;
  for (const char of text) {
    const index = CROCKFORD.indexOf(char);
    if (index < 0) throw refuse();
    value = (value << 5n) | BigInt(index);
  }
  return value;
}

export function bigintFromBytes(data) {
  let value = 0n;
  for (const byte of data) value = (value << 8n) | BigInt(byte);
  return value;
}

export function bytesFromBigint(value, size) {
  const out = new Uint8Array(size);
  let rest = value;
  for (let i = size - 1; i >= 0; i -= 1) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  if (rest !== 0n) throw refuse();
  return out;
}
