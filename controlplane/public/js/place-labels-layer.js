// Town and city names on the offline map, from the GeoNames extract the hub serves at
// /map/places/: capitals and big cities when zoomed out, towns when zoomed in (each place says the
// zoom it is first drawn at; small towns come in 10° cells loaded for the area in view). Labels are
// placed greedily, most important first, and one that would overlap a node, a node's label, a
// country name or a label already placed is left out: the operator's own markers always win.

import { textWidth } from './dom.js';

/** @typedef {[string, number, number, number]} Place name, latitude, longitude, first zoom */

/** At most this many names at once: a map, not a gazetteer. */
const MAX_LABELS = 180;
/** Room kept around each label (px). */
const GAP = 3;
const FONT_CITY = '600 13px system-ui, sans-serif';
const FONT_TOWN = '12px system-ui, sans-serif';
/** Places first drawn at this zoom or earlier are cities (bolder). */
const CITY_UP_TO_ZOOM = 5;

/**
 * @param {any} L Leaflet
 * @param {any} map
 * @returns {{ ready: Promise<void>, refresh(): void, remove(): void }}
 */
export function addPlaceLabels(L, map) {
  const pane = map.createPane('placesPane');
  // Above the outlines and links, under the markers, their labels and popups.
  pane.style.zIndex = '450';
  pane.style.pointerEvents = 'none';
  // The names are drawn text for the eye; the markers and their labels are what a screen reader gets.
  pane.setAttribute('aria-hidden', 'true');
  pane.classList.add('place-labels');

  /** @type {{ cellDeg: number, cellFromZoom: number, cells: Set<string>, places: Place[] } | null} */
  let world = null;
  /** @type {Map<string, Place[] | 'loading' | 'failed'>} */
  const cells = new Map();
  let removed = false;
  let frame = 0;

  /** @param {string} key */
  const loadCell = (key) => {
    cells.set(key, 'loading');
    fetch(`/map/places/cells/${key}.json`)
      .then((res) => (res.ok ? res.json() : Promise.reject(new Error(String(res.status)))))
      .then(
        (list) => {
          cells.set(key, Array.isArray(list) ? list : []);
          refresh();
        },
        () => cells.set(key, 'failed'),
      );
  };

  /** What is already on the map, in the map's own pixels: node markers, their labels, country names, the map's controls. */
  const obstacles = () => {
    const box = map.getContainer().getBoundingClientRect();
    /** @type {Array<{ x0: number, y0: number, x1: number, y1: number }>} */
    const out = [];
    for (const el of map.getContainer().querySelectorAll('.leaflet-marker-icon, .leaflet-tooltip, path.node-marker, .country-label, .leaflet-control')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      out.push({ x0: r.left - box.left, y0: r.top - box.top, x1: r.right - box.left, y1: r.bottom - box.top });
    }
    return out;
  };

  const render = () => {
    frame = 0;
    // Mid-zoom (a fleet update landing during the animation) the names would show at the new
    // zoom's places over a map still scaling; the moveend after the animation draws them. Leaflet
    // has no public word for it: _animatingZoom is what its own zoom methods check (a moveend can
    // come mid-animation too: a pan or a resize).
    if (removed || !world || map._animatingZoom) return;
    const zoom = Math.floor(map.getZoom());
    const bounds = map.getBounds().pad(0.05);
    /** @type {Place[]} */
    const candidates = world.places.filter((p) => p[3] <= zoom && bounds.contains([p[1], p[2]]));
    if (zoom >= world.cellFromZoom) {
      const d = world.cellDeg;
      for (let lat = Math.floor(bounds.getSouth() / d) * d; lat <= bounds.getNorth(); lat += d) {
        for (let lon = Math.floor(bounds.getWest() / d) * d; lon <= bounds.getEast(); lon += d) {
          // Past the antimeridian the map wraps; the cells are named in -180..180.
          const wrapped = ((((lon + 180) % 360) + 360) % 360) - 180;
          const key = `${lat}_${wrapped}`;
          if (!world.cells.has(key)) continue;
          const cell = cells.get(key);
          if (cell === undefined) loadCell(key);
          if (!Array.isArray(cell)) continue;
          for (const p of cell) if (p[3] <= zoom && bounds.contains([p[1], p[2] + (lon - wrapped)])) candidates.push([p[0], p[1], p[2] + (lon - wrapped), p[3]]);
        }
      }
    }
    // Most important first: each list is already by first zoom, then population.
    candidates.sort((a, b) => a[3] - b[3]);
    const size = map.getSize();
    const taken = obstacles();
    const free = (/** @type {{ x0: number, y0: number, x1: number, y1: number }} */ r) =>
      r.x0 >= 0 && r.y0 >= 0 && r.x1 <= size.x && r.y1 <= size.y && !taken.some((o) => r.x0 < o.x1 + GAP && r.x1 + GAP > o.x0 && r.y0 < o.y1 + GAP && r.y1 + GAP > o.y0);
    const fragment = document.createDocumentFragment();
    let placed = 0;
    for (const [name, lat, lon, first] of candidates) {
      if (placed >= MAX_LABELS) break;
      const city = first <= CITY_UP_TO_ZOOM;
      const w = textWidth(name, city ? FONT_CITY : FONT_TOWN);
      const hgt = city ? 17 : 15;
      const at = map.latLngToContainerPoint([lat, lon]);
      // The dot is the place; its name goes to the right, else to the left.
      const right = { x0: at.x - 3, y0: at.y - hgt / 2, x1: at.x + 6 + w, y1: at.y + hgt / 2 };
      const left = { x0: at.x - 6 - w, y0: at.y - hgt / 2, x1: at.x + 3, y1: at.y + hgt / 2 };
      const side = free(right) ? 'right' : free(left) ? 'left' : null;
      if (!side) continue;
      taken.push(side === 'right' ? right : left);
      const el = document.createElement('div');
      el.className = `place-label place-label--${city ? 'city' : 'town'} place-label--${side}`;
      el.dataset.minZoom = String(first);
      const dot = document.createElement('span');
      dot.className = 'place-dot';
      const text = document.createElement('span');
      text.className = 'place-name';
      text.textContent = name;
      el.append(dot, text);
      // left/top, not Leaflet's setPosition: that sets transform, which the CSS uses to anchor the label.
      const p = map.containerPointToLayerPoint(at);
      el.style.left = `${p.x}px`;
      el.style.top = `${p.y}px`;
      fragment.append(el);
      placed++;
    }
    pane.replaceChildren(fragment);
    pane.dataset.zoom = String(zoom);
    pane.classList.remove('is-zooming');
  };

  const refresh = () => {
    if (!frame && !removed) frame = requestAnimationFrame(render);
  };
  // Labels sit at layer points: they pan with the map but would drift while it scales.
  const hide = () => pane.classList.add('is-zooming');
  map.on('zoomstart', hide);
  map.on('moveend', refresh);

  const ready = fetch('/map/places/world.json')
    .then((res) => (res.ok ? res.json() : Promise.reject(new Error(`places: ${res.status}`))))
    .then((doc) => {
      world = { cellDeg: doc.cellDeg, cellFromZoom: doc.cellFromZoom, cells: new Set(doc.cells), places: doc.places };
      refresh();
    })
    // Without the names the map still works: outlines, markers and the region map stay.
    .catch(() => undefined);
  return {
    ready,
    refresh,
    remove() {
      removed = true;
      if (frame) cancelAnimationFrame(frame);
      map.off('zoomstart', hide);
      map.off('moveend', refresh);
      pane.replaceChildren();
    },
  };
}
