// The router as a mesh user meets it, on hand-built topologies over the simulated medium:
// floods arrive once, acks and naks come back, replays and forgeries go nowhere, hop limits,
// relay suppression, the duty-cycle budget and polite-traffic back-off all hold.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CHANNEL, deriveChannelKey, type ChannelKey } from '../src/crypto/channel-key.ts';
import { encodeFrame } from '../src/frame/frame-codec.ts';
import { BROADCAST, HEADER_SIZE, readHeader } from '../src/frame/header.ts';
import type { Data } from '../src/frame/schema.ts';
import { timeOnAirMs } from '../src/phy/airtime.ts';
import type { RegionRules } from '../src/routing/duty-cycle.ts';
import { ManagedFloodPolicy } from '../src/routing/managed-flood-policy.ts';
import { NaiveFloodPolicy } from '../src/routing/naive-flood-policy.ts';
import { MemoryFrameCounter } from '../src/routing/frame-counter.ts';
import { NeighborTable } from '../src/routing/neighbor-table.ts';
import type { RelayPolicy } from '../src/routing/relay-policy.ts';
import { MeshRouter, type Delivery, type RouterOptions } from '../src/routing/router.ts';
import { EVE, LINK, network, params } from './support/eve-network.ts';

const A = 0x0a0a;
const B = 0x0b0b;
const C = 0x0c0c;
const D = 0x0d0d;


const texts = (ds: Delivery[] | undefined) => (ds ?? []).filter((d) => d.kind === 'text');
const text = (t: string): Data => ({ text: t });

test('a broadcast reaches every node of a line exactly once, with the hop count it travelled', () => {
  const net = network([
    [A, B],
    [B, C],
  ]);
  const a = net.add(A);
  const b = net.add(B);
  const c = net.add(C);
  const id = a.send(BROADCAST, text('hello line'));
  net.scheduler.runUntilIdle();

  const atB = texts(net.deliveries.get(B));
  const atC = texts(net.deliveries.get(C));
  assert.equal(atB.length, 1);
  assert.equal(atC.length, 1);
  assert.deepEqual(
    [atB[0]!.from, atB[0]!.id, atB[0]!.hops, atB[0]!.data.text],
    [A, id, 0, 'hello line'],
  );
  assert.deepEqual([atC[0]!.from, atC[0]!.id, atC[0]!.hops, atC[0]!.data.text], [A, id, 1, 'hello line']);
  assert.equal(texts(net.deliveries.get(A)).length, 0, 'the sender does not deliver its own frame');
  // B carried it to C; the copies that came back were recognised, not delivered again.
  assert.equal(b.stats.relaysSent, 1);
  assert.ok(a.stats.dropCount('own-frame') >= 1, 'A heard its frame relayed back');
  assert.ok(b.stats.dropCount('duplicate') >= 1, "B heard C's relay and recognised it");
  assert.equal(c.stats.delivered, 1);
});

test('a direct message with wantAck is delivered once and explicitly acknowledged by the destination', () => {
  const net = network([
    [A, B],
    [B, C],
  ]);
  const a = net.add(A);
  net.add(B);
  const c = net.add(C);
  const acks: Array<{ id: number; by: number; implicit: boolean }> = [];
  const naks: unknown[] = [];
  a.on('ack', (e) => acks.push(e));
  a.on('nak', (e) => naks.push(e));

  const id = a.send(C, text('for C only'), { wantAck: true });
  net.scheduler.runUntilIdle();

  assert.deepEqual(acks, [{ id, by: C, implicit: false }], "B relaying A's frame is not an ack of a direct message");
  assert.deepEqual(naks, []);
  const atC = texts(net.deliveries.get(C));
  assert.equal(atC.length, 1);
  assert.deepEqual([atC[0]!.from, atC[0]!.to, atC[0]!.id, atC[0]!.hops], [A, C, id, 1]);
  assert.equal(texts(net.deliveries.get(B)).length, 0, 'B relays a message for C but does not deliver it');
  assert.equal(a.stats.retransmissions, 0, 'the ack arrived before the retry timer');
  assert.equal(a.stats.acksReceived, 1);
  assert.equal(c.stats.delivered, 1);
});

test('a direct message to an absent node is retried, then refused with MAX_RETRANSMIT', () => {
  const net = network([[A, B]]); // C is not on the air at all
  const a = net.add(A);
  const b = net.add(B);
  const acks: unknown[] = [];
  const naks: Array<{ id: number; reason: string }> = [];
  a.on('ack', (e) => acks.push(e));
  a.on('nak', (e) => naks.push(e));

  const id = a.send(C, text('anyone?'), { wantAck: true });
  net.scheduler.runUntilIdle();

  assert.deepEqual(naks, [{ id, reason: 'MAX_RETRANSMIT' }]);
  assert.deepEqual(acks, []);
  // Default maxTransmissions = 3: the first transmission and two retries, each a copy of the same frame.
  assert.equal(a.stats.retransmissions, 2);
  assert.equal(a.stats.naks, 1);
  assert.equal(a.stats.txFrames, 3);
  assert.equal(texts(net.deliveries.get(B)).length, 0);
  assert.ok(b.stats.relaysSent >= 1, 'B tried to carry it on');
});

test('a broadcast with wantAck is implicitly acknowledged when a neighbour relays it', () => {
  const net = network([
    [A, B],
    [B, C],
  ]);
  const a = net.add(A);
  const b = net.add(B);
  net.add(C);
  // B introduces itself first so A can tell from the one-byte relay field who relayed.
  b.sendNeighborInfo(900);
  net.scheduler.runUntilIdle();

  const acks: Array<{ id: number; by: number; implicit: boolean }> = [];
  const naks: unknown[] = [];
  a.on('ack', (e) => acks.push(e));
  a.on('nak', (e) => naks.push(e));
  const id = a.send(BROADCAST, text('all hear this'), { wantAck: true });
  net.scheduler.runUntilIdle();

  assert.deepEqual(acks, [{ id, by: B, implicit: true }]);
  assert.deepEqual(naks, []);
  assert.equal(a.stats.retransmissions, 0);
  assert.equal(texts(net.deliveries.get(C)).length, 1);
});

test('a broadcast with wantAck that nobody relays ends in a nak', () => {
  const net = network([]); // A alone
  const a = net.add(A);
  const naks: Array<{ id: number; reason: string }> = [];
  a.on('nak', (e) => naks.push(e));
  const id = a.send(BROADCAST, text('hello?'), { wantAck: true });
  net.scheduler.runUntilIdle();
  assert.deepEqual(naks, [{ id, reason: 'MAX_RETRANSMIT' }]);
});

/** The line A–B–C plus Eve, who hears A and can reach B (but not C). */
function lineWithEve(bOptions: Partial<RouterOptions> = {}) {
  const net = network([
    [A, B],
    [B, C],
    [A, EVE],
    [EVE, B],
  ]);
  return { net, a: net.add(A), b: net.add(B, bOptions), c: net.add(C) };
}

/** Notes what B has sent and C has heard; the returned check proves nothing injected since got past B. */
function stoppedAtB(b: MeshRouter, c: MeshRouter): () => void {
  const bTx = b.stats.txFrames;
  const cRx = c.stats.rxFrames;
  return () => {
    assert.equal(b.stats.txFrames, bTx, 'B relayed none of it');
    assert.equal(c.stats.rxFrames, cRx, 'C never heard it');
  };
}

test('a captured frame replayed after the dedup cache forgot it is refused as E_REPLAY, not delivered again', () => {
  // B forgets frames after one second.
  const { net, a, b, c } = lineWithEve({ dedup: { ttlMs: 1_000 } });
  const id = a.send(BROADCAST, text('pay 10'));
  net.scheduler.runUntilIdle();
  assert.equal(texts(net.deliveries.get(B)).length, 1);
  assert.equal(texts(net.deliveries.get(C)).length, 1);

  const original = net.captured.find((f) => readHeader(f).from === A && readHeader(f).id === id && readHeader(f).relayNode === (A & 0xff));
  assert.ok(original, "Eve captured A's transmission");
  net.scheduler.runUntil(net.scheduler.now() + 60_000);
  const checkStoppedAtB = stoppedAtB(b, c);
  const replays = b.stats.dropCount('E_REPLAY');
  const duplicates = b.stats.dropCount('duplicate');
  net.inject(original);
  net.scheduler.runUntilIdle();

  assert.equal(texts(net.deliveries.get(B)).length, 1, 'B did not deliver the replay');
  assert.equal(texts(net.deliveries.get(C)).length, 1);
  assert.equal(b.stats.dropCount('E_REPLAY'), replays + 1);
  assert.equal(b.stats.dropCount('duplicate'), duplicates, 'the dedup cache had forgotten it: the replay window caught it');
  checkStoppedAtB();
});

/** A channel with the same one-byte hash as the default channel but another key. */
function collidingChannel(): ChannelKey {
  for (let i = 0; i < 100_000; i++) {
    const k = deriveChannelKey('Public', Uint8Array.of(0x02, i & 0xff, i >> 8));
    if (k.hash === DEFAULT_CHANNEL.hash) return k;
  }
  throw new Error('no colliding channel found');
}

test('forged frames (bit-flipped, or sealed with a key we do not hold) are dropped and never relayed', () => {
  const { net, a, b, c } = lineWithEve();
  const id = a.send(BROADCAST, text('genuine'));
  net.scheduler.runUntilIdle();
  const genuine = net.captured.find((f) => readHeader(f).id === id)!;
  const checkStoppedAtB = stoppedAtB(b, c);
  const cDelivered = c.stats.delivered;

  // 1. A bit flipped in the ciphertext, and the header changed to look like a new frame from A.
  const flipped = genuine.slice();
  flipped[HEADER_SIZE] = flipped[HEADER_SIZE]! ^ 0x01;
  flipped[8] = flipped[8]! ^ 0x40; // a different packet id, so dedup cannot be what stops it
  net.inject(flipped);
  net.scheduler.runUntilIdle();

  // 2. Sealed with a different key whose one-byte hash collides with the default channel.
  const impostor = collidingChannel();
  const header = { to: BROADCAST, from: A, id: 0x1234_5601, hopLimit: 3, hopStart: 3, wantAck: false, viaMqtt: false, nextHop: 0, relayNode: A & 0xff, counter: 1_000 };
  net.inject(encodeFrame(header, text('forged'), impostor));
  net.scheduler.runUntilIdle();

  // 3. Sealed with a key whose hash matches no channel B holds.
  let other = deriveChannelKey('Ops', Uint8Array.of(9, 9, 9));
  for (let i = 0; other.hash === DEFAULT_CHANNEL.hash; i++) other = deriveChannelKey(`Ops${i}`, Uint8Array.of(9, 9, 9));
  net.inject(encodeFrame({ ...header, id: 0x1234_5602, counter: 1_001 }, text('elsewhere'), other));
  net.scheduler.runUntilIdle();

  assert.equal(b.stats.dropCount('E_AUTH_FAILED'), 2);
  assert.equal(b.stats.dropCount('E_UNKNOWN_CHANNEL'), 1);
  assert.equal(texts(net.deliveries.get(B)).length, 1, 'only the genuine frame');
  checkStoppedAtB();
  assert.equal(c.stats.delivered, cDelivered);

  // The forged frames did not poison anything: A's next frame (a higher counter) still gets through.
  a.send(BROADCAST, text('still fine'));
  net.scheduler.runUntilIdle();
  assert.deepEqual(texts(net.deliveries.get(C)).map((d) => d.data.text), ['genuine', 'still fine']);
});

test('hop limit 1 on a four-node line: the frame reaches two hops away, not three', () => {
  const net = network([
    [A, B],
    [B, C],
    [C, D],
  ]);
  const a = net.add(A);
  const b = net.add(B);
  const c = net.add(C);
  net.add(D);
  a.send(BROADCAST, text('short range'), { hopLimit: 1 });
  net.scheduler.runUntilIdle();

  assert.deepEqual(texts(net.deliveries.get(B)).map((d) => d.hops), [0]);
  assert.deepEqual(texts(net.deliveries.get(C)).map((d) => d.hops), [1]);
  assert.equal(texts(net.deliveries.get(D)).length, 0);
  assert.equal(b.stats.relaysSent, 1);
  assert.equal(c.stats.relaysSent, 0, 'C got it with no hops left');

  // Control: with the default limit (3) the same line is crossed end to end.
  a.send(BROADCAST, text('long range'));
  net.scheduler.runUntilIdle();
  assert.deepEqual(texts(net.deliveries.get(D)).map((d) => [d.data.text, d.hops]), [['long range', 2]]);
});

/** A triangle: A, B and C all hear each other. Returns how many of B and C relayed A's frame. */
function triangle(policy: () => RelayPolicy, seed: number): { relays: number; cancelled: number; delivered: number } {
  const net = network(
    [
      [A, B],
      [A, C],
      [B, C],
    ],
    seed,
  );
  const a = net.add(A, { policy: policy() });
  const b = net.add(B, { policy: policy() });
  const c = net.add(C, { policy: policy() });
  a.send(BROADCAST, text('triangle'));
  net.scheduler.runUntilIdle();
  return {
    relays: b.stats.relaysSent + c.stats.relaysSent,
    cancelled: b.stats.relaysCancelled + c.stats.relaysCancelled,
    delivered: texts(net.deliveries.get(B)).length + texts(net.deliveries.get(C)).length,
  };
}

test('managed flooding: on a triangle only one of the two neighbours relays, the other cancels', () => {
  for (let seed = 1; seed <= 10; seed++) {
    const r = triangle(() => new ManagedFloodPolicy(), seed);
    assert.equal(r.delivered, 2, `seed ${seed}`);
    assert.equal(r.relays, 1, `seed ${seed}: relays`);
    assert.equal(r.cancelled, 1, `seed ${seed}: cancelled`);
  }
});

test('naive flooding: on a triangle both neighbours relay', () => {
  for (let seed = 1; seed <= 10; seed++) {
    const r = triangle(() => new NaiveFloodPolicy(), seed);
    assert.equal(r.delivered, 2, `seed ${seed}`);
    assert.equal(r.relays, 2, `seed ${seed}: relays`);
    assert.equal(r.cancelled, 0, `seed ${seed}: cancelled`);
  }
});

/** 0.1 % of an hour: 3.6 s of airtime, a handful of frames. */
const TINY: RegionRules = { name: 'TINY', minFrequencyHz: 0, maxFrequencyHz: Number.POSITIVE_INFINITY, dutyCycle: 0.001, windowMs: 3_600_000, maxTxPowerDbm: 30 };

test('duty cycle: own frames beyond the budget wait for it to free up; none is lost', () => {
  const net = network([[A, B]]);
  const a = net.add(A, { region: TINY });
  net.add(B);
  const sentAt: number[] = [];
  const N = 20;
  for (let i = 0; i < N; i++) a.send(BROADCAST, text(`reading ${String(i).padStart(2, '0')}`));
  assert.doesNotThrow(() => net.scheduler.runUntilIdle());

  const atB = texts(net.deliveries.get(B));
  for (const d of atB) sentAt.push(d.rxTimeMs);
  assert.equal(atB.length, N, 'every own frame is sent eventually');
  assert.equal(a.stats.dropCount('duty-cycle'), 0, 'own frames are delayed, not dropped');

  const frameBytes = encodeFrame(
    { to: BROADCAST, from: A, id: 1, hopLimit: 3, hopStart: 3, wantAck: false, viaMqtt: false, nextHop: 0, relayNode: 0, counter: 1 },
    text('reading 00'),
    DEFAULT_CHANNEL,
  ).length;
  const perWindow = Math.floor((TINY.dutyCycle * TINY.windowMs) / timeOnAirMs(params, frameBytes));
  const inFirstHour = sentAt.filter((t) => t < TINY.windowMs).length;
  assert.equal(inFirstHour, perWindow, 'the first hour carries exactly what the budget allows');
  // The rest went out only after the first frames left the window.
  const early = sentAt.slice(0, perWindow);
  const late = sentAt.slice(perWindow);
  assert.ok(Math.max(...early) < 60_000, 'the first frames went out at once');
  assert.ok(Math.min(...late) >= TINY.windowMs, 'later frames waited for the window');
  // And no rolling hour ever saw more than the budget.
  for (const t of sentAt) assert.ok(sentAt.filter((u) => u >= t && u < t + TINY.windowMs).length <= perWindow);
});

test('duty cycle: a relay that does not fit the budget is dropped and counted, and nothing throws', () => {
  const net = network([
    [A, B],
    [B, C],
  ]);
  const a = net.add(A);
  const b = net.add(B, { region: TINY });
  net.add(C);
  // B spends its budget on its own frames, all of the same size as the one it will be asked to relay.
  const bytes = encodeFrame(
    { to: BROADCAST, from: B, id: 1, hopLimit: 3, hopStart: 3, wantAck: false, viaMqtt: false, nextHop: 0, relayNode: 0, counter: 1 },
    text('own 00'),
    DEFAULT_CHANNEL,
  ).length;
  const fits = Math.floor((TINY.dutyCycle * TINY.windowMs) / timeOnAirMs(params, bytes));
  assert.ok(fits >= 1);
  for (let i = 0; i < fits; i++) b.send(BROADCAST, text(`own ${String(i).padStart(2, '0')}`));
  net.scheduler.runUntil(120_000);
  assert.equal(b.txBacklog, 0, 'all of B’s own frames fitted the budget');
  assert.equal(texts(net.deliveries.get(C)).length, fits);

  a.send(BROADCAST, text('via B?'));
  assert.doesNotThrow(() => net.scheduler.runUntil(600_000));
  assert.equal(texts(net.deliveries.get(B)).filter((d) => d.from === A).length, 1, 'B still receives and delivers');
  assert.equal(b.stats.dropCount('duty-cycle'), 1);
  assert.equal(b.stats.relaysSent, 0);
  assert.equal(texts(net.deliveries.get(C)).filter((d) => d.from === A).length, 0, 'C is out of reach without B');
});

test('polite traffic (neighbour info) is skipped while the channel is over 25 % busy; normal traffic is not', () => {
  const net = network([[A, B]]);
  const a = net.add(A);
  const b = net.add(B);
  const beacons = () => (net.deliveries.get(B) ?? []).filter((d) => d.kind === 'neighborInfo').length;

  // Quiet channel: the beacon goes out.
  net.scheduler.runUntil(30_000);
  a.sendNeighborInfo(900);
  net.scheduler.runUntilIdle();
  assert.equal(beacons(), 1);
  assert.equal(a.stats.dropCount('channel-busy'), 0);

  // 20 s of someone else's traffic in the last minute: 33 % busy.
  const now = net.scheduler.now();
  a.utilization.record(now - 25_000, 20_000);
  assert.ok(a.utilization.percent() > 25);
  a.sendNeighborInfo(900);
  a.send(BROADCAST, text('important'));
  net.scheduler.runUntil(now + 20_000);
  assert.equal(a.stats.dropCount('channel-busy'), 1);
  assert.equal(beacons(), 1, 'no second beacon');
  assert.equal(texts(net.deliveries.get(B)).length, 1, 'ordinary traffic still goes');

  // Once the busy minute has passed, beacons resume.
  net.scheduler.runUntil(now + 120_000);
  assert.ok(a.utilization.percent() <= 25);
  a.sendNeighborInfo(900);
  net.scheduler.runUntilIdle();
  assert.equal(beacons(), 2);
  assert.equal(b.stats.dropCount(), b.stats.dropCount('own-frame') + b.stats.dropCount('duplicate'));
});

test('a frame wanting an ack that the transmit queue cannot take ends in a nak, not a silent wait', () => {
  const net = network([[A, B]]);
  const a = net.add(A);
  net.add(B);
  const naks: string[] = [];
  a.on('nak', (n) => naks.push(n.reason));
  // Far more direct messages than the queue holds, all at once; B is there, so acks are possible.
  const ids = Array.from({ length: 200 }, (_, i) => a.send(B, { text: `m${i}` }, { wantAck: true }));
  const settled = new Set<number>();
  a.on('ack', (x) => settled.add(x.id));
  a.on('nak', (x) => settled.add(x.id));
  net.scheduler.runUntilIdle();
  assert.equal(settled.size, ids.length, 'every send ends in an ack or a nak');
  assert.ok(a.stats.dropCount('queue-full') > 0, 'the queue overflowed');
  // A frame the queue refused never went on air: its nak says so, at once, without spending retries.
  assert.ok(naks.length > 0 && naks.every((r) => r === 'queue-full'), `nak reasons: ${[...new Set(naks)].join(', ')}`);
  assert.equal(naks.length, a.stats.dropCount('queue-full'));
});

test('a neighbour heard only through relays for hours is no longer a direct neighbour', () => {
  const table = new NeighborTable(A);
  table.heard(C, 0, 5, -90, 0);
  table.heard(B, 0, 5, -90, 0);
  assert.deepEqual(table.direct(0).map((n) => n.nodeId).sort(), [B, C].sort());
  // Four hours later C is heard only two hops away, B still directly.
  const later = 4 * 3600_000;
  table.heard(C, 2, -3, -110, later);
  table.heard(B, 0, 5, -90, later);
  assert.deepEqual(table.direct(later, 3 * 3600_000).map((n) => n.nodeId), [B]);
  assert.deepEqual(table.byLastByte(C & 0xff).map((n) => n.nodeId), [C], 'still resolvable as a relay byte (heard directly once)');
});

test('a relay byte shared by two direct neighbours names neither, until the table forgets one of them', () => {
  const table = new NeighborTable(A, 3);
  const twinOld = 0x1100_00aa;
  const twinNew = 0x2200_00aa;
  table.heard(twinOld, 0, 5, -90, 0);
  table.heard(B, 2, 5, -90, 1);
  table.heard(twinNew, 0, 5, -90, 2);
  assert.deepEqual(table.byLastByte(0xaa).map((n) => n.nodeId), [twinOld, twinNew]);
  assert.deepEqual(table.byLastByte(B & 0xff).map((n) => n.nodeId), [], 'heard only through relays: not a candidate');
  // A fourth node overflows the table (capacity 3): the stalest, twinOld, goes, and 0xaa is twinNew's alone.
  table.heard(C, 0, 5, -90, 3);
  assert.equal(table.get(twinOld), undefined);
  assert.deepEqual(table.byLastByte(0xaa).map((n) => n.nodeId), [twinNew]);
  assert.deepEqual(table.byLastByte(C & 0xff).map((n) => n.nodeId), [C]);
});

test('a payload too large for one frame is refused at send(), whole, and nothing is queued', () => {
  const net = network([[A, B]]);
  const a = net.add(A);
  net.add(B);
  assert.throws(() => a.send(B, text('x'.repeat(300))), (err: Error & { code?: string }) => err.code === 'E_PAYLOAD_TOO_LARGE');
  assert.equal(a.stats.originated, 0);
  net.scheduler.runUntilIdle();
  assert.equal(a.stats.txFrames, 0, 'nothing went on air');
  assert.equal(texts(net.deliveries.get(B)).length, 0);
});

test('a hop limit the header cannot carry is refused at send(), not sent and lost as a seal failure', () => {
  const net = network([[A, B]]);
  const a = net.add(A);
  net.add(B);
  const naks: string[] = [];
  a.on('nak', (e) => naks.push(e.reason));
  for (const hopLimit of [8, -1, 2.5]) {
    assert.throws(() => a.send(B, text('far'), { hopLimit }), (err: Error & { code?: string }) => err.code === 'E_BAD_ARGUMENT', `hop limit ${hopLimit}`);
  }
  net.scheduler.runUntilIdle();
  assert.deepEqual(naks, []);
  assert.equal(a.stats.originated, 0);
  a.send(B, text('seven hops'), { hopLimit: 7 });
  net.scheduler.runUntilIdle();
  assert.deepEqual(texts(net.deliveries.get(B)).map((d) => d.data.text), ['seven hops']);
});

test('a frame sent again with its persisted id after a restart is delivered once', () => {
  const net = network([[A, B]]);
  const a = net.add(A);
  net.add(B);
  const sent: number[] = [];
  a.on('sent', (e) => sent.push(e.id));
  const id = a.send(B, text('persisted'), { id: 0x1234_5678 });
  net.scheduler.runUntilIdle();
  assert.equal(id, 0x1234_5678);
  assert.deepEqual(sent, [id], 'the sender learns when its frame left the antenna');

  // The device restarts (a new router, counters carried on) and sends the frame from its outbox again.
  net.medium.detach(A);
  const a2 = net.add(A, { counter: new MemoryFrameCounter(1000) });
  a2.send(B, text('persisted'), { id });
  net.scheduler.runUntilIdle();
  assert.equal(texts(net.deliveries.get(B)).length, 1, 'B drops the copy with the same (from, id)');
  assert.throws(() => a2.send(B, text('x'), { id: 0 }), /packet id/);
});

test('a fire-and-forget frame the queue drops ends in a nak naming the reason', () => {
  const net = network([[A, B]]);
  // A dwell limit shorter than any frame: the queue can never send it.
  const a = net.add(A, { region: { name: 'TINY', minFrequencyHz: 0, maxFrequencyHz: 2e9, dutyCycle: 1, windowMs: 3_600_000, maxDwellMs: 1, maxTxPowerDbm: 30 } });
  const naks: Array<{ id: number; reason: string }> = [];
  a.on('nak', (e) => naks.push(e));
  const id = a.sendNeighborInfo(900);
  net.scheduler.runUntilIdle();
  assert.deepEqual(naks, [{ id, reason: 'duty-cycle' }]);
});

test('a frame injected from MQTT is delivered, put on air once with via_mqtt set, and never taken twice', () => {
  // Far away, D sends a broadcast that another gateway (Eve's radio here) heard and forwarded over MQTT to A.
  const farNet = network([[D, EVE]]);
  const dd = farNet.add(D);
  const captured: Uint8Array[] = [];
  farNet.medium.radio(EVE).attach({ onReceive: (p) => captured.push(p.bytes), onTransmitDone: () => undefined });
  dd.send(BROADCAST, text('from across the valley'));
  farNet.scheduler.runUntilIdle();
  assert.equal(captured.length, 1);
  const frame = captured[0]!;

  const net = network([[A, B]]);
  const a = net.add(A);
  net.add(B);
  assert.equal(a.injectFromMqtt(frame), true);
  assert.equal(a.injectFromMqtt(frame), false, 'the same frame again is a duplicate');
  const tampered = frame.slice();
  tampered[tampered.length - 1]! ^= 1;
  assert.equal(a.injectFromMqtt(tampered), false);
  net.scheduler.runUntilIdle();
  assert.deepEqual(texts(net.deliveries.get(A)).map((x) => x.data.text), ['from across the valley']);
  const atB = net.deliveries.get(B) ?? [];
  assert.equal(atB.length, 1, 'A put it on air for its own mesh');
  assert.equal(atB[0]!.viaMqtt, true, 'marked as having come over MQTT, so no gateway uplinks it again');
  assert.ok(a.stats.dropCount('duplicate') >= 1);
  assert.equal(a.stats.dropCount('E_AUTH_FAILED'), 1);
});

test('a direct message and its ack that cross over MQTT are answered as from the air: acked, and the ack settles the wait', () => {
  // A and D are in two meshes; a gateway in each (Eve's radios) hears its mesh and hands frames over MQTT.
  const near = network([[A, EVE]]);
  const a = near.add(A);
  const far = network([[D, EVE]]);
  const d = far.add(D);
  const outcome: string[] = [];
  const id = a.send(D, text('across the valley'), { wantAck: true });
  a.on('ack', (x) => x.id === id && outcome.push('ack'));
  a.on('nak', (x) => x.id === id && outcome.push(`nak ${x.reason}`));
  near.scheduler.runUntil(near.scheduler.now() + 3_000);
  const message = near.captured.find((f) => readHeader(f).from === A && readHeader(f).id === id);
  assert.ok(message, "A's message went on air");

  assert.equal(d.injectFromMqtt(message), true);
  far.scheduler.runUntilIdle();
  assert.deepEqual(texts(far.deliveries.get(D)).map((x) => x.data.text), ['across the valley']);
  const ack = far.captured.find((f) => readHeader(f).from === D && readHeader(f).to === A);
  assert.ok(ack, 'D acked it on air');

  assert.equal(a.injectFromMqtt(ack), true);
  near.scheduler.runUntilIdle();
  assert.deepEqual(outcome, ['ack'], 'the ack that came over MQTT settled the wait');
});

test('a copy claiming another hop start neither stretches a waiting relay nor crashes it', () => {
  // Anyone on the public channel can seal a frame with a sender's id and packet id and a larger
  // hop start. B's relay carries the copy it first heard, so it keeps that copy's hop limit.
  const net = network([
    [EVE, B],
    [B, C],
  ]);
  const waits: RelayPolicy = { name: 'waits', relayDelay: () => 5_000, cancelOnDuplicate: () => false };
  const b = net.add(B, { policy: waits });
  net.add(C);
  const X = 0x0777;
  const header = (hops: number, counter: number) => ({ to: BROADCAST, from: X, id: 0x5150, hopLimit: hops, hopStart: hops, wantAck: false, viaMqtt: false, nextHop: 0, relayNode: X & 0xff, counter });
  net.inject(encodeFrame(header(3, 1), text('hello'), DEFAULT_CHANNEL));
  net.scheduler.runUntil(net.scheduler.now() + 1_500);
  net.inject(encodeFrame(header(7, 2), text('hello'), DEFAULT_CHANNEL));
  assert.doesNotThrow(() => net.scheduler.runUntilIdle());
  // Eve hears B's relay.
  const relayed = net.captured.filter((f) => readHeader(f).from === X && readHeader(f).relayNode === (B & 0xff));
  assert.equal(relayed.length, 1, 'B relayed once');
  assert.equal(readHeader(relayed[0]!).hopLimit, 2, "the first copy's hop start 3, one hop used");
  assert.equal(b.stats.relaysSent, 1);
  assert.deepEqual(texts(net.deliveries.get(C)).map((d) => d.data.text), ['hello']);
});

test('a frame that cannot be sealed (its counter could not be reserved) ends in a counted nak; the frames behind it still go', () => {
  const net = network([[A, B]]);
  let value = 0;
  let failNext = true;
  // A device's counter reserves blocks on disk; a full disk makes one reservation throw.
  const counter = {
    next: () => {
      if (failNext) {
        failNext = false;
        throw new Error('SQLITE_FULL: database or disk is full');
      }
      return ++value;
    },
  };
  const a = net.add(A, { counter });
  net.add(B);
  const outcome = new Map<number, string>();
  a.on('ack', (x) => outcome.set(x.id, 'ack'));
  a.on('nak', (x) => outcome.set(x.id, `nak ${x.reason}`));
  const first = a.send(B, text('first'), { wantAck: true });
  const second = a.send(B, text('second'), { wantAck: true });
  assert.doesNotThrow(() => net.scheduler.runUntilIdle());
  const failed = outcome.get(first) === 'nak seal-failed' ? first : second;
  assert.equal(outcome.get(failed), 'nak seal-failed', `one of the two was refused: ${[...outcome.values()].join(', ')}`);
  assert.equal(outcome.get(failed === first ? second : first), 'ack', 'the other went and was acked');
  assert.equal(a.stats.dropCount('seal-failed'), 1);
  assert.equal(texts(net.deliveries.get(B)).length, 1);
});

test("a message sent again with its id after a failed attempt (as a device's outbox does) is carried again by the relays that carried the first", () => {
  // Line A - B - D; D walks out of B's range during the first attempt and is back a minute later.
  let dInRange = true;
  const net = network(
    [
      [A, B],
      [B, D],
    ],
    1,
    (f, t) => dInRange || (f !== D && t !== D),
  );
  const a = net.add(A, { policy: new ManagedFloodPolicy() });
  net.add(B, { policy: new ManagedFloodPolicy() });
  net.add(D, { policy: new ManagedFloodPolicy() });
  for (const id of [A, B, D]) net.routers.get(id)!.send(BROADCAST, text(`${id} here`));
  net.scheduler.runUntilIdle();

  const outcome: string[] = [];
  a.on('ack', () => outcome.push('ack'));
  a.on('nak', (n) => outcome.push(`nak ${n.reason}`));
  dInRange = false;
  const id = a.send(D, text('are you ok?'), { wantAck: true });
  net.scheduler.runUntilIdle();
  assert.deepEqual(outcome, ['nak MAX_RETRANSMIT'], 'the first attempt found nobody');

  dInRange = true;
  net.scheduler.runUntil(net.scheduler.now() + 60_000);
  a.send(D, text('are you ok?'), { wantAck: true, id });
  net.scheduler.runUntilIdle();
  assert.deepEqual(texts(net.deliveries.get(D)).filter((x) => x.data.text === 'are you ok?').length, 1, 'D got it once');
  assert.deepEqual(outcome, ['nak MAX_RETRANSMIT', 'ack']);
});
