import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromBase64url, toBase64url, MessengerCryptoError } from '../src/index.ts';

test('base64url round-trips any bytes and matches the standard encoding without padding', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const text = toBase64url(bytes);
      assert.equal(text, globalThis.Buffer.from(bytes).toString('base64url'));
      assert.deepEqual(fromBase64url(text), bytes);
    }),
  );
});

test('base64url refuses padding, the + / alphabet, impossible lengths and non-canonical tails with E_BASE64URL', () => {
  for (const bad of ['AA==', 'a+b/', 'A', 'AAAAA', 'AB', 'AAB', ' AAA', 'é']) {
    assert.throws(() => fromBase64url(bad), (e: unknown) => e instanceof MessengerCryptoError && e.code === 'E_BASE64URL', bad);
  }
});

test('base64url decoding of random strings either round-trips or throws E_BASE64URL', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 64 }), (s) => {
      try {
        assert.equal(toBase64url(fromBase64url(s)), s);
      } catch (e) {
        assert.ok(e instanceof MessengerCryptoError && e.code === 'E_BASE64URL');
      }
    }),
  );
});
