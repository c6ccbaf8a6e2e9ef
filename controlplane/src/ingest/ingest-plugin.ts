// The ingest feature: the dispatcher features route their topics to while they register, and the
// broker hands every gateway publish to. One transaction per message: the events it raises go
// live only after its rows are committed (EventLog.batch).

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
    const { db, events } = app;
    app.decorate(
      'ingest',
      new IngestDispatcher({
        dedup: new UplinkDedup(db),
        logger: app.log.child({ component: 'ingest' }),
        now: app.now,
        transaction: (fn) => events.batch(() => db.transaction(fn)()),
      }),
    );
  },
  { name: 'hub-ingest', dependencies: ['hub-platform', 'hub-events'], decorators: { fastify: ['db', 'now', 'events'] } },
);
