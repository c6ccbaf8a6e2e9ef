// Send: a text or an alert to one node or to everyone (broadcast), and the status of what was
// sent (queued, sent, delivered, failed), live from message.status events.

import { ApiError } from '../api-client.js';
import { ask } from '../ask.js';
import { h, replace } from '../dom.js';
import { alertLevel, dateTime, deliveryError, deliveryStatus, relativeTime, sendRefusal } from '../format.js';
import { HUB_EVENT } from '../hub-events.js';
import { t } from '../i18n.js';
import { MESH_ALERT_TEXT_MAX_BYTES, MESH_TEXT_MAX_BYTES, utf8Bytes } from '../text-limits.js';

/**
 * The alert levels the hub sends (the hub's HUB_ALERT_LEVELS): not SOS, a person's call for help,
 * which every node would show as the gateway calling for help.
 */
const ALERT_LEVELS = ['WARNING', 'EVACUATE', 'EARTHQUAKE', 'FIRE', 'FLOOD', 'MEDICAL', 'SAFE'];

/**
 * @typedef {{ id: string, to: string, kind: string, text: string, level?: string, status: string,
 *   gateways?: unknown[], createdAt?: string, updatedAt?: string, error?: string }} Message
 */

/**
 * @param {import('../shell.js').AppContext} ctx
 * @returns {import('../shell.js').View}
 */
export function createSendView(ctx) {
  const { api, fleet, stream } = ctx;

  const to = h('select', { id: 'send-to', name: 'to' });
  const kindText = h('input', { type: 'radio', name: 'kind', id: 'send-kind-text', value: 'text', checked: true });
  const kindAlert = h('input', { type: 'radio', name: 'kind', id: 'send-kind-alert', value: 'alert' });
  const level = h('select', { id: 'send-level', name: 'level' }, ALERT_LEVELS.map((l) => h('option', { value: l }, alertLevel(l))));
  const magnitude = h('input', { id: 'send-magnitude', name: 'magnitude', type: 'number', min: '0', max: '10', step: '0.1', inputmode: 'decimal' });
  const text = h('textarea', { id: 'send-text', name: 'text', rows: '3', required: true, 'aria-describedby': 'send-count' });
  const count = h('span', { id: 'send-count', class: 'hint' });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('Send'));
  const result = h('p', { class: 'form-result', role: 'status' });
  /** The message last sent from this form, which its result line follows. @type {{ id: string | null, recipient: string } | null} */
  let lastSent = null;
  /** @param {unknown} status */
  const sentLine = (status) => t('To {recipient}: {status}', { recipient: lastSent?.recipient ?? '', status: deliveryStatus(status) });
  const levelRow = h('div', { class: 'field', hidden: true }, h('label', { for: 'send-level' }, t('Alert level')), level);
  const magnitudeRow = h('div', { class: 'field', hidden: true }, h('label', { for: 'send-magnitude' }, t('Magnitude (optional)')), magnitude);
  const denied = h('p', { class: 'notice', hidden: true }, t('Your role may read but not send. Ask an admin for the member role.'));

  const form = h(
    'form',
    { class: 'card send-form', 'aria-labelledby': 'send-form-title' },
    h('h2', { id: 'send-form-title' }, t('New message')),
    denied,
    h('div', { class: 'field' }, h('label', { for: 'send-to' }, t('Recipient')), to),
    h(
      'fieldset',
      { class: 'field radios' },
      h('legend', {}, t('Type')),
      h('label', { for: 'send-kind-text' }, kindText, ' ', t('Text')),
      h('label', { for: 'send-kind-alert' }, kindAlert, ' ', t('Alert')),
    ),
    levelRow,
    magnitudeRow,
    h('div', { class: 'field' }, h('label', { for: 'send-text' }, t('Message')), text, count),
    h('div', { class: 'form-actions' }, submit, result),
  );

  const tbody = h('tbody');
  const SENT_COLUMNS = [t('Sent'), t('To'), t('Type'), t('Text'), t('Status'), t('Gateways')];
  const noMessages = h('p', { class: 'empty' }, t('Nothing sent yet.'));
  const table = h(
    'table',
    { class: 'data-table sent-table' },
    h('caption', { class: 'visually-hidden' }, t('Sent messages')),
    h('thead', {}, h('tr', {}, SENT_COLUMNS.map((c) => h('th', { scope: 'col' }, c)))),
    tbody,
  );
  // Scrolls sideways on a phone: focusable, so the keyboard can scroll it too.
  const tableWrap = h('div', { class: 'table-wrap', hidden: true, tabindex: '0', role: 'region', 'aria-label': t('Sent messages') }, table);
  const el = h(
    'section',
    { class: 'view', 'aria-labelledby': 'send-title' },
    h('div', { class: 'view-head' }, h('h1', { id: 'send-title' }, t('Send'))),
    h('div', { class: 'send-layout' }, form, h('div', { class: 'card' }, h('h2', {}, t('Sent messages')), noMessages, tableWrap)),
  );

  const updateKind = () => {
    const alert = kindAlert.checked;
    levelRow.hidden = !alert;
    magnitudeRow.hidden = !alert || level.value !== 'EARTHQUAKE';
    submit.textContent = alert ? t('Send alert') : t('Send');
    updateCount();
  };
  const limit = () => (kindAlert.checked ? MESH_ALERT_TEXT_MAX_BYTES : MESH_TEXT_MAX_BYTES);
  const updateCount = () => {
    const bytes = utf8Bytes(text.value);
    count.textContent = t('{used} of {max} bytes', { used: bytes, max: limit() });
    count.classList.toggle('is-over', bytes > limit());
  };
  kindText.addEventListener('change', updateKind);
  kindAlert.addEventListener('change', updateKind);
  level.addEventListener('change', updateKind);
  text.addEventListener('input', updateCount);
  updateCount();

  /**
   * The recipient #/send/<nodeId> (from the map or an alert) asks for, until it is in the list or
   * the user picks another: it is asked once, not at every redraw of the list (a node's next report
   * put it back over the user's choice). Until the fleet lists it (still loading, or a node the
   * fleet does not have) it has an option of its own, picked: never "Everyone" in its place, where
   * a text meant for one node would go to all.
   * @type {string | null}
   */
  let wanted = null;
  const readAddress = () => {
    const asked = /^#\/send\/([^/?#]+)/.exec(location.hash)?.[1];
    wanted = asked ? decodeURIComponent(asked) : null;
  };
  const fillRecipients = () => {
    const keep = to.value;
    const nodes = fleet.list();
    const unlisted = wanted !== null && !nodes.some((n) => n.id === wanted) ? wanted : null;
    replace(
      to,
      h('option', { value: 'broadcast' }, t('Everyone (broadcast)')),
      nodes.map((n) => h('option', { value: n.id }, n.name ? t(n.online ? '{name} ({id})' : '{name} ({id}, offline)', { name: n.name, id: n.id }) : t(n.online ? '{id} (name not known yet)' : '{id} (name not known yet, offline)', { id: n.id }))),
      unlisted === null ? [] : h('option', { value: unlisted, dataset: { unlisted: '' } }, t(fleet.loaded ? '{id} (not in the fleet)' : '{id} (loading the fleet…)', { id: unlisted })),
    );
    const want = wanted ?? keep;
    to.value = [...to.options].some((o) => o.value === want) ? want : 'broadcast';
    if (unlisted === null) wanted = null;
  };
  // The link's own option, picked again after another, stays until the fleet lists its node.
  to.addEventListener('change', () => (wanted = to.selectedOptions[0]?.hasAttribute('data-unlisted') ? to.value : null));
  // Another #/send/<nodeId> while this screen is shown (the shell shows a screen once).
  const onAddress = () => {
    if (el.hidden || !location.hash.startsWith('#/send')) return;
    readAddress();
    fillRecipients();
  };
  window.addEventListener('hashchange', onAddress);
  let pending = 0;
  const onFleet = () => {
    if (!pending)
      pending = requestAnimationFrame(() => {
        pending = 0;
        fillRecipients();
        // Names that arrived since a row was drawn.
        for (const m of messages.values()) tbody.querySelector(`tr[data-message-id="${CSS.escape(m.id)}"]`)?.replaceWith(rowFor(m));
      });
  };
  fleet.addEventListener('change', onFleet);
  readAddress();
  fillRecipients();

  /** @type {Map<string, Message>} */
  const messages = new Map();
  /** How far a message got: a status never goes back to an earlier one. @type {Record<string, number>} */
  const STATUS_RANK = { queued: 0, sent: 1, delivered: 2, failed: 2, refused: 2 };

  /** @param {Message} m */
  const rowFor = (m) => {
    const status = String(m.status ?? 'queued');
    const toAll = m.to === 'broadcast';
    const recipient = toAll ? t('Everyone') : fleet.display(m.to);
    const label = (/** @type {number} */ i) => ({ 'data-label': SENT_COLUMNS[i] });
    return h(
      'tr',
      { dataset: { messageId: m.id, status } },
      h('td', label(0), h('time', { class: 'relative-time', datetime: m.createdAt ?? '', title: dateTime(m.createdAt) }, relativeTime(m.createdAt))),
      // A node's id on hover (its name shows); "Everyone" needs none.
      h('td', { ...label(1), ...(toAll ? {} : { title: m.to }) }, recipient),
      h('td', label(2), m.kind === 'alert' ? alertLevel(m.level) : t('Text')),
      h('th', { scope: 'row', class: 'message-text', ...label(3) }, m.text ?? ''),
      // Badge and reason in one box: on a phone it is the card's second column (the reason under the badge, not under the label).
      h('td', label(4), h('span', { class: 'cell-value' }, h('span', { class: `badge badge--${status}`, title: m.error ? deliveryError(m.error) : '' }, deliveryStatus(status)), m.error ? h('span', { class: 'hint sent-error' }, deliveryError(m.error)) : null)),
      h('td', label(5), Array.isArray(m.gateways) ? String(m.gateways.length) : '—'),
    );
  };

  /** @param {Partial<Message> & { id: string }} m */
  const upsert = (m) => {
    const before = messages.get(m.id);
    // The hub's answer to the POST can come after the message's first status event: it never takes the status back.
    const later = before && (STATUS_RANK[String(before.status)] ?? 0) > (STATUS_RANK[String(m.status)] ?? 0) ? { status: before.status, error: before.error } : {};
    const merged = /** @type {Message} */ ({ ...(before ?? {}), ...m, ...later });
    messages.set(m.id, merged);
    const row = rowFor(merged);
    const existing = tbody.querySelector(`tr[data-message-id="${CSS.escape(m.id)}"]`);
    if (existing) existing.replaceWith(row);
    else tbody.prepend(row);
    noMessages.hidden = true;
    tableWrap.hidden = false;
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    // The line no longer follows the message sent before: what it says of this one must not turn into that one's "delivered".
    lastSent = null;
    const value = text.value.trim();
    if (!value) {
      result.textContent = t('Write a message first.');
      text.focus();
      return;
    }
    if (utf8Bytes(value) > limit()) {
      result.textContent = t('Too long for one radio frame: at most {max} bytes.', { max: limit() });
      return;
    }
    /** @type {Record<string, unknown>} */
    let body = { text: value };
    const recipient = to.value === 'broadcast' ? t('everyone') : fleet.display(to.value);
    if (kindAlert.checked) {
      /** @type {Record<string, unknown>} */
      const alert = { level: level.value, text: value };
      if (level.value === 'EARTHQUAKE' && magnitude.value !== '') alert.magnitude = Number(magnitude.value);
      body = { alert };
      // An alert goes ahead of every text and every node shows it as one: asked first, Cancel focused.
      const sure = await ask({
        id: 'send-alert-title',
        title: t('Send this {level} alert to {recipient}?', { level: alertLevel(level.value), recipient }),
        content: [h('p', {}, value)],
        confirmLabel: t('Send alert'),
      });
      if (!sure) {
        submit.focus();
        return;
      }
    }
    const path = to.value === 'broadcast' ? '/api/v1/messages' : `/api/v1/nodes/${encodeURIComponent(to.value)}/messages`;
    submit.disabled = true;
    result.textContent = t('Sending…');
    try {
      const message = await api.post(path, body);
      if (message && typeof message.id === 'string') upsert(message);
      // The line follows this message as the table row does: it never says "queued" once it was delivered.
      const id = message && typeof message.id === 'string' ? message.id : null;
      lastSent = { id, recipient };
      result.textContent = sentLine((id && messages.get(id)?.status) ?? message?.status ?? 'queued');
      text.value = '';
      updateCount();
    } catch (err) {
      result.textContent = err instanceof ApiError && err.code === 'E_FORBIDDEN' ? t('Your role may not send messages.') : t('Not sent: {error}', { error: sendRefusal(err, to.value === 'broadcast' ? null : fleet.display(to.value)) });
    } finally {
      submit.disabled = !ctx.can('send');
    }
  });

  /** @param {Event} e */
  const onEvent = (e) => {
    const event = /** @type {CustomEvent<import('../event-stream.js').HubEvent>} */ (e).detail;
    if (event.type !== HUB_EVENT.MESSAGE_STATUS) return;
    const d = event.data ?? {};
    const id = typeof d.id === 'string' ? d.id : typeof d.messageId === 'string' ? d.messageId : null;
    if (id) upsert({ ...d, id });
    if (id && id === lastSent?.id) result.textContent = sentLine(d.status);
  };
  stream.addEventListener('event', onEvent);
  // Relative times age while the page is open ("just now" must not stay "just now").
  const ticker = setInterval(() => {
    for (const el of tbody.querySelectorAll('time.relative-time')) el.textContent = relativeTime(el.getAttribute('datetime') || null);
  }, 10_000);

  const load = async () => {
    try {
      const page = await api.get('/api/v1/messages?limit=50');
      const items = /** @type {Message[]} */ (page?.items ?? []);
      // Oldest first, each prepended: newest ends on top. Rows already updated live win.
      for (const m of [...items].reverse()) if (m && typeof m.id === 'string' && !messages.has(m.id)) upsert(m);
    } catch (err) {
      ctx.notify(t('Could not load sent messages: {error}', { error: err instanceof Error ? err.message : String(err) }), 'error');
    }
  };
  void load();

  const applyPermissions = () => {
    const may = ctx.can('send');
    denied.hidden = may;
    submit.disabled = !may;
  };
  applyPermissions();

  return {
    id: 'send',
    title: t('Send'),
    el,
    show() {
      readAddress();
      fillRecipients();
      if (!ctx.can('send')) return;
      text.focus();
    },
    permissionsChanged: applyPermissions,
    destroy() {
      clearInterval(ticker);
      stream.removeEventListener('event', onEvent);
      fleet.removeEventListener('change', onFleet);
      window.removeEventListener('hashchange', onAddress);
      cancelAnimationFrame(pending);
    },
  };
}
