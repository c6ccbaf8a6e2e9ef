// GET /api/v1/records: what the mesh said, by node, kind and time.

import type { FastifyPluginAsync } from 'fastify';
import { MESH_TOPIC_KIND } from '@unibos/mesh-protocol';
import { errorResponses, page, pageQuery, recordSchema, timeMs, timeRange } from '../api/schemas.ts';
import { nodeIdParam } from '../api/node-id-param.ts';
import type { Guard } from '../auth/guard.ts';
import type { RecordStore } from './record-store.ts';

const RECORD_KINDS = Object.values(MESH_TOPIC_KIND);

export const recordRoutes: FastifyPluginAsync<{ records: RecordStore; guard: Guard }> = async (app, { records, guard }) => {
  const security = [{ bearer: [] }];

  app.get<{ Querystring: { node?: string; kind?: string; from?: string; to?: string; limit: number; cursor?: string } }>('/api/v1/records', {
    preHandler: guard('read'),
    schema: {
      tags: ['records'],
      summary: 'What the mesh said, newest first, by node, kind and time range',
      security,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { node: { type: 'string', pattern: '^!?[0-9a-fA-F]{8}$' }, kind: { type: 'string', enum: RECORD_KINDS }, ...timeRange, ...pageQuery, cursor: { type: 'string', pattern: '^[0-9]{1,15}$' } },
      },
      response: { 200: page(recordSchema), ...errorResponses },
    },
  }, async (req) => {
    const q = req.query;
    const items = records.query(req.auth!.orgId, {
      limit: q.limit,
      ...(q.node ? { nodeId: nodeIdParam(q.node) } : {}),
      ...(q.kind ? { kind: q.kind } : {}),
      ...(q.from ? { fromMs: timeMs(q.from)! } : {}),
      ...(q.to ? { toMs: timeMs(q.to)! } : {}),
      ...(q.cursor ? { before: Number(q.cursor) } : {}),
    });
    return { items, nextCursor: items.length === q.limit ? String(items[items.length - 1]!.id) : null };
  });
};
