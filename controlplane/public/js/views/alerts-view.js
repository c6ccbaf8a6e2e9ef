// Alerts: SOS and other alerts heard from the mesh, open ones first and highlighted, with
// Acknowledge and Resolve; live from alert.* events. The navigation badge counts open alerts.
// An SOS card lists its stages with times (heard by a gateway, at the hub, acknowledged by whom,
// resolved): the same stages the node shows on its LED and in `unibos status`.

import { ApiError } from '../api-client.js';
import { h, replace } from '../dom.js';
import { coordinates, dateTime, relativeTime } from '../format.js';
import { positionOf } from '../fleet-store.js';
import { HUB_EVENT, HUB_EVENT_TOPIC } from '../hub-events.js';

/**
 * @typedef {{ id: number | string, nodeId: string, nodeName?: string | null, level: string, text: string, position?: unknown,
 *   state: 'open' | 'acknowledged' | 'resolved', raisedAt: string, acknowledgedAt?: string | null, acknowledgedBy?: string | null,
 *   resolvedAt?: string | null, resolvedBy?: string | null, acknowledgedNote?: string | null, resolvedNote?: string | null,
 *   stages?: Array<{ stage: string, at: string, by?: string | null }> }} Alert
 */

const STATE_ORDER = { open: 0, acknowledged: 1, resolved: 2 };
const STATE_LABEL = { open: 'Open', acknowledged: 'Acknowledged', resolved: 'Resolved' };
/** @type {Record<string, string>} */
const STAGE_LABEL = { sent: 'Sent', gateway: 'Taken by a gateway', hub: 'Received by the hub', acknowledged: 'Acknowledged', resolved: 'Resolved' };

/**
 * @param {import('../shell.js').AppContext} ctx
 * @returns {import('../shell.js').View}
 */
export function createAlertsView(ctx) {
  const { api, stream, fleet } = ctx;
  const filter = h('select', { id: 'alerts-filter' }, h('option', { value: '' }, 'All'), h('option', { value: 'open' }, 'Open'), h('option', { value: 'acknowledged' }, 'Acknowledged'), h('option', { value: 'resolved' }, 'Resolved'));
  const list = h('ul', { class: 'alerts', 'aria-label': 'Alerts' });
  const empty = h('p', { class: 'empty', hidden: true });
  const summary = h('p', { class: 'summary', 'aria-live': 'polite' });
  const el = h(
    'section',
    { class: 'view', 'aria-labelledby': 'alerts-title' },
    h('div', { class: 'view-head' }, h('h1', { id: 'alerts-title' }, 'Alerts'), summary),
    h('div', { class: 'toolbar' }, h('label', { for: 'alerts-filter' }, 'Show'), filter),
    empty,
    list,
  );

  /** @type {Map<string, Alert>} */
  const alerts = new Map();
  /** Open alert ids, whatever the filter shows: the navigation badge. */
  const openIds = new Set();
  let loadSeq = 0;

  const updateBadge = () => {
    ctx.setBadge('alerts', openIds.size);
    summary.textContent = openIds.size === 0 ? 'No open alerts' : `${openIds.size} open`;
  };

  /**
   * @param {Alert} a
   * @param {'acknowledge' | 'resolve'} action
   * @param {HTMLButtonElement} button
   */
  const act = async (a, action, button) => {
    button.disabled = true;
    try {
      const updated = await api.post(`/api/v1/alerts/${encodeURIComponent(a.id)}/${action}`);
      if (updated && hasId(updated)) upsert(updated, false);
      // The card was redrawn: keep keyboard focus on it.
      const item = list.querySelector(`li[data-alert-id="${CSS.escape(String(a.id))}"]`);
      /** @type {HTMLElement | null} */ (item?.querySelector('button') ?? item?.querySelector('article') ?? null)?.focus();
    } catch (err) {
      button.disabled = false;
      ctx.notify(err instanceof ApiError && err.code === 'E_FORBIDDEN' ? 'Your role may not handle alerts.' : `Could not ${action}: ${err instanceof Error ? err.message : String(err)}`, 'error');
    }
  };

  /** @param {Alert} a */
  const itemFor = (a) => {
    const who = a.nodeName || fleet.label(a.nodeId);
    const pos = positionOf(a.position);
    const canAct = ctx.can('alerts');
    const actions = h('div', { class: 'alert-actions' });
    if (a.state === 'open') {
      const ack = h('button', { type: 'button', 'aria-label': `Acknowledge ${a.level} from ${who}`, disabled: !canAct }, 'Acknowledge');
      ack.addEventListener('click', () => void act(a, 'acknowledge', ack));
      actions.append(ack);
    }
    if (a.state !== 'resolved') {
      const resolve = h('button', { type: 'button', class: a.state === 'acknowledged' ? 'primary' : '', 'aria-label': `Resolve ${a.level} from ${who}`, disabled: !canAct }, 'Resolve');
      resolve.addEventListener('click', () => void act(a, 'resolve', resolve));
      actions.append(resolve);
    }
    const history = [
      `Raised ${relativeTime(a.raisedAt)}`,
      a.acknowledgedAt ? `acknowledged ${relativeTime(a.acknowledgedAt)}${a.acknowledgedBy ? ` by ${a.acknowledgedBy}` : ''}` : null,
      a.resolvedAt ? `resolved ${relativeTime(a.resolvedAt)}${a.resolvedBy ? ` by ${a.resolvedBy}` : ''}` : null,
    ].filter(Boolean);
    const level = String(a.level || 'ALERT');
    return h(
      'li',
      { class: `alert-card alert-card--${a.state} ${level === 'SOS' ? 'is-sos' : ''}`, dataset: { alertId: String(a.id), state: a.state } },
      h(
        'article',
        { tabindex: '-1', 'aria-label': `${level} from ${who}, ${STATE_LABEL[a.state] ?? a.state}` },
        h('div', { class: 'alert-head' }, h('span', { class: 'alert-level' }, level), h('strong', { class: 'alert-who' }, who), h('span', { class: `badge badge--${a.state}` }, STATE_LABEL[a.state] ?? a.state)),
        a.text ? h('p', { class: 'alert-text' }, a.text) : null,
        stagesFor(a),
        a.acknowledgedNote ? h('p', { class: 'alert-note' }, `Note: ${a.acknowledgedNote}`) : null,
        a.resolvedNote ? h('p', { class: 'alert-note' }, `Closed: ${a.resolvedNote}`) : null,
        h(
          'p',
          { class: 'alert-meta' },
          h('time', { datetime: a.raisedAt, title: dateTime(a.raisedAt) }, history.join(', ')),
          pos ? ` · ${coordinates(pos.latitude, pos.longitude)}` : '',
          ` · ${a.nodeId}`,
        ),
        actions,
      ),
    );
  };

  const render = () => {
    const want = filter.value;
    const shown = [...alerts.values()]
      .filter((a) => !want || a.state === want)
      .sort((a, b) => (STATE_ORDER[a.state] ?? 3) - (STATE_ORDER[b.state] ?? 3) || String(b.raisedAt).localeCompare(String(a.raisedAt)));
    replace(list, shown.map(itemFor));
    empty.hidden = shown.length > 0;
    empty.textContent = want ? `No ${STATE_LABEL[/** @type {keyof typeof STATE_LABEL} */ (want)]?.toLowerCase() ?? want} alerts.` : 'No alerts. SOS and alerts from the mesh appear here.';
  };

  /**
   * @param {Alert} a
   * @param {boolean} fresh a newly raised alert: announce it
   */
  const upsert = (a, fresh) => {
    const key = String(a.id);
    const merged = /** @type {Alert} */ ({ ...(alerts.get(key) ?? {}), ...a });
    alerts.set(key, merged);
    if (merged.state === 'open') openIds.add(key);
    else {
      openIds.delete(key);
      ctx.dismiss(`alert:${key}`);
    }
    updateBadge();
    render();
    if (fresh) {
      const item = list.querySelector(`li[data-alert-id="${CSS.escape(key)}"]`);
      item?.classList.add('is-new');
      ctx.notify(`${merged.level || 'Alert'} from ${merged.nodeName || fleet.label(merged.nodeId)}${merged.text ? `: ${merged.text}` : ''}`, 'alert', `alert:${key}`);
    }
  };

  const load = async () => {
    const seq = ++loadSeq;
    const state = filter.value;
    try {
      const [page, open] = await Promise.all([
        api.get(`/api/v1/alerts?${new URLSearchParams({ limit: '200', ...(state ? { state } : {}) })}`),
        api.get('/api/v1/alerts?state=open&limit=200'),
      ]);
      if (seq !== loadSeq) return;
      alerts.clear();
      for (const a of page?.items ?? []) if (hasId(a)) alerts.set(String(a.id), a);
      openIds.clear();
      for (const a of open?.items ?? []) if (hasId(a)) openIds.add(String(a.id));
      updateBadge();
      render();
    } catch (err) {
      ctx.notify(`Could not load alerts: ${err instanceof Error ? err.message : String(err)}`, 'error');
    }
  };

  /** @param {Event} e */
  const onEvent = (e) => {
    const event = /** @type {CustomEvent<import('../event-stream.js').HubEvent>} */ (e).detail;
    if (HUB_EVENT_TOPIC[event.type] !== 'alerts') return;
    const d = event.data ?? {};
    if (!hasId(d)) {
      void load();
      return;
    }
    const state = event.type === HUB_EVENT.ALERT_RAISED ? 'open' : event.type === HUB_EVENT.ALERT_ACKNOWLEDGED ? 'acknowledged' : event.type === HUB_EVENT.ALERT_RESOLVED ? 'resolved' : d.state;
    upsert({ ...d, state: d.state ?? state }, event.type === HUB_EVENT.ALERT_RAISED && !alerts.has(String(d.id)));
  };
  stream.addEventListener('event', onEvent);
  filter.addEventListener('change', () => void load());
  // The badge counts open alerts from the start, before the screen is first shown.
  void load();

  // Relative times age while the page is open.
  const ticker = setInterval(() => {
    if (!el.hidden && !list.contains(document.activeElement)) render();
  }, 30_000);

  return {
    id: 'alerts',
    title: 'Alerts',
    el,
    show() {
      void load();
    },
    permissionsChanged: render,
    destroy() {
      clearInterval(ticker);
      stream.removeEventListener('event', onEvent);
    },
  };
}

/**
 * The SOS's stages, oldest first, each with its time (and who, for acknowledged and resolved).
 * @param {Alert} a
 */
function stagesFor(a) {
  if (!Array.isArray(a.stages) || a.stages.length === 0) return null;
  return h(
    'ol',
    { class: 'alert-stages', 'aria-label': 'Stages' },
    ...a.stages.map((s) =>
      h(
        'li',
        { class: `alert-stage alert-stage--${s.stage}`, dataset: { stage: s.stage } },
        `${STAGE_LABEL[s.stage] ?? s.stage} `,
        h('time', { datetime: s.at, title: dateTime(s.at) }, timeOfDay(s.at)),
        s.by ? ` by ${s.by}` : '',
      ),
    ),
  );
}

/** @param {string} iso */
function timeOfDay(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** @param {any} a @returns {a is Alert} */
function hasId(a) {
  return Boolean(a) && (typeof a.id === 'number' || (typeof a.id === 'string' && a.id !== ''));
}
