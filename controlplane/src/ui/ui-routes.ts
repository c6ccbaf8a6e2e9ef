// The admin web UI: plain ES modules and CSS from controlplane/public/ (no build step), Leaflet's
// dist files from node_modules at /vendor/leaflet/, Natural Earth outlines (world-atlas) at
// /vendor/world-atlas/, town and city names (GeoNames, from map-data/places/) at /map/places/, the
// admin's region map at /map/region/ when there is one, and the page's unauthenticated settings at
// /api/v1/ui-config. Everything is served by the hub itself, so the UI
// works with no internet.

import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { openRegion, REGION_PREFIX, type RegionInfo } from './region-tiles.ts';

export const PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url));
/** Place names by zoom: world.json and 10° cells (scripts/generate-places.ts writes them). */
export const PLACES_DIR = fileURLToPath(new URL('../../map-data/places/', import.meta.url));

const require = createRequire(import.meta.url);

/** node_modules/leaflet/dist, wherever npm hoisted the package. */
export function leafletDistDir(): string {
  return dirname(require.resolve('leaflet'));
}

/** node_modules/world-atlas: Natural Earth countries and land as TopoJSON (public domain data). */
export function worldAtlasDir(): string {
  return dirname(require.resolve('world-atlas/package.json'));
}

/** What the page needs to know before anyone signs in: no secrets, only display settings. */
export interface UiConfig {
  /** Tile URL template ({z}/{x}/{y}) of an online tile server, or null: the map stays offline. */
  mapTileUrl: string | null;
}

export interface UiRoutesOptions extends UiConfig {
  /** Where the admin may put `map/region.pmtiles`, `map/region.mbtiles` or `map/tiles/` (default: none). */
  dataDir?: string;
}

const regionSchema = {
  type: ['object', 'null'],
  properties: {
    url: { type: 'string' },
    minZoom: { type: 'integer' },
    maxZoom: { type: 'integer' },
    bounds: { type: ['array', 'null'], items: { type: 'number' } },
    attribution: { type: ['string', 'null'] },
  },
};

export const uiRoutes: FastifyPluginAsync<UiRoutesOptions> = async (app, { mapTileUrl, dataDir }) => {
  let region: ReturnType<typeof openRegion> = null;
  try {
    region = dataDir ? openRegion(dataDir) : null;
  } catch (err) {
    // A broken region file must not stop the hub: the base map still works.
    app.log.error({ err }, 'the region map could not be opened; the map shows the base map only');
  }
  const uiConfig: UiConfig & { region: RegionInfo | null } = { mapTileUrl, region: region?.info ?? null };
  app.get(
    '/api/v1/ui-config',
    {
      schema: {
        summary: 'Settings the admin UI needs before sign-in (no auth, no secrets)',
        tags: ['ui'],
        response: { 200: { type: 'object', required: ['mapTileUrl', 'region'], properties: { mapTileUrl: { type: ['string', 'null'] }, region: regionSchema } } },
      },
    },
    async () => uiConfig,
  );

  if (region) {
    const source = region;
    app.addHook('onClose', async () => source.close());
    app.get<{ Params: { z: string; x: string; y: string } }>(`${REGION_PREFIX}/:z/:x/:y`, { schema: { hide: true } }, async (req, reply) => {
      const [z, x, y] = [req.params.z, req.params.x, req.params.y].map((v) => (/^\d{1,7}$/.test(v) ? Number(v) : NaN));
      let tile: ReturnType<typeof source.tile> = null;
      try {
        tile = Number.isInteger(z) && Number.isInteger(x) && Number.isInteger(y) && z! <= 24 ? source.tile(z!, x!, y!) : null;
      } catch (err) {
        // A damaged part of the region file: this tile is lost, the map and the hub go on.
        req.log.warn({ err, z, x, y }, 'a region map tile could not be read');
        return reply.code(500).send({ statusCode: 500, code: 'E_REGION_TILE', error: 'Internal Server Error', message: 'this tile of the region map could not be read' });
      }
      if (!tile) return reply.code(404).send({ statusCode: 404, code: 'E_NOT_FOUND', error: 'Not Found', message: 'no such tile in the region map' });
      return reply.header('cache-control', 'public, max-age=86400').type(tile.type).send(tile.body);
    });
  }

  // The app shell revalidates on every load (ETag), so a hub upgrade reaches open browsers.
  await app.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/', index: ['index.html'], cacheControl: true, maxAge: 0, schemaHide: true });
  await app.register(fastifyStatic, { root: leafletDistDir(), prefix: '/vendor/leaflet/', decorateReply: false, maxAge: '1d', schemaHide: true });
  await app.register(fastifyStatic, { root: worldAtlasDir(), prefix: '/vendor/world-atlas/', decorateReply: false, maxAge: '1d', schemaHide: true, allowedPath: (p) => /^\/(countries|land)-(110m|50m)\.json$/.test(p) });
  await app.register(fastifyStatic, { root: PLACES_DIR, prefix: '/map/places/', decorateReply: false, maxAge: '1d', schemaHide: true, allowedPath: (p) => /^\/(world|cells\/-?\d{1,3}_-?\d{1,3})\.json$/.test(p) });
};
