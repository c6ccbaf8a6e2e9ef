// Where a text flood's airtime and reach go, on the bench's grid and random meshes (same seeds):
// for each strategy, how many relays a frame costs, how many of them gave nobody a first copy, and
// the same for last-hop relays (whose copies cannot be relayed again); then each delivery naive
// made and ours did not, by what the node's neighbours did: one of them transmitted and the copy was
// lost (loss or collision), one held the frame with hops left and stayed silent, they held only
// copies with no hops left, or none held it.
// `node --import tsx bench/flood-anatomy.ts` (BENCH_SEEDS=48 seeds).

import { BROADCAST, CoverageFloodPolicy, ManagedFloodPolicy, NaiveFloodPolicy, SimMedium, SimRadio, runScenario, type RadioListener, type RelayPolicy, type ScenarioResult, type ScenarioSpec } from '../src/index.ts';
import { readHeader } from '../src/frame/header.ts';

const SEEDS = Number(process.env.BENCH_SEEDS ?? 48);
if (!Number.isInteger(SEEDS) || SEEDS < 1) throw new Error(`BENCH_SEEDS must be a whole number >= 1, got '${process.env.BENCH_SEEDS}'`);

/** What one run's air carried, per flooded frame (`origin:id`). */
interface FrameLog {
  /** Nodes that transmitted a copy, and the hop limit their copy carried. */
  transmitted: Map<number, number>;
  /** For each node that received it: who its first copy came from (last byte), and the most hops left on any copy it got. */
  received: Map<number, { firstFrom: number; hopsLeft: number }>;
}
let air = new Map<string, FrameLog>();
/** Who can hear whom: every pair the medium found a link for. */
let hears = new Map<number, Set<number>>();
const frameLog = (bytes: Uint8Array): { log: FrameLog; header: ReturnType<typeof readHeader> } | undefined => {
  const header = readHeader(bytes);
  if (header.to !== BROADCAST || header.hopStart === 0) return undefined;
  const key = `${header.from}:${header.id}`;
  let log = air.get(key);
  if (log === undefined) air.set(key, (log = { transmitted: new Map(), received: new Map() }));
  return { log, header };
};

// runScenario owns its medium and radios: the log is taken where transmissions start and copies arrive.
type Medium = { radios: Map<number, SimRadio>; options: { link(a: number, b: number): unknown } };
const medium = SimMedium.prototype as unknown as { startTransmission(this: Medium, sender: SimRadio, bytes: Uint8Array): void };
const start = medium.startTransmission;
medium.startTransmission = function (sender, bytes) {
  let heard = hears.get(sender.id);
  if (heard === undefined) hears.set(sender.id, (heard = new Set()));
  for (const r of this.radios.values()) if (r !== sender && this.options.link(sender.id, r.id)) heard.add(r.id);
  frameLog(bytes)?.log.transmitted.set(sender.id, readHeader(bytes).hopLimit);
  start.call(this, sender, bytes);
};
const radio = SimRadio.prototype as unknown as { attach(this: SimRadio, listener: RadioListener): void };
const attach = radio.attach;
radio.attach = function (listener) {
  const self = this;
  attach.call(this, {
    onReceive(rx) {
      const got = frameLog(rx.bytes);
      if (got !== undefined && self.id !== got.header.from) {
        const { log, header } = got;
        const firstFrom = header.hopLimit === header.hopStart ? header.from & 0xff : header.relayNode;
        const was = log.received.get(self.id);
        log.received.set(self.id, { firstFrom: was?.firstFrom ?? firstFrom, hopsLeft: Math.max(was?.hopsLeft ?? -1, header.hopLimit) });
      }
      listener.onReceive(rx);
    },
    onTransmitDone: (ok, error) => listener.onTransmitDone(ok, error),
  });
};

function run(spec: Omit<ScenarioSpec, 'seed' | 'policy'>, seed: number, policy: () => RelayPolicy): { result: ScenarioResult; air: Map<string, FrameLog> } {
  air = new Map();
  hears = new Map();
  const result = runScenario({ ...spec, seed, policy });
  return { result, air };
}

const MESHES: Array<Omit<ScenarioSpec, 'seed' | 'policy'> & { label: string }> = [
  { label: 'grid-25 loss20% hop5', topology: 'grid', nodes: 25, loss: 0.2, hopLimit: 5, frames: 20 },
  { label: 'random-50 loss20% hop3', topology: 'random', nodes: 50, loss: 0.2, hopLimit: 3, frames: 20 },
];
const STRATEGIES: Array<[string, () => RelayPolicy]> = [
  ['naive', () => new NaiveFloodPolicy()],
  ['baseline', () => new ManagedFloodPolicy()],
  ['ours', () => new CoverageFloodPolicy()],
];

const share = (part: number, whole: number): string => (part / Math.max(1, whole)).toFixed(2);
console.log(`Where a text flood's airtime and reach go: ${SEEDS} seeds x 20 texts per mesh`);
for (const { label, ...mesh } of MESHES) {
  console.log(`\n${label}`);
  const naiveRuns: ScenarioResult[] = [];
  for (const [name, policy] of STRATEGIES) {
    let frames = 0;
    let relays = 0;
    let useless = 0;
    let lastHop = 0;
    let lastHopUseless = 0;
    const missed = { transmitted: 0, silent: 0, exhausted: 0, none: 0 };
    for (let seed = 1; seed <= SEEDS; seed++) {
      const { result, air } = run(mesh, seed, policy);
      if (name === 'naive') naiveRuns.push(result);
      result.frames.forEach((f, k) => {
        frames++;
        const log = air.get(`${f.origin}:${f.id}`);
        if (log === undefined) return;
        for (const [node, hopsLeft] of log.transmitted) {
          if (node === f.origin) continue;
          let first = 0;
          for (const r of log.received.values()) if (r.firstFrom === (node & 0xff)) first++;
          relays++;
          if (first === 0) useless++;
          if (hopsLeft === 0) (lastHop++, first === 0 && lastHopUseless++);
        }
        if (name !== 'ours') return;
        const got = new Set(f.receivers);
        for (const node of naiveRuns[seed - 1]!.frames[k]!.receivers ?? []) {
          if (got.has(node)) continue;
          const around = [...(hears.get(node) ?? [])];
          if (around.some((v) => log.transmitted.has(v))) missed.transmitted++;
          else if (around.some((v) => v === f.origin || (log.received.get(v)?.hopsLeft ?? -1) >= 1)) missed.silent++;
          else if (around.some((v) => log.received.has(v))) missed.exhausted++;
          else missed.none++;
        }
      });
    }
    console.log(
      `  ${name.padEnd(9)} relays per frame ${(relays / frames).toFixed(1)}, ${share(useless, relays)} gave nobody a first copy; last-hop relays ${(lastHop / frames).toFixed(1)}, ${share(lastHopUseless, lastHop)} of them`,
    );
    if (name === 'ours') {
      const total = missed.transmitted + missed.silent + missed.exhausted + missed.none;
      console.log(
        `  deliveries naive made and ours did not: ${total}; a neighbour transmitted, the copy was lost ${share(missed.transmitted, total)}, a neighbour held it with hops left and stayed silent ${share(missed.silent, total)}, only copies with no hops left ${share(missed.exhausted, total)}, no neighbour held it ${share(missed.none, total)}`,
      );
    }
  }
}
