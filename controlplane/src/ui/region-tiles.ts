// The admin's own street-level map for the area the network covers, served by the hub so the map
// works with no internet: a PMTiles archive (`<dataDir>/map/region.pmtiles`, raster tiles), an
// MBTiles file (`<dataDir>/map/region.mbtiles`, SQLite, raster tiles) or a folder of tiles
// (`<dataDir>/map/tiles/{z}/{x}/{y}.png|jpg|webp`). Each is optional; the Natural Earth base map
// is always there.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openPmtiles } from './pmtiles-archive.ts';

export interface RegionInfo {
  /** Where the page fetches tiles: {z}/{x}/{y} in XYZ order. */
  url: string;
  minZoom: number;
  maxZoom: number;
  /** [west, south, east, north] when the source says so. */
  bounds: [number, number, number, number] | null;
  attribution: string | null;
}

export interface RegionSource {
  info: RegionInfo;
  tile(z: number, x: number, y: number): { body: Buffer; type: string } | null;
  close(): void;
}

const TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp' };
export const REGION_PREFIX = '/map/region';

export function openRegion(dataDir: string): RegionSource | null {
  const dir = join(dataDir, 'map');
  const pmtiles = join(dir, 'region.pmtiles');
  if (existsSync(pmtiles)) return openPmtiles(pmtiles, REGION_PREFIX);
  const mbtiles = join(dir, 'region.mbtiles');
  if (existsSync(mbtiles)) return openMbtiles(mbtiles);
  const tiles = join(dir, 'tiles');
  if (existsSync(tiles) && statSync(tiles).isDirectory()) return openFolder(tiles);
  return null;
}

function openMbtiles(path: string): RegionSource {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  const meta = new Map((db.prepare('SELECT name, value FROM metadata').all() as Array<{ name: string; value: string }>).map((r) => [r.name, r.value]));
  const format = meta.get('format') ?? 'png';
  const type = TYPES[format];
  if (!type) throw new Error(`${path}: tile format "${format}" is not a raster format the map can show (png, jpg, webp)`);
  const zooms = db.prepare('SELECT MIN(zoom_level) AS lo, MAX(zoom_level) AS hi FROM tiles').get() as { lo: number | null; hi: number | null };
  const get = db.prepare<[number, number, number], { tile_data: Buffer }>('SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?');
  const b = (meta.get('bounds') ?? '').split(',').map(Number);
  return {
    info: {
      url: `${REGION_PREFIX}/{z}/{x}/{y}`,
      minZoom: Number(meta.get('minzoom') ?? zooms.lo ?? 0),
      maxZoom: Number(meta.get('maxzoom') ?? zooms.hi ?? 19),
      bounds: b.length === 4 && b.every(Number.isFinite) ? (b as [number, number, number, number]) : null,
      attribution: meta.get('attribution') ?? null,
    },
    // MBTiles rows count from the south (TMS); the page asks in XYZ order.
    tile: (z, x, y) => {
      const row = get.get(z, x, 2 ** z - 1 - y);
      return row ? { body: row.tile_data, type } : null;
    },
    close: () => db.close(),
  };
}

function openFolder(dir: string): RegionSource {
  const zooms = readdirSync(dir).filter((d) => /^\d+$/.test(d)).map(Number).sort((a, b) => a - b);
  return {
    info: { url: `${REGION_PREFIX}/{z}/{x}/{y}`, minZoom: zooms[0] ?? 0, maxZoom: zooms.at(-1) ?? 19, bounds: null, attribution: null },
    tile: (z, x, y) => {
      for (const [ext, type] of Object.entries(TYPES)) {
        const file = join(dir, String(z), String(x), `${y}.${ext}`);
        if (existsSync(file)) return { body: readFileSync(file), type };
      }
      return null;
    },
    close: () => {},
  };
}
