// Groups over sender keys, distributed through real 1:1 sessions as the clients will do it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { DeviceIdentity, GroupSession, MessengerCryptoError, PairwiseSessions, TrustStore, fromBase64url, toBase64url, GROUP_MESSAGE_OVERHEAD_BYTES, type Rekey } from '../src/index.ts';

const text = (s: string) => utf8ToBytes(s);
const read = (b: Uint8Array) => new TextDecoder().decode(b);
const isCode = (...codes: string[]) => (e: unknown) => e instanceof MessengerCryptoError && codes.includes(e.code);

interface Member {
  address: string;
  identity: DeviceIdentity;
  sessions: PairwiseSessions;
  group: GroupSession;
}

function member(address: string): Member {
  const identity = DeviceIdentity.generate({ oneTimePrekeys: 4 });
  return { address, identity, sessions: new PairwiseSessions(identity, new TrustStore()), group: new GroupSession('g1', address) };
}

function connect(all: Member[]): void {
  for (const a of all) {
    for (const b of all) {
      if (a === b || a.sessions.hasSession(b.address) || b.sessions.hasSession(a.address)) continue;
      const bundle = b.identity.publishedBundle();
      a.sessions.startSession(b.address, { ...bundle, oneTimePrekey: bundle.oneTimePrekeys[0] ?? null });
      b.sessions.decrypt(a.address, a.sessions.encrypt(b.address, text('hello')));
    }
  }
}

/** The 'sender-key' messages a re-key produces, as envelopes: to -> ciphertext. */
function distribute(from: Member, rekey: Rekey | undefined): Map<string, string> {
  assert.ok(rekey, 'a membership change re-keys');
  return new Map(rekey.recipients.map((to) => [to, from.sessions.encrypt(to, rekey.distribution)]));
}

function deliver(from: Member, envelopes: Map<string, string>, all: Member[]): void {
  for (const [to, ciphertext] of envelopes) {
    const m = all.find((x) => x.address === to)!;
    m.group.processDistribution(from.address, m.sessions.decrypt(from.address, ciphertext));
  }
}

function setMembersEverywhere(members: Member[], all: Member[]): void {
  const addresses = members.map((m) => m.address);
  const envelopes = members.map((m) => [m, distribute(m, m.group.setMembers(addresses))] as const);
  for (const [from, env] of envelopes) deliver(from, env, all);
}

test('every member device reads every group message, each once, from one shared ciphertext', () => {
  const all = ['alice/1', 'alice/2', 'bob/1', 'carol/1'].map(member);
  connect(all);
  setMembersEverywhere(all, all);
  for (const from of all) {
    const c = from.group.encrypt(text(`from ${from.address}`));
    assert.equal(fromBase64url(c).length, GROUP_MESSAGE_OVERHEAD_BYTES + `from ${from.address}`.length);
    for (const to of all) {
      if (to === from) continue;
      assert.equal(read(to.group.decrypt(from.address, c)), `from ${from.address}`);
      assert.throws(() => to.group.decrypt(from.address, c), isCode('E_REPLAY'));
    }
  }
});

test('late and lost group messages: later ones open first, earlier ones still open after', () => {
  const [a, b] = [member('a/1'), member('b/1')];
  connect([a, b]);
  setMembersEverywhere([a, b], [a, b]);
  const msgs = Array.from({ length: 6 }, (_, i) => a.group.encrypt(text(`m${i}`)));
  for (const i of [5, 2, 0, 4]) assert.equal(read(b.group.decrypt(a.address, msgs[i]!)), `m${i}`);
  const restored = GroupSession.fromJSON(JSON.parse(JSON.stringify(b.group)));
  assert.equal(read(restored.decrypt(a.address, msgs[1]!)), 'm1');
  assert.throws(() => restored.decrypt(a.address, msgs[5]!), isCode('E_REPLAY'));
});

test('a removed member cannot read anything sent after the removal, even holding every old key', () => {
  const [alice, bob, carol] = ['alice/1', 'bob/1', 'carol/1'].map(member) as [Member, Member, Member];
  const all = [alice, bob, carol];
  connect(all);
  setMembersEverywhere(all, all);
  const before = alice.group.encrypt(text('before removal'));
  assert.equal(read(carol.group.decrypt(alice.address, before)), 'before removal');
  const carolKeys = JSON.parse(JSON.stringify(carol.group));

  // Carol is removed: Alice and Bob re-key and send their new keys only to each other. Carol sees all envelopes.
  const aliceEnv = distribute(alice, alice.group.setMembers([alice.address, bob.address]));
  const bobEnv = distribute(bob, bob.group.setMembers([alice.address, bob.address]));
  assert.deepEqual([...aliceEnv.keys()], [bob.address], 'the new key goes to the remaining member only');
  deliver(alice, aliceEnv, all);
  deliver(bob, bobEnv, all);
  const after = alice.group.encrypt(text('after removal'));
  const bobAfter = bob.group.encrypt(text('bob after removal'));
  assert.equal(read(bob.group.decrypt(alice.address, after)), 'after removal');
  assert.equal(read(alice.group.decrypt(bob.address, bobAfter)), 'bob after removal');

  for (const stale of [carol.group, GroupSession.fromJSON(carolKeys)]) {
    assert.throws(() => stale.decrypt(alice.address, after), isCode('E_UNKNOWN_SENDER_KEY'));
    assert.throws(() => stale.decrypt(bob.address, bobAfter), isCode('E_UNKNOWN_SENDER_KEY'));
  }
  // The distributions meant for Bob do not open with Carol's sessions either.
  for (const env of aliceEnv.values()) assert.throws(() => carol.sessions.decrypt(alice.address, env), isCode('E_DECRYPT_FAILED', 'E_REPLAY'));
  // And the remaining members refuse anything Carol still sends.
  assert.throws(() => alice.group.decrypt(carol.address, carol.group.encrypt(text('still here?'))), isCode('E_NOT_A_MEMBER'));
});

test('what a member sent before it was removed still opens, when vouched for, on a device that learns of the removal first; nothing else does', () => {
  const [alice, bob, carol] = ['alice/1', 'bob/1', 'carol/1'].map(member) as [Member, Member, Member];
  const all = [alice, bob, carol];
  connect(all);
  setMembersEverywhere(all, all);
  const said = carol.group.encrypt(text('carol: pump 3 is dry'));
  // Bob hears of the removal before he opens Carol's message (he was offline when she sent it).
  bob.group.setMembers([alice.address, bob.address]);
  assert.throws(() => bob.group.decrypt(carol.address, said), isCode('E_NOT_A_MEMBER'), 'not without the caller vouching it was sent before she left');
  const saved = GroupSession.fromJSON(JSON.parse(JSON.stringify(bob.group)));
  for (const g of [bob.group, saved]) assert.equal(read(g.decrypt(carol.address, said, { sentBeforeLeaving: true })), 'carol: pump 3 is dry');
  // A replay is still refused, and a device that never was a member has no keys to open anything.
  assert.throws(() => bob.group.decrypt(carol.address, said, { sentBeforeLeaving: true }), isCode('E_REPLAY'));
  assert.throws(() => bob.group.decrypt('mallory/1', said, { sentBeforeLeaving: true }), isCode('E_UNKNOWN_SENDER_KEY'));

  // Added back, she is a member again and her earlier keys open her earlier messages as before.
  const more = carol.group.encrypt(text('carol: still there'));
  bob.group.setMembers([alice.address, bob.address, carol.address]);
  assert.equal(read(bob.group.decrypt(carol.address, more)), 'carol: still there');

  // A sender key that arrives after the removal was handed out, vouched for, is kept with her old keys.
  const dave = member('dave/1');
  connect([carol, dave]);
  dave.group.setMembers([alice.address, dave.address]);
  const carolRekey = carol.group.setMembers([alice.address, dave.address, carol.address]);
  const envelope = distribute(carol, carolRekey).get(dave.address)!;
  const late = carol.group.encrypt(text('carol: new key'));
  const plaintext = dave.sessions.decrypt(carol.address, envelope);
  assert.throws(() => dave.group.processDistribution(carol.address, plaintext), isCode('E_NOT_A_MEMBER'));
  dave.group.processDistribution(carol.address, plaintext, { sentBeforeLeaving: true });
  assert.equal(read(dave.group.decrypt(carol.address, late, { sentBeforeLeaving: true })), 'carol: new key');
});

test('a member added later cannot read what was sent before it joined', () => {
  const [alice, bob, dave] = ['alice/1', 'bob/1', 'dave/1'].map(member) as [Member, Member, Member];
  const all = [alice, bob, dave];
  connect(all);
  setMembersEverywhere([alice, bob], all);
  const early = alice.group.encrypt(text('before dave'));
  setMembersEverywhere(all, all);
  assert.throws(() => dave.group.decrypt(alice.address, early), isCode('E_UNKNOWN_SENDER_KEY'));
  assert.equal(read(dave.group.decrypt(alice.address, alice.group.encrypt(text('welcome')))), 'welcome');
  assert.equal(alice.group.setMembers(all.map((m) => m.address)), undefined, 'no change, no re-key');
});

test('a member cannot forge a message as another, and every altered byte is refused with a code', () => {
  const [alice, bob, mallory] = ['alice/1', 'bob/1', 'mallory/1'].map(member) as [Member, Member, Member];
  const all = [alice, bob, mallory];
  connect(all);
  setMembersEverywhere(all, all);
  const genuine = fromBase64url(alice.group.encrypt(text('pay 10')));
  for (let i = 0; i < genuine.length; i++) {
    const bad = genuine.slice();
    bad[i]! ^= 0x01;
    assert.throws(() => bob.group.decrypt(alice.address, toBase64url(bad)), isCode('E_BAD_SIGNATURE', 'E_UNKNOWN_SENDER_KEY', 'E_UNSUPPORTED_VERSION'), `byte ${i}`);
  }
  // Mallory holds Alice's chain key (every member does) but not her signing key: she signs with her own.
  const forged = fromBase64url(mallory.group.encrypt(text('pay 1000')));
  forged.set(genuine.subarray(1, 5), 1);
  assert.throws(() => bob.group.decrypt(alice.address, toBase64url(forged)), isCode('E_BAD_SIGNATURE'));
  assert.equal(read(bob.group.decrypt(alice.address, toBase64url(genuine))), 'pay 10');
  assert.throws(() => bob.group.decrypt(alice.address, toBase64url(genuine.subarray(0, 50))), isCode('E_MESSAGE_MALFORMED'));
});
