// Great-circle distance between two WGS84 points: the simulated air uses it for path loss,
// the node loop to decide whether it moved far enough to beacon its position again.

const EARTH_RADIUS_M = 6_371_008.8;

export interface LatLon {
  latitude: number;
  longitude: number;
}

/** Haversine distance in metres (accurate to ~0.5 % for our purposes: ranges of a few km). */
export function distanceM(a: LatLon, b: LatLon): number {
  const rad = Math.PI / 180;
  const dLat = (b.latitude - a.latitude) * rad;
  const dLon = (b.longitude - a.longitude) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Checks a coordinate pair; returns a message naming the bad field, or null. */
export function checkLatLon(p: LatLon): string | null {
  if (!(Number.isFinite(p.latitude) && p.latitude >= -90 && p.latitude <= 90)) return `latitude must be -90..90, got ${p.latitude}`;
  if (!(Number.isFinite(p.longitude) && p.longitude >= -180 && p.longitude <= 180)) return `longitude must be -180..180, got ${p.longitude}`;
  return null;
}
