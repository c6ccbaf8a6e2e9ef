// Traceroute over next-hop routes on a simulated 4-node line: the path both ways with each hop's
// SNR, a clear timeout for a node nobody hears, and malformed traces refused with a counted reason.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SeededRandom } from '../src/core/random.ts';
import { ChannelSet, DEFAULT_CHANNEL } from '../src/crypto/channel-key.ts';
import { BROADCAST } from '../src/frame/header.ts';
import { loraParams } from '../src/phy/lora-params.ts';
import { MeshRouter } from '../src/routing/router.ts';
import { UNKNOWN_NODE } from '../src/routing/trace-route.ts';
import { TraceService, type TraceResult } from '../src/routing/trace-service.ts';
import { SimMedium } from '../src/sim/medium.ts';
import { SimScheduler } from '../src/sim/sim-scheduler.ts';

const A = 0x0a0a;
const B = 0x0b0b;
const C = 0x0c0c;
const D = 0x0d0d;

/** SNR each receiver hears each transmitter at; every direction differs, so a swapped hop shows. */
const SNR: Record<string, number> = {
  [`${A}>${B}`]: 6.25,
  [`${B}>${A}`]: 5.5,
  [`${B}>${C}`]: -3.75,
  [`${C}>${B}`]: -2.5,
  [`${C}>${D}`]: 1.5,
  [`${D}>${C}`]: 0.75,
};

function line(learnRoutes = true) {
  const scheduler = new SimScheduler();
  const rng = new SeededRandom(15);
  const medium = new SimMedium({
    params: loraParams('LongFast'),
    scheduler,
    random: rng.fork(),
    link: (f, t) => (SNR[`${f}>${t}`] === undefined ? null : { rssi: -100, snr: SNR[`${f}>${t}`]! }),
    lossProbability: 0,
  });
  const nodes = new Map(
    [A, B, C, D].map((id) => {
      const router = new MeshRouter({ nodeId: id, radio: medium.radio(id), scheduler, random: rng.fork(), channels: new ChannelSet([DEFAULT_CHANNEL]), region: 'NONE' });
      return [id, { router, trace: new TraceService({ router, scheduler, random: rng.fork() }) }] as const;
    }),
  );
  // Neighbour beacons, then one flood from each node, one at a time: every node learns whom it
  // hears and a next hop to every other.
  for (const [i, { router }] of [...nodes.values()].entries()) scheduler.schedule(i * 5_000, () => router.sendNeighborInfo(60));
  if (learnRoutes) for (const [i, { router }] of [...nodes.values()].entries()) scheduler.schedule(60_000 + i * 30_000, () => router.send(BROADCAST, { text: `hello from ${i}` }));
  scheduler.runUntilIdle();
  return { scheduler, n: (id: number) => nodes.get(id)! };
}

async function settle<T>(net: ReturnType<typeof line>, p: Promise<T>): Promise<T> {
  net.scheduler.runUntilIdle();
  return p;
}

test('a trace over a 4-node line returns the path to the node and back with the SNR each hop heard', async () => {
  const net = line();
  assert.equal(net.n(A).router.nextHopTo(D), B, 'A routes to D through B');
  assert.equal(net.n(D).router.nextHopTo(A), C, 'D routes to A through C');
  const r: TraceResult = await settle(net, net.n(A).trace.trace(D));
  assert.deepEqual(r.towards, [
    { node: A, snr: undefined },
    { node: B, snr: 6.25 },
    { node: C, snr: -3.75 },
    { node: D, snr: 1.5 },
  ]);
  assert.deepEqual(r.back, [
    { node: D, snr: undefined },
    { node: C, snr: 0.75 },
    { node: B, snr: -2.5 },
    { node: A, snr: 5.5 },
  ]);
  for (const id of [A, B, C, D]) assert.equal(net.n(id).router.stats.dropCount('E_BAD_TRACE'), 0);
});

test('without a route the trace floods: the relays it passed are unknown hops, and the answer comes back by the route the flood taught', async () => {
  const net = line(false);
  assert.equal(net.n(A).router.nextHopTo(D), undefined, 'A knows no way to D yet');
  const r = await settle(net, net.n(A).trace.trace(D));
  assert.deepEqual(r.towards, [
    { node: A, snr: undefined },
    { node: UNKNOWN_NODE, snr: undefined },
    { node: UNKNOWN_NODE, snr: undefined },
    { node: D, snr: 1.5 },
  ]);
  assert.deepEqual(r.back, [
    { node: D, snr: undefined },
    { node: C, snr: 0.75 },
    { node: B, snr: -2.5 },
    { node: A, snr: 5.5 },
  ]);
});

test('a trace to a node nobody hears ends in a timeout naming the node', async () => {
  const net = line();
  const trace = net.n(A).trace.trace(0x0e0e_0e0e, 60_000);
  net.scheduler.runUntilIdle();
  await assert.rejects(trace, (e: Error & { code?: string }) => {
    assert.equal(e.code, 'E_TRACE_TIMEOUT');
    assert.match(e.message, /no answer from !0e0e0e0e within 60 s/);
    return true;
  });
});

test('a malformed trace is dropped with a counted reason, and nothing is sent on', () => {
  const net = line();
  const drops: string[] = [];
  net.n(B).router.on('drop', (d) => drops.push(`${d.reason}: ${d.detail}`));
  const base = { route: [], snrTowards: [], routeBack: [], snrBack: [], requester: A, destination: D };
  net.n(A).router.send(B, { traceroute: { ...base, snrTowards: [4, 8] }, requestId: 7 }, { hopLimit: 0 });
  net.n(A).router.send(B, { traceroute: { ...base, requester: 0 }, requestId: 8 }, { hopLimit: 0 });
  net.n(A).router.send(B, { traceroute: { ...base, route: new Array(9).fill(C), snrTowards: new Array(9).fill(0) }, requestId: 9 }, { hopLimit: 0 });
  net.n(A).router.send(B, { traceroute: base }, { hopLimit: 0 });
  const sentByB = net.n(B).router.stats.originated;
  net.scheduler.runUntilIdle();
  assert.equal(net.n(B).router.stats.dropCount('E_BAD_TRACE'), 3, drops.join('; '));
  assert.equal(net.n(B).router.stats.dropCount('trace-too-long'), 1);
  assert.deepEqual(drops.sort(), [
    'E_BAD_TRACE: no request id',
    'E_BAD_TRACE: no requester',
    'E_BAD_TRACE: route and its SNRs differ in length',
    'trace-too-long: more than 8 hops',
  ]);
  assert.equal(net.n(B).router.stats.originated, sentByB, 'B sent no trace on');
});

test('a node answers at most its rate of traces a minute, and counts the rest', async () => {
  const net = line();
  const traces = Array.from({ length: 8 }, () => net.n(A).trace.trace(B, 30_000).then(() => 'answered', (e: { code: string }) => e.code));
  net.scheduler.runUntilIdle();
  const outcomes = await Promise.all(traces);
  assert.equal(outcomes.filter((o) => o === 'answered').length, 6);
  assert.equal(outcomes.filter((o) => o === 'E_TRACE_TIMEOUT').length, 2);
  assert.equal(net.n(B).router.stats.dropCount('trace-rate-limited'), 2);
});

test('whatever trace a node is handed, it either sends one frame on or counts one drop, and never throws', () => {
  const scheduler = new SimScheduler();
  const rng = new SeededRandom(7);
  const medium = new SimMedium({ params: loraParams('LongFast'), scheduler, random: rng.fork(), link: () => null, lossProbability: 0 });
  const router = new MeshRouter({ nodeId: B, radio: medium.radio(B), scheduler, random: rng.fork(), channels: new ChannelSet([DEFAULT_CHANNEL]), region: 'NONE' });
  new TraceService({ router, scheduler, random: rng.fork(), ratePerMinute: Infinity });
  const node = fc.oneof(fc.constantFrom(0, A, B, C, D, BROADCAST), fc.integer({ min: 0, max: 0xffff_ffff }));
  const ids = fc.array(node, { maxLength: 10 });
  const snrs = fc.array(fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }), { maxLength: 11 });
  fc.assert(
    fc.property(
      fc.record({ route: ids, snrTowards: snrs, routeBack: ids, snrBack: snrs, requester: node, destination: node }),
      fc.integer({ min: 0, max: 0xffff_ffff }),
      fc.integer({ min: 0, max: 7 }),
      fc.constantFrom(B, BROADCAST),
      fc.double({ noNaN: false }),
      (traceroute, requestId, hops, to, snr) => {
        const before = router.stats.originated + router.stats.dropCount();
        router.emit('deliver', { from: A, to, id: 1, kind: 'traceroute', data: { traceroute, requestId }, hops, rssi: -90, snr, rxTimeMs: 0, viaMqtt: false, channel: 'LongFast' });
        scheduler.runUntilIdle();
        assert.equal(router.stats.originated + router.stats.dropCount(), before + 1);
      },
    ),
    { numRuns: 500 },
  );
});
