// The wire format of a 1:1 message (the per-device `envelope` the hub relays), and its strict
// decoder. Layout, big-endian, every field fixed-size:
//
//   0       version (1)
//   1       type: 1 = message, 2 = prekey message (carries the X3DH header)
//   [type 2 only, 73 bytes]
//   2..33   sender identity key IK_A (X25519)
//   34..65  sender base (ephemeral) key EK_A
//   66..69  signed prekey id used
//   70      1 if a one-time prekey was used, else 0
//   71..74  one-time prekey id (0 when none)
//   [ratchet header, 40 bytes]
//   dh (32) | pn (u32) | n (u32)
//   [sealed]
//   XChaCha20-Poly1305 ciphertext || 16-byte tag; associated data = IK_A || IK_B || every byte above
//
// Overhead: 58 bytes per message, 131 for a prekey message.

import { concatBytes } from '@noble/hashes/utils.js';
import { AEAD_TAG_BYTES } from './message-aead.ts';
import { MessengerCryptoError } from './messenger-crypto-error.ts';
import { MESSENGER_LIMITS } from './messenger-limits.ts';
import type { RatchetHeader } from './double-ratchet.ts';

export const RATCHET_MESSAGE_VERSION = 1;
export const TYPE_MESSAGE = 1;
export const TYPE_PREKEY = 2;
const PREKEY_SECTION_BYTES = 73;
const RATCHET_HEADER_BYTES = 40;
export const MESSAGE_OVERHEAD_BYTES = 2 + RATCHET_HEADER_BYTES + AEAD_TAG_BYTES;
export const PREKEY_MESSAGE_OVERHEAD_BYTES = MESSAGE_OVERHEAD_BYTES + PREKEY_SECTION_BYTES;
/** The largest plaintext a 1:1 message can carry and stay within maxCiphertextBytes. */
export const MAX_MESSAGE_PLAINTEXT_BYTES = MESSENGER_LIMITS.maxCiphertextBytes - PREKEY_MESSAGE_OVERHEAD_BYTES;

export interface PrekeyHeader {
  identityKey: Uint8Array;
  baseKey: Uint8Array;
  signedPrekeyId: number;
  oneTimePrekeyId: number | null;
}

export interface RatchetMessage {
  prekey: PrekeyHeader | null;
  header: RatchetHeader;
  /** Every byte before the sealed part: the AEAD's associated data (after IK_A || IK_B). */
  headerBytes: Uint8Array;
  sealed: Uint8Array;
}

/** The bytes before the sealed part. */
export function encodeRatchetHeader(prekey: PrekeyHeader | null, header: RatchetHeader): Uint8Array {
  const out = new Uint8Array(2 + (prekey ? PREKEY_SECTION_BYTES : 0) + RATCHET_HEADER_BYTES);
  const view = new DataView(out.buffer);
  out[0] = RATCHET_MESSAGE_VERSION;
  out[1] = prekey ? TYPE_PREKEY : TYPE_MESSAGE;
  let o = 2;
  if (prekey) {
    out.set(prekey.identityKey, o);
    out.set(prekey.baseKey, o + 32);
    view.setUint32(o + 64, prekey.signedPrekeyId);
    out[o + 68] = prekey.oneTimePrekeyId === null ? 0 : 1;
    view.setUint32(o + 69, prekey.oneTimePrekeyId ?? 0);
    o += PREKEY_SECTION_BYTES;
  }
  out.set(header.dh, o);
  view.setUint32(o + 32, header.pn);
  view.setUint32(o + 36, header.n);
  return out;
}

export function encodeRatchetMessage(headerBytes: Uint8Array, sealed: Uint8Array): Uint8Array {
  return concatBytes(headerBytes, sealed);
}

/** Parses a 1:1 message; anything malformed throws E_MESSAGE_MALFORMED / E_UNSUPPORTED_VERSION / E_MESSAGE_TOO_LARGE. */
export function decodeRatchetMessage(bytes: Uint8Array): RatchetMessage {
  if (!(bytes instanceof Uint8Array)) throw new MessengerCryptoError('E_MESSAGE_MALFORMED', 'a message must be bytes');
  if (bytes.length > MESSENGER_LIMITS.maxCiphertextBytes) throw new MessengerCryptoError('E_MESSAGE_TOO_LARGE', `a message may be at most ${MESSENGER_LIMITS.maxCiphertextBytes} bytes`);
  if (bytes.length < 2) throw new MessengerCryptoError('E_MESSAGE_MALFORMED', 'a message is too short to have a header');
  if (bytes[0] !== RATCHET_MESSAGE_VERSION) throw new MessengerCryptoError('E_UNSUPPORTED_VERSION', `message format version ${bytes[0]} is not supported (this client reads ${RATCHET_MESSAGE_VERSION})`);
  const type = bytes[1];
  if (type !== TYPE_MESSAGE && type !== TYPE_PREKEY) throw new MessengerCryptoError('E_MESSAGE_MALFORMED', `unknown message type ${type}`);
  const headerLength = 2 + (type === TYPE_PREKEY ? PREKEY_SECTION_BYTES : 0) + RATCHET_HEADER_BYTES;
  if (bytes.length < headerLength + AEAD_TAG_BYTES) throw new MessengerCryptoError('E_MESSAGE_MALFORMED', 'a message is too short for its header and tag');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 2;
  let prekey: PrekeyHeader | null = null;
  if (type === TYPE_PREKEY) {
    const flag = bytes[o + 68];
    const otkId = view.getUint32(o + 69);
    if (flag !== 0 && flag !== 1) throw new MessengerCryptoError('E_MESSAGE_MALFORMED', 'the one-time prekey flag must be 0 or 1');
    if (flag === 0 && otkId !== 0) throw new MessengerCryptoError('E_MESSAGE_MALFORMED', 'a one-time prekey id without its flag');
    prekey = { identityKey: bytes.slice(o, o + 32), baseKey: bytes.slice(o + 32, o + 64), signedPrekeyId: view.getUint32(o + 64), oneTimePrekeyId: flag === 1 ? otkId : null };
    o += PREKEY_SECTION_BYTES;
  }
  const header: RatchetHeader = { dh: bytes.slice(o, o + 32), pn: view.getUint32(o + 32), n: view.getUint32(o + 36) };
  return { prekey, header, headerBytes: bytes.slice(0, headerLength), sealed: bytes.slice(headerLength) };
}
