// The org's unresolved SOS and alerts (open or acknowledged: help is not there yet), shared by the screens that must show them at once:
// the map (a pulsing marker), the feed (pinned on top) and the alarm (sound, notification).
// Loaded from /api/v1/alerts, then kept current from alert.* events.

import { HUB_EVENT, HUB_EVENT_TOPIC } from './hub-events.js';

/**
 * @typedef {import('./views/alerts-view.js').Alert} Alert
 */

export class OpenAlerts extends EventTarget {
  /** @type {Map<string, Alert>} */
  open = new Map();

  /** @param {import('./api-client.js').ApiClient} api */
  constructor(api) {
    super();
    this.api = api;
  }

  async load() {
    const [open, acknowledged] = await Promise.all([this.api.get('/api/v1/alerts?state=open&limit=200'), this.api.get('/api/v1/alerts?state=acknowledged&limit=200')]);
    this.open.clear();
    for (const a of [...(open?.items ?? []), ...(acknowledged?.items ?? [])]) if (a && a.id !== undefined) this.open.set(String(a.id), a);
    this.#changed(null);
  }

  /** Open SOS first, newest first. */
  list() {
    return [...this.open.values()].sort((a, b) => Number(b.level === 'SOS') - Number(a.level === 'SOS') || String(b.raisedAt).localeCompare(String(a.raisedAt)));
  }

  /** @param {string} nodeId */
  sosOf(nodeId) {
    return this.list().find((a) => a.nodeId === nodeId && a.level === 'SOS') ?? null;
  }

  /** @param {import('./event-stream.js').HubEvent} event */
  apply(event) {
    if (HUB_EVENT_TOPIC[event.type] !== 'alerts') return;
    const a = event.data;
    if (!a || a.id === undefined) return;
    const key = String(a.id);
    const fresh = event.type === HUB_EVENT.ALERT_RAISED && !this.open.has(key);
    if (event.type === HUB_EVENT.ALERT_RAISED) this.open.set(key, { ...(this.open.get(key) ?? {}), ...a, state: 'open' });
    else if (event.type === HUB_EVENT.ALERT_ACKNOWLEDGED) this.open.set(key, { ...(this.open.get(key) ?? {}), ...a, state: 'acknowledged' });
    else this.open.delete(key);
    this.#changed(fresh ? key : null);
  }

  /** @param {string | null} raised a newly raised alert's id */
  #changed(raised) {
    this.dispatchEvent(new CustomEvent('change', { detail: { raised } }));
  }
}
