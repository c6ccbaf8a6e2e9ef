// One summary of one or more simulator runs, so the CLI table and the benchmark report the same
// figures computed the same way.

import type { ScenarioResult } from './scenario.ts';

export interface RunSummary {
  frames: number;
  /** Mean nodes (other than the origin) that delivered each frame. */
  reachedPerFrame: number;
  /** Share of the nodes that could have received a frame that did, 0..1. */
  reachShare: number;
  txPerFrame: number;
  /** Airtime of the measured frames, all runs together. */
  airtimeMs: number;
  p50LatencyMs: number;
  p99LatencyMs: number;
  duplicateDeliveries: number;
  beaconAirtimeMs: number;
  collisions: number;
}

export function summarizeRuns(runs: readonly ScenarioResult[]): RunSummary {
  let frames = 0;
  let reached = 0;
  let eligible = 0;
  let tx = 0;
  let airtimeMs = 0;
  let duplicateDeliveries = 0;
  let beaconAirtimeMs = 0;
  let collisions = 0;
  const latencies: number[] = [];
  for (const r of runs) {
    for (const f of r.frames) {
      frames++;
      reached += f.reached;
      eligible += r.nodes.length - 1;
      tx += f.transmissions;
      airtimeMs += f.airtimeMs;
      for (const l of f.latenciesMs) latencies.push(l);
    }
    duplicateDeliveries += r.duplicateDeliveries;
    beaconAirtimeMs += r.beaconAirtimeMs;
    collisions += r.medium.collisions;
  }
  latencies.sort((a, b) => a - b);
  return {
    frames,
    reachedPerFrame: reached / Math.max(1, frames),
    reachShare: reached / Math.max(1, eligible),
    txPerFrame: tx / Math.max(1, frames),
    airtimeMs,
    p50LatencyMs: percentile(latencies, 0.5),
    p99LatencyMs: percentile(latencies, 0.99),
    duplicateDeliveries,
    beaconAirtimeMs,
    collisions,
  };
}

/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

/** Latency of the deliveries two strategies both made (same node, same frame), each strategy's own. */
export interface MatchedLatency {
  deliveries: number;
  p50Ms: [number, number];
  p99Ms: [number, number];
}

/**
 * Compares two strategies on the deliveries both made: runs `a[i]` and `b[i]` are the same seed,
 * so their k-th frames have the same origin. A strategy that reaches more nodes is slower to the
 * hardest of them; this separates that from being slower to the same nodes.
 */
export function matchedLatency(a: readonly ScenarioResult[], b: readonly ScenarioResult[]): MatchedLatency {
  const la: number[] = [];
  const lb: number[] = [];
  a.forEach((run, i) => {
    run.frames.forEach((fa, k) => {
      const fb = b[i]?.frames[k];
      if (fb === undefined || fb.origin !== fa.origin) throw new Error(`run ${i} frame ${k}: the two runs are not the same seed`);
      const other = new Map<number, number>();
      fb.receivers?.forEach((node, j) => other.set(node, fb.latenciesMs[j]!));
      fa.receivers?.forEach((node, j) => {
        const t = other.get(node);
        if (t === undefined) return;
        la.push(fa.latenciesMs[j]!);
        lb.push(t);
      });
    });
  });
  la.sort((x, y) => x - y);
  lb.sort((x, y) => x - y);
  return { deliveries: la.length, p50Ms: [percentile(la, 0.5), percentile(lb, 0.5)], p99Ms: [percentile(la, 0.99), percentile(lb, 0.99)] };
}

/** Latency of the deliveries that took `hops` hops, over all frames of all runs. */
export interface HopLatency {
  hops: number;
  deliveries: number;
  p50Ms: number;
  p99Ms: number;
}

/** Latency by hop count (1 = heard from the origin itself), for the latency-over-hops chart. */
export function latencyByHops(runs: readonly ScenarioResult[]): HopLatency[] {
  const byHops = new Map<number, number[]>();
  for (const r of runs) {
    for (const f of r.frames) {
      f.latenciesMs.forEach((ms, i) => {
        // The router counts relays (0 = heard directly); a reader counts hops.
        const hops = (f.hops?.[i] ?? 0) + 1;
        const list = byHops.get(hops);
        if (list) list.push(ms);
        else byHops.set(hops, [ms]);
      });
    }
  }
  return [...byHops.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([hops, list]) => {
      list.sort((a, b) => a - b);
      return { hops, deliveries: list.length, p50Ms: percentile(list, 0.5), p99Ms: percentile(list, 0.99) };
    });
}
