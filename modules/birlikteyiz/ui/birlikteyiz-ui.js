// birlikteyiz's screen inside the admin UI (mounted by the modules view): the quake feeds and
// whether they can be reached, the latest quakes, and the check-in round: who is safe, who needs
// help, who has not answered, as a list and on a map with the epicentre and the radius; assembly
// points. Live from the module's events on the hub's event stream. Text from feeds and the mesh
// goes in as text, never as HTML.

import { h, replace } from '/js/dom.js';
import { relativeTime } from '/js/format.js';
import { createGraticuleLayer } from '/js/graticule-layer.js';

const EVENTS = new Set(['module.birlikteyiz.quake', 'module.birlikteyiz.feed_status', 'module.birlikteyiz.round_opened', 'module.birlikteyiz.round_updated', 'module.birlikteyiz.round_closed', 'module.birlikteyiz.assembly_point']);
/** @type {Record<string, string>} */
const STATUS_LABEL = { safe: 'Safe', needs_help: 'Needs help', waiting: 'No answer yet' };
/** @type {Record<string, string>} */
const STATUS_COLOR = { safe: '#1a7f37', needs_help: '#cf222e', waiting: '#6e7781' };
/** @type {Record<string, string>} */
const FEED_LABEL = { waiting: 'waiting', ok: 'ok', unreachable: 'unreachable', error: 'error' };

/**
 * @param {HTMLElement} root
 * @param {{ api: any, stream: EventTarget, config: { mapTileUrl: string | null }, can: (p: string) => boolean, notify: (m: string, k?: string) => void, base: string }} ctx
 */
export function mount(root, ctx) {
  const { api, stream, base } = ctx;
  const feeds = h('ul', { class: 'feeds', 'aria-label': 'Quake feeds' });
  const quakes = h('ul', { class: 'quakes', 'aria-label': 'Recent quakes' });
  const roundHead = h('div', { class: 'round-head' });
  const roundBody = h('tbody');
  const roundTable = h('table', { class: 'data-table', 'aria-label': 'Check-in round' }, h('thead', {}, h('tr', {}, ['Node', 'Distance', 'Status', 'Answered'].map((c) => h('th', { scope: 'col' }, c)))), roundBody);
  const people = h('ul', { class: 'people', 'aria-label': 'People checked in' });
  const mapEl = h('div', { class: 'map', style: 'height: 360px', role: 'region', 'aria-label': 'Check-in map' });
  const points = h('ul', { class: 'assembly-points', 'aria-label': 'Assembly points' });
  const pointForm = assemblyForm();
  const personForm = checkInForm();
  replace(
    root,
    h('h2', {}, 'Birlikteyiz: earthquakes and check-ins'),
    h('h3', {}, 'Feeds'),
    feeds,
    h('h3', {}, 'Quakes'),
    quakes,
    h('h3', {}, 'Check-in round'),
    roundHead,
    h('div', { class: 'table-wrap' }, roundTable),
    people,
    ctx.can('alerts') && personForm,
    mapEl,
    h('h3', {}, 'Assembly points'),
    points,
    ctx.can('send') && pointForm,
  );

  /** @type {any} */
  let round = null;
  /** @type {any} */
  let map = null;
  /** @type {any} */
  let layer = null;

  const load = async () => {
    const [f, q, r, p] = await Promise.all([api.get(`${base}/feeds`), api.get(`${base}/quakes`), api.get(`${base}/rounds`), api.get(`${base}/assembly-points`)]);
    replace(feeds, f.feeds.map((/** @type {any} */ s) => h('li', { dataset: { source: s.source, state: s.state } }, h('strong', {}, s.source.toUpperCase()), ` ${FEED_LABEL[s.state] ?? s.state}`, s.lastError ? ` (${s.lastError})` : '', s.lastOkAt ? `, last ok ${relativeTime(new Date(s.lastOkAt).toISOString())}` : '')));
    const shownQuakes = q.quakes.slice(0, 8);
    replace(quakes, shownQuakes.length ? shownQuakes.map(quakeItem) : h('li', { class: 'empty' }, 'No quakes reported yet.'));
    round = r.rounds[0] ?? null;
    renderRound();
    replace(points, p.assemblyPoints.length ? p.assemblyPoints.map((/** @type {any} */ a) => h('li', {}, h('strong', {}, a.name), ` ${a.latitude.toFixed(4)}, ${a.longitude.toFixed(4)}`, a.capacity ? `, room for ${a.capacity}` : '', `: sent to ${a.sentTo.length} node(s)`)) : h('li', { class: 'empty' }, 'None set.'));
  };

  /** @param {any} q */
  function quakeItem(q) {
    const mag = q.magnitude === null ? 'M?' : `M${q.magnitude.toFixed(1)}`;
    const verdict = q.verdict === 'alert' ? 'alert' : q.verdict.replace('_', ' ');
    return h('li', { class: `quake quake--${q.verdict}` }, h('strong', {}, mag), ` ${q.place} · ${new Date(q.timeMs).toISOString().slice(0, 16).replace('T', ' ')} UTC · ${q.sources.map((/** @type {any} */ s) => s.source.toUpperCase()).join(', ')} · ${verdict}`);
  }

  function renderRound() {
    if (!round) {
      replace(roundHead, h('p', { class: 'empty' }, 'No check-in round yet. One opens after a quake alert near the fleet.'));
      replace(roundBody);
      replace(people);
      drawMap();
      return;
    }
    const c = round.counts;
    replace(
      roundHead,
      h('p', {}, h('strong', {}, round.title), round.closedAt ? ' (closed)' : ` (open until ${new Date(round.closesAt).toISOString().slice(11, 16)} UTC)`),
      h('p', { class: 'round-summary', role: 'status', 'aria-label': 'Check-in summary' }, `${c.safe} safe · ${c.needsHelp} need help · ${c.waiting} no answer`),
      round.meshError && h('p', { class: 'module-error' }, `Not sent into the mesh: ${round.meshError}`),
    );
    const order = { needs_help: 0, waiting: 1, safe: 2 };
    const nodes = [...round.nodes].sort((a, b) => order[/** @type {'safe'} */ (a.status)] - order[/** @type {'safe'} */ (b.status)] || (a.distanceKm ?? 0) - (b.distanceKm ?? 0));
    replace(
      roundBody,
      nodes.map((n) =>
        h('tr', { dataset: { node: n.id, status: n.status } }, h('td', {}, n.name ?? n.id), h('td', {}, n.distanceKm === null ? '?' : `${n.distanceKm} km`), h('td', {}, h('span', { class: `checkin checkin--${n.status}`, style: `color: ${STATUS_COLOR[n.status]}; font-weight: 600` }, STATUS_LABEL[n.status])), h('td', {}, n.answeredAt ? relativeTime(new Date(n.answeredAt).toISOString()) : '')),
      ),
    );
    replace(people, round.people.map((/** @type {any} */ p) => h('li', {}, h('strong', {}, p.name), `: ${STATUS_LABEL[p.status]}`, p.note ? ` (${p.note})` : '')));
    drawMap();
  }

  function drawMap() {
    const L = /** @type {any} */ (window).L;
    if (!L) return;
    if (!map) {
      map = L.map(mapEl, { minZoom: 2, maxZoom: 18, attributionControl: Boolean(ctx.config.mapTileUrl) });
      if (ctx.config.mapTileUrl) L.tileLayer(ctx.config.mapTileUrl, { maxZoom: 19 }).addTo(map);
      else createGraticuleLayer(L).addTo(map);
      map.setView([20, 0], 2);
    }
    layer?.remove();
    layer = L.layerGroup().addTo(map);
    if (!round) return;
    /** @type {Array<[number, number]>} */
    const bounds = [];
    if (round.epicentre) {
      const e = round.epicentre;
      // Tooltips as text nodes: Leaflet puts a string in as HTML, and the place comes from a feed, a node's name from the air.
      L.circleMarker([e.latitude, e.longitude], { radius: 10, color: '#cf222e', weight: 3, fillOpacity: 0.2 }).bindTooltip(document.createTextNode(`Epicentre ${e.magnitude === null ? '' : `M${e.magnitude.toFixed(1)} `}${e.place}`)).addTo(layer);
      if (round.radiusKm > 0) L.circle([e.latitude, e.longitude], { radius: round.radiusKm * 1000, color: '#cf222e', weight: 1, fill: false, dashArray: '4 4' }).addTo(layer);
      bounds.push([e.latitude, e.longitude]);
    }
    for (const n of round.nodes) {
      if (n.latitude === null || n.longitude === null) continue;
      L.circleMarker([n.latitude, n.longitude], { radius: 7, color: STATUS_COLOR[n.status], fillColor: STATUS_COLOR[n.status], fillOpacity: 0.85 }).bindTooltip(document.createTextNode(`${n.name ?? n.id}: ${STATUS_LABEL[n.status]}`)).addTo(layer);
      bounds.push([n.latitude, n.longitude]);
    }
    if (bounds.length) map.fitBounds(bounds, { padding: [30, 30], maxZoom: 13 });
    setTimeout(() => map?.invalidateSize(), 0);
  }

  function checkInForm() {
    const person = h('input', { id: 'checkin-person', type: 'text', maxlength: '80', required: true });
    const status = h('select', { id: 'checkin-status' }, h('option', { value: 'safe' }, 'Safe'), h('option', { value: 'needs_help' }, 'Needs help'));
    const form = h('form', { class: 'inline-form', 'aria-label': 'Check a person in' }, h('label', { for: 'checkin-person' }, 'Person'), person, status, h('button', { type: 'submit' }, 'Check in'));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!round) return ctx.notify('There is no check-in round to add people to', 'error');
      try {
        await api.post(`${base}/rounds/${round.id}/checkins`, { person: person.value, status: status.value });
        person.value = '';
      } catch (err) {
        ctx.notify(/** @type {Error} */ (err).message, 'error');
      }
    });
    return form;
  }

  function assemblyForm() {
    const name = h('input', { id: 'ap-name', type: 'text', maxlength: '60', required: true });
    const lat = h('input', { id: 'ap-lat', type: 'number', step: 'any', required: true });
    const lon = h('input', { id: 'ap-lon', type: 'number', step: 'any', required: true });
    const cap = h('input', { id: 'ap-cap', type: 'number', min: '1', step: '1' });
    const form = h('form', { class: 'inline-form', 'aria-label': 'Add an assembly point' }, h('label', { for: 'ap-name' }, 'Name'), name, h('label', { for: 'ap-lat' }, 'Latitude'), lat, h('label', { for: 'ap-lon' }, 'Longitude'), lon, h('label', { for: 'ap-cap' }, 'Capacity'), cap, h('button', { type: 'submit' }, 'Add and send to nodes'));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        await api.post(`${base}/assembly-points`, { name: name.value, latitude: Number(lat.value), longitude: Number(lon.value), ...(cap.value ? { capacity: Number(cap.value) } : {}) });
        form.reset();
      } catch (err) {
        ctx.notify(/** @type {Error} */ (err).message, 'error');
      }
    });
    return form;
  }

  /** @param {Event} e */
  const onEvent = (e) => {
    const ev = /** @type {CustomEvent} */ (e).detail;
    if (!EVENTS.has(ev.type)) return;
    if (ev.type === 'module.birlikteyiz.quake') ctx.notify(`Earthquake ${ev.data.quake.magnitude === null ? '' : `M${ev.data.quake.magnitude.toFixed(1)} `}${ev.data.quake.place}: ${ev.data.nodesInRange.length} node(s) in range`, 'alert');
    if (ev.data.round && (!round || ev.data.round.id === round.id || ev.data.round.openedAt >= round.openedAt)) {
      round = ev.data.round;
      renderRound();
    }
    void load().catch(() => {});
  };
  stream.addEventListener('event', onEvent);
  void load().catch((err) => ctx.notify(`birlikteyiz: ${err.message}`, 'error'));
  return {
    destroy() {
      stream.removeEventListener('event', onEvent);
      map?.remove();
    },
  };
}
