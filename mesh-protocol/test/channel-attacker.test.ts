// The router against someone on the channel: anyone holding the published Public key (or only a
// radio that records and re-airs frames) must not be able to silence a node or its private
// channel, cancel an SOS's relays, stop relaying with one beacon, make nodes forget their gateway,
// or have the mesh flood, hand over or ack a recorded frame again; nor may a frame crossing MQTT
// teach nodes neighbours they cannot hear.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChannelSet, DEFAULT_CHANNEL, deriveChannelKey } from '../src/crypto/channel-key.ts';
import { encodeFrame } from '../src/frame/frame-codec.ts';
import { BROADCAST, readHeader, type FrameHeader } from '../src/frame/header.ts';
import type { Data } from '../src/frame/schema.ts';
import { CoverageFloodPolicy } from '../src/routing/coverage-flood-policy.ts';
import { NeighborTable } from '../src/routing/neighbor-table.ts';
import type { RelayPolicy } from '../src/routing/relay-policy.ts';
import type { Delivery } from '../src/routing/router.ts';
import { EVE, LINK, network, params, type Net } from './support/eve-network.ts';

const A = 0x0a0a;
const B = 0x0b0b;
const C = 0x0c0c;
const F = 0x0f0f;
const G = 0x6060;
const N = 0x5050;
const S = 0x5353;

const SOS: Data = { alert: { level: 'SOS', text: 'help', magnitudeX10: 0 } };

/**
 * A frame sealed with the published Public key as anyone holding it can: broadcast, zero hops,
 * counter 1, transmitted by its claimed sender, unless `header` says otherwise.
 */
function forge(from: number, id: number, data: Data, header: Partial<FrameHeader> = {}): Uint8Array {
  return encodeFrame({ to: BROADCAST, from, id, hopLimit: 0, hopStart: 0, wantAck: false, viaMqtt: false, nextHop: 0, relayNode: from & 0xff, counter: 1, ...header }, data, DEFAULT_CHANNEL);
}

/** Ten minutes on (well within the dedup cache's hour), Eve plays `frame` back five times, a minute apart. */
function playBack(net: Net, frame: Uint8Array): void {
  for (let i = 0; i < 5; i++) {
    net.scheduler.runUntil(net.scheduler.now() + 60_000 * (i === 0 ? 10 : 1));
    net.inject(frame);
    net.scheduler.runUntilIdle();
  }
}

const texts = (ds: Delivery[] | undefined) => (ds ?? []).filter((d) => d.kind === 'text').map((d) => d.data.text);

test('a recorded frame re-aired later is not flooded again by the relays that carried it (only a real retry, with a new counter, is)', () => {
  // Line A - B - C; Eve sits between A and B and records A's broadcast.
  const net = network([
    [A, B],
    [B, C],
    [A, EVE],
    [B, EVE],
  ]);
  const a = net.add(A);
  const b = net.add(B);
  const c = net.add(C);
  const id = a.send(BROADCAST, { text: 'meet at the school' });
  net.scheduler.runUntilIdle();
  assert.deepEqual(texts(net.deliveries.get(C)), ['meet at the school']);
  const original = net.captured.find((f) => readHeader(f).from === A && readHeader(f).id === id && readHeader(f).hopLimit === readHeader(f).hopStart);
  assert.ok(original, "Eve recorded A's own transmission");
  const bRelays = b.stats.relaysSent;
  const cHeard = c.stats.rxFrames;

  playBack(net, original);
  assert.equal(b.stats.relaysSent, bRelays, 'B did not put the recording on air again');
  assert.equal(c.stats.rxFrames, cHeard, 'C heard nothing more');
  assert.deepEqual(texts(net.deliveries.get(C)), ['meet at the school']);
});

test('a frame another gateway heard, put on air here over MQTT, does not make its far-away sender look like a neighbour', () => {
  // F is far away: another gateway heard its frames and the hub handed one to gateway G = A here.
  // N = B hears only G.
  const far = network([[F, EVE]]);
  const f = far.add(F);
  f.send(BROADCAST, { text: 'from across the valley' });
  far.scheduler.runUntilIdle();
  const frame = far.captured[0]!;
  assert.ok(frame);

  const net = network([[A, B]]);
  const g = net.add(A);
  const n = net.add(B);
  assert.equal(g.injectFromMqtt(frame), true);
  net.scheduler.runUntilIdle();
  assert.deepEqual(texts(net.deliveries.get(B)), ['from across the valley']);
  const heardDirect = n.neighbors.direct(net.scheduler.now()).map((r) => r.nodeId);
  assert.ok(!heardDirect.includes(F), `B lists F, which it cannot hear, as a direct neighbour: ${heardDirect.map((x) => x.toString(16))}`);
  assert.notEqual(n.nextHopTo(F), F, 'a message from B to F is not handed to F directly');
});

/** Waits `delayMs` before every relay and never cancels: a relay that is still pending when something else happens. */
class SlowRelay implements RelayPolicy {
  readonly name = 'slow';
  constructor(private readonly delayMs: number) {}
  relayDelay(): number {
    return this.delayMs;
  }
  cancelOnDuplicate(): boolean {
    return false;
  }
}

test("a forged ack naming an SOS's packet id does not cancel the relays of the SOS", () => {
  // Line A - B - C; Eve is next to B and holds the published Public key, as everyone does.
  const net = network([
    [A, B],
    [B, C],
    [B, EVE],
  ]);
  const a = net.add(A);
  net.add(B, { policy: new SlowRelay(5_000) });
  net.add(C);
  const id = a.send(BROADCAST, SOS, { wantAck: true });
  // B has heard the SOS and waits out its relay slot.
  net.scheduler.runUntil(net.scheduler.now() + 3_000);
  assert.equal((net.deliveries.get(B) ?? []).filter((d) => d.kind === 'alert').length, 1);
  const forged = forge(EVE, 0x5151_0001, { routing: { error: 'NONE' }, requestId: id }, { to: A });
  net.inject(forged);
  net.scheduler.runUntilIdle();
  assert.equal((net.deliveries.get(C) ?? []).filter((d) => d.kind === 'alert').length, 1, 'the SOS still reached C');
});

test("one forged Public frame with a huge counter does not silence a node's frames on a private channel", () => {
  const ops = deriveChannelKey('Ops', Uint8Array.from({ length: 16 }, (_, i) => i + 1));
  const net = network([
    [A, B],
    [B, EVE],
  ]);
  const channels = () => new ChannelSet([ops, DEFAULT_CHANNEL]);
  const a = net.add(A, { channels: channels(), sendChannel: ops });
  net.add(B, { channels: channels() });
  a.send(BROADCAST, { text: 'before' });
  net.scheduler.runUntilIdle();
  // Eve knows only the Public key: she claims to be A, with the largest counter there is.
  net.inject(forge(A, 0x5151_0002, { text: 'I am A' }, { counter: 0xffff_ffff }));
  net.scheduler.runUntilIdle();
  a.send(BROADCAST, { text: 'after' });
  net.scheduler.runUntilIdle();
  const onOps = (net.deliveries.get(B) ?? []).filter((d) => d.channel === 'Ops').map((d) => d.data.text);
  assert.deepEqual(onOps, ['before', 'after'], "A's private frames still get through");
});

test('a flood of frames from made-up senders does not make a node forget its gateway or a node with an open SOS', () => {
  // Line S - N - G: G is a gateway next to N; S, two hops from G, raised an SOS. Eve, next to N,
  // holds the Public key and claims to be 1 100 different nodes, more than N's tables hold.
  const net = network([
    [S, N],
    [N, G],
    [N, EVE],
  ]);
  const s = net.add(S);
  const n = net.add(N);
  const g = net.add(G);
  g.send(BROADCAST, { nodeInfo: { longName: 'Gateway', shortName: 'GW', hwModel: 'RPI', role: 'GATEWAY', publicKey: new Uint8Array(0) } });
  net.scheduler.runUntilIdle();
  s.send(BROADCAST, SOS, { wantAck: true });
  net.scheduler.runUntilIdle();
  assert.equal(n.nextHopTo(G), G);
  assert.equal(n.nextHopTo(S), S);

  for (let i = 0; i < 1_100; i++) {
    const from = 0x7000_0000 + i;
    net.inject(forge(from, 1 + i, { text: 'hi' }));
    net.scheduler.runUntilIdle();
  }
  assert.ok(n.neighbors.all().length <= 1024, 'the table stayed bounded');
  assert.ok(n.neighbors.get(G), 'N still knows its gateway');
  assert.ok(n.neighbors.get(S), 'N still knows the node with an open SOS');
  assert.equal(n.nextHopTo(G), G, 'messages to the gateway still go by route');
  assert.equal(n.nextHopTo(S), S, 'SOS answers to S still go by route');

  // Once S says it is safe it is an ordinary node again, and the next newcomers may push it out.
  s.send(BROADCAST, { alert: { level: 'SAFE', text: 'I am safe', magnitudeX10: 0 } });
  net.scheduler.runUntilIdle();
  net.scheduler.runUntil(net.scheduler.now() + 1_000);
  for (let i = 0; i < 1_100; i++) {
    const from = 0x7100_0000 + i;
    net.inject(forge(from, 1 + i, { text: 'hi' }));
    net.scheduler.runUntilIdle();
  }
  assert.equal(n.neighbors.get(S), undefined, 'S, safe and not heard since, made room');
  assert.ok(n.neighbors.get(G), 'the gateway is still known');
});

test('a neighbour table full of gateways and open SOSes refuses newcomers, counted, rather than forget one', () => {
  const table = new NeighborTable(A, 3);
  table.heard(G, 0, 5, -90, 0);
  table.role(G, true, 0);
  table.heard(S, 2, 5, -90, 1);
  table.sos(S, true, 1);
  table.heard(B, 0, 5, -90, 2);
  table.role(B, true, 2);
  table.heard(C, 0, 5, -90, 3);
  assert.deepEqual(table.all().map((r) => r.nodeId).sort(), [B, G, S].sort());
  assert.equal(table.refused, 1);
  table.sos(S, false, 4);
  table.heard(C, 0, 5, -90, 5);
  assert.deepEqual(table.all().map((r) => r.nodeId).sort(), [B, C, G].sort(), 'S said it is safe: it made room');
});

test("frames from made-up senders on the Public channel do not push a private channel's senders out of the replay window", () => {
  const ops = deriveChannelKey('Ops', Uint8Array.from({ length: 16 }, (_, i) => i + 1));
  const net = network([
    [A, B],
    [A, EVE],
    [B, EVE],
  ]);
  const channels = () => new ChannelSet([ops, DEFAULT_CHANNEL]);
  const a = net.add(A, { channels: channels(), sendChannel: ops });
  const b = net.add(B, { channels: channels() });
  const id = a.send(BROADCAST, { text: 'evacuate the north bank' });
  net.scheduler.runUntilIdle();
  const recorded = net.captured.find((f) => readHeader(f).from === A && readHeader(f).id === id)!;
  assert.ok(recorded);
  // More made-up senders than the dedup cache and the replay window hold (4 096 each).
  for (let i = 0; i < 4_200; i++) {
    const from = 0x7000_0000 + i;
    net.inject(forge(from, 1 + i, { text: 'x' }));
    net.scheduler.runUntilIdle();
  }
  const replays = b.stats.dropCount('E_REPLAY');
  net.inject(recorded);
  net.scheduler.runUntilIdle();
  assert.deepEqual(
    (net.deliveries.get(B) ?? []).filter((d) => d.channel === 'Ops').map((d) => d.data.text),
    ['evacuate the north bank'],
    'the recording was not delivered a second time',
  );
  assert.equal(b.stats.dropCount('E_REPLAY'), replays + 1);
});

test('a beacon claiming links better than certain (quality above 255) does not stop its hearers relaying', () => {
  // Line A - N - C, relaying by coverage (the default). Eve, next to N, sends one beacon as a
  // made-up neighbour F that claims to hear A, N and C with quality 2^32 - 1 (the field is a
  // uint32; 255 means certain).
  const net = network([
    [A, N],
    [N, C],
    [N, EVE],
  ]);
  const coverage = { policy: new CoverageFloodPolicy() };
  const a = net.add(A, coverage);
  const n = net.add(N, coverage);
  const c = net.add(C, coverage);
  for (let round = 0; round < 3; round++) {
    for (const r of [a, n, c]) {
      r.sendNeighborInfo(60);
      net.scheduler.runUntil(net.scheduler.now() + 10_000);
    }
  }
  net.scheduler.runUntilIdle();
  a.send(BROADCAST, { text: 'first' });
  net.scheduler.runUntilIdle();
  assert.deepEqual(texts(net.deliveries.get(C)), ['first'], 'N relays A to C');

  const claim = (nodeId: number) => ({ nodeId, snrX4: 40, quality: 0xffff_ffff });
  net.inject(forge(F, 0x5151_0003, { neighborInfo: { nodeId: F, beaconSeq: 1, intervalS: 60, neighbors: [claim(A), claim(N), claim(C)] } }));
  net.scheduler.runUntilIdle();
  a.send(BROADCAST, { text: 'second' });
  a.send(BROADCAST, SOS);
  net.scheduler.runUntilIdle();
  assert.deepEqual(texts(net.deliveries.get(C)), ['first', 'second'], 'N still relays texts');
  assert.equal((net.deliveries.get(C) ?? []).filter((d) => d.kind === 'alert').length, 1, 'and the SOS');
  for (const link of n.neighbors.get(F)?.advertised.values() ?? []) assert.ok(link.quality <= 1, `a link's quality is a probability: ${link.quality}`);
});

test("a Public frame forged with a private frame's sender and packet id does not shut the private frame out as a duplicate", () => {
  // Line A - B - C on a private channel; Eve, heard by C only, holds the Public key. She hears
  // A's packet id and gets a Public frame with the same (from, id) to C before B's relay does.
  const ops = deriveChannelKey('Ops', Uint8Array.from({ length: 16 }, (_, i) => i + 1));
  const net = network([
    [A, B],
    [B, C],
    [C, EVE],
  ]);
  const channels = () => new ChannelSet([ops, DEFAULT_CHANNEL]);
  const a = net.add(A, { channels: channels(), sendChannel: ops });
  net.add(B, { channels: channels() });
  net.add(C, { channels: channels() });
  const id = a.send(BROADCAST, { text: 'the bridge is out' });
  net.inject(forge(A, id, { text: 'all clear' }, { hopLimit: 3, hopStart: 3, counter: 0x00ff_0000 }));
  net.scheduler.runUntilIdle();
  const atC = (net.deliveries.get(C) ?? []).map((d) => `${d.channel}: ${d.data.text}`);
  assert.ok(atC.includes('Ops: the bridge is out'), `C got A's message: ${atC.join(' | ')}`);
  assert.equal(atC.filter((t) => t === 'Public: all clear').length, 1, 'and the forgery once, on the channel it came on');
});

test('a recorded message played back to its destination again and again does not draw an ack each time', () => {
  // A - B, Eve next to both. Each ack is airtime out of B's duty-cycle budget: one every 5 s is
  // all of EU868's 10 %, which would leave B nothing for its own SOS.
  const net = network([
    [A, B],
    [A, EVE],
    [B, EVE],
  ]);
  const a = net.add(A);
  const b = net.add(B);
  const outcome: string[] = [];
  const id = a.send(B, { text: 'are you ok?' }, { wantAck: true });
  a.on('ack', (x) => x.id === id && outcome.push('ack'));
  net.scheduler.runUntilIdle();
  assert.deepEqual(outcome, ['ack']);
  const recorded = net.captured.find((f) => readHeader(f).from === A && readHeader(f).id === id)!;
  assert.ok(recorded);
  // Ten minutes of playback, every 6 s. A relay handing the message again soon after the first
  // copy (its hand-over unconfirmed) is still answered; after an ack timeout only a new try is.
  const bSent: number[] = [];
  for (let i = 0; i < 100; i++) {
    net.scheduler.runUntil(net.scheduler.now() + 6_000);
    net.inject(recorded);
    net.scheduler.runUntilIdle();
    bSent.push(b.stats.txFrames);
  }
  assert.equal(bSent[99]! - bSent[9]!, 0, `B answered none of the playbacks after the first minute: ${bSent.join(' ')}`);
  assert.deepEqual(texts(net.deliveries.get(B)), ['are you ok?']);
});

test('a recorded hand-over played back later is not carried down the route again', () => {
  // Line A - R - D, routed; Eve next to A and R records A's copy handed to R.
  const R = 0x2222;
  const D = 0x0d0d;
  const net = network([
    [A, R],
    [R, D],
    [A, EVE],
    [R, EVE],
  ]);
  const a = net.add(A);
  const r = net.add(R);
  const d = net.add(D);
  for (const node of [r, a, d]) {
    node.send(BROADCAST, { text: 'here' });
    net.scheduler.runUntilIdle();
  }
  assert.equal(a.nextHopTo(D), R);
  const outcome: string[] = [];
  const id = a.send(D, { text: 'water at the school' }, { wantAck: true });
  a.on('ack', (x) => x.id === id && outcome.push('ack'));
  net.scheduler.runUntilIdle();
  assert.deepEqual(outcome, ['ack']);
  const handOver = net.captured.find((f) => readHeader(f).from === A && readHeader(f).id === id && readHeader(f).nextHop === (R & 0xff));
  assert.ok(handOver, "Eve recorded A's hand-over to R");
  const rTx = r.stats.txFrames;
  const dTx = d.stats.txFrames;
  playBack(net, handOver);
  assert.equal(r.stats.txFrames, rTx, 'R carried none of the playbacks');
  assert.equal(d.stats.txFrames, dTx, 'D answered none');
  assert.deepEqual(texts(net.deliveries.get(D)).filter((t) => t === 'water at the school'), ['water at the school']);
});
