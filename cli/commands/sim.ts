// `unibos sim`: run the mesh simulator (the real router on a simulated radio medium), print a
// table per strategy and per node, and write an SVG map of the topology with per-node delivery.

import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  CoverageFloodPolicy,
  DEFAULT_COVERAGE_THRESHOLD,
  LORA_PRESETS,
  ManagedFloodPolicy,
  MAX_HOP_LIMIT,
  NaiveFloodPolicy,
  latencyByHops,
  renderComparisonSvg,
  runScenario,
  summarizeRuns,
  type LoRaPresetName,
  type RelayPolicy,
  type ScenarioResult,
  type Topology,
} from '@unibos/mesh-protocol';
import { CliError } from '../cli-error.ts';
import { say } from '../cli-language.ts';
import { decimal } from '../cli-number.ts';
import { fitHelp } from '../help-width.ts';
import { integer, number, oneOf, parseCommand } from '../cli-args.ts';

const STRATEGIES = ['naive', 'baseline', 'ours'] as const;
type StrategyName = (typeof STRATEGIES)[number];

const HELP = fitHelp(say(`usage: unibos sim [options]

Simulates LoRa nodes running the UNIBOS router on a shared radio medium (path loss, shadowing,
per-link loss, collisions, half-duplex, airtime) and reports how floods spread.

  --nodes N          number of nodes (default 30)
  --topology T       line | grid | random | mixed (default random); mixed = a town, villages,
                     farms and hilltop relays (try --nodes 500)
  --loss P           extra per-reception loss, 0..0.95 (default 0.2)
  --seed N           random seed; the same seed gives the same run (default 1)
  --frames N         broadcast frames originated by random nodes (default 20)
  --hop-limit N      0..7 (default 3)
  --preset NAME      {presets} (default LongFast)
  --strategy S       naive | baseline | ours | all (default all)
  --threshold X      ours: share of neighbours a relay must newly reach (default {threshold})
  --svg PATH         where to write the picture: each strategy's map side by side, with its
                     latency-over-hops chart (default sim-report.svg)
`, { presets: Object.keys(LORA_PRESETS).join(' | '), threshold: DEFAULT_COVERAGE_THRESHOLD }));

export async function run(argv: string[]): Promise<number> {
  const flags = ['nodes', 'topology', 'loss', 'seed', 'frames', 'hop-limit', 'preset', 'strategy', 'threshold', 'svg'];
  const parsed = parseCommand(argv, HELP, Object.fromEntries(flags.map((f) => [f, { type: 'string' as const }])));
  if (!parsed) return 0;
  const o = parsed.values as Record<string, string | undefined>;
  const nodes = integer('--nodes', o.nodes, 30, 2, 500);
  const topology = oneOf('--topology', o.topology, ['line', 'grid', 'random', 'mixed'] as const, 'random') as Topology;
  const loss = number('--loss', o.loss, 0.2, 0, 0.95);
  const seed = integer('--seed', o.seed, 1, 0, 2 ** 32 - 1);
  const frames = integer('--frames', o.frames, 20, 1, 10_000);
  const hopLimit = integer('--hop-limit', o['hop-limit'], 3, 0, MAX_HOP_LIMIT);
  const preset = oneOf('--preset', o.preset, Object.keys(LORA_PRESETS), 'LongFast') as LoRaPresetName;
  const strategy = oneOf('--strategy', o.strategy, [...STRATEGIES, 'all'], 'all');
  const threshold = number('--threshold', o.threshold, DEFAULT_COVERAGE_THRESHOLD, 0, 1);
  const svgPath = resolve(o.svg ?? 'sim-report.svg');

  const chosen: StrategyName[] = strategy === 'all' ? [...STRATEGIES] : [strategy as StrategyName];
  const policyOf = (s: StrategyName): (() => RelayPolicy) =>
    s === 'naive' ? () => new NaiveFloodPolicy() : s === 'baseline' ? () => new ManagedFloodPolicy() : () => new CoverageFloodPolicy({ threshold });

  const out: string[] = [];
  out.push(say('unibos sim: {nodes} nodes, {topology}, loss {loss}%, hop limit {hopLimit}, {preset}, seed {seed}, {frames} frames', { nodes, topology, loss: Math.round(loss * 100), hopLimit, preset, seed, frames }));
  out.push('');
  // Column headers in the user's language; a longer word widens its column instead of running into the next.
  const strategyHeads = [say('strategy'), say('reach %'), say('tx/frame'), say('airtime s'), 'p50 s', 'p99 s', say('dup deliveries'), say('collisions')];
  const strategyWidths = fit(strategyHeads, [10, 8, 9, 10, 7, 7, 15, 11]);
  out.push(row(strategyHeads, strategyWidths));
  const results: Array<[StrategyName, ScenarioResult]> = [];
  for (const s of chosen) {
    const r = runScenario({ topology, nodes, loss, seed, frames, hopLimit, preset, policy: policyOf(s) });
    results.push([s, r]);
    const m = summarizeRuns([r]);
    out.push(
      row(
        [
          s,
          decimal(100 * m.reachShare, 1),
          decimal(m.txPerFrame, 1),
          decimal(m.airtimeMs / 1000, 1),
          decimal(m.p50LatencyMs / 1000, 2),
          decimal(m.p99LatencyMs / 1000, 2),
          m.duplicateDeliveries,
          m.collisions,
        ],
        strategyWidths,
      ),
    );
  }
  const [shownName, shown] = results[results.length - 1]!;
  out.push('');
  out.push(say('per node ({strategy}):', { strategy: shownName }));
  const nodeHeads = [say('node'), 'x km', 'y km', say('neighbours'), say('received'), say('sent'), say('cancelled')];
  const nodeWidths = fit(nodeHeads, [6, 7, 7, 11, 11, 6, 10]);
  out.push(row(nodeHeads, nodeWidths));
  const degree = new Map<number, number>();
  for (const l of shown.links) {
    degree.set(l.a, (degree.get(l.a) ?? 0) + 1);
    degree.set(l.b, (degree.get(l.b) ?? 0) + 1);
  }
  for (const n of shown.nodes) {
    out.push(
      row(
        [hex(n.id), decimal(n.x / 1000, 2), decimal(n.y / 1000, 2), degree.get(n.id) ?? 0, `${n.received}/${n.eligible}`, n.transmissions, n.relaysCancelled],
        nodeWidths,
      ),
    );
  }

  let [lo, hi] = [Infinity, -Infinity];
  for (const l of shown.links) [lo, hi] = [Math.min(lo, l.snr), Math.max(hi, l.snr)];
  const svg = renderComparisonSvg({
    title: `UNIBOS mesh simulation: ${nodes} nodes, ${topology}${chosen.length > 1 ? ', strategies side by side' : `, ${shownName}`}`,
    subtitle: `loss ${Math.round(loss * 100)}%, hop limit ${hopLimit}, ${preset}, seed ${seed}, ${frames} frames; colour = share of frames received; same nodes and links in every panel`,
    panels: results.map(([name, r]) => {
      const m = summarizeRuns([r]);
      return {
        name,
        summary: `reach ${(100 * m.reachShare).toFixed(1)}%  ·  ${m.txPerFrame.toFixed(1)} tx/frame  ·  airtime ${(m.airtimeMs / 1000).toFixed(0)} s  ·  p50 ${(m.p50LatencyMs / 1000).toFixed(2)} s  ·  p99 ${(m.p99LatencyMs / 1000).toFixed(2)} s`,
        nodes: r.nodes.map((n) => ({
          id: n.id,
          label: hex(n.id),
          x: n.x,
          y: n.y,
          delivery: n.eligible ? n.received / n.eligible : 1,
          transmissions: n.transmissions,
          ...(n.kind === 'hilltop' ? { role: 'hilltop' as const } : {}),
        })),
        links: r.links.map((l) => ({ a: l.a, b: l.b, quality: hi > lo ? 0.2 + (0.8 * (l.snr - lo)) / (hi - lo) : 1 })),
        latencyByHops: latencyByHops([r]),
      };
    }),
  });
  try {
    writeFileSync(svgPath, svg);
  } catch (err) {
    throw new CliError(say('cannot write the topology picture to {file}: {reason}', { file: svgPath, reason: (err as Error).message }));
  }
  out.push('');
  out.push(say('topology picture: {file}', { file: svgPath }));
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}

/** Each column at least as wide as its header. */
function fit(heads: string[], widths: number[]): number[] {
  return widths.map((w, i) => Math.max(w, (heads[i] ?? '').length));
}

function row(cells: Array<string | number>, widths: number[]): string {
  return cells.map((c, i) => String(c).padStart(widths[i] ?? 8)).join(' ');
}

function hex(id: number): string {
  return id.toString(16).padStart(4, '0');
}

