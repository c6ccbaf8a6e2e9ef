// Live mesh feed: what the mesh and the hub report, newest on top: texts, positions, telemetry,
// alerts, nodes going online/offline, sensor readings, message and switch status. Starts with the latest
// records so the screen is not empty after a reload. A row names a node as it was called when the
// event happened (events carry that name); its id, and its name now if it has changed, are on hover.

import { h, replace } from '../dom.js';
import { alertLevel, battery, batteryReading, clockTime, coordinates, dateTime, deliveryError, deliveryStatus, measurement, metricLabel, nodeRole, number } from '../format.js';
import { positionOf } from '../fleet-store.js';
import { HUB_EVENT, HUB_EVENT_TOPIC } from '../hub-events.js';
import { formatNumber, t } from '../i18n.js';

const MAX_ENTRIES = 300;
/** History records loaded at a time (at open, then each "Show older"). */
const HISTORY_PAGE = 30;

/** A folded row (a node's NodeInfo, an alert's copies): what it said, how many times in the feed loaded, when first and last. @typedef {{ li: HTMLLIElement, said: string, count: number, first: number, last: number }} InfoRow */

const TOPICS = [
  ['', t('Everything')],
  ['mesh', t('Mesh traffic')],
  ['nodes', t('Nodes online/offline')],
  ['alerts', t('Alerts')],
  ['sensors', t('Sensors')],
  ['messages', t('Sent messages')],
];
const FEED_TOPICS = new Set(TOPICS.map(([topic]) => topic).filter(Boolean));

/**
 * The filters a row shows under: its stream topic, and "Alerts" too for an alert the mesh carried
 * (an SOS, an "I am safe"), which is mesh traffic as well.
 * @param {{ topic: string, type: string }} event
 */
function filtersOf(event) {
  return event.type === HUB_EVENT.MESH_ALERT ? [event.topic, 'alerts'] : [event.topic];
}

/** @param {HTMLLIElement} li @param {string} value */
const hiddenBy = (li, value) => Boolean(value) && !(li.dataset.filters ?? '').split(' ').includes(value);

/**
 * @param {import('../shell.js').AppContext} ctx
 * @returns {import('../shell.js').View}
 */
export function createFeedView(ctx) {
  const { fleet, stream, api, alerts } = ctx;
  // Open SOS stay on top, whatever scrolls past below them.
  const pinned = h('ul', { class: 'feed-pinned', 'aria-label': t('Open SOS') });
  const renderPinned = () => {
    const open = alerts.list().filter((a) => a.level === 'SOS');
    replace(
      pinned,
      open.map((a) =>
        h(
          'li',
          { class: 'feed-pin', dataset: { nodeId: a.nodeId } },
          h('span', { class: 'sos-glyph', 'aria-hidden': 'true' }, '▲'),
          h('strong', {}, t('SOS from {name}', { name: a.nodeName || fleet.display(a.nodeId) })),
          h('time', { datetime: a.raisedAt, title: dateTime(a.raisedAt) }, clockTime(a.raisedAt)),
          h('a', { href: `#/map/${encodeURIComponent(a.nodeId)}` }, t('Show on map')),
          h('a', { href: '#/alerts' }, t('Open the alert')),
        ),
      ),
    );
    pinned.hidden = open.length === 0;
  };
  alerts.addEventListener('change', renderPinned);
  fleet.addEventListener('change', renderPinned);
  renderPinned();
  const filter = h('select', { id: 'feed-filter' }, TOPICS.map(([v, t]) => h('option', { value: v }, t)));
  const list = h('ol', { class: 'feed', 'aria-label': t('Live mesh feed'), 'aria-live': 'polite', 'aria-relevant': 'additions' });
  const empty = h('p', { class: 'empty' }, t('Waiting for the mesh… new events appear here as they happen.'));
  const nothingHere = h('p', { class: 'empty feed-nothing', hidden: true }, t('Nothing here yet. Events of this kind appear here as they happen.'));
  const el = h(
    'section',
    { class: 'view', 'aria-labelledby': 'feed-title' },
    h('div', { class: 'view-head' }, h('h1', { id: 'feed-title' }, t('Live feed'))),
    h('div', { class: 'toolbar' }, h('label', { for: 'feed-filter' }, t('Show')), filter),
    pinned,
    empty,
    nothingHere,
    list,
  );
  /** The waiting note while the feed is empty; "nothing here" instead of an empty box when the filter hides every row. */
  const showEmpty = () => {
    const rows = list.childElementCount;
    const shown = rows > 0 && list.querySelector(':scope > li:not([hidden])') !== null;
    empty.hidden = rows > 0;
    nothingHere.hidden = rows === 0 || shown;
    list.hidden = rows > 0 && !shown;
  };
  /** Record ids already listed (history and live copies of one record). */
  const seenRecords = new Set();
  /**
   * A node re-announces itself every few minutes. An announcement that says what the node's
   * neighbouring NodeInfo row says is folded into that row (how many times, when last), so that it
   * does not push an SOS or a text off the screen; a change is a row of its own. Live events
   * compare with the node's newest row, the history (loaded newest first) with its oldest.
   * @type {{ newest: Map<string, InfoRow>, oldest: Map<string, InfoRow> }}
   */
  const infoRows = { newest: new Map(), oldest: new Map() };
  /**
   * @param {{ topic: string, type: string, ts: number, data: any }} event
   * @param {boolean} live
   */
  const entryFor = (event, live) => {
    const d = describe(event, fleet);
    const nodeId = nodeOf(event.data ?? {});
    /** @type {Record<string, string>} */
    const dataset = { topic: event.topic, filters: filtersOf(event).join(' '), type: event.type };
    // Named later, when the fleet (loaded in parallel) knows the node.
    if (nodeId && d.who === nodeId) dataset.unnamed = nodeId;
    if (nodeId) dataset.nodeId = nodeId;
    const then = nameThen(event);
    if (then) dataset.nameThen = then;
    const li = h(
      'li',
      { class: `feed-item feed-item--${event.topic} ${d.tone ? `tone--${d.tone}` : ''} ${live ? 'is-new' : ''}`, dataset },
      timeOf(event.ts),
      h('span', { class: 'feed-kind' }, d.kind),
      h('span', { class: 'feed-who' }, d.who),
      h('span', { class: 'feed-what' }, d.what),
    );
    li.hidden = hiddenBy(li, filter.value);
    hover(li);
    return li;
  };

  /** The id on hover, and the name now when it is not the one the row shows. @param {HTMLLIElement} li */
  const hover = (li) => {
    const id = li.dataset.nodeId;
    const who = li.querySelector('.feed-who');
    if (!id || !who) return;
    const now = fleet.get(id)?.name ?? null;
    const then = li.dataset.nameThen;
    who.setAttribute('title', then && now && now !== then ? t('{id}, now called {name}', { id, name: now }) : id);
  };

  /**
   * @param {{ topic: string, type: string, ts: number, data: any }} event
   * @param {boolean} live
   */
  const add = (event, live) => {
    // The messenger's and modules' own events have screens of their own.
    if (!FEED_TOPICS.has(event.topic)) return;
    const recordId = event.data?.id;
    if (event.topic === 'mesh' && (typeof recordId === 'number' || typeof recordId === 'string')) {
      if (seenRecords.has(String(recordId))) return;
      seenRecords.add(String(recordId));
    }
    if (event.type === HUB_EVENT.MESH_INFO && repeatsAnnouncement(event, live)) return;
    const call = event.type === HUB_EVENT.MESH_ALERT ? callOf(event) : null;
    if (call !== null && resent(call, event, live)) return;
    const li = entryFor(event, live);
    if (event.type === HUB_EVENT.MESH_INFO) remember(event, li, live);
    if (call !== null) calls.set(call, { li, said: call, count: 1, first: event.ts, last: event.ts });
    if (live) list.prepend(li);
    else list.append(li);
    while (list.childElementCount > MAX_ENTRIES) list.lastElementChild?.remove();
    showEmpty();
  };

  /** What a NodeInfo says, as the row shows it and a little more. @param {{ data: any }} event */
  const saidBy = (event) => {
    const b = event.data?.data ?? {};
    return JSON.stringify([b.longName ?? null, b.shortName ?? null, b.hwModel ?? null, b.role ?? null]);
  };

  /**
   * Folds an unchanged announcement into the node's neighbouring row (when still listed).
   * @param {{ ts: number, data: any }} event
   * @param {boolean} live
   */
  const repeatsAnnouncement = (event, live) => {
    const nodeId = nodeOf(event.data ?? {});
    const row = nodeId ? (live ? infoRows.newest : infoRows.oldest).get(nodeId) : undefined;
    if (!row || !list.contains(row.li) || row.said !== saidBy(event)) return false;
    row.count += 1;
    row.first = Math.min(row.first, event.ts);
    row.last = Math.max(row.last, event.ts);
    showRepeats(row);
    return true;
  };

  /** @param {{ ts: number, data: any }} event @param {HTMLLIElement} li @param {boolean} live */
  const remember = (event, li, live) => {
    const nodeId = nodeOf(event.data ?? {});
    if (!nodeId) return;
    const row = { li, said: saidBy(event), count: 1, first: event.ts, last: event.ts };
    if (live || !infoRows.newest.has(nodeId)) infoRows.newest.set(nodeId, row);
    if (!live || !infoRows.oldest.has(nodeId)) infoRows.oldest.set(nodeId, row);
  };

  /**
   * The row keeps its place and time (the feed stays in time order); a note says how many times
   * the node has said the same in the feed loaded so far (Show older may find more), from when to
   * when.
   * @param {InfoRow} row
   */
  const showRepeats = (row) => {
    const note = repeatsNote(row.li);
    note.textContent = t('announced {count} times, unchanged, first at {first}, last at {last}', { count: row.count, first: clockTime(row.first), last: clockTime(row.last) });
    note.setAttribute('title', `${dateTime(row.first)} – ${dateTime(row.last)}`);
    row.li.dataset.repeats = String(row.count);
  };

  /**
   * A node sends its SOS (and its "I am safe") again and again until the hub answers it: each copy
   * is a record of its own, but one call, named by the node, the level and its request id. Its
   * copies are folded into the call's first row, which says how many times it was resent and when
   * last; a new request is a new call, a row of its own. An alert without a request id (older
   * firmware) cannot be told from a new call and keeps its own row. By call, the row of its first copy.
   * @type {Map<string, InfoRow>}
   */
  const calls = new Map();

  /**
   * Folds a copy of a call into the call's row (when still listed). The feed's history comes newest
   * first: a copy found there came before those listed, and takes the row down to its place, with
   * the time of the first copy.
   * @param {string} call @param {{ ts: number }} event @param {boolean} live
   */
  const resent = (call, event, live) => {
    const row = calls.get(call);
    if (!row || !list.contains(row.li)) return false;
    row.count += 1;
    row.first = Math.min(row.first, event.ts);
    row.last = Math.max(row.last, event.ts);
    if (!live) {
      row.li.querySelector('time')?.replaceWith(timeOf(row.first));
      list.append(row.li);
    }
    const note = repeatsNote(row.li);
    note.textContent = t({ one: 'resent once, at {last}', other: 'resent {count} times, last at {last}' }, { count: row.count - 1, last: clockTime(row.last) });
    note.setAttribute('title', `${dateTime(row.first)} – ${dateTime(row.last)}`);
    row.li.dataset.resent = String(row.count - 1);
    return true;
  };

  /** @param {Event} e */
  const onEvent = (e) => add(/** @type {CustomEvent} */ (e).detail, true);
  stream.addEventListener('event', onEvent);
  const nameEntries = () => {
    for (const li of /** @type {NodeListOf<HTMLLIElement>} */ (list.querySelectorAll('li[data-unnamed]'))) {
      const id = li.dataset.unnamed ?? '';
      const label = fleet.label(id);
      if (label === id) continue;
      const who = li.querySelector('.feed-who');
      if (who) who.textContent = label;
      delete li.dataset.unnamed;
    }
    for (const li of /** @type {NodeListOf<HTMLLIElement>} */ (list.querySelectorAll('li[data-name-then]'))) hover(li);
  };
  fleet.addEventListener('change', nameEntries);
  filter.addEventListener('change', () => {
    for (const li of /** @type {NodeListOf<HTMLLIElement>} */ (list.querySelectorAll(':scope > li'))) li.hidden = hiddenBy(li, filter.value);
    showEmpty();
  });

  // What happened before the page opened, a page at a time: what the mesh said (records) and what
  // the hub sent (messages), merged newest first; the newest 30 of each, then older on request.
  const older = h('button', { type: 'button', class: 'feed-older', hidden: true }, t('Show older'));
  list.after(older);
  /** @typedef {{ topic: string, type: string, ts: number, data: any }} FeedEvent */
  /** @typedef {{ path: string, toEvent: (item: any) => FeedEvent | null, buffer: FeedEvent[], cursor: string | null, done: boolean }} HistorySource */
  /** @type {HistorySource[]} */
  const sources = [
    { path: '/api/v1/records', toEvent: recordEvent, buffer: [], cursor: null, done: false },
    { path: '/api/v1/messages', toEvent: messageEvent, buffer: [], cursor: null, done: false },
  ];
  /** @param {HistorySource} source */
  const fetchPage = (source) =>
    api.get(`${source.path}?limit=${HISTORY_PAGE}${source.cursor ? `&cursor=${encodeURIComponent(source.cursor)}` : ''}`).then(
      (/** @type {any} */ page) => {
        for (const item of page?.items ?? []) {
          const event = item ? source.toEvent(item) : null;
          if (event) source.buffer.push(event);
        }
        source.cursor = typeof page?.nextCursor === 'string' ? page.nextCursor : null;
        source.done = source.cursor === null;
      },
      () => {
        source.done = true;
      },
    );
  const loadOlder = () => {
    older.disabled = true;
    Promise.all(sources.filter((s) => !s.done && s.buffer.length === 0).map(fetchPage)).then(() => {
      // Newest first, as far back as every source that has more to give is known.
      for (;;) {
        if (sources.some((s) => !s.done && s.buffer.length === 0)) break;
        const next = sources.filter((s) => s.buffer.length > 0).sort((a, b) => b.buffer[0].ts - a.buffer[0].ts)[0];
        if (!next) break;
        add(/** @type {FeedEvent} */ (next.buffer.shift()), false);
      }
      older.hidden = sources.every((s) => s.done && s.buffer.length === 0) || list.childElementCount >= MAX_ENTRIES;
      older.disabled = false;
      showEmpty();
    });
  };
  older.addEventListener('click', loadOlder);
  loadOlder();

  return {
    id: 'feed',
    title: t('Live feed'),
    el,
    destroy() {
      stream.removeEventListener('event', onEvent);
      fleet.removeEventListener('change', nameEntries);
      fleet.removeEventListener('change', renderPinned);
      alerts.removeEventListener('change', renderPinned);
      replace(list);
    },
  };
}

/**
 * A one-line description of an event: who, what kind, what happened.
 * @param {{ topic: string, type: string, data: any }} event
 * @param {import('../fleet-store.js').FleetStore} fleet
 * @returns {{ kind: string, who: string, what: string, tone?: 'good' | 'bad' | 'alert' }}
 */
export function describe(event, fleet) {
  const d = event.data ?? {};
  const nodeId = nodeOf(d);
  const who = nameThen(event) ?? (nodeId ? fleet.label(nodeId) : '');
  const body = d.data ?? {};
  switch (event.type) {
    case HUB_EVENT.MESH_TEXT:
      return { kind: t('Text'), who, what: `“${String(body.text ?? d.text ?? '')}”${hops(d)}` };
    case HUB_EVENT.MESH_POSITION: {
      const p = positionOf(body);
      // A node without an altitude (a 2D fix) sends 0, protobuf's "not set": shown as none, not as sea level.
      const altitude = typeof p?.altitudeM === 'number' && p.altitudeM !== 0 ? `, ${Math.round(p.altitudeM)} m` : '';
      return { kind: t('Position'), who, what: p ? `${coordinates(p.latitude, p.longitude)}${altitude}` : t('position without a fix') };
    }
    case HUB_EVENT.MESH_TELEMETRY: {
      const parts = [];
      const level = batteryReading(body);
      if (level !== null) parts.push(t('battery {value}', { value: battery(level) }));
      if (typeof body.voltage === 'number' && body.voltage > 0) parts.push(`${formatNumber(body.voltage, { minimumFractionDigits: 2, maximumFractionDigits: 2 })} V`);
      if (typeof body.channelUtilization === 'number') parts.push(t('channel {value} % busy', { value: number(body.channelUtilization) }));
      return { kind: t('Telemetry'), who, what: parts.join(', ') || t('telemetry') };
    }
    case HUB_EVENT.MESH_ALERT:
      // A node's module answering by itself (Alert.automatic) says the node is on the air, not that anyone is safe: no green "Safe".
      if (body.level === 'SAFE' && body.automatic === true) return { kind: t('Automatic answer'), who, what: t('no person confirmed') };
      // "I am safe" is good news, not an alarm.
      return { kind: alertLevel(body.level), who, what: String(body.text ?? ''), tone: body.level === 'SAFE' ? 'good' : 'alert' };
    case HUB_EVENT.MESH_DIRECT:
      return { kind: t('Direct message'), who, what: t('end-to-end encrypted') };
    case HUB_EVENT.MESH_TRACEROUTE:
      return { kind: t('Traceroute'), who, what: Array.isArray(body.route) ? t({ one: '{count} hop', other: '{count} hops' }, { count: body.route.length + 1 }) : '' };
    case HUB_EVENT.MESH_INFO:
      return { kind: t('Node info'), who, what: [body.longName, body.hwModel, typeof body.role === 'string' && body.role ? nodeRole(body.role) : null].filter((x) => typeof x === 'string' && x).join(' · ') };
    case HUB_EVENT.MESH_NEIGHBORS:
      return { kind: t('Neighbours'), who, what: Array.isArray(body.neighbors) ? t({ one: '{count} neighbour', other: '{count} neighbours' }, { count: body.neighbors.length }) : t('neighbour report') };
    case HUB_EVENT.MESH_ACK: {
      // An ack between two nodes says who took whose message, not that anything of ours was delivered.
      const from = typeof body.to === 'string' && body.to.startsWith('!') ? fleet.label(body.to) : null;
      if (body.error && body.error !== 'NONE') {
        const error = deliveryError(body.error);
        // A node telling itself (to = from): its own message failed on the way out (no route, retries used up).
        if (body.to === nodeId) return { kind: t('Ack'), who, what: t('could not send a message: {error}', { error }), tone: 'bad' };
        return { kind: t('Ack'), who, what: from ? t('could not take a message from {node}: {error}', { node: from, error }) : t('failed: {error}', { error }), tone: 'bad' };
      }
      return { kind: t('Ack'), who, what: from ? t('received a message from {node}', { node: from }) : t('received a message') };
    }
    case HUB_EVENT.NODE_ONLINE:
      return { kind: t('Online'), who, what: t('came online'), tone: 'good' };
    case HUB_EVENT.NODE_OFFLINE:
      return { kind: t('Offline'), who, what: t('went offline'), tone: 'bad' };
    case HUB_EVENT.NODE_CLAIMED:
      return { kind: t('Claimed'), who, what: d.kind === 'gateway' ? t('the gateway joined the fleet') : t('the node joined the fleet') };
    case HUB_EVENT.NODE_UPDATED:
      return { kind: t('Updated'), who, what: t('node details changed') };
    case HUB_EVENT.NODE_FORGOTTEN:
      return { kind: t('Forgotten'), who, what: t('heard, never claimed, least recently heard: left out to keep the fleet within its bound') };
    case HUB_EVENT.GATEWAY_DEADLETTER: {
      const gw = typeof d.gatewayId === 'string' ? fleet.label(d.gatewayId) : who;
      return { kind: t('Not delivered'), who: gw, what: t('the hub refused {topic} from {source}: {reason} ({count} set aside)', { topic: String(d.topic ?? '?'), source: String(d.source ?? '?'), reason: String(d.reason ?? ''), count: number(d.deadLetters) }), tone: 'bad' };
    }
    case HUB_EVENT.SENSOR_READING: {
      const sensor = String(d.sensorId ?? d.sensor ?? d.id ?? '');
      const at = typeof d.gatewayName === 'string' && d.gatewayName ? d.gatewayName : typeof d.gatewayId === 'string' ? fleet.label(d.gatewayId) : '';
      // As the Sensors screen says it: "nem: %67", "sıcaklık: 17,2 °C".
      const metric = String(d.metric ?? '');
      const value = typeof d.value === 'number' ? measurement(d.value, metric, { unit: typeof d.unit === 'string' ? d.unit : undefined, deviceClass: typeof d.deviceClass === 'string' ? d.deviceClass : undefined }) : String(d.raw ?? '');
      const reading = metric ? `${metricLabel(metric, typeof d.deviceClass === 'string' ? d.deviceClass : undefined)}: ${value}` : value;
      return { kind: t('Sensor'), who: sensor, what: at ? t('{reading} at {gateway}', { reading, gateway: at }) : reading };
    }
    case HUB_EVENT.SENSOR_AVAILABILITY: {
      const sensor = String(d.sensorId ?? '');
      const offline = d.state === 'offline';
      return { kind: offline ? t('Offline') : t('Online'), who: sensor, what: offline ? t('went offline') : t('came online'), tone: offline ? 'bad' : 'good' };
    }
    case HUB_EVENT.ALERT_RAISED:
      return { kind: t('{level} raised', { level: alertLevel(d.level) }), who, what: String(d.text ?? ''), tone: 'alert' };
    case HUB_EVENT.ALERT_ACKNOWLEDGED:
      return { kind: t('Acknowledged'), who, what: actedBy(d, 'acknowledged', fleet) ? t('{level} by {name}', { level: alertLevel(d.level), name: actedBy(d, 'acknowledged', fleet) }) : alertLevel(d.level) };
    case HUB_EVENT.ALERT_RESOLVED:
      return { kind: t('Resolved'), who, what: actedBy(d, 'resolved', fleet) ? t('{level} by {name}', { level: alertLevel(d.level), name: actedBy(d, 'resolved', fleet) }) : alertLevel(d.level), tone: 'good' };
    case HUB_EVENT.MESSAGE_STATUS: {
      const to = d.to === 'broadcast' ? t('everyone') : typeof d.toName === 'string' && d.toName ? d.toName : typeof d.to === 'string' ? fleet.display(d.to) : '';
      const status = deliveryStatus(d.status);
      return { kind: d.kind === 'alert' ? alertLevel(d.level) : t('Message'), who: to ? t('to {name}', { name: to }) : '', what: d.error ? (d.text ? t('{status}: “{text}” ({error})', { status, text: String(d.text), error: deliveryError(d.error) }) : t('failed: {error}', { error: deliveryError(d.error) })) : d.text ? t('{status}: “{text}”', { status, text: String(d.text) }) : status, tone: d.status === 'failed' ? 'bad' : d.status === 'delivered' ? 'good' : undefined };
    }
    case HUB_EVENT.SWITCH_STATUS: {
      const gw = typeof d.gatewayId === 'string' ? fleet.label(d.gatewayId) : '';
      const requested = typeof d.channel === 'number' ? t('{state} on channel {channel}', { state: String(d.requested ?? ''), channel: d.channel }) : String(d.requested ?? '');
      const outcome = d.status === 'confirmed' ? t('confirmed {state}', { state: String(d.state ?? d.requested ?? '') }) : deliveryStatus(d.status);
      return {
        kind: t('Switch'),
        who: gw ? t('{sensor} at {gateway}', { sensor: String(d.sensor ?? ''), gateway: gw }) : String(d.sensor ?? ''),
        what: d.error ? t('{requested}: {outcome} ({error})', { requested, outcome, error: deliveryError(d.error) }) : t('{requested}: {outcome}', { requested, outcome }),
        tone: d.status === 'confirmed' ? 'good' : d.status === 'refused' || d.status === 'unconfirmed' ? 'bad' : undefined,
      };
    }
    default:
      return { kind: t('Event'), who, what: '' };
  }
}

/** A stored mesh record as the event it was raised as. @param {any} record */
function recordEvent(record) {
  if (typeof record.kind !== 'string') return null;
  const type = `mesh.${record.kind}`;
  const ts = Date.parse(record.time);
  return { topic: HUB_EVENT_TOPIC[/** @type {import('../hub-events.js').HubEventType} */ (type)] ?? 'mesh', type, ts: Number.isFinite(ts) ? ts : Date.now(), data: record };
}

/** A message the hub sent, as its latest status event. @param {any} message */
function messageEvent(message) {
  if (typeof message.id !== 'string') return null;
  // Created-at, the order the hub pages messages in (the merge relies on it).
  const ts = Date.parse(message.createdAt);
  return { topic: HUB_EVENT_TOPIC[HUB_EVENT.MESSAGE_STATUS], type: HUB_EVENT.MESSAGE_STATUS, ts: Number.isFinite(ts) ? ts : Date.now(), data: message };
}

/** A row's time: the time of day, the date too on hover. @param {number} ts */
const timeOf = (ts) => h('time', { datetime: new Date(ts).toISOString(), title: dateTime(ts) }, clockTime(ts));

/** A folded row's note of its repeats (after what it says), made the first time. @param {HTMLLIElement} li */
function repeatsNote(li) {
  let note = li.querySelector('.feed-repeats');
  if (!note) {
    note = h('span', { class: 'feed-repeats' });
    li.querySelector('.feed-what')?.append(note);
  }
  return note;
}

/**
 * The call an alert record is a copy of: its node, level, whether it answered by itself, and the
 * request id it carries; null without a request id.
 * @param {{ data: any }} event
 */
function callOf(event) {
  const d = event.data ?? {};
  const body = d.data ?? {};
  const nodeId = nodeOf(d);
  const request = body.requestId;
  return nodeId && Number.isInteger(request) && request > 0 ? JSON.stringify([nodeId, String(body.level ?? ''), body.automatic === true, request]) : null;
}

/** The node an event is about: a record's or alert's sender, a node event's node. @param {any} d */
function nodeOf(d) {
  return typeof d.nodeId === 'string' ? d.nodeId : typeof d.id === 'string' && d.id.startsWith('!') ? d.id : null;
}

/**
 * The node's name as the event recorded it (mesh and alert events carry `nodeName`, node events
 * the node itself), or null when it was not known then.
 * @param {{ topic: string, data: any }} event
 */
function nameThen(event) {
  const d = event.data ?? {};
  if (typeof d.nodeName === 'string' && d.nodeName) return d.nodeName;
  if (event.topic === 'nodes' && typeof d.name === 'string' && d.name) return d.name;
  return null;
}

/**
 * Who acknowledged or resolved, as people know them: the name the hub recorded with the stage, a
 * node's name for a node, never an account id.
 * @param {any} d
 * @param {'acknowledged' | 'resolved'} stage
 * @param {import('../fleet-store.js').FleetStore} fleet
 */
function actedBy(d, stage, fleet) {
  const s = Array.isArray(d.stages) ? d.stages.find((/** @type {any} */ x) => x?.stage === stage) : null;
  const raw = s?.by ?? (stage === 'acknowledged' ? d.acknowledgedBy : d.resolvedBy) ?? null;
  if (typeof raw !== 'string' || !raw) return null;
  if (/^!?[0-9a-f]{8}$/i.test(raw)) return fleet.display(raw.startsWith('!') ? raw : `!${raw}`);
  return /^(user|apiKey):/.test(raw) ? t('a team member') : raw;
}

/** @param {any} record */
function hops(record) {
  const r = Array.isArray(record.receptions) ? record.receptions : [];
  if (r.length === 0) return '';
  return t({ one: ' · via {count} gateway', other: ' · via {count} gateways' }, { count: r.length });
}
