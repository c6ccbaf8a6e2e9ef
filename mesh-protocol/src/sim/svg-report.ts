// Renders a simulated mesh as a self-contained SVG: where the nodes are, which links work, and
// how much of the traffic each node received, so a scenario's outcome can be read at a glance;
// renderComparisonSvg puts strategies side by side, each with its latency-over-hops chart.

import { chartScale, renderHopLatencyChart } from './hop-latency-chart.ts';
import { placeLabels, type Box } from './label-placement.ts';
import type { HopLatency } from './run-summary.ts';

export interface TopologyNode {
  id: number;
  label: string;
  /** Position in metres, east. */
  x: number;
  /** Position in metres, north (drawn upwards). */
  y: number;
  /** Fraction of frames this node received, 0..1. */
  delivery: number;
  transmissions: number;
  role?: 'origin' | 'node' | 'hilltop';
}

export interface TopologyLink {
  a: number;
  b: number;
  /** 0..1, drawn as line opacity. */
  quality: number;
}

export interface TopologyReport {
  title: string;
  subtitle?: string;
  nodes: TopologyNode[];
  links: TopologyLink[];
}

const WIDTH = 900;
const HEIGHT = 650;
// Room on the right for labels next to the easternmost nodes, at the top for the title and at
// the bottom for the legend and scale bar.
const PLOT = { left: 50, right: WIDTH - 170, top: 85, bottom: HEIGHT - 85 };
const NODE_RADIUS = 8;
// A single node, or all nodes on one spot, still needs a scale: show it as if 100 m across.
const MIN_SPAN_M = 100;

const RED = [215, 48, 39] as const;
const AMBER = [253, 174, 20] as const;
const GREEN = [26, 152, 80] as const;

/** Red at 0, amber at 0.5, green at 1 (non-finite counts as 0). */
export function deliveryColor(delivery: number): string {
  const d = Number.isFinite(delivery) ? Math.min(1, Math.max(0, delivery)) : 0;
  const [from, to, t] = d < 0.5 ? [RED, AMBER, d / 0.5] : [AMBER, GREEN, (d - 0.5) / 0.5];
  const channel = (i: 0 | 1 | 2): string =>
    Math.round(from[i] + (to[i] - from[i]) * t)
      .toString(16)
      .padStart(2, '0');
  return `#${channel(0)}${channel(1)}${channel(2)}`;
}

/** Escapes text for XML content and attribute values, dropping characters XML 1.0 cannot carry at all. */
export function escapeXml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export function renderTopologySvg(report: TopologyReport): string {
  for (const node of report.nodes) {
    if (!Number.isFinite(node.x) || !Number.isFinite(node.y)) {
      throw new RangeError(`node ${node.id} has a non-finite position (${node.x}, ${node.y})`);
    }
  }
  const byId = new Map(report.nodes.map((n) => [n.id, n]));
  for (const link of report.links) {
    if (!byId.has(link.a) || !byId.has(link.b)) {
      throw new RangeError(`link ${link.a}-${link.b} refers to a node that is not in the report`);
    }
  }

  const project = layout(report.nodes);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif">`,
    `<title>${escapeXml(report.title)}</title>`,
    `<defs><linearGradient id="delivery-scale" x1="0" x2="1" y1="0" y2="0">` +
      `<stop offset="0" stop-color="${deliveryColor(0)}"/>` +
      `<stop offset="0.5" stop-color="${deliveryColor(0.5)}"/>` +
      `<stop offset="1" stop-color="${deliveryColor(1)}"/>` +
      `</linearGradient></defs>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="24" y="36" font-size="20" font-weight="600" fill="#222">${escapeXml(report.title)}</text>`,
  );
  if (report.subtitle !== undefined) {
    out.push(`<text x="24" y="60" font-size="13" fill="#555">${escapeXml(report.subtitle)}</text>`);
  }

  out.push('<g class="links" stroke="#3b4a6b" stroke-linecap="round">');
  for (const link of report.links) {
    const a = project.point(byId.get(link.a)!);
    const b = project.point(byId.get(link.b)!);
    const q = clamp01(link.quality);
    out.push(
      `<line class="link" x1="${num(a.x)}" y1="${num(a.y)}" x2="${num(b.x)}" y2="${num(b.y)}" stroke-width="${num(1 + 2 * q)}" stroke-opacity="${num(0.12 + 0.88 * q)}"/>`,
    );
  }
  out.push('</g>');

  out.push(nodesAndLabels(report.nodes, project, NODE_RADIUS, 12, { x: 0, y: PLOT.top - 20, width: WIDTH, height: PLOT.bottom - PLOT.top + 40 }, report.links));

  out.push(legend(), scaleBar(project.pxPerMetre), '</svg>');
  return out.join('\n');
}

const LABEL_HEIGHT = 1.25;
/** Average glyph width of the UI sans fonts, as a share of the font size (digits and a-f). */
const GLYPH_WIDTH = 0.62;

/** Node circles, then the labels that fit (label-placement.ts); the rest only in tooltips. */
function nodesAndLabels(nodes: readonly TopologyNode[], project: Projection, radius: number, fontSize: number, bounds: Box, links: readonly TopologyLink[] = []): string {
  const out: string[] = [`<g class="nodes" font-size="${fontSize}" fill="#222">`];
  const points = nodes.map((node) => project.point(node));
  const texts = nodes.map((node) => `${node.label} ${Math.round(clamp01(node.delivery) * 100)}%`);
  nodes.forEach((node, i) => {
    const p = points[i]!;
    const origin = node.role === 'origin';
    const hill = node.role === 'hilltop';
    const percent = `${Math.round(clamp01(node.delivery) * 100)}%`;
    const tooltip = `${node.label} (#${node.id}): received ${percent}, ${node.transmissions} transmission${node.transmissions === 1 ? '' : 's'}`;
    const r = origin || hill ? radius + 2 : radius;
    const stroke = origin || hill ? '#000' : '#fff';
    const width = origin ? 3 : hill ? 2 : Math.min(1.5, radius / 4);
    if (hill) {
      // A hilltop relay is a triangle, so it is told apart without colour.
      out.push(
        `<path class="node hilltop" d="M${num(p.x)} ${num(p.y - r * 1.2)} L${num(p.x + r * 1.1)} ${num(p.y + r * 0.8)} L${num(p.x - r * 1.1)} ${num(p.y + r * 0.8)} Z" fill="${deliveryColor(node.delivery)}" stroke="${stroke}" stroke-width="${width}"><title>${escapeXml(tooltip)}</title></path>`,
      );
    } else {
      out.push(
        `<circle class="node" cx="${num(p.x)}" cy="${num(p.y)}" r="${r}" fill="${deliveryColor(node.delivery)}" stroke="${stroke}" stroke-width="${width}"><title>${escapeXml(tooltip)}</title></circle>`,
      );
    }
  });
  // Origins and hilltops first, then the nodes that received least: the ones a reader looks for.
  const boxes = placeLabels(
    nodes.map((node, i) => ({
      x: points[i]!.x,
      y: points[i]!.y,
      radius: node.role === 'origin' || node.role === 'hilltop' ? radius + 3 : radius,
      width: texts[i]!.length * fontSize * GLYPH_WIDTH,
      height: fontSize * LABEL_HEIGHT,
      priority: (node.role === 'origin' || node.role === 'hilltop' ? 2 : 0) + (1 - clamp01(node.delivery)),
    })),
    bounds,
    [],
    linkSamples(nodes, links, project),
  );
  nodes.forEach((node, i) => {
    const b = boxes[i];
    if (!b) return;
    const percent = `${Math.round(clamp01(node.delivery) * 100)}%`;
    out.push(
      // A white halo keeps a label readable where links run under it.
      `<text class="label" x="${num(b.x)}" y="${num(b.y + b.height * 0.78)}" paint-order="stroke" stroke="#fff" stroke-width="3" stroke-linejoin="round" data-box="${num(b.x)} ${num(b.y)} ${num(b.width)} ${num(b.height)}">${escapeXml(node.label)} <tspan fill="#666">${percent}</tspan></text>`,
    );
  });
  out.push('</g>');
  return out.join('\n');
}

/** Small boxes along the drawn links, which labels try to keep clear of; none on a crowded map. */
function linkSamples(nodes: readonly TopologyNode[], links: readonly TopologyLink[], project: Projection): Box[] {
  if (links.length > 400) return [];
  const byId = new Map(nodes.map((n) => [n.id, project.point(n)]));
  const out: Box[] = [];
  for (const l of links) {
    const a = byId.get(l.a);
    const b = byId.get(l.b);
    if (!a || !b) continue;
    const steps = Math.ceil(Math.hypot(b.x - a.x, b.y - a.y) / 6);
    for (let k = 1; k < steps; k++) {
      const t = k / steps;
      out.push({ x: a.x + (b.x - a.x) * t - 1, y: a.y + (b.y - a.y) * t - 1, width: 2, height: 2 });
    }
  }
  return out;
}

export interface StrategyPanel {
  /** The strategy's name, the panel's heading. */
  name: string;
  /** One line of figures under the heading (reach, airtime, latency). */
  summary: string;
  nodes: TopologyNode[];
  links: TopologyLink[];
  latencyByHops: HopLatency[];
}

export interface ComparisonReport {
  title: string;
  subtitle?: string;
  panels: StrategyPanel[];
}

const PANEL_W = 560;
const MAP_H = 470;
const CHART_H = 220;
const GUTTER = 24;
const TOP = 80;
/** Beyond this many links a map draws each node's few best, or the links hide the nodes. */
const MAX_LINKS_DRAWN = 2500;
const BEST_LINKS_PER_NODE = 4;

/** Strategies side by side on the same map (same positions, same scale) and the same chart axes. */
export function renderComparisonSvg(report: ComparisonReport): string {
  if (report.panels.length === 0) throw new RangeError('a comparison needs at least one panel');
  for (const panel of report.panels) {
    const ids = new Set(panel.nodes.map((n) => n.id));
    for (const node of panel.nodes) {
      if (!Number.isFinite(node.x) || !Number.isFinite(node.y)) throw new RangeError(`node ${node.id} has a non-finite position (${node.x}, ${node.y})`);
    }
    for (const link of panel.links) {
      if (!ids.has(link.a) || !ids.has(link.b)) throw new RangeError(`link ${link.a}-${link.b} refers to a node that is not in the report`);
    }
  }
  const width = GUTTER + report.panels.length * (PANEL_W + GUTTER);
  const height = TOP + 44 + MAP_H + 24 + CHART_H + 56;
  const scale = chartScale(report.panels.map((p) => p.latencyByHops));
  const nodeCount = Math.max(...report.panels.map((p) => p.nodes.length));
  // Small meshes get the single map's node size; a 500-node region gets dots.
  const radius = Math.max(2.5, Math.min(NODE_RADIUS, Math.sqrt((PANEL_W * MAP_H) / Math.max(1, nodeCount)) / 4));
  const fontSize = nodeCount > 150 ? 10 : 11;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif">`,
    `<title>${escapeXml(report.title)}</title>`,
    `<defs><linearGradient id="delivery-scale" x1="0" x2="1" y1="0" y2="0">` +
      `<stop offset="0" stop-color="${deliveryColor(0)}"/><stop offset="0.5" stop-color="${deliveryColor(0.5)}"/><stop offset="1" stop-color="${deliveryColor(1)}"/>` +
      `</linearGradient></defs>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${GUTTER}" y="34" font-size="20" font-weight="600" fill="#222">${escapeXml(report.title)}</text>`,
  ];
  if (report.subtitle !== undefined) out.push(`<text x="${GUTTER}" y="58" font-size="13" fill="#555">${escapeXml(report.subtitle)}</text>`);
  report.panels.forEach((panel, k) => {
    const x0 = GUTTER + k * (PANEL_W + GUTTER);
    const mapBox = { x: x0, y: TOP + 44, width: PANEL_W, height: MAP_H };
    const inner = { left: mapBox.x + 16, right: mapBox.x + mapBox.width - 16, top: mapBox.y + 16, bottom: mapBox.y + mapBox.height - 16 };
    const project = layoutIn(panel.nodes, inner);
    out.push(`<g class="panel" data-strategy="${escapeXml(panel.name)}">`);
    out.push(`<text x="${x0}" y="${TOP + 8}" font-size="16" font-weight="600" fill="#222">${escapeXml(panel.name)}</text>`);
    out.push(`<text x="${x0}" y="${TOP + 28}" font-size="12" fill="#444">${escapeXml(panel.summary)}</text>`);
    out.push(`<rect x="${mapBox.x}" y="${mapBox.y}" width="${mapBox.width}" height="${mapBox.height}" fill="#fafafa" stroke="#ddd"/>`);
    const byId = new Map(panel.nodes.map((n) => [n.id, n]));
    const drawn = thinLinks(panel.links);
    out.push('<g class="links" stroke="#3b4a6b" stroke-linecap="round">');
    for (const link of drawn) {
      const a = project.point(byId.get(link.a)!);
      const b = project.point(byId.get(link.b)!);
      const q = clamp01(link.quality);
      const w = panel.links.length > MAX_LINKS_DRAWN ? 0.6 + q : 1 + 2 * q;
      out.push(`<line class="link" x1="${num(a.x)}" y1="${num(a.y)}" x2="${num(b.x)}" y2="${num(b.y)}" stroke-width="${num(w)}" stroke-opacity="${num(0.1 + 0.6 * q)}"/>`);
    }
    out.push('</g>');
    out.push(nodesAndLabels(panel.nodes, project, radius, fontSize, mapBox, drawn));
    const shown = drawn.length < panel.links.length ? `${drawn.length} of ${panel.links.length} links drawn (each node's ${BEST_LINKS_PER_NODE} best)` : `${panel.links.length} links`;
    out.push(`<text x="${x0 + PANEL_W}" y="${mapBox.y + MAP_H + 14}" font-size="10" fill="#777" text-anchor="end">${shown}</text>`);
    // Under the map, not on it, where it would cover nodes.
    out.push(scaleBarAt(project.pxPerMetre, x0 + 2, mapBox.y + MAP_H + 8, 'below'));
    out.push(renderHopLatencyChart(panel.latencyByHops, { x: x0, y: mapBox.y + MAP_H + 24, width: PANEL_W, height: CHART_H }, scale));
    out.push('</g>');
  });
  const hilltops = report.panels.some((p) => p.nodes.some((n) => n.role === 'hilltop'));
  const origins = report.panels.some((p) => p.nodes.some((n) => n.role === 'origin'));
  out.push(legendAt(GUTTER, height - 30, { origin: origins, hilltop: hilltops }), '</svg>');
  return out.join('\n');
}

function thinLinks(links: readonly TopologyLink[]): TopologyLink[] {
  if (links.length <= MAX_LINKS_DRAWN) return [...links];
  const best = new Map<number, TopologyLink[]>();
  for (const l of links) {
    for (const id of [l.a, l.b]) {
      const list = best.get(id) ?? [];
      list.push(l);
      best.set(id, list);
    }
  }
  const keep = new Set<TopologyLink>();
  for (const list of best.values()) {
    list.sort((x, y) => y.quality - x.quality);
    for (const l of list.slice(0, BEST_LINKS_PER_NODE)) keep.add(l);
  }
  return links.filter((l) => keep.has(l));
}

interface Projection {
  pxPerMetre: number;
  point(node: { x: number; y: number }): { x: number; y: number };
}

function layout(nodes: ReadonlyArray<{ x: number; y: number }>): Projection {
  return layoutIn(nodes, PLOT);
}

function layoutIn(nodes: ReadonlyArray<{ x: number; y: number }>, PLOT: { left: number; right: number; top: number; bottom: number }): Projection {
  let minX = nodes.length > 0 ? Infinity : 0;
  let maxX = nodes.length > 0 ? -Infinity : 0;
  let minY = minX;
  let maxY = maxX;
  for (const n of nodes) {
    minX = Math.min(minX, n.x);
    maxX = Math.max(maxX, n.x);
    minY = Math.min(minY, n.y);
    maxY = Math.max(maxY, n.y);
  }
  const plotW = PLOT.right - PLOT.left;
  const plotH = PLOT.bottom - PLOT.top;
  // Same scale on both axes so distances are true; a zero span (a line of nodes) does not constrain it.
  const spanX = maxX - minX;
  const spanY = maxY - minY;
  const fits = [spanX > 0 ? plotW / spanX : Infinity, spanY > 0 ? plotH / spanY : Infinity];
  let pxPerMetre = Math.min(...fits);
  if (!Number.isFinite(pxPerMetre)) pxPerMetre = Math.min(plotW, plotH) / MIN_SPAN_M;
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  const midX = (PLOT.left + PLOT.right) / 2;
  const midY = (PLOT.top + PLOT.bottom) / 2;
  return {
    pxPerMetre,
    point: (n) => ({ x: midX + (n.x - cx) * pxPerMetre, y: midY - (n.y - cy) * pxPerMetre }),
  };
}

function legend(): string {
  return legendAt(24, HEIGHT - 52, { origin: true, hilltop: false });
}

function legendAt(x0: number, y: number, show: { origin: boolean; hilltop: boolean }): string {
  // Without the origin entry the rest moves up to close the gap.
  const x = x0;
  const xl = show.origin ? x0 : x0 - 70;
  return [
    '<g class="legend" font-size="11" fill="#333">',
    `<text x="${x}" y="${y - 8}">Delivery (share of frames received)</text>`,
    `<rect x="${x}" y="${y}" width="180" height="10" fill="url(#delivery-scale)" stroke="#999" stroke-width="0.5"/>`,
    `<text x="${x}" y="${y + 24}">0%</text>`,
    `<text x="${x + 90}" y="${y + 24}" text-anchor="middle">50%</text>`,
    `<text x="${x + 180}" y="${y + 24}" text-anchor="end">100%</text>`,
    ...(show.origin ? [`<circle cx="${x + 240}" cy="${y + 5}" r="${NODE_RADIUS + 2}" fill="#ccc" stroke="#000" stroke-width="3"/>`, `<text x="${x + 256}" y="${y + 9}">origin</text>`] : []),
    `<line x1="${xl + 310}" y1="${y + 5}" x2="${xl + 350}" y2="${y + 5}" stroke="#3b4a6b" stroke-width="3" stroke-opacity="1"/>`,
    `<line x1="${xl + 310}" y1="${y + 17}" x2="${xl + 350}" y2="${y + 17}" stroke="#3b4a6b" stroke-width="1" stroke-opacity="0.12"/>`,
    `<text x="${xl + 358}" y="${y + 9}">good link</text>`,
    `<text x="${xl + 358}" y="${y + 21}">poor link</text>`,
    ...(show.hilltop
      ? [`<path d="M${xl + 440} ${y - 4} L${xl + 451} ${y + 14} L${xl + 429} ${y + 14} Z" fill="#ccc" stroke="#000" stroke-width="2"/>`, `<text x="${xl + 458}" y="${y + 9}">hilltop relay</text>`]
      : []),
    '</g>',
  ].join('\n');
}

function scaleBar(pxPerMetre: number): string {
  const maxPx = 160;
  const metres = roundDistance(maxPx / pxPerMetre);
  return scaleBarAt(pxPerMetre, WIDTH - 24 - metres * pxPerMetre, HEIGHT - 36);
}

function roundDistance(maxMetres: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(maxMetres));
  const step = [5, 2, 1].find((m) => m * magnitude <= maxMetres) ?? 1;
  return step * magnitude;
}

/** A round distance (1, 2 or 5 × 10^k m) drawn at most ~160 px long, from (x1, y). */
function scaleBarAt(pxPerMetre: number, x1: number, y: number, label: 'above' | 'below' = 'above'): string {
  const metres = roundDistance(160 / pxPerMetre);
  const text = metres >= 1000 ? `${trim(metres / 1000)} km` : `${trim(metres)} m`;
  const x2 = x1 + metres * pxPerMetre;
  return [
    '<g class="scale" stroke="#222" stroke-width="1.5" font-size="11" fill="#222">',
    `<line x1="${num(x1)}" y1="${y}" x2="${num(x2)}" y2="${y}"/>`,
    `<line x1="${num(x1)}" y1="${y - 5}" x2="${num(x1)}" y2="${y + 5}"/>`,
    `<line x1="${num(x2)}" y1="${y - 5}" x2="${num(x2)}" y2="${y + 5}"/>`,
    label === 'above'
      ? `<text x="${num((x1 + x2) / 2)}" y="${y - 9}" text-anchor="middle" stroke="none">${text}</text>`
      : `<text x="${num(x2 + 6)}" y="${y + 4}" stroke="none">${text}</text>`,
    '</g>',
  ].join('\n');
}

function clamp01(v: number): number {
  return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0;
}

function num(v: number): string {
  return String(Math.round(v * 100) / 100);
}

function trim(v: number): string {
  return String(Number(v.toPrecision(6)));
}
