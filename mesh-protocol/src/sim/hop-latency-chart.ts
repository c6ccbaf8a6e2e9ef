// The latency-over-hops chart of one strategy, as an SVG fragment drawn into a given box: p50
// and p99 of delivery latency for each hop count, on axes shared by every strategy compared, so
// the same height means the same seconds in every panel.

import type { HopLatency } from './run-summary.ts';

export interface ChartBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ChartScale {
  maxHops: number;
  maxSeconds: number;
}

const P50 = '#1f5fa8';
const P99 = '#c2410c';

/** Axes both panels share: every hop count seen, and a round ceiling above the worst p99. */
export function chartScale(series: ReadonlyArray<readonly HopLatency[]>): ChartScale {
  let maxHops = 1;
  let maxMs = 0;
  for (const s of series) {
    for (const h of s) {
      maxHops = Math.max(maxHops, h.hops);
      if (Number.isFinite(h.p99Ms)) maxMs = Math.max(maxMs, h.p99Ms);
    }
  }
  return { maxHops, maxSeconds: niceCeil(Math.max(maxMs / 1000, 1)) };
}

export function renderHopLatencyChart(series: readonly HopLatency[], box: ChartBox, scale: ChartScale): string {
  const left = box.x + 44;
  const right = box.x + box.width - 12;
  const top = box.y + 22;
  const bottom = box.y + box.height - 46;
  const xOf = (hops: number): number => (scale.maxHops === 1 ? (left + right) / 2 : left + ((hops - 1) / (scale.maxHops - 1)) * (right - left));
  const yOf = (s: number): number => bottom - (Math.min(s, scale.maxSeconds) / scale.maxSeconds) * (bottom - top);
  const out: string[] = [`<g class="hop-latency" font-size="11" fill="#333">`];
  out.push(`<text x="${n(box.x)}" y="${n(box.y + 12)}" font-weight="600">Delivery latency by hops</text>`);
  // Legend on the title line, right-aligned, so it never covers the data.
  out.push(
    `<line x1="${n(right - 118)}" y1="${n(box.y + 8)}" x2="${n(right - 100)}" y2="${n(box.y + 8)}" stroke="${P50}" stroke-width="2"/>`,
    `<text x="${n(right - 96)}" y="${n(box.y + 12)}">p50</text>`,
    `<line x1="${n(right - 62)}" y1="${n(box.y + 8)}" x2="${n(right - 44)}" y2="${n(box.y + 8)}" stroke="${P99}" stroke-width="2" stroke-dasharray="4 3"/>`,
    `<text x="${n(right - 40)}" y="${n(box.y + 12)}">p99</text>`,
  );
  const step = niceStep(scale.maxSeconds);
  for (let s = 0; s <= scale.maxSeconds + 1e-9; s += step) {
    const y = yOf(s);
    out.push(`<line x1="${n(left)}" y1="${n(y)}" x2="${n(right)}" y2="${n(y)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${n(left - 6)}" y="${n(y + 4)}" text-anchor="end">${trimNum(s)}</text>`);
  }
  out.push(`<text x="${n(box.x)}" y="${n((top + bottom) / 2)}" transform="rotate(-90 ${n(box.x + 4)} ${n((top + bottom) / 2)})" text-anchor="middle" dy="4">seconds</text>`);
  for (let h = 1; h <= scale.maxHops; h++) {
    out.push(`<text x="${n(xOf(h))}" y="${n(bottom + 14)}" text-anchor="middle">${h}</text>`);
  }
  out.push(`<text x="${n((left + right) / 2)}" y="${n(bottom + 40)}" text-anchor="middle">hops (deliveries per hop count under each)</text>`);
  out.push(`<line x1="${n(left)}" y1="${n(bottom)}" x2="${n(right)}" y2="${n(bottom)}" stroke="#888"/>`);
  if (series.length === 0) {
    out.push(`<text x="${n((left + right) / 2)}" y="${n((top + bottom) / 2)}" text-anchor="middle" fill="#888">no deliveries</text>`);
  } else {
    const path = (pick: (h: HopLatency) => number): string =>
      series.map((h, i) => `${i === 0 ? 'M' : 'L'}${n(xOf(h.hops))} ${n(yOf(pick(h) / 1000))}`).join(' ');
    out.push(`<path class="p99" d="${path((h) => h.p99Ms)}" fill="none" stroke="${P99}" stroke-width="2" stroke-dasharray="4 3"/>`);
    out.push(`<path class="p50" d="${path((h) => h.p50Ms)}" fill="none" stroke="${P50}" stroke-width="2"/>`);
    for (const h of series) {
      const title = `${h.hops} hop${h.hops === 1 ? '' : 's'}: ${h.deliveries} deliveries, p50 ${(h.p50Ms / 1000).toFixed(2)} s, p99 ${(h.p99Ms / 1000).toFixed(2)} s`;
      out.push(`<circle cx="${n(xOf(h.hops))}" cy="${n(yOf(h.p99Ms / 1000))}" r="3" fill="${P99}"><title>${title}</title></circle>`);
      out.push(`<circle cx="${n(xOf(h.hops))}" cy="${n(yOf(h.p50Ms / 1000))}" r="3.5" fill="${P50}"><title>${title}</title></circle>`);
      out.push(`<text x="${n(xOf(h.hops))}" y="${n(bottom + 26)}" text-anchor="middle" font-size="9" fill="#777" class="count">${h.deliveries}</text>`);
    }
  }
  out.push('</g>');
  return out.join('\n');
}

function niceStep(max: number): number {
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
}

function niceCeil(v: number): number {
  const step = niceStep(v);
  return Math.ceil(v / step) * step;
}

function n(v: number): string {
  return String(Math.round(v * 10) / 10);
}

function trimNum(v: number): string {
  return String(Number(v.toPrecision(4)));
}
