// Renders a simulated mesh as a self-contained SVG: where the nodes are, which links work, and
// how much of the traffic each node received, so a scenario's outcome can be read at a glance.

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
  role?: 'origin' | 'node';
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

  out.push('<g class="nodes" font-size="12" fill="#222">');
  for (const node of report.nodes) {
    const p = project.point(node);
    const origin = node.role === 'origin';
    const percent = `${Math.round(clamp01(node.delivery) * 100)}%`;
    const tooltip = `${node.label} (#${node.id}): received ${percent}, ${node.transmissions} transmission${node.transmissions === 1 ? '' : 's'}`;
    out.push(
      `<circle class="node" cx="${num(p.x)}" cy="${num(p.y)}" r="${origin ? NODE_RADIUS + 2 : NODE_RADIUS}" fill="${deliveryColor(node.delivery)}" stroke="${origin ? '#000' : '#fff'}" stroke-width="${origin ? 3 : 1.5}"><title>${escapeXml(tooltip)}</title></circle>`,
      `<text x="${num(p.x + NODE_RADIUS + 5)}" y="${num(p.y + 4)}">${escapeXml(node.label)} <tspan fill="#666">${percent}</tspan></text>`,
    );
  }
  out.push('</g>');

  out.push(legend(), scaleBar(project.pxPerMetre), '</svg>');
  return out.join('\n');
}

interface Projection {
  pxPerMetre: number;
  point(node: { x: number; y: number }): { x: number; y: number };
}

function layout(nodes: ReadonlyArray<{ x: number; y: number }>): Projection {
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
  const x = 24;
  const y = HEIGHT - 52;
  return [
    '<g class="legend" font-size="11" fill="#333">',
    `<text x="${x}" y="${y - 8}">Delivery (share of frames received)</text>`,
    `<rect x="${x}" y="${y}" width="180" height="10" fill="url(#delivery-scale)" stroke="#999" stroke-width="0.5"/>`,
    `<text x="${x}" y="${y + 24}">0%</text>`,
    `<text x="${x + 90}" y="${y + 24}" text-anchor="middle">50%</text>`,
    `<text x="${x + 180}" y="${y + 24}" text-anchor="end">100%</text>`,
    `<circle cx="${x + 240}" cy="${y + 5}" r="${NODE_RADIUS + 2}" fill="#ccc" stroke="#000" stroke-width="3"/>`,
    `<text x="${x + 256}" y="${y + 9}">origin</text>`,
    `<line x1="${x + 310}" y1="${y + 5}" x2="${x + 350}" y2="${y + 5}" stroke="#3b4a6b" stroke-width="3" stroke-opacity="1"/>`,
    `<line x1="${x + 310}" y1="${y + 17}" x2="${x + 350}" y2="${y + 17}" stroke="#3b4a6b" stroke-width="1" stroke-opacity="0.12"/>`,
    `<text x="${x + 358}" y="${y + 9}">good link</text>`,
    `<text x="${x + 358}" y="${y + 21}">poor link</text>`,
    '</g>',
  ].join('\n');
}

/** A round distance (1, 2 or 5 × 10^k m) drawn at most ~160 px long. */
function scaleBar(pxPerMetre: number): string {
  const maxMetres = 160 / pxPerMetre;
  const magnitude = 10 ** Math.floor(Math.log10(maxMetres));
  const step = [5, 2, 1].find((m) => m * magnitude <= maxMetres) ?? 1;
  const metres = step * magnitude;
  const px = metres * pxPerMetre;
  const label = metres >= 1000 ? `${trim(metres / 1000)} km` : `${trim(metres)} m`;
  const x1 = WIDTH - 24 - px;
  const x2 = WIDTH - 24;
  const y = HEIGHT - 36;
  return [
    '<g class="scale" stroke="#222" stroke-width="1.5" font-size="11" fill="#222">',
    `<line x1="${num(x1)}" y1="${y}" x2="${num(x2)}" y2="${y}"/>`,
    `<line x1="${num(x1)}" y1="${y - 5}" x2="${num(x1)}" y2="${y + 5}"/>`,
    `<line x1="${num(x2)}" y1="${y - 5}" x2="${num(x2)}" y2="${y + 5}"/>`,
    `<text x="${num((x1 + x2) / 2)}" y="${y - 9}" text-anchor="middle" stroke="none">${label}</text>`,
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
