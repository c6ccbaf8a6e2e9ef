import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MESSENGER_LIMITS, MessengerCryptoError, decryptAttachment, encryptAttachment, ATTACHMENT_OVERHEAD_BYTES } from '../src/index.ts';

const isCode = (...codes: string[]) => (e: unknown) => e instanceof MessengerCryptoError && codes.includes(e.code);

test('an attachment round-trips, and a swapped, truncated or altered blob is refused', () => {
  const photo = new Uint8Array(5000).map((_, i) => i * 7);
  const { blob, attachment } = encryptAttachment(photo);
  assert.equal(blob.length, photo.length + ATTACHMENT_OVERHEAD_BYTES);
  assert.deepEqual(decryptAttachment(blob, attachment), photo);
  const other = encryptAttachment(photo);
  assert.throws(() => decryptAttachment(other.blob, attachment), isCode('E_DECRYPT_FAILED'));
  assert.throws(() => decryptAttachment(blob.subarray(0, blob.length - 1), attachment), isCode('E_DECRYPT_FAILED'));
  const altered = blob.slice();
  altered[100]! ^= 1;
  assert.throws(() => decryptAttachment(altered, attachment), isCode('E_DECRYPT_FAILED'));
  // A hub that also rewrote the digest still lacks the key.
  assert.throws(() => decryptAttachment(other.blob, { ...attachment, digest: other.attachment.digest }), isCode('E_DECRYPT_FAILED'));
  assert.throws(() => decryptAttachment(blob, { ...attachment, key: 'nope' }), isCode('E_MESSAGE_MALFORMED'));
});

test('an attachment over the configured size is refused before encrypting', () => {
  assert.throws(() => encryptAttachment(new Uint8Array(MESSENGER_LIMITS.maxAttachmentBytes + 1)), isCode('E_MESSAGE_TOO_LARGE'));
});
