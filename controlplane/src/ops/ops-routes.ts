// Operations endpoints, unauthenticated by design (no data in them): /alive (the process
// answers), /ready (it can serve: database and hub broker up), /health (both, as JSON, with
// details), /metrics (Prometheus).

import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../app.ts';

export async function opsRoutes(app: FastifyInstance, { services }: RouteDeps): Promise<void> {
  const started = Date.now();
  const dbOk = (): boolean => {
    try {
      services.db.prepare('SELECT 1').get();
      return true;
    } catch {
      return false;
    }
  };
  const hide = { schema: { hide: true } };
  app.get('/alive', hide, async () => ({ status: 'alive' }));
  app.get('/ready', hide, async (_req, reply) => {
    const ready = dbOk() && services.ready();
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready' });
  });
  app.get('/health', hide, async (_req, reply) => {
    const db = dbOk();
    const broker = services.ready();
    const ok = db && broker;
    return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', uptimeS: Math.round((Date.now() - started) / 1000), database: db ? 'ok' : 'failing', broker: broker ? 'ok' : 'down', lastEventId: services.events.lastId() });
  });
  app.get('/metrics', hide, async (_req, reply) => reply.type(services.metrics.contentType).send(await services.metrics.metrics()));
}
