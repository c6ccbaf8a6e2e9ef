// A USGS-format feed document with quakes the caller describes: what `npm start`'s demo serves
// from a local fixture server, so a newcomer sees a quake alert with no internet.

export interface DemoQuake {
  id: string;
  latitude: number;
  longitude: number;
  depthKm: number;
  magnitude: number;
  timeMs: number;
  place: string;
  /** The place in each language (the feed document's `places`, which USGS's have not): a reader sees theirs. */
  places?: { en?: string; tr?: string };
}

export function usgsFeedDocument(quakes: DemoQuake[], generatedMs: number): string {
  return JSON.stringify({
    type: 'FeatureCollection',
    metadata: { generated: generatedMs, url: 'fixture', title: 'UNIBOS demo quakes (USGS GeoJSON summary format)', status: 200, api: '1.10.3', count: quakes.length },
    features: quakes.map((q) => ({
      type: 'Feature',
      properties: { mag: q.magnitude, place: q.place, ...(q.places ? { places: q.places } : {}), time: q.timeMs, updated: generatedMs, tz: null, url: '', detail: '', status: 'automatic', tsunami: 0, sig: 500, net: 'demo', code: q.id, ids: `,${q.id},`, sources: ',demo,', types: ',origin,', magType: 'mww', type: 'earthquake', title: `M ${q.magnitude} - ${q.place}` },
      geometry: { type: 'Point', coordinates: [q.longitude, q.latitude, q.depthKm] },
      id: q.id,
    })),
  });
}
