// What every hub feature stands on: the validated config, the SQLite file, the clock and the
// Prometheus registry, shared on purpose as decorators (the only things every feature may take
// without declaring a feature dependency). The database closes last, after every feature.

import fp from 'fastify-plugin';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { HubConfig } from '../hub-config.ts';
import { openHubDb, type HubDb } from '../storage/hub-db.ts';

export interface PlatformOptions {
  config: HubConfig;
  /** The hub's clock (tests pass a fixed one). */
  now: () => number;
}

declare module 'fastify' {
  interface FastifyInstance {
    config: HubConfig;
    db: HubDb;
    now: () => number;
    metrics: Registry;
  }
}

export const platformPlugin = fp<PlatformOptions>(
  async (app, { config, now }) => {
    const db = openHubDb(config.dataDir, app.log);
    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics });
    app.decorate('config', config);
    app.decorate('db', db);
    app.decorate('now', now);
    app.decorate('metrics', metrics);
    app.addHook('onClose', async () => {
      db.close();
    });
  },
  { name: 'hub-platform', fastify: '5.x' },
);
