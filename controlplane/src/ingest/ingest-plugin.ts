// The ingest feature: the dispatcher features route their topics to while they register, and the
// broker hands every gateway publish to. One transaction per message: the events it raises go
// live, and the commands it sends to gateways (an SOS's `hub` stage) go out, only after its rows
// are committed (EventLog.batch, GatewayLink.batch).

import fp from 'fastify-plugin';
import { IngestDispatcher } from './ingest-dispatcher.ts';
import { UplinkDedup } from './uplink-dedup.ts';

declare module 'fastify' {
  interface FastifyInstance {
    ingest: IngestDispatcher;
  }
}

export const ingestPlugin = fp(
  async (app) => {
    const { db, events, gateways } = app;
    app.decorate(
      'ingest',
      new IngestDispatcher({
        dedup: new UplinkDedup(db),
        logger: app.log.child({ component: 'ingest' }),
        now: app.now,
        transaction: (fn) => events.batch(() => gateways.batch(() => db.transaction(fn)())),
      }),
    );
  },
  { name: 'hub-ingest', dependencies: ['hub-platform', 'hub-events', 'hub-gateway-link'], decorators: { fastify: ['db', 'now', 'events', 'gateways'] } },
);
