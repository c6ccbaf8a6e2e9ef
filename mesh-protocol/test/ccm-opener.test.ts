// The CCM opener must agree with Node's own AES-256-CCM byte for byte: whatever Node seals it
// opens, and any changed bit of nonce, AAD, ciphertext or tag makes it refuse.

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

test('opens what Node seals, for every length of plaintext and AAD a frame can have, one opener for all', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: CCM_NONCE_SIZE, maxLength: CCM_NONCE_SIZE }),
      fc.uint8Array({ maxLength: 40 }),
      fc.uint8Array({ maxLength: 300 }),
      (nonce, aad, plaintext) => {
        const { ciphertext, tag } = seal(key, nonce, aad, plaintext);
        assert.deepEqual(opener.open(nonce, aad, ciphertext, tag), plaintext);
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
        assert.equal(opener.open(parts[0]!, parts[1]!, parts[2]!, parts[3]!), undefined);
        // A refused frame leaves nothing behind: the next good one still opens.
        assert.deepEqual(opener.open(nonce, aad, ciphertext, tag), plaintext);
      },
    ),
    { numRuns: 300 },
  );
});

test('refuses a tag or nonce of the wrong size instead of throwing', () => {
  const nonce = new Uint8Array(CCM_NONCE_SIZE);
  const { ciphertext, tag } = seal(key, nonce, new Uint8Array(0), new Uint8Array([1, 2, 3]));
  assert.equal(opener.open(nonce, new Uint8Array(0), ciphertext, tag.subarray(0, 4)), undefined);
  assert.equal(opener.open(nonce.subarray(0, 12), new Uint8Array(0), ciphertext, tag), undefined);
  assert.deepEqual(opener.open(nonce, new Uint8Array(0), ciphertext, tag), new Uint8Array([1, 2, 3]));
});
