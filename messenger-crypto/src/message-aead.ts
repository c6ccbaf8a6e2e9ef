// Sealing one message under a one-time message key: XChaCha20-Poly1305 (16-byte tag) with the
// key and nonce derived from the message key and the header as associated data. One cipher for
// every message; there is no weaker fallback to negotiate down to.

import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { messageCipherKeys } from './ratchet-kdf.ts';

export const AEAD_TAG_BYTES = 16;

/** XChaCha20-Poly1305 itself (key 32, nonce 24): ciphertext || 16-byte tag. */
export function aeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, associatedData: Uint8Array): Uint8Array {
  return xchacha20poly1305(key, nonce, associatedData).encrypt(plaintext);
}

/** The plaintext, or undefined when the tag does not verify. */
export function aeadOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, associatedData: Uint8Array): Uint8Array | undefined {
  if (sealed.length < AEAD_TAG_BYTES) return undefined;
  try {
    return xchacha20poly1305(key, nonce, associatedData).decrypt(sealed);
  } catch {
    return undefined;
  }
}

export function sealMessage(messageKey: Uint8Array, info: string, plaintext: Uint8Array, associatedData: Uint8Array): Uint8Array {
  const { key, nonce } = messageCipherKeys(messageKey, info);
  return aeadSeal(key, nonce, plaintext, associatedData);
}

/** The plaintext, or undefined when the tag does not verify (tampered, wrong key, wrong header). */
export function openMessage(messageKey: Uint8Array, info: string, sealed: Uint8Array, associatedData: Uint8Array): Uint8Array | undefined {
  const { key, nonce } = messageCipherKeys(messageKey, info);
  return aeadOpen(key, nonce, sealed, associatedData);
}
