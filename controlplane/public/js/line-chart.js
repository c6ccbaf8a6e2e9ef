// A small SVG line chart (time on x, value on y) with axes, ticks and point titles. Hand-rolled:
// the hub serves no chart library and the UI has no build step.

import { svg } from './dom.js';
import { formatNumber, locale } from './i18n.js';

/**
 * @typedef {{ time: number, value: number }} Point
 */

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
  // Counted, not stepped: values closer together than their precision (1e16 and the next double)
  // make a step too small to move v on, and a loop on v never ended, hanging the page.
  const n = Math.min(Math.round((hi - lo) / step), 4 * count);
  for (let i = 0; i <= n; i++) ticks.push(Math.round((lo + i * step) / step) * step);
  return { lo, hi, step, ticks };
}

/** A tick's value with as many decimals as the step needs, in the chosen language ("1,5" in Turkish). @param {number} v @param {number} step */
function fmt(v, step) {
  const digits = Math.min(Math.max(0, -Math.floor(Math.log10(step))), 6);
  return formatNumber(v, { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Steps the time axis may take, smallest first: ticks fall on whole seconds, minutes, hours or days. */
const TIME_STEPS = [1, 2, 5, 10, 15, 30].map((s) => s * SECOND).concat([1, 2, 5, 10, 15, 30].map((m) => m * MINUTE), [1, 2, 3, 4, 6, 8, 12].map((h) => h * HOUR), [1, 2, 3, 7, 14, 30].map((d) => d * DAY));

/**
 * Ticks for the time axis [t0, t1]: at most `count`, on round local times, each label different
 * from the one before it (readings close together must not print the same time five times).
 * @param {number} t0 epoch ms
 * @param {number} t1 epoch ms
 * @param {number} count
 * @returns {{ time: number, label: string }[]}
 */
export function timeTicks(t0, t1, count) {
  const span = t1 - t0;
  const step = TIME_STEPS.find((s) => s >= span / Math.max(1, count)) ?? Math.ceil(span / Math.max(1, count) / DAY) * DAY;
  // Round in local time: a 6-hour step ticks at 00:00, 06:00, ... wherever the hub's users are.
  const offset = new Date(t0).getTimezoneOffset() * MINUTE;
  const first = Math.ceil((t0 - offset) / step) * step + offset;
  const loc = locale();
  /** @param {number} t */
  const label = (t) => {
    const d = new Date(t);
    if (step < MINUTE) return d.toLocaleTimeString(loc, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
    if (step >= DAY) return d.toLocaleDateString(loc, { month: 'short', day: 'numeric' });
    if (span > DAY) return d.toLocaleString(loc, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
    return d.toLocaleTimeString(loc, { hour: '2-digit', minute: '2-digit' });
  };
  /** @type {{ time: number, label: string }[]} */
  const ticks = [];
  for (let t = first; t <= t1; t += step) {
    const text = label(t);
    if (text !== ticks[ticks.length - 1]?.label) ticks.push({ time: t, label: text });
  }
  return ticks;
}

/** A silence this many times the usual interval between readings is a gap. */
const GAP_FACTOR = 5;

/**
 * The readings (in time order) cut where the sensor was silent for much longer than it usually
 * is: more than GAP_FACTOR times the median interval between its readings.
 * @param {Point[]} sorted
 * @returns {Point[][]}
 */
export function splitAtGaps(sorted) {
  if (sorted.length < 3) return sorted.length ? [sorted] : [];
  const steps = [];
  for (let i = 1; i < sorted.length; i++) {
    const step = /** @type {Point} */ (sorted[i]).time - /** @type {Point} */ (sorted[i - 1]).time;
    if (step > 0) steps.push(step);
  }
  if (steps.length === 0) return [sorted];
  steps.sort((a, b) => a - b);
  const usual = /** @type {number} */ (steps[Math.floor((steps.length - 1) / 2)]);
  /** @type {Point[][]} */
  const runs = [[/** @type {Point} */ (sorted[0])]];
  for (let i = 1; i < sorted.length; i++) {
    const p = /** @type {Point} */ (sorted[i]);
    if (p.time - /** @type {Point} */ (sorted[i - 1]).time > usual * GAP_FACTOR) runs.push([p]);
    else /** @type {Point[]} */ (runs[runs.length - 1]).push(p);
  }
  return runs;
}

/**
 * Renders the chart at `width` x `height` CSS pixels (the box it goes in: text stays at its
 * font size on a phone instead of shrinking with a wide drawing); an empty series renders a
 * "no readings" frame. The time axis runs from `from` to `to` when given (the chosen period),
 * else over the readings; points are drawn in time order whatever order they come in. `unit`
 * (the values' unit: "°C", "%") heads the value axis, above its numbers.
 * @param {Point[]} points
 * @param {{ label: string, unit?: string, from?: number, to?: number, width?: number, height?: number, empty?: string }} opts `label` names the chart for screen readers
 * @returns {SVGElement}
 */
export function lineChart(points, opts) {
  const W = Math.round(Math.min(2400, Math.max(240, opts.width || 720)));
  const H = Math.round(opts.height || (W < 520 ? 220 : 280));
  // A unit gets a line of its own above the frame: beside the top value it would run into it.
  const PAD = { top: opts.unit ? 30 : 16, right: 16, bottom: 34, left: W < 520 ? 48 : 56 };
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: 'line-chart', role: 'img', 'aria-label': opts.label });
  chart.append(svg('title', {}, opts.label));
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  chart.append(svg('rect', { x: PAD.left, y: PAD.top, width: innerW, height: innerH, class: 'chart-frame' }));
  const from = typeof opts.from === 'number' && Number.isFinite(opts.from) ? opts.from : -Infinity;
  const sorted = points.filter((p) => Number.isFinite(p.time) && Number.isFinite(p.value) && p.time >= from).sort((a, b) => a.time - b.time);
  if (sorted.length === 0) {
    chart.append(svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'chart-empty' }, opts.empty ?? 'No readings in this period'));
    return chart;
  }
  const values = sorted.map((p) => p.value);
  const y = niceTicks(Math.min(...values), Math.max(...values), innerH < 180 ? 4 : 5);
  let t0 = Number.isFinite(from) ? from : /** @type {Point} */ (sorted[0]).time;
  // A reading stamped a little ahead of this browser's clock still shows.
  let t1 = Math.max(typeof opts.to === 'number' && Number.isFinite(opts.to) ? opts.to : -Infinity, /** @type {Point} */ (sorted[sorted.length - 1]).time);
  if (t1 - t0 < 60_000) {
    const mid = (t0 + t1) / 2;
    t0 = mid - 30_000;
    t1 = mid + 30_000;
  }
  const sx = (/** @type {number} */ t) => PAD.left + ((t - t0) / (t1 - t0)) * innerW;
  const sy = (/** @type {number} */ v) => PAD.top + innerH - ((v - y.lo) / (y.hi - y.lo)) * innerH;

  const grid = svg('g', { class: 'chart-grid' });
  for (const v of y.ticks) {
    const yy = sy(v);
    grid.append(svg('line', { x1: PAD.left, x2: PAD.left + innerW, y1: yy, y2: yy }));
    grid.append(svg('text', { x: PAD.left - 6, y: yy + 4, 'text-anchor': 'end', class: 'chart-tick' }, fmt(v, y.step)));
  }
  // About one label per 120 px (at least three), so that they never run into each other.
  for (const tick of timeTicks(t0, t1, Math.max(3, Math.floor(innerW / 120)))) {
    const xx = sx(tick.time);
    // Labels near an end lean inwards instead of running past the frame.
    const anchor = xx - PAD.left < 40 ? 'start' : PAD.left + innerW - xx < 40 ? 'end' : 'middle';
    grid.append(svg('line', { x1: xx, x2: xx, y1: PAD.top, y2: PAD.top + innerH, class: 'chart-vline' }));
    grid.append(svg('text', { x: xx, y: H - PAD.bottom + 18, 'text-anchor': anchor, class: 'chart-tick chart-xtick' }, tick.label));
  }
  chart.append(grid);
  // Over the value axis, from the left edge: a long unit (up to 16 characters) runs right, over the empty top margin.
  if (opts.unit) chart.append(svg('text', { x: 4, y: PAD.top - 12, 'text-anchor': 'start', class: 'chart-unit' }, opts.unit));

  // A silence much longer than the sensor's usual interval (the hub was off, the sensor stopped)
  // breaks the line: a straight line across it would draw readings nobody took.
  const runs = splitAtGaps(sorted);
  const d = runs.map((run) => run.map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p.time).toFixed(1)},${sy(p.value).toFixed(1)}`).join('')).join('');
  chart.append(svg('path', { d, class: 'chart-line', 'vector-effect': 'non-scaling-stroke' }));
  // Dots with a title each, only when they can be told apart.
  if (sorted.length > 120) {
    // A reading alone between two gaps is no line at all: it gets its dot anyway.
    const lone = svg('g', { class: 'chart-dots' });
    for (const run of runs) if (run.length === 1) lone.append(svg('circle', { cx: sx(/** @type {Point} */ (run[0]).time).toFixed(1), cy: sy(/** @type {Point} */ (run[0]).value).toFixed(1), r: 2.5 }));
    if (lone.childElementCount) chart.append(lone);
  } else {
    const dots = svg('g', { class: 'chart-dots' });
    for (const p of sorted) {
      dots.append(svg('circle', { cx: sx(p.time).toFixed(1), cy: sy(p.value).toFixed(1), r: 3.5 }, svg('title', {}, `${new Date(p.time).toLocaleString(locale())}: ${formatNumber(p.value, { maximumFractionDigits: 6 })}${opts.unit ? ` ${opts.unit}` : ''}`)));
    }
    chart.append(dots);
  }
  return chart;
}
