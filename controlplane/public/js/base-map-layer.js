// The offline base map: Natural Earth country outlines (coastlines and borders) and country
// names, from the world-atlas files the hub serves. The coarse 1:110m set draws the world; the
// 1:50m set replaces it from zoom 4 on. Drawn on one canvas, so it stays light on a phone.

import { labelPoint, topoFeatures } from './topojson.js';

const DETAIL_FROM_ZOOM = 4;
const LABELS_FROM_ZOOM = 3;
/** Closer in, the towns and cities (place-labels-layer.js) say where you are; the country name would crowd them. */
const LABELS_UNTIL_ZOOM = 6;

/**
 * Rings that cross the antimeridian (Russia, Fiji, Antarctica) jump from +180° to -180°; drawn as
 * they are, each jump is a line across the whole world. Each point is moved by whole turns to stay
 * within 180° of the one before, so the shape runs on past the edge instead.
 * @param {[number, number][]} ring
 */
export function unwrapRing(ring) {
  /** @type {[number, number][]} */
  const out = [];
  let shift = 0;
  let prev = null;
  for (const [lon, lat] of ring) {
    if (prev !== null) {
      const d = lon + shift - prev;
      if (d > 180) shift -= 360;
      else if (d < -180) shift += 360;
    }
    prev = lon + shift;
    out.push([prev, lat]);
  }
  return out;
}

/**
 * @template {{ geometry: { type: string, coordinates: any } }} F
 * @param {F} f
 * @returns {F}
 */
export function unwrapFeature(f) {
  const g = f.geometry;
  const coordinates = g.type === 'Polygon' ? g.coordinates.map(unwrapRing) : g.type === 'MultiPolygon' ? g.coordinates.map((/** @type {any} */ p) => p.map(unwrapRing)) : g.coordinates;
  return { ...f, geometry: { ...g, coordinates } };
}

/**
 * @param {any} L Leaflet
 * @param {any} map
 * @param {(name: string) => string} [localName] the country name in the UI's language
 * @returns {{ ready: Promise<void>, remove(): void }}
 */
export function addBaseMap(L, map, localName = (n) => n) {
  // Under the tile layers (Leaflet's tilePane is 200): the admin's region map and online tiles
  // draw over the land fill instead of being hidden beneath it.
  const pane = map.getPane('basePane') ?? map.createPane('basePane');
  pane.style.zIndex = '150';
  const renderer = L.canvas({ padding: 0.5, pane: 'basePane' });
  const style = { renderer, color: '#7c8a7a', weight: 0.8, fillColor: '#eef0e4', fillOpacity: 1, interactive: false };
  /** @type {Record<string, any>} */
  const layers = {};
  const labels = L.layerGroup();
  let removed = false;

  /** @param {'110m' | '50m'} scale */
  const load = async (scale) => {
    if (layers[scale]) return layers[scale];
    const res = await fetch(`/vendor/world-atlas/countries-${scale}.json`);
    if (!res.ok) throw new Error(`world-atlas ${scale}: ${res.status}`);
    const features = topoFeatures(await res.json(), 'countries').map(unwrapFeature);
    layers[scale] = L.geoJSON({ type: 'FeatureCollection', features }, { style: () => style, interactive: false, className: 'base-map', pane: 'basePane' });
    if (scale === '110m') {
      for (const f of features) {
        const at = labelPoint(f);
        const name = typeof f.properties.name === 'string' ? f.properties.name : '';
        if (!at || !name) continue;
        labels.addLayer(L.marker(at, { icon: L.divIcon({ className: 'country-label', html: '', iconSize: null }), interactive: false, keyboard: false }).on('add', (/** @type {any} */ e) => {
          const el = e.target.getElement();
          if (el) el.textContent = localName(name);
        }));
      }
    }
    return layers[scale];
  };

  const update = async () => {
    if (removed) return;
    const detailed = map.getZoom() >= DETAIL_FROM_ZOOM;
    const want = detailed ? await load('50m').catch(() => load('110m')) : await load('110m');
    for (const layer of Object.values(layers)) if (layer !== want && map.hasLayer(layer)) map.removeLayer(layer);
    if (!map.hasLayer(want)) want.addTo(map).bringToBack();
    if (map.getZoom() >= LABELS_FROM_ZOOM && map.getZoom() < LABELS_UNTIL_ZOOM) labels.addTo(map);
    else labels.remove();
  };
  map.on('zoomend', update);
  const ready = update();
  return {
    ready,
    remove() {
      removed = true;
      map.off('zoomend', update);
      for (const layer of Object.values(layers)) layer.remove();
      labels.remove();
    },
  };
}
