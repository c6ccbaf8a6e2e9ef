// Content a hostile sender seals for a receiver: whatever the decrypted bytes hold (nesting too deep
// to serialise, huge strings, wrong types), decoding answers with the content or E_CONTENT_MALFORMED,
// and the receiver's sync drops that one message, says so, and reads the ones behind it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { createAdminSession, createOrgUser } from '../../controlplane/test/support/test-auth.ts';
import { startTestHub } from '../../controlplane/test/support/test-hub.ts';
import { decodeContent, encodeContent, KIND_OF, type MessageContent } from '../src/message-content.ts';
import { MemoryStateStore, MessengerClient, MessengerClientError } from '../src/index.ts';

const utf8 = new TextEncoder();
const nested = (depth: number, open = '[', close = ']', inner = '1'): string => `${open.repeat(depth)}${inner}${close.repeat(depth)}`;

test('a message nested 5,000 deep is dropped as malformed; the device, opened again from its saved state, reads the next one and never sees the bad one again', async () => {
  const hub = await startTestHub();
  const alice = await createAdminSession(hub);
  const bob = await createOrgUser(hub, alice, 'member');
  // As the CLI keeps it: every `unibos msg read` opens the client again from this store.
  const bobStore = new MemoryStateStore();
  const openBob = () => MessengerClient.open({ hubUrl: hub.url, auth: async () => bob.accessToken, store: bobStore, deviceName: 'bob cli' });
  await openBob();
  const a1 = await MessengerClient.open({ hubUrl: hub.url, auth: async () => alice.accessToken, store: new MemoryStateStore(), deviceName: 'alice' });
  const dm = await a1.startDirect(bob.userId);

  // Alice's client is modified to seal other bytes than it was asked to: about 10 KB, 5,000 arrays deep.
  const hostile = utf8.encode(`{"v":${nested(5000)}}`);
  const sessions = (a1 as unknown as { sessions: { encryptForDevices(to: unknown, plaintext: Uint8Array): unknown } }).sessions;
  const honest = sessions.encryptForDevices.bind(sessions);
  sessions.encryptForDevices = (to) => {
    sessions.encryptForDevices = honest;
    return honest(to, hostile);
  };
  const bad = await a1.send(dm.id, { text: 'replaced' });
  await a1.send(dm.id, { text: 'hello' });

  const read = await (await openBob()).sync();
  assert.deepEqual(read.arrived.map((a) => a.text), ['hello']);
  assert.equal(read.problems.length, 1, JSON.stringify(read.problems));
  const [problem] = read.problems;
  assert.ok(problem?.code === 'undecryptable');
  assert.equal(problem.messageId, bad.id);
  assert.equal(problem.errorCode, 'E_CONTENT_MALFORMED');
  assert.ok(problem.reason.length < 200, problem.reason);

  // Taken off the inbox: the next read finds nothing, and no replay of the bad one.
  const again = await (await openBob()).sync();
  assert.deepEqual(again, { arrived: [], problems: [] });
});

// Real content of every type, for mutation.
const REAL: MessageContent[] = [
  { type: 'text', conversationId: 'c-1', text: 'water at the school', replyTo: 'm-0', expiresAt: '2030-01-01T00:00:00.000Z', shape: { kind: 'direct', pair: ['u-a', 'u-b'] } },
  { type: 'text', conversationId: 'c-1', text: 'map', attachment: { id: 'a-1', key: 'k', digest: 'd', name: 'map.png', mimeType: 'image/png', bytes: 10 } },
  { type: 'edit', conversationId: 'c-1', target: 'm-1', text: 'water at the church' },
  { type: 'delete', conversationId: 'c-1', target: 'm-1' },
  { type: 'reaction', conversationId: 'c-1', target: 'm-1', emoji: '\u{1F44D}', shape: { kind: 'group' } },
  { type: 'read', conversationId: 'c-1', target: 'm-1' },
];
const KEYS = ['v', 'type', 'conversationId', 'text', 'target', 'emoji', 'replyTo', 'expiresAt', 'attachment', 'shape', 'other'];

/** Deep nesting of arrays or objects, or a huge string, as text to splice in for a key's value. */
const hostileValue = fc.oneof(
  fc.integer({ min: 1, max: 50_000 }).map((d) => nested(d)),
  fc.integer({ min: 1, max: 20_000 }).map((d) => nested(d, '{"a":', '}')),
  fc.integer({ min: 1, max: 20_000 }).map((d) => nested(d, '[{"a":', '}]', '"x"')),
  fc.integer({ min: 10_000, max: 400_000 }).map((n) => JSON.stringify('\u{1F6A8}'.repeat(n / 2))),
  fc.jsonValue().map((j) => JSON.stringify(j)),
);

function mutate(bytes: Uint8Array, at: number, junk: Uint8Array): Uint8Array {
  const out = bytes.slice();
  out.set(junk.subarray(0, Math.max(0, out.length - at)), Math.min(at, out.length));
  return out;
}

// Each reported short: fast-check would print a counterexample of megabytes in full.
const hostileBytes = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc.jsonValue().map((j) => utf8.encode(JSON.stringify(j))),
  // Real content with one key (at the top or in its shape) set to hostile JSON.
  fc.tuple(fc.constantFrom(...REAL), fc.constantFrom(...KEYS), hostileValue, fc.boolean()).map(([c, key, value, inner]) => {
    const text = new TextDecoder().decode(encodeContent(c)).slice(0, -1);
    return utf8.encode(inner && c.shape ? text.replace('"shape":{', `"shape":{"${key}":${value},`) + '}' : `${text},"${key}":${value}}`);
  }),
  // Real content with some bytes overwritten.
  fc.tuple(fc.constantFrom(...REAL), fc.nat(400), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([c, at, junk]) => mutate(encodeContent(c), at, junk)),
).map((bytes) => Object.assign(bytes, { [fc.toStringMethod]: () => `${bytes.length} bytes: ${new TextDecoder().decode(bytes.subarray(0, 40))}…${new TextDecoder().decode(bytes.subarray(-60))}` }));

test('decodeContent answers any bytes with a content or E_CONTENT_MALFORMED, never another throw, and never echoes the value', () => {
  for (const c of REAL) assert.deepEqual(decodeContent(encodeContent(c)), c);
  fc.assert(
    fc.property(hostileBytes, (bytes) => {
      let content: MessageContent;
      try {
        content = decodeContent(bytes);
      } catch (err) {
        assert.ok(err instanceof MessengerClientError, `threw ${err instanceof Error ? err.name : typeof err}`);
        assert.equal(err.code, 'E_CONTENT_MALFORMED');
        assert.ok(err.message.length < 200, 'the reason names the value by its type, not by its text');
        return;
      }
      assert.ok(Object.hasOwn(KIND_OF, content.type));
      assert.equal(typeof content.conversationId, 'string');
    }),
    { numRuns: 300 },
  );
});

test('content nested deeper than any client writes is refused, though nothing would recurse into it', () => {
  const deepUnknownKey = utf8.encode(`{"v":1,"type":"read","conversationId":"c","target":"m","future":${nested(40)}}`);
  assert.throws(() => decodeContent(deepUnknownKey), (err) => err instanceof MessengerClientError && err.code === 'E_CONTENT_MALFORMED' && /nested more than 16 levels/.test(err.message));
  const shallowUnknownKey = utf8.encode(`{"v":1,"type":"read","conversationId":"c","target":"m","future":${nested(10)}}`);
  assert.deepEqual(decodeContent(shallowUnknownKey), { type: 'read', conversationId: 'c', target: 'm' });
});
