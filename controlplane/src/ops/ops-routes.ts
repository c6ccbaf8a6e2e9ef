// Operations endpoints, unauthenticated by design (no data in them): /alive (the process
// answers), /ready (it can serve: database and hub broker up), /health (both, as JSON, with
// details), /metrics (Prometheus).

import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import type { HubDb } from '../storage/hub-db.ts';

export interface OpsRoutesOptions {
  db: HubDb;
  metrics: Registry;
  /** Whether the hub broker is listening. */
  brokerUp: () => boolean;
  lastEventId: () => number;
}

export const opsRoutes: FastifyPluginAsync<OpsRoutesOptions> = async (app, o) => {
  const started = Date.now();
  const dbOk = (): boolean => {
    try {
      o.db.prepare('SELECT 1').get();
      return true;
    } catch {
      return false;
    }
  };
  const hide = { schema: { hide: true } };
  app.get('/alive', hide, async () => ({ status: 'alive' }));
  app.get('/ready', hide, async (_req, reply) => {
    const ready = dbOk() && o.brokerUp();
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready' });
  });
  app.get('/health', hide, async (_req, reply) => {
    const db = dbOk();
    const broker = o.brokerUp();
    const ok = db && broker;
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', uptimeS: Math.round((Date.now() - started) / 1000), database: db ? 'ok' : 'failing', broker: broker ? 'ok' : 'down', lastEventId: o.lastEventId() });
  });
  app.get('/metrics', hide, async (_req, reply) => reply.type(o.metrics.contentType).send(await o.metrics.metrics()));
};
