// cctv's API (under /api/v1/modules/cctv/): whether it works here and why not, each camera's
// state, and the motion events this org was allowed to receive. There is no route to frames,
// snapshots or clips: they stay on the node.

import type { FastifyPluginAsync } from 'fastify';
import { ModuleError, type ModuleCollection, type ModuleContext } from '@unibos/module-api';
import type { CctvService } from './cctv-service.ts';
import type { HubMotionEvent } from './privacy-gate.ts';

export interface CctvRoutesOptions {
  module: ModuleContext;
  service: CctvService;
  events: ModuleCollection<HubMotionEvent>;
}

export const cctvRoutes: FastifyPluginAsync<CctvRoutesOptions> = async (app, { module: m, service, events }) => {
  app.get('/status', async (request) => {
    m.require(request, 'read');
    return service.status();
  });

  app.get('/cameras', async (request) => {
    m.require(request, 'read');
    return { cameras: service.status().cameras };
  });

  app.get<{ Params: { id: string } }>('/cameras/:id', async (request) => {
    m.require(request, 'read');
    const cam = service.status().cameras.find((c) => c.id === request.params.id);
    if (!cam) throw new ModuleError('E_NOT_FOUND', `no camera "${request.params.id}"`);
    return cam;
  });

  app.get<{ Querystring: { camera?: string; limit?: number } }>(
    '/events',
    { schema: { querystring: { type: 'object', additionalProperties: false, properties: { camera: { type: 'string', maxLength: 32 }, limit: { type: 'integer', minimum: 1, maximum: 500 } } } } },
    async (request) => {
      const { orgId } = m.require(request, 'read');
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
