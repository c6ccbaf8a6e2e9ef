// The ops feature: /alive, /ready, /health, /metrics and the hub's own gauges.

import fp from 'fastify-plugin';
import { registerHubMetrics } from './hub-metrics.ts';
import { opsRoutes } from './ops-routes.ts';

export const opsPlugin = fp(
  async (app) => {
    const { db, metrics, events, gateways } = app;
    registerHubMetrics(metrics, { fleet: app.fleet, ingest: app.ingest, gateways, events, sensorHistory: app.sensorHistory });
    await app.register(opsRoutes, { db, metrics, brokerUp: () => gateways.ready, lastEventId: () => events.lastId() });
  },
  {
    name: 'hub-ops',
    dependencies: ['hub-platform', 'hub-events', 'hub-ingest', 'hub-gateway-link', 'hub-fleet', 'hub-sensors'],
    decorators: { fastify: ['db', 'metrics', 'events', 'ingest', 'gateways', 'fleet', 'sensorHistory'] },
  },
);
