// The offline base map draws countries that cross the antimeridian (Russia, Fiji, Antarctica)
// without a line across the whole world: their rings run on past ±180° instead of jumping back.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { PUBLIC_DIR, worldAtlasDir } from '../src/ui/ui-routes.ts';

type Ring = Array<[number, number]>;
type Feature = { properties: { name?: string }; geometry: { type: string; coordinates: Ring[] | Ring[][] } };

test('no country outline jumps across the world at the antimeridian', async () => {
  const { topoFeatures } = (await import(pathToFileURL(join(PUBLIC_DIR, 'js', 'topojson.js')).href)) as { topoFeatures(t: unknown, o: string): Feature[] };
  const { unwrapFeature } = (await import(pathToFileURL(join(PUBLIC_DIR, 'js', 'base-map-layer.js')).href)) as { unwrapFeature(f: Feature): Feature };
  const rings = (f: Feature): Ring[] => (f.geometry.type === 'Polygon' ? (f.geometry.coordinates as Ring[]) : (f.geometry.coordinates as Ring[][]).flat());
  const jumps = (f: Feature): number => rings(f).reduce((n, r) => n + r.slice(1).filter((p, i) => Math.abs(p[0] - r[i]![0]) > 180).length, 0);
  for (const scale of ['110m', '50m']) {
    const features = topoFeatures(JSON.parse(readFileSync(join(worldAtlasDir(), `countries-${scale}.json`), 'utf8')), 'countries');
    const crossing = features.filter((f) => jumps(f) > 0).map((f) => f.properties.name);
    assert.ok(crossing.includes('Russia') && crossing.includes('Fiji'), `as shipped, some outlines jump: ${crossing.join(', ')}`);
    const still = features.map(unwrapFeature).filter((f) => jumps(f) > 0).map((f) => f.properties.name);
    assert.deepEqual(still, [], `${scale}: no jump left`);
  }
});
