// Users with several devices each, talking through a stand-in for the hub's bundle endpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { DeviceIdentity, MessengerCryptoError, PairwiseSessions, TrustStore, fromBase64url, safetyNumber, formatSafetyNumber, type FetchedDeviceBundle } from '../src/index.ts';

const text = (s: string) => utf8ToBytes(s);
const read = (b: Uint8Array) => new TextDecoder().decode(b);
const isCode = (...codes: string[]) => (e: unknown) => e instanceof MessengerCryptoError && codes.includes(e.code);

interface Device {
  address: string;
  userId: string;
  identity: DeviceIdentity;
  trust: TrustStore;
  sessions: PairwiseSessions;
}

function makeDevice(userId: string, deviceId: string): Device {
  const identity = DeviceIdentity.generate({ oneTimePrekeys: 5 });
  const trust = new TrustStore();
  return { address: `${userId}/${deviceId}`, userId, identity, trust, sessions: new PairwiseSessions(identity, trust) };
}

/** What GET /users/:id/bundles hands out: one one-time prekey per fetch, used up. */
function fetchBundle(d: Device, used: Set<number>): FetchedDeviceBundle {
  const b = d.identity.publishedBundle();
  const otk = b.oneTimePrekeys.find((k) => !used.has(k.keyId)) ?? null;
  if (otk) used.add(otk.keyId);
  return { identityKey: b.identityKey, signingKey: b.signingKey, signedPrekey: b.signedPrekey, oneTimePrekey: otk };
}

/** Sends `body` from `from` to every other device, starting sessions where needed; returns what each received. */
function fanOut(from: Device, all: Device[], body: string, used: Set<number>): Map<string, string> {
  const received = new Map<string, string>();
  for (const to of all) {
    if (to === from) continue;
    if (!from.sessions.hasSession(to.address)) from.sessions.startSession(to.address, fetchBundle(to, used));
    const envelope = from.sessions.encrypt(to.address, text(body));
    received.set(to.address, read(to.sessions.decrypt(from.address, envelope)));
  }
  return received;
}

test('two users with two devices each: every message reaches every other device, both ways, and sessions persist', () => {
  const used = new Set<number>();
  let devices = [makeDevice('alice', 'phone'), makeDevice('alice', 'laptop'), makeDevice('bob', 'phone'), makeDevice('bob', 'cli')];
  for (let round = 0; round < 3; round++) {
    for (const from of devices) {
      const got = fanOut(from, devices, `${from.address} says ${round}`, used);
      assert.equal(got.size, 3);
      for (const v of got.values()) assert.equal(v, `${from.address} says ${round}`);
    }
    // Every device saves and restores everything between rounds, as a client restart would.
    devices = devices.map((d) => {
      const identity = DeviceIdentity.fromJSON(JSON.parse(JSON.stringify(d.identity)));
      const trust = TrustStore.fromJSON(JSON.parse(JSON.stringify(d.trust)));
      return { ...d, identity, trust, sessions: PairwiseSessions.fromJSON(JSON.parse(JSON.stringify(d.sessions)), identity, trust) };
    });
  }
});

test('a replayed envelope is refused as a replay, also a repeated first message', () => {
  const a = makeDevice('alice', 'phone');
  const b = makeDevice('bob', 'phone');
  a.sessions.startSession(b.address, fetchBundle(b, new Set()));
  const first = a.sessions.encrypt(b.address, text('first'));
  assert.equal(read(b.sessions.decrypt(a.address, first)), 'first');
  assert.throws(() => b.sessions.decrypt(a.address, first), isCode('E_REPLAY'));
  a.sessions.decrypt(b.address, b.sessions.encrypt(a.address, text('reply')));
  const later = a.sessions.encrypt(b.address, text('later'));
  b.sessions.decrypt(a.address, later);
  assert.throws(() => b.sessions.decrypt(a.address, later), isCode('E_REPLAY'));
});

test('a reinstalled device with a new identity key is flagged key_changed and refused until the user accepts', () => {
  const used = new Set<number>();
  const a = makeDevice('alice', 'phone');
  const b = makeDevice('bob', 'phone');
  a.sessions.startSession(b.address, fetchBundle(b, used));
  b.sessions.decrypt(a.address, a.sessions.encrypt(b.address, text('hello')));
  const before = a.trust.pinnedKey(b.address)!;

  const bNew = makeDevice('bob', 'phone');
  // Alice fetching the new bundle: refused, nothing sent.
  assert.throws(() => a.sessions.startSession(b.address, fetchBundle(bNew, used)), isCode('E_KEY_CHANGED'));
  // The new device writing first: refused with the facts a UI needs, and announced as pending.
  bNew.sessions.startSession(a.address, fetchBundle(a, used));
  const envelope = bNew.sessions.encrypt(a.address, text('it is me, new phone'));
  assert.throws(
    () => a.sessions.decrypt(b.address, envelope),
    (e: unknown) => isCode('E_KEY_CHANGED')(e) && (e as MessengerCryptoError).details.newKey === bNew.identity.publishedBundle().identityKey && /accept/.test((e as Error).message),
  );
  assert.equal(a.trust.status(b.address, bNew.identity.identity.publicKey), 'key_changed');
  assert.deepEqual(a.trust.pendingKeyChanges().map((c) => c.address), [b.address]);
  assert.deepEqual(a.trust.pinnedKey(b.address), before, 'the old key stays pinned until the user decides');
  // Only an explicit acceptance lets the same envelope through.
  a.trust.acceptKeyChange(b.address, bNew.identity.identity.publicKey);
  assert.equal(read(a.sessions.decrypt(b.address, envelope)), 'it is me, new phone');
  assert.equal(a.trust.status(b.address, bNew.identity.identity.publicKey), 'trusted');
  assert.deepEqual(a.trust.pendingKeyChanges(), []);
});

test('a forged first message does not pin its key, and a revoked device is refused both ways', () => {
  const a = makeDevice('alice', 'phone');
  const b = makeDevice('bob', 'phone');
  const mallory = makeDevice('mallory', 'x');
  mallory.sessions.startSession(b.address, fetchBundle(b, new Set()));
  const forged = fromBase64url(mallory.sessions.encrypt(b.address, text('trust me')));
  forged[forged.length - 1]! ^= 1;
  assert.throws(() => b.sessions.decrypt(a.address, Buffer.from(forged).toString('base64url')), isCode('E_DECRYPT_FAILED'));
  assert.equal(b.trust.status(a.address, mallory.identity.identity.publicKey), 'new', 'nothing was pinned');
  a.sessions.startSession(b.address, fetchBundle(b, new Set()));
  assert.equal(read(b.sessions.decrypt(a.address, a.sessions.encrypt(b.address, text('genuine')))), 'genuine');

  b.trust.revoke(a.address);
  assert.throws(() => b.sessions.decrypt(a.address, a.sessions.encrypt(b.address, text('after revoke'))), isCode('E_DEVICE_REVOKED'));
  assert.throws(() => b.sessions.encrypt(a.address, text('to revoked')), isCode('E_DEVICE_REVOKED'));
});

test('a bundle with a bad signature starts no session', () => {
  const a = makeDevice('alice', 'phone');
  const b = makeDevice('bob', 'phone');
  const bundle = fetchBundle(b, new Set());
  const other = fetchBundle(makeDevice('bob', 'x'), new Set());
  assert.throws(() => a.sessions.startSession(b.address, { ...bundle, signedPrekey: other.signedPrekey }), isCode('E_BAD_SIGNATURE'));
  assert.equal(a.sessions.hasSession(b.address), false);
  assert.throws(() => a.sessions.encrypt(b.address, text('x')), isCode('E_NO_SESSION'));
});

test('safety numbers: 60 digits, the same on both sides, and different when any device key changes', () => {
  const keys = (...ds: Device[]) => ds.map((d) => d.identity.identity.publicKey);
  const [a1, a2, b1] = [makeDevice('alice', '1'), makeDevice('alice', '2'), makeDevice('bob', '1')];
  const fromAlice = safetyNumber({ userId: 'alice', identityKeys: keys(a1, a2) }, { userId: 'bob', identityKeys: keys(b1) });
  const fromBob = safetyNumber({ userId: 'bob', identityKeys: keys(b1) }, { userId: 'alice', identityKeys: keys(a2, a1) });
  assert.match(fromAlice, /^\d{60}$/);
  assert.equal(fromAlice, fromBob);
  assert.match(formatSafetyNumber(fromAlice), /^(\d{5} ){11}\d{5}$/);
  const b1New = makeDevice('bob', '1');
  assert.notEqual(safetyNumber({ userId: 'alice', identityKeys: keys(a1, a2) }, { userId: 'bob', identityKeys: keys(b1New) }), fromAlice);
  assert.notEqual(safetyNumber({ userId: 'alice', identityKeys: keys(a1) }, { userId: 'bob', identityKeys: keys(b1) }), fromAlice);
  assert.notEqual(safetyNumber({ userId: 'alice', identityKeys: keys(a1, a2) }, { userId: 'carol', identityKeys: keys(b1) }), fromAlice);
});

test('two devices that start sessions to each other at the same time settle on one and keep talking', () => {
  const a = makeDevice('alice', 'phone');
  const b = makeDevice('bob', 'phone');
  a.sessions.startSession(b.address, fetchBundle(b, new Set()));
  b.sessions.startSession(a.address, fetchBundle(a, new Set()));
  const fromA = a.sessions.encrypt(b.address, text('hi from a'));
  const fromB = b.sessions.encrypt(a.address, text('hi from b'));
  assert.equal(read(b.sessions.decrypt(a.address, fromA)), 'hi from a');
  assert.equal(read(a.sessions.decrypt(b.address, fromB)), 'hi from b');
  for (let i = 0; i < 4; i++) {
    assert.equal(read(b.sessions.decrypt(a.address, a.sessions.encrypt(b.address, text(`a${i}`)))), `a${i}`);
    assert.equal(read(a.sessions.decrypt(b.address, b.sessions.encrypt(a.address, text(`b${i}`)))), `b${i}`);
  }
  // Settled on one session: Bob writes in the one Alice writes in, so even after Alice starts two
  // fresh sessions (pushing older ones out of what she keeps), Bob's next message still opens.
  a.sessions.startSession(b.address, fetchBundle(b, new Set()));
  a.sessions.startSession(b.address, fetchBundle(b, new Set()));
  assert.equal(read(a.sessions.decrypt(b.address, b.sessions.encrypt(a.address, text('still here')))), 'still here');
});
