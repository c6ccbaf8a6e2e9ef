// Attachments are encrypted on the client under a fresh random key; the ciphertext is uploaded as
// an opaque blob and the key, with a digest of the ciphertext, travels inside an end-to-end
// encrypted message. The digest lets the recipient refuse a blob the hub swapped or truncated.
//
// Blob layout: nonce (24) || XChaCha20-Poly1305 ciphertext || tag (16). Overhead 40 bytes.

import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes } from '@noble/ciphers/utils.js';
import { toBase64url, fromBase64url } from './base64url.ts';
import { AEAD_TAG_BYTES, aeadOpen, aeadSeal } from './message-aead.ts';
import { MessengerCryptoError } from './messenger-crypto-error.ts';
import { MESSENGER_LIMITS } from './messenger-limits.ts';
import { systemRandom, type RandomSource } from './random-source.ts';

const NONCE_BYTES = 24;
export const ATTACHMENT_OVERHEAD_BYTES = NONCE_BYTES + AEAD_TAG_BYTES;
const AD = new TextEncoder().encode('UNIBOS messenger attachment v1');

/** What the sender puts in the message: enough to fetch, check and open the blob. */
export interface AttachmentKey {
  /** base64url, 32 bytes. */
  key: string;
  /** base64url SHA-256 of the blob (ciphertext). */
  digest: string;
  /** Plaintext size in bytes. */
  size: number;
}

export function encryptAttachment(plaintext: Uint8Array, random: RandomSource = systemRandom): { blob: Uint8Array; attachment: AttachmentKey } {
  if (plaintext.length > MESSENGER_LIMITS.maxAttachmentBytes) {
    throw new MessengerCryptoError('E_MESSAGE_TOO_LARGE', `attachments are at most ${MESSENGER_LIMITS.maxAttachmentBytes} bytes; this one has ${plaintext.length}`);
  }
  const key = random(32);
  const nonce = random(NONCE_BYTES);
  const sealed = aeadSeal(key, nonce, plaintext, AD);
  const blob = new Uint8Array(NONCE_BYTES + sealed.length);
  blob.set(nonce);
  blob.set(sealed, NONCE_BYTES);
  return { blob, attachment: { key: toBase64url(key), digest: toBase64url(sha256(blob)), size: plaintext.length } };
}

export function decryptAttachment(blob: Uint8Array, attachment: AttachmentKey): Uint8Array {
  if (!(blob instanceof Uint8Array) || blob.length < ATTACHMENT_OVERHEAD_BYTES || blob.length > MESSENGER_LIMITS.maxAttachmentBytes + ATTACHMENT_OVERHEAD_BYTES) {
    throw new MessengerCryptoError('E_MESSAGE_MALFORMED', 'the attachment blob has an impossible size');
  }
  let key: Uint8Array;
  let digest: Uint8Array;
  try {
    key = fromBase64url(attachment.key);
    digest = fromBase64url(attachment.digest);
  } catch {
    throw new MessengerCryptoError('E_MESSAGE_MALFORMED', 'the attachment key or digest is not base64url');
  }
  if (key.length !== 32 || digest.length !== 32) throw new MessengerCryptoError('E_MESSAGE_MALFORMED', 'the attachment key and digest are 32 bytes each');
  if (!equalBytes(sha256(blob), digest)) throw new MessengerCryptoError('E_DECRYPT_FAILED', 'the attachment blob is not the one the sender uploaded (digest mismatch)');
  const plaintext = aeadOpen(key, blob.subarray(0, NONCE_BYTES), blob.subarray(NONCE_BYTES), AD);
  if (!plaintext || plaintext.length !== attachment.size) throw new MessengerCryptoError('E_DECRYPT_FAILED', 'the attachment does not decrypt under its key');
  return plaintext;
}
