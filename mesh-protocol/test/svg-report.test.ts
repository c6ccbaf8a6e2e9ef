// Topology SVG: well-formed, one shape per node and link, escaped text, sane output for degenerate layouts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deliveryColor, escapeXml, renderTopologySvg, type TopologyReport } from '../src/sim/svg-report.ts';
import { assertWellFormed } from './xml-well-formed.ts';

function numbersIn(svg: string): number[] {
  return [...svg.matchAll(/\s(?:cx|cy|x|y|x1|y1|x2|y2|r|stroke-width|stroke-opacity)="([^"]*)"/g)].map((m) => Number(m[1]));
}

function assertNoBadNumbers(svg: string): void {
  assert.ok(!/NaN|Infinity|undefined/.test(svg), 'NaN, Infinity or undefined in output');
  for (const n of numbersIn(svg)) assert.ok(Number.isFinite(n), `non-numeric attribute ${n}`);
}

function nodeCircles(svg: string): Array<{ cx: number; cy: number; fill: string }> {
  return [...svg.matchAll(/<circle class="node" cx="([^"]+)" cy="([^"]+)"[^>]* fill="([^"]+)"/g)].map((m) => ({
    cx: Number(m[1]),
    cy: Number(m[2]),
    fill: m[3]!,
  }));
}

const sample: TopologyReport = {
  title: 'Village flood test',
  subtitle: 'LongFast, 5 nodes, seed 7',
  nodes: [
    { id: 1, label: 'Hall', x: 0, y: 0, delivery: 1, transmissions: 10, role: 'origin' },
    { id: 2, label: 'Farm', x: 1500, y: 200, delivery: 0.9, transmissions: 8 },
    { id: 3, label: 'Mill', x: 3000, y: -400, delivery: 0.5, transmissions: 3 },
    { id: 4, label: 'Church', x: 4200, y: 1800, delivery: 0, transmissions: 0 },
    { id: 5, label: 'Pub', x: 800, y: 2500, delivery: 0.25, transmissions: 1 },
  ],
  links: [
    { a: 1, b: 2, quality: 1 },
    { a: 2, b: 3, quality: 0.6 },
    { a: 3, b: 4, quality: 0.05 },
    { a: 1, b: 5, quality: 0.3 },
  ],
};

test('renders a well-formed SVG with one circle per node and one line per link', () => {
  const svg = renderTopologySvg(sample);
  assertWellFormed(svg);
  assertNoBadNumbers(svg);
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.equal(nodeCircles(svg).length, sample.nodes.length);
  assert.equal(svg.match(/<line class="link"/g)?.length, sample.links.length);
  assert.ok(!/<script|href=|@import|url\(http/i.test(svg), 'must be self-contained');
  assert.ok(svg.includes('Village flood test') && svg.includes('LongFast, 5 nodes, seed 7'));
});

test('every node is labelled with its delivery percentage and coloured by it', () => {
  const svg = renderTopologySvg(sample);
  for (const [label, pct] of [['Hall', '100%'], ['Farm', '90%'], ['Mill', '50%'], ['Church', '0%'], ['Pub', '25%']]) {
    assert.ok(new RegExp(`>${label} <tspan[^>]*>${pct}</tspan>`).test(svg), `${label} ${pct} missing`);
  }
  const fills = nodeCircles(svg).map((c) => c.fill);
  assert.deepEqual(fills, sample.nodes.map((n) => deliveryColor(n.delivery)));
});

test('the colour scale runs red -> amber -> green', () => {
  const rgb = (hex: string): number[] => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const [r0, g0] = rgb(deliveryColor(0));
  const [r5, g5] = rgb(deliveryColor(0.5));
  const [r1, g1] = rgb(deliveryColor(1));
  assert.ok(r0! > 180 && g0! < 80, 'red at 0');
  assert.ok(r5! > 200 && g5! > 150, 'amber at 0.5');
  assert.ok(g1! > r1! + 80, 'green at 1');
  assert.equal(deliveryColor(-1), deliveryColor(0));
  assert.equal(deliveryColor(2), deliveryColor(1));
  assert.equal(deliveryColor(Number.NaN), deliveryColor(0));
});

test('positions keep true proportions, north up, and stay inside the canvas', () => {
  const svg = renderTopologySvg(sample);
  const c = nodeCircles(svg);
  for (const p of c) assert.ok(p.cx > 0 && p.cx < 900 && p.cy > 0 && p.cy < 650, `off-canvas at ${p.cx},${p.cy}`);
  const dist = (i: number, j: number): number => Math.hypot(c[i]!.cx - c[j]!.cx, c[i]!.cy - c[j]!.cy);
  const metres = (i: number, j: number): number =>
    Math.hypot(sample.nodes[i]!.x - sample.nodes[j]!.x, sample.nodes[i]!.y - sample.nodes[j]!.y);
  const scale = dist(0, 3) / metres(0, 3);
  assert.ok(Math.abs(dist(1, 4) / metres(1, 4) - scale) < 0.01 * scale, 'same scale on both axes');
  assert.ok(c[4]!.cy < c[0]!.cy, 'a node further north is drawn higher');
  assert.ok(c[3]!.cx > c[0]!.cx, 'a node further east is drawn to the right');
});

test('the scale bar shows a round distance in m or km', () => {
  // 680 px for 4.2 km: at most 160 px is ~990 m, so the bar reads 500 m.
  assert.match(renderTopologySvg(sample), />500 m</);
  const small: TopologyReport = {
    title: 'small',
    nodes: [
      { id: 1, label: 'a', x: 0, y: 0, delivery: 1, transmissions: 1 },
      { id: 2, label: 'b', x: 300, y: 0, delivery: 1, transmissions: 1 },
    ],
    links: [],
  };
  // 680 px for 300 m: at most 160 px is ~70 m, so the bar reads 50 m.
  assert.match(renderTopologySvg(small), />50 m</);
  const wide: TopologyReport = { ...small, nodes: [small.nodes[0]!, { ...small.nodes[1]!, x: 20_000 }] };
  // 680 px for 20 km: at most 160 px is ~4.7 km, so the bar reads 2 km.
  assert.match(renderTopologySvg(wide), />2 km</);
});

test('labels and titles are escaped, so markup in a label never reaches the SVG raw', () => {
  const evil = '<script>alert("x")</script> & \'co\'';
  const svg = renderTopologySvg({
    title: `T ${evil}`,
    subtitle: evil,
    nodes: [{ id: 1, label: evil, x: 0, y: 0, delivery: 0.5, transmissions: 1 }],
    links: [],
  });
  assertWellFormed(svg);
  assert.ok(!svg.includes('<script'));
  assert.ok(svg.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &apos;co&apos;'));
  assert.equal(escapeXml('a\u0000b\u001Fc\uD800d'), 'abcd', 'characters XML cannot carry are dropped');
});

test('degenerate layouts produce finite coordinates: one node, same spot, a line either way, no nodes', () => {
  const node = (id: number, x: number, y: number) => ({ id, label: `n${id}`, x, y, delivery: 0.7, transmissions: 2 });
  const layouts: Array<TopologyReport['nodes']> = [
    [node(1, 5, 5)],
    [node(1, 10, 10), node(2, 10, 10), node(3, 10, 10)],
    [node(1, 0, 0), node(2, 1000, 0), node(3, 2500, 0)],
    [node(1, 0, -100), node(2, 0, 300), node(3, 0, 9000)],
    [],
  ];
  for (const nodes of layouts) {
    const links = nodes.length > 1 ? [{ a: nodes[0]!.id, b: nodes[1]!.id, quality: 0.5 }] : [];
    const svg = renderTopologySvg({ title: 'degenerate', nodes, links });
    assertWellFormed(svg);
    assertNoBadNumbers(svg);
    const circles = nodeCircles(svg);
    assert.equal(circles.length, nodes.length);
    for (const p of circles) assert.ok(p.cx > 0 && p.cx < 900 && p.cy > 0 && p.cy < 650);
    assert.match(svg, />\d+(\.\d+)? k?m</, 'scale bar present');
  }
});

test('a link to an unknown node or a non-finite position is rejected', () => {
  const base = sample.nodes.slice(0, 2);
  assert.throws(() => renderTopologySvg({ title: 't', nodes: base, links: [{ a: 1, b: 99, quality: 1 }] }), {
    name: 'RangeError',
    message: /99/,
  });
  assert.throws(
    () => renderTopologySvg({ title: 't', nodes: [{ ...base[0]!, x: Number.NaN }], links: [] }),
    { name: 'RangeError', message: /non-finite/ },
  );
});
