// The side-by-side picture `unibos sim --strategy all --svg` writes: one panel per strategy on the
// same map and the same chart axes, a latency-over-hops chart in each, and labels that never
// overlap one another or a node, however dense the mesh (checked geometrically).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../src/core/random.ts';
import { intersects, placeLabels, type Box } from '../src/sim/label-placement.ts';
import { renderComparisonSvg, type StrategyPanel, type TopologyNode } from '../src/sim/svg-report.ts';
import { assertWellFormed } from './xml-well-formed.ts';

/** 300 nodes in a town 4 km across, 150 in five villages, a few hilltops: far more labels than room. */
function denseNodes(): TopologyNode[] {
  const rng = new SeededRandom(5);
  const nodes: TopologyNode[] = [];
  const add = (x: number, y: number, role?: 'hilltop') =>
    nodes.push({ id: nodes.length + 1, label: (0x1000 + nodes.length).toString(16), x, y, delivery: rng.next(), transmissions: 1, ...(role ? { role } : {}) });
  for (let i = 0; i < 300; i++) add(rng.next() * 4000, rng.next() * 4000);
  for (let v = 0; v < 5; v++) for (let i = 0; i < 30; i++) add(20_000 * Math.cos(v) + rng.next() * 800, 20_000 * Math.sin(v) + rng.next() * 800);
  for (let h = 0; h < 5; h++) add(9000 * Math.cos(h * 1.3), 9000 * Math.sin(h * 1.3), 'hilltop');
  return nodes;
}

function panel(name: string, nodes: TopologyNode[], p99: number): StrategyPanel {
  return {
    name,
    summary: `reach 99% for ${name}`,
    nodes,
    links: nodes.slice(1).map((n, i) => ({ a: nodes[i]!.id, b: n.id, quality: (i % 10) / 10 })),
    latencyByHops: [
      { hops: 1, deliveries: 10, p50Ms: 800, p99Ms: 1500 },
      { hops: 2, deliveries: 7, p50Ms: 2100, p99Ms: p99 },
    ],
  };
}

function labelBoxes(svg: string): Box[] {
  return [...svg.matchAll(/<text class="label"[^>]* data-box="([^"]+)"/g)].map((m) => {
    const [x, y, width, height] = m[1]!.split(' ').map(Number) as [number, number, number, number];
    return { x, y, width, height };
  });
}

function nodeBoxes(svg: string): Box[] {
  return [...svg.matchAll(/<circle class="node" cx="([^"]+)" cy="([^"]+)" r="([^"]+)"/g)].map((m) => {
    const [cx, cy, r] = [Number(m[1]), Number(m[2]), Number(m[3])];
    return { x: cx - r, y: cy - r, width: 2 * r, height: 2 * r };
  });
}

const panels = (svg: string): string[] => svg.split('<g class="panel"').slice(1);

test('each strategy gets its own panel with the same nodes, and a latency-over-hops chart with p50 and p99', () => {
  const nodes = denseNodes().slice(0, 40);
  const svg = renderComparisonSvg({ title: 'Side by side', panels: [panel('naive', nodes, 9000), panel('baseline', nodes, 7000), panel('ours', nodes, 12_000)] });
  assertWellFormed(svg);
  assert.deepEqual([...svg.matchAll(/data-strategy="([^"]+)"/g)].map((m) => m[1]), ['naive', 'baseline', 'ours']);
  for (const p of panels(svg)) {
    assert.equal((p.match(/class="node( hilltop)?"/g) ?? []).length, 40);
    assert.match(p, /Delivery latency by hops/);
    assert.match(p, /<path class="p50" d="M[^"]+L[^"]+"/);
    assert.match(p, /<path class="p99" d="M[^"]+L[^"]+"/);
  }
  // One y axis for all: the slowest p99 (12 s, in the last panel) sets every panel's top tick.
  const topTicks = panels(svg).map((p) => Math.max(...[...p.matchAll(/text-anchor="end">([\d.]+)<\/text>/g)].map((m) => Number(m[1]))));
  assert.ok(topTicks[0]! >= 12, `top tick ${topTicks[0]}`);
  assert.deepEqual(topTicks, [topTicks[0], topTicks[0], topTicks[0]]);
});

test('on a 500-node region no label overlaps another label or any node, and the crowded ones are left out', () => {
  const nodes = denseNodes();
  const svg = renderComparisonSvg({ title: 'Region', panels: [panel('naive', nodes, 9000), panel('ours', nodes, 8000)] });
  for (const p of panels(svg)) {
    const labels = labelBoxes(p);
    const circles = nodeBoxes(p);
    assert.ok(labels.length > 20, `${labels.length} labels shown`);
    assert.ok(labels.length < nodes.length, 'some labels are thinned out');
    for (let i = 0; i < labels.length; i++) {
      for (let j = i + 1; j < labels.length; j++) assert.ok(!intersects(labels[i]!, labels[j]!), `labels ${i} and ${j} overlap`);
      for (const c of circles) assert.ok(!intersects(labels[i]!, c), `label ${i} covers a node`);
    }
  }
});

test('label placement: every label that fits is placed, none overlaps, none leaves the plot, and a lone node is always labelled', () => {
  const bounds = { x: 0, y: 0, width: 300, height: 200 };
  const rng = new SeededRandom(9);
  const requests = Array.from({ length: 60 }, () => ({ x: rng.next() * 300, y: rng.next() * 200, radius: 4, width: 50, height: 13, priority: rng.next() }));
  const boxes = placeLabels(requests, bounds).filter((b): b is Box => b !== null);
  assert.ok(boxes.length > 5 && boxes.length < 60, `${boxes.length} placed`);
  for (let i = 0; i < boxes.length; i++) {
    const b = boxes[i]!;
    assert.ok(b.x >= 0 && b.y >= 0 && b.x + b.width <= 300 && b.y + b.height <= 200, 'inside the plot');
    for (let j = i + 1; j < boxes.length; j++) assert.ok(!intersects(b, boxes[j]!));
    for (const r of requests) assert.ok(!intersects(b, { x: r.x - 4, y: r.y - 4, width: 8, height: 8 }));
  }
  assert.notEqual(placeLabels([{ x: 150, y: 100, radius: 8, width: 60, height: 14, priority: 0 }], bounds)[0], null);
  // Crowded at the right edge: the label goes to the left instead of being dropped.
  const edge = placeLabels([{ x: 290, y: 100, radius: 8, width: 60, height: 14, priority: 0 }], bounds)[0]!;
  assert.ok(edge.x + edge.width <= 290);
});

test('a panel whose link names a node it does not have is refused', () => {
  const nodes = denseNodes().slice(0, 3);
  assert.throws(() => renderComparisonSvg({ title: 'x', panels: [{ ...panel('a', nodes, 1), links: [{ a: 1, b: 999, quality: 1 }] }] }), RangeError);
  assert.throws(() => renderComparisonSvg({ title: 'x', panels: [] }), RangeError);
});

test('on a line the labels keep off the links when they can (above or below), so the links stay visible', () => {
  const nodes: TopologyNode[] = Array.from({ length: 8 }, (_, i) => ({ id: i + 1, label: `100${i}`, x: i * 5600, y: 0, delivery: 0.5, transmissions: 1 }));
  const svg = renderComparisonSvg({ title: 'Line', panels: [{ ...panel('naive', nodes, 9000), links: nodes.slice(1).map((n, i) => ({ a: i + 1, b: n.id, quality: 1 })) }] });
  const labels = labelBoxes(svg);
  assert.equal(labels.length, 8, 'every node labelled');
  const lineY = Number(svg.match(/<line class="link" x1="[^"]+" y1="([^"]+)"/)![1]);
  for (const b of labels) assert.ok(b.y + b.height <= lineY || b.y >= lineY, `label at y ${b.y}..${b.y + b.height} crosses the line at ${lineY}`);
});
