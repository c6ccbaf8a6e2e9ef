// cctv's API (under /api/v1/modules/cctv/): whether it works here and why not, each camera's
// state, and the motion events this org was allowed to receive, for the org the cameras report to
// only. There is no route to frames, snapshots or clips: they stay on the node.

import type { FastifyPluginAsync } from 'fastify';
import { ModuleError, type ModuleCollection, type ModuleContext } from '@unibos/module-api';
import type { CctvService } from './cctv-service.ts';
import type { HubMotionEvent } from './privacy-gate.ts';

export interface CctvRoutesOptions {
  module: ModuleContext;
  service: CctvService;
  events: ModuleCollection<HubMotionEvent>;
  /** The orgs the cameras report to (settings `orgId`, else the hub's own). */
  orgs: () => string[];
}

export const cctvRoutes: FastifyPluginAsync<CctvRoutesOptions> = async (app, { module: m, service, events, orgs }) => {
  /** The caller, if their org is one the cameras report to; another org's users see no cameras. */
  const reader = (request: Parameters<ModuleContext['require']>[0]): { orgId: string } => {
    const caller = m.require(request, 'read');
    if (!orgs().includes(caller.orgId)) throw new ModuleError('E_NOT_FOUND', "this org gets nothing from the hub's cameras (settings orgId names the org that does)");
    return caller;
  };

  app.get('/status', async (request) => {
    reader(request);
    return service.status();
  });

  app.get('/cameras', async (request) => {
    reader(request);
    return { cameras: service.status().cameras };
  });

  app.get<{ Params: { id: string } }>('/cameras/:id', async (request) => {
    reader(request);
    const cam = service.status().cameras.find((c) => c.id === request.params.id);
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
        .list(orgId, { limit: q.camera ? 500 : (q.limit ?? 50) })
        .map((d) => d.doc)
        .filter((e) => !q.camera || e.camera === q.camera)
        .slice(0, q.limit ?? 50);
      return { events: list };
    },
  );
};
