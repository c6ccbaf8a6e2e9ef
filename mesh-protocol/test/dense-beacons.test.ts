// Where a node hears more neighbours than one beacon can list (a town): beacons take turns listing
// slices of the whole list, receivers keep the slices, and a relay that has overheard several
// copies does not take a neighbour's silence about a transmitter as proof the copy missed it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom, type Random } from '../src/core/random.ts';
import { ChannelSet, DEFAULT_CHANNEL } from '../src/crypto/channel-key.ts';
import { BROADCAST, MAX_DATA_BYTES, type FrameHeader } from '../src/frame/header.ts';
import { encodeData } from '../src/frame/schema.ts';
import { loraParams } from '../src/phy/lora-params.ts';
import { CoverageFloodPolicy } from '../src/routing/coverage-flood-policy.ts';
import { BEACON_MAX_NEIGHBORS, NeighborTable, type NeighborLink } from '../src/routing/neighbor-table.ts';
import { NaiveFloodPolicy } from '../src/routing/naive-flood-policy.ts';
import type { RelayContext } from '../src/routing/relay-policy.ts';
import { MeshRouter } from '../src/routing/router.ts';
import { SimMedium } from '../src/sim/medium.ts';
import { SimScheduler } from '../src/sim/sim-scheduler.ts';

const NOW = 1_000_000;
const ORIGIN = 0x200;
const link = (nodeId: number): NeighborLink => ({ nodeId, quality: 0.9, snr: 0 });
const ids = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);
const random: Random = { next: () => 0, int: () => 0, u32: () => 0 };

test('a hub hearing 40 nodes lists at most 15 a beacon, and three beacons teach a neighbour all 40', () => {
  const HUB = 0x1000;
  const leaves = ids(0x2000, 40);
  const scheduler = new SimScheduler();
  const rng = new SeededRandom(3);
  // A star: every leaf hears only the hub, so no two beacons collide where they are heard.
  const medium = new SimMedium({
    params: loraParams('LongFast'),
    scheduler,
    random: rng.fork(),
    link: (a, b) => (a === HUB || b === HUB ? { rssi: -95, snr: 2 } : null),
    lossProbability: 0,
  });
  const router = (id: number) =>
    new MeshRouter({ nodeId: id, radio: medium.radio(id), scheduler, random: rng.fork(), channels: new ChannelSet([DEFAULT_CHANNEL]), policy: new NaiveFloodPolicy(), region: 'NONE' });
  const hub = router(HUB);
  const routers = leaves.map(router);
  const listed: number[] = [];
  routers[0]!.on('heard', (h) => {
    if (h.data.neighborInfo) listed.push(h.data.neighborInfo.neighbors.length);
  });
  routers.forEach((r, i) => scheduler.schedule(i * 3_000, () => r.sendNeighborInfo(60)));
  scheduler.runUntilIdle();
  assert.equal(hub.neighbors.direct(scheduler.now()).length, 40);

  for (let beacon = 0; beacon < 3; beacon++) {
    hub.sendNeighborInfo(60);
    scheduler.runUntilIdle();
  }
  assert.deepEqual(listed, [15, 15, 15]);
  const learnt = [...routers[0]!.neighbors.get(HUB)!.advertised.keys()].sort((a, b) => a - b);
  assert.deepEqual(learnt, leaves);
});

test('the fullest beacon fits a frame: every neighbour at the weakest SNR and best quality, after years of beacons, a day apart', () => {
  const neighbors = ids(0xffff_ff00, BEACON_MAX_NEIGHBORS).map((nodeId) => ({ nodeId, snrX4: -30 * 4, quality: 255 }));
  const data = encodeData({ neighborInfo: { nodeId: 0xffff_fffe, beaconSeq: 0xffff_ffff, intervalS: 86_400, neighbors } });
  assert.ok(data.length <= MAX_DATA_BYTES, `${data.length} bytes of Data, at most ${MAX_DATA_BYTES}`);
});

test('a full beacon adds to what earlier ones listed; a short one is the whole list; a restart starts afresh', () => {
  const table = new NeighborTable(0x1);
  const N = 0x50;
  table.heard(N, 0, 0, -90, NOW);
  table.beacon(N, 1, ids(0x100, BEACON_MAX_NEIGHBORS).map(link), NOW);
  table.beacon(N, 2, ids(0x200, BEACON_MAX_NEIGHBORS).map(link), NOW);
  assert.equal(table.get(N)!.advertised.size, 2 * BEACON_MAX_NEIGHBORS);
  assert.equal(table.linkQuality(0x100, N), 0.9);

  // A link no slice has named for six beacons is forgotten.
  for (let seq = 3; seq <= 7; seq++) table.beacon(N, seq, ids(0x200, BEACON_MAX_NEIGHBORS).map(link), NOW);
  assert.equal(table.linkQuality(0x100, N), 0);
  assert.equal(table.linkQuality(0x200, N), 0.9);

  table.beacon(N, 8, [link(0x300), link(0x301)], NOW);
  assert.deepEqual([...table.get(N)!.advertised.keys()], [0x300, 0x301]);

  table.beacon(N, 9, ids(0x400, BEACON_MAX_NEIGHBORS).map(link), NOW);
  table.beacon(N, 1, ids(0x500, BEACON_MAX_NEIGHBORS).map(link), NOW);
  assert.deepEqual([...table.get(N)!.advertised.keys()], ids(0x500, BEACON_MAX_NEIGHBORS), 'restarted: the old slices are gone');
});

/**
 * `self` has heard the frame from each of `transmitters`; its other neighbours each advertise
 * whom they hear (`lists`).
 */
function context(self: number, transmitters: number[], lists: Map<number, number[]>): RelayContext {
  const neighbors = new NeighborTable(self);
  let seq = 1;
  for (const t of transmitters) neighbors.heard(t, 0, 0, -90, NOW);
  for (const [node, hears] of lists) {
    neighbors.heard(node, 0, 0, -90, NOW);
    neighbors.beacon(node, seq++, hears.map(link), NOW);
  }
  const header: FrameHeader = { to: BROADCAST, from: ORIGIN, id: 9, hopLimit: 2, hopStart: 4, wantAck: false, viaMqtt: false, channelHash: 0, nextHop: 0, relayNode: transmitters.at(-1)! & 0xff, counter: 1 };
  return { self, header, snr: -5, transmitters, copies: transmitters.length, slotMs: 28, airtimeSlots: 24, urgent: false, random, neighbors, now: NOW };
}

test('in a town, four copies overheard silence a relay whose neighbours list slices that do not name those relays', () => {
  const self = 0x100;
  const relays = [ORIGIN, 0x301, 0x302, 0x303];
  // 30 town neighbours, each listing 16 of the others it hears (a slice that misses the relays).
  const town = ids(0x400, 30);
  const lists = new Map(town.map((n, i) => [n, [self, ...town.filter((m) => m !== n).slice(i % 10, (i % 10) + BEACON_MAX_NEIGHBORS - 1)]]));
  assert.equal(new CoverageFloodPolicy().cancelOnDuplicate(context(self, relays, lists)), true);
});

test('with no more neighbours than a beacon lists, a neighbour that does not name the relays still keeps us relaying', () => {
  const self = 0x100;
  const relays = [ORIGIN, 0x301, 0x302, 0x303];
  // Two neighbours beyond the relays, hearing only us: nobody else can reach them.
  const lists = new Map([
    [0x401, [self]],
    [0x402, [self]],
  ]);
  assert.equal(new CoverageFloodPolicy().cancelOnDuplicate(context(self, relays, lists)), false);
});

test('in a town, two copies overheard are not yet enough to take unlisted links as covered', () => {
  const self = 0x100;
  const town = ids(0x400, 30);
  const lists = new Map(town.map((n, i) => [n, [self, ...town.filter((m) => m !== n).slice(i % 10, (i % 10) + BEACON_MAX_NEIGHBORS - 1)]]));
  assert.equal(new CoverageFloodPolicy().cancelOnDuplicate(context(self, [ORIGIN, 0x301], lists)), false);
});
