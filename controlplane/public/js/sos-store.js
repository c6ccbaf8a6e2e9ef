// Alerts as the page knows them (AlertBook), and the org's unresolved SOS and alerts (OpenAlerts:
// open or acknowledged, help is not there yet), shared by the screens that must show them at once:
// the map (a pulsing marker), the feed (pinned on top), the alarm (sound, notification) and the
// Alerts screen's badge. Loaded from /api/v1/alerts, then kept current from alert.* events.

import { HUB_EVENT, HUB_EVENT_TOPIC } from './hub-events.js';
import { LoadReplay } from './load-replay.js';

/**
 * @typedef {import('./views/alerts-view.js').Alert} Alert
 * @typedef {import('./event-stream.js').HubEvent} HubEvent
 */

/** The hub only moves an alert forward (open -> acknowledged -> resolved, never back). */
const STATE_RANK = /** @type {Record<string, number>} */ ({ open: 0, acknowledged: 1, resolved: 2 });

/** @param {any} a @returns {a is Alert} */
export function hasAlertId(a) {
  return Boolean(a) && (typeof a.id === 'number' || (typeof a.id === 'string' && a.id !== ''));
}

/**
 * What the page knows of an alert after hearing `incoming`: whichever of the two has got further
 * wins, so an answer older than an event (or an event replayed over a newer answer) never takes an
 * alert back to an earlier state.
 * @param {Alert | undefined} known
 * @param {Alert} incoming
 * @returns {Alert}
 */
export function mergeAlert(known, incoming) {
  if (!known) return incoming;
  const ahead = (STATE_RANK[incoming.state] ?? 0) >= (STATE_RANK[known.state] ?? 0);
  const [base, top] = ahead ? [known, incoming] : [incoming, known];
  // What one of them has not heard of yet (the node's name, a note) is filled in from the other.
  const out = /** @type {Record<string, unknown>} */ ({ ...base });
  for (const [k, v] of Object.entries(top)) if (v !== null && v !== undefined) out[k] = v;
  return /** @type {Alert} */ (out);
}

/**
 * The alert an alert.* event carries, in the state its type says; null for one that names none.
 * @param {HubEvent} event
 * @returns {Alert | null}
 */
export function alertOfEvent(event) {
  if (HUB_EVENT_TOPIC[event.type] !== 'alerts') return null;
  const d = event.data;
  if (!hasAlertId(d)) return null;
  const byType = event.type === HUB_EVENT.ALERT_RAISED ? 'open' : event.type === HUB_EVENT.ALERT_ACKNOWLEDGED ? 'acknowledged' : event.type === HUB_EVENT.ALERT_RESOLVED ? 'resolved' : d.state;
  // An SOS that ended unheard is raised already resolved: the further of the two.
  const state = (STATE_RANK[d.state] ?? -1) > (STATE_RANK[byType] ?? -1) ? d.state : byType;
  return { ...d, state };
}

/**
 * Alerts from a snapshot of /api/v1/alerts kept current from events. A snapshot can be older than
 * events that arrived while it was on its way: those are re-applied on top of it (load-replay.js,
 * as for the fleet), and with mergeAlert the result is the same whichever came first. 'change' carries the id
 * of an alert first heard of just now (raised), else null.
 */
export class AlertBook extends EventTarget {
  /** Every alert heard of since the last snapshot, resolved ones too (so nothing stale reopens them). @type {Map<string, Alert>} */
  alerts = new Map();
  /** Whether a snapshot has come in: before that, a node without an alert may yet have one. */
  loaded = false;
  /** Per load in flight: what was heard of alerts since it was asked for (events, answers to actions). @type {LoadReplay<Alert>} */
  #replay = new LoadReplay();
  #seq = 0;

  /** @param {import('./api-client.js').ApiClient} api */
  constructor(api) {
    super();
    this.api = api;
  }

  /**
   * Replaces what is known with the hub's answers to these /api/v1/alerts queries, plus the events
   * heard meanwhile. When a later load starts before this one answers, the later one wins.
   * @param {string[]} queries
   */
  async load(queries) {
    const seq = ++this.#seq;
    const during = this.#replay.begin();
    let pages;
    try {
      pages = await Promise.all(queries.map((q) => this.api.get(`/api/v1/alerts?${q}`)));
    } finally {
      this.#replay.end(during);
    }
    if (seq !== this.#seq) return;
    /** @type {Map<string, Alert>} */
    const next = new Map();
    for (const page of pages) {
      for (const a of page?.items ?? []) if (hasAlertId(a)) next.set(String(a.id), mergeAlert(next.get(String(a.id)), a));
    }
    this.alerts = next;
    this.loaded = true;
    // Already announced when they arrived: replayed quietly.
    for (const a of during) this.#take(a);
    this.#changed(null);
  }

  /** @param {string} id */
  get(id) {
    return this.alerts.get(String(id));
  }

  /** @param {HubEvent} event */
  apply(event) {
    const a = alertOfEvent(event);
    if (!a) return;
    this.#replay.record(a);
    const fresh = this.#take(a) && event.type === HUB_EVENT.ALERT_RAISED;
    this.#changed(fresh ? String(a.id) : null);
  }

  /**
   * An alert as the hub answered an action on it (acknowledge, resolve).
   * @param {Alert} a
   */
  put(a) {
    if (!hasAlertId(a)) return;
    this.#replay.record(a);
    this.#take(a);
    this.#changed(null);
  }

  /**
   * @param {Alert | null} a
   * @returns {boolean} whether the alert was new to the book
   */
  #take(a) {
    if (!a) return false;
    const key = String(a.id);
    const known = this.alerts.get(key);
    this.alerts.set(key, mergeAlert(known, a));
    return !known;
  }

  /** @param {string | null} raised a newly raised alert's id */
  #changed(raised) {
    this.dispatchEvent(new CustomEvent('change', { detail: { raised } }));
  }
}

const UNRESOLVED = ['state=open&limit=200', 'state=acknowledged&limit=200'];

export class OpenAlerts extends AlertBook {
  /** @type {Promise<void> | null} */
  #loading = null;

  /**
   * One load at a time: one in flight already answers with everything up to now, since what
   * happens while it is on its way is replayed on top of it.
   */
  load() {
    this.#loading ??= super.load(UNRESOLVED).finally(() => {
      this.#loading = null;
    });
    return this.#loading;
  }

  /** The unresolved ones by id. @type {Map<string, Alert>} */
  get open() {
    return new Map([...this.alerts].filter(([, a]) => a.state !== 'resolved'));
  }

  /** Open alerts (not yet acknowledged): what the Alerts badge counts. */
  openCount() {
    let n = 0;
    for (const a of this.alerts.values()) if (a.state === 'open') n++;
    return n;
  }

  /** Open SOS first, newest first. */
  list() {
    return [...this.alerts.values()]
      .filter((a) => a.state !== 'resolved')
      .sort((a, b) => Number(b.level === 'SOS') - Number(a.level === 'SOS') || String(b.raisedAt).localeCompare(String(a.raisedAt)));
  }

  /**
   * A node's unresolved SOS: one nobody has acknowledged yet before an acknowledged one (a node
   * can have two open at once, an older one having arrived late), newest first.
   * @param {string} nodeId
   */
  sosOf(nodeId) {
    const mine = this.sosListOf(nodeId);
    return mine.find((a) => a.state === 'open') ?? mine[0] ?? null;
  }

  /** All of a node's unresolved SOS, newest first. @param {string} nodeId */
  sosListOf(nodeId) {
    return this.list().filter((a) => a.nodeId === nodeId && a.level === 'SOS');
  }
}
