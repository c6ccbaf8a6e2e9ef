// A small SVG line chart (time on x, value on y) with axes, ticks and point titles. Hand-rolled:
// the hub serves no chart library and the UI has no build step.

import { svg } from './dom.js';

/**
 * @typedef {{ time: number, value: number }} Point
 */

const W = 720;
const H = 280;
const PAD = { top: 16, right: 16, bottom: 34, left: 56 };

/**
 * "Nice" tick values covering [min, max]: steps of 1, 2 or 5 x 10^n.
 * @param {number} min
 * @param {number} max
 * @param {number} count
 */
export function niceTicks(min, max, count = 5) {
  if (!(max > min)) {
    const pad = Math.abs(min) > 0 ? Math.abs(min) * 0.1 : 1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const lo = Math.floor(min / step) * step;
  const hi = Math.ceil(max / step) * step;
  const ticks = [];
  for (let v = lo; v <= hi + step / 2; v += step) ticks.push(Math.round(v / step) * step);
  return { lo, hi, step, ticks };
}

/** @param {number} v @param {number} step */
function fmt(v, step) {
  const digits = Math.max(0, -Math.floor(Math.log10(step)));
  return v.toFixed(Math.min(digits, 6));
}

/**
 * @param {number} t epoch ms
 * @param {number} span ms covered by the axis
 */
function timeLabel(t, span) {
  const d = new Date(t);
  if (span <= 10 * 60_000) return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  if (span <= 2 * 86_400_000) return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return d.toLocaleDateString([], { month: 'short', day: 'numeric' });
}

/**
 * Renders the chart; an empty series renders a "no readings" frame.
 * @param {Point[]} points sorted by time
 * @param {{ label: string, unit?: string }} opts `label` names the chart for screen readers
 * @returns {SVGElement}
 */
export function lineChart(points, opts) {
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'line-chart', role: 'img', 'aria-label': opts.label });
  chart.append(svg('title', {}, opts.label));
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  chart.append(svg('rect', { x: PAD.left, y: PAD.top, width: innerW, height: innerH, class: 'chart-frame' }));
  if (points.length === 0) {
    chart.append(svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'chart-empty' }, 'No readings in this period'));
    return chart;
  }
  const values = points.map((p) => p.value);
  const y = niceTicks(Math.min(...values), Math.max(...values));
  let t0 = points[0]?.time ?? 0;
  let t1 = points[points.length - 1]?.time ?? t0;
  if (t1 === t0) {
    t0 -= 30_000;
    t1 += 30_000;
  }
  const sx = (/** @type {number} */ t) => PAD.left + ((t - t0) / (t1 - t0)) * innerW;
  const sy = (/** @type {number} */ v) => PAD.top + innerH - ((v - y.lo) / (y.hi - y.lo)) * innerH;

  const grid = svg('g', { class: 'chart-grid' });
  for (const v of y.ticks) {
    const yy = sy(v);
    grid.append(svg('line', { x1: PAD.left, x2: PAD.left + innerW, y1: yy, y2: yy }));
    grid.append(svg('text', { x: PAD.left - 6, y: yy + 4, 'text-anchor': 'end', class: 'chart-tick' }, fmt(v, y.step)));
  }
  const xTicks = 5;
  for (let i = 0; i <= xTicks; i++) {
    const t = t0 + ((t1 - t0) * i) / xTicks;
    const xx = sx(t);
    grid.append(svg('line', { x1: xx, x2: xx, y1: PAD.top, y2: PAD.top + innerH, class: 'chart-vline' }));
    grid.append(svg('text', { x: xx, y: H - PAD.bottom + 18, 'text-anchor': i === 0 ? 'start' : i === xTicks ? 'end' : 'middle', class: 'chart-tick' }, timeLabel(t, t1 - t0)));
  }
  chart.append(grid);
  if (opts.unit) chart.append(svg('text', { x: 8, y: PAD.top + 4, class: 'chart-unit' }, opts.unit));

  const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p.time).toFixed(1)},${sy(p.value).toFixed(1)}`).join('');
  chart.append(svg('path', { d, class: 'chart-line', 'vector-effect': 'non-scaling-stroke' }));
  // Dots with a title each, only when they can be told apart.
  if (points.length <= 120) {
    const dots = svg('g', { class: 'chart-dots' });
    for (const p of points) {
      dots.append(svg('circle', { cx: sx(p.time).toFixed(1), cy: sy(p.value).toFixed(1), r: 3 }, svg('title', {}, `${new Date(p.time).toLocaleString()}: ${p.value}${opts.unit ? ` ${opts.unit}` : ''}`)));
    }
    chart.append(dots);
  }
  return chart;
}
