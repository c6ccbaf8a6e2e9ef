import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { MESSENGER_LIMITS, MessengerCryptoError, decodeMessageContent, encodeMessageContent, encryptAttachment, type MessageContent } from '../src/index.ts';

const isCode = (...codes: string[]) => (e: unknown) => e instanceof MessengerCryptoError && codes.includes(e.code);

test('every kind of content round-trips, attachments included', () => {
  const { attachment } = encryptAttachment(new Uint8Array(10));
  const all: MessageContent[] = [
    { kind: 'message', text: 'water at the school', replyTo: 'm-1', attachments: [{ id: 'att-1', name: 'map.png', mime: 'image/png', ...attachment }] },
    { kind: 'message', text: 'plain' },
    { kind: 'edit', text: 'water at the church' },
    { kind: 'delete' },
    { kind: 'reaction', emoji: '\u{1F44D}' },
    { kind: 'reaction', emoji: '\u{1F44D}', remove: true },
    { kind: 'read' },
    { kind: 'typing', active: true },
  ];
  for (const c of all) assert.deepEqual(decodeMessageContent(encodeMessageContent(c), c.kind), c);
});

test('text is limited to maxTextChars characters (code points), refused before encrypting', () => {
  const emoji = '\u{1F6A8}';
  assert.doesNotThrow(() => encodeMessageContent({ kind: 'message', text: emoji.repeat(MESSENGER_LIMITS.maxTextChars) }));
  assert.throws(() => encodeMessageContent({ kind: 'message', text: 'a'.repeat(MESSENGER_LIMITS.maxTextChars + 1) }), isCode('E_TEXT_TOO_LONG'));
  assert.throws(() => encodeMessageContent({ kind: 'edit', text: emoji.repeat(MESSENGER_LIMITS.maxTextChars + 1) }), isCode('E_TEXT_TOO_LONG'));
});

test('a kind relabelled by the hub, another version, or malformed content is refused with a code', () => {
  const edit = encodeMessageContent({ kind: 'edit', text: 'x' });
  assert.throws(() => decodeMessageContent(edit, 'delete'), isCode('E_MESSAGE_MALFORMED'));
  assert.throws(() => decodeMessageContent(utf8ToBytes('{"v":2,"kind":"read"}')), isCode('E_UNSUPPORTED_VERSION'));
  assert.throws(() => decodeMessageContent(utf8ToBytes('{"v":1,"kind":"message","text":""}')), isCode('E_MESSAGE_MALFORMED'));
  assert.throws(() => decodeMessageContent(new Uint8Array([0xff])), isCode('E_MESSAGE_MALFORMED'));
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 100 }), fc.jsonValue().map((j) => utf8ToBytes(JSON.stringify(j))), fc.record({ v: fc.constant(1), kind: fc.constantFrom('message', 'edit', 'reaction', 'typing', 'x'), text: fc.anything(), emoji: fc.anything(), active: fc.anything(), attachments: fc.anything() }).map((j) => utf8ToBytes(JSON.stringify(j)))), (bytes) => {
      try {
        decodeMessageContent(bytes);
      } catch (e) {
        assert.ok(isCode('E_MESSAGE_MALFORMED', 'E_UNSUPPORTED_VERSION', 'E_TEXT_TOO_LONG')(e), String(e));
      }
    }),
  );
});
