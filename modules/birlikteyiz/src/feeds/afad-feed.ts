// AFAD (deprem.afad.gov.tr/apiv2/event/filter?start=...&end=...): a JSON array of events in
// which every number is a string ("latitude": "38.1234", "magnitude": "4.2") and `date` is UTC
// written without a zone ("2023-02-06T01:17:32").

import { numberish, parseJson, plausibleQuake, text, utcFromParts, type ParsedFeed, type Quake } from './quake.ts';

export function parseAfadFeed(body: Uint8Array | string): ParsedFeed {
  const doc = parseJson(body);
  if (!Array.isArray(doc)) throw new Error('not an AFAD event array');
  const quakes: Quake[] = [];
  let rejected = 0;
  for (const e of doc as Array<Record<string, unknown> | null>) {
    const date = e && typeof e === 'object' ? text(e.date) : '';
    const m = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(\.\d+)?$/.exec(date);
    const where = e ? [text(e.location), text(e.province), text(e.district)].find((s) => s) ?? '' : '';
    const q =
      e && typeof e === 'object' && m
        ? plausibleQuake({
            source: 'afad',
            sourceId: text(e.eventID) || String(numberish(e.eventID) ?? ''),
            timeMs: utcFromParts(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!, m[7] ? Math.min(999, Math.round(Number(m[7]) * 1000)) : 0),
            latitude: numberish(e.latitude) ?? NaN,
            longitude: numberish(e.longitude) ?? NaN,
            depthKm: numberish(e.depth),
            magnitude: numberish(e.magnitude),
            magnitudeType: text(e.type) || null,
            place: where,
          })
        : null;
    if (q) quakes.push(q);
    else rejected++;
  }
  return { quakes, rejected };
}
