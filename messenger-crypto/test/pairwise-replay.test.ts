// A first (prekey) message made without a one-time prekey (the hub had none left to hand out)
// replayed later, after newer handshakes replaced its session, must not open again: the hub could
// otherwise show an old message as new.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeviceIdentity, PairwiseSessions, TrustStore, isMessengerCryptoError, type FetchedDeviceBundle } from '../src/index.ts';

test('a prekey message without a one-time prekey, replayed after its session was replaced, is refused as a replay (also after a restore)', () => {
  const alice = DeviceIdentity.generate({ oneTimePrekeys: 0 });
  const bob = DeviceIdentity.generate({ oneTimePrekeys: 0 });
  const b = bob.publishedBundle([]);
  const fetched: FetchedDeviceBundle = { identityKey: b.identityKey, signingKey: b.signingKey, signedPrekey: b.signedPrekey, oneTimePrekey: null };
  const aliceSessions = new PairwiseSessions(alice, new TrustStore());
  const bobTrust = new TrustStore();
  let bobSessions = new PairwiseSessions(bob, bobTrust);
  const sent: string[] = [];
  for (let i = 0; i < 4; i++) {
    aliceSessions.startSession('bob', fetched);
    const env = aliceSessions.encrypt('bob', new TextEncoder().encode(`hello ${i}`));
    sent.push(env);
    assert.equal(new TextDecoder().decode(bobSessions.decrypt('alice', env)), `hello ${i}`);
  }
  const isReplay = (err: unknown) => isMessengerCryptoError(err) && (err.code === 'E_REPLAY' || err.code === 'E_UNKNOWN_PREKEY');
  for (const env of sent) assert.throws(() => bobSessions.decrypt('alice', env), isReplay);
  bobSessions = PairwiseSessions.fromJSON(JSON.parse(JSON.stringify(bobSessions.toJSON())), bob, bobTrust);
  assert.throws(() => bobSessions.decrypt('alice', sent[0]!), isReplay);
  // The live session still works both ways.
  assert.equal(new TextDecoder().decode(bobSessions.decrypt('alice', aliceSessions.encrypt('bob', new TextEncoder().encode('still here')))), 'still here');
});

test('another account answering a thousand first messages does not push Alice’s handshakes out: her replayed first message is still refused', () => {
  const alice = DeviceIdentity.generate({ oneTimePrekeys: 0 });
  const bob = DeviceIdentity.generate({ oneTimePrekeys: 0 });
  const b = bob.publishedBundle([]);
  const fetched: FetchedDeviceBundle = { identityKey: b.identityKey, signingKey: b.signingKey, signedPrekey: b.signedPrekey, oneTimePrekey: null };
  const aliceSessions = new PairwiseSessions(alice, new TrustStore());
  const bobSessions = new PairwiseSessions(bob, new TrustStore());
  const sent: string[] = [];
  for (let i = 0; i < 4; i++) {
    aliceSessions.startSession('bob', fetched);
    sent.push(aliceSessions.encrypt('bob', new TextEncoder().encode(`meet at the north gate at ${i}`)));
    bobSessions.decrypt('alice', sent.at(-1)!);
  }
  // Eve, with an account of her own, starts a thousand sessions with Bob.
  const eve = DeviceIdentity.generate({ oneTimePrekeys: 0 });
  const eveSessions = new PairwiseSessions(eve, new TrustStore());
  for (let i = 0; i < 1001; i++) {
    eveSessions.startSession('bob', fetched);
    bobSessions.decrypt('eve', eveSessions.encrypt('bob', new TextEncoder().encode('hi')));
  }
  assert.throws(() => bobSessions.decrypt('alice', sent[0]!), (err: unknown) => isMessengerCryptoError(err) && err.code === 'E_REPLAY');
});

test('a first message played back under another address (the hub filing Bob\u2019s recording as from a user never pinned) is refused as a replay', () => {
  const alice = DeviceIdentity.generate({ oneTimePrekeys: 0 });
  const bob = DeviceIdentity.generate({ oneTimePrekeys: 0 });
  const a = alice.publishedBundle([]);
  const fetched: FetchedDeviceBundle = { identityKey: a.identityKey, signingKey: a.signingKey, signedPrekey: a.signedPrekey, oneTimePrekey: null };
  const bobSessions = new PairwiseSessions(bob, new TrustStore());
  bobSessions.startSession('alice/laptop', fetched);
  const recording = bobSessions.encrypt('alice/laptop', new TextEncoder().encode('approved: pay invoice 42'));
  const aliceSessions = new PairwiseSessions(alice, new TrustStore());
  assert.equal(new TextDecoder().decode(aliceSessions.decrypt('bob/phone', recording)), 'approved: pay invoice 42');
  assert.throws(() => aliceSessions.decrypt('mallory/phone', recording), (err: unknown) => isMessengerCryptoError(err) && err.code === 'E_REPLAY');
});
