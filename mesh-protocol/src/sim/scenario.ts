// A simulated mesh run end to end: place nodes, let them learn their neighbours, originate frames
// from random nodes, and measure what each relay strategy costs and delivers. Deterministic for
// a given spec (seeded), and it runs the real router code.

import { SeededRandom } from '../core/random.ts';
import { ChannelSet, DEFAULT_CHANNEL } from '../crypto/channel-key.ts';
import { BROADCAST, readHeader } from '../frame/header.ts';
import { loraParams, type LoRaPresetName } from '../phy/lora-params.ts';
import type { RelayPolicy } from '../routing/relay-policy.ts';
import { MeshRouter } from '../routing/router.ts';
import { SimMedium, type Link, type MediumStats } from './medium.ts';
import { DEFAULT_PROPAGATION, linkBudget, linkShadowingDb, rangeM } from './propagation.ts';
import { SimScheduler } from './sim-scheduler.ts';

/**
 * line, grid and random meshes of ground nodes; `mixed` is a region: a dense town (buildings cut
 * the range), sparse villages, a few farms and a few hilltop relays whose long links join them.
 */
export type Topology = 'line' | 'grid' | 'random' | 'mixed';

export interface ScenarioSpec {
  topology: Topology;
  nodes: number;
  /** Chance that any one reception is lost on top of what the link budget decides, 0..1. */
  loss: number;
  seed: number;
  policy: () => RelayPolicy;
  hopLimit?: number;
  preset?: LoRaPresetName;
  /** Frames originated (from random nodes) and measured. */
  frames?: number;
  frameIntervalMs?: number;
  /** Neighbour-info rounds before measuring, so nodes know who hears whom. */
  beaconRounds?: number;
  beaconIntervalMs?: number;
  /** Mean number of neighbours per node in the random topology. */
  meanDegree?: number;
  /** Log-normal shadowing per link (dB); defaults to 0 on the line and grid, 6 in a random mesh. */
  shadowingSigmaDb?: number;
  /**
   * The measured frames: broadcast texts (default), broadcast SOS alerts, or direct messages with
   * want_ack exchanged back and forth by a few pairs of nodes (conversations, so routes can form).
   */
  traffic?: 'text' | 'sos' | 'direct';
  /** Whether routers route direct messages by learned next hops (default) or only flood them. */
  nextHopRouting?: boolean;
}

export interface Placement {
  id: number;
  x: number;
  y: number;
  /** Where it stands in a `mixed` region (absent elsewhere). */
  kind?: PlacementKind;
}

export type PlacementKind = 'town' | 'village' | 'farm' | 'hilltop';

export interface FrameOutcome {
  origin: number;
  id: number;
  /** Simulated time the origin handed it to its router. */
  sentAtMs: number;
  /** Nodes other than the origin that delivered the frame to their application. */
  reached: number;
  transmissions: number;
  airtimeMs: number;
  latenciesMs: number[];
  /** Hops each delivery took, in the order of latenciesMs (absent until the first delivery). */
  hops?: number[];
  /** The node of each delivery, in the order of latenciesMs (absent until the first delivery). */
  receivers?: number[];
}

export interface NodeOutcome extends Placement {
  /** Measured frames this node delivered (excluding its own). */
  received: number;
  /** Measured frames it could have received (all but its own). */
  eligible: number;
  transmissions: number;
  relaysCancelled: number;
  drops: number;
}

export interface ScenarioResult {
  spec: ScenarioSpec;
  policyName: string;
  nodes: NodeOutcome[];
  links: Array<{ a: number; b: number; snr: number }>;
  frames: FrameOutcome[];
  /** Times any application got the same frame twice (must be 0). */
  duplicateDeliveries: number;
  beaconAirtimeMs: number;
  /** Simulated time the measured part took. */
  durationMs: number;
  medium: MediumStats;
}

const FIRST_NODE = 0x1000;

export function runScenario(spec: ScenarioSpec): ScenarioResult {
  const params = loraParams(spec.preset ?? 'LongFast');
  const rng = new SeededRandom(spec.seed);
  const topologyRng = rng.fork();
  const sigma = spec.shadowingSigmaDb ?? (spec.topology === 'random' || spec.topology === 'mixed' ? DEFAULT_PROPAGATION.shadowingSigmaDb : 0);
  const model = { ...DEFAULT_PROPAGATION, shadowingSigmaDb: sigma };
  const range = rangeM(params, model);
  // An antenna on a hill clears the ground clutter (~17 km at LongFast); between town houses the
  // range shrinks to ~1 km.
  const hilltop = { ...model, pathLossExponent: 2.5 };
  const town = { ...model, pathLossExponent: 3.5 };

  const { placements, linkOf, hearers } = placeConnected(spec, range, topologyRng, (a, b, d) => {
    const m = a.kind === 'hilltop' || b.kind === 'hilltop' ? hilltop : a.kind === 'town' && b.kind === 'town' ? town : model;
    const budget = linkBudget(d, params, sigma > 0 ? linkShadowingDb(spec.seed, a.id, b.id, sigma) : 0, m);
    return budget.audible ? { rssi: budget.rssi, snr: budget.snr } : null;
  });

  const scheduler = new SimScheduler();
  const channels = new ChannelSet([DEFAULT_CHANNEL]);
  const frameOf = new Map<string, FrameOutcome>();
  /** Each measured frame's number, the same whatever the strategy (its packet id is not). */
  const labelOf = new Map<string, number>();
  const replyOf = new Map<string, FrameOutcome>();
  let beaconAirtimeMs = 0;
  let policyName = '';
  const medium = new SimMedium({
    params,
    scheduler,
    random: rng.fork(),
    link: linkOf,
    hearers,
    lossProbability: spec.loss,
    frameLabel: (from, id) => labelOf.get(`${from}:${id}`),
    onTransmit: (_from, bytes, airtime) => {
      const h = readHeader(bytes);
      // A direct message's ack (from its destination back to its sender) is part of its cost.
      const outcome = frameOf.get(`${h.from}:${h.id}`) ?? (h.to !== BROADCAST ? replyOf.get(`${h.from}:${h.to}`) : undefined);
      if (outcome) {
        outcome.transmissions++;
        outcome.airtimeMs += airtime;
      } else if (h.hopStart === 0) {
        beaconAirtimeMs += airtime;
      }
    },
  });

  const routers = placements.map((p) => {
    const router = new MeshRouter({
      nodeId: p.id,
      radio: medium.radio(p.id),
      scheduler,
      random: rng.fork(),
      channels,
      policy: spec.policy(),
      hopLimit: spec.hopLimit ?? 3,
      nextHopRouting: spec.nextHopRouting,
    });
    policyName = router.policy.name;
    return router;
  });

  const delivered = new Map<number, Set<string>>();
  let duplicateDeliveries = 0;
  for (const router of routers) {
    const seen = new Set<string>();
    delivered.set(router.nodeId, seen);
    router.on('deliver', (d) => {
      const key = `${d.from}:${d.id}`;
      if (seen.has(key)) duplicateDeliveries++;
      seen.add(key);
      const outcome = frameOf.get(key);
      if (outcome) {
        outcome.reached++;
        outcome.latenciesMs.push(d.rxTimeMs - outcome.sentAtMs);
        (outcome.hops ??= []).push(d.hops);
        (outcome.receivers ??= []).push(router.nodeId);
      }
    });
  }

  // Warm-up: neighbour-info beacons at random offsets within each round.
  const rounds = spec.beaconRounds ?? 4;
  const beaconInterval = spec.beaconIntervalMs ?? 60_000;
  for (let r = 0; r < rounds; r++) {
    for (const router of routers) {
      scheduler.schedule(r * beaconInterval + rng.next() * beaconInterval * 0.9, () => router.sendNeighborInfo(beaconInterval / 1000));
    }
  }
  if (spec.traffic === 'direct') {
    // Every node announces itself once, as a device does when it boots: the flood that teaches
    // the mesh a way back to it before anyone writes to it.
    for (const router of routers) {
      const name = router.nodeId.toString(16);
      const nodeInfo = { longName: `node ${name}`, shortName: name.slice(-4), hwModel: 'sim', role: 'CLIENT' as const, publicKey: new Uint8Array(0) };
      scheduler.schedule(Math.max(0, rounds - 1) * beaconInterval + rng.next() * beaconInterval * 0.9, () => router.send(BROADCAST, { nodeInfo }));
    }
  }
  const measureStart = rounds * beaconInterval;
  scheduler.runUntil(measureStart);

  const frames = spec.frames ?? 20;
  const interval = spec.frameIntervalMs ?? 45_000;
  const outcomes: FrameOutcome[] = [];
  const traffic = spec.traffic ?? 'text';
  const pairs = traffic === 'direct' ? conversations(routers.length, rng) : [];
  for (let k = 0; k < frames; k++) {
    let origin = routers[rng.int(routers.length)]!;
    let to = BROADCAST;
    if (traffic === 'direct') {
      const [a, b] = pairs[k % pairs.length]!;
      const turn = Math.floor(k / pairs.length) % 2;
      origin = routers[turn === 0 ? a : b]!;
      to = routers[turn === 0 ? b : a]!.nodeId;
    }
    scheduler.schedule(measureStart + k * interval - scheduler.now(), () => {
      // send() only queues: the first transmission happens later, after the outcome is registered.
      const text = `frame ${k} from ${origin.nodeId.toString(16)}`;
      const id =
        traffic === 'direct'
          ? origin.send(to, { text }, { wantAck: true })
          : origin.send(BROADCAST, traffic === 'sos' ? { alert: { level: 'SOS', text, magnitudeX10: 0 } } : { text });
      const outcome: FrameOutcome = { origin: origin.nodeId, id, sentAtMs: scheduler.now(), reached: 0, transmissions: 0, airtimeMs: 0, latenciesMs: [] };
      frameOf.set(`${origin.nodeId}:${id}`, outcome);
      labelOf.set(`${origin.nodeId}:${id}`, k + 1);
      outcomes.push(outcome);
      if (to !== BROADCAST) replyOf.set(`${to}:${origin.nodeId}`, outcome);
    });
  }
  scheduler.runUntilIdle();

  const nodes: NodeOutcome[] = placements.map((p, i) => {
    const router = routers[i]!;
    const own = outcomes.filter((o) => o.origin === p.id).length;
    let received = 0;
    for (const o of outcomes) if (o.origin !== p.id && delivered.get(p.id)!.has(`${o.origin}:${o.id}`)) received++;
    return {
      ...p,
      received,
      transmissions: router.stats.txFrames,
      relaysCancelled: router.stats.relaysCancelled,
      drops: router.stats.dropCount() - router.stats.dropCount('duplicate') - router.stats.dropCount('own-frame'),
      eligible: outcomes.length - own,
    };
  });

  const links: ScenarioResult['links'] = [];
  for (const a of placements) {
    for (const b of hearers(a.id)) {
      if (a.id < b) links.push({ a: a.id, b, snr: linkOf(a.id, b)!.snr });
    }
  }

  return {
    spec,
    policyName,
    nodes,
    links,
    frames: outcomes,
    duplicateDeliveries,
    beaconAirtimeMs,
    durationMs: scheduler.now() - measureStart,
    medium: medium.stats,
  };
}

/** A few pairs of distinct nodes (indices) that talk to each other. */
function conversations(n: number, rng: SeededRandom): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < Math.min(4, Math.floor(n / 2)); i++) {
    const a = rng.int(n);
    let b = rng.int(n - 1);
    if (b >= a) b++;
    pairs.push([a, b]);
  }
  return pairs;
}

type LinkFn = (a: Placement, b: Placement, distanceM: number) => Link | null;

interface Air {
  placements: Placement[];
  linkOf: (a: number, b: number) => Link | null;
  /** Who hears `id`, in placement order (the medium's radio order, so runs replay exactly). */
  hearers: (id: number) => readonly number[];
}

/** Places nodes for the topology; a random mesh or region is redrawn until every node can reach every other. */
function placeConnected(spec: ScenarioSpec, range: number, rng: SeededRandom, link: LinkFn): Air {
  if (!(spec.nodes >= 2)) throw new RangeError('a scenario needs at least 2 nodes');
  for (let attempt = 0; attempt < 200; attempt++) {
    const air = airOf(place(spec, range, rng), link);
    if (spec.topology === 'line' || spec.topology === 'grid' || connected(air)) return air;
  }
  throw new RangeError('could not draw a connected random mesh: raise meanDegree');
}

/** Every link worked out once, up front: the medium then asks only the hearers of each sender. */
function airOf(placements: Placement[], link: LinkFn): Air {
  const n = placements.length;
  const index = new Map(placements.map((p, i) => [p.id, i]));
  const links = new Map<number, Link>();
  const adjacency: number[][] = placements.map(() => []);
  for (let i = 0; i < n; i++) {
    const a = placements[i]!;
    for (let j = i + 1; j < n; j++) {
      const b = placements[j]!;
      const l = link(a, b, Math.hypot(a.x - b.x, a.y - b.y));
      if (l === null) continue;
      links.set(i * n + j, l);
      // i ascends in the outer loop and j in the inner one: each list ends up in placement order.
      adjacency[i]!.push(b.id);
      adjacency[j]!.push(a.id);
    }
  }
  const none: readonly number[] = [];
  return {
    placements,
    linkOf: (a, b) => {
      const i = index.get(a);
      const j = index.get(b);
      if (i === undefined || j === undefined || i === j) return null;
      return links.get(i < j ? i * n + j : j * n + i) ?? null;
    },
    hearers: (id) => {
      const i = index.get(id);
      return i === undefined ? none : adjacency[i]!;
    },
  };
}

function place(spec: ScenarioSpec, range: number, rng: SeededRandom): Placement[] {
  const n = spec.nodes;
  const out: Placement[] = [];
  if (spec.topology === 'line') {
    // Neighbours hear each other; nodes two apart do not.
    for (let i = 0; i < n; i++) out.push({ id: FIRST_NODE + i, x: i * 0.7 * range, y: 0 });
  } else if (spec.topology === 'grid') {
    const side = Math.ceil(Math.sqrt(n));
    for (let i = 0; i < n; i++) out.push({ id: FIRST_NODE + i, x: (i % side) * 0.6 * range, y: Math.floor(i / side) * 0.6 * range });
  } else if (spec.topology === 'mixed') {
    placeRegion(n, range, rng, out);
  } else {
    const degree = spec.meanDegree ?? 10;
    const side = range * Math.sqrt((n * Math.PI) / degree);
    for (let i = 0; i < n; i++) out.push({ id: FIRST_NODE + i, x: rng.next() * side, y: rng.next() * side });
  }
  return out;
}

function connected(air: Air): boolean {
  const first = air.placements[0]!.id;
  const seen = new Set([first]);
  const stack = [first];
  while (stack.length) {
    for (const b of air.hearers(stack.pop()!)) {
      if (!seen.has(b)) {
        seen.add(b);
        stack.push(b);
      }
    }
  }
  return seen.size === air.placements.length;
}

/**
 * A region around a town, in units of the ground range R (~8 km at LongFast): 60 % of the nodes
 * in a town of radius 0.5 R, 35 % in villages (up to 8) 1.6-2 R out, 4 % on scattered farms, and
 * about one in a hundred (at least 2) on hilltops 0.9 R out, which hear the town and the villages
 * on their side.
 */
function placeRegion(n: number, range: number, rng: SeededRandom, out: Placement[]): void {
  const hilltops = Math.max(2, Math.round(n / 100));
  const villages = Math.max(2, Math.min(8, Math.round(n / 60)));
  const villagers = Math.round(n * 0.35);
  const farms = Math.round(n * 0.04);
  const townsfolk = Math.max(1, n - hilltops - villagers - farms);
  const add = (kind: PlacementKind, x: number, y: number): void => {
    if (out.length < n) out.push({ id: FIRST_NODE + out.length, x, y, kind });
  };
  const disc = (cx: number, cy: number, radius: number): [number, number] => {
    const r = radius * Math.sqrt(rng.next());
    const a = 2 * Math.PI * rng.next();
    return [cx + r * Math.cos(a), cy + r * Math.sin(a)];
  };
  for (let i = 0; i < townsfolk; i++) add('town', ...disc(0, 0, 0.5 * range));
  const centres = Array.from({ length: villages }, (_, k) => {
    const a = (2 * Math.PI * (k + 0.3 * rng.next())) / villages;
    const d = (1.6 + 0.4 * rng.next()) * range;
    return [d * Math.cos(a), d * Math.sin(a)] as const;
  });
  for (let i = 0; i < villagers; i++) {
    const [cx, cy] = centres[i % villages]!;
    add('village', ...disc(cx, cy, 0.1 * range));
  }
  for (let k = 0; k < hilltops; k++) {
    const a = (2 * Math.PI * (k + 0.5 + 0.2 * rng.next())) / hilltops;
    add('hilltop', 0.9 * range * Math.cos(a), 0.9 * range * Math.sin(a));
  }
  while (out.length < n) add('farm', ...disc(0, 0, 2.2 * range));
}
