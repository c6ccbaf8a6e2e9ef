// Map: node positions on a Leaflet map that works offline (a drawn lat/lon grid; the configured
// tile server on top when there is one), green for online, grey for offline, names in popups.

import { h, replace } from '../dom.js';
import { battery, coordinates, relativeTime } from '../format.js';
import { createGraticuleLayer } from '../graticule-layer.js';

/**
 * @param {import('../shell.js').AppContext} ctx
 * @returns {import('../shell.js').View}
 */
export function createMapView(ctx) {
  const { fleet } = ctx;
  const mapEl = h('div', { class: 'map', id: 'node-map', role: 'region', 'aria-label': 'Node map' });
  const fit = h('button', { type: 'button' }, 'Fit to nodes');
  const note = h('p', { class: 'summary', 'aria-live': 'polite' });
  const el = h(
    'section',
    { class: 'view view--map', 'aria-labelledby': 'map-title' },
    h('div', { class: 'view-head' }, h('h1', { id: 'map-title' }, 'Map'), note, h('div', { class: 'spacer' }), fit),
    mapEl,
    h('p', { class: 'legend' }, h('span', { class: 'legend-dot legend-dot--online', 'aria-hidden': 'true' }), 'online', h('span', { class: 'legend-dot legend-dot--offline', 'aria-hidden': 'true' }), 'offline'),
  );

  /** @type {any} */
  let map = null;
  /** @type {Map<string, any>} */
  const markers = new Map();
  let fittedOnce = false;

  const L = () => /** @type {any} */ (window).L;

  const ensureMap = () => {
    if (map) return;
    const leaflet = L();
    if (!leaflet) {
      replace(mapEl, h('p', { class: 'empty' }, 'The map library did not load.'));
      return;
    }
    map = leaflet.map(mapEl, { worldCopyJump: true, minZoom: 2, maxZoom: 19, zoomSnap: 0.5, attributionControl: Boolean(ctx.config.mapTileUrl) });
    const grid = createGraticuleLayer(leaflet);
    if (ctx.config.mapTileUrl) {
      const tiles = leaflet.tileLayer(ctx.config.mapTileUrl, { maxZoom: 19, attribution: 'Map tiles: local tile server' });
      tiles.addTo(map);
      leaflet.control.layers({}, { 'Lat/lon grid': grid }, { collapsed: true }).addTo(map);
    } else {
      grid.addTo(map);
    }
    leaflet.control.scale({ imperial: false }).addTo(map);
    map.setView([20, 0], 2);
    sync();
  };

  /** @param {import('../fleet-store.js').FleetNode} node */
  const popupFor = (node) =>
    h(
      'div',
      { class: 'node-popup' },
      h('strong', {}, node.name ?? node.id),
      h('div', { class: 'mono' }, node.id),
      h('div', {}, h('span', { class: `badge ${node.online ? 'badge--online' : 'badge--offline'}` }, node.online ? 'Online' : 'Offline'), ' ', `last seen ${relativeTime(node.lastSeen)}`),
      node.battery !== null ? h('div', {}, `Battery ${battery(node.battery)}`) : null,
      node.position ? h('div', {}, coordinates(node.position.latitude, node.position.longitude)) : null,
    );

  const style = (/** @type {boolean} */ online) => ({
    radius: 8,
    weight: 2,
    color: online ? '#0b6b3a' : '#4b5563',
    fillColor: online ? '#16a34a' : '#9ca3af',
    fillOpacity: 0.9,
    className: `node-marker node-marker--${online ? 'online' : 'offline'}`,
  });

  const sync = () => {
    if (!map) return;
    const leaflet = L();
    const seen = new Set();
    let withPos = 0;
    for (const node of fleet.list()) {
      if (!node.position) continue;
      withPos++;
      seen.add(node.id);
      const at = [node.position.latitude, node.position.longitude];
      let marker = markers.get(node.id);
      const cls = `node-marker--${node.online ? 'online' : 'offline'}`;
      if (marker && !marker.getElement()?.classList.contains(cls)) {
        // className is fixed when the path is created: recreate on an online/offline change.
        marker.remove();
        markers.delete(node.id);
        marker = undefined;
      }
      if (!marker) {
        marker = leaflet.circleMarker(at, style(node.online)).addTo(map);
        marker.bindPopup(() => popupFor(/** @type {import('../fleet-store.js').FleetNode} */ (fleet.get(node.id) ?? node)));
        marker.bindTooltip(document.createTextNode(node.name ?? node.id), { direction: 'top', offset: [0, -8] });
        markers.set(node.id, marker);
        const path = marker.getElement();
        if (path) {
          path.setAttribute('aria-label', `${node.name ?? node.id} (${node.online ? 'online' : 'offline'})`);
          path.dataset.nodeId = node.id;
        }
      } else {
        marker.setLatLng(at);
        marker.setTooltipContent(document.createTextNode(node.name ?? node.id));
      }
    }
    for (const [id, marker] of markers) {
      if (!seen.has(id)) {
        marker.remove();
        markers.delete(id);
      }
    }
    const total = fleet.nodes.size;
    note.textContent = !fleet.loaded ? 'Loading…' : withPos === total ? `${withPos} devices` : `${withPos} of ${total} devices have a position`;
    if (!fittedOnce && withPos > 0) {
      fittedOnce = true;
      fitToNodes();
    }
  };

  const fitToNodes = () => {
    if (!map || markers.size === 0) return;
    const leaflet = L();
    const bounds = leaflet.latLngBounds([...markers.values()].map((m) => m.getLatLng()));
    map.fitBounds(bounds.pad(0.15), { maxZoom: 15, animate: false });
  };

  let pending = 0;
  const onChange = () => {
    if (!pending) pending = requestAnimationFrame(() => ((pending = 0), sync()));
  };
  fleet.addEventListener('change', onChange);
  fit.addEventListener('click', fitToNodes);

  return {
    id: 'map',
    title: 'Map',
    el,
    show() {
      ensureMap();
      // Leaflet measured a hidden container; measure again now that it is shown.
      map?.invalidateSize({ animate: false });
      if (!fittedOnce) sync();
    },
    destroy() {
      fleet.removeEventListener('change', onChange);
      cancelAnimationFrame(pending);
      map?.remove();
      map = null;
    },
  };
}
