// Base64url without padding, the contract's encoding for every key, signature and ciphertext.
// Written out here (not Buffer) so the library runs unchanged in the browser; decoding is strict
// (alphabet, length, zero trailing bits) so one byte string has exactly one accepted spelling.

import { MessengerCryptoError } from './messenger-crypto-error.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

export function toBase64url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!;
  }
  return out;
}

/** Decodes strict unpadded base64url; anything else throws E_BASE64URL. */
export function fromBase64url(text: string): Uint8Array {
  if (typeof text !== 'string') throw new MessengerCryptoError('E_BASE64URL', 'expected a base64url string');
  if (text.length % 4 === 1) throw new MessengerCryptoError('E_BASE64URL', 'base64url text has an impossible length');
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? LOOKUP[c]! : -1;
    if (v < 0) throw new MessengerCryptoError('E_BASE64URL', `character ${i} is not base64url (no padding, - and _ only)`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  // Leftover bits must be zero, or two spellings would decode to the same bytes.
  if ((acc & ((1 << bits) - 1)) !== 0) throw new MessengerCryptoError('E_BASE64URL', 'base64url text has non-zero trailing bits');
  return out;
}

/** Decodes and checks the length in one step; the usual way keys are read from the wire. */
export function fromBase64urlExact(text: string, length: number, what: string): Uint8Array {
  if (typeof text !== 'string' || text.length !== Math.ceil((length * 4) / 3)) {
    throw new MessengerCryptoError('E_BASE64URL', `${what} must be ${length} bytes of base64url`);
  }
  return fromBase64url(text);
}
