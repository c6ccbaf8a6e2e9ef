// Read routes over what the mesh and sensors said: records by node, kind and time, and sensor readings.

import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../app.ts';
import { errorResponses, page, pageQuery, recordSchema, timeMs, timeRange } from '../api/schemas.ts';
import { notFound } from '../hub-error.ts';
import { normalizeNodeId } from '../fleet/node-id.ts';

const RECORD_KINDS = ['text', 'position', 'telemetry', 'alert', 'ack', 'info', 'neighbors', 'traceroute'];

export async function recordRoutes(app: FastifyInstance, { services, guard }: RouteDeps): Promise<void> {
  const { records, sensors } = services.core;
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
      ...(q.node ? { nodeId: normalizeNodeId(q.node) } : {}),
      ...(q.kind ? { kind: q.kind } : {}),
      ...(q.from ? { fromMs: timeMs(q.from)! } : {}),
      ...(q.to ? { toMs: timeMs(q.to)! } : {}),
      ...(q.cursor ? { before: Number(q.cursor) } : {}),
    });
    return { items, nextCursor: items.length === q.limit ? String(items[items.length - 1]!.id) : null };
  });

  const readingSchema = { type: 'object', properties: { metric: { type: 'string' }, value: { type: ['number', 'null'] }, raw: {}, time: { type: 'string' } } };

  app.get('/api/v1/sensors', {
    preHandler: guard('read'),
    schema: {
      tags: ['sensors'],
      summary: 'The org\u2019s sensors with their latest reading per metric',
      security,
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, metrics: { type: 'array', items: readingSchema }, lastSeen: { type: 'string' } } } } } }, ...errorResponses },
    },
  }, async (req) => ({ items: sensors.list(req.auth!.orgId) }));

  app.get<{ Params: { id: string }; Querystring: { metric?: string; from?: string; to?: string; limit: number; cursor?: string } }>('/api/v1/sensors/:id/readings', {
    preHandler: guard('read'),
    schema: {
      tags: ['sensors'],
      summary: 'A sensor\u2019s readings, newest first',
      security,
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$' } } },
      querystring: { type: 'object', additionalProperties: false, properties: { metric: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$' }, ...timeRange, ...pageQuery, cursor: { type: 'string', pattern: '^[0-9]{1,15}$' } } },
      response: { 200: page(readingSchema), ...errorResponses },
    },
  }, async (req) => {
    const orgId = req.auth!.orgId;
    if (!sensors.exists(orgId, req.params.id)) throw notFound('sensor');
    const q = req.query;
    const rows = sensors.readings(orgId, req.params.id, {
      limit: q.limit,
      ...(q.metric ? { metric: q.metric } : {}),
      ...(q.from ? { fromMs: timeMs(q.from)! } : {}),
      ...(q.to ? { toMs: timeMs(q.to)! } : {}),
      ...(q.cursor ? { before: Number(q.cursor) } : {}),
    });
    const items = rows.map(({ cursor: _c, ...r }) => r);
    return { items, nextCursor: rows.length === q.limit ? String(rows[rows.length - 1]!.cursor) : null };
  });
}
