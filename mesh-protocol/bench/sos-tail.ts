// SOS tail on the bench's three meshes: p99 and reach of ours against the baseline on several
// sets of seeds (one set can flatter a change), and where the slowest 1 % of deliveries stand in
// hops. `node --import tsx bench/sos-tail.ts` (SOS_SETS=3 sets of BENCH_SEEDS=12 seeds each).

import { CoverageFloodPolicy, ManagedFloodPolicy, NaiveFloodPolicy, runScenario, summarizeRuns, type RelayPolicy, type ScenarioSpec } from '../src/index.ts';

const SEEDS = Number(process.env.BENCH_SEEDS ?? 12);
const SETS = Number(process.env.SOS_SETS ?? 3);
const ONLY = process.env.SOS_MESH;
type Base = Omit<ScenarioSpec, 'seed' | 'policy'> & { label: string };
const MESHES: Base[] = [
  { label: 'line-8', topology: 'line', nodes: 8, loss: 0.2, hopLimit: 7, frames: 20, traffic: 'sos' },
  { label: 'grid-25', topology: 'grid', nodes: 25, loss: 0.2, hopLimit: 5, frames: 20, traffic: 'sos' },
  { label: 'random-50', topology: 'random', nodes: 50, loss: 0.2, hopLimit: 3, frames: 20, traffic: 'sos' },
];
const policies: Array<[string, () => RelayPolicy]> = [
  ['naive', () => new NaiveFloodPolicy()],
  ['baseline', () => new ManagedFloodPolicy()],
  ['ours', () => new CoverageFloodPolicy()],
];

for (const mesh of MESHES.filter((m) => !ONLY || m.label === ONLY)) {
  const cells: string[] = [];
  for (let set = 0; set < SETS; set++) {
    const by = new Map<string, ReturnType<typeof summarizeRuns>>();
    const tail: number[] = [];
    for (const [name, policy] of policies) {
      const runs = [];
      for (let seed = 1 + set * SEEDS; seed <= (set + 1) * SEEDS; seed++) runs.push(runScenario({ ...mesh, seed, policy }));
      const s = summarizeRuns(runs);
      by.set(name, s);
      if (name === 'ours') {
        for (const r of runs) for (const f of r.frames) f.latenciesMs.forEach((l, i) => l >= s.p99LatencyMs && tail.push(f.hops?.[i] ?? -1));
      }
    }
    const [n, b, o] = [by.get('naive')!, by.get('baseline')!, by.get('ours')!];
    const hops = new Map<number, number>();
    for (const h of tail) hops.set(h, (hops.get(h) ?? 0) + 1);
    cells.push(
      `seeds ${1 + set * SEEDS}-${(set + 1) * SEEDS}: p99 ${(o.p99LatencyMs / 1000).toFixed(2)} vs ${(b.p99LatencyMs / 1000).toFixed(2)} s, p50 ${(o.p50LatencyMs / 1000).toFixed(2)} vs ${(b.p50LatencyMs / 1000).toFixed(2)}, reach ${(o.reachedPerFrame / n.reachedPerFrame).toFixed(3)}x vs ${(b.reachedPerFrame / n.reachedPerFrame).toFixed(3)}x, airtime ${(o.airtimeMs / n.airtimeMs).toFixed(3)}x, colls ${o.collisions}; tail hops ${[...hops].sort((x, y) => x[0] - y[0]).map(([h, c]) => `${h}:${c}`).join(' ')}`,
    );
  }
  console.log(`${mesh.label}\n  ${cells.join('\n  ')}`);
}
