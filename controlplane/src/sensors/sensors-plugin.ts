// The sensors feature: readings that MQTT sensors publish at a gateway (sensor/{sensorId}/{metric}),
// checked by the same rules the gateway applies at its door, stored, and raised as
// `sensor.reading`; with the sensor routes. Shares `sensors` (the store) for reading.

import fp from 'fastify-plugin';
import { readSensorPayload } from '@unibos/mesh-protocol';
import { sensorRoutes } from './sensor-routes.ts';
import { SensorStore } from './sensor-store.ts';

declare module 'fastify' {
  interface FastifyInstance {
    sensors: SensorStore;
  }
}

export const sensorsPlugin = fp(
  async (app) => {
    const { events, fleet } = app;
    const sensors = new SensorStore(app.db);
    app.decorate('sensors', sensors);
    app.ingest.route('sensor', ({ orgId, gatewayId, nowMs }, { sensorId, metric }, envelope) => {
      const reading = readSensorPayload(envelope.format === 'json' ? { json: envelope.body } : { bytes: envelope.body });
      if (!reading.ok) return { badPayload: reading.detail };
      const { value, raw, unit, deviceClass, measuredMs } = reading;
      fleet.gatewaySeen(orgId, gatewayId, nowMs);
      sensors.add(orgId, { sensorId, metric, value, raw, unit, deviceClass, measuredMs, gatewayId, timeMs: nowMs });
      const said = { ...(unit !== undefined ? { unit } : {}), ...(deviceClass !== undefined ? { deviceClass } : {}), ...(measuredMs !== undefined ? { measuredAt: new Date(measuredMs).toISOString() } : {}) };
      events.append({ orgId, type: 'sensor.reading', data: { sensorId, metric, value, ...(raw !== undefined ? { raw } : {}), ...said, gatewayId, gatewayName: fleet.store.get(orgId, gatewayId)?.name ?? null, time: new Date(nowMs).toISOString() } });
      return 'stored';
    });
    await app.register(sensorRoutes, { sensors, guard: app.guard });
  },
  { name: 'hub-sensors', dependencies: ['hub-platform', 'hub-accounts', 'hub-events', 'hub-ingest', 'hub-fleet'], decorators: { fastify: ['db', 'guard', 'events', 'ingest', 'fleet'] } },
);
