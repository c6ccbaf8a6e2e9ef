// Priority is a property of every transmit queue an SOS passes through: a node with a backlog of
// texts sends its SOS next, a relay with a backlog of texts to relay forwards the SOS first, and a
// full queue makes room for an SOS instead of refusing it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../src/core/random.ts';
import { ChannelSet, DEFAULT_CHANNEL } from '../src/crypto/channel-key.ts';
import { BROADCAST } from '../src/frame/header.ts';
import type { Data } from '../src/frame/schema.ts';
import { loraParams } from '../src/phy/lora-params.ts';
import { ChannelUtilization } from '../src/routing/channel-utilization.ts';
import { DutyCycle } from '../src/routing/duty-cycle.ts';
import { NaiveFloodPolicy } from '../src/routing/naive-flood-policy.ts';
import { RouterStats } from '../src/routing/router-stats.ts';
import { TxQueue } from '../src/routing/tx-queue.ts';
import type { Urgency } from '../src/routing/urgency.ts';
import { MeshRouter, type Delivery } from '../src/routing/router.ts';
import { SimMedium } from '../src/sim/medium.ts';
import { SimScheduler } from '../src/sim/sim-scheduler.ts';

const A = 0x0a0a;
const B = 0x0b0b;
const C = 0x0c0c;
const SOS: Data = { alert: { level: 'SOS', text: 'help', magnitudeX10: 0 } };

function line(ids: number[]) {
  const scheduler = new SimScheduler();
  const rng = new SeededRandom(7);
  const linked = new Set(ids.slice(1).flatMap((id, i) => [`${ids[i]}-${id}`, `${id}-${ids[i]}`]));
  const medium = new SimMedium({ params: loraParams('LongFast'), scheduler, random: rng.fork(), link: (f, t) => (linked.has(`${f}-${t}`) ? { rssi: -95, snr: 2 } : null), lossProbability: 0 });
  const heard = new Map<number, Delivery[]>();
  const routers = ids.map((id) => {
    const r = new MeshRouter({ nodeId: id, radio: medium.radio(id), scheduler, random: rng.fork(), channels: new ChannelSet([DEFAULT_CHANNEL]), policy: new NaiveFloodPolicy(), region: 'NONE' });
    heard.set(id, []);
    r.on('deliver', (d) => heard.get(id)!.push(d));
    return r;
  });
  return { scheduler, routers, heard };
}

const kinds = (ds: Delivery[]) => ds.map((d) => (d.kind === 'alert' ? 'SOS' : d.data.text ?? d.kind));

test('an SOS raised behind a backlog of texts goes on air before the texts still waiting', () => {
  const net = line([A, B]);
  const [a] = net.routers;
  for (let i = 0; i < 10; i++) a!.send(BROADCAST, { text: `t${i}` });
  // Let the first text reach the air, then press SOS.
  net.scheduler.runUntil(2_000);
  const onAirBefore = net.heard.get(B)!.length + 1;
  a!.send(BROADCAST, SOS);
  net.scheduler.runUntilIdle();
  const order = kinds(net.heard.get(B)!);
  assert.equal(order.length, 11);
  assert.ok(order.indexOf('SOS') <= onAirBefore, `the SOS went out after at most the frame already on air: ${order.join(' ')}`);
});

test('a relay forwards an SOS ahead of the texts it was already waiting to relay', () => {
  const net = line([A, B, C]);
  const [a, b] = net.routers;
  for (let i = 0; i < 12; i++) a!.send(BROADCAST, { text: `t${i}` });
  // Once B has heard every text, its relays of them queue behind one another; then A sends an SOS.
  let sent = false;
  let backlogWhenSosHeard = -1;
  b!.on('deliver', (d) => {
    if (d.kind === 'alert') backlogWhenSosHeard = b!.txBacklog;
    if (!sent && net.heard.get(B)!.length === 12) {
      sent = true;
      a!.send(BROADCAST, SOS);
    }
  });
  net.scheduler.runUntilIdle();
  const atC = kinds(net.heard.get(C)!);
  assert.equal(atC.length, 13, 'every frame crossed the relay');
  assert.ok(backlogWhenSosHeard >= 3, `B still had relays waiting when the SOS came: ${backlogWhenSosHeard}`);
  const textsAfterSos = atC.length - 1 - atC.indexOf('SOS');
  assert.ok(textsAfterSos >= backlogWhenSosHeard - 1, `the SOS overtook the relays waiting at B (${backlogWhenSosHeard}): C got ${atC.join(' ')}`);
});

test('a full transmit queue makes room for an SOS by dropping its newest non-urgent frame, counted', () => {
  const scheduler = new SimScheduler();
  const medium = new SimMedium({ params: loraParams('LongFast'), scheduler, random: new SeededRandom(3), link: () => null, lossProbability: 0 });
  const radio = medium.radio(A);
  const drops: string[] = [];
  const stats = new RouterStats();
  const queue = new TxQueue(radio, scheduler, new SeededRandom(4), 28, new DutyCycle('NONE', scheduler), new ChannelUtilization(scheduler), stats, (r) => drops.push(r));
  radio.attach({ onReceive: () => {}, onTransmitDone: (ok) => queue.transmitDone(ok) });
  const sent: string[] = [];
  const dropped: string[] = [];
  const item = (name: string, urgent: Urgency = 0) => ({
    length: 40,
    kind: 'origin' as const,
    urgent,
    prepare: () => new Uint8Array(40),
    onSent: () => sent.push(name),
    onDropped: () => dropped.push(name),
  });
  // One on air and 64 waiting: the queue is full.
  for (let i = 0; i < 65; i++) assert.equal(queue.enqueue(item(`t${i}`)), true);
  assert.equal(queue.enqueue(item('t65')), false, 'a text that does not fit is refused');
  assert.equal(queue.enqueue(item('SOS', 2)), true, 'an SOS is never refused for a full queue of texts');
  assert.deepEqual(dropped, ['t65', 't64'], 'the refused text, then the newest waiting text made room');
  assert.deepEqual(drops, ['queue-full', 'queue-full']);
  scheduler.runUntilIdle();
  assert.deepEqual(sent.slice(0, 2), ['t0', 'SOS'], 'the SOS went right after the frame on air');
  assert.equal(sent.length, 65);
});

test('an SOS waiting for a busy channel listens again within its 16-slot window, so it goes soon after the channel clears', () => {
  const scheduler = new SimScheduler();
  const params = loraParams('LongFast');
  const clearAt = 1_000;
  const onAirAt: number[] = [];
  const radio = { params, attach: () => {}, transmit: () => onAirAt.push(scheduler.now()), isChannelBusy: () => scheduler.now() < clearAt };
  // Every random draw at its longest: the slowest listen-before-talk the queue could pick.
  const longest = { next: () => 0.999999, int: (n: number) => n - 1, u32: () => 0xffffffff };
  const slotMs = 28;
  const queue = new TxQueue(radio, scheduler, longest, slotMs, new DutyCycle('NONE', scheduler), new ChannelUtilization(scheduler), new RouterStats(), () => {});
  queue.enqueue({ length: 40, kind: 'relay', urgent: 2, prepare: () => new Uint8Array(40) });
  scheduler.runUntilIdle();
  assert.equal(onAirAt.length, 1, 'the SOS went on air');
  assert.ok(onAirAt[0]! >= clearAt && onAirAt[0]! <= clearAt + 16 * slotMs, `the channel cleared at ${clearAt} ms, the SOS went at ${onAirAt[0]} ms`);
});

/** A LongFast queue spending `duty`'s budget, with the lengths that go on air and the drops it counts. */
function budgetQueue(duty: (scheduler: SimScheduler) => DutyCycle, seed: number) {
  const scheduler = new SimScheduler();
  const onAir: number[] = [];
  const drops: string[] = [];
  const radio = { params: loraParams('LongFast'), attach: () => {}, transmit: (b: Uint8Array) => onAir.push(b.length), isChannelBusy: () => false };
  const budget = duty(scheduler);
  const queue = new TxQueue(radio, scheduler, new SeededRandom(seed), 28, budget, new ChannelUtilization(scheduler), new RouterStats(), (r) => drops.push(r));
  return { scheduler, duty: budget, queue, onAir, drops };
}

/**
 * Busy minutes of relaying left 0.9 s of the hour's EU868 budget: a 180-byte text of ours (about
 * 1.7 s on air) must wait most of an hour, while `item` (shorter) fits now and must go at once.
 */
function overtakesTextWaitingForBudget(item: Parameters<TxQueue['enqueue']>[0], what: string): void {
  const { scheduler, duty, queue, onAir } = budgetQueue((s) => new DutyCycle('EU868', s), 5);
  duty.record(duty.budgetMs - 900);
  queue.enqueue({ length: 180, kind: 'origin', prepare: () => new Uint8Array(180) });
  scheduler.runUntil(scheduler.now() + 1_000);
  assert.deepEqual(onAir, [], 'the text waits for the budget');
  queue.enqueue(item);
  scheduler.runUntil(scheduler.now() + 1);
  assert.deepEqual(onAir, [item.length], `${what} went on air at once`);
}

test('an SOS that fits the duty-cycle budget goes at once, not after the text ahead of it waits for the budget', () => {
  overtakesTextWaitingForBudget({ length: 40, kind: 'origin', urgent: 2, prepare: () => new Uint8Array(40) }, 'the SOS');
});

test("a queue full of relayed alerts still takes the node's own SOS, pushing out the newest relay", () => {
  // Someone floods alerts while the duty-cycle budget is spent: urgent relays wait for the budget
  // instead of being dropped, so they pile up; the person here pressing SOS must not be refused.
  const { duty, queue, drops } = budgetQueue((s) => new DutyCycle('EU868', s), 6);
  duty.record(duty.budgetMs);
  const dropped: string[] = [];
  const relay = (name: string) => ({ length: 40, kind: 'relay' as const, urgent: 2 as const, prepare: () => new Uint8Array(40), onDropped: () => dropped.push(name) });
  for (let i = 0; i < 64; i++) assert.equal(queue.enqueue(relay(`r${i}`)), true);
  assert.equal(queue.enqueue(relay('r64')), false, 'one relayed alert more does not fit');
  const own = { length: 40, kind: 'origin' as const, urgent: 2 as const, prepare: () => new Uint8Array(40), onDropped: () => dropped.push('SOS') };
  assert.equal(queue.enqueue(own), true, "the node's own SOS is taken");
  assert.deepEqual(dropped, ['r64', 'r63'], 'the refused relay, then the newest waiting relay made room');
  assert.deepEqual(drops, ['queue-full', 'queue-full']);
});

test('after an aftershock burst, an SOS relay goes ahead of the earthquake alerts waiting to be relayed, and a full queue of them makes room for it', () => {
  // The duty-cycle budget is spent: relayed alerts wait for it instead of being dropped, and pile up.
  const { scheduler, duty, queue, onAir } = budgetQueue((s) => new DutyCycle('EU868', s), 9);
  duty.record(duty.budgetMs);
  const dropped: string[] = [];
  const relay = (name: string, urgent: Urgency, length: number) => ({ length, kind: 'relay' as const, urgent, prepare: () => new Uint8Array(length), onDropped: () => dropped.push(name) });
  for (let i = 0; i < 64; i++) assert.equal(queue.enqueue(relay(`quake${i}`, 1, 60)), true);
  assert.equal(queue.enqueue(relay('quake64', 1, 60)), false, 'one more relayed alert does not fit');
  assert.equal(queue.enqueue(relay('sos', 2, 41)), true, 'a relayed SOS is taken');
  assert.deepEqual(dropped, ['quake64', 'quake63'], 'the newest relayed alert made room for it');
  // Everyone answering "I am safe" after the quake does not push its warnings out: an answer is an alert like them.
  assert.equal(queue.enqueue(relay('safe', 1, 30)), false, 'a relayed "I am safe" does not evict a relayed warning');
  // Once the budget allows one frame, it is the SOS's.
  scheduler.runUntil(scheduler.now() + 61 * 60_000);
  assert.equal(onAir[0], 41, `the SOS went first: ${onAir.slice(0, 3).join(', ')}`);
});

test('a frame that can never fit the duty-cycle budget is dropped and counted, and the frames behind it still go', () => {
  // A region whose budget (1 % of a minute, 600 ms) is shorter than one long frame on air.
  const { scheduler, queue, onAir, drops } = budgetQueue((s) => new DutyCycle({ name: 'TIGHT', minFrequencyHz: 0, maxFrequencyHz: 1e9, dutyCycle: 0.01, windowMs: 60_000, maxTxPowerDbm: 30 }, s), 8);
  const outcome: string[] = [];
  queue.enqueue({ length: 200, kind: 'origin', prepare: () => new Uint8Array(200), onDropped: (r) => outcome.push(`long dropped: ${r}`) });
  queue.enqueue({ length: 10, kind: 'origin', prepare: () => new Uint8Array(10) });
  scheduler.runUntil(scheduler.now() + 10 * 60_000);
  assert.deepEqual(outcome, ['long dropped: duty-cycle']);
  assert.deepEqual(drops, ['duty-cycle']);
  assert.deepEqual(onAir, [10]);
});

test('an ack that fits the duty-cycle budget goes at once, not after the longer text ahead of it waits for the budget', () => {
  // The sender's retries flood the mesh while our ack waits: an hour of that for a text of ours
  // that does not fit yet is what a node near its budget would otherwise cause.
  overtakesTextWaitingForBudget({ length: 30, kind: 'ack', prepare: () => new Uint8Array(30) }, 'the ack');
});
