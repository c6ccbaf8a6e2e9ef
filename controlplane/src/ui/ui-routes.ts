// The admin web UI: plain ES modules and CSS from controlplane/public/ (no build step), Leaflet's
// dist files from node_modules at /vendor/leaflet/, and the page's unauthenticated settings at
// /api/v1/ui-config. Everything is served by the hub itself, so the UI works with no internet.

import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

export const PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url));

/** node_modules/leaflet/dist, wherever npm hoisted the package. */
export function leafletDistDir(): string {
  return dirname(createRequire(import.meta.url).resolve('leaflet'));
}

/** What the page needs to know before anyone signs in: no secrets, only display settings. */
export interface UiConfig {
  /** Tile URL template ({z}/{x}/{y}) or null for the offline map (a drawn lat/lon grid). */
  mapTileUrl: string | null;
}

export const uiRoutes: FastifyPluginAsync<UiConfig> = async (app, { mapTileUrl }) => {
  const uiConfig: UiConfig = { mapTileUrl };
  app.get(
    '/api/v1/ui-config',
    {
      schema: {
        summary: 'Settings the admin UI needs before sign-in (no auth, no secrets)',
        tags: ['ui'],
        response: { 200: { type: 'object', required: ['mapTileUrl'], properties: { mapTileUrl: { type: ['string', 'null'] } } } },
      },
    },
    async () => uiConfig,
  );

  // The app shell revalidates on every load (ETag), so a hub upgrade reaches open browsers.
  await app.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/', index: ['index.html'], cacheControl: true, maxAge: 0, schemaHide: true });
  await app.register(fastifyStatic, { root: leafletDistDir(), prefix: '/vendor/leaflet/', decorateReply: false, maxAge: '1d', schemaHide: true });
};
