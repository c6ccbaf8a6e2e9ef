// The node loop on simulated time: three devices in a line A–B–C (A cannot hear C) on the
// in-process medium, each with its own identity, database and outbox, as `unibos node` runs them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { BROADCAST, SeededRandom, SimMedium, SimScheduler, loraParams } from '@unibos/mesh-protocol';
import { Device } from '../src/node/device.ts';
import { loadOrCreateIdentity, type NodeIdentity } from '../src/node/identity.ts';
import { loadNodeConfig } from '../src/node/node-config.ts';
import { openNodeDb, type Db } from '../src/node/node-db.ts';
import type { GpsFix, GpsSource } from '../src/gps/gps-source.ts';
import type { DevicePanel } from '../src/gpio/device-panel.ts';
import { JohnnyFivePanel } from '../src/gpio/johnny-five-panel.ts';
import { VirtualIo } from '../src/gpio/virtual-io.ts';
import { SimManagedRadio } from '../src/radio/sim-managed-radio.ts';
import type { DeviceHealth } from '../src/node/telemetry-reader.ts';
import { sosSummary } from '../src/node/sos-summary.ts';

const EPOCH = Date.UTC(2026, 10, 22, 12);
const silent = pino({ level: 'silent' });

interface Node {
  name: string;
  dir: string;
  identity: NodeIdentity;
  db: Db;
  radio: SimManagedRadio;
  device: Device;
}

/** A line of nodes where only neighbours in the list hear each other. */
function line(
  names: string[],
  options: {
    roles?: Record<string, string>;
    seed?: number;
    gps?: Record<string, GpsSource>;
    precisionBits?: Record<string, number>;
    panel?: (scheduler: SimScheduler) => Record<string, DevicePanel>;
    health?: Record<string, () => DeviceHealth>;
  } = {},
) {
  const scheduler = new SimScheduler();
  const rng = new SeededRandom(options.seed ?? 7);
  const dirs = names.map((n) => mkdtempSync(join(tmpdir(), `unibos-${n}-`)));
  const identities = dirs.map((d) => loadOrCreateIdentity(join(d, 'identity.json')));
  const index = new Map(identities.map((id, i) => [id.nodeId, i]));
  const medium = new SimMedium({
    params: loraParams('ShortFast'),
    scheduler,
    random: rng.fork(),
    link: (from, to) => (Math.abs(index.get(from)! - index.get(to)!) === 1 ? { rssi: -100, snr: 3 } : null),
  });
  const clock = () => EPOCH + scheduler.now();
  const panels = options.panel?.(scheduler) ?? {};
  const nodes = new Map<string, Node>();
  const make = (i: number): Node => {
    const name = names[i]!;
    const config = loadNodeConfig({ env: {}, flags: { 'data-dir': dirs[i]!, preset: 'ShortFast', role: options.roles?.[name] ?? 'CLIENT', name } });
    const precision = options.precisionBits?.[name];
    if (precision) config.beacons.positionPrecisionBits = precision;
    const db = openNodeDb(join(dirs[i]!, 'node.db'));
    const radio = new SimManagedRadio(medium.radio(identities[i]!.nodeId), scheduler);
    const device = new Device({ config, identity: identities[i]!, db, radio, logger: silent, scheduler, random: rng.fork(), clock, health: options.health?.[name] ?? (() => ({ batteryLevel: 80, voltage: 3.9 })), gps: options.gps?.[name], panel: panels[name] });
    const node = { name, dir: dirs[i]!, identity: identities[i]!, db, radio, device };
    nodes.set(name, node);
    return node;
  };
  names.forEach((_, i) => make(i));
  return {
    scheduler,
    medium,
    nodes,
    get: (n: string) => nodes.get(n)!,
    /** Replaces node `n` with a fresh process on the same identity and database (a restart). */
    restart: async (n: string) => {
      const old = nodes.get(n)!;
      await old.device.stop();
      old.db.close();
      medium.detach(old.identity.nodeId);
      const fresh = make(names.indexOf(n));
      return fresh;
    },
    startAll: async () => {
      for (const n of nodes.values()) await n.device.start();
    },
    run: (ms: number) => scheduler.runUntil(scheduler.now() + ms),
    /** Like run, but lets promises settle every simulated second (for parts that start asynchronously). */
    runSettling: async (ms: number) => {
      const end = scheduler.now() + ms;
      while (scheduler.now() < end) {
        scheduler.runUntil(Math.min(end, scheduler.now() + 1000));
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
  };
}

/**
 * What the gateway's bridge does once an SOS is committed to its hub outbox: answer `gateway`.
 * (The device alone never answers an SOS it merely heard.)
 */
function answerAsGateway(node: Node): void {
  node.device.router.on('heard', (h) => {
    if (h.data.alert?.level === 'SOS' && h.data.wantResponse && h.data.requestId) node.device.answerSos(h.header.from, h.data.requestId, { stage: 'gateway', timeMs: 0, by: '' });
  });
}

test('a text from A reaches C through B exactly once, and A knows B at 1 hop and C at 2', async () => {
  const net = line(['A', 'B', 'C']);
  await net.startAll();
  net.run(60_000);
  const c = net.get('C');
  const { packetId } = net.get('A').device.sendText('water at the school', c.identity.nodeId);
  net.run(120_000);

  const atC = c.device.inbox.since();
  assert.equal(atC.length, 1);
  assert.deepEqual([atC[0]!.from, atC[0]!.packetId, atC[0]!.text, atC[0]!.hops], [net.get('A').identity.nodeId, packetId, 'water at the school', 2]);
  assert.equal(net.get('B').device.inbox.since().length, 0, 'B relays it without delivering it');
  assert.equal(net.get('A').device.outbox.size, 0, "C's ack emptied A's outbox");

  const peers = new Map(net.get('A').device.peers.all().map((p) => [p.nodeId, p]));
  assert.equal(peers.get(net.get('B').identity.nodeId)?.hops, 1);
  assert.equal(peers.get(c.identity.nodeId)?.hops, 2);
  assert.equal(peers.get(c.identity.nodeId)?.longName, 'C', 'names come from NodeInfo announcements');
});

test('an SOS is resent at growing intervals until a gateway has taken it', async () => {
  const net = line(['A', 'B', 'C'], { roles: { A: 'GATEWAY' } });
  answerAsGateway(net.get('A'));
  await net.startAll();
  net.run(30_000);
  const c = net.get('C').device;
  // The gateway is away at first (its radio down): nothing hears C's SOS beyond B.
  net.get('A').radio.set('recovering');
  const raised = c.raiseSos();
  assert.equal(raised.stage, 'sent');
  assert.equal(raised.resending, true);
  net.run(200_000); // copies at 0, 10, 30, 70 and 150 s
  assert.equal(c.status().sos.stage, 'sent');
  assert.equal(c.status().sos.copiesSent, 5);
  assert.equal(net.get('B').device.inbox.since().filter((m) => m.level === 'SOS').length, 1, 'B stores the SOS once, not once per copy');

  net.get('A').radio.set('ready');
  net.run(300_000); // the next copy at 310 s reaches the gateway
  const s = c.status().sos;
  assert.equal(s.stage, 'gateway', 'taken by the gateway; nobody at the hub has seen it yet');
  assert.equal(s.resending, false);
  assert.equal(s.answeredBy, net.get('A').identity.nodeId);
  const copies = s.copiesSent;
  // This gateway never gets the SOS to a hub (the test has none): slow copies after 10 and 30
  // minutes, for another gateway to take, not the quick ones.
  net.run(3_600_000);
  assert.equal(c.status().sos.copiesSent, copies + 2, 'two slow copies in the hour after the gateway took it');
  const atA = net.get('A').device.inbox.since().filter((m) => m.level === 'SOS');
  assert.equal(atA.length, 1);
  assert.equal(atA[0]!.hops, 2);
});

test('a slow SOS copy still queued when the person says "I am safe" is withdrawn: the gateway, back in range, hears only "I am safe"', async () => {
  const net = line(['A', 'G'], { roles: { G: 'GATEWAY' } });
  const g = net.get('G');
  answerAsGateway(g);
  const heard: string[] = [];
  g.device.router.on('heard', (h) => void (h.data.alert && heard.push(h.data.alert.level)));
  await net.startAll();
  net.run(30_000);
  const a = net.get('A').device;
  a.raiseSos();
  net.run(30_000);
  assert.equal(a.status().sos.stage, 'gateway');
  g.radio.set('recovering'); // the gateway goes out of range: a slow copy waits in A's outbox
  net.run(45 * 60_000);
  a.imSafe();
  heard.length = 0;
  net.run(60_000);
  g.radio.set('ready');
  net.run(30 * 60_000);
  assert.ok(heard.includes('SAFE'), `the gateway hears "I am safe": ${heard.join(', ')}`);
  assert.ok(!heard.includes('SOS'), `and no SOS after it: ${heard.join(', ')}`);
});

test('an SOS without any gateway keeps going, and "I am safe" ends it', async () => {
  const net = line(['A', 'B']);
  await net.startAll();
  const a = net.get('A').device;
  a.raiseSos();
  net.run(2 * 3_600_000);
  // Waits of 10, 20, 40, 80, 160, 320 s, then every 600 s: 7 copies in the first 10.5 min, 1 per 10 min after.
  const copies = a.status().sos.copiesSent;
  assert.ok(copies >= 16 && copies <= 18, `copies in 2 h: ${copies}`);
  const safe = a.imSafe();
  assert.equal(safe.cancelledSos, true);
  net.run(3_600_000);
  assert.equal(a.status().sos.copiesSent, copies, 'no SOS copies after "I am safe"');
  assert.equal(a.status().sos.cancelled, true);
  // No hub answers here: "I am safe" keeps going on the same schedule.
  assert.equal(a.status().sos.safe, 'waiting');
  assert.ok(a.status().sos.safeCopiesSent >= 10, `"I am safe" copies in 1 h: ${a.status().sos.safeCopiesSent}`);
  const atB = net.get('B').device.inbox.since();
  assert.deepEqual(atB.map((m) => m.level), ['SOS', 'SAFE'], 'B stores each once, not once per copy');
});

test('while the radio is down no SOS copy is reported sent; the copies that go on air once it is back are', async () => {
  const net = line(['A', 'B']);
  await net.startAll();
  net.run(30_000);
  const a = net.get('A');
  a.radio.set('recovering'); // the modem hung, or is unplugged
  const before = a.radio.transmissions;
  a.device.raiseSos();
  net.run(5 * 60_000);
  assert.equal(a.radio.transmissions, before, 'nothing went on air');
  assert.equal(a.device.status().sos.copiesSent, 0, 'so no copy was sent');
  assert.match(sosSummary(a.device.status().sos), /^raised at \d\d:\d\d, not on air yet$/, 'the status says nothing went out');

  a.radio.set('ready');
  net.run(60_000);
  const sent = a.device.status().sos.copiesSent;
  assert.ok(sent >= 1 && sent <= a.radio.transmissions - before, `copies sent once the radio is back: ${sent}`);
  assert.ok(net.get('B').device.inbox.since().some((m) => m.level === 'SOS'), 'and B has the SOS');
});

test('a new SOS takes the place of an "I am safe" still queued: nobody in range later hears "safe" from a person asking for help', async () => {
  const net = line(['A', 'B']);
  await net.startAll();
  net.run(30_000);
  const a = net.get('A').device;
  const b = net.get('B');
  b.radio.set('recovering'); // A is out of everyone's range
  net.run(31 * 60_000); // long enough that A no longer counts B as around
  a.raiseSos();
  net.run(60_000);
  a.imSafe();
  net.run(10 * 60_000);
  assert.equal(a.status().sos.safe, 'waiting', 'nobody heard "I am safe"');
  a.raiseSos(); // in trouble again
  net.run(60_000);
  b.radio.set('ready'); // someone comes in range
  net.run(30 * 60_000);
  assert.deepEqual(b.device.inbox.since().map((m) => m.level), ['SOS'], 'B hears the SOS, and no "I am safe" of the one before');
  assert.equal(b.device.peers.all().find((p) => p.nodeId === a.nodeId)?.sosOpen, true);
});

test('a module answering by itself does not take the place of a person\'s "I am safe" still queued; a new SOS withdraws both', async () => {
  const net = line(['A', 'B']);
  await net.startAll();
  net.run(30_000);
  const a = net.get('A').device;
  const b = net.get('B');
  const heard: Array<{ text: string; automatic: boolean }> = [];
  b.device.router.on('heard', (h) => {
    if (h.data.alert) heard.push({ text: h.data.alert.text, automatic: h.data.alert.automatic === true });
  });
  b.radio.set('recovering'); // A is out of everyone's range
  net.run(31 * 60_000);
  a.imSafe(); // the person says they are safe
  net.run(60_000);
  a.answeredAutomatically(); // then the check-in answerer answers the hub's question
  net.run(60_000);
  b.radio.set('ready');
  net.run(30 * 60_000);
  assert.ok(heard.some((h) => !h.automatic && h.text === 'I am safe'), `the person's own "I am safe" reached B: ${JSON.stringify(heard)}`);
  assert.ok(heard.some((h) => h.automatic), 'and the automatic answer, told apart');

  // Out of range again, both queued, then an SOS: neither "safe" follows it.
  heard.length = 0;
  b.radio.set('recovering');
  net.run(31 * 60_000);
  a.imSafe();
  a.answeredAutomatically();
  net.run(60_000);
  a.raiseSos();
  net.run(60_000);
  b.radio.set('ready');
  net.run(30 * 60_000);
  assert.ok(!heard.some((h) => h.text !== 'SOS' && /safe|automatically/i.test(h.text)), `no "safe" of either kind after the SOS: ${JSON.stringify(heard)}`);
});

test('an "I am safe" said with no SOS open and still queued does not follow a new SOS either', async () => {
  const net = line(['A', 'B']);
  await net.startAll();
  net.run(30_000);
  const a = net.get('A').device;
  const b = net.get('B');
  b.radio.set('recovering');
  net.run(31 * 60_000);
  assert.equal(a.imSafe().cancelledSos, false);
  net.run(10 * 60_000);
  a.raiseSos();
  net.run(60_000);
  b.radio.set('ready');
  net.run(30 * 60_000);
  assert.deepEqual(b.device.inbox.since().map((m) => m.level), ['SOS']);
});

test('an SOS goes on air at once, not after an alert still waiting for the ack of a node that is switched off', async () => {
  const net = line(['A', 'B']);
  await net.startAll();
  net.run(60_000);
  const a = net.get('A').device;
  const b = net.get('B').device;
  a.sendAlert('WARNING', 'the bridge is closed', 0x0bad0bad); // a node that is off: no ack will come
  net.run(500);
  const raisedAt = net.scheduler.now();
  a.raiseSos();
  while (!b.inbox.since().some((m) => m.level === 'SOS') && net.scheduler.now() - raisedAt < 120_000) net.run(50);
  const waitedMs = net.scheduler.now() - raisedAt;
  assert.ok(waitedMs < 2_000, `B heard the SOS ${waitedMs} ms after it was raised`);
});

test('pressing SOS again after a gateway took it sends a copy, even when the radio is down at that moment', async () => {
  const net = line(['A', 'B'], { roles: { B: 'GATEWAY' } });
  answerAsGateway(net.get('B'));
  await net.startAll();
  net.run(30_000);
  const a = net.get('A');
  let copiesAtGateway = 0;
  net.get('B').device.router.on('heard', (h) => {
    if (h.header.from === a.identity.nodeId && h.data.alert?.level === 'SOS') copiesAtGateway++;
  });
  a.device.raiseSos();
  net.run(30_000);
  assert.equal(a.device.status().sos.stage, 'gateway');
  const before = copiesAtGateway;
  a.radio.set('recovering');
  a.device.raiseSos(); // the person presses again: things got worse
  net.run(5_000);
  a.radio.set('ready');
  net.run(30_000);
  assert.equal(copiesAtGateway, before + 1, 'the copy asked for went out once the radio was back');
});

test('messages wait in the outbox while the radio is down and survive a restart, then arrive once', async () => {
  const net = line(['A', 'B']);
  await net.startAll();
  net.run(30_000);
  const a = net.get('A');
  a.radio.set('recovering');
  const sentBefore = a.radio.transmissions;
  a.device.sendText('one');
  a.device.sendText('two');
  net.run(60_000);
  assert.equal(a.device.outbox.size, 2);
  assert.equal(a.radio.transmissions, sentBefore, 'nothing goes on air while the radio is down');

  const a2 = await net.restart('A');
  assert.equal(a2.identity.nodeId, a.identity.nodeId);
  assert.equal(a2.device.outbox.size, 2, 'the restart kept both messages');
  await a2.device.start();
  net.run(120_000);
  assert.equal(a2.device.outbox.size, 0);
  assert.deepEqual(net.get('B').device.inbox.since().map((m) => m.text), ['one', 'two']);
});

test('a message in flight when the node restarts is resent with its id and delivered once', async () => {
  const net = line(['A', 'B']);
  await net.startAll();
  net.run(30_000);
  const a = net.get('A');
  a.device.sendText('exactly once');
  // Run until the frame has gone on air (B has it) but before A heard B relay it back as an ack.
  const b = net.get('B').device;
  for (let i = 0; i < 10_000 && b.inbox.since().length === 0; i++) net.run(5);
  assert.equal(b.inbox.since().length, 1, 'B received it within 50 s');
  assert.equal(a.device.outbox.size, 1, 'not yet acknowledged');
  const a2 = await net.restart('A');
  await a2.device.start();
  net.run(300_000);
  assert.equal(a2.device.outbox.size, 0);
  assert.ok(a2.radio.transmissions > 0, 'the restarted node sent it again');
  assert.ok(b.router.stats.dropCount('duplicate') >= 1, 'B heard the resent copy and dropped it by (from, id)');
  assert.equal(b.inbox.since().length, 1);
});

test('position beacons follow the GPS: sent on the first fix and again after moving, at the precision asked for', async () => {
  let listener: ((f: GpsFix) => void) | undefined;
  let last: GpsFix | undefined;
  const gps: GpsSource = {
    start: async () => undefined,
    stop: async () => undefined,
    onFix: (fn) => (listener = fn),
    get lastFix() {
      return last;
    },
    stats: { accepted: 0, dropped: 0, reconnects: 0 },
  };
  const fixAt = (latitude: number, longitude: number): void => {
    last = { mode: '3d', latitude, longitude, altitudeM: 12, satellites: 7 };
    listener?.(last);
  };
  const net = line(['A', 'B'], { gps: { A: gps }, precisionBits: { A: 20 } });
  await net.startAll();
  net.run(60_000);
  const b = net.get('B').device;
  const aId = net.get('A').identity.nodeId;
  const seenAtB = () => b.peers.all().find((p) => p.nodeId === aId)!;
  assert.equal(seenAtB().latitude, null, 'no fix, no position');

  fixAt(41.015137, 28.97953);
  net.run(30_000);
  const first = seenAtB();
  // 20 bits keep a cell of 2^12 x 1e-7 degrees (about 45 m): the shared point is within half of it.
  assert.ok(Math.abs(first.latitude! - 41.015137) <= 2 ** 11 * 1e-7, `lat ${first.latitude}`);
  assert.notEqual(first.latitude, 41.015137, 'full precision is not shared when 20 bits are asked for');

  fixAt(41.015137 + 0.00005, 28.97953); // ~5 m: not worth a beacon
  net.run(60_000);
  assert.equal(seenAtB().positionMs, first.positionMs);
  fixAt(41.025, 28.97953); // ~1.1 km north
  net.run(60_000);
  assert.ok(Math.abs(seenAtB().latitude! - 41.025) <= 2 ** 11 * 1e-7, 'the move was beaconed');
});

test('a fix that arrives while the radio is down is beaconed soon after the radio returns', async () => {
  let listener: ((f: GpsFix) => void) | undefined;
  let last: GpsFix | undefined;
  const gps: GpsSource = { start: async () => undefined, stop: async () => undefined, onFix: (fn) => (listener = fn), get lastFix() { return last; }, stats: { accepted: 0, dropped: 0, reconnects: 0 } };
  const net = line(['A', 'B'], { gps: { A: gps } });
  await net.startAll();
  net.run(60_000);
  const a = net.get('A');
  const seenAtB = () => net.get('B').device.peers.all().find((p) => p.nodeId === a.identity.nodeId);
  a.radio.set('recovering');
  last = { mode: '3d', latitude: 41.2, longitude: 29.1, altitudeM: 5, satellites: 8 };
  listener?.(last);
  net.run(120_000);
  assert.equal(seenAtB()?.latitude ?? null, null, 'nothing goes out while the modem is unplugged');
  a.radio.set('ready');
  net.run(15_000);
  assert.ok(Math.abs((seenAtB()?.latitude ?? 0) - 41.2) < 1e-6, 'B knows where A is within seconds of the radio returning, not a beacon interval later');
});

test('the button: a long press raises an SOS (LED blinks fast, B buzzes), a short press says "I am safe"', async () => {
  const ios: Record<string, VirtualIo> = {};
  const panels: Record<string, JohnnyFivePanel> = {};
  const net = line(['A', 'B'], {
    panel: (scheduler) => {
      for (const n of ['A', 'B']) {
        ios[n] = new VirtualIo({ scheduler });
        panels[n] = new JohnnyFivePanel({ io: ios[n], scheduler });
      }
      return panels;
    },
  });
  await net.startAll();
  net.run(30_000);
  const a = net.get('A').device;
  const ioA = ios.A!;
  const pins = panels.A!.pins;
  const ledOnEdges = (io: VirtualIo, pin: string | number, fromMs: number, toMs: number) =>
    io.writes(pin).filter((w, i, all) => w.atMs >= fromMs && w.atMs < toMs && w.value > 0 && (i === 0 || all[i - 1]!.value === 0)).length;

  // Active low: pressed pulls the line to ground. Held 4 s, past the 3 s hold time.
  ioA.setInput(pins.button, 0);
  net.run(4_000);
  ioA.setInput(pins.button, 1);
  assert.equal(a.status().sos.stage, 'sent');
  const t = net.scheduler.now();
  net.run(2_000);
  assert.ok(ledOnEdges(ioA, pins.led, t, t + 2_000) >= 8, 'SOS pending blinks the LED fast');
  net.run(30_000);
  const buzzB = ios.B!.writes(pins.buzzer).filter((w) => w.value > 0);
  assert.ok(buzzB.length > 3, "B's buzzer sounded for the SOS it received");
  assert.equal(net.get('B').device.inbox.since()[0]?.level, 'SOS');

  ioA.setInput(pins.button, 0);
  net.run(300); // a short press
  ioA.setInput(pins.button, 1);
  net.run(60_000);
  assert.equal(a.status().sos.cancelled, true);
  assert.deepEqual(net.get('B').device.inbox.since().map((m) => m.level), ['SOS', 'SAFE']);
});

test('a message whose radio fails before it goes on air stays queued and goes when the radio returns', async () => {
  const net = line(['A', 'B']);
  await net.startAll();
  net.run(30_000);
  const a = net.get('A');
  a.device.sendText('important broadcast');
  a.radio.set('recovering'); // handed to the router, not yet on air
  net.run(60_000);
  assert.equal(a.device.outbox.size, 1, 'a radio fault is not a delivery');
  assert.equal(net.get('B').device.inbox.since().length, 0);
  a.radio.set('ready');
  net.run(120_000);
  assert.deepEqual(net.get('B').device.inbox.since().map((m) => m.text), ['important broadcast']);
  assert.equal(a.device.outbox.size, 0);
});

test('an SOS does not wait behind texts for a node that is not there', async () => {
  const net = line(['A', 'B'], { roles: { B: 'GATEWAY' } });
  answerAsGateway(net.get('B'));
  await net.startAll();
  net.run(30_000);
  const a = net.get('A').device;
  for (let i = 0; i < 5; i++) a.sendText(`for the absent ${i}`, 0x0bad_cafe);
  const t0 = net.scheduler.now();
  a.raiseSos();
  for (let i = 0; i < 600 && a.status().sos.stage !== 'gateway'; i++) net.run(100);
  assert.equal(a.status().sos.stage, 'gateway');
  assert.ok(net.scheduler.now() - t0 < 30_000, `acknowledged after ${Math.round((net.scheduler.now() - t0) / 1000)} s`);
  assert.equal(a.outbox.size, 5, 'the texts are still waiting for their destination');
});

test('stop() ends every timer: nothing fires into a closed database afterwards', async () => {
  const net = line(['A', 'B']);
  await net.startAll();
  net.run(30_000);
  const a = net.get('A');
  a.device.sendText('to nobody', 0x0bad_cafe); // awaits an ack that never comes: retries pending
  a.device.raiseSos();
  net.run(2_000);
  await a.device.stop();
  a.db.close();
  assert.doesNotThrow(() => net.run(3_600_000));
});

test('a GPS that is not there at boot does not stop the node; it is retried and fixes flow once it answers', async () => {
  let fails = 2;
  let listener: ((f: GpsFix) => void) | undefined;
  const fix: GpsFix = { mode: '3d', latitude: 41.01, longitude: 28.97, altitudeM: 5 };
  const gps: GpsSource = {
    start: async () => {
      if (fails-- > 0) throw Object.assign(new Error('no gpsd at 127.0.0.1:2947'), { code: 'E_GPS_UNAVAILABLE' });
      listener?.(fix);
    },
    stop: async () => undefined,
    onFix: (fn) => (listener = fn),
    get lastFix() {
      return fails < 0 ? fix : undefined;
    },
    stats: { accepted: 0, dropped: 0, reconnects: 0 },
  };
  const net = line(['A', 'B'], { gps: { A: gps } });
  await net.startAll();
  const a = net.get('A').device;
  assert.match(a.status().gps.error ?? '', /no gpsd/);
  await net.runSettling(30_000); // retried after 2 s, then 4 s
  assert.equal(a.status().gps.error, null);
  const atB = net.get('B').device.peers.all().find((p) => p.nodeId === a.nodeId);
  assert.ok(atB && Math.abs(atB.latitude! - 41.01) < 1e-5, 'its position reached B');
});

test('a received message that cannot be stored is counted, and the node keeps relaying', async () => {
  const net = line(['A', 'B', 'C']);
  await net.startAll();
  net.run(30_000);
  net.get('B').db.exec('DROP TABLE inbox'); // as good as a full SD card for this table
  net.get('A').device.sendText('through B anyway');
  net.run(120_000);
  assert.equal(net.get('B').device.status().storageErrors, 1);
  assert.deepEqual(net.get('C').device.inbox.since().map((m) => m.text), ['through B anyway']);
});

test('an open SOS keeps going on air while the disk refuses writes, and a restart on that disk still starts the node', async () => {
  const net = line(['A', 'B']);
  await net.startAll();
  net.run(30_000);
  const heardAtB: Array<{ packetId: number; requestId: number }> = [];
  const listen = (b: Node) => b.device.router.on('heard', (h) => {
    if (h.data.alert?.level === 'SOS' && h.header.from === net.get('A').identity.nodeId) heardAtB.push({ packetId: h.header.id, requestId: h.data.requestId ?? 0 });
  });
  listen(net.get('B'));
  const { requestId } = net.get('A').device.raiseSos();
  net.run(2_000);
  // The SD card fills up: SQLite refuses every write from now on.
  net.get('A').db.pragma('query_only = ON');
  net.run(10 * 60_000);
  const a = net.get('A').device.status();
  const copies = new Set(heardAtB.map((h) => h.packetId)).size;
  assert.ok(copies >= 5, `B heard ${copies} SOS copies from A while its disk was full`);
  assert.ok(heardAtB.every((h) => h.requestId === requestId));
  assert.equal(a.sos.resending, true);
  assert.ok(a.storageErrors > 0, 'the refused writes are counted');

  // Restarted (by systemd, say) with the disk still full: the node starts and the SOS is still open.
  const fresh = await net.restart('A');
  fresh.db.pragma('query_only = ON');
  await fresh.device.start();
  assert.equal(fresh.device.status().sos.requestId, requestId);
  assert.equal(fresh.device.status().sos.resending, true);
  // The frame counter takes its next block in the file it overwrites in place, which a full card still takes.
  let before = heardAtB.length;
  net.run(10 * 60_000);
  assert.ok(heardAtB.slice(before).some((h) => h.requestId === requestId), 'a copy of the same SOS reached B after the restart, the card still full');
  // Room again (logs rotated): the copies go on without another restart.
  fresh.db.pragma('query_only = OFF');
  before = heardAtB.length;
  net.run(10 * 60_000);
  assert.ok(heardAtB.slice(before).some((h) => h.requestId === requestId), 'and once there is room');
  await fresh.device.stop();
});

test('a telemetry report that fails once does not end the reports after it, or the node', async () => {
  let reads = 0;
  const health = (): DeviceHealth => {
    if (reads++ === 0) throw new Error('EIO reading /sys/class/power_supply/battery/capacity');
    return { batteryLevel: 55, voltage: 3.7 };
  };
  const net = line(['A', 'B'], { health: { A: health } });
  await net.startAll();
  // Telemetry every 30 min (±10 %): the first read fails, the second goes out.
  net.run(70 * 60_000);
  assert.ok(reads >= 2, `health read ${reads} times`);
  const atB = net.get('B').device.peers.all().find((p) => p.nodeId === net.get('A').identity.nodeId);
  assert.equal(atB?.batteryLevel, 55, 'B has the report that came after the failed one');
});

test('a text over 200 bytes or an alert text over 160 bytes is refused at the node, as the hub refuses it, though either would fit a frame', async () => {
  const net = line(['A', 'B']);
  await net.startAll();
  const a = net.get('A').device;
  const refused = (fn: () => unknown, limit: RegExp) =>
    assert.throws(fn, (err: unknown) => (err as { code?: string }).code === 'E_BAD_REQUEST' && limit.test((err as Error).message));
  const queued = a.outbox.size;
  // What a gateway's local MQTT client or `unibos send` may hand it: 210 bytes encode to 213, under the frame's 222.
  refused(() => a.sendText('x'.repeat(210)), /text is 210 bytes of UTF-8; a text may have at most 200 bytes/);
  refused(() => a.sendAlert('WARNING', 'ı'.repeat(81)), /alert text is 162 bytes of UTF-8; an alert's text may have at most 160 bytes/);
  refused(() => a.sendAlert('WARNING', 'x'.repeat(200)), /at most 160 bytes/);
  assert.equal(a.outbox.size, queued, 'nothing was queued');
  a.sendText('x'.repeat(200));
  a.sendAlert('WARNING', 'ı'.repeat(80), BROADCAST, 55);
  net.run(60_000);
  const atB = net.get('B').device.inbox.since();
  assert.deepEqual(atB.map((m) => [m.kind, Buffer.byteLength(m.text)]), [['alert', 160], ['text', 200]], 'at the limits they go (the alert ahead of the text)');
});

test("a later copy of an SOS with a newer position moves the SOS in other nodes' inboxes: one message, one alarm", async () => {
  let listener: ((f: GpsFix) => void) | undefined;
  let last: GpsFix | undefined;
  const gps: GpsSource = { start: async () => undefined, stop: async () => undefined, onFix: (fn) => (listener = fn), get lastFix() { return last; }, stats: { accepted: 0, dropped: 0, reconnects: 0 } };
  const fixAt = (latitude: number, longitude: number): void => {
    last = { mode: '3d', latitude, longitude, altitudeM: 12, satellites: 7 };
    listener?.(last);
  };
  const net = line(['A', 'B'], { gps: { A: gps } });
  await net.startAll();
  net.run(60_000);
  const a = net.get('A').device;
  const b = net.get('B').device;
  const heard: string[] = [];
  b.on('message', (m) => heard.push(`${m.kind} ${m.level}`));
  const sosAtB = () => b.inbox.since(0, 1000).filter((m) => m.level === 'SOS');

  a.raiseSos(); // a GPS cold start: no fix yet
  net.run(5_000);
  assert.deepEqual(sosAtB().map((m) => [m.latitude, m.longitude]), [[null, null]]);

  fixAt(41.015, 28.979);
  net.run(30_000); // the next copies carry the fix
  assert.equal(sosAtB().length, 1, 'still one SOS');
  assert.ok(Math.abs(sosAtB()[0]!.latitude! - 41.015) < 1e-6 && Math.abs(sosAtB()[0]!.longitude! - 28.979) < 1e-6, `B shows where A is: ${sosAtB()[0]!.latitude}`);

  fixAt(41.025, 28.979); // the person walks on, about 1 km north
  net.run(120_000);
  assert.equal(sosAtB().length, 1);
  assert.ok(Math.abs(sosAtB()[0]!.latitude! - 41.025) < 1e-6, `B shows where A is now: ${sosAtB()[0]!.latitude}`);
  assert.deepEqual(heard.filter((h) => h === 'alert SOS'), ['alert SOS'], 'B was told of the SOS once, not again for each new position');
});
