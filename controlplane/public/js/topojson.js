// Reads TopoJSON (the format world-atlas ships Natural Earth in) into GeoJSON features: arcs
// are delta-encoded and quantized; a polygon ring is a list of arc indexes (~i = arc i reversed).

/**
 * @param {any} topology
 * @param {string} objectName
 * @returns {Array<{ type: 'Feature', id?: string, properties: Record<string, unknown>, geometry: { type: string, coordinates: any } }>}
 */
export function topoFeatures(topology, objectName) {
  const { scale, translate } = topology.transform ?? { scale: [1, 1], translate: [0, 0] };
  const arcs = topology.arcs.map((/** @type {number[][]} */ arc) => {
    let x = 0;
    let y = 0;
    return arc.map(([dx, dy]) => {
      x += dx;
      y += dy;
      return [x * scale[0] + translate[0], y * scale[1] + translate[1]];
    });
  });
  /** @param {number[]} indexes */
  const ring = (indexes) => {
    /** @type {number[][]} */
    const points = [];
    for (const i of indexes) {
      const arc = i < 0 ? arcs[~i].slice().reverse() : arcs[i];
      for (let k = points.length === 0 ? 0 : 1; k < arc.length; k++) points.push(arc[k]);
    }
    return points;
  };
  const object = topology.objects[objectName];
  const geometries = object.type === 'GeometryCollection' ? object.geometries : [object];
  return geometries
    .filter((/** @type {any} */ g) => g.type === 'Polygon' || g.type === 'MultiPolygon')
    .map((/** @type {any} */ g) => ({
      type: 'Feature',
      id: g.id,
      properties: g.properties ?? {},
      geometry: { type: g.type, coordinates: g.type === 'Polygon' ? g.arcs.map(ring) : g.arcs.map((/** @type {number[][]} */ p) => p.map(ring)) },
    }));
}

/**
 * A point to hang a label on: the centre of the bounding box of the feature's largest ring.
 * @param {{ geometry: { type: string, coordinates: any } }} feature
 * @returns {[number, number] | null} [lat, lon]
 */
export function labelPoint(feature) {
  const polys = feature.geometry.type === 'Polygon' ? [feature.geometry.coordinates] : feature.geometry.coordinates;
  let best = null;
  let bestArea = 0;
  for (const poly of polys) {
    const outer = poly[0];
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (const [x, y] of outer) {
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
    }
    const area = (maxX - minX) * (maxY - minY);
    if (area > bestArea) {
      bestArea = area;
      best = /** @type {[number, number]} */ ([(minY + maxY) / 2, (minX + maxX) / 2]);
    }
  }
  return best;
}
