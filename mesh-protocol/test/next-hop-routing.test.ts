// Direct messages by next hop: a route is learned from traffic (or read from neighbours' beacons), used so only the chosen relay
// transmits, and when that relay leaves mid-conversation the next message still arrives (the hop
// before it floods instead) and a new route is learned.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../src/core/random.ts';
import { ChannelSet, DEFAULT_CHANNEL } from '../src/crypto/channel-key.ts';
import { BROADCAST, readHeader } from '../src/frame/header.ts';
import { loraParams } from '../src/phy/lora-params.ts';
import { CoverageFloodPolicy } from '../src/routing/coverage-flood-policy.ts';
import { MeshRouter } from '../src/routing/router.ts';
import { runScenario } from '../src/sim/scenario.ts';
import { SimMedium } from '../src/sim/medium.ts';
import { SimScheduler } from '../src/sim/sim-scheduler.ts';

const A = 0x0a0a;
const B = 0x0b0b;
const C = 0x0c0c;
const D = 0x0d0d;
const E = 0x0e0e;
const F = 0x0f0f;

/** A diamond: A hears B and C, both hear D; A and D do not hear each other. (Or other links.) */
function diamond(nextHopRouting = true, links: Array<[number, number]> = [[A, B], [A, C], [B, D], [C, D]], hopLimit?: number, floodingOnly: number[] = [], linkSnr: Record<string, number> = {}) {
  const scheduler = new SimScheduler();
  const rng = new SeededRandom(11);
  const edges = new Set(links.map(([a, b]) => `${a}-${b}`));
  const onAir: Array<{ by: number; from: number; id: number; to: number; nextHop: number }> = [];
  /** Copies to lose, once each: the first transmission `by` of a frame `from` is not heard by `at`. */
  const lose: Array<{ by: number; from: number; at: number }> = [];
  const medium = new SimMedium({
    params: loraParams('LongFast'),
    scheduler,
    random: rng.fork(),
    link: (f, t) => {
      if (!edges.has(`${f}-${t}`) && !edges.has(`${t}-${f}`)) return null;
      const now = onAir[onAir.length - 1];
      const i = lose.findIndex((l) => now !== undefined && l.by === f && l.at === t && l.from === now.from && now.by === f);
      if (i < 0) return { rssi: -95, snr: linkSnr[`${f}-${t}`] ?? linkSnr[`${t}-${f}`] ?? 2 };
      lose.splice(i, 1);
      return null;
    },
    lossProbability: 0,
    onTransmit: (by, bytes) => {
      const h = readHeader(bytes);
      onAir.push({ by, from: h.from, id: h.id, to: h.to, nextHop: h.nextHop });
    },
  });
  const nodes = [...new Set(links.flat())].sort((a, b) => a - b);
  const routers = new Map(
    nodes.map((id) => [id, new MeshRouter({ nodeId: id, radio: medium.radio(id), scheduler, random: rng.fork(), channels: new ChannelSet([DEFAULT_CHANNEL]), region: 'NONE', nextHopRouting: nextHopRouting && !floodingOnly.includes(id), hopLimit })]),
  );
  const got: string[] = [];
  routers.get(D)!.on('deliver', (d) => d.data.text !== undefined && got.push(d.data.text));
  // Neighbour-info beacons, one node at a time, so everyone knows whom it hears directly.
  for (let round = 0; round < 2; round++) {
    for (const [i, r] of [...routers.values()].entries()) scheduler.schedule(round * 60_000 + i * 5_000, () => r.sendNeighborInfo(60));
  }
  scheduler.runUntilIdle();
  return { scheduler, medium, routers, onAir, lose, got, r: (id: number) => routers.get(id)! };
}

/**
 * D announces itself and the air settles, so every node has heard a frame from D. Returns what went
 * on air meanwhile, A's next hop to D, and the diamond's other relay.
 */
function announceD(net: ReturnType<typeof diamond>, options: { hopLimit?: number } = {}) {
  const start = net.onAir.length;
  net.r(D).send(BROADCAST, { text: 'D is here' }, options);
  net.scheduler.runUntilIdle();
  const via = net.r(A).nextHopTo(D);
  return { transmissions: net.onAir.slice(start), via, other: via === B ? C : B };
}

/** Sends a direct message with want_ack and runs the air until everything settled. */
function converse(net: ReturnType<typeof diamond>, from: number, to: number, text: string) {
  const outcome: string[] = [];
  const id = net.r(from).send(to, { text }, { wantAck: true });
  net.r(from).on('ack', (a) => a.id === id && outcome.push('ack'));
  net.r(from).on('nak', (a) => a.id === id && outcome.push(`nak ${a.reason}`));
  const start = net.onAir.length;
  net.scheduler.runUntilIdle();
  return { id, outcome, transmissions: net.onAir.slice(start) };
}

test('a route learned from a flood carries a direct message through one relay only, and the ack back the same way', () => {
  const net = diamond();
  const { via, other } = announceD(net);
  assert.ok(via === B || via === C, `A learned a way to D from its flood, got ${via?.toString(16)}`);

  const dm = converse(net, A, D, 'hello D');
  assert.deepEqual(dm.outcome, ['ack']);
  assert.deepEqual(net.got.filter((t) => t === 'hello D'), ['hello D'], 'delivered once');
  const carriers = dm.transmissions.filter((t) => t.from === A && t.id === dm.id).map((t) => t.by);
  assert.deepEqual(carriers, [A, via], 'only the named next hop relayed the message');
  assert.equal(dm.transmissions.filter((t) => t.by === other).length, 0, 'the other relay stayed silent, for the ack too');
  assert.equal(net.r(A).stats.routesFailed, 0);
});

test('without next-hop routing the same message is flooded: both relays carry it', () => {
  const net = diamond(false);
  announceD(net);
  assert.equal(net.r(A).nextHopTo(D), undefined);
  const dm = converse(net, A, D, 'hello D');
  assert.deepEqual(dm.outcome, ['ack']);
  assert.ok(dm.transmissions.length > 2, `a flood with its ack takes more than two transmissions, took ${dm.transmissions.length}`);
});

test('a relay leaves mid-conversation: the next message still arrives, by flood, and a new route is learned', () => {
  const net = diamond();
  announceD(net);
  assert.deepEqual(converse(net, A, D, 'first').outcome, ['ack']);
  const via = net.r(A).nextHopTo(D)!;
  const other = via === B ? C : B;

  net.medium.detach(via);
  const second = converse(net, A, D, 'second');
  assert.deepEqual(second.outcome, ['ack'], 'acknowledged end to end despite the dead next hop');
  assert.deepEqual(net.got, ['first', 'second'], 'each message delivered exactly once');
  assert.ok(second.transmissions.some((t) => t.by === A && t.id === second.id && t.nextHop === 0), 'A fell back to flooding the message');
  assert.ok(net.r(A).stats.routesFailed >= 1, 'the failed hand-over is counted');
  assert.equal(net.r(A).nextHopTo(D), other, 'the ack taught A the way that works');

  const third = converse(net, A, D, 'third');
  assert.deepEqual(third.outcome, ['ack']);
  assert.deepEqual(
    third.transmissions.filter((t) => t.from === A && t.id === third.id).map((t) => t.by),
    [A, other],
    'the repaired route is used: one relay, no flood',
  );
});

test('a destination whose frames never reached us, listed in a neighbour\'s beacons, is reached through that neighbour: one relay, no flood', () => {
  const net = diamond();
  // D never announced itself: all A knows of D is that B's and C's beacons list it.
  const dm = converse(net, A, D, 'hello D');
  assert.deepEqual(dm.outcome, ['ack']);
  assert.deepEqual(net.got, ['hello D']);
  const carriers = dm.transmissions.filter((t) => t.from === A && t.id === dm.id);
  assert.equal(carriers.length, 2, `A and one relay carried the message, got ${carriers.map((t) => t.by.toString(16)).join(', ')}`);
  const via = carriers[1]!.by;
  assert.ok(via === B || via === C);
  assert.equal(carriers[0]!.nextHop, via & 0xff, 'A named that relay, it did not flood');
  assert.equal(dm.transmissions.filter((t) => t.by === (via === B ? C : B)).length, 0, 'the other relay stayed silent');
});

test('a relay that left after carrying messages by its beacons is not named again from those beacons: the next message goes the other way', () => {
  const net = diamond();
  const first = converse(net, A, D, 'first');
  assert.deepEqual(first.outcome, ['ack']);
  const via = first.transmissions.filter((t) => t.from === A && t.id === first.id)[1]!.by;
  const other = via === B ? C : B;

  net.medium.detach(via);
  const second = converse(net, A, D, 'second');
  assert.deepEqual(second.outcome, ['ack']);
  assert.ok(second.transmissions.some((t) => t.by === A && t.id === second.id && t.nextHop === 0), 'A fell back to flooding the message');
  // The way the ack taught expires; A's beacon records of the relay that left still list D.
  net.r(A).routes.forget(D);
  assert.equal(net.r(A).nextHopTo(D), other, 'the relay that left is not named again');
  const third = converse(net, A, D, 'third');
  assert.deepEqual(third.outcome, ['ack']);
  assert.deepEqual(
    third.transmissions.filter((t) => t.from === A && t.id === third.id).map((t) => t.by),
    [A, other],
  );
  assert.deepEqual(net.got, ['first', 'second', 'third']);
});

test("the last relay waits for the destination to ack: a copy lost on the last hop is handed again, not left to the sender's retry", () => {
  const net = diamond();
  const { via, other } = announceD(net);
  net.lose.push({ by: via!, from: A, at: D });

  const dm = converse(net, A, D, 'hello D');
  assert.equal(net.lose.length, 0, 'the last hop lost its first copy');
  assert.deepEqual(dm.outcome, ['ack']);
  assert.deepEqual(net.got, ['hello D']);
  const message = dm.transmissions.filter((t) => t.from === A && t.id === dm.id);
  assert.deepEqual(message.map((t) => t.by), [A, via, via], 'the relay handed it to D again; A sent it once');
  assert.equal(dm.transmissions.filter((t) => t.by === other).length, 0, 'no flood');
});

test("an ack lost on its last hop: the sender's retry takes the same route, no flood", () => {
  const net = diamond();
  const { via, other } = announceD(net);
  net.lose.push({ by: via!, from: D, at: A });

  const dm = converse(net, A, D, 'hello D');
  assert.equal(net.lose.length, 0, "the ack's last hop was lost once");
  assert.deepEqual(dm.outcome, ['ack']);
  assert.deepEqual(net.got, ['hello D'], 'delivered once, the retry recognised as a copy');
  const fromA = dm.transmissions.filter((t) => t.by === A && t.from === A && t.id === dm.id);
  assert.equal(fromA.length, 2, 'A sent it again after the ack did not come');
  assert.ok(fromA.every((t) => t.nextHop !== 0), 'both times named for the next hop');
  assert.equal(dm.transmissions.filter((t) => t.by === other).length, 0, 'the other relay stayed silent throughout');
});

test("a sender that missed its next hop's relay hears the ack pass by before it would hand the message again: sent once, no hop carries it twice", () => {
  const net = diamond(true, [[A, B], [B, C], [C, E], [E, F], [F, D]], 5);
  announceD(net);
  assert.equal(net.r(A).nextHopTo(D), B);
  net.lose.push({ by: B, from: A, at: A });

  const dm = converse(net, A, D, 'hello D');
  assert.equal(net.lose.length, 0, "A missed B's relay once");
  assert.deepEqual(dm.outcome, ['ack']);
  assert.deepEqual(net.got, ['hello D']);
  const message = dm.transmissions.filter((t) => t.from === A && t.id === dm.id);
  assert.deepEqual(message.map((t) => t.by), [A, B, C, E, F], 'each hop sent it once');
});

test("a sender that missed its next hop's relay hands the message again: only that hop answers, the hops after it do not carry it twice", () => {
  const net = diamond(true, [[A, B], [B, C], [C, E], [E, F], [F, D]], 5);
  announceD(net);
  assert.equal(net.r(A).nextHopTo(D), B);
  // The ack loses a hop on its way back (E hands it to C again), so it cannot pass A before A hands the message again.
  net.lose.push({ by: B, from: A, at: A }, { by: E, from: D, at: C });

  const dm = converse(net, A, D, 'hello D');
  assert.equal(net.lose.length, 0, "A missed B's relay once, C the ack's first copy");
  assert.deepEqual(dm.outcome, ['ack']);
  assert.deepEqual(net.got, ['hello D']);
  const message = dm.transmissions.filter((t) => t.from === A && t.id === dm.id);
  assert.equal(message.filter((t) => t.by === A).length, 2, 'A handed it to B twice');
  assert.equal(message.filter((t) => t.by === B).length, 2, 'B answered the second hand-over');
  assert.equal(message.filter((t) => t.by === C).length, 1, 'C carried it once');
});

test('a route as long through a neighbour heard clearly better replaces one learnt over a weak link', () => {
  // B hears D and A weakly, C hears both well: D's flood reaches A first through B (weak copies
  // relay first), then through C. One hop left for B and C, none for A to relay with.
  const weak = -15;
  const net = diamond(true, undefined, undefined, [], { [`${A}-${B}`]: weak, [`${B}-${D}`]: weak, [`${A}-${C}`]: 8, [`${C}-${D}`]: 8 });
  const carriers = announceD(net, { hopLimit: 1 }).transmissions.filter((t) => t.from === D && t.by !== D).map((t) => t.by);
  assert.deepEqual(carriers, [B, C], 'B relayed first, C after it');
  assert.equal(net.r(A).nextHopTo(D), C, 'the clear link, at the same length');
  assert.deepEqual(converse(net, A, D, 'hello D').outcome, ['ack']);
});

test('a flooded direct message is not relayed by a node too far from its destination for the hops left; nodes within reach carry it', () => {
  // A - B - C - D, and a branch B - E - F. E is two relays from D; the flood reaches E with one left.
  const net = diamond(true, [[A, B], [B, C], [C, D], [B, E], [E, F]], 3, [A]);
  announceD(net);
  assert.equal(net.r(E).nextHopTo(D), B, 'E learned its way to D, two relays long');
  // A sends without routing (as a node without a route would): a flood.
  const dm = converse(net, A, D, 'hello D');
  assert.deepEqual(dm.outcome, ['ack']);
  assert.deepEqual(net.got.filter((t) => t === 'hello D'), ['hello D']);
  const carriers = new Set(dm.transmissions.filter((t) => t.from === A && t.id === dm.id).map((t) => t.by));
  assert.ok(carriers.has(B) && carriers.has(C), 'the nodes on the way carried it');
  assert.ok(!carriers.has(E), 'E could not bring it to D within the hop limit, and stayed silent');
  assert.equal(net.r(E).stats.floodRelaysOutOfReach, 1);
  assert.equal(net.r(B).stats.floodRelaysOutOfReach + net.r(C).stats.floodRelaysOutOfReach, 0);
});

test('same seed, same numbers: a simulated run of direct messages (and of SOS alerts) replays exactly', () => {
  for (const traffic of ['direct', 'sos'] as const) {
    const spec = { topology: 'random', nodes: 30, loss: 0.2, hopLimit: 3, frames: 8, seed: 5, traffic, policy: () => new CoverageFloodPolicy() } as const;
    const first = runScenario(spec);
    const second = runScenario(spec);
    assert.ok(first.frames.some((f) => f.reached > 0), `${traffic}: something was delivered`);
    assert.deepEqual(second.frames, first.frames, traffic);
    assert.deepEqual(second.medium, first.medium, traffic);
    const other = runScenario({ ...spec, seed: 6 });
    assert.notDeepEqual(other.frames, first.frames, `${traffic}: another seed, another run`);
  }
});

test("a destination whose repeated hand-over of its ack fails on the radio still acks the sender's retry", () => {
  const net = diamond();
  const { via } = announceD(net);
  // The ack's relay is lost at A (so A retries) and at D (so D hands the ack over again) ...
  net.lose.push({ by: via!, from: D, at: A }, { by: via!, from: D, at: D });
  // ... and that second hand-over never leaves D's radio.
  const radio = net.medium.radio(D);
  const transmit = radio.transmit.bind(radio);
  let acksTried = 0;
  radio.transmit = (frame) => {
    const h = readHeader(frame);
    if (h.from === D && h.to === A && ++acksTried === 2) {
      net.scheduler.schedule(0, () => radio.listener?.onTransmitDone(false, 'radio error'));
      return;
    }
    transmit(frame);
  };

  const dm = converse(net, A, D, 'hello D');
  assert.equal(net.lose.length, 0, 'both copies of the relayed ack were lost');
  assert.ok(acksTried >= 3, `D acked the retry (tried ${acksTried} transmissions of acks)`);
  assert.deepEqual(dm.outcome, ['ack'], 'A heard that its message arrived');
  assert.deepEqual(net.got, ['hello D'], 'delivered once');
});
