import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { DeviceIdentity, MessengerCryptoError, PairwiseSession, decodeRatchetMessage, MESSAGE_OVERHEAD_BYTES, PREKEY_MESSAGE_OVERHEAD_BYTES } from '../src/index.ts';

const text = (s: string) => utf8ToBytes(s);
const read = (b: Uint8Array) => new TextDecoder().decode(b);
const isCode = (...codes: string[]) => (e: unknown) => e instanceof MessengerCryptoError && codes.includes(e.code);

function pair(oneTimePrekeys = 2) {
  const alice = DeviceIdentity.generate({ oneTimePrekeys: 0 });
  const bob = DeviceIdentity.generate({ oneTimePrekeys });
  const bundle = bob.publishedBundle();
  const a = PairwiseSession.initiate(alice, { ...bundle, oneTimePrekeys: bundle.oneTimePrekeys.slice(0, 1) });
  return { alice, bob, a };
}

/** Bob's side of the conversation: the first prekey message creates his session. */
function receiver(bob: DeviceIdentity) {
  let session: PairwiseSession | undefined;
  return {
    get session() {
      return session;
    },
    open(wire: Uint8Array): string {
      const m = decodeRatchetMessage(wire);
      if (!session) {
        const r = PairwiseSession.respond(bob, m);
        session = r.session;
        return read(r.plaintext);
      }
      return read(session.decrypt(m));
    },
  };
}

test('Alice and Bob talk both ways across DH ratchet steps, and sessions survive a save and restore', () => {
  const { bob, a } = pair();
  const b = receiver(bob);
  assert.equal(b.open(a.encrypt(text('hi bob'))), 'hi bob');
  assert.equal(read(a.decrypt(b.session!.encrypt(text('hi alice')))), 'hi alice');
  let alice = a;
  let bobSession = b.session!;
  for (let round = 0; round < 5; round++) {
    alice = PairwiseSession.fromJSON(JSON.parse(JSON.stringify(alice)));
    bobSession = PairwiseSession.fromJSON(JSON.parse(JSON.stringify(bobSession)));
    assert.equal(read(bobSession.decrypt(alice.encrypt(text(`a${round}`)))), `a${round}`);
    assert.equal(read(bobSession.decrypt(alice.encrypt(text(`a${round}'`)))), `a${round}'`);
    assert.equal(read(alice.decrypt(bobSession.encrypt(text(`b${round}`)))), `b${round}`);
  }
});

test('the starting side repeats the X3DH header until the first reply, then sends the short form', () => {
  const { bob, a } = pair();
  const first = a.encrypt(text('1'));
  const second = a.encrypt(text('2'));
  assert.equal(first.length, PREKEY_MESSAGE_OVERHEAD_BYTES + 1);
  assert.equal(second.length, PREKEY_MESSAGE_OVERHEAD_BYTES + 1);
  const b = receiver(bob);
  assert.equal(b.open(second), '2', 'the first message was lost; the second still starts the session');
  assert.equal(b.open(first), '1');
  a.decrypt(b.session!.encrypt(text('reply')));
  assert.equal(a.encrypt(text('3')).length, MESSAGE_OVERHEAD_BYTES + 1);
  assert.equal(a.awaitingReply, false);
});

test('any delivery order with losses opens every delivered message exactly once', () => {
  fc.assert(
    fc.property(
      fc.array(fc.boolean(), { minLength: 1, maxLength: 30 }),
      fc.func(fc.integer()),
      fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }),
      (directions, orderKey, dropped) => {
        const { bob, a } = pair();
        const b = receiver(bob);
        // Bob must hear Alice once before he can write: a first exchange in order.
        b.open(a.encrypt(text('start')));
        a.decrypt(b.session!.encrypt(text('ok')));
        const toBob: { wire: Uint8Array; body: string }[] = [];
        const toAlice: { wire: Uint8Array; body: string }[] = [];
        directions.forEach((fromAlice, i) => {
          const body = `m${i}`;
          if (fromAlice) toBob.push({ wire: a.encrypt(text(body)), body });
          else toAlice.push({ wire: b.session!.encrypt(text(body)), body });
        });
        const shuffle = <T>(xs: T[]) => xs.map((x, i) => ({ x, k: orderKey(i) })).sort((p, q) => p.k - q.k).map((p) => p.x);
        shuffle(toBob).forEach((m, i) => {
          if (dropped[i]) return;
          assert.equal(b.open(m.wire), m.body);
          assert.throws(() => b.open(m.wire), isCode('E_REPLAY'));
        });
        shuffle(toAlice).forEach((m, i) => {
          if (dropped[i]) return;
          assert.equal(read(a.decrypt(m.wire)), m.body);
          assert.throws(() => a.decrypt(m.wire), isCode('E_REPLAY'));
        });
      },
    ),
    { numRuns: 40 },
  );
});

test('a message that would skip more than 1000 keys is refused with E_TOO_MANY_SKIPPED and changes nothing', () => {
  const { bob, a } = pair();
  const b = receiver(bob);
  b.open(a.encrypt(text('start')));
  const wires = Array.from({ length: 1002 }, (_, i) => a.encrypt(text(`m${i}`)));
  assert.throws(() => b.open(wires[1001]!), isCode('E_TOO_MANY_SKIPPED'));
  assert.equal(b.open(wires[1000]!), 'm1000', 'exactly 1000 skipped keys are allowed');
  assert.equal(b.open(wires[0]!), 'm0');
  assert.equal(b.open(wires[1001]!), 'm1001');
});

test('flipping any bit of any byte of a message gets a coded refusal, and the genuine message still opens afterwards', () => {
  const { bob, a } = pair();
  const prekeyWire = a.encrypt(text('first, with the X3DH header'));
  for (let i = 0; i < prekeyWire.length; i++) {
    const bad = prekeyWire.slice();
    bad[i]! ^= 1 << (i % 8);
    assert.throws(() => receiver(bob).open(bad), isCode('E_DECRYPT_FAILED', 'E_MESSAGE_MALFORMED', 'E_UNSUPPORTED_VERSION', 'E_UNKNOWN_PREKEY', 'E_BAD_KEY', 'E_TOO_MANY_SKIPPED'), `byte ${i}`);
  }
  const b = receiver(bob);
  assert.equal(b.open(prekeyWire), 'first, with the X3DH header', 'no forged attempt used up the one-time prekey');
  a.decrypt(b.session!.encrypt(text('reply')));
  const wire = a.encrypt(text('a normal message'));
  for (let i = 0; i < wire.length; i++) {
    const bad = wire.slice();
    bad[i]! ^= 0x80 >> (i % 8);
    assert.throws(() => b.open(bad), isCode('E_DECRYPT_FAILED', 'E_MESSAGE_MALFORMED', 'E_UNSUPPORTED_VERSION', 'E_TOO_MANY_SKIPPED', 'E_BAD_KEY', 'E_REPLAY'), `byte ${i}`);
  }
  assert.throws(() => b.open(wire.subarray(0, wire.length - 1)), isCode('E_DECRYPT_FAILED'));
  assert.throws(() => b.open(new Uint8Array([...wire, 0])), isCode('E_DECRYPT_FAILED'));
  assert.equal(b.open(wire), 'a normal message');
});

test('a replayed first message is refused: its one-time prekey is gone', () => {
  const { bob, a } = pair();
  const wire = a.encrypt(text('once'));
  assert.equal(receiver(bob).open(wire), 'once');
  assert.throws(() => receiver(bob).open(wire), isCode('E_UNKNOWN_PREKEY'));
});

test('forward secrecy: state stolen after messages were read cannot open those captured messages', () => {
  const { bob, a } = pair();
  const b = receiver(bob);
  const captured = [a.encrypt(text('secret 1')), a.encrypt(text('secret 2'))];
  captured.forEach((w) => b.open(w));
  a.decrypt(b.session!.encrypt(text('reply')));
  const captured2 = a.encrypt(text('secret 3'));
  b.open(captured2);
  const stolenBob = PairwiseSession.fromJSON(JSON.parse(JSON.stringify(b.session!)));
  const stolenAlice = PairwiseSession.fromJSON(JSON.parse(JSON.stringify(a)));
  for (const w of [...captured, captured2]) {
    assert.throws(() => stolenBob.decrypt(w), isCode('E_REPLAY', 'E_DECRYPT_FAILED'));
    assert.throws(() => stolenAlice.decrypt(w), isCode('E_REPLAY', 'E_DECRYPT_FAILED'));
  }
  // The stolen device state no longer holds the one-time prekey either.
  assert.throws(() => PairwiseSession.respond(DeviceIdentity.fromJSON(bob.toJSON()), decodeRatchetMessage(captured[0]!)), isCode('E_UNKNOWN_PREKEY'));
});

test('post-compromise security: after Bob\'s state leaks, messages two ratchet steps later are unreadable with it', () => {
  const { bob, a } = pair();
  const b = receiver(bob);
  b.open(a.encrypt(text('hello')));
  a.decrypt(b.session!.encrypt(text('hi')));
  const leaked = JSON.parse(JSON.stringify(b.session!));
  const eve = PairwiseSession.fromJSON(leaked);
  // Eve sees all traffic and follows the leaked state as long as she can.
  const m1 = a.encrypt(text('step 1 (Alice ratchets against the leaked key)'));
  assert.equal(b.open(m1), 'step 1 (Alice ratchets against the leaked key)');
  assert.equal(read(eve.decrypt(m1)), 'step 1 (Alice ratchets against the leaked key)', 'the leak does expose this one');
  const m2 = b.session!.encrypt(text('step 2 (Bob ratchets with a fresh key)'));
  a.decrypt(m2);
  assert.throws(() => eve.decrypt(m2), isCode('E_DECRYPT_FAILED'));
  const m3 = a.encrypt(text('step 3'));
  assert.equal(b.open(m3), 'step 3');
  assert.throws(() => eve.decrypt(m3), isCode('E_DECRYPT_FAILED'));
  assert.throws(() => PairwiseSession.fromJSON(leaked).decrypt(m3), isCode('E_DECRYPT_FAILED'));
});

test('corrupt stored session state is refused with E_STATE_MALFORMED', () => {
  const { a } = pair();
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      try {
        PairwiseSession.fromJSON(v);
      } catch (e) {
        assert.ok(isCode('E_STATE_MALFORMED')(e));
      }
    }),
  );
  const j = JSON.parse(JSON.stringify(a));
  assert.throws(() => PairwiseSession.fromJSON({ ...j, ratchet: { ...j.ratchet, rootKey: 'AA' } }), isCode('E_STATE_MALFORMED'));
});

test('starting a session from a bundle whose signed prekey is not signed by its device is refused', () => {
  const alice = DeviceIdentity.generate({ oneTimePrekeys: 0 });
  const bundle = DeviceIdentity.generate({ oneTimePrekeys: 1 }).publishedBundle();
  const other = DeviceIdentity.generate({ oneTimePrekeys: 0 }).publishedBundle();
  assert.throws(() => PairwiseSession.initiate(alice, { ...bundle, signedPrekey: other.signedPrekey }), isCode('E_BAD_SIGNATURE'));
});
