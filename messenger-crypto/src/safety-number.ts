// Safety numbers: a 60-digit fingerprint of a conversation's two identities that both users can
// compare out of band. Signal's numeric fingerprint: per side, SHA-512 iterated 5200 times over
// version || keys || stable id, the first 30 bytes read as six 5-byte numbers mod 100000 (30
// digits); the two halves are sorted so both sides see the same 60 digits. A user with several
// devices is fingerprinted over all their identity keys, sorted, so adding a device changes it.

import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { fromBase64url } from './base64url.ts';
import { MessengerCryptoError } from './messenger-crypto-error.ts';

const ITERATIONS = 5200;
const VERSION = Uint8Array.of(0x00, 0x01);

export interface SafetyNumberParty {
  /** A stable user identifier (the hub's user id). */
  userId: string;
  /** X25519 identity keys of every device of this user (bytes or base64url). */
  identityKeys: (Uint8Array | string)[];
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function half(p: SafetyNumberParty): string {
  if (p.identityKeys.length === 0) throw new MessengerCryptoError('E_BAD_KEY', `user ${p.userId} has no identity keys to fingerprint`);
  const keys = p.identityKeys.map((k) => (typeof k === 'string' ? fromBase64url(k) : k));
  if (keys.some((k) => k.length !== 32)) throw new MessengerCryptoError('E_BAD_KEY', 'identity keys are 32 bytes');
  const keyBytes = concatBytes(...keys.sort(compareBytes));
  let hash = sha512(concatBytes(VERSION, keyBytes, utf8ToBytes(p.userId)));
  for (let i = 0; i < ITERATIONS; i++) hash = sha512(concatBytes(hash, keyBytes));
  let digits = '';
  for (let i = 0; i < 30; i += 5) {
    const chunk = hash[i]! * 2 ** 32 + ((hash[i + 1]! << 24) >>> 0) + (hash[i + 2]! << 16) + (hash[i + 3]! << 8) + hash[i + 4]!;
    digits += String(chunk % 100000).padStart(5, '0');
  }
  return digits;
}

/** The 60-digit safety number of a conversation between two users; the same whichever side asks. */
export function safetyNumber(a: SafetyNumberParty, b: SafetyNumberParty): string {
  return [half(a), half(b)].sort().join('');
}

/** 12 groups of 5 digits, the way it is shown to users. */
export function formatSafetyNumber(digits: string): string {
  return (digits.match(/\d{5}/g) ?? []).join(' ');
}
