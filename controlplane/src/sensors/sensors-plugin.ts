// The sensors feature: readings that MQTT sensors publish at a gateway (sensor/{sensorId}/{metric}),
// checked by the same rules the gateway applies at its door, dated by when the gateway took them
// (not when the hub got them: a gateway's outbox may hold them for hours), stored, and raised as
// `sensor.reading`; a sensor's availability (online/offline, its last will or its family's topic for
// it) kept with since when, and a change raised as `sensor.availability`; with the sensor routes.
// Readings older than the config's sensorRetentionDays are deleted (sensor-retention.ts); while the
// data disk has less than sensorMinFreeBytes free, readings take the place of older ones
// (sensor-history.ts). Shares `sensors` (the store) for reading, `sensorRetention` and `sensorHistory`.

import fp from 'fastify-plugin';
import { DiskReserve, availableBytes, readSensorAvailability, readSensorPayload, takenTimeMs } from '@unibos/mesh-protocol';
import { sensorRoutes } from './sensor-routes.ts';
import { SensorStore } from './sensor-store.ts';
import { SensorRetention } from './sensor-retention.ts';
import { SensorHistory } from './sensor-history.ts';

declare module 'fastify' {
  interface FastifyInstance {
    sensors: SensorStore;
    sensorRetention: SensorRetention;
    sensorHistory: SensorHistory;
  }
}

/** How often the data disk's free space is measured. */
const DISK_CHECK_MS = 5_000;

export const sensorsPlugin = fp(
  async (app) => {
    const { events, fleet } = app;
    const sensors = new SensorStore(app.db);
    app.decorate('sensors', sensors);
    const diskLog = app.log.child({ component: 'sensor-history' });
    const reserve = new DiskReserve(app.config.sensorMinFreeBytes, () => availableBytes(app.config.dataDir), (low, freeBytes) => {
      const at = { freeBytes, minFreeBytes: app.config.sensorMinFreeBytes };
      const freeInDatabase = history.reserveChanged(low);
      if (low) diskLog.warn({ ...at, freeInDatabase }, 'the data disk is at its reserve for sensor readings: new readings fill the free room in the database, then take the place of their metric\u2019s oldest until there is room');
      else diskLog.info({ ...at, replaced: history.replaced, notKept: history.notKept }, 'the data disk has room again: sensor readings are added to the history again');
    });
    const history = new SensorHistory(sensors, reserve);
    app.decorate('sensorHistory', history);
    app.addHook('onReady', () => history.reserve.start(DISK_CHECK_MS, (err) => diskLog.error({ err }, 'cannot measure the free space of the data disk: sensor readings kept as if there were room')));
    app.addHook('onClose', async () => history.reserve.stop());
    app.ingest.route('sensor', ({ orgId, gatewayId, nowMs }, { sensorId, metric }, envelope) => {
      const reading = readSensorPayload(envelope.format === 'json' ? { json: envelope.body } : { bytes: envelope.body });
      if (!reading.ok) return { badPayload: reading.detail };
      const { value, raw, unit, deviceClass, measuredMs } = reading;
      // As long before now as the gateway held it (an outage); now when it did not say.
      const taken = takenTimeMs(envelope.format === 'json' ? envelope.heldMs : undefined, nowMs);
      fleet.gatewaySeen(orgId, gatewayId, nowMs);
      const r = { sensorId, metric, value, raw, unit, deviceClass, measuredMs, gatewayId, timeMs: taken, receivedMs: nowMs };
      const { id, timeMs, logged, latest } = history.add(orgId, r);
      const said = { ...(unit !== undefined ? { unit } : {}), ...(deviceClass !== undefined ? { deviceClass } : {}), ...(measuredMs !== undefined ? { measuredAt: new Date(measuredMs).toISOString() } : {}) };
      // At the reserve it is not kept in the event log (its rows outweigh the reading's): live only.
      (logged ? events.append.bind(events) : events.announce.bind(events))({ orgId, type: 'sensor.reading', data: { sensorId, metric, value, ...(raw !== undefined ? { raw } : {}), ...said, gatewayId, gatewayName: fleet.store.get(orgId, gatewayId)?.name ?? null, time: new Date(timeMs).toISOString(), receivedAt: new Date(nowMs).toISOString(), ...(history.adding ? {} : { atDiskReserve: true }) } });
      return id !== null || latest ? 'stored' : 'live';
    }, { idsWritten: () => history.adding });
    app.ingest.route('sensorAvailability', ({ orgId, gatewayId, nowMs }, { sensorId }, envelope) => {
      const said = readSensorAvailability(envelope.format === 'json' ? { json: envelope.body } : { bytes: envelope.body });
      if (!said.ok) return { badPayload: said.detail };
      // When the gateway took it: a last will held through an outage is as old as the outage.
      const timeMs = takenTimeMs(envelope.format === 'json' ? envelope.heldMs : undefined, nowMs);
      fleet.gatewaySeen(orgId, gatewayId, nowMs);
      const { changed, liveOnly } = history.setAvailability(orgId, sensorId, said.state, timeMs);
      if (changed) (liveOnly ? events.announce.bind(events) : events.append.bind(events))({ orgId, type: 'sensor.availability', data: { sensorId, ...changed, gatewayId, gatewayName: fleet.store.get(orgId, gatewayId)?.name ?? null, ...(liveOnly ? { atDiskReserve: true } : {}) } });
      return liveOnly ? 'live' : 'stored';
    }, { idsWritten: () => history.adding });
    const log = app.log.child({ component: 'sensor-retention' });
    const retention = new SensorRetention({
      store: { pruneReadings: (cutoffMs, limit) => history.prune(cutoffMs, limit) },
      retentionMs: app.config.sensorRetentionDays * 86_400_000,
      now: app.now,
      onError: (err) => log.error({ err }, 'deleting old sensor readings failed; tried again at the next run'),
      onPruned: (deleted, batches) => log.info({ deleted, batches, retentionDays: app.config.sensorRetentionDays }, 'deleted sensor readings past their retention'),
    });
    app.decorate('sensorRetention', retention);
    app.addHook('onReady', async () => retention.start());
    app.addHook('onClose', async () => retention.stop());
    await app.register(sensorRoutes, { sensors, guard: app.guard, historyKept: () => history.adding });
  },
  { name: 'hub-sensors', dependencies: ['hub-platform', 'hub-accounts', 'hub-events', 'hub-ingest', 'hub-fleet'], decorators: { fastify: ['db', 'config', 'now', 'guard', 'events', 'ingest', 'fleet'] } },
);
