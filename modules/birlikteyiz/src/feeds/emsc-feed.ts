// EMSC (seismicportal.eu): the FDSN event web service's JSON (`fdsnws/event/1/query?format=json`,
// a GeoJSON FeatureCollection whose properties carry unid, time (ISO, UTC), lat, lon, depth,
// mag, magtype, flynn_region) and its live WebSocket push, which sends one such feature per
// message as {"action": "create" | "update", "data": feature}.

import { numberish, parseJson, plausibleQuake, text, utcFromParts, type ParsedFeed, type Quake } from './quake.ts';

export function emscFeature(f: unknown): Quake | null {
  if (!f || typeof f !== 'object') return null;
  const p = (f as { properties?: Record<string, unknown> }).properties;
  if (!p || typeof p !== 'object') return null;
  const time = text(p.time);
  // Date.parse takes 30 February for 2 March: the day must exist.
  const day = /^(\d{4})-(\d\d)-(\d\d)T/.exec(time);
  const dayExists = day !== null && !Number.isNaN(utcFromParts(+day[1]!, +day[2]!, +day[3]!, 0, 0, 0));
  return plausibleQuake({
    source: 'emsc',
    sourceId: text(p.unid) || text((f as { id?: unknown }).id),
    timeMs: dayExists ? Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(time) ? time : `${time}Z`) : NaN,
    latitude: numberish(p.lat) ?? NaN,
    longitude: numberish(p.lon) ?? NaN,
    depthKm: numberish(p.depth),
    magnitude: numberish(p.mag),
    magnitudeType: text(p.magtype) || null,
    place: text(p.flynn_region),
  });
}

export function parseEmscFeed(body: Uint8Array | string): ParsedFeed {
  const doc = parseJson(body) as { features?: unknown } | undefined;
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.features)) throw new Error('not an FDSN event GeoJSON document');
  const quakes: Quake[] = [];
  let rejected = 0;
  for (const f of doc.features) {
    const q = emscFeature(f);
    if (q) quakes.push(q);
    else rejected++;
  }
  return { quakes, rejected };
}

/** One push message; null for anything that is not a create/update of a plausible event. */
export function parseEmscPush(message: Uint8Array | string): Quake | null {
  const doc = parseJson(message) as { action?: unknown; data?: unknown } | undefined;
  if (!doc || typeof doc !== 'object' || (doc.action !== 'create' && doc.action !== 'update')) return null;
  return emscFeature(doc.data);
}
