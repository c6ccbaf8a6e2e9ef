// The offline map's background: a light latitude/longitude grid drawn on canvas tiles, so the
// map shows scale and place with no tile server and no internet. Its labels sit along the map's
// top and left edges, placed for the view (a tile's label would be cut where the tile runs past
// the map's edge); they read in the reader's locale.

import { overlaps, textWidth } from './dom.js';
import { gridCoordinate } from './format.js';

/** Grid steps in degrees, coarse to fine. */
const STEPS = [30, 20, 10, 5, 2, 1, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001, 0.0005, 0.0002, 0.0001];
/** Label text height (px). */
const LABEL_PX = 10;
/** Aim for grid lines about this far apart on screen. */
const TARGET_PX = 140;

/**
 * The grid step for a zoom level: the finest step still at least TARGET_PX apart at the equator.
 * @param {number} zoom
 */
export function gridStep(zoom) {
  const degPerPx = 360 / (256 * 2 ** zoom);
  const want = TARGET_PX * degPerPx;
  let step = STEPS[0] ?? 30;
  for (const s of STEPS) if (s >= want) step = s;
  return step;
}

/** @param {number} value @param {number} step @param {'lat' | 'lon'} axis */
function label(value, step, axis) {
  return gridCoordinate(value, Math.max(0, Math.ceil(-Math.log10(step))), axis);
}

/**
 * @param {any} L the Leaflet namespace
 * @returns {any} a GridLayer instance
 */
export function createGraticuleLayer(L) {
  const Graticule = L.GridLayer.extend({
    options: { tileSize: 256, updateWhenZooming: false, className: 'graticule', pane: 'tilePane' },
    /** @param {any} map */
    onAdd(map) {
      L.GridLayer.prototype.onAdd.call(this, map);
      if (!map.getPane(LABEL_PANE)) map.createPane(LABEL_PANE).style.zIndex = '250';
      this._labels = L.DomUtil.create('div', 'graticule-labels', map.getPane(LABEL_PANE));
      this._placeLabels = () => placeLabels(L, map, this._labels);
      this._hideLabels = () => this._labels.replaceChildren();
      map.on('moveend zoomend resize viewreset', this._placeLabels);
      map.on('zoomstart', this._hideLabels);
      this._placeLabels();
    },
    /** @param {any} map */
    onRemove(map) {
      map.off('moveend zoomend resize viewreset', this._placeLabels);
      map.off('zoomstart', this._hideLabels);
      this._labels?.remove();
      L.GridLayer.prototype.onRemove.call(this, map);
    },
    /**
     * @param {{ x: number, y: number, z: number }} coords
     */
    createTile(coords) {
      /** @type {HTMLCanvasElement} */
      const tile = L.DomUtil.create('canvas', 'graticule-tile');
      const size = this.getTileSize();
      const ratio = window.devicePixelRatio || 1;
      tile.width = size.x * ratio;
      tile.height = size.y * ratio;
      const g = /** @type {CanvasRenderingContext2D} */ (tile.getContext('2d'));
      g.scale(ratio, ratio);
      const map = this._map;
      const zoom = coords.z;
      const origin = L.point(coords.x * size.x, coords.y * size.y);
      const nw = map.unproject(origin, zoom);
      const se = map.unproject(origin.add(size), zoom);
      const step = gridStep(zoom);
      const major = step * 5;

      const isMajor = (/** @type {number} */ v) => Math.abs(v / major - Math.round(v / major)) < 1e-6;

      // Meridians (vertical lines).
      for (let lon = Math.ceil(nw.lng / step) * step; lon <= se.lng; lon += step) {
        const x = Math.round(map.project([0, lon], zoom).x - origin.x) + 0.5;
        g.strokeStyle = isMajor(lon) ? 'rgba(40, 80, 120, 0.35)' : 'rgba(40, 80, 120, 0.16)';
        g.lineWidth = 1;
        g.beginPath();
        g.moveTo(x, 0);
        g.lineTo(x, size.y);
        g.stroke();
      }
      // Parallels (horizontal lines).
      for (let lat = Math.floor(nw.lat / step) * step; lat >= se.lat; lat -= step) {
        if (Math.abs(lat) > 85.05) continue;
        const y = Math.round(map.project([lat, 0], zoom).y - origin.y) + 0.5;
        g.strokeStyle = isMajor(lat) ? 'rgba(40, 80, 120, 0.35)' : 'rgba(40, 80, 120, 0.16)';
        g.lineWidth = 1;
        g.beginPath();
        g.moveTo(0, y);
        g.lineTo(size.x, y);
        g.stroke();
      }
      // The equator and the prime meridian stand out.
      g.strokeStyle = 'rgba(200, 90, 40, 0.45)';
      if (nw.lat >= 0 && se.lat <= 0) {
        const y = Math.round(map.project([0, 0], zoom).y - origin.y) + 0.5;
        g.beginPath();
        g.moveTo(0, y);
        g.lineTo(size.x, y);
        g.stroke();
      }
      if (nw.lng <= 0 && se.lng >= 0) {
        const x = Math.round(map.project([0, 0], zoom).x - origin.x) + 0.5;
        g.beginPath();
        g.moveTo(x, 0);
        g.lineTo(x, size.y);
        g.stroke();
      }
      return tile;
    },
  });
  return new Graticule();
}

/** The pane the grid's labels go in: over the tiles, under the markers and their names. */
const LABEL_PANE = 'graticuleLabels';
/** Room kept between a label and the map's edge or its line (px). */
const LABEL_GAP = 3;
/** The labels' font, as app.css draws .graticule-label. */
const LABEL_FONT = `${LABEL_PX}px system-ui, sans-serif`;

/**
 * The grid's labels for what the map shows now: each meridian's along the top edge, each
 * parallel's along the left edge below the meridians' band, every one wholly inside the map
 * (beside its line, else on its other side, else left out).
 * @param {any} L @param {any} map @param {HTMLElement} box
 */
function placeLabels(L, map, box) {
  const size = map.getSize();
  if (!size.x || !size.y) return box.replaceChildren();
  const step = gridStep(Math.round(map.getZoom()));
  const bounds = map.getBounds();
  const centre = map.getCenter();
  // The map's own buttons (zoom, layers) sit over its corners: a label under one could not be read.
  const frame = map.getContainer().getBoundingClientRect();
  const controls = [...map.getContainer().querySelectorAll('.leaflet-control')].map((c) => c.getBoundingClientRect()).filter((r) => r.width > 0);
  /** Whether a label at (x, y), w by h in the map's own pixels, is clear of every button. @param {number} x @param {number} y @param {number} w @param {number} h */
  const clear = (x, y, w, h) => {
    const box = { left: frame.left + x, top: frame.top + y, right: frame.left + x + w, bottom: frame.top + y + h };
    return !controls.some((c) => overlaps(box, c));
  };
  /** @type {HTMLElement[]} */
  const labels = [];
  /** @param {string} text @param {number} x @param {number} y */
  const put = (text, x, y) => {
    const el = L.DomUtil.create('span', 'graticule-label');
    el.textContent = text;
    L.DomUtil.setPosition(el, map.containerPointToLayerPoint([x, y]));
    labels.push(el);
  };
  for (let lon = Math.ceil(bounds.getWest() / step) * step; lon <= bounds.getEast(); lon += step) {
    const x = map.latLngToContainerPoint([centre.lat, lon]).x;
    const text = label(round(((((lon + 180) % 360) + 360) % 360) - 180, step), step, 'lon');
    const width = textWidth(text, LABEL_FONT);
    const at = inside(x + LABEL_GAP, x - LABEL_GAP - width, width, size.x, (p) => clear(p, LABEL_GAP, width, LABEL_PX));
    if (at !== null) put(text, at, LABEL_GAP);
  }
  const band = LABEL_GAP + LABEL_PX + 4;
  for (let lat = Math.floor(bounds.getNorth() / step) * step; lat >= bounds.getSouth(); lat -= step) {
    if (Math.abs(lat) > 85.05) continue;
    const y = map.latLngToContainerPoint([lat, centre.lng]).y;
    const text = label(round(lat, step), step, 'lat');
    const width = textWidth(text, LABEL_FONT);
    const at = inside(y + LABEL_GAP, y - LABEL_GAP - LABEL_PX, LABEL_PX, size.y, (p) => p >= band && clear(LABEL_GAP, p, width, LABEL_PX));
    if (at !== null) put(text, LABEL_GAP, at);
  }
  box.replaceChildren(...labels);
}

/** Removes float drift from repeated additions (0.30000000000000004). @param {number} v @param {number} step */
function round(v, step) {
  return Math.round(v / step) * step;
}

/**
 * Where a label `length` long goes within the map's `size`: at `preferred`, else at `fallback` (the
 * other side of its line), or null when neither fits or is `free`.
 * @param {number} preferred @param {number} fallback @param {number} length @param {number} size @param {(at: number) => boolean} free
 */
function inside(preferred, fallback, length, size, free) {
  for (const at of [preferred, fallback]) if (at >= 0 && at + length <= size && free(at)) return at;
  return null;
}
