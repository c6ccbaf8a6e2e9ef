// Secrets at rest as a credentials store meets them: a stored hash verifies its own secret and no
// other, a tampered or malformed row never verifies (and never makes us allocate what it asks for),
// and the cost in the row is honoured, so it can be raised later without breaking old rows.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_SCRYPT_PARAMS, hashSecret, parseSecretHash, verifySecret } from '../src/index.ts';

const cheap = { ln: 4, r: 8, p: 1 };

test('a hash verifies its own secret and no other; two hashes of one secret differ (salted)', async () => {
  const stored = await hashSecret(Buffer.from('sensor secret'));
  assert.match(stored, /^\$scrypt\$ln=14,r=8,p=1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
  assert.equal(await verifySecret(Buffer.from('sensor secret'), stored), true);
  assert.equal(await verifySecret(Buffer.from('sensor secreT'), stored), false);
  assert.notEqual(await hashSecret(Buffer.from('sensor secret')), stored);
  assert.deepEqual(parseSecretHash(stored)?.params, DEFAULT_SCRYPT_PARAMS);
});

test('a row keeps its own cost: one hashed with other parameters still verifies', async () => {
  const stored = await hashSecret(Buffer.from('old row'), cheap);
  assert.match(stored, /^\$scrypt\$ln=4,r=8,p=1\$/);
  assert.equal(await verifySecret(Buffer.from('old row'), stored), true);
});

test('tampered, malformed or greedy rows never verify', async () => {
  const stored = await hashSecret(Buffer.from('x'), cheap);
  const [, , params, salt, key] = stored.split('$');
  const flip = (s: string): string => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
  for (const bad of [
    `$scrypt$${params}$${flip(salt!)}$${key}`,
    `$scrypt$${params}$${salt}$${flip(key!)}`,
    `$scrypt$ln=5,r=8,p=1$${salt}$${key}`,
    `$scrypt$ln=20,r=32,p=1$${salt}$${key}`, // 2^20 x 32 x 128 bytes: refused before allocating
    `$argon2id$${params}$${salt}$${key}`,
    '',
    'plain text',
  ]) {
    assert.equal(await verifySecret(Buffer.from('x'), bad), false, bad);
  }
});

test('any string as a stored hash is answered false or true, never thrown (fuzz)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.string({ maxLength: 120 }), async (junk) => {
      assert.equal(await verifySecret(Buffer.from('x'), `$scrypt$ln=4,r=8,p=1$${junk}`), false);
      assert.equal(await verifySecret(Buffer.from('x'), junk), false);
    }),
    { numRuns: 200 },
  );
});
