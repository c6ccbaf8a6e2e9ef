// End-to-end encrypted private messages between field devices, with no gateway or hub: three
// nodes in a line A–B–C on the in-process medium (A cannot hear C, B relays), each with its own
// identity and database, as `unibos node` runs them.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import fc from 'fast-check';
import { SeededRandom, SimMedium, SimScheduler, formatNodeId, loraParams, type DirectMessage } from '@unibos/mesh-protocol';
import { MESH_DIRECT_MAX_TEXT_BYTES, MeshDirectEndpoint, meshNodeIdFromPublicKey, newX25519KeyPair, systemRandom } from '@unibos/messenger-crypto';
import { Device } from '../src/node/device.ts';
import { loadOrCreateIdentity } from '../src/node/identity.ts';
import { loadNodeConfig } from '../src/node/node-config.ts';
import { openNodeDb, type Db } from '../src/node/node-db.ts';
import { SimManagedRadio } from '../src/radio/sim-managed-radio.ts';
import { MAX_PEERS } from '../src/node/peer-store.ts';
import { startControlServer } from '../src/control/control-server.ts';
import { controlSocketPath } from '../src/control/control-socket.ts';

const silent = pino({ level: 'silent' });
const FORMS = ['?', 'INIT', 'STEP', 'SHORT'];

function line(t: TestContext, names: string[]) {
  const scheduler = new SimScheduler();
  const rng = new SeededRandom(11);
  const dirs = names.map((n) => mkdtempSync(join(tmpdir(), `unibos-pm-${n}-`)));
  const identities = dirs.map((d) => loadOrCreateIdentity(join(d, 'identity.json')));
  const index = new Map(identities.map((id, i) => [id.nodeId, i]));
  /** Every Data.direct that went on the air, as the frames carried it (what anyone listening has). */
  const onAir: Array<{ from: number; direct: DirectMessage }> = [];
  const seen = new Set<string>();
  const medium = new SimMedium({
    params: loraParams('ShortFast'),
    scheduler,
    random: rng.fork(),
    link: (from, to) => (Math.abs(index.get(from)! - index.get(to)!) === 1 ? { rssi: -100, snr: 3 } : null),
  });
  const nodes = new Map<string, { device: Device; db: Db; id: number; dir: string }>();
  const make = (i: number) => {
    const name = names[i]!;
    const config = loadNodeConfig({ env: {}, flags: { 'data-dir': dirs[i]!, preset: 'ShortFast', role: 'CLIENT', name } });
    const db = openNodeDb(join(dirs[i]!, 'node.db'));
    const radio = new SimManagedRadio(medium.radio(identities[i]!.nodeId), scheduler);
    const device = new Device({ config, identity: identities[i]!, db, radio, logger: silent, scheduler, random: rng.fork(), clock: () => 1_800_000_000_000 + scheduler.now(), health: () => ({ batteryLevel: 80, voltage: 3.9 }) });
    // B is in the middle: it hears every frame A and C put on the air (each original once).
    if (name === 'B') {
      device.router.on('heard', (h) => {
        const key = `${h.header.from}:${h.header.id}`;
        if (h.data.direct && !seen.has(key)) {
          seen.add(key);
          onAir.push({ from: h.header.from, direct: h.data.direct });
        }
      });
    }
    const node = { device, db, id: identities[i]!.nodeId, dir: dirs[i]! };
    nodes.set(name, node);
    return node;
  };
  names.forEach((_, i) => make(i));
  t.after(async () => {
    for (const n of nodes.values()) {
      await n.device.stop();
      n.db.close();
    }
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return {
    medium,
    onAir,
    get: (n: string) => nodes.get(n)!,
    startAll: async () => {
      for (const n of nodes.values()) await n.device.start();
    },
    run: (ms: number) => scheduler.runUntil(scheduler.now() + ms),
    restart: async (n: string, { wipeDb = false } = {}) => {
      const old = nodes.get(n)!;
      await old.device.stop();
      old.db.close();
      medium.detach(old.id);
      // Reflashed with the identity kept (restored from a backup) but a new, empty database.
      if (wipeDb) for (const f of ['node.db', 'node.db-wal', 'node.db-shm']) rmSync(join(old.dir, f), { force: true });
      const fresh = make(names.indexOf(n));
      await fresh.device.start();
      return fresh;
    },
  };
}

const privateIn = (device: Device) => device.inbox.since(0, 1000).filter((m) => m.kind === 'private');
const formOf = (d: DirectMessage) => FORMS[d.sealed[0]! & 0x0f];

test('two nodes exchange private messages both ways through a relay, INIT then STEP then SHORT, and the relay reads nothing', async (t) => {
  const net = line(t, ['A', 'B', 'C']);
  await net.startAll();
  net.run(60_000); // announcements: everyone learns everyone's key from NodeInfo
  const [a, b, c] = [net.get('A'), net.get('B'), net.get('C')];

  a.device.sendPrivate('meet at the mosque at 6', c.id);
  net.run(60_000);
  c.device.sendPrivate('ok, bringing water', a.id);
  net.run(60_000);
  a.device.sendPrivate('thanks', c.id);
  net.run(60_000);
  a.device.sendPrivate('see you', c.id);
  net.run(60_000);

  assert.deepEqual(privateIn(c.device).map((m) => [m.from, m.text, m.decryptError]), [
    [a.id, 'meet at the mosque at 6', null],
    [a.id, 'thanks', null],
    [a.id, 'see you', null],
  ]);
  assert.deepEqual(privateIn(a.device).map((m) => [m.from, m.text, m.hops]), [[c.id, 'ok, bringing water', 2]]);
  assert.equal(b.device.inbox.since().length, 0, 'the relay stores nothing');
  const sentByEnds = net.onAir.filter((f) => f.from === a.id || f.from === c.id);
  assert.deepEqual(sentByEnds.map((f) => formOf(f.direct)), ['INIT', 'STEP', 'STEP', 'SHORT']);
  for (const f of net.onAir) {
    assert.ok(!Buffer.from(f.direct.sealed).includes(Buffer.from('mosque')), 'no plaintext on the air');
    assert.ok([a.id, c.id].includes(f.direct.sender));
  }
  assert.equal(a.device.outbox.size, 0, "C's acks emptied A's outbox");
});

test('a tampered private message is stored as "could not decrypt" with the reason, and the conversation goes on', async (t) => {
  const net = line(t, ['A', 'B', 'C']);
  await net.startAll();
  net.run(60_000);
  const [a, b, c] = [net.get('A'), net.get('B'), net.get('C')];
  a.device.sendPrivate('first', c.id);
  net.run(60_000);
  // A's next message, caught by B in the middle before C has it, and sent on with one bit flipped.
  const original = a.device.privateMessages.seal(c.id, 'second');
  const sealed = original.sealed.slice();
  sealed[sealed.length - 1]! ^= 0x01;
  b.device.router.send(c.id, { direct: { sender: a.id, sealed } }, { wantAck: true });
  net.run(60_000);
  a.device.router.send(c.id, { direct: original }, { wantAck: true });
  net.run(60_000);

  const got = privateIn(c.device);
  assert.equal(got.length, 3);
  assert.deepEqual([got[0]!.text, got[2]!.text], ['first', 'second']);
  assert.equal(got[1]!.from, a.id);
  assert.equal(got[1]!.decryptError, 'E_DECRYPT_FAILED');
  assert.match(got[1]!.text, /^could not decrypt: /);
  assert.equal(c.device.privateMessages.failures.get('E_DECRYPT_FAILED'), 1);
});

test('a text too long is refused before anything is sent, and a peer without a known key gets a node-info request instead', async (t) => {
  const net = line(t, ['A', 'B', 'C']);
  await net.startAll();
  net.run(60_000);
  const [a, c] = [net.get('A'), net.get('C')];
  const before = net.medium.stats.transmissions;
  assert.throws(() => a.device.sendPrivate('x'.repeat(MESH_DIRECT_MAX_TEXT_BYTES + 1), c.id), { code: 'E_TEXT_TOO_LONG' });
  assert.throws(() => a.device.sendPrivate('ğ'.repeat(59), c.id), { code: 'E_TEXT_TOO_LONG' }, 'the limit is in UTF-8 bytes');
  assert.equal(a.device.outbox.size, 0);
  net.run(60_000);
  assert.equal(net.medium.stats.transmissions, before, 'no frame on the air');
  assert.equal(net.onAir.length, 0);

  const stranger = 0x0badcafe;
  const askedAtB: number[] = [];
  net.get('B').device.router.on('heard', (h) => {
    if (h.header.from === a.id && h.data.nodeInfo && h.data.wantResponse) askedAtB.push(h.header.to);
  });
  assert.throws(() => a.device.sendPrivate('hello', stranger), { code: 'E_NO_KEY', message: /asked it for its node info/ });
  net.run(60_000);
  assert.ok(askedAtB.includes(stranger), 'a node-info request went to it');
  assert.equal(net.onAir.length, 0, 'but no private message');
  a.device.sendPrivate('x'.repeat(MESH_DIRECT_MAX_TEXT_BYTES), c.id);
  net.run(60_000);
  assert.equal(privateIn(c.device)[0]?.text, 'x'.repeat(MESH_DIRECT_MAX_TEXT_BYTES), 'the longest text allowed arrives');
});

test('restarting a node keeps its sessions: the conversation continues in SHORT form both ways', async (t) => {
  const net = line(t, ['A', 'B', 'C']);
  await net.startAll();
  net.run(60_000);
  let [a, c] = [net.get('A'), net.get('C')];
  a.device.sendPrivate('one', c.id);
  net.run(60_000);
  c.device.sendPrivate('two', a.id);
  net.run(60_000);
  a.device.sendPrivate('three', c.id);
  net.run(60_000);

  c = await net.restart('C');
  a = await net.restart('A');
  net.run(30_000);
  a.device.sendPrivate('four', c.id);
  net.run(60_000);
  c.device.sendPrivate('five', a.id);
  net.run(60_000);
  c.device.sendPrivate('six', a.id);
  net.run(60_000);

  assert.deepEqual(privateIn(c.device).map((m) => [m.text, m.decryptError]), [['one', null], ['three', null], ['four', null]]);
  assert.deepEqual(privateIn(a.device).map((m) => [m.text, m.decryptError]), [['two', null], ['five', null], ['six', null]]);
  const last = net.onAir.filter((f) => f.from === a.id || f.from === c.id).map((f) => formOf(f.direct));
  assert.equal(last.at(-1), 'SHORT');
  assert.ok(!last.slice(3).includes('INIT'), 'no new handshake after the restart');
});

test('a node that lost its database answers that it cannot open a private message, and the sender starts a new session that it can open', async (t) => {
  const net = line(t, ['A', 'B', 'C']);
  await net.startAll();
  net.run(60_000);
  const [a, c] = [net.get('A'), net.get('C')];
  a.device.sendPrivate('first', c.id);
  net.run(60_000);
  c.device.sendPrivate('reply', a.id);
  net.run(60_000);
  const c2 = await net.restart('C', { wipeDb: true });
  net.run(60_000);
  a.device.sendPrivate('lost with its data', c2.id);
  net.run(60_000);
  a.device.sendPrivate('after the reflash', c2.id);
  net.run(60_000);
  assert.deepEqual(privateIn(c2.device).map((m) => [m.text.startsWith('could not decrypt') ? 'could not decrypt' : m.text, m.decryptError]), [
    ['could not decrypt', 'E_NO_SESSION'],
    ['after the reflash', null],
  ]);
  const fromA = net.onAir.filter((f) => f.from === a.id);
  assert.deepEqual(fromA.map((f) => formOf(f.direct)), ['INIT', 'STEP', 'INIT'], 'the message after NOT_OPENED starts a new session');
});

test('a node key must hash to its id: a NodeInfo with someone else\'s key is not used for private messages', async (t) => {
  const net = line(t, ['A', 'B']);
  const [a, b] = [net.get('A'), net.get('B')];
  const foreign = new Uint8Array(32).fill(9);
  assert.notEqual(meshNodeIdFromPublicKey(foreign), b.id);
  a.device.privateMessages.keyHeard(b.id, foreign, 0);
  assert.equal(a.device.privateMessages.keyFor(b.id), undefined);
});

test('keys announced by more nodes than the peer list holds do not grow the node database without bound: the most recently heard are kept', async (t) => {
  // Anyone on a public channel can invent node ids with keys that hash to them, as fast as the air allows.
  const net = line(t, ['A']);
  const a = net.get('A');
  const heard: number[] = [];
  for (let i = 0; i < MAX_PEERS + 500; i++) {
    const { publicKey } = newX25519KeyPair(systemRandom);
    const id = meshNodeIdFromPublicKey(publicKey);
    a.device.privateMessages.keyHeard(id, publicKey, 1_000 + i);
    heard.push(id);
  }
  const { n } = a.db.prepare('SELECT COUNT(*) AS n FROM direct_peer_keys').get() as { n: number };
  assert.ok(n <= MAX_PEERS, `${n} keys kept`);
  assert.ok(a.device.privateMessages.keyFor(heard.at(-1)!), 'the newest is kept');
  assert.equal(a.device.privateMessages.keyFor(heard[0]!), undefined, 'the oldest is forgotten');
});

test('random bytes in Data.direct never crash the node: each is stored as "could not decrypt" or ignored as a repeat', async (t) => {
  const net = line(t, ['A', 'B']);
  await net.startAll();
  const [a, b] = [net.get('A'), net.get('B')];
  let id = 1;
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 260 }), fc.integer({ min: 1, max: 0xfffffffe }), fc.boolean(), (sealed, sender, versioned) => {
      if (versioned && sealed.length > 0) sealed[0] = 0x10 | (sealed[0]! & 0x0f);
      const packetId = id++;
      const before = privateIn(a.device).length;
      a.device.router.emit('deliver', { from: b.id, to: a.id, id: packetId, kind: 'direct', data: { direct: { sender, sealed } }, hops: 0, rssi: -90, snr: 5, rxTimeMs: 0, viaMqtt: false, channel: 'x' });
      const got = privateIn(a.device);
      assert.equal(got.length, before + 1);
      assert.equal(got.at(-1)!.from, sender);
      assert.match(got.at(-1)!.text, /^could not decrypt: /);
      assert.ok(got.at(-1)!.decryptError);
    }),
    { numRuns: 300 },
  );
});

test('a private message that arrives before the one starting its chain is kept, and opens when that one arrives', async (t) => {
  const net = line(t, ['A', 'B', 'C']);
  const [a, c] = [net.get('A'), net.get('C')];
  const aKey = loadOrCreateIdentity(join(a.db.name, '..', 'identity.json')).publicKey;
  const cKey = loadOrCreateIdentity(join(c.db.name, '..', 'identity.json')).publicKey;
  a.device.privateMessages.keyHeard(c.id, cKey, 0);
  c.device.privateMessages.keyHeard(a.id, aKey, 0);
  let packetId = 100;
  const deliver = (to: typeof a, direct: DirectMessage) =>
    to.device.router.emit('deliver', { from: direct.sender, to: to.id, id: packetId++, kind: 'direct', data: { direct }, hops: 1, rssi: -90, snr: 5, rxTimeMs: 0, viaMqtt: false, channel: 'x' });

  deliver(c, a.device.privateMessages.seal(c.id, 'one'));
  deliver(a, c.device.privateMessages.seal(a.id, 'two'));
  // A's new chain: its first message (STEP) is overtaken on the way by the two after it (SHORT).
  const three = a.device.privateMessages.seal(c.id, 'three');
  const four = a.device.privateMessages.seal(c.id, 'four');
  const five = a.device.privateMessages.seal(c.id, 'five');
  assert.deepEqual([formOf(three), formOf(four), formOf(five)], ['STEP', 'SHORT', 'SHORT']);
  deliver(c, five);
  deliver(c, four);
  assert.deepEqual(privateIn(c.device).map((m) => m.decryptError), [null, 'E_EARLY_MESSAGE', 'E_EARLY_MESSAGE']);
  const heard: string[] = [];
  c.device.on('message', (m) => heard.push(m.text));
  deliver(c, three);

  assert.deepEqual(privateIn(c.device).map((m) => [m.text, m.decryptError]), [['one', null], ['five', null], ['four', null], ['three', null]]);
  assert.deepEqual(heard.sort(), ['five', 'four', 'three'], 'each is announced once it opens');
});

/** POST /send on the node's control socket: the status and the JSON answer as a client sees them. */
function postSend(dir: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: controlSocketPath(dir), path: '/send', method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

test('the control API sends private messages and refuses bad ones with a stable code', async (t) => {
  const net = line(t, ['A', 'B']);
  const [a, b] = [net.get('A'), net.get('B')];
  const control = await startControlServer({ device: a.device, dataDir: a.dir, httpPort: 0, logger: silent });
  t.after(() => control.close());
  await net.startAll();
  net.run(60_000);
  const to = formatNodeId(b.id);

  const tooLong = await postSend(a.dir, { text: 'x'.repeat(MESH_DIRECT_MAX_TEXT_BYTES + 1), to, private: true });
  assert.deepEqual([tooLong.status, tooLong.json.code], [400, 'E_TEXT_TOO_LONG']);
  const noTo = await postSend(a.dir, { text: 'hi', private: true });
  assert.deepEqual([noTo.status, noTo.json.code], [400, 'E_BAD_REQUEST']);
  assert.match(String(noTo.json.message), /give "to"/);
  const notBool = await postSend(a.dir, { text: 'hi', to, private: 'yes' });
  assert.match(String(notBool.json.message), /private must be true or false/);
  const unknown = await postSend(a.dir, { text: 'hi', to: formatNodeId(0x0badcafe), private: true });
  assert.deepEqual([unknown.status, unknown.json.code], [400, 'E_NO_KEY']);
  assert.equal(a.device.outbox.size, 0);

  const ok = await postSend(a.dir, { text: 'hi B', to, private: true });
  assert.equal(ok.status, 202);
  net.run(30_000);
  assert.deepEqual(privateIn(b.device).map((m) => m.text), ['hi B']);

  // An unreadable one is counted by its code where an operator looks.
  a.device.router.emit('deliver', { from: b.id, to: a.id, id: 77, kind: 'direct', data: { direct: { sender: b.id, sealed: new Uint8Array([0x13, 1, 2, 3]) } }, hops: 0, rssi: -90, snr: 5, rxTimeMs: 0, viaMqtt: false, channel: 'x' });
  const metrics = await (await fetch(`http://127.0.0.1:${control.httpPort}/metrics`)).text();
  assert.match(metrics, /^unibos_private_messages_unreadable\{code="E_MESSAGE_MALFORMED"\} 1$/m);
});

test("a hub user's device (its messages carried by a gateway) is no radio: a reply to it is not retried for a day; a node never heard is", async (t) => {
  const net = line(t, ['A', 'B', 'C']);
  await net.startAll();
  net.run(60_000);
  const [a, b] = [net.get('A'), net.get('B')];
  // A hub user's messenger device: an identity key and the address that is its hash, no radio.
  const user = new MeshDirectEndpoint(newX25519KeyPair(systemRandom));
  b.device.sendSealed(a.id, { sender: user.nodeId, sealed: user.encodeMeshDirect({ nodeId: a.id, identityKey: loadOrCreateIdentity(join(a.dir, 'identity.json')).publicKey }, 'is the bridge open?') });
  net.run(60_000);
  assert.deepEqual(privateIn(a.device).map((m) => [m.from, m.text]), [[user.nodeId, 'is the bridge open?']]);

  // A plain text to the user would go on air and reach nobody (the hub files private messages only): refused, saying how.
  assert.throws(() => a.device.sendText('yes, one lane', user.nodeId), { code: 'E_BAD_REQUEST', message: /is a hub user's messenger: a plain text never reaches them; send it private \(--private\)/ });
  // A answers the user privately, and texts a node it has never heard (switched off somewhere).
  a.device.sendPrivate('yes, one lane', user.nodeId);
  a.device.sendText('are you there?', 0x3c0ffee1);
  net.run(10 * 60_000);
  const waiting = a.device.outbox.dueAt(Number.MAX_SAFE_INTEGER, 'text', 10).map((e) => e.to);
  assert.deepEqual(waiting, [0x3c0ffee1], 'the reply went on air and is done; the text to the unheard node waits to be tried again');
});
