// Attachments are encrypted on the client before upload: a fresh random key and nonce per file
// (XChaCha20-Poly1305), carried only inside the message that refers to it.

import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { fromBase64url, MESSENGER_LIMITS, toBase64url } from '@unibos/messenger-crypto';
import { MessengerClientError } from './messenger-client-error.ts';

function random(n: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

export function sealAttachment(data: Uint8Array): { blob: Uint8Array; key: string; nonce: string } {
  if (data.length > MESSENGER_LIMITS.maxAttachmentBytes - 16) throw new MessengerClientError('E_ATTACHMENT_TOO_LARGE', `an attachment is at most ${MESSENGER_LIMITS.maxAttachmentBytes - 16} bytes; this one is ${data.length}`);
  const key = random(32);
  const nonce = random(24);
  return { blob: xchacha20poly1305(key, nonce).encrypt(data), key: toBase64url(key), nonce: toBase64url(nonce) };
}

export function openAttachment(blob: Uint8Array, key: string, nonce: string): Uint8Array {
  try {
    return xchacha20poly1305(fromBase64url(key), fromBase64url(nonce)).decrypt(blob);
  } catch {
    throw new MessengerClientError('E_ATTACHMENT_CORRUPT', 'the attachment does not open with the key in its message: it was changed or is not this one');
  }
}
