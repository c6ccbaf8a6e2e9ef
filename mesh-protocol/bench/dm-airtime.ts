// Where a direct message's airtime goes: the bench's direct-message runs (same scenarios, seeds and
// policy), with every transmission of a measured message and of its ack put in one bucket by who
// sent it and why, as a share of flooding's airtime for the same messages. Run it with
// `node --import tsx bench/dm-airtime.ts` (2 x BENCH_SEEDS seeds, default 48, as the bench's direct-message rows).

import { BROADCAST, ChannelSet, CoverageFloodPolicy, DEFAULT_CHANNEL, DEFAULT_COVERAGE_THRESHOLD, SimMedium, decodeFrame, runScenario, type ScenarioSpec } from '../src/index.ts';
import { readHeader } from '../src/frame/header.ts';
import { timeOnAirMs } from '../src/phy/airtime.ts';

const BENCH_SEEDS = Number(process.env.BENCH_SEEDS ?? 48);
if (!Number.isInteger(BENCH_SEEDS) || BENCH_SEEDS < 1) throw new Error(`BENCH_SEEDS must be a whole number >= 1, got '${process.env.BENCH_SEEDS}'`);
const SEEDS = BENCH_SEEDS * 2;

interface Tx {
  at: number;
  by: number;
  from: number;
  to: number;
  id: number;
  nextHop: number;
  airtimeMs: number;
  /** For an ack, the message it answers. */
  requestId?: number;
}

// runScenario owns its medium: the log is taken where every transmission starts, for unicast frames only.
let log: Tx[] = [];
const channels = new ChannelSet([DEFAULT_CHANNEL]);
type Start = (this: SimMedium, sender: { id: number }, bytes: Uint8Array) => void;
const medium = SimMedium.prototype as unknown as { startTransmission: Start };
const start = medium.startTransmission;
medium.startTransmission = function (sender, bytes) {
  const h = readHeader(bytes);
  if (h.to !== BROADCAST && h.hopStart > 0) {
    let requestId: number | undefined;
    try {
      requestId = decodeFrame(bytes, channels).data.requestId || undefined;
    } catch {
      requestId = undefined;
    }
    const now = (this as unknown as { options: { scheduler: { now(): number } } }).options.scheduler.now();
    log.push({ at: now, by: sender.id, from: h.from, to: h.to, id: h.id, nextHop: h.nextHop, airtimeMs: timeOnAirMs(this.params, bytes.length), requestId });
  }
  start.call(this, sender, bytes);
};

/** Gaps longer than this between the origin's copies start a new attempt (hand-overs repeat within seconds). */
const ATTEMPT_GAP_MS = 10_000;

function bucketsOf(spec: Omit<ScenarioSpec, 'seed'>): { totalMs: number; buckets: Map<string, number> } {
  const buckets = new Map<string, number>();
  const add = (k: string, ms: number) => buckets.set(k, (buckets.get(k) ?? 0) + ms);
  let totalMs = 0;
  for (let seed = 1; seed <= SEEDS; seed++) {
    log = [];
    const run = runScenario({ ...spec, seed });
    for (const f of run.frames) {
      totalMs += f.airtimeMs;
      const dest = log.find((x) => x.from === f.origin && x.id === f.id)?.to;
      const ours = log.filter((x) => (x.from === f.origin && x.id === f.id) || (x.from === dest && x.to === f.origin && x.requestId === f.id));
      let attempt = 0;
      let lastOriginAt = -Infinity;
      let attemptFlooded = false;
      const routedBy = new Set<string>();
      for (const x of ours) {
        const ack = x.from !== f.origin;
        if (!ack && x.by === f.origin) {
          if (x.at - lastOriginAt > ATTEMPT_GAP_MS) (attempt++, (attemptFlooded = x.nextHop === 0));
          lastOriginAt = x.at;
        }
        const key = `${ack}:${x.by}`;
        const what = ack ? 'ack' : 'message';
        let bucket: string;
        if (x.nextHop !== 0 && routedBy.has(key)) {
          // A relay's copy named for itself only confirms a repeated hand-over; a repeat named for the destination waits for its ack.
          if (x.nextHop === (x.by & 0xff)) bucket = `${what}: confirmations of repeated hand-overs`;
          else if (x.nextHop === (x.to & 0xff)) bucket = `${what}: hand-overs repeated to the destination`;
          else bucket = `${what}: hand-overs repeated to a relay`;
        } else if (x.nextHop !== 0) bucket = `${what}: routed hand-overs`;
        else if (routedBy.has(key)) bucket = `${what}: fall-back floods from a hop`;
        else if (ack) bucket = x.by === x.from ? 'ack: flooded by the destination (no route)' : 'ack: relays of floods';
        else if (x.by === f.origin) bucket = attempt <= 1 ? 'message: origin floods, no route' : 'message: origin floods, retries';
        else if (!attemptFlooded) bucket = 'message: relays of fall-back floods';
        else bucket = attempt <= 1 ? 'message: relays of no-route floods' : 'message: relays of flooded retries';
        if (x.nextHop !== 0) routedBy.add(key);
        add(bucket, x.airtimeMs);
      }
    }
  }
  return { totalMs, buckets };
}

const SCENARIOS: Array<Omit<ScenarioSpec, 'seed' | 'policy'> & { label: string }> = [
  { label: 'grid-25 loss20% hop5', topology: 'grid', nodes: 25, loss: 0.2, hopLimit: 5, frames: 20 },
  { label: 'random-50 loss20% hop3', topology: 'random', nodes: 50, loss: 0.2, hopLimit: 3, frames: 20 },
];
const policy = () => new CoverageFloodPolicy({ threshold: DEFAULT_COVERAGE_THRESHOLD });
console.log(`Direct-message airtime by cause: ${SEEDS} seeds x 20 messages with want_ack, acks counted, as a share of flooding's airtime`);
for (const { label, ...sc } of SCENARIOS) {
  const flood = bucketsOf({ ...sc, traffic: 'direct', nextHopRouting: false, policy });
  const routed = bucketsOf({ ...sc, traffic: 'direct', nextHopRouting: true, policy });
  console.log(`\n${label}: next-hop ${(routed.totalMs / 1000).toFixed(0)} s = ${(routed.totalMs / flood.totalMs).toFixed(3)}x flooding's ${(flood.totalMs / 1000).toFixed(0)} s`);
  for (const [k, ms] of [...routed.buckets].sort((a, b) => b[1] - a[1])) {
    console.log(`  ${k.padEnd(48)} ${(ms / 1000).toFixed(0).padStart(6)} s  ${(ms / flood.totalMs).toFixed(3)}x`);
  }
}
