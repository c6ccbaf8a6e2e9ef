// A node that restarts, cleanly or killed, still refuses a recording of a frame it took before:
// played back, it is neither delivered again nor relayed, and the sender's next frame still arrives.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { BROADCAST, SeededRandom, SimMedium, SimScheduler, deriveChannelKey, encodeFrame, encodeReplaySnapshot, framePacketId, frameSender, lastByte, loraParams, readHeader, type ChannelKey, type Delivery } from '@unibos/mesh-protocol';
import { EventWaiter } from '@unibos/test-support';
import { Device } from '../src/node/device.ts';
import { AirRadio } from '../src/radio/air-radio.ts';
import { SimAir } from '../src/radio/sim-air.ts';
import { ReplayStateStore } from '../src/node/replay-state-store.ts';
import { loadOrCreateIdentity } from '../src/node/identity.ts';
import { loadNodeConfig } from '../src/node/node-config.ts';
import { openNodeDb } from '../src/node/node-db.ts';
import { SimManagedRadio } from '../src/radio/sim-managed-radio.ts';
import { killNodeProcesses, nodeProcess, type NodeProcess } from './support/node-process.ts';

const EPOCH = Date.UTC(2026, 10, 22, 12);
const silent = pino({ level: 'silent' });
/** A radio that runs no node: it records what it hears and plays it back. */
const EVE = 0x0e0e0e0e;

/** A – B – C in a line, with Eve beside A and B (she hears both, both hear her). */
function line() {
  const scheduler = new SimScheduler();
  const rng = new SeededRandom(11);
  const names = ['A', 'B', 'C'];
  const dirs = names.map((n) => mkdtempSync(join(tmpdir(), `unibos-replay-${n}-`)));
  const ids = dirs.map((d) => loadOrCreateIdentity(join(d, 'identity.json')));
  const place = new Map<number, number>([...ids.map((id, i): [number, number] => [id.nodeId, i]), [EVE, 0.5]]);
  const medium = new SimMedium({
    params: loraParams('ShortFast'),
    scheduler,
    random: rng.fork(),
    link: (from, to) => (Math.abs(place.get(from)! - place.get(to)!) <= 1 ? { rssi: -100, snr: 3 } : null),
    lossProbability: 0,
  });
  const heardByEve: Uint8Array[] = [];
  const eve = medium.radio(EVE);
  eve.attach({ onReceive: (p) => heardByEve.push(p.bytes.slice()), onTransmitDone: () => undefined });
  const start = (i: number) => {
    const config = loadNodeConfig({ env: {}, flags: { 'data-dir': dirs[i]!, preset: 'ShortFast', name: names[i]! } });
    const db = openNodeDb(join(dirs[i]!, 'node.db'));
    const radio = new SimManagedRadio(medium.radio(ids[i]!.nodeId), scheduler);
    const device = new Device({ config, identity: ids[i]!, db, radio, logger: silent, scheduler, random: rng.fork(), clock: () => EPOCH + scheduler.now(), health: () => ({}) });
    const deliveries: Delivery[] = [];
    device.router.on('deliver', (d) => deliveries.push(d));
    return { device, db, deliveries };
  };
  const nodes = names.map((_, i) => start(i));
  return {
    nodes,
    heardByEve,
    replay: (bytes: Uint8Array) => eve.transmit(bytes),
    run: (ms: number) => scheduler.runUntil(scheduler.now() + ms),
    /** Stops B as `unibos node` does on SIGTERM and starts it again on the same data dir. */
    restartB: async () => {
      await nodes[1]!.device.stop();
      nodes[1]!.db.close();
      medium.detach(ids[1]!.nodeId);
      nodes[1] = start(1);
      await nodes[1].device.start();
      return nodes[1];
    },
  };
}

test('a node restarted on the same data dir neither delivers nor relays a recording of a text it took before', async () => {
  const net = line();
  for (const n of net.nodes) await n.device.start();
  net.run(30_000);
  const a = net.nodes[0]!;
  const b = net.nodes[1]!;
  const { packetId } = a.device.sendText('water at the school');
  net.run(60_000);
  assert.deepEqual(b.device.inbox.since().map((m) => m.text), ['water at the school']);
  const isText = (f: Uint8Array) => frameSender(f) === a.device.nodeId && framePacketId(f) === packetId;
  const recording = net.heardByEve.find(isText);
  assert.ok(recording, 'Eve recorded the text off the air');

  const b2 = await net.restartB();
  net.run(30_000);
  const heardBefore = net.heardByEve.length;
  net.replay(recording);
  net.run(60_000);

  assert.equal(b2.deliveries.filter((d) => d.id === packetId).length, 0, 'not delivered to the node again');
  assert.equal(net.heardByEve.slice(heardBefore).filter(isText).length, 0, 'not relayed: no copy went on air after the playback');
  assert.equal(b2.device.router.stats.dropCount('E_REPLAY'), 1, 'refused as a replay');
  assert.deepEqual(b2.device.inbox.since().map((m) => m.text), ['water at the school'], 'one copy in the inbox');

  a.device.sendText('and bread at the church');
  net.run(60_000);
  assert.deepEqual(b2.device.inbox.since().map((m) => m.text), ['water at the school', 'and bread at the church'], "the sender's next text arrives");
  assert.deepEqual(net.nodes[2]!.device.inbox.since().map((m) => m.text), ['water at the school', 'and bread at the church'], 'and is relayed on');
});

/** A text from node A as A sealed it: what a recording off the air holds. */
function textFrom(a: number, counter: number, text: string, channel: ChannelKey): Uint8Array {
  return encodeFrame({ to: BROADCAST, from: a, id: 5000 + counter, hopLimit: 3, hopStart: 3, wantAck: false, viaMqtt: false, nextHop: 0, relayNode: a & 0xff, counter }, { text }, channel);
}

test('a node killed with SIGKILL after taking a text still refuses its recording when it comes back', { timeout: 90_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'unibos-replay-kill-'));
  const b = loadOrCreateIdentity(join(dir, 'identity.json')).nodeId;
  const flags: Record<string, string> = { 'data-dir': dir, radio: 'sim', preset: 'ShortFast', lat: '41', lon: '29', 'http-port': 'off', name: 'B' };
  const config = loadNodeConfig({ env: {}, flags });
  const params = Device.radioParams(config);
  const channel = deriveChannelKey(config.channel.name, config.channel.psk);
  const air = new SimAir({ params, port: 0 });
  flags.air = `127.0.0.1:${await air.listen()}`;
  const waiter = new EventWaiter();
  // Eve, beside B: records what is on air and plays it back.
  const heard: Uint8Array[] = [];
  const eve = new AirRadio({ nodeId: EVE, params, position: { latitude: 41, longitude: 29.001 }, port: Number(flags.air.split(':')[1]) });
  await eve.open();
  eve.attach({ onReceive: (p) => (heard.push(p.bytes.slice()), waiter.wake()), onTransmitDone: () => waiter.wake() });
  const procs: NodeProcess[] = [];
  t.after(async () => {
    await killNodeProcesses(procs);
    await eve.close();
    await air.close();
  });
  const A = 0x0a0a0a0a;
  const relayedByB = (id: number, from = 0) => heard.slice(from).filter((f) => frameSender(f) === A && framePacketId(f) === id && readHeader(f).relayNode === lastByte(b)).length;
  const started = async (p: NodeProcess) => waiter.until(() => p.out.includes('"msg":"node started"'), () => `the node to start:\n${p.out}`, 30_000);

  const first = nodeProcess(flags, waiter);
  procs.push(first);
  await started(first);
  const recording = textFrom(A, 1, 'water at the school', channel);
  eve.transmit(recording);
  await waiter.until(() => relayedByB(5001) > 0 && first.out.includes('"msg":"replay state saved"'), () => `B to relay the text and save its replay state:\n${first.out}`, 20_000);
  first.child.kill('SIGKILL');
  await first.exited;

  const second = nodeProcess(flags, waiter);
  procs.push(second);
  await started(second);
  const mark = heard.length;
  eve.transmit(recording);
  await waiter.until(() => second.out.includes('"reason":"E_REPLAY"') || relayedByB(5001, mark) > 0, () => `B to refuse or relay the recording:\n${second.out}`, 20_000);
  eve.transmit(textFrom(A, 2, 'and bread at the church', channel));
  await waiter.until(() => relayedByB(5002, mark) > 0, () => `B to relay the next text:\n${second.out}`, 20_000);
  assert.equal(relayedByB(5001, mark), 0, 'the recording was not put on air again');
  assert.ok(second.out.includes('"reason":"E_REPLAY"'), 'it was refused as a replay');
});

test('a damaged or foreign replay state on disk is refused with a log line and the node starts without it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'unibos-replay-bad-'));
  const identity = loadOrCreateIdentity(join(dir, 'identity.json'));
  const db = openNodeDb(join(dir, 'node.db'));
  const put = db.prepare("INSERT INTO kv (key, value) VALUES ('replay_state', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  const warnings: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push((JSON.parse(line) as { msg: string }).msg) });
  const scheduler = new SimScheduler();
  const store = new ReplayStateStore(db, { scheduler, log, onError: (err) => assert.fail(String(err)) });

  put.run('not a snapshot at all');
  assert.equal(store.load(identity.nodeId), undefined);
  put.run(Buffer.from(encodeReplaySnapshot({ nodeId: identity.nodeId ^ 1, channels: [] })).toString('base64'));
  assert.equal(store.load(identity.nodeId), undefined);
  assert.deepEqual(warnings, ['saved replay state does not parse: starting without it', 'saved replay state belongs to another node: starting without it']);

  // A whole node on that disk starts, and hears texts.
  put.run(Buffer.from([1, 2, 3]).toString('base64'));
  const medium = new SimMedium({ params: loraParams('ShortFast'), scheduler, random: new SeededRandom(3), link: () => ({ rssi: -100, snr: 3 }), lossProbability: 0 });
  const config = loadNodeConfig({ env: {}, flags: { 'data-dir': dir, preset: 'ShortFast', name: 'B' } });
  const device = new Device({ config, identity, db, radio: new SimManagedRadio(medium.radio(identity.nodeId), scheduler), logger: silent, scheduler, random: new SeededRandom(4), health: () => ({}) });
  await device.start();
  const eve = medium.radio(EVE);
  eve.attach({ onReceive: () => undefined, onTransmitDone: () => undefined });
  eve.transmit(textFrom(0x0a0a0a0a, 1, 'still here', deriveChannelKey(config.channel.name, config.channel.psk)));
  scheduler.runUntil(scheduler.now() + 10_000);
  assert.deepEqual(device.inbox.since().map((m) => m.text), ['still here']);
  await device.stop();
  db.close();
});
