// Fleet: every node and gateway with its status, last seen, battery, SNR and the gateways that
// heard it; live from the fleet store.

import { h, replace } from '../dom.js';
import { battery, dateTime, decibels, relativeTime } from '../format.js';

/**
 * @param {import('../shell.js').AppContext} ctx
 * @returns {import('../shell.js').View}
 */
export function createFleetView(ctx) {
  const { fleet } = ctx;
  const search = h('input', { id: 'fleet-search', type: 'search', placeholder: 'Name or id', autocomplete: 'off' });
  const status = h('select', { id: 'fleet-status' }, h('option', { value: '' }, 'All'), h('option', { value: 'online' }, 'Online'), h('option', { value: 'offline' }, 'Offline'));
  const summary = h('p', { class: 'summary', 'aria-live': 'polite' });
  const tbody = h('tbody');
  const empty = h('p', { class: 'empty', hidden: true }, 'No devices yet. Claim a gateway or node with a claim token (unibos hub claim-token) and it appears here.');
  const table = h(
    'table',
    { class: 'data-table fleet-table' },
    h('caption', { class: 'visually-hidden' }, 'Fleet'),
    h(
      'thead',
      {},
      h('tr', {}, ['Name', 'ID', 'Kind', 'Status', 'Last seen', 'Battery', 'SNR', 'Heard by'].map((c) => h('th', { scope: 'col' }, c))),
    ),
    tbody,
  );
  const el = h(
    'section',
    { class: 'view', 'aria-labelledby': 'fleet-title' },
    h('div', { class: 'view-head' }, h('h1', { id: 'fleet-title' }, 'Fleet'), summary),
    h('div', { class: 'toolbar' }, h('label', { for: 'fleet-search' }, 'Search'), search, h('label', { for: 'fleet-status' }, 'Status'), status),
    h('div', { class: 'table-wrap' }, table),
    empty,
  );

  /** @param {import('../fleet-store.js').FleetNode} node */
  const rowFor = (node) => {
    const name = node.name ?? node.id;
    const heard = node.heardBy.length === 0 ? '—' : node.heardBy.map((g) => `${fleet.label(g.gatewayId)}${typeof g.hops === 'number' && g.hops > 0 ? ` (${g.hops} hop${g.hops === 1 ? '' : 's'})` : ''}`).join(', ');
    const seen = h('time', { datetime: node.lastSeen ?? '', title: node.lastSeen ? dateTime(node.lastSeen) : 'never', class: 'relative-time' }, relativeTime(node.lastSeen));
    return h(
      'tr',
      { dataset: { nodeId: node.id }, class: node.online ? '' : 'is-offline' },
      h('th', { scope: 'row' }, name),
      h('td', { class: 'mono' }, node.id),
      // Heard through the org's gateways but not claimed with the device's keys: on the map, not the org's own.
      h('td', {}, node.kind, node.claimed === false ? [' ', h('span', { class: 'badge badge--heard', title: 'Heard by your gateways; claim it from the device to make it yours' }, 'heard, unclaimed')] : null),
      h('td', {}, h('span', { class: `badge ${node.online ? 'badge--online' : 'badge--offline'}` }, node.online ? 'Online' : 'Offline')),
      h('td', {}, seen),
      h('td', {}, battery(node.battery)),
      h('td', {}, decibels(node.snr)),
      h('td', { class: 'heard-by' }, heard),
    );
  };

  const render = () => {
    const q = search.value.trim().toLowerCase();
    const want = status.value;
    const all = fleet.list();
    const shown = all.filter((n) => (!want || (want === 'online') === n.online) && (!q || n.id.toLowerCase().includes(q) || (n.name ?? '').toLowerCase().includes(q)));
    replace(tbody, shown.map(rowFor));
    const online = all.filter((n) => n.online).length;
    summary.textContent = fleet.loaded ? `${online} of ${all.length} online` : 'Loading…';
    empty.hidden = !fleet.loaded || all.length > 0;
  };

  // Bursts of events (a gateway reconnecting reports many nodes) redraw once per frame.
  let pending = 0;
  const onChange = () => {
    if (!pending) pending = requestAnimationFrame(() => ((pending = 0), render()));
  };
  fleet.addEventListener('change', onChange);
  search.addEventListener('input', render);
  status.addEventListener('change', render);
  // Relative times age while the page is open.
  const ticker = setInterval(() => {
    for (const t of tbody.querySelectorAll('time.relative-time')) t.textContent = relativeTime(t.getAttribute('datetime') || null);
  }, 10_000);
  render();

  return {
    id: 'fleet',
    title: 'Fleet',
    el,
    destroy() {
      clearInterval(ticker);
      cancelAnimationFrame(pending);
      fleet.removeEventListener('change', onChange);
    },
  };
}
