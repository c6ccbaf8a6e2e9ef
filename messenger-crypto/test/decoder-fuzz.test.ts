// Every decoder of untrusted bytes or text, fed random input: each answers with a
// MessengerCryptoError (a stable code and a reason), never any other throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DeviceIdentity,
  GroupSession,
  MeshDirectEndpoint,
  MessengerCryptoError,
  PairwiseSession,
  PairwiseSessions,
  TrustStore,
  decodeGroupMessage,
  decodeRatchetMessage,
  decodeSenderKeyDistribution,
  fromBase64url,
  newX25519KeyPair,
  parseMeshDirect,
  systemRandom,
  toBase64url,
} from '../src/index.ts';

function onlyCodedErrors(run: () => unknown): void {
  try {
    run();
  } catch (e) {
    assert.ok(e instanceof MessengerCryptoError, `threw ${String(e)}`);
    assert.match(e.code, /^E_[A-Z0-9_]+$/);
    assert.ok(e.reason.length > 0);
  }
}

// Random bytes rarely get past a version byte; these start from real messages and mutate them.
function mutated(seed: Uint8Array) {
  return fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc.tuple(fc.nat(seed.length), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([at, junk]) => {
      const out = seed.slice();
      out.set(junk.subarray(0, Math.max(0, out.length - at)), Math.min(at, out.length));
      return out;
    }),
    fc.nat(seed.length).map((n) => seed.slice(0, n)),
  );
}

const bob = DeviceIdentity.generate({ oneTimePrekeys: 3 });
const alice = DeviceIdentity.generate({ oneTimePrekeys: 0 });
const bundle = bob.publishedBundle();
const realPrekeyMessage = PairwiseSession.initiate(alice, bundle).encrypt(new Uint8Array([1, 2, 3]));

test('1:1 message decoding and decrypting', () => {
  const sessions = new PairwiseSessions(bob, new TrustStore());
  fc.assert(
    fc.property(mutated(realPrekeyMessage), (bytes) => {
      onlyCodedErrors(() => decodeRatchetMessage(bytes));
      onlyCodedErrors(() => sessions.decrypt('alice/1', toBase64url(bytes)));
    }),
    { numRuns: 300 },
  );
  fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => onlyCodedErrors(() => sessions.decrypt('alice/1', s))));
});

test('group messages and sender key distributions', () => {
  const a = new GroupSession('g', 'a');
  const b = new GroupSession('g', 'b');
  a.setMembers(['b']);
  b.setMembers(['a']);
  const dist = a.currentDistribution();
  b.processDistribution('a', dist);
  const msg = fromBase64url(a.encrypt(new Uint8Array(10)));
  fc.assert(
    fc.property(mutated(msg), mutated(dist), (m, d) => {
      onlyCodedErrors(() => decodeGroupMessage(m));
      onlyCodedErrors(() => b.decrypt('a', toBase64url(m)));
      onlyCodedErrors(() => decodeSenderKeyDistribution(d));
      onlyCodedErrors(() => new GroupSession('g', 'c').processDistribution('a', d));
    }),
    { numRuns: 300 },
  );
});

test('mesh direct messages', () => {
  const node = new MeshDirectEndpoint(newX25519KeyPair(systemRandom));
  const user = new MeshDirectEndpoint(newX25519KeyPair(systemRandom));
  const init = user.encodeMeshDirect({ nodeId: node.nodeId, identityKey: node.identity.publicKey }, 'hello');
  fc.assert(
    fc.property(mutated(init), fc.integer({ min: 0, max: 0xffffffff }), (bytes, from) => {
      onlyCodedErrors(() => parseMeshDirect(bytes));
      onlyCodedErrors(() => node.decodeMeshDirect(user.nodeId, bytes));
      onlyCodedErrors(() => node.decodeMeshDirect(from, bytes));
    }),
    { numRuns: 300 },
  );
});

test('base64url text and stored state', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 100 }), fc.jsonValue(), (s, j) => {
      onlyCodedErrors(() => fromBase64url(s));
      onlyCodedErrors(() => DeviceIdentity.fromJSON(j));
      onlyCodedErrors(() => PairwiseSession.fromJSON(j));
      onlyCodedErrors(() => PairwiseSessions.fromJSON(j, bob, new TrustStore()));
      onlyCodedErrors(() => TrustStore.fromJSON(j));
      onlyCodedErrors(() => GroupSession.fromJSON(j));
      onlyCodedErrors(() => MeshDirectEndpoint.fromJSON(j, newX25519KeyPair(systemRandom)));
    }),
  );
});
