// Sensors: every sensor with its latest values, and a chart of one sensor's metric over a chosen
// period; new readings extend the chart live. A sensor that said it went offline shows since when,
// its values greyed as last known; a metric that stopped while the sensor's others go on shows its own age.

import { h, replace, replaceRows } from '../dom.js';
import { dateTime, measurement, metricLabel, metricUnit, number, relativeTime, timeOfDay } from '../format.js';
import { HUB_EVENT } from '../hub-events.js';
import { lineChart } from '../line-chart.js';
import { locale, t } from '../i18n.js';

const PERIODS = [
  ['3600000', t('Last hour')],
  ['21600000', t('Last 6 hours')],
  ['86400000', t('Last 24 hours')],
  ['604800000', t('Last 7 days')],
];
const MAX_POINTS = 2000;
/**
 * A metric this far behind its sensor's latest reading has stopped reporting (a Tasmota reports
 * every 5 minutes by default): it shows its own age instead of passing for current.
 */
const STALE_BEHIND_MS = 15 * 60_000;

/**
 * @typedef {{ metric: string, value: number | null, raw?: unknown, unit?: string, deviceClass?: string, measuredAt?: string, time: string }} Reading
 * @typedef {{ state: 'online' | 'offline', since: string }} Availability
 * @typedef {{ id: string, metrics: Reading[], lastSeen: string | null, availability?: Availability }} Sensor
 */

/**
 * @param {import('../shell.js').AppContext} ctx
 * @returns {import('../shell.js').View}
 */
export function createSensorsView(ctx) {
  const { api, stream } = ctx;
  const tbody = h('tbody');
  const empty = h('p', { class: 'empty', hidden: true }, t('No sensors have reported yet.'));
  const table = h(
    'table',
    { class: 'data-table sensors-table' },
    h('caption', { class: 'visually-hidden' }, t('Sensors')),
    h('thead', {}, h('tr', {}, [t('Sensor'), t('Latest values'), t('Last seen'), ''].map((c) => h('th', { scope: 'col' }, c)))),
    tbody,
  );
  const sensorSelect = h('select', { id: 'chart-sensor' });
  const metricSelect = h('select', { id: 'chart-metric' });
  const periodSelect = h('select', { id: 'chart-period' }, PERIODS.map(([v, t]) => h('option', { value: v }, t)));
  /** The longest period offered without a choice: the chart opens on the last day's readings. */
  const DEFAULT_SPAN = 86400000;
  periodSelect.value = String(DEFAULT_SPAN);
  /** Until the operator picks a period, the chart takes the shortest one that holds all of the last
   * day's readings: a sensor heard for ten minutes is not a vertical line at the right of a day. */
  let periodPicked = false;
  const chartBox = h('div', { class: 'chart-box' });
  const chartNote = h('p', { class: 'summary', 'aria-live': 'polite' });
  // The hub's data disk at its reserve: new readings fill the database's free room, then each takes the place of its metric's oldest.
  const historyNote = h('p', { class: 'notice notice--warn', role: 'status', hidden: true }, t('The hub’s disk is nearly full: new readings take the room left in its database, then each takes the place of its metric’s oldest, so charts lose their oldest readings until an administrator frees space.'));
  const el = h(
    'section',
    { class: 'view', 'aria-labelledby': 'sensors-title' },
    h('div', { class: 'view-head' }, h('h1', { id: 'sensors-title' }, t('Sensors'))),
    historyNote,
    h(
      'div',
      { class: 'card' },
      h('h2', {}, t('Readings')),
      // Each label stays on the line of its dropdown.
      h(
        'div',
        { class: 'toolbar chart-controls' },
        h('span', { class: 'toolbar-field' }, h('label', { for: 'chart-sensor' }, t('Sensor')), sensorSelect),
        h('span', { class: 'toolbar-field' }, h('label', { for: 'chart-metric' }, t('Metric')), metricSelect),
        h('span', { class: 'toolbar-field' }, h('label', { for: 'chart-period' }, t('Period')), periodSelect),
      ),
      chartBox,
      chartNote,
    ),
    h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': t('Sensors') }, table),
    empty,
  );

  /** @type {Sensor[]} */
  let sensors = [];
  /** @type {{ time: number, value: number }[]} */
  let points = [];
  /** More readings in the period than the chart loads (MAX_POINTS, newest first): it starts at the oldest it has and says so. */
  let truncated = false;
  let loadSeq = 0;
  let loaded = false;
  /** The width the chart was last drawn at; a phone turned sideways draws it again. */
  let chartWidth = 0;
  const resized = new ResizeObserver(() => {
    const w = chartBox.clientWidth;
    if (w > 0 && Math.abs(w - chartWidth) > 1 && chartBox.querySelector('svg')) drawChart();
  });
  resized.observe(chartBox);

  /** One metric's chip: greyed as last known when its sensor is offline, with its own age when it stopped before the others. @param {Sensor} s @param {Reading} m */
  const metricChip = (s, m) => {
    const offline = s.availability?.state === 'offline';
    const latest = Date.parse(s.lastSeen ?? '');
    const at = Date.parse(m.time);
    const stale = Number.isFinite(latest) && Number.isFinite(at) && latest - at > STALE_BEHIND_MS;
    const label = metricLabel(m.metric, m.deviceClass);
    const value = `${label}: ${m.value === null || m.value === undefined ? shortRaw(m.raw) : measurement(m.value, m.metric, m)}`;
    // In the reader's words: the metric's name, not its key ("humidity" on a Turkish screen).
    const title = [label, offline || stale ? t('last reported {time}', { time: dateTime(m.time) }) : ''].filter(Boolean).join(' · ');
    return h(
      'span',
      { class: `metric-chip${offline ? ' metric-chip--last-known' : ''}${stale ? ' metric-chip--stale' : ''}`, title },
      value,
      stale ? h('span', { class: 'metric-age' }, ` · ${relativeTime(m.time)}`) : null,
    );
  };

  const renderTable = () => {
    replaceRows(
      tbody,
      'sensor-id',
      sensors.map((s) => {
        const offline = s.availability?.state === 'offline';
        return h(
          'tr',
          { dataset: { sensorId: s.id, availability: s.availability?.state ?? 'unknown' }, class: offline ? 'sensor-offline' : undefined },
          // On a phone each row is a card (app.css): the id with its Chart button, then the values, then when.
          // Offline is said next to the sensor's name, not mixed into when it was last heard of.
          h('th', { scope: 'row', class: 'mono sensor-id' }, s.id, offline ? h('span', { class: 'badge badge--offline sensor-availability', title: dateTime(s.availability?.since) }, t('Offline since {time}', { time: sinceTime(s.availability?.since) })) : null),
          h(
            'td',
            { class: 'sensor-values' },
            // Said in words, not only in grey: these are what it last sent, not what it measures now.
            // A device that has only said it is there (online, or gone) has sent nothing to show yet.
            s.metrics.length === 0 ? h('span', { class: 'values-note' }, t('No readings yet.')) : offline ? h('span', { class: 'values-note' }, t('Last known values:')) : null,
            s.metrics.map((m) => metricChip(s, m)),
          ),
          h('td', { class: 'sensor-seen', 'data-label': t('Last seen') }, h('time', { datetime: s.lastSeen ?? '', title: dateTime(s.lastSeen) }, relativeTime(s.lastSeen))),
          h('td', { class: 'sensor-action' }, s.metrics.length === 0 ? null : h('button', { type: 'button', class: 'link', 'aria-label': t('Chart {sensor}', { sensor: s.id }), onclick: () => choose(s.id, s.metrics[0]?.metric) }, t('Chart'))),
        );
      }),
    );
    empty.hidden = !loaded || sensors.length > 0;
  };

  const fillSelectors = () => {
    const keepSensor = sensorSelect.value;
    const charted = sensors.filter((s) => s.metrics.length > 0);
    replace(sensorSelect, charted.map((s) => h('option', { value: s.id }, s.id)));
    // Nothing to choose from until a sensor reports: not two empty boxes.
    for (const select of [sensorSelect, metricSelect, periodSelect]) select.disabled = charted.length === 0;
    if (charted.some((s) => s.id === keepSensor)) sensorSelect.value = keepSensor;
    fillMetrics();
  };

  const fillMetrics = () => {
    const keep = metricSelect.value;
    const sensor = sensors.find((s) => s.id === sensorSelect.value);
    const metrics = sensor?.metrics.map((m) => m.metric) ?? [];
    replace(metricSelect, (sensor?.metrics ?? []).map((m) => h('option', { value: m.metric, title: m.metric }, metricLabel(m.metric, m.deviceClass))));
    if (metrics.includes(keep)) metricSelect.value = keep;
  };

  /** @param {string} id @param {string | undefined} metric */
  const choose = (id, metric) => {
    sensorSelect.value = id;
    fillMetrics();
    if (metric) metricSelect.value = metric;
    void loadReadings();
    chartBox.scrollIntoView({ block: 'nearest' });
  };

  const drawChart = () => {
    const id = sensorSelect.value;
    const metric = metricSelect.value;
    if (!id || !metric) {
      replace(chartBox, h('p', { class: 'empty' }, t('Choose a sensor and a metric.')));
      chartNote.textContent = '';
      return;
    }
    // Drawn at the box's own width: its text stays readable on a phone. The time axis is the chosen
    // period; left to the default, it starts at the first reading when they began later (a sensor
    // heard for the last few minutes fills the chart, not a sliver at its right edge).
    const now = Date.now();
    let from = now - Number(periodSelect.value);
    const first = points[0]?.time;
    if (!periodPicked && first !== undefined && first > from) from = Math.max(from, first - (now - first) * 0.05);
    // Not a blank stretch before the oldest reading loaded, as if the sensor had been silent.
    if (truncated && first !== undefined) from = Math.max(from, first);
    chartWidth = chartBox.clientWidth;
    // The unit the metric's latest reading came with, else the one a metric of its name usually has.
    const latest = sensors.find((s) => s.id === id)?.metrics.find((m) => m.metric === metric);
    const unit = metricUnit(metric, latest);
    const named = { metric: metricSelect.selectedOptions[0]?.textContent ?? metric, sensor: id, period: periodSelect.selectedOptions[0]?.textContent?.toLowerCase() ?? '', unit };
    replace(
      chartBox,
      lineChart(points, {
        label: unit ? t('{metric} ({unit}) of {sensor}, {period}', named) : t('{metric} of {sensor}, {period}', named),
        ...(unit ? { unit } : {}),
        from,
        to: now,
        width: chartWidth || undefined,
        empty: t('No readings in this period.'),
      }),
    );
    const last = points[points.length - 1];
    chartNote.textContent = points.length === 0 ? t('No readings in this period.') : t({ one: '{count} reading; latest {value} at {time}', other: '{count} readings; latest {value} at {time}' }, { count: points.length, value: last ? measurement(last.value, metricSelect.value, sensors.find((x) => x.id === sensorSelect.value)?.metrics.find((m) => m.metric === metricSelect.value)) : '—', time: dateTime(last?.time) });
    if (truncated && first !== undefined) chartNote.textContent += ` ${t('Only the latest {count} are drawn, from {time}: the period holds more.', { count: points.length, time: dateTime(first) })}`;
  };

  const loadReadings = async () => {
    const id = sensorSelect.value;
    const metric = metricSelect.value;
    const seq = ++loadSeq;
    if (!id || !metric) {
      points = [];
      truncated = false;
      drawChart();
      return;
    }
    const fitting = !periodPicked;
    const from = new Date(Date.now() - (fitting ? DEFAULT_SPAN : Number(periodSelect.value))).toISOString();
    /** @type {{ time: number, value: number }[]} */
    const got = [];
    let cursor = null;
    try {
      do {
        const params = new URLSearchParams({ metric, from, limit: '500' });
        if (cursor) params.set('cursor', cursor);
        const page = await api.get(`/api/v1/sensors/${encodeURIComponent(id)}/readings?${params}`);
        for (const r of page?.items ?? []) {
          const t = Date.parse(r?.time);
          if (typeof r?.value === 'number' && Number.isFinite(t)) got.push({ time: t, value: r.value });
        }
        cursor = page?.nextCursor ?? null;
      } while (cursor && got.length < MAX_POINTS && seq === loadSeq);
    } catch (err) {
      if (seq === loadSeq) chartNote.textContent = t('Could not load readings: {error}', { error: err instanceof Error ? err.message : String(err) });
      return;
    }
    if (seq !== loadSeq) return;
    truncated = cursor !== null && got.length >= MAX_POINTS;
    // The hub lists newest first; readings stamped the same instant stay in the order they came.
    points = got.reverse().sort((a, b) => a.time - b.time);
    if (fitting && !periodPicked) {
      const now = Date.now();
      const oldest = points[0]?.time ?? now;
      const fit = PERIODS.map(([v]) => Number(v)).find((span) => span <= DEFAULT_SPAN && now - span <= oldest) ?? DEFAULT_SPAN;
      periodSelect.value = String(fit);
      points = points.filter((p) => p.time >= now - fit);
    }
    drawChart();
  };

  const loadSensors = async () => {
    try {
      const page = await api.get('/api/v1/sensors');
      sensors = (page?.items ?? []).filter((/** @type {any} */ s) => s && typeof s.id === 'string').map((/** @type {any} */ s) => ({ id: s.id, metrics: Array.isArray(s.metrics) ? s.metrics : [], lastSeen: s.lastSeen ?? null, ...(availabilityOf(s.availability) ? { availability: availabilityOf(s.availability) } : {}) }));
      loaded = true;
      historyNote.hidden = page?.historyKept !== false;
      renderTable();
      fillSelectors();
    } catch (err) {
      ctx.notify(t('Could not load sensors: {error}', { error: err instanceof Error ? err.message : String(err) }), 'error');
    }
  };

  sensorSelect.addEventListener('change', () => {
    fillMetrics();
    void loadReadings();
  });
  metricSelect.addEventListener('change', () => void loadReadings());
  periodSelect.addEventListener('change', () => {
    periodPicked = true;
    void loadReadings();
  });

  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let refreshTimer;
  /** @param {Event} e */
  const onEvent = (e) => {
    const event = /** @type {CustomEvent<import('../event-stream.js').HubEvent>} */ (e).detail;
    if (event.type === HUB_EVENT.SENSOR_AVAILABILITY) {
      const d = event.data ?? {};
      const id = String(d.sensorId ?? '');
      const sensor = sensors.find((s) => s.id === id);
      const availability = availabilityOf(d);
      // One first heard at the disk reserve is not stored: reading the list again would not find it.
      if (!sensor && d.atDiskReserve === true) return;
      // A device that speaks for others (a Zigbee2MQTT bridge: `z2m` for `z2m:kitchen`) takes them
      // with it, and theirs depends on it: the hub works that out, so the list is read again.
      // A device not listed yet (it said it is there before sending a reading) is read with the list too.
      if (!sensor || id.includes(':') || sensors.some((s) => s.id.startsWith(`${id}:`))) {
        clearTimeout(refreshTimer);
        refreshTimer = setTimeout(() => void loadSensors(), 300);
      } else if (sensor && availability) {
        sensor.availability = availability;
        renderTable();
      }
      return;
    }
    if (event.type !== HUB_EVENT.SENSOR_READING) return;
    const d = event.data ?? {};
    // Each reading says whether the hub's disk was at its reserve when it came.
    historyNote.hidden = d.atDiskReserve !== true;
    const id = String(d.sensorId ?? d.sensor ?? d.id ?? '');
    const sensor = sensors.find((s) => s.id === id);
    const time = typeof d.time === 'string' ? d.time : new Date(event.ts).toISOString();
    if (sensor && typeof d.metric === 'string' && typeof d.value === 'number') {
      const m = sensor.metrics.find((x) => x.metric === d.metric);
      // The unit and kind the reading came with, when it says (else the metric's usual unit is shown).
      const said = { ...(typeof d.unit === 'string' ? { unit: d.unit } : {}), ...(typeof d.deviceClass === 'string' ? { deviceClass: d.deviceClass } : {}) };
      // A reading a gateway held through an outage comes dated when it was taken: it is no newer
      // than what the table shows (the hub keeps the newer one as latest too).
      const newer = (/** @type {string | null | undefined} */ shown) => !shown || Date.parse(time) >= Date.parse(shown);
      if (m) {
        if (newer(m.time)) Object.assign(m, { value: d.value, time, ...said });
      } else sensor.metrics.push({ metric: d.metric, value: d.value, time, ...said });
      if (newer(sensor.lastSeen)) sensor.lastSeen = time;
      renderTable();
      // A metric it had not sent before (its first, for a device only heard saying it is there) can be charted.
      if (!m) {
        const shown = `${sensorSelect.value} ${metricSelect.value}`;
        fillSelectors();
        if (`${sensorSelect.value} ${metricSelect.value}` !== shown) void loadReadings();
      }
    } else if (d.atDiskReserve !== true) {
      // A sensor we have not listed yet: reload the list (at most once a second). One first heard
      // at the disk reserve is not stored: it would never be listed.
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(() => void loadSensors(), 1000);
    }
    if (id === sensorSelect.value && d.metric === metricSelect.value && typeof d.value === 'number') {
      points.push({ time: Date.parse(time), value: d.value });
      // Readings may arrive out of order (a gateway catching up): keep the series in time order.
      points.sort((a, b) => a.time - b.time);
      drawChart();
    }
  };
  stream.addEventListener('event', onEvent);

  return {
    id: 'sensors',
    title: t('Sensors'),
    el,
    // Coming back to the screen catches up on what arrived meanwhile.
    show() {
      void loadSensors().then(loadReadings);
    },
    destroy() {
      clearTimeout(refreshTimer);
      resized.disconnect();
      stream.removeEventListener('event', onEvent);
    },
  };
}

/** The availability the hub gives, when it is one. @param {any} a @returns {Availability | null} */
function availabilityOf(a) {
  return a && (a.state === 'online' || a.state === 'offline') && typeof a.since === 'string' ? { state: a.state, since: a.since } : null;
}

/** "14:05" today, "3 Dec, 14:05" before. @param {string | undefined} time */
function sinceTime(time) {
  const d = new Date(time ?? '');
  if (!Number.isFinite(d.getTime())) return '—';
  const today = new Date().toDateString() === d.toDateString();
  return today ? timeOfDay(d.getTime()) : d.toLocaleString(locale(), { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}

/** A non-numeric reading as a short text. @param {unknown} raw */
function shortRaw(raw) {
  const text = typeof raw === 'string' ? raw : JSON.stringify(raw ?? null);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}
