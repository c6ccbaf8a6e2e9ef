// Include and exclude zones: polygons in frame coordinates scaled to 0..1 (so a zone survives a
// resolution change). Motion counts only inside an include zone (the whole frame when none is
// given) and never inside an exclude zone.

import { CctvError } from './cctv-error.ts';

export interface Zone {
  name: string;
  kind: 'include' | 'exclude';
  /** [[x, y], ...] with 0 <= x, y <= 1; at least 3 points. */
  points: Array<[number, number]>;
}

export function parseZones(value: unknown, where: string): Zone[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new CctvError('E_CCTV_CONFIG', `${where}: must be a list of zones`);
  return value.map((z, i) => {
    const at = `${where}[${i}]`;
    if (typeof z !== 'object' || z === null) throw new CctvError('E_CCTV_CONFIG', `${at}: must be an object`);
    const { name, kind = 'include', points } = z as Record<string, unknown>;
    // Letters of any script ("Bahçe kapısı"), not only ASCII: the name is shown and sent as text, never used as a path.
    if (typeof name !== 'string' || !/^[\p{L}\p{M}\p{N} _.-]{1,40}$/u.test(name)) throw new CctvError('E_CCTV_CONFIG', `${at}.name: 1-40 letters, digits, space, _ . -`);
    if (kind !== 'include' && kind !== 'exclude') throw new CctvError('E_CCTV_CONFIG', `${at}.kind: include or exclude`);
    if (!Array.isArray(points) || points.length < 3 || points.length > 64) throw new CctvError('E_CCTV_CONFIG', `${at}.points: 3 to 64 [x, y] points`);
    const pts = points.map((p, j) => {
      if (!Array.isArray(p) || p.length !== 2 || !p.every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= 1)) {
        throw new CctvError('E_CCTV_CONFIG', `${at}.points[${j}]: [x, y] with each between 0 and 1`);
      }
      return [p[0], p[1]] as [number, number];
    });
    return { name, kind, points: pts };
  });
}

/** Even-odd ray casting; x, y in 0..1. */
export function inPolygon(x: number, y: number, pts: ReadonlyArray<[number, number]>): boolean {
  let inside = false;
  for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
    const [xi, yi] = pts[i]!;
    const [xj, yj] = pts[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/**
 * A label per pixel of a width x height frame: 0 not watched (outside every include zone, or
 * inside an exclude zone), k > 0 the (k-1)th include zone (the first one that holds the pixel).
 * Built once per camera and resolution, so the per-frame work is a lookup.
 */
export function zoneLabels(zones: readonly Zone[], width: number, height: number): { labels: Uint8Array; names: string[] } {
  const include = zones.filter((z) => z.kind === 'include');
  const exclude = zones.filter((z) => z.kind === 'exclude');
  const names = include.length ? include.map((z) => z.name) : ['frame'];
  const labels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const fy = (y + 0.5) / height;
    for (let x = 0; x < width; x++) {
      const fx = (x + 0.5) / width;
      if (exclude.some((z) => inPolygon(fx, fy, z.points))) continue;
      if (!include.length) {
        labels[y * width + x] = 1;
        continue;
      }
      const k = include.findIndex((z) => inPolygon(fx, fy, z.points));
      if (k >= 0) labels[y * width + x] = Math.min(255, k + 1);
    }
  }
  return { labels, names };
}
