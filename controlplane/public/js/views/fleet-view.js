// Fleet: every node and gateway with its status, last seen, battery, SNR and the gateways that
// heard it; live from the fleet store. A node the hub has not learned the name of yet says so
// (the hub is asking it over the mesh); a node with an open SOS is marked and sorted first. On a
// phone each row becomes a card (the column names come from data-label). A row leads to its node
// on the map (#/map/<id>): its name is the link, and a click or tap anywhere on the row follows it.

import { h, replaceRows } from '../dom.js';
import { battery, dateTime, decibels, relativeTime } from '../format.js';
import { t } from '../i18n.js';

/**
 * @param {import('../shell.js').AppContext} ctx
 * @returns {import('../shell.js').View}
 */
export function createFleetView(ctx) {
  const { fleet, alerts } = ctx;
  const search = h('input', { id: 'fleet-search', type: 'search', placeholder: t('Name or id'), autocomplete: 'off' });
  const status = h('select', { id: 'fleet-status' }, h('option', { value: '' }, t('All')), h('option', { value: 'online' }, t('Online')), h('option', { value: 'offline' }, t('Offline')));
  const summary = h('p', { class: 'summary', 'aria-live': 'polite' });
  const tbody = h('tbody');
  // Where devices come from: a claim token made on the Organisation screen (for those who may make one).
  const claimLink = h('a', { class: 'button-link', href: '#/org' }, t('Claim a device'));
  const empty = h(
    'div',
    { class: 'empty', hidden: true },
    h('p', {}, t('No devices yet. Make a claim token on the Organisation screen and run the command it shows on the gateway or node: it appears here.')),
    claimLink,
  );
  const COLUMNS = [t('Name'), t('ID'), t('Kind'), t('Status'), t('Last seen'), t('Battery'), t('SNR'), t('Heard by')];
  const table = h(
    'table',
    { class: 'data-table fleet-table' },
    h('caption', { class: 'visually-hidden' }, t('Fleet')),
    h('thead', {}, h('tr', {}, COLUMNS.map((c) => h('th', { scope: 'col' }, c)))),
    tbody,
  );
  const el = h(
    'section',
    { class: 'view', 'aria-labelledby': 'fleet-title' },
    h('div', { class: 'view-head' }, h('h1', { id: 'fleet-title' }, t('Fleet')), summary),
    // Each label stays on the line of its control.
    h('div', { class: 'toolbar fleet-controls' }, h('span', { class: 'toolbar-field toolbar-field--grow' }, h('label', { for: 'fleet-search' }, t('Search')), search), h('span', { class: 'toolbar-field' }, h('label', { for: 'fleet-status' }, t('Status')), status)),
    h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': t('Fleet') }, table),
    empty,
  );

  /** @param {import('../fleet-store.js').FleetNode} node */
  const rowFor = (node) => {
    const sos = alerts.sosOf(node.id);
    // A gateway reports itself through itself: that is not being heard.
    const heardBy = node.heardBy.filter((g) => g.gatewayId !== node.id);
    const heard =
      heardBy.length === 0
        ? '—'
        : heardBy.map((g) => {
            const via = typeof g.hops === 'number' && g.hops > 0 ? t({ one: '{name} ({count} hop)', other: '{name} ({count} hops)' }, { name: fleet.display(g.gatewayId), count: g.hops }) : fleet.display(g.gatewayId);
            return h('span', { class: 'heard-gw', title: g.gatewayId }, via);
          }).flatMap((x, i) => (i === 0 ? [x] : [', ', x]));
    const seen = h('time', { datetime: node.lastSeen ?? '', title: node.lastSeen ? dateTime(node.lastSeen) : t('never'), class: 'relative-time' }, relativeTime(node.lastSeen));
    // The value in one box: on a phone it is the card's second column, a badge after its text, not under the label.
    const cell = (/** @type {number} */ i, /** @type {Record<string, unknown>} */ props, /** @type {any[]} */ ...children) => h('td', { ...props, 'data-label': COLUMNS[i] }, h('span', { class: 'cell-value' }, ...children));
    return h(
      'tr',
      { dataset: { nodeId: node.id }, class: `is-linked ${node.online ? '' : 'is-offline'} ${sos ? 'has-sos' : ''}` },
      h(
        'th',
        { scope: 'row', title: node.id, 'data-label': COLUMNS[0] },
        // Not a link of its own: the name beside it leads to the same place (one stop for the keyboard).
        sos ? h('span', { class: 'sos-tag', title: t('Open SOS: show on map') }, h('span', { 'aria-hidden': 'true' }, '▲ '), 'SOS') : null,
        sos ? ' ' : null,
        h('a', { class: 'node-link', href: mapHref(node.id), title: t('Show {name} on the map', { name: fleet.display(node.id) }) }, node.name ? node.name : h('span', { class: 'unnamed' }, fleet.display(node.id))),
      ),
      cell(1, { class: 'mono' }, node.id),
      // Heard through the org's gateways but not claimed with the device's keys: on the map, not the org's own.
      cell(2, {}, node.kind === 'gateway' ? t('gateway') : t('node'), node.claimed === false ? [' ', h('span', { class: 'badge badge--heard', title: t('Heard by your gateways; claim it from the device to make it yours') }, t('heard, unclaimed'))] : null),
      cell(3, {}, h('span', { class: `badge ${node.online ? 'badge--online' : 'badge--offline'}` }, h('span', { 'aria-hidden': 'true' }, node.online ? '● ' : '○ '), node.online ? t('Online') : t('Offline'))),
      cell(4, {}, seen),
      cell(5, {}, battery(node.battery)),
      cell(6, {}, decibels(node.snr)),
      cell(7, { class: 'heard-by' }, heard),
    );
  };

  const render = () => {
    const q = search.value.trim().toLowerCase();
    const want = status.value;
    const all = fleet.list();
    const shown = all
      .filter((n) => (!want || (want === 'online') === n.online) && (!q || n.id.toLowerCase().includes(q) || (n.name ?? '').toLowerCase().includes(q)))
      .sort((a, b) => Number(Boolean(alerts.sosOf(b.id))) - Number(Boolean(alerts.sosOf(a.id))));
    replaceRows(tbody, 'node-id', shown.map(rowFor));
    const online = all.filter((n) => n.online).length;
    summary.textContent = fleet.loaded ? t('{online} of {count} online', { online, count: all.length }) : t('Loading…');
    empty.hidden = !fleet.loaded || all.length > 0;
    claimLink.hidden = !ctx.can('fleet');
  };

  // Bursts of events (a gateway reconnecting reports many nodes) redraw once per frame.
  let pending = 0;
  const onChange = () => {
    if (!pending) pending = requestAnimationFrame(() => ((pending = 0), render()));
  };
  fleet.addEventListener('change', onChange);
  alerts.addEventListener('change', onChange);
  // The whole row is the link's target for a mouse or a finger (the keyboard has the link itself):
  // not when a link in it was hit, nor when text was being selected.
  tbody.addEventListener('click', (e) => {
    const target = /** @type {Element} */ (e.target);
    if (target.closest('a, button, input, select') || String(getSelection() ?? '').length > 0) return;
    const row = target.closest('tr[data-node-id]');
    const id = row?.getAttribute('data-node-id');
    if (id) location.hash = mapHref(id);
  });
  search.addEventListener('input', render);
  status.addEventListener('change', render);
  // Relative times age while the page is open.
  const ticker = setInterval(() => {
    for (const el of tbody.querySelectorAll('time.relative-time')) el.textContent = relativeTime(el.getAttribute('datetime') || null);
  }, 10_000);
  render();

  return {
    id: 'fleet',
    title: t('Fleet'),
    el,
    destroy() {
      clearInterval(ticker);
      cancelAnimationFrame(pending);
      fleet.removeEventListener('change', onChange);
      alerts.removeEventListener('change', onChange);
    },
  };
}

/** Where a node is on the map: centred on it, its popup open (map-view.js). @param {string} id */
function mapHref(id) {
  return `#/map/${encodeURIComponent(id)}`;
}
