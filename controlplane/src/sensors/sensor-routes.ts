// GET /api/v1/sensors and /api/v1/sensors/:id/readings: the org's sensors and their readings.

import { SENSOR_NAME_PATTERN } from '@unibos/mesh-protocol';
import type { FastifyPluginAsync } from 'fastify';
import { errorResponses, page, pageQuery, timeMs, timeRange } from '../api/schemas.ts';
import type { Guard } from '../auth/guard.ts';
import { notFound } from '../hub-error.ts';
import type { SensorStore } from './sensor-store.ts';

export const sensorRoutes: FastifyPluginAsync<{ sensors: SensorStore; guard: Guard; historyKept: () => boolean }> = async (app, { sensors, guard, historyKept }) => {
  const security = [{ bearer: [] }];
  const readingSchema = {
    type: 'object',
    properties: {
      metric: { type: 'string' },
      value: { type: ['number', 'null'] },
      raw: {},
      unit: { type: 'string' },
      deviceClass: { type: 'string', description: "Home Assistant's device class, when the sensor said" },
      measuredAt: { type: 'string', description: 'when the device measured it, when it said' },
      time: { type: 'string', description: 'when the gateway took it (its clock); when the hub got it if the gateway did not say or its clock was absurd. What `from` and `to` select on' },
      receivedAt: { type: 'string', description: 'when the hub got it: later than `time` by as long as the gateway held it (an outage). Absent on readings stored before hubs kept it' },
    },
  };

  const availabilitySchema = {
    type: 'object',
    description: 'whether the sensor can be reached, as it (its MQTT last will, or its family\u2019s availability topic) last said; absent when it never said. Offline: its metrics are last known values',
    properties: {
      state: { type: 'string', enum: ['online', 'offline'] },
      since: { type: 'string', description: 'since when (when the gateway took the first report of this state)' },
    },
  };

  app.get('/api/v1/sensors', {
    preHandler: guard('read'),
    schema: {
      tags: ['sensors'],
      summary: 'The org\u2019s sensors with their latest reading per metric',
      security,
      response: {
        200: {
          type: 'object',
          properties: {
            items: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, metrics: { type: 'array', items: readingSchema }, lastSeen: { type: 'string' }, availability: availabilitySchema } } },
            historyKept: { type: 'boolean', description: 'false while the hub\u2019s data disk is at its reserve (sensorMinFreeBytes): new readings then fill the database\u2019s free room, then take the place of their metric\u2019s oldest in the readings charts show (a metric first reported then is not stored: live only)' },
          },
        },
        ...errorResponses,
      },
    },
  }, async (req) => ({ items: sensors.list(req.auth!.orgId), historyKept: historyKept() }));

  app.get<{ Params: { id: string }; Querystring: { metric?: string; from?: string; to?: string; limit: number; cursor?: string } }>('/api/v1/sensors/:id/readings', {
    preHandler: guard('read'),
    schema: {
      tags: ['sensors'],
      summary: 'A sensor\u2019s readings, newest first',
      security,
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: SENSOR_NAME_PATTERN } } },
      querystring: { type: 'object', additionalProperties: false, properties: { metric: { type: 'string', pattern: SENSOR_NAME_PATTERN }, ...timeRange, ...pageQuery, cursor: { type: 'string', pattern: '^[0-9]{1,15}$' } } },
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
};
