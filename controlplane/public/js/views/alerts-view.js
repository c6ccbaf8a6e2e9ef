// Alerts: SOS and other alerts heard from the mesh, open ones first and highlighted, with
// Acknowledge (with an optional note that travels to the node) and Resolve; live from alert.*
// events. The list is the hub's snapshot with the events that arrived while it loaded re-applied
// on top (AlertBook), so an alert raised or handled meanwhile is neither lost nor undone; the
// navigation badge and the banners follow the shared OpenAlerts store, as the siren and the map
// do. An SOS card says where: a link that opens the map centred on it, distance and bearing from
// the nearest gateway, how old the position is and how precise, and its stages with times (taken
// by a gateway, at the hub, acknowledged by whom, resolved): the same stages the node shows on its
// LED and in `unibos status`.

import { ApiError } from '../api-client.js';
import { ask } from '../ask.js';
import { h, replaceRows, sameControl } from '../dom.js';
import { alertLevel, alertRefusal, bearing, coordinates, dateTime, distance, distanceAndBearing, relativeTime, sendRefusal, timeOfDay } from '../format.js';
import { positionOf } from '../fleet-store.js';
import { HUB_EVENT_TOPIC } from '../hub-events.js';
import { t } from '../i18n.js';
import { MESH_TEXT_MAX_BYTES, utf8Bytes } from '../text-limits.js';
import { AlertBook, hasAlertId } from '../sos-store.js';

/**
 * @typedef {{ id: number | string, nodeId: string, nodeName?: string | null, level: string, text: string, position?: unknown,
 *   state: 'open' | 'acknowledged' | 'resolved', raisedAt: string, acknowledgedAt?: string | null, acknowledgedBy?: string | null,
 *   resolvedAt?: string | null, resolvedBy?: string | null, acknowledgedNote?: string | null, resolvedNote?: string | null,
 *   stages?: Array<{ stage: string, at: string, by?: string | null }> }} Alert
 */

const STATE_ORDER = { open: 0, acknowledged: 1, resolved: 2 };
const STATE_LABEL = () => ({ open: t('Open'), acknowledged: t('Acknowledged'), resolved: t('Resolved') });
/** @returns {Record<string, string>} */
const STAGE_LABEL = () => ({ sent: t('Sent'), gateway: t('Taken by a gateway'), hub: t('Received by the hub'), acknowledged: t('Acknowledged'), resolved: t('Resolved') });

/**
 * Who acted, as people know them: the stage's name (the hub fills it from the account), a node's
 * name for a node, never an account id.
 * @param {Alert} a
 * @param {'acknowledged' | 'resolved'} stage
 * @param {import('../fleet-store.js').FleetStore} fleet
 */
function actorOf(a, stage, fleet) {
  const s = (a.stages ?? []).find((x) => x.stage === stage);
  const raw = s?.by ?? (stage === 'acknowledged' ? a.acknowledgedBy : a.resolvedBy) ?? null;
  if (!raw) return null;
  if (/^!?[0-9a-f]{8}$/i.test(raw)) return fleet.display(raw.startsWith('!') ? raw : `!${raw}`);
  if (/^(user|apiKey):/.test(raw)) return t('a team member');
  return raw;
}

/**
 * Position precision the node reported (bits kept of 32) as metres, roughly half a cell.
 * @param {unknown} bits
 */
function accuracyM(bits) {
  if (typeof bits !== 'number' || bits <= 0 || bits > 32) return null;
  return Math.max(5, (2 ** (32 - bits) * 1e-7 * 111_320) / 2);
}

/**
 * @param {import('../shell.js').AppContext} ctx
 * @returns {import('../shell.js').View}
 */
export function createAlertsView(ctx) {
  const { api, stream, fleet, alerts: unresolved } = ctx;
  const SL = STATE_LABEL();
  const filter = h('select', { id: 'alerts-filter' }, h('option', { value: '' }, t('All')), h('option', { value: 'open' }, SL.open), h('option', { value: 'acknowledged' }, SL.acknowledged), h('option', { value: 'resolved' }, SL.resolved));
  const list = h('ul', { class: 'alerts', 'aria-label': t('Alerts') });
  const empty = h('p', { class: 'empty', hidden: true });
  const summary = h('p', { class: 'summary', 'aria-live': 'polite' });
  const el = h(
    'section',
    { class: 'view', 'aria-labelledby': 'alerts-title' },
    h('div', { class: 'view-head' }, h('h1', { id: 'alerts-title' }, t('Alerts')), summary),
    h('div', { class: 'toolbar' }, h('label', { for: 'alerts-filter' }, t('Show')), filter),
    empty,
    list,
  );

  /** The alerts the list shows (as the filter asked the hub for them, kept current from events). */
  const book = new AlertBook(api);
  /** Per alert: what its SOS frame said about the position (precision, fix time). @type {Map<string, any>} */
  const framePositions = new Map();

  // Open alerts, whatever the filter shows: counted from the store the banner, siren and map share.
  const updateBadge = () => {
    const open = unresolved.openCount();
    ctx.setBadge('alerts', open);
    // Acknowledged is not over: help is not there until it is resolved.
    const acknowledged = unresolved.list().filter((a) => a.state === 'acknowledged').length;
    const parts = [];
    if (open > 0) parts.push(t({ one: '{count} open', other: '{count} open' }, { count: open }));
    if (acknowledged > 0) parts.push(t({ one: '{count} acknowledged, not resolved', other: '{count} acknowledged, not resolved' }, { count: acknowledged }));
    summary.textContent = parts.length === 0 ? t('No open alerts') : parts.join(' · ');
  };

  /**
   * @param {Alert} a
   * @param {'acknowledge' | 'resolve'} action
   * @param {HTMLButtonElement} button
   * @param {Record<string, unknown>} [body]
   */
  const act = async (a, action, button, body) => {
    button.disabled = true;
    try {
      const updated = await api.post(`/api/v1/alerts/${encodeURIComponent(a.id)}/${action}`, body);
      if (hasAlertId(updated)) {
        unresolved.put(updated);
        book.put(updated);
      }
      // The note travels to the person as a text to their node (the stage itself carries only who).
      if (action === 'acknowledge' && typeof body?.note === 'string' && body.note) {
        api.post(`/api/v1/nodes/${encodeURIComponent(a.nodeId)}/messages`, { text: body.note }).then(
          () => ctx.notify(t('The note is on its way to {name}.', { name: a.nodeName || fleet.display(a.nodeId) }), 'info'),
          (err) => ctx.notify(t('The note could not be sent to the node: {error}', { error: sendRefusal(err, a.nodeName || fleet.display(a.nodeId)) }), 'error'),
        );
      }
      // The card was redrawn: keep keyboard focus on it.
      const item = list.querySelector(`li[data-alert-id="${CSS.escape(String(a.id))}"]`);
      /** @type {HTMLElement | null} */ (item?.querySelector('button') ?? item?.querySelector('article') ?? null)?.focus();
    } catch (err) {
      button.disabled = false;
      const what = alertRefusal(err);
      ctx.notify(err instanceof ApiError && err.code === 'E_FORBIDDEN' ? t('Your role may not handle alerts.') : action === 'acknowledge' ? t('Could not acknowledge: {error}', { error: what }) : t('Could not resolve: {error}', { error: what }), 'error');
    }
  };

  /**
   * A modal question about one card's alert: `content` above a confirming button and Cancel.
   * Alerts and fleet updates redraw the cards while it is open: the answer goes to the card's
   * button as drawn by then.
   * @param {HTMLButtonElement} button
   * @param {{ id: string, title: string, content: Node[], confirmLabel: string, focus?: HTMLElement }} q
   * @param {(target: HTMLButtonElement) => void} onConfirm
   */
  const askAbout = (button, q, onConfirm) =>
    void ask(q).then((ok) => {
      const target = /** @type {HTMLButtonElement} */ (sameControl(list, 'alert-id', button) ?? button);
      if (ok) onConfirm(target);
      else target.focus();
    });

  /**
   * Acknowledge asks for an optional note first: it goes to the node with the stage.
   * @param {Alert} a
   * @param {HTMLButtonElement} button
   */
  const acknowledgeWithNote = (a, button) => {
    const who = a.nodeName || fleet.display(a.nodeId);
    // The note goes to the node as a mesh text: counted in UTF-8 bytes, as the frame counts it, and
    // refused here when too long (the dialog stays open), not after the SOS was acknowledged.
    const note = h('textarea', { id: 'ack-note', rows: '3', 'aria-describedby': 'ack-note-hint ack-note-count' });
    const count = h('span', { id: 'ack-note-count', class: 'hint' });
    const countNote = () => {
      const used = utf8Bytes(note.value.trim());
      count.textContent = t('{count} of {max} bytes (letters like ü or ş take two)', { count: used, max: MESH_TEXT_MAX_BYTES });
      count.classList.toggle('is-over', used > MESH_TEXT_MAX_BYTES);
      note.setCustomValidity(used > MESH_TEXT_MAX_BYTES ? t('Too long for the mesh: {count} bytes, at most {max}. Nothing was sent.', { count: used, max: MESH_TEXT_MAX_BYTES }) : '');
    };
    note.addEventListener('input', countNote);
    countNote();
    const field = h('div', { class: 'field' }, h('label', { for: 'ack-note' }, t('Note for the person (optional)')), note, h('span', { id: 'ack-note-hint', class: 'hint' }, t('Sent to the node with the acknowledgement, e.g. “Team on the way, 15 min”.')), count);
    askAbout(button, { id: 'ack-title', title: t('Acknowledge the {level} from {name}', { level: alertLevel(a.level), name: who }), content: [field], confirmLabel: t('Acknowledge'), focus: note }, (target) =>
      void act(a, 'acknowledge', target, note.value.trim() ? { note: note.value.trim() } : {}),
    );
  };

  /**
   * Resolving closes the alert for everyone and tells the person's node: one tap next to
   * Acknowledge must not do it by mistake, so it asks first (Cancel has the focus).
   * @param {Alert} a
   * @param {HTMLButtonElement} button
   */
  const resolveAfterAsking = (a, button) => {
    const who = a.nodeName || fleet.display(a.nodeId);
    const why = a.level === 'SOS' ? t('Their node is told the SOS is closed. Resolve it once the person is safe or in your care.') : t('Their node is told the alert is closed.');
    askAbout(button, { id: 'resolve-title', title: t('Resolve the {level} from {name}?', { level: alertLevel(a.level), name: who }), content: [h('p', {}, why)], confirmLabel: t('Resolve') }, (target) => void act(a, 'resolve', target));
  };

  /**
   * Where the SOS is, as an operator needs it: on the map, from the nearest gateway, how old, how precise.
   * @param {Alert} a
   */
  const whereFor = (a) => {
    const fromAlert = positionOf(a.position);
    const node = fleet.get(a.nodeId);
    const pos = fromAlert ?? node?.position ?? null;
    if (!pos) return h('p', { class: 'alert-where alert-where--none' }, t('No position known yet: ask the person where they are.'));
    const frame = framePositions.get(String(a.id));
    const fixTime = (frame && typeof frame.time === 'string' ? frame.time : null) ?? (fromAlert ? a.raisedAt : (node?.position?.time ?? null));
    const acc = accuracyM(frame?.precisionBits);
    let nearest = null;
    for (const gw of fleet.list()) {
      if (gw.kind !== 'gateway' || !gw.position) continue;
      const d = distanceAndBearing(gw.position, pos);
      if (!nearest || d.metres < nearest.d.metres) nearest = { gw, d };
    }
    return h(
      'div',
      { class: 'alert-where' },
      h('a', { class: 'button-link', href: `#/map/${encodeURIComponent(a.nodeId)}`, 'aria-label': t('Show on map: {name}', { name: a.nodeName || fleet.display(a.nodeId) }) }, t('Show on map')),
      h(
        'dl',
        { class: 'alert-facts' },
        h('dt', {}, t('Position')),
        h('dd', {}, coordinates(pos.latitude, pos.longitude)),
        nearest ? [h('dt', {}, t('From the nearest gateway')), h('dd', {}, t('{distance} {bearing} of {gateway}', { distance: distance(nearest.d.metres), bearing: bearing(nearest.d.degrees), gateway: fleet.display(nearest.gw.id) }))] : null,
        h('dt', {}, t('Position age')),
        h('dd', {}, fixTime ? h('time', { datetime: fixTime, title: dateTime(fixTime) }, relativeTime(fixTime)) : t('unknown')),
        h('dt', {}, t('Accuracy')),
        h('dd', {}, acc !== null ? t('about ±{metres}', { metres: distance(acc) }) : a.level === 'SOS' ? (fromAlert ? t('as sent with the SOS') : t('last known position, not from the SOS')) : fromAlert ? t('as sent with the alert') : t('last known position, not from the alert')),
        movedSince(a, fromAlert, fixTime, node?.position ?? null),
      ),
    );
  };

  /**
   * A person who asked for help may be on the move: while the alert is not resolved, a position the
   * node reported after the alert's own fix is shown beside it (how far, which way, how old).
   * @param {Alert} a
   * @param {{ latitude: number, longitude: number } | null} fromAlert
   * @param {string | null} fixTime
   * @param {{ latitude: number, longitude: number, time?: string } | null} latest
   */
  const movedSince = (a, fromAlert, fixTime, latest) => {
    if (a.state === 'resolved' || !fromAlert || !fixTime || !latest?.time || Date.parse(latest.time) <= Date.parse(fixTime)) return null;
    const d = distanceAndBearing(fromAlert, latest);
    const when = h('time', { datetime: latest.time, title: dateTime(latest.time) }, relativeTime(latest.time));
    const said = d.metres < 20 ? t('at the same place') : t('{distance} {bearing} of this position', { distance: distance(d.metres), bearing: bearing(d.degrees) });
    return [h('dt', {}, t('Node’s latest position')), h('dd', {}, said, ', ', when)];
  };

  /** @param {Alert} a */
  const itemFor = (a) => {
    const who = a.nodeName || fleet.display(a.nodeId);
    const canAct = ctx.can('alerts');
    const actions = h('div', { class: 'alert-actions' });
    const level = String(a.level || 'ALERT');
    const shown = alertLevel(level);
    if (a.state === 'open') {
      const ack = h('button', { type: 'button', 'aria-label': t('Acknowledge {level} from {name}', { level: shown, name: who }), disabled: !canAct }, t('Acknowledge'));
      ack.addEventListener('click', () => acknowledgeWithNote(a, ack));
      actions.append(ack);
    }
    if (a.state !== 'resolved') {
      const resolve = h('button', { type: 'button', class: a.state === 'acknowledged' ? 'primary' : '', 'aria-label': t('Resolve {level} from {name}', { level: shown, name: who }), disabled: !canAct }, t('Resolve'));
      resolve.addEventListener('click', () => resolveAfterAsking(a, resolve));
      actions.append(resolve);
    }
    const ackBy = actorOf(a, 'acknowledged', fleet);
    const resBy = actorOf(a, 'resolved', fleet);
    const history = [
      t('Raised {when}', { when: relativeTime(a.raisedAt) }),
      a.acknowledgedAt ? (ackBy ? t('acknowledged {when} by {name}', { when: relativeTime(a.acknowledgedAt), name: ackBy }) : t('acknowledged {when}', { when: relativeTime(a.acknowledgedAt) })) : null,
      a.resolvedAt ? (resBy ? t('resolved {when} by {name}', { when: relativeTime(a.resolvedAt), name: resBy }) : t('resolved {when}', { when: relativeTime(a.resolvedAt) })) : null,
    ].filter(Boolean);
    const stateLabel = SL[a.state] ?? a.state;
    return h(
      'li',
      { class: `alert-card alert-card--${a.state} ${level === 'SOS' ? 'is-sos' : ''}`, dataset: { alertId: String(a.id), state: a.state } },
      h(
        'article',
        { tabindex: '-1', 'aria-label': t('{level} from {name}, {state}', { level: shown, name: who, state: stateLabel }) },
        h('div', { class: 'alert-head' }, h('span', { class: 'alert-level' }, level === 'SOS' ? h('span', { class: 'sos-glyph', 'aria-hidden': 'true' }, '▲') : null, shown), h('strong', { class: 'alert-who', title: a.nodeId }, who), h('span', { class: `badge badge--${a.state}` }, stateLabel)),
        a.text && a.text !== level ? h('p', { class: 'alert-text' }, a.text) : null,
        level === 'SOS' || a.position ? whereFor(a) : null,
        stagesFor(a, fleet),
        a.acknowledgedNote ? h('p', { class: 'alert-note' }, t('Note: {note}', { note: a.acknowledgedNote })) : null,
        a.resolvedNote ? h('p', { class: 'alert-note' }, t('Closed: {note}', { note: a.resolvedNote })) : null,
        h('p', { class: 'alert-meta' }, h('time', { datetime: a.raisedAt, title: dateTime(a.raisedAt) }, history.join(', ')), ' · ', h('span', { class: 'mono' }, a.nodeId)),
        actions,
      ),
    );
  };

  const render = () => {
    const want = filter.value;
    const shown = [...book.alerts.values()]
      .filter((a) => !want || a.state === want)
      .sort((a, b) => (STATE_ORDER[a.state] ?? 3) - (STATE_ORDER[b.state] ?? 3) || String(b.raisedAt).localeCompare(String(a.raisedAt)));
    for (const a of shown) if (a.level === 'SOS' && a.state !== 'resolved') void loadFramePosition(a);
    replaceRows(list, 'alert-id', shown.map(itemFor));
    empty.hidden = shown.length > 0;
    empty.textContent = want === 'open' ? t('No open alerts.') : want === 'acknowledged' ? t('No acknowledged alerts.') : want === 'resolved' ? t('No resolved alerts.') : t('No alerts. SOS and alerts from the mesh appear here.');
  };

  /**
   * The SOS frame's own position details (precision, fix time), for the card: from the node's
   * latest alert frame, and only when that frame holds this alert's position (a node that raised a
   * new SOS since has a newer frame, which says nothing about an older alert's fix).
   * @param {Alert} a
   */
  const loadFramePosition = async (a) => {
    const key = String(a.id);
    if (framePositions.has(key)) return;
    framePositions.set(key, null);
    try {
      const page = await api.get(`/api/v1/records?${new URLSearchParams({ node: a.nodeId, kind: 'alert', limit: '1' })}`);
      const p = page?.items?.[0]?.data?.position;
      const frame = positionOf(p);
      const own = positionOf(a.position);
      if (frame && own && frame.latitude === own.latitude && frame.longitude === own.longitude) {
        framePositions.set(key, p);
        render();
      }
    } catch {
      // The card shows what the alert says.
    }
  };

  /** @param {Event} e */
  const onBook = (e) => {
    render();
    const raised = /** @type {CustomEvent<{ raised: string | null }>} */ (e).detail.raised;
    if (raised) list.querySelector(`li[data-alert-id="${CSS.escape(raised)}"]`)?.classList.add('is-new');
  };
  book.addEventListener('change', onBook);

  /** Banner texts shown, per alert: redrawn when the node's name arrives later. @type {Map<string, string>} */
  const announced = new Map();
  /** @param {Alert} a */
  const bannerText = (a) => {
    const name = a.nodeName || fleet.display(a.nodeId);
    const level = alertLevel(a.level);
    return a.text && a.text !== a.level ? t('{level} from {name}: {text}', { level, name, text: a.text }) : t('{level} from {name}', { level, name });
  };
  /** @param {Alert} a */
  const announce = (a) => {
    const text = bannerText(a);
    announced.set(String(a.id), text);
    ctx.notify(text, 'alert', `alert:${a.id}`);
  };

  /** Banners of alerts no longer open go; the others follow their node's name. */
  const updateBanners = () => {
    for (const [key, text] of announced) {
      const a = unresolved.get(key);
      if (!a || a.state !== 'open') {
        announced.delete(key);
        ctx.dismiss(`alert:${key}`);
      } else if (bannerText(a) !== text) announce(a);
    }
  };

  const load = async () => {
    const state = filter.value;
    try {
      await book.load([String(new URLSearchParams({ limit: '200', ...(state ? { state } : {}) }))]);
    } catch (err) {
      ctx.notify(t('Could not load alerts: {error}', { error: err instanceof Error ? err.message : String(err) }), 'error');
    }
  };

  /** @param {Event} e */
  const onEvent = (e) => {
    const event = /** @type {CustomEvent<import('../event-stream.js').HubEvent>} */ (e).detail;
    if (HUB_EVENT_TOPIC[event.type] !== 'alerts') return;
    if (!hasAlertId(event.data)) void load();
    else book.apply(event);
  };
  stream.addEventListener('event', onEvent);
  filter.addEventListener('change', () => void load());

  /** @param {Event} e */
  const onUnresolved = (e) => {
    updateBadge();
    updateBanners();
    const raised = /** @type {CustomEvent<{ raised: string | null }>} */ (e).detail.raised;
    const a = raised ? unresolved.get(raised) : null;
    if (a && a.state === 'open') announce(a);
  };
  unresolved.addEventListener('change', onUnresolved);
  // A node named after its SOS (the hub asked it) gets its name on the card; gateways' positions
  // change the distance.
  let pending = 0;
  const onFleet = () => {
    updateBanners();
    if (!pending) pending = requestAnimationFrame(() => ((pending = 0), render()));
  };
  fleet.addEventListener('change', onFleet);
  void load();

  // Relative times age while the page is open.
  const ticker = setInterval(() => {
    if (!el.hidden) render();
  }, 30_000);

  return {
    id: 'alerts',
    title: t('Alerts'),
    el,
    show() {
      void load();
      unresolved.load().catch(() => {});
    },
    permissionsChanged: render,
    destroy() {
      clearInterval(ticker);
      cancelAnimationFrame(pending);
      stream.removeEventListener('event', onEvent);
      book.removeEventListener('change', onBook);
      unresolved.removeEventListener('change', onUnresolved);
      fleet.removeEventListener('change', onFleet);
    },
  };
}

/**
 * The SOS's stages, oldest first, each with its time (and who, for acknowledged and resolved).
 * @param {Alert} a
 * @param {import('../fleet-store.js').FleetStore} fleet
 */
function stagesFor(a, fleet) {
  if (!Array.isArray(a.stages) || a.stages.length === 0) return null;
  const labels = STAGE_LABEL();
  return h(
    'ol',
    { class: 'alert-stages', 'aria-label': t('Stages') },
    ...a.stages.map((s) => {
      const by = s.stage === 'acknowledged' || s.stage === 'resolved' ? actorOf(a, s.stage, fleet) : null;
      return h(
        'li',
        { class: `alert-stage alert-stage--${s.stage}`, dataset: { stage: s.stage } },
        h('span', { class: 'stage-check', 'aria-hidden': 'true' }, '✓'),
        by ? t('{stage} {time} by {name}', { stage: labels[s.stage] ?? s.stage, time: '\u0000', name: by }).split('\u0000').flatMap((part, i) => (i === 0 ? [part] : [h('time', { datetime: s.at, title: dateTime(s.at) }, timeOfDay(s.at)), part])) : [`${labels[s.stage] ?? s.stage} `, h('time', { datetime: s.at, title: dateTime(s.at) }, timeOfDay(s.at))],
      );
    }),
  );
}
