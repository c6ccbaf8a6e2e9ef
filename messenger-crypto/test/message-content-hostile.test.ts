// Content a hostile sender seals: a kind or version nested deeper than String() or JSON can
// serialise, or a huge one, is refused with a code and a short reason that names it by its type.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { MessengerCryptoError, decodeMessageContent } from '../src/index.ts';

const nested = (depth: number): string => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

test('a version or kind nested 5,000 deep, or a kind of a million characters, is refused with its code, not a stack overflow', () => {
  for (const [json, code] of [
    [`{"v":${nested(5000)},"kind":"read"}`, 'E_UNSUPPORTED_VERSION'],
    [`{"v":1,"kind":${nested(5000)}}`, 'E_MESSAGE_MALFORMED'],
    [`{"v":1,"kind":${JSON.stringify('x'.repeat(1_000_000))}}`, 'E_MESSAGE_MALFORMED'],
  ] as const) {
    assert.throws(() => decodeMessageContent(utf8ToBytes(json)), (e) => e instanceof MessengerCryptoError && e.code === code && e.message.length < 200);
  }
});

test('any key of the content set to deep or huge JSON: a content or a coded refusal, never another throw', () => {
  const hostile = fc.oneof(
    fc.integer({ min: 1, max: 50_000 }).map(nested),
    fc.integer({ min: 1, max: 300_000 }).map((n) => JSON.stringify('a'.repeat(n))),
    fc.jsonValue().map((j) => JSON.stringify(j)),
  );
  const kinds = fc.constantFrom('message', 'edit', 'delete', 'reaction', 'read', 'typing', 'x');
  fc.assert(
    fc.property(kinds, fc.constantFrom('v', 'kind', 'text', 'emoji', 'active', 'remove', 'replyTo', 'attachments'), hostile, (kind, key, value) => {
      const json = `{"v":1,"kind":"${kind}","text":"t","emoji":"e","active":true,"${key}":${value}}`;
      try {
        decodeMessageContent(utf8ToBytes(json));
      } catch (e) {
        assert.ok(e instanceof MessengerCryptoError, `threw ${e instanceof Error ? e.name : typeof e}`);
        assert.ok(e.message.length < 200, 'the reason names the value by its type, not by its text');
      }
    }),
    { numRuns: 200 },
  );
});
