// The CCM opener must agree with Node's own AES-256-CCM byte for byte: whatever Node seals it
// opens, wherever in a buffer it lies, and any changed bit of nonce, AAD, ciphertext or tag makes
// it refuse.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { CCM_NONCE_SIZE, CCM_TAG_SIZE, CcmOpener } from '../src/crypto/ccm-opener.ts';

function seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): { ciphertext: Uint8Array; tag: Uint8Array } {
  const c = createCipheriv('aes-256-ccm', key, nonce, { authTagLength: CCM_TAG_SIZE });
  c.setAAD(aad, { plaintextLength: plaintext.length });
  const ciphertext = new Uint8Array(c.update(plaintext));
  c.final();
  return { ciphertext, tag: new Uint8Array(c.getAuthTag()) };
}

const key = randomBytes(32);
const opener = new CcmOpener(key);

/** Opens ciphertext and tag laid out as in a frame: after `before` other bytes, with one more after. */
function open(nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array, before = 20): Uint8Array | undefined {
  const frame = new Uint8Array(before + ciphertext.length + tag.length + 1).fill(0xa5);
  frame.set(ciphertext, before);
  frame.set(tag, before + ciphertext.length);
  return opener.open(nonce, aad, frame.subarray(0, before + ciphertext.length + tag.length), before, ciphertext.length);
}

test('opens what Node seals, for every length of plaintext and AAD a frame can have, one opener for all', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: CCM_NONCE_SIZE, maxLength: CCM_NONCE_SIZE }),
      fc.uint8Array({ maxLength: 40 }),
      fc.uint8Array({ maxLength: 300 }),
      fc.nat(30),
      (nonce, aad, plaintext, before) => {
        const { ciphertext, tag } = seal(key, nonce, aad, plaintext);
        assert.deepEqual(open(nonce, aad, ciphertext, tag, before), plaintext);
      },
    ),
    { numRuns: 400 },
  );
});

test('refuses a frame with any single bit changed in nonce, AAD, ciphertext or tag', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: CCM_NONCE_SIZE, maxLength: CCM_NONCE_SIZE }),
      fc.uint8Array({ minLength: 1, maxLength: 20 }),
      fc.uint8Array({ minLength: 1, maxLength: 100 }),
      fc.nat(),
      fc.nat(7),
      (nonce, aad, plaintext, where, bit) => {
        const { ciphertext, tag } = seal(key, nonce, aad, plaintext);
        const parts = [nonce, aad, ciphertext, tag].map((p) => p.slice());
        const total = parts.reduce((n, p) => n + p.length, 0);
        let at = where % total;
        const part = parts.find((p) => (at < p.length ? true : ((at -= p.length), false)))!;
        part[at]! ^= 1 << bit;
        assert.equal(open(parts[0]!, parts[1]!, parts[2]!, parts[3]!), undefined);
        // A refused frame leaves nothing behind: the next good one still opens.
        assert.deepEqual(open(nonce, aad, ciphertext, tag), plaintext);
      },
    ),
    { numRuns: 300 },
  );
});

test('refuses a cut-off tag, a nonce of the wrong size or a ciphertext outside the buffer instead of throwing', () => {
  const nonce = new Uint8Array(CCM_NONCE_SIZE);
  const none = new Uint8Array(0);
  const { ciphertext, tag } = seal(key, nonce, none, new Uint8Array([1, 2, 3]));
  assert.equal(open(nonce, none, ciphertext, tag.subarray(0, 4)), undefined);
  assert.equal(open(nonce.subarray(0, 12), none, ciphertext, tag), undefined);
  const sealed = new Uint8Array([...ciphertext, ...tag]);
  assert.equal(opener.open(nonce, none, sealed, -1, ciphertext.length), undefined);
  assert.equal(opener.open(nonce, none, sealed, 1, ciphertext.length), undefined);
  assert.equal(opener.open(nonce, none, sealed, 0, -1), undefined);
  assert.deepEqual(opener.open(nonce, none, sealed, 0, ciphertext.length), new Uint8Array([1, 2, 3]));
});
