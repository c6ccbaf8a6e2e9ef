// cctv's API (under /api/v1/modules/cctv/): whether it works here and why not, each camera's
// state, and the motion events this org was allowed to receive, for the org the cameras report to
// only, each with its thumbnail where upload is on (GET /events/:id for the one a motion event on the
// stream names). There is no route to frames, snapshots or clips: they stay on the node. A camera's source
// is whole (its secrets hidden) only for the hub's admins; other members see where it points.

import type { FastifyPluginAsync } from 'fastify';
import { ModuleError, type ModuleContext } from '@unibos/module-api';
import { forViewer } from './camera-view.ts';
import type { CctvService, CctvStatus } from './cctv-service.ts';
import { HUB_EVENT_ID, type HubEventStore } from './hub-event-store.ts';

export interface CctvRoutesOptions {
  module: ModuleContext;
  service: CctvService;
  events: HubEventStore;
  /** The orgs the cameras report to (settings `orgId`, else the hub's own). */
  orgs: () => string[];
}

export const cctvRoutes: FastifyPluginAsync<CctvRoutesOptions> = async (app, { module: m, service, events, orgs }) => {
  /** The caller, if their org is one the cameras report to; another org's users see no cameras. */
  const reader = (request: Parameters<ModuleContext['require']>[0]): { orgId: string; admin: boolean } => {
    const caller = m.require(request, 'read');
    if (!orgs().includes(caller.orgId)) throw new ModuleError('E_NOT_FOUND', "this org gets nothing from the hub's cameras (settings orgId names the org that does)");
    // Those who may configure the cameras (admins of the hub's own org, as for module settings).
    return { orgId: caller.orgId, admin: caller.can('fleet') && caller.orgId === m.fleet.hubOrg() };
  };
  const status = (admin: boolean): CctvStatus => service.status(admin ? undefined : forViewer);

  app.get('/status', async (request) => status(reader(request).admin));

  app.get('/cameras', async (request) => ({ cameras: status(reader(request).admin).cameras }));

  app.get<{ Params: { id: string } }>('/cameras/:id', async (request) => {
    const cam = status(reader(request).admin).cameras.find((c) => c.id === request.params.id);
    if (!cam) throw new ModuleError('E_NOT_FOUND', `no camera "${request.params.id}"`);
    return cam;
  });

  app.get<{ Querystring: { camera?: string; limit?: number } }>(
    '/events',
    { schema: { querystring: { type: 'object', additionalProperties: false, properties: { camera: { type: 'string', maxLength: 32 }, limit: { type: 'integer', minimum: 1, maximum: 500 } } } } },
    async (request) => {
      const { orgId } = reader(request);
      const q = request.query;
      const list = events
        .list(orgId, q.camera ? 500 : (q.limit ?? 50))
        .map((d) => ({ ...d.doc, id: d.id }))
        .filter((e) => !q.camera || e.camera === q.camera)
        .slice(0, q.limit ?? 50);
      return { events: list };
    },
  );

  app.get<{ Params: { id: string } }>('/events/:id', { schema: { params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: HUB_EVENT_ID } } } } }, async (request) => {
    const { orgId } = reader(request);
    const e = events.get(orgId, request.params.id);
    // Evicted (only the newest are kept), or never there.
    if (!e) throw new ModuleError('E_NOT_FOUND', `no motion event "${request.params.id}" (only the latest are kept)`);
    return { ...e, id: request.params.id };
  });
};
