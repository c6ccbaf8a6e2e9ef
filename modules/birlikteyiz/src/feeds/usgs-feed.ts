// USGS real-time GeoJSON summary feeds (earthquake.usgs.gov/earthquakes/feed/v1.0/summary/...):
// a FeatureCollection; each feature has properties.mag, place, time (ms), magType, and
// geometry.coordinates [longitude, latitude, depth km]; the feature id is the event id. A
// `properties.places` ({ en, tr }: the place in each language) is read where a document has one:
// USGS's never do, the demo's fixture feed does (its place is no town's name, but words).

import { numberish, parseJson, plausibleQuake, quakePlacesOf, text, type ParsedFeed, type Quake } from './quake.ts';

export function parseUsgsFeed(body: Uint8Array | string): ParsedFeed {
  const doc = parseJson(body) as { type?: unknown; features?: unknown } | undefined;
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.features)) throw new Error('not a GeoJSON FeatureCollection');
  const quakes: Quake[] = [];
  let rejected = 0;
  for (const f of doc.features as Array<Record<string, any> | null>) {
    const p = f?.properties;
    const c = f?.geometry?.coordinates;
    const q =
      f && typeof f === 'object' && p && typeof p === 'object' && Array.isArray(c) && (p.type === undefined || p.type === 'earthquake')
        ? plausibleQuake({
            source: 'usgs',
            sourceId: text(f.id),
            timeMs: numberish(p.time) ?? NaN,
            latitude: numberish(c[1]) ?? NaN,
            longitude: numberish(c[0]) ?? NaN,
            depthKm: numberish(c[2]),
            magnitude: numberish(p.mag),
            magnitudeType: text(p.magType) || null,
            place: text(p.place),
            ...(quakePlacesOf(p.places) ? { places: quakePlacesOf(p.places)! } : {}),
          })
        : null;
    if (q) quakes.push(q);
    else rejected++;
  }
  return { quakes, rejected };
}
