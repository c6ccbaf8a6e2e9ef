// Map: works with no internet. Natural Earth coastlines, borders and country names and GeoNames
// town and city names (served by the hub), the admin's region map on top when there is one, an online tile server only when one is
// configured. Nodes are labelled markers (green online, grey offline, with their name), gateways
// squares with their coverage, links from each node to the gateways that heard it coloured and
// dashed by the last SNR (thinner through relays), position trails, clusters when zoomed out, and an open SOS as a
// pulsing red triangle. A module adds its own marks (module-ui-hooks.js `mapLayer`; birlikteyiz: an open
// quake's epicentre). The first view is the fleet and each gateway's whole coverage. A gateway
// without a position of its own (no GPS) stands, marked as estimated, where the node it hears best
// directly is: usually the node beside it.
// `#/map/<nodeId>` centres the map on a node (the alert card links there).

import { h, replace } from '../dom.js';
import { addBaseMap } from '../base-map-layer.js';
import { addPlaceLabels } from '../place-labels-layer.js';
import { battery, coordinates, decibels, relativeTime } from '../format.js';
import { createGraticuleLayer } from '../graticule-layer.js';
import { t } from '../i18n.js';
import { addModuleHooks } from '../module-ui-hooks.js';

/**
 * The zoom buttons' names in the reader's language, on every map the hub's Leaflet draws (the
 * check-in map of birlikteyiz too): Leaflet's defaults, set before any map is made.
 */
function translateZoomButtons() {
  /** @type {any} */ (window).L?.Control.Zoom.mergeOptions({ zoomInTitle: t('Zoom in'), zoomOutTitle: t('Zoom out') });
}

/** Markers closer than this (px) are drawn as one cluster. */
const CLUSTER_PX = 28;
/** Clusters only where the map is zoomed out this far. */
const CLUSTER_BELOW_ZOOM = 11;
/** Leaflet's pane for SOS markers, above its markers and tooltips (650), below popups (700). */
const SOS_PANE = 'sos';
/** A gateway's coverage when no node it hears directly has a position yet (m). */
const DEFAULT_COVERAGE_M = 2000;
/**
 * Where a node's name may go when an SOS marker (drawn above it) would cover it where it usually
 * is: the other sides, then the same sides clear of a 44 px SOS marker on the node itself.
 */
const LABEL_SPOTS = [
  { direction: 'right', offset: [10, 0] },
  { direction: 'left', offset: [-10, 0] },
  { direction: 'top', offset: [0, -10] },
  { direction: 'bottom', offset: [0, 10] },
  { direction: 'right', offset: [26, 0] },
  { direction: 'left', offset: [-26, 0] },
  { direction: 'top', offset: [0, -24] },
  { direction: 'bottom', offset: [0, 24] },
];
/** Room kept between a name and an SOS marker (px). */
const SOS_LABEL_GAP = 2;

/**
 * How much of `a` lies under `b` (px²), `b` grown by SOS_LABEL_GAP.
 * @param {DOMRect} a
 * @param {DOMRect} b
 */
function overlapArea(a, b) {
  const w = Math.min(a.right, b.right + SOS_LABEL_GAP) - Math.max(a.left, b.left - SOS_LABEL_GAP);
  const h = Math.min(a.bottom, b.bottom + SOS_LABEL_GAP) - Math.max(a.top, b.top - SOS_LABEL_GAP);
  return w > 0 && h > 0 ? w * h : 0;
}

/**
 * The node a gateway hears best directly (by RSSI, then SNR) among those with a position: for a
 * gateway without GPS, usually the node beside it (often its own field node).
 * @param {string} gatewayId
 * @param {import('../fleet-store.js').FleetNode[]} nodes
 */
export function colocatedNode(gatewayId, nodes) {
  let best = null;
  let bestScore = -Infinity;
  for (const n of nodes) {
    if (n.kind === 'gateway' || !n.position) continue;
    const g = n.heardBy.find((x) => x.gatewayId === gatewayId && (x.hops ?? 0) === 0);
    if (!g) continue;
    const score = (g.rssi ?? -200) * 100 + (g.snr ?? -50);
    if (score > bestScore) {
      best = n;
      bestScore = score;
    }
  }
  return best;
}

/** @param {number | null | undefined} snr */
export function snrClass(snr) {
  if (typeof snr !== 'number') return 'unknown';
  if (snr >= 5) return 'good';
  if (snr >= -5) return 'fair';
  return 'poor';
}
const SNR_COLOUR = { good: '#137a3e', fair: '#b7791f', poor: '#b42318', unknown: '#6b7280' };
const SNR_DASH = { good: null, fair: '10 6', poor: '2 6', unknown: '1 8' };

/**
 * @param {import('../shell.js').AppContext} ctx
 * @returns {import('../shell.js').View}
 */
export function createMapView(ctx) {
  const { fleet, alerts } = ctx;
  translateZoomButtons();
  const mapEl = h('div', { class: 'map', id: 'node-map', role: 'region', 'aria-label': t('Node map') });
  const fit = h('button', { type: 'button' }, t('Fit to nodes'));
  const note = h('p', { class: 'summary', 'aria-live': 'polite' });
  // Explained only when the map shows one.
  const estimatedLegend = h('li', { hidden: true }, h('span', { class: 'legend-gw legend-gw--estimated', 'aria-hidden': 'true' }), t('gateway without GPS, at the node it hears best'));
  // An SOS is drawn two ways (drawOverlay): pulsing until someone acknowledges it, still once they
  // have. Each way is explained while the map shows one, in words that say which it is: an
  // acknowledged SOS must not read as unattended, nor an open one as attended.
  const openSosLegend = h('li', { hidden: true, dataset: { sos: 'open' } }, h('span', { class: 'legend-sos legend-sos--open', 'aria-hidden': 'true' }, h('span', { class: 'legend-sos-ring' }), h('span', { class: 'legend-sos-shape' })), t('SOS, not yet acknowledged'));
  const acknowledgedSosLegend = h('li', { hidden: true, dataset: { sos: 'acknowledged' } }, h('span', { class: 'legend-sos legend-sos--acknowledged', 'aria-hidden': 'true' }, h('span', { class: 'legend-sos-shape' })), t('SOS acknowledged, not yet resolved'));
  const legend = h(
    'ul',
    { class: 'legend', 'aria-label': t('Legend') },
    h('li', {}, h('span', { class: 'legend-dot legend-dot--online', 'aria-hidden': 'true' }), t('online')),
    h('li', {}, h('span', { class: 'legend-dot legend-dot--offline', 'aria-hidden': 'true' }), t('offline')),
    h('li', {}, h('span', { class: 'legend-gw', 'aria-hidden': 'true' }), t('gateway and its coverage')),
    estimatedLegend,
    openSosLegend,
    acknowledgedSosLegend,
    h('li', {}, h('span', { class: 'legend-link legend-link--good', 'aria-hidden': 'true' }), t('link, SNR ≥ 5 dB')),
    h('li', {}, h('span', { class: 'legend-link legend-link--fair', 'aria-hidden': 'true' }), t('link, SNR −5…5 dB')),
    h('li', {}, h('span', { class: 'legend-link legend-link--poor', 'aria-hidden': 'true' }), t('link, SNR < −5 dB')),
  );
  const el = h(
    'section',
    { class: 'view view--map', 'aria-labelledby': 'map-title' },
    h('div', { class: 'view-head' }, h('h1', { id: 'map-title' }, t('Map')), note, h('div', { class: 'spacer' }), fit),
    mapEl,
    legend,
  );

  /** @type {any} */
  let map = null;
  /** @type {Map<string, any>} */
  const markers = new Map();
  /** Where each marker's name usually goes (keepLabelsOffSos moves it only while an SOS would cover it). @type {WeakMap<any, { direction: string, offset: number[] }>} */
  const labelSide = new WeakMap();
  /** @type {any} */
  let overlay = null;
  /** Town names give way to the markers: placed again when these move. @type {{ refresh(): void } | null} */
  let places = null;
  let fittedOnce = false;
  /** @type {{ destroy(): void } | null} */
  let moduleLayers = null;
  /** A node to centre on once the map is up (from #/map/<id>). @type {string | null} */
  let focusId = null;
  /** Each node's SOS triangle on the map (its most pressing SOS), by node id. @type {Map<string, any>} */
  const sosMarkers = new Map();

  const L = () => /** @type {any} */ (window).L;

  const ensureMap = () => {
    if (map) return;
    const leaflet = L();
    if (!leaflet) {
      replace(mapEl, h('p', { class: 'empty' }, t('The map library did not load.')));
      return;
    }
    map = leaflet.map(mapEl, { worldCopyJump: true, minZoom: 2, maxZoom: 19, zoomSnap: 0.5, attributionControl: true });
    // An SOS is drawn above everything else on the map, names included (Leaflet's tooltips sit
    // above its markers: a gateway's label covered an SOS beside it); only popups go over it.
    map.createPane(SOS_PANE).style.zIndex = '680';
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution(t('Natural Earth'));
    map.attributionControl.addAttribution(t('Place names: GeoNames (CC BY 4.0)'));
    addBaseMap(leaflet, map);
    places = addPlaceLabels(leaflet, map);
    const grid = createGraticuleLayer(leaflet);
    /** @type {Record<string, any>} */
    const bases = {};
    /** @type {Record<string, any>} */
    const extras = { [t('Lat/lon grid')]: grid };
    const region = ctx.config.region;
    if (region) {
      const regionLayer = leaflet.tileLayer(region.url, { minZoom: 2, maxNativeZoom: region.maxZoom, minNativeZoom: region.minZoom, maxZoom: 19, attribution: region.attribution ?? t('Region map'), className: 'region-tiles', ...(region.bounds ? { bounds: [[region.bounds[1], region.bounds[0]], [region.bounds[3], region.bounds[2]]] } : {}) });
      regionLayer.addTo(map);
      extras[t('Region map')] = regionLayer;
    }
    if (ctx.config.mapTileUrl) {
      const tiles = leaflet.tileLayer(ctx.config.mapTileUrl, { maxZoom: 19, attribution: t('Map tiles: configured tile server') });
      tiles.addTo(map);
      extras[t('Online tiles')] = tiles;
    }
    if (!region && !ctx.config.mapTileUrl) grid.addTo(map);
    // On a touch screen Leaflet's own layers button opens on the tap's synthetic mouseover and
    // shuts on its click: there it opens on a tap and shuts on a tap on the map.
    const touch = window.matchMedia('(hover: none), (pointer: coarse)').matches;
    const layers = leaflet.control.layers(bases, extras, { collapsed: !touch }).addTo(map);
    if (touch) {
      layers.collapse();
      map.on('click', () => layers.collapse());
    }
    const layersToggle = layers.getContainer().querySelector('.leaflet-control-layers-toggle');
    layersToggle.title = t('Layers');
    layersToggle.setAttribute('aria-label', t('Layers'));
    leaflet.control.scale({ imperial: false }).addTo(map);
    overlay = leaflet.layerGroup().addTo(map);
    map.setView([20, 0], 2);
    // A module's marks come and go: the names are placed again around them.
    moduleLayers = addModuleHooks(
      ctx,
      'mapLayer',
      (mapLayer, name) => mapLayer({ L: leaflet, map, api: ctx.api, stream: ctx.stream, base: `/api/v1/modules/${name}`, legend, changed: () => onChange(), fitWith: (/** @type {Array<[number, number]>} */ points) => fitToNodes(points) }),
      () => onChange(),
    );
    map.on('zoomend', () => sync());
    // Panning brings names to the map's edges: they move inside (keepLabelsOffSos) when it stops.
    map.on('moveend', () => keepLabelsOffSos());
    sync();
  };

  /**
   * @param {import('../fleet-store.js').FleetNode} node
   * @param {string | null} [estimatedFrom] the node a gateway's estimated position comes from
   */
  const popupFor = (node, estimatedFrom = null) => {
    const sos = alerts.sosOf(node.id);
    return h(
      'div',
      { class: 'node-popup' },
      h('strong', { title: node.id }, fleet.display(node.id)),
      h('div', { class: 'mono' }, node.id),
      sos ? h('div', { class: 'popup-sos' }, h('span', { class: `badge badge--${sos.state}` }, sosSummary(alerts.sosListOf(node.id))), ' ', h('a', { href: '#/alerts' }, t('Open the alert'))) : null,
      h('div', {}, h('span', { class: `badge ${node.online ? 'badge--online' : 'badge--offline'}` }, node.online ? t('Online') : t('Offline')), ' ', t('last seen {when}', { when: relativeTime(node.lastSeen) })),
      node.battery !== null ? h('div', {}, t('Battery {value}', { value: battery(node.battery) })) : null,
      node.snr !== null ? h('div', {}, t('SNR {value}', { value: decibels(node.snr) })) : null,
      node.position ? h('div', {}, coordinates(node.position.latitude, node.position.longitude)) : null,
      estimatedFrom ? h('div', { class: 'popup-estimated' }, t('No position of its own: shown at {name}, the node it hears best', { name: fleet.display(estimatedFrom) })) : null,
      node.kind !== 'gateway' ? h('div', {}, h('a', { href: `#/send/${encodeURIComponent(node.id)}` }, t('Send a message'))) : null,
    );
  };

  const style = (/** @type {boolean} */ online) => ({
    radius: 8,
    weight: 2,
    color: online ? '#0b6b3a' : '#4b5563',
    fillColor: online ? '#16a34a' : '#9ca3af',
    fillOpacity: 0.9,
    className: `node-marker node-marker--${online ? 'online' : 'offline'}`,
  });

  /** @param {import('../fleet-store.js').FleetNode & { estimatedFrom?: string }} node */
  const accessibleName = (node) => {
    const status = node.online ? t('online') : t('offline');
    if (node.kind === 'gateway' && node.estimatedFrom) return t('Gateway {name} ({status}), position estimated', { name: fleet.display(node.id), status });
    return node.kind === 'gateway' ? t('Gateway {name} ({status})', { name: fleet.display(node.id), status }) : t('{name} ({status})', { name: fleet.display(node.id), status });
  };

  /** @param {import('../fleet-store.js').FleetNode & { estimatedFrom?: string }} node */
  const markerFor = (node) => {
    const leaflet = L();
    const at = [node.position?.latitude, node.position?.longitude];
    /** @type {any} */
    let marker;
    if (node.kind === 'gateway') {
      // An estimated gateway sits up and left of the node it stands in for, not over it: the
      // node's own marker and status colour stay visible.
      const beside = node.estimatedFrom ? { iconAnchor: [27, 27], tooltipAnchor: [-27, -18] } : {};
      marker = leaflet.marker(at, { icon: leaflet.divIcon({ className: `gw-marker gw-marker--${node.online ? 'online' : 'offline'}${node.estimatedFrom ? ' gw-marker--estimated' : ''}`, html: '', iconSize: [18, 18], ...beside }), keyboard: true, title: fleet.display(node.id), alt: accessibleName(node) });
    } else {
      marker = leaflet.circleMarker(at, style(node.online));
    }
    marker.bindPopup(() => popupFor(/** @type {import('../fleet-store.js').FleetNode} */ (fleet.get(node.id) ?? node), node.estimatedFrom ?? null));
    // An estimated gateway shares its spot with a node: its name goes to the other side.
    const side = node.estimatedFrom ? { direction: 'left', offset: [-2, 0] } : { direction: 'right', offset: [10, 0] };
    marker.bindTooltip(document.createTextNode(fleet.display(node.id)), { permanent: true, ...side, className: `node-label ${fleet.get(node.id)?.name ? '' : 'node-label--unnamed'}` });
    labelSide.set(marker, side);
    marker.addTo(map);
    const elOf = marker.getElement();
    if (elOf) {
      elOf.setAttribute('aria-label', accessibleName(node));
      elOf.setAttribute('role', 'button');
      elOf.setAttribute('tabindex', '0');
      elOf.dataset.nodeId = node.id;
      elOf.addEventListener('keydown', (/** @type {KeyboardEvent} */ e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          marker.openPopup();
        }
      });
    }
    marker._unibosKey = `${node.kind}:${node.online}:${fleet.display(node.id)}:${node.estimatedFrom ?? ''}`;
    return marker;
  };

  /**
   * The fleet as the map places it: a node known only from its SOS stands where the SOS says; a
   * gateway with no position of its own where the node it hears best directly is.
   * @returns {Array<import('../fleet-store.js').FleetNode & { estimatedFrom?: string }>}
   */
  const placed = () => {
    const all = fleet.list();
    return all.map((n) => {
      if (n.position) return n;
      if (n.kind === 'gateway') {
        const near = colocatedNode(n.id, all);
        return near?.position ? { ...n, position: { ...near.position, altitudeM: null }, estimatedFrom: near.id } : n;
      }
      const sos = alerts.sosOf(n.id);
      const p = sos ? sosPosition(sos) : null;
      return p ? { ...n, position: { ...p, altitudeM: null, time: sos?.raisedAt ?? null } } : n;
    });
  };

  const sync = () => {
    if (!map) return;
    const leaflet = L();
    const seen = new Set();
    let withPos = 0;
    const list = placed();
    /** Nodes within a cluster are drawn as one marker (not while zoomed in). */
    const clusters = clusterNodes(list.filter((n) => n.position), map.getZoom() < CLUSTER_BELOW_ZOOM ? (n) => map.latLngToLayerPoint([n.position.latitude, n.position.longitude]) : null);
    for (const node of list) {
      if (!node.position) continue;
      withPos++;
      if (clusters.hidden.has(node.id)) continue;
      seen.add(node.id);
      let marker = markers.get(node.id);
      const key = `${node.kind}:${node.online}:${fleet.display(node.id)}:${node.estimatedFrom ?? ''}`;
      let popupOpen = false;
      let hadFocus = false;
      if (marker && marker._unibosKey !== key) {
        // Class names and labels are fixed when the marker is made: make it again on a change,
        // its popup still open and the keyboard still on it if they were (a node going offline or
        // getting its name must not close what the operator is reading).
        popupOpen = marker.isPopupOpen();
        hadFocus = marker.getElement() === document.activeElement;
        marker.remove();
        markers.delete(node.id);
        marker = undefined;
      }
      if (!marker) {
        markers.set(node.id, (marker = markerFor(node)));
        if (popupOpen) marker.openPopup();
        if (hadFocus) marker.getElement()?.focus();
      } else marker.setLatLng([node.position.latitude, node.position.longitude]);
    }
    for (const [id, marker] of markers) {
      if (!seen.has(id)) {
        marker.remove();
        markers.delete(id);
      }
    }
    drawOverlay(leaflet, clusters.groups, list);
    keepLabelsOffSos();
    places?.refresh();
    const total = fleet.nodes.size;
    estimatedLegend.hidden = !list.some((n) => n.position && n.estimatedFrom);
    const sosShown = alerts.list().filter((a) => a.level === 'SOS' && sosPosition(a));
    openSosLegend.hidden = !sosShown.some((a) => a.state !== 'acknowledged');
    acknowledgedSosLegend.hidden = !sosShown.some((a) => a.state === 'acknowledged');
    fit.disabled = withPos === 0;
    note.textContent = !fleet.loaded ? t('Loading…') : withPos === total ? t({ one: '{count} device', other: '{count} devices' }, { count: withPos }) : t('{with} of {count} devices have a position', { with: withPos, count: total });
    if (focusId) centreOn(focusId);
    if (!focusId && !fittedOnce && withPos > 0) {
      fittedOnce = true;
      fitToNodes();
    }
  };

  /**
   * An SOS marker is drawn above the nodes' names (it must never be hidden), so a name it would
   * cover moves: to the first spot of LABEL_SPOTS clear of every SOS marker and of the names placed
   * before it and inside the map, else where the least of it is covered or cut off (an SOS counting
   * far more). A name running past the map's edge, or on one placed before it (two nodes close
   * together on a phone), moves the same way. Names clear of all that stay where they usually are.
   */
  const keepLabelsOffSos = () => {
    // A module's marker that must stay readable (an epicentre's magnitude) is kept clear like an SOS.
    const sos = [...mapEl.querySelectorAll('.sos-marker .sos-shape, .map-keep-clear')].map((e) => e.getBoundingClientRect()).filter((r) => r.width > 0);
    const frame = mapEl.getBoundingClientRect();
    /** The names placed so far: a later name gives way to them. @type {DOMRect[]} */
    const names = [];
    for (const marker of markers.values()) {
      const tip = marker.getTooltip?.();
      const el = tip?.getElement?.();
      if (!tip || !(el instanceof HTMLElement)) continue;
      const home = labelSide.get(marker);
      if (!home) continue;
      /** @param {{ direction: string, offset: number[] }} spot */
      const put = (spot) => {
        if (tip.options.direction === spot.direction && String(tip.options.offset) === String(spot.offset)) return;
        tip.options.direction = spot.direction;
        tip.options.offset = spot.offset;
        tip.update();
      };
      put(home);
      const atHome = el.getBoundingClientRect();
      el.classList.remove('node-label--moved');
      // A name running past the map's edge (a node near it, on a phone) moves inside like one an SOS covers.
      const offMap = atHome.left < frame.left || atHome.right > frame.right || atHome.top < frame.top || atHome.bottom > frame.bottom;
      if (atHome.width === 0) continue;
      if (!offMap && !sos.some((b) => overlapArea(atHome, b) > 0) && !names.some((b) => overlapArea(atHome, b) > 0)) {
        names.push(atHome);
        continue;
      }
      /** How much of a name an SOS or a name placed before covers, or lies off the map. @param {DOMRect} r */
      const cost = (r) => sos.reduce((sum, b) => sum + 1000 * overlapArea(r, b), 0) + names.reduce((sum, b) => sum + overlapArea(r, b), 0) + (r.width * r.height - Math.max(0, Math.min(r.right, frame.right) - Math.max(r.left, frame.left)) * Math.max(0, Math.min(r.bottom, frame.bottom) - Math.max(r.top, frame.top)));
      let best = home;
      let least = cost(atHome);
      for (const spot of LABEL_SPOTS) {
        if (least === 0) break;
        put(spot);
        const c = cost(el.getBoundingClientRect());
        if (c < least) {
          least = c;
          best = spot;
        }
      }
      put(best);
      el.classList.toggle('node-label--moved', best !== home);
      names.push(el.getBoundingClientRect());
    }
  };

  /**
   * Links, coverage, trails, clusters and SOS markers: redrawn whole (a few dozen shapes).
   * @param {any} leaflet
   * @param {Array<{ at: any, ids: string[] }>} groups
   * @param {import('../fleet-store.js').FleetNode[]} list
   */
  const drawOverlay = (leaflet, groups, list) => {
    // An SOS whose popup the operator is reading, or that has the keyboard, keeps it across the
    // redraw (a trail loading or a node's battery report must not close it).
    /** @type {any[]} */
    const before = overlay.getLayers().filter((/** @type {any} */ l) => l._unibosAlertId);
    const popupOn = before.find((m) => m.isPopupOpen())?._unibosAlertId;
    const focusOn = before.find((m) => m.getElement() === document.activeElement)?._unibosAlertId;
    overlay.clearLayers();
    sosMarkers.clear();
    const byId = new Map(list.map((n) => [n.id, n]));
    /** Where a gateway's square is drawn: an estimated one sits beside its node (see markerFor). @param {any} gw */
    const squareAt = (gw) => {
      const at = [gw.position.latitude, gw.position.longitude];
      return gw.estimatedFrom ? map.layerPointToLatLng(map.latLngToLayerPoint(at).subtract([18, 18])) : at;
    };
    for (const node of list) {
      const p = node.position;
      if (!p) continue;
      const trail = fleet.trails.get(node.id) ?? [];
      if (trail.length > 1) overlay.addLayer(leaflet.polyline(trail.map((q) => [q.latitude, q.longitude]), { color: '#1f6fb2', weight: 2, opacity: 0.5, dashArray: '2 6', interactive: false, className: 'node-trail' }));
      if (node.kind === 'gateway') {
        overlay.addLayer(leaflet.circle([p.latitude, p.longitude], { radius: coverageM(node, list), color: '#1f6fb2', weight: 1, fillOpacity: 0.06, interactive: false, className: 'gw-coverage', ...(node.estimatedFrom ? { dashArray: '4 6' } : {}) }));
        continue;
      }
      for (const g of node.heardBy) {
        const gw = byId.get(g.gatewayId);
        if (!gw?.position) continue;
        const quality = snrClass(g.snr);
        overlay.addLayer(
          leaflet
            // Quality by colour and by dash (colour is never the only signal); through relays thinner.
            .polyline([[p.latitude, p.longitude], squareAt(gw)], { color: SNR_COLOUR[quality], weight: (g.hops ?? 0) > 0 ? 2 : 3.5, opacity: 0.85, dashArray: SNR_DASH[quality], className: `node-link node-link--${quality}` })
            // A text node: Leaflet puts a string in as HTML, and a node names itself over the air.
            .bindTooltip(document.createTextNode(t('{node} → {gateway}: SNR {snr}', { node: fleet.display(node.id), gateway: fleet.display(g.gatewayId), snr: decibels(g.snr) })), { sticky: true }),
        );
      }
    }
    for (const g of groups) {
      const label = t({ one: '{count} node', other: '{count} nodes' }, { count: g.ids.length });
      const cluster = leaflet.marker(g.at, { icon: leaflet.divIcon({ className: 'node-cluster', html: '', iconSize: [34, 34] }), title: label, alt: label, keyboard: true });
      cluster.on('add', () => {
        const e = cluster.getElement();
        if (e) e.textContent = String(g.ids.length);
      });
      cluster.on('click', () => map.fitBounds(leaflet.latLngBounds(g.ids.map((id) => [byId.get(id)?.position?.latitude, byId.get(id)?.position?.longitude])).pad(0.3), { maxZoom: CLUSTER_BELOW_ZOOM + 1 }));
      overlay.addLayer(cluster);
    }
    for (const a of alerts.list()) {
      if (a.level !== 'SOS') continue;
      const where = sosPosition(a);
      if (!where) continue;
      const name = fleet.display(a.nodeId);
      const label = t('SOS from {name}', { name });
      // Open: it pulses until someone acknowledges it; acknowledged, it stays until resolved.
      const html = a.state === 'acknowledged' ? '<span class="sos-shape">SOS</span>' : '<span class="sos-pulse"></span><span class="sos-shape">SOS</span>';
      // Focus given back after a redraw does not pan the map (Leaflet pans to a focused marker): the
      // operator may have dragged it away since.
      const m = leaflet.marker([where.latitude, where.longitude], { icon: leaflet.divIcon({ className: `sos-marker sos-marker--${a.state}`, html, iconSize: [44, 44] }), pane: SOS_PANE, keyboard: true, title: label, alt: label, autoPanOnFocus: a.id !== focusOn });
      m.bindPopup(() => popupFor(fleet.get(a.nodeId) ?? { id: a.nodeId, name: null, kind: 'node', online: true, lastSeen: a.raisedAt, battery: null, snr: null, rssi: null, position: where, heardBy: [] }));
      m._unibosAlertId = a.id;
      overlay.addLayer(m);
      if (!sosMarkers.has(a.nodeId)) sosMarkers.set(a.nodeId, m);
      const e = m.getElement();
      if (e) {
        e.dataset.nodeId = a.nodeId;
        e.setAttribute('role', 'button');
        e.setAttribute('aria-label', label);
      }
      if (a.id === popupOn) {
        // Opened again where it was, not panned into view (the operator may have dragged it to an edge).
        const popup = m.getPopup();
        popup.options.autoPan = false;
        m.openPopup();
        popup.options.autoPan = true;
      }
      if (a.id === focusOn) e?.focus();
    }
    // Links end at the nodes' centres: the nodes go back on top so their status colour shows.
    // Moving an element in the page takes the keyboard focus off it: a node marker that had it gets it back.
    const focused = document.activeElement;
    for (const m of markers.values()) if (typeof m.bringToFront === 'function') m.bringToFront();
    if (focused instanceof SVGElement && focused.isConnected && document.activeElement !== focused) focused.focus();
  };

  /** @param {import('../views/alerts-view.js').Alert} a */
  const sosPosition = (a) => {
    const p = /** @type {any} */ (a.position);
    if (p && typeof p.latitude === 'number' && typeof p.longitude === 'number' && !(p.latitude === 0 && p.longitude === 0)) return { latitude: p.latitude, longitude: p.longitude };
    return fleet.get(a.nodeId)?.position ?? null;
  };

  /**
   * A gateway's coverage radius (m): a little past the farthest node it hears directly.
   * @param {import('../fleet-store.js').FleetNode} gw
   * @param {import('../fleet-store.js').FleetNode[]} list
   */
  const coverageM = (gw, list) => {
    const p = gw.position;
    if (!p || !map) return DEFAULT_COVERAGE_M;
    const reach = list.filter((n) => n.position && n.heardBy.some((g) => g.gatewayId === gw.id && (g.hops ?? 0) === 0)).map((n) => map.distance([p.latitude, p.longitude], [n.position?.latitude, n.position?.longitude]));
    return reach.length ? Math.max(...reach) * 1.1 : DEFAULT_COVERAGE_M;
  };

  /**
   * The fleet and each gateway's coverage circle, whole, with a little room around; and `extra`
   * places (a module's mark, e.g. an epicentre) with room for the words beside them.
   * @param {Array<[number, number]>} [extra]
   */
  const fitToNodes = (extra = []) => {
    if (!map) return;
    const leaflet = L();
    const list = placed().filter((n) => n.position);
    if (list.length === 0 && extra.length === 0) return;
    const bounds = leaflet.latLngBounds([...list.map((n) => [n.position?.latitude, n.position?.longitude]), ...extra]).pad(0.15);
    for (const gw of list) if (gw.kind === 'gateway' && gw.position) bounds.extend(leaflet.latLng(gw.position.latitude, gw.position.longitude).toBounds(2 * coverageM(gw, list)));
    const room = extra.length ? 40 : 8;
    map.fitBounds(bounds, { padding: [room, room], maxZoom: 15, animate: false });
  };

  /**
   * Centres on a node (from #/map/<id>: the fleet's rows and the alert cards link here), its popup
   * open; where the map places it, so a gateway without GPS too, and a node known only from its SOS
   * where the SOS says. The place may come from either store: only once both the fleet and the
   * open alerts have loaded is a node with none said to have none, not silently left off the map.
   * @param {string} id
   */
  const centreOn = (id) => {
    const sos = alerts.sosOf(id);
    const p = (sos && sosPosition(sos)) ?? placed().find((n) => n.id === id)?.position;
    if (!map) return;
    if (!p) {
      if (fleet.loaded && alerts.loaded) {
        focusId = null;
        ctx.notify(t('{name} has not reported a position yet: it is not on the map.', { name: fleet.display(id) }));
      }
      return;
    }
    focusId = null;
    fittedOnce = true;
    map.setView([p.latitude, p.longitude], Math.max(map.getZoom(), 15), { animate: false });
    // The node's own marker, else (a node the fleet does not list) its SOS triangle: the same popup.
    (markers.get(id) ?? sosMarkers.get(id))?.openPopup();
  };

  const readFocus = () => {
    const m = /^#\/map\/([^/?#]+)/.exec(location.hash);
    if (!m || !m[1]) return;
    focusId = decodeURIComponent(m[1]);
    for (const id of [focusId]) void fleet.loadTrail(id);
  };

  let pending = 0;
  const onChange = () => {
    if (!pending) pending = requestAnimationFrame(() => ((pending = 0), sync()));
  };
  fleet.addEventListener('change', onChange);
  alerts.addEventListener('change', onChange);
  fit.addEventListener('click', () => fitToNodes());
  const onHash = () => {
    if (el.hidden) return;
    readFocus();
    sync();
  };
  window.addEventListener('hashchange', onHash);

  return {
    id: 'map',
    title: t('Map'),
    el,
    show() {
      ensureMap();
      // Leaflet measured a hidden container; measure again now that it is shown.
      map?.invalidateSize({ animate: false });
      readFocus();
      for (const n of fleet.list()) if (n.position && n.kind !== 'gateway') void fleet.loadTrail(n.id);
      sync();
    },
    destroy() {
      fleet.removeEventListener('change', onChange);
      alerts.removeEventListener('change', onChange);
      window.removeEventListener('hashchange', onHash);
      cancelAnimationFrame(pending);
      moduleLayers?.destroy();
      map?.remove();
      map = null;
    },
  };
}

/**
 * Groups nodes whose markers would overlap on screen. `project` is null when zoomed in (no clusters).
 * @param {import('../fleet-store.js').FleetNode[]} nodes
 * @param {((n: any) => { x: number, y: number }) | null} project
 */
function clusterNodes(nodes, project) {
  /** @type {Set<string>} */
  const hidden = new Set();
  /** @type {Array<{ at: any, ids: string[] }>} */
  const groups = [];
  if (!project) return { hidden, groups };
  /** @type {Array<{ x: number, y: number, ids: string[], lat: number, lon: number }>} */
  const cells = [];
  for (const n of nodes) {
    const pt = project(n);
    const near = cells.find((c) => Math.hypot(c.x - pt.x, c.y - pt.y) < CLUSTER_PX);
    if (near) near.ids.push(n.id);
    else cells.push({ x: pt.x, y: pt.y, ids: [n.id], lat: n.position?.latitude ?? 0, lon: n.position?.longitude ?? 0 });
  }
  for (const c of cells) {
    if (c.ids.length < 2) continue;
    for (const id of c.ids) hidden.add(id);
    groups.push({ at: [c.lat, c.lon], ids: c.ids });
  }
  return { hidden, groups };
}

/**
 * What a node's unresolved SOS amount to, as its popup says it: open (nobody has acknowledged it)
 * or acknowledged, and how many when there are more than one.
 * @param {import('../views/alerts-view.js').Alert[]} list
 */
function sosSummary(list) {
  const open = list.filter((a) => a.state === 'open').length;
  const acknowledged = list.length - open;
  if (list.length <= 1) return open ? t('SOS open') : t('SOS acknowledged');
  if (acknowledged === 0) return t({ one: '{count} SOS open', other: '{count} SOS open' }, { count: open });
  if (open === 0) return t({ one: '{count} SOS acknowledged', other: '{count} SOS acknowledged' }, { count: acknowledged });
  return t('{open} SOS open, {acknowledged} acknowledged', { open, acknowledged });
}
