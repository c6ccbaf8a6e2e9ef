// The sensors feature: readings that MQTT sensors publish at a gateway (sensor/{sensorId}/{metric}),
// checked by the same rules the gateway applies at its door, dated by when the gateway took them
// (not when the hub got them: a gateway's outbox may hold them for hours), stored, and raised as
// `sensor.reading`; with the sensor routes. Shares `sensors` (the store) for reading.

import fp from 'fastify-plugin';
import { readSensorPayload, takenTimeMs } from '@unibos/mesh-protocol';
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
      // As long before now as the gateway held it (an outage); now when it did not say.
      const timeMs = takenTimeMs(envelope.format === 'json' ? envelope.heldMs : undefined, nowMs);
      fleet.gatewaySeen(orgId, gatewayId, nowMs);
      sensors.add(orgId, { sensorId, metric, value, raw, unit, deviceClass, measuredMs, gatewayId, timeMs, receivedMs: nowMs });
      const said = { ...(unit !== undefined ? { unit } : {}), ...(deviceClass !== undefined ? { deviceClass } : {}), ...(measuredMs !== undefined ? { measuredAt: new Date(measuredMs).toISOString() } : {}) };
      events.append({ orgId, type: 'sensor.reading', data: { sensorId, metric, value, ...(raw !== undefined ? { raw } : {}), ...said, gatewayId, gatewayName: fleet.store.get(orgId, gatewayId)?.name ?? null, time: new Date(timeMs).toISOString(), receivedAt: new Date(nowMs).toISOString() } });
      return 'stored';
    });
    await app.register(sensorRoutes, { sensors, guard: app.guard });
  },
  { name: 'hub-sensors', dependencies: ['hub-platform', 'hub-accounts', 'hub-events', 'hub-ingest', 'hub-fleet'], decorators: { fastify: ['db', 'guard', 'events', 'ingest', 'fleet'] } },
);
