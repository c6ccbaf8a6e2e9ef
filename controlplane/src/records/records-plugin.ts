// The records feature: every heard mesh frame kept once with each gateway's reception, its
// `mesh.*` event, and the /records route. Shares `records` (the store) for reading.

import { cutChars } from '@unibos/mesh-protocol';
import fp from 'fastify-plugin';
import { RecordEvents } from './record-events.ts';
import { recordRoutes } from './record-routes.ts';
import { RecordStore } from './record-store.ts';

declare module 'fastify' {
  interface FastifyInstance {
    records: RecordStore;
  }
}

/** The sender's name as of this frame: the one a NodeInfo frame brings, else the one the fleet knows. */
function nameAtFrame(known: string | null, m: { kind: string; data: Record<string, unknown> }): string | null {
  const said = m.kind === 'info' ? m.data.longName : undefined;
  return typeof said === 'string' && said.length > 0 ? cutChars(said, 64) : known;
}

export const recordsPlugin = fp(
  async (app) => {
    const records = new RecordStore(app.db);
    const recordEvents = new RecordEvents({ records, events: app.events, logger: app.log.child({ component: 'records' }), dedupWindowMs: app.config.dedupWindowMs });
    app.decorate('records', records);
    app.ingest.route('meshFrame', ({ orgId }, m) => {
      const { id, created } = records.add(orgId, { nodeId: m.nodeId, nodeName: nameAtFrame(app.fleet.store.get(orgId, m.nodeId)?.name ?? null, m), kind: m.kind, packetId: m.packetId, timeMs: m.timeMs, data: m.data, reception: m.reception });
      return { created, announce: () => (created ? recordEvents.schedule(orgId, id) : undefined) };
    });
    app.addHook('onClose', async () => recordEvents.close());
    await app.register(recordRoutes, { records, guard: app.guard });
  },
  { name: 'hub-records', dependencies: ['hub-platform', 'hub-accounts', 'hub-events', 'hub-ingest', 'hub-fleet'], decorators: { fastify: ['db', 'config', 'guard', 'events', 'ingest', 'fleet'] } },
);
