// The sensors feature: readings that MQTT sensors publish at a gateway (sensor/{sensorId}/{metric}),
// checked by the same rules the gateway applies at its door, dated by when the gateway took them
// (not when the hub got them: a gateway's outbox may hold them for hours), stored, and raised as
// `sensor.reading`; a sensor's availability (online/offline, its last will or its family's topic for
// it) kept with since when, and a change raised as `sensor.availability`; with the sensor routes.
// Readings older than the config's sensorRetentionDays are deleted (sensor-retention.ts); while the
// data disk has less than sensorMinFreeBytes free, a reading takes the place of its metric's oldest
// (a metric with none kept updates its latest value only), so readings cannot fill the disk that
// accounts, the messenger and alerts share, and every chart goes on. Shares `sensors` (the store)
// for reading, `sensorRetention` and `sensorHistory`.

import fp from 'fastify-plugin';
import { DiskReserve, availableBytes, readSensorAvailability, readSensorPayload, takenTimeMs } from '@unibos/mesh-protocol';
import { sensorRoutes } from './sensor-routes.ts';
import { SensorStore } from './sensor-store.ts';
import { SensorRetention } from './sensor-retention.ts';

declare module 'fastify' {
  interface FastifyInstance {
    sensors: SensorStore;
    sensorRetention: SensorRetention;
    sensorHistory: SensorHistory;
  }
}

/** Whether readings add to the charts' history (the data disk above its reserve) or take the place of the oldest. */
export interface SensorHistory {
  readonly reserve: DiskReserve;
  /** Readings deleted at the reserve, each for a new reading of its metric to take its place. */
  replaced: number;
  /** Readings whose latest value was stored but that were not kept: at the reserve, their metric had none to replace. */
  notKept: number;
}

/** How often the data disk's free space is measured. */
const DISK_CHECK_MS = 5_000;

export const sensorsPlugin = fp(
  async (app) => {
    const { events, fleet } = app;
    const sensors = new SensorStore(app.db);
    app.decorate('sensors', sensors);
    const diskLog = app.log.child({ component: 'sensor-history' });
    const history: SensorHistory = {
      replaced: 0,
      notKept: 0,
      reserve: new DiskReserve(app.config.sensorMinFreeBytes, () => availableBytes(app.config.dataDir), (low, freeBytes) => {
        const at = { freeBytes, minFreeBytes: app.config.sensorMinFreeBytes };
        if (low) diskLog.warn(at, 'the data disk is at its reserve for sensor readings: each new reading takes the place of its metric\u2019s oldest until there is room (a metric with none kept updates its latest value only)');
        else diskLog.info({ ...at, replaced: history.replaced, notKept: history.notKept }, 'the data disk has room again: sensor readings are added to the history again');
      }),
    };
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
      // A row and its index entries, written twice (SQLite's WAL, then the database).
      const grows = history.reserve.take(2 * (256 + sensorId.length + metric.length + gatewayId.length + (value === null ? JSON.stringify(raw ?? null).length : 0)));
      const { id, timeMs, replaced } = sensors.add(orgId, r, { history: grows ? 'add' : 'replace' });
      if (replaced) history.replaced++;
      else if (id === null) history.notKept++;
      const said = { ...(unit !== undefined ? { unit } : {}), ...(deviceClass !== undefined ? { deviceClass } : {}), ...(measuredMs !== undefined ? { measuredAt: new Date(measuredMs).toISOString() } : {}) };
      // At the reserve it is not kept in the event log (its rows outweigh the reading's): live only.
      (grows ? events.append.bind(events) : events.announce.bind(events))({ orgId, type: 'sensor.reading', data: { sensorId, metric, value, ...(raw !== undefined ? { raw } : {}), ...said, gatewayId, gatewayName: fleet.store.get(orgId, gatewayId)?.name ?? null, time: new Date(timeMs).toISOString(), receivedAt: new Date(nowMs).toISOString() } });
      return 'stored';
    });
    app.ingest.route('sensorAvailability', ({ orgId, gatewayId, nowMs }, { sensorId }, envelope) => {
      const said = readSensorAvailability(envelope.format === 'json' ? { json: envelope.body } : { bytes: envelope.body });
      if (!said.ok) return { badPayload: said.detail };
      // When the gateway took it: a last will held through an outage is as old as the outage.
      const timeMs = takenTimeMs(envelope.format === 'json' ? envelope.heldMs : undefined, nowMs);
      fleet.gatewaySeen(orgId, gatewayId, nowMs);
      const changed = sensors.setAvailability(orgId, sensorId, said.state, timeMs);
      if (changed) events.append({ orgId, type: 'sensor.availability', data: { sensorId, ...changed, gatewayId, gatewayName: fleet.store.get(orgId, gatewayId)?.name ?? null } });
      return 'stored';
    });
    const log = app.log.child({ component: 'sensor-retention' });
    const retention = new SensorRetention({
      store: sensors,
      retentionMs: app.config.sensorRetentionDays * 86_400_000,
      now: app.now,
      onError: (err) => log.error({ err }, 'deleting old sensor readings failed; tried again at the next run'),
      onPruned: (deleted, batches) => log.info({ deleted, batches, retentionDays: app.config.sensorRetentionDays }, 'deleted sensor readings past their retention'),
    });
    app.decorate('sensorRetention', retention);
    app.addHook('onReady', async () => retention.start());
    app.addHook('onClose', async () => retention.stop());
    await app.register(sensorRoutes, { sensors, guard: app.guard, historyKept: () => !history.reserve.low });
  },
  { name: 'hub-sensors', dependencies: ['hub-platform', 'hub-accounts', 'hub-events', 'hub-ingest', 'hub-fleet'], decorators: { fastify: ['db', 'config', 'now', 'guard', 'events', 'ingest', 'fleet'] } },
);
